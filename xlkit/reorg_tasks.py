"""The use case of a 組織改正 (reorganisation), for every door: the change table onto the 課 sheet.

`reorganise` reads the change table (xlkit.reorg parses and plans it), then writes the 課 sheet
through the register writer: the old 課 get 終了日 and 後継の課, the new 課 are inserted right
below their predecessor — the five columns of the schema (schemas/division.schema.json) of
every row below move down, the sheet's other columns stay — and every change is recorded in
変更履歴 in the same write. As in xlkit.tasks, files are read and written only through
xlkit.workbook, loaded inside the use case (tests/test_layers.py names those edges).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cells, history, limits, messages, pasted_table, reorg, schema
from .addresses import column_index
from .errors import Refusal, XlkitError, os_reason
from .issues import ERROR
from .records import DIVISION_SHEET, Book
from .register import require_columns, stream_register
from .tasks import log_changes

TABLE_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Reorganised:
    """What `reorganise` decided and wrote."""

    plan: reorg.Plan
    lines: list[str]  # the plan said to staff
    changes: list[history.Change] = field(default_factory=list)  # one per 課 cell changed, and per row moved
    written: bool = False


def read_table(path: str | Path) -> reorg.Table:
    """The change table of `path`: tab-separated text (UTF-8, Shift_JIS or UTF-16 with its mark),
    or the first sheet of an .xlsx, read as a register is (bombs, formulas and merges refused)."""
    path = Path(path)
    name = path.name
    if path.suffix.lower() in TABLE_SUFFIXES:
        from .workbook import reader, scan

        reader.check_file(path, "組織改正の表")
        sheets = scan.inspect(path, watched=set()).sheets
        if not sheets:
            raise Refusal("reorganise.empty", 表=name)
        grid = reader.read_sheets(path, [sheets[0]], watched=[sheets[0]], what="組織改正の表").get(sheets[0], [])
        return reorg.parse(grid, f"{name}（{sheets[0]}）", sheet=True)
    return reorg.parse(reorg.text_grid(_read_text(path)), name)


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
    text = pasted_table.decode_text(data)
    if text is None:
        raise Refusal("reorganise.table_encoding", ファイル=path.name)
    return text


def reorganise(register_path: str | Path, table_path: str | Path, day: dt.date, *, dry_run: bool = False,
               clear_lock: bool = False) -> Reorganised:
    """Apply the change table at `table_path` to the 課 sheet from `day` (the first day of the new
    names): all of it, or nothing when any row of it is refused. A dry run only reads."""
    from . import formats
    from .workbook import reader, writer

    table = read_table(table_path)
    path = Path(register_path)
    skip = (schema.linkage().sheet, schema.case().sheet)  # only the masters are changed
    if dry_run:
        book = reader.load(path, skip=skip)
        formats.check_current(book.format, path.name, str(path))
        grid = _division_grid(reader.read_grids(path, skip=skip))
        result = _plan(book, table, day)
        return Reorganised(result, _said(result, _layout(book, grid, result)[1]))
    with writer.editing(path, "組織改正", clear_lock=clear_lock) as edit:
        book = reader.load(edit.path, skip=skip)
        grid = _division_grid(reader.read_grids(edit.path, skip=skip))
        result = _plan(book, table, day)
        rows, moved = _layout(book, grid, result)
        changes = _changes(book, result, moved, table.name)
        _write(edit, book, grid, rows)
        log_changes(edit, book, changes)
        edit.commit()
    return Reorganised(result, _said(result, moved), changes, True)


def _division_grid(grids: dict[str, list[list]]) -> list[list]:
    if DIVISION_SHEET not in grids:
        raise Refusal("reorganise.no_sheet")
    return grids[DIVISION_SHEET]


def _plan(book: Book, table: reorg.Table, day: dt.date) -> reorg.Plan:
    """The plan of `table` on `book`'s 課 sheet, which must have its five columns and no error."""
    require_columns(book, schema.division(), "reorganise.columns_missing")
    wrong = [i for i in book.issues if i.sheet == DIVISION_SHEET and i.severity == ERROR]
    if wrong:
        raise Refusal("reorganise.sheet_errors", 場所="、".join(messages.first([i.cell for i in wrong], 10)),
                      内容=wrong[0].message)
    return reorg.plan(book.org, book.bodies, table, day)


# --------------------------------------------------------------------------- the sheet's rows


def _layout(book: Book, grid: list[list], result: reorg.Plan) -> tuple[dict[int, dict[str, Any]], list[tuple[str, int, int]]]:
    """The 課 sheet's five columns after the change, from the first row that changes to the last:
    Excel row -> schema key -> value (raw cells as read, moved as they are); and each row that
    moves down: (its 課, old row, new row)."""
    letters = book.columns[DIVISION_SHEET]
    index = {key: _column(letter) for key, letter in letters.items()}

    def raw(r: int) -> dict[str, Any]:
        row = grid[r - 1] if r - 1 < len(grid) else []
        values = {}
        for key, i in index.items():
            value = row[i] if i < len(row) else None
            if not cells.is_blank(value):
                values[key] = value
        return values

    last = max((r for r in range(2, len(grid) + 1) if raw(r)), default=1)
    closed = {c.entry.row: c for c in result.closings}
    below: dict[int, list[reorg.Opening]] = {}
    for opening in result.openings:
        below.setdefault(opening.after.row, []).append(opening)
    before = {r: raw(r) for r in range(2, last + 1)}
    after: list[dict[str, Any]] = []
    moved: list[tuple[str, int, int]] = []
    for r in range(2, last + 1):
        values = dict(before[r])
        if r in closed:
            values["valid_to"] = closed[r].valid_to
            values["successor"] = list(closed[r].successors)
        new_row = len(after) + 2
        if new_row != r and values:
            moved.append((cells.display(values.get("name", "")), r, new_row))
        after.append(values)
        for opening in below.get(r, []):
            entry = opening.entry
            after.append({"name": entry.name, "body": entry.body, "valid_from": entry.valid_from})
    rows = {}
    for i, values in enumerate(after, start=2):
        if _typed(values) != _typed(before.get(i, {})) or i > last:
            rows[i] = values
    if rows:  # one run from the first row that changes down to the last row
        first = min(rows)
        rows = {i: after[i - 2] for i in range(first, len(after) + 2)}
    return rows, moved


def _column(letter: str) -> int:
    return column_index(letter)


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Values compared as written: a date cell read as a datetime is the date written back."""
    reg = schema.division()
    return {k: cells.cell_value(_written(v), separator=reg.column(k).separator) for k, v in values.items()}


def _write(edit, book: Book, grid: list[list], rows: dict[int, dict[str, Any]]) -> None:
    """Write the rows `_layout` gave into the 課 sheet: one spliced run (cells of other columns
    kept), then the cells that become blank; read back before the register writer commits."""
    from .workbook import appender

    if not rows:
        return
    reg = schema.division()
    letters = book.columns[DIVISION_SHEET]
    first = min(rows)
    values = [{k: _written(v) for k, v in rows[r].items()} for r in sorted(rows)]
    appender.append(edit.package, reg, letters, values, after=first - 1)
    index = {key: _column(letter) for key, letter in letters.items()}
    blanks: dict[int, dict[str, Any]] = {}
    for r in sorted(rows):
        old = grid[r - 1] if r - 1 < len(grid) else []
        for key, i in index.items():
            if key not in rows[r] and i < len(old) and not cells.is_blank(old[i]):
                blanks.setdefault(r, {})[key] = None
    appender.set_cells(edit.package, reg, letters, blanks)
    appender.check_rows(edit.package, reg, book, _read_as(book, rows))


def _written(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def _read_as(book: Book, rows: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The non-blank rows of `rows` typed as the reader types the 課 sheet's columns: what reading
    the written rows back must give."""
    reg = schema.division()
    letters = book.columns[DIVISION_SHEET]
    index = {key: _column(letter) for key, letter in letters.items()}
    width = max(index.values()) + 1
    header: list = [None] * width
    for key, i in index.items():
        header[i] = reg.header(key)
    order = [r for r in sorted(rows) if rows[r]]
    grid = [header]
    for r in order:
        line: list = [None] * width
        for key, value in rows[r].items():
            line[index[key]] = cells.cell_value(_written(value), separator=reg.column(key).separator)
        grid.append(line)
    typed = [record.values for record, _ in stream_register(book.shadow(), reg, iter(grid))]
    return dict(zip(order, typed))


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
