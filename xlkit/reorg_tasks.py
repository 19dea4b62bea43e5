"""The use case of a 組織改正 (reorganisation), for every door: the change table onto the 課 sheet.

`reorganise` reads the change table (xlkit.reorg parses and plans it), then writes the 課 sheet
through the register writer: the old 課 get 終了日 and 後継の課, the new 課 are inserted right
below their predecessor — every row below moves down whole, as Excel's 「行の挿入」 moves it
(its other columns, formats, hidden state and notes with it: xlkit.workbook.row_insert.insert_rows)
— and every change is recorded in 変更履歴 in the same write. The dry run makes the same splice
in memory and saves nothing, so it meets the same refusals. As in xlkit.tasks, files are read
and written only through xlkit.workbook, loaded inside the use case (tests/test_layers.py names
those edges).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import cells, history, messages, pasted_table, reorg, schema
from .errors import Refusal
from .issues import ERROR
from .records import DIVISION_SHEET, Book
from .register import require_columns
from .tasks import log_changes

TABLE_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Reorganised:
    """What `reorganise` decided and wrote."""

    plan: reorg.Plan
    lines: list[str]  # the plan said to staff
    changes: list[history.Change] = field(default_factory=list)  # one per 課 cell changed, and per row moved
    written: bool = False


def read_table(path: str | Path, register: str | Path | None = None) -> reorg.Table:
    """The change table of `path`: tab-separated text (xlkit.pasted_table.read_text: UTF-8,
    Shift_JIS or UTF-16 with its mark), or the first sheet of an .xlsx, read as a register is
    (bombs, formulas and merges refused), each check made once. A register given as the table
    (`register` itself, or any register) is refused as the wrong file."""
    path = Path(path)
    name = "標準入力" if str(path) == "-" else path.name
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return reorg.parse_text(pasted_table.read_text(path, reorg.TABLE), name)
    from .workbook import reader

    if register is not None and path.resolve() == Path(register).resolve():
        raise Refusal("reorganise.table_is_register", ファイル=name)

    def vet(found) -> None:
        # a register as the table: its first sheet (使い方) would be refused for its merged cells,
        # blaming the register; say that the file is the wrong one
        if found.register_id or {schema.linkage().sheet, DIVISION_SHEET} <= set(found.sheets):
            raise Refusal("reorganise.table_is_register", ファイル=name)
        if not found.sheets:
            raise Refusal("reorganise.empty", 表=name)

    grids = reader.read_sheets(path, what=reorg.TABLE.name, first=True, vet=vet)
    sheet, grid = next(iter(grids.items()))
    return reorg.parse(grid, f"{name}（{sheet}）")


def reorganise(register_path: str | Path, table_path: str | Path, day: dt.date, *, dry_run: bool = False,
               clear_lock: bool = False) -> Reorganised:
    """Apply the change table at `table_path` to the 課 sheet from `day` (the first day of the new
    names): all of it, or nothing when any row of it is refused. A dry run only reads."""
    from . import formats
    from .workbook import reader, row_insert, writer

    reorg.check_day(day)
    path = Path(register_path)
    table = read_table(table_path, register=path)
    skip = (schema.linkage().sheet, schema.case().sheet)  # only the masters are changed
    if dry_run:
        book = reader.load(path, skip=skip)
        formats.check_current(book.format, path.name, str(path))
        result = _plan(book, table, day)
        with row_insert.rehearsal(path) as package:  # the same splice in memory, never saved
            _write(package, book, result)
        return Reorganised(result, _said(result, _moved(book, result)))
    with writer.editing(path, history.REORGANISE, clear_lock=clear_lock) as edit:
        book = reader.load(edit.path, skip=skip)
        result = _plan(book, table, day)
        _write(edit.package, book, result)
        moved = _moved(book, result)
        changes = _changes(result, moved, table.name)
        log_changes(edit, book, changes)
        edit.commit(verify=lambda written: _verify(written, book, result))
    return Reorganised(result, _said(result, moved), changes, True)


def _plan(book: Book, table: reorg.Table, day: dt.date) -> reorg.Plan:
    """The plan of `table` on `book`'s 課 sheet, which must have its five columns and no error."""
    if DIVISION_SHEET not in book.columns:
        raise Refusal("reorganise.no_sheet")
    require_columns(book, schema.division(), "reorganise.columns_missing")
    wrong = [i for i in book.issues if i.sheet == DIVISION_SHEET and i.severity == ERROR]
    if wrong:
        raise Refusal("reorganise.sheet_errors", 場所="、".join(messages.first([i.cell for i in wrong], 10)),
                      内容=wrong[0].message)
    return reorg.plan(book.org, book.bodies, table, day)


# --------------------------------------------------------------------------- the sheet's rows


def _write(package, book: Book, result: reorg.Plan) -> None:
    """The old 課 get 終了日 and 後継の課 in their rows; then the new 課 go right below their
    predecessors, the rows beneath moving down whole."""
    from .workbook import appender, row_insert

    reg = schema.division()
    letters = book.columns[DIVISION_SHEET]
    ends = {c.entry.row: {"valid_to": c.valid_to, "successor": list(c.successors)} for c in result.closings}
    appender.set_cells(package, reg, letters, ends)
    below = {row: [{"name": o.entry.name, "body": o.entry.body, "valid_from": o.entry.valid_from} for o in openings]
             for row, openings in result.below().items()}
    # the register sheets hold no formula: the reader refuses them there (and they are the largest)
    row_insert.insert_rows(package, reg, letters, below, no_formulas=(schema.linkage().sheet, schema.case().sheet))


def _moved(book: Book, result: reorg.Plan) -> list[tuple[str, int, int]]:
    """Each 課 row that moves down: (its 課, old row, new row)."""
    found = [(d.name, d.row, result.new_row(d.row)) for d in book.org]
    return [(name, old, new) for name, old, new in found if new != old]


def _verify(written: Path, before: Book, result: reorg.Plan) -> None:
    """The written copy's 課 sheet reads back as the plan says, row by row: each old row where it
    moved (ended as planned), each new 課 right below its predecessor."""
    from .workbook import reader

    after = reader.load(written, skip=(schema.linkage().sheet, schema.case().sheet))
    expected, row = [], 0
    for entry in result.sheet(before.org):
        row = result.new_row(entry.row) if entry.row else row + 1  # a new 課 sits below the row before it
        expected.append(_said_as(entry, row))
    if [_said_as(d, d.row) for d in after.org] != expected:
        raise Refusal("register.unverified", ファイル=(before.path or written).name,
                      理由=messages.text("reorganise.unverified"))


def _said_as(entry, row: int) -> tuple:
    """A 課 row as compared after writing: names folded as the reader matches them."""
    return (row, cells.fold(entry.name), entry.body, entry.valid_from, entry.valid_to,
            tuple(cells.fold(s) for s in entry.successors))


# --------------------------------------------------------------------------- 変更履歴


def _changes(result: reorg.Plan, moved: list[tuple[str, int, int]], source: str) -> list[history.Change]:
    """One 変更履歴 row per 課 cell the change sets (終了日, 後継の課 of an old 課; 課, 実施機関,
    開始日 of a new one) and per row that only moves down.

    A row that moves is recorded under its own 課, one row each: the 課 sheet's rows are as many
    as the organisation's 課 (not as the table's lines), and staff looking up a 課 in 変更履歴 find
    where it went and when; one summary row would name none of them."""
    reg = schema.division()
    action = history.REORGANISE
    separator = reg.column("successor").separator  # 後継の課 as its cell holds it
    found = []
    for c in result.closings:
        entry = c.entry
        # the row had no 終了日: a row that ends already is refused (reorganise.old_ends_later)
        found.append(history.Change(action, column=f"{reg.sheet}・{entry.name}・{reg.header('valid_to')}",
                                    new=c.valid_to, source=source))
        found.append(history.Change(action, column=f"{reg.sheet}・{entry.name}・{reg.header('successor')}",
                                    old=cells.as_text(list(entry.successors), separator=separator) or None,
                                    new=separator.join(c.successors), source=source))
    for o in result.openings:
        entry = o.entry
        for key, value in (("name", entry.name), ("body", entry.body), ("valid_from", entry.valid_from)):
            found.append(history.Change(action, column=f"{reg.sheet}・{entry.name}・{reg.header(key)}", new=value, source=source))
    row_header = messages.text("reorganise.history_row")
    for name, old, new in moved:
        found.append(history.Change(action, column=f"{reg.sheet}・{name}・{row_header}",
                                    old=messages.text("reorganise.row", 行=old), new=messages.text("reorganise.row", 行=new),
                                    source=source))
    return found


def _said(result: reorg.Plan, moved: list[tuple[str, int, int]]) -> list[str]:
    lines = reorg.describe(result)
    if moved:
        lines.append(messages.text("reorganise.plan_moved", 最初=moved[0][1], 件数=len(moved)))
    return lines
