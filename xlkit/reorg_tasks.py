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

from . import cells, history, limits, messages, pasted_table, reorg, schema
from .errors import Refusal, XlkitError, os_reason
from .issues import ERROR
from .records import DIVISION_SHEET, Book
from .register import require_columns
from .tasks import log_changes

TABLE_SUFFIXES = (".xlsx", ".xlsm")
# what Excel writes for a workbook saved with a password (and for an old .xls): an OLE compound
# file, not a zip
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Reorganised:
    """What `reorganise` decided and wrote."""

    plan: reorg.Plan
    lines: list[str]  # the plan said to staff
    changes: list[history.Change] = field(default_factory=list)  # one per 課 cell changed, and per row moved
    written: bool = False


def read_table(path: str | Path, register: str | Path | None = None) -> reorg.Table:
    """The change table of `path`: tab-separated text (UTF-8, Shift_JIS or UTF-16 with its mark),
    or the first sheet of an .xlsx, read as a register is (bombs, formulas and merges refused).
    A register given as the table (`register` itself, or any register) is refused as the wrong file."""
    path = Path(path)
    name = path.name
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return reorg.parse(reorg.text_grid(_read_text(path)), name)
    from .workbook import reader, scan

    try:
        reader.check_file(path, "組織改正の表")
        if register is not None and path.resolve() == Path(register).resolve():
            raise Refusal("reorganise.table_is_register", ファイル=name)
        _refuse_ole(path)
        found = scan.inspect(path, watched=set())
        # a register as the table: its first sheet (使い方) would be refused for its merged cells,
        # blaming the register; say that the file is the wrong one
        if found.register_id or {schema.linkage().sheet, DIVISION_SHEET} <= set(found.sheets):
            raise Refusal("reorganise.table_is_register", ファイル=name)
        if not found.sheets:
            raise Refusal("reorganise.empty", 表=name)
        sheet = found.sheets[0]
        grid = reader.read_sheets(path, [sheet], watched=[sheet], what="組織改正の表").get(sheet, [])
    except XlkitError as e:
        if type(e) is not XlkitError:
            raise
        # the file checks word a file too big as 「登録簿ではないファイル」: this one is the table
        raise XlkitError(e.message.replace("登録簿ではないファイル", "組織改正の表ではないファイル")) from None
    return reorg.parse(grid, f"{name}（{sheet}）", sheet=True)


def _refuse_ole(path: Path) -> None:
    try:
        with path.open("rb") as file:
            start = file.read(len(OLE_SIGNATURE))
    except OSError:
        return  # said by the reader next, with its reason
    if start == OLE_SIGNATURE:
        raise Refusal("reorganise.table_password", ファイル=path.name)


def _read_text(path: Path) -> str:
    most = limits.current().table_bytes
    try:
        if path.is_dir():
            raise Refusal("reorganise.table_folder", ファイル=path)
        if not path.exists():
            raise Refusal("reorganise.table_missing", ファイル=path)
        if not path.is_file():
            raise Refusal("reorganise.table_not_file", ファイル=path.name)
        with path.open("rb") as file:
            data = file.read(most + 1)
    except OSError as exc:
        raise XlkitError(messages.text("reorganise.table_unreadable", ファイル=path.name, 理由=os_reason(exc))) from None
    if len(data) > most:
        raise Refusal("reorganise.table_too_big", ファイル=path.name, 上限=limits.size(most))
    if data.startswith(OLE_SIGNATURE):  # an Excel file with a password, saved under another name
        raise Refusal("reorganise.table_password", ファイル=path.name)
    text = pasted_table.decode_text(data)
    if text is None:
        raise Refusal("reorganise.table_encoding", ファイル=path.name)
    return text


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
    with writer.editing(path, "組織改正", clear_lock=clear_lock) as edit:
        book = reader.load(edit.path, skip=skip)
        result = _plan(book, table, day)
        _write(edit.package, book, result)
        changes = _changes(book, result, _moved(book, result), table.name)
        log_changes(edit, book, changes)
        edit.commit(verify=lambda written: _verify(written, book, result))
    return Reorganised(result, _said(result, _moved(book, result)), changes, True)


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
    return [(d.name, d.row, result.new_row(d.row)) for d in book.org if result.new_row(d.row) != d.row]


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


def _changes(book: Book, result: reorg.Plan, moved: list[tuple[str, int, int]], source: str) -> list[history.Change]:
    """One 変更履歴 row per 課 cell the change sets (終了日, 後継の課 of an old 課; 課, 実施機関,
    開始日 of a new one) and per row that only moves down."""
    reg = schema.division()
    action = history.REORGANISE
    found = []
    for c in result.closings:
        entry = c.entry
        found.append(history.Change(action, column=f"課・{entry.name}・{reg.header('valid_to')}",
                                    old=entry.valid_to, new=c.valid_to, source=source))
        found.append(history.Change(action, column=f"課・{entry.name}・{reg.header('successor')}",
                                    old=cells.as_text(list(entry.successors), separator="、") or None,
                                    new="、".join(c.successors), source=source))
    for o in result.openings:
        entry = o.entry
        for key, value in (("name", entry.name), ("body", entry.body), ("valid_from", entry.valid_from)):
            found.append(history.Change(action, column=f"課・{entry.name}・{reg.header(key)}", new=value, source=source))
    row_header = messages.text("reorganise.history_row")
    for name, old, new in moved:
        found.append(history.Change(action, column=f"課・{name}・{row_header}",
                                    old=messages.text("reorganise.row", 行=old), new=messages.text("reorganise.row", 行=new),
                                    source=source))
    return found


def _said(result: reorg.Plan, moved: list[tuple[str, int, int]]) -> list[str]:
    lines = reorg.describe(result)
    if moved:
        lines.append(messages.text("reorganise.plan_moved", 最初=moved[0][1], 件数=len(moved)))
    return lines
