"""Preparing a register's sheets, given as 2-D lists, into a Book of typed Records (pure).

The lists come from calamine (xlkit.workbook.reader.load, for the CLI and notebooks) or from
xlwings (the buttons read each sheet in one block); both end here, in the same preparation.
"""

from __future__ import annotations

import difflib
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from . import cells, formats, limits, messages, schema
from .addresses import column_letter
from .errors import XlkitError
from .issues import ERROR, WARNING, Issue
from .dates import format_wareki
from .org import Division, overlaps
from .records import BODY_SHEET, CATEGORY_SHEET, DIVISION_SHEET, PROVISION_CATEGORY, RESULT_SHEET, Book, Record

@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a register is read (and checked).

    Reading 10,000 rows allocates some 300,000 lists, dicts and Records, none of them in a
    cycle; the collector would walk them again and again — a third of the reading time.
    Nothing is lost: the collector runs as usual once it is enabled again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sheets_read() -> tuple[str, ...]:
    """The sheets `load_sheets` reads: the registers (外部結合, 審議案件, 外部提供), 設定 and the masters.
    Both readers (the file's, the buttons') fetch only these; 検証結果 or 集計 may be large and mean
    nothing here."""
    return (schema.linkage().sheet, schema.case().sheet, schema.provision().sheet, schema.settings().sheet,
            BODY_SHEET, DIVISION_SHEET, CATEGORY_SHEET, RESULT_SHEET)


def load_sheets(grids: dict[str, list[list]], *, skip: Iterable[str] = (), sheets: Iterable[str] | None = None,
                version: int | None = None) -> Book:
    """Prepare a register's sheets (name -> 2-D list of cell values) into a Book; other sheets are ignored.

    The register sheets in `skip` are not read (their Records stay empty): the caller streams
    them through `stream_register` instead. `sheets`, every sheet name of the workbook when the
    caller knows them (the file reader), and its format `version` let a register sheet renamed by a
    stray space (「外部提供 」) be named: sheets are still matched by their exact name, as every
    writer and the buttons find them.
    """
    sheets = list(sheets) if sheets is not None else []
    book = Book()
    _read_masters(book, grids)
    for reg in (schema.linkage(), schema.case()):
        if reg.sheet in skip:
            continue
        if reg.sheet not in grids:
            near = misnamed(reg.sheet, sheets)
            if near is not None:
                raise XlkitError(messages.text("register.sheet_misnamed", シート=reg.sheet, 名前=near))
            raise XlkitError(messages.text("register.sheet_missing", シート=reg.sheet))
        records = _read_register(book, reg, grids[reg.sheet])
        if reg.name == schema.LINKAGE:
            book.linkages = records
        else:
            book.cases = records
    provisions = schema.provision().sheet
    # before format 5 no 外部提供 sheet is expected: a 「外部提供 」 there is staff's own (and the
    # upgrade adds the real one beside it)
    expected = version is None or provisions not in formats.added_since(version)
    near = misnamed(provisions, sheets) if provisions not in grids and expected else None
    _read_provisions(book, grids.get(provisions), near)
    _read_settings(book, grids.get(schema.settings().sheet))
    return book


def misnamed(wanted: str, sheets: Iterable[str]) -> str | None:
    """The sheet of `sheets` that is `wanted` but for spaces, width or case (「外部提供 」,
    「外部提供　」), when `wanted` itself is not among them; else None."""
    names = list(sheets)
    if wanted in names:
        return None
    folded = cells.fold(wanted)
    return next((name for name in names if cells.fold(name) == folded), None)


def _read_provisions(book: Book, grid: list[list] | None, near: str | None = None) -> None:
    """外部提供, read as the other registers are. The sheet came with format 5: a register without
    it has no provisions. That is said once, and only when a case calls for the table (区分
    外部提供, or its title or period typed): a register that never provides outside needs no
    such sheet. An older register's validation turns it into 「xlkit upgrade」 (xlkit.validation).

    A sheet `near` the name (「外部提供 」: a space typed while renaming the tab) holds rows staff
    meant to print: an error at that sheet, whatever the cases say, so that no export leaves
    them off without a word (a warning is never shown by an export)."""
    reg = schema.provision()
    if grid is None:
        book.missing[reg.sheet] = {c.key for c in reg.columns}
        if near is not None:
            book.issues.append(Issue.make("provision-sheet-misnamed", near, "", "",
                                          messages.text("provision.sheet_misnamed", 名前=near, シート=reg.sheet)))
            return
        if any(_calls_for_provisions(rec) for rec in book.cases):
            book.issues.append(Issue.make("provision-sheet-missing", reg.sheet, "", "",
                                          messages.text("provision.sheet_missing", シート=reg.sheet)))
        return
    book.provisions = _read_register(book, reg, grid)


def missing_headers(book: Book, reg: schema.Register, needed: Iterable[str] | None = None) -> list[str]:
    """The headers of `reg`'s columns its sheet lacks (only those of `needed`, when given)."""
    absent = book.missing.get(reg.sheet, set())
    wanted = None if needed is None else set(needed)
    return [c.header for c in reg.columns if c.key in absent and (wanted is None or c.key in wanted)]


def require_columns(book: Book, reg: schema.Register, key: str, needed: Iterable[str] | None = None) -> None:
    """Refuse (xlkit.errors.Refusal `key`, naming them as 列 and saying what to do as 対処) when
    `reg`'s sheet lacks columns a write needs: every writer refuses rather than drop a value.
    The advice is 「xlkit upgrade」 only when the register's format is older than those columns
    (xlkit.formats.added_since); else the header row is what to fix (a header misspelt beyond
    recognition, deleted or overwritten: the reader's header issues say which)."""
    from .errors import Refusal

    missing = missing_headers(book, reg, needed)
    if missing:
        added = formats.added_since(book.format).get(reg.sheet)
        if added is not None and (not added or set(missing) <= set(added)):
            advice = messages.text("register.columns_upgrade", 形式=book.format, 対応=formats.CURRENT)
        else:
            advice = messages.text("register.columns_fix", シート=reg.sheet,
                                   列="・".join(f"「{header}」" for header in missing))
        raise Refusal(key, 列="、".join(missing), 対処=advice)


def _calls_for_provisions(rec: Record) -> bool:
    folded = cells.fold(PROVISION_CATEGORY)
    return (any(cells.fold(c) == folded for c in rec.values.get("categories") or ())
            or "provision_title" in rec.values or "provision_period" in rec.values)


# --- masters ---------------------------------------------------------------------------

def _column_values(grid: list[list], col: int) -> list[str]:
    values = []
    for row in grid[1:]:
        if len(row) > col and not cells.is_blank(row[col]) and not cells.is_excel_error(row[col]):
            values.append(cells.text(row[col]))
    return values


def _read_masters(book: Book, grids: dict[str, list[list]]) -> None:
    seeds = schema.masters()
    for name, attr in ((BODY_SHEET, "bodies"), (CATEGORY_SHEET, "categories"), (RESULT_SHEET, "results")):
        if name in grids:
            setattr(book, attr, _column_values(grids[name], 0))
        else:
            setattr(book, attr, list(seeds[name]))
            book.issues.append(_missing_master(name))
    for name, spec in schema.mark_columns().items():
        book.marked[name] = _read_marks(book, name, spec, grids.get(name))
    if DIVISION_SHEET in grids:
        _read_divisions(book, grids[DIVISION_SHEET])
    else:
        book.set_org([Division(name, body) for name, body in seeds[DIVISION_SHEET]])
        book.issues.append(_missing_master(DIVISION_SHEET))


def _division_columns(book: Book, header: list) -> dict[str, int]:
    """The 課 sheet's columns by their headers (schemas/division.schema.json), read as a register
    sheet's are (`_map_header` as a master: a header misspelt or typed twice is an issue at its
    cell, an unknown one is passed over)."""
    return {key: i for i, key in _map_header(book, schema.division(), header, master=True).items()}


def _read_divisions(book: Book, grid: list[list]) -> None:
    """The 課 sheet: `book.org`, every row in sheet order with its period (and `book.divisions`,
    their (課, 実施機関), from them). A cell that cannot be read, a period that ends before it
    starts, a successor on no row and two periods of one name that share a day are issues of
    the 課 sheet's cell; the rest of the row is read all the same."""
    reg = schema.division()
    mapping = _division_columns(book, grid[0] if grid else [])
    letters = {key: column_letter(i) for key, i in mapping.items()}
    book.columns[DIVISION_SHEET] = letters
    book.missing[DIVISION_SHEET] = {c.key for c in reg.columns} - set(mapping)
    known = {cells.fold(b) for b in book.bodies}
    rows: list[tuple[Division, list[str]]] = []

    def cell_at(row: list, key: str):
        i = mapping.get(key)
        return row[i] if i is not None and i < len(row) else None

    for i, row in enumerate(grid[1:], start=2):
        raw_name = cell_at(row, "name")
        name = cells.text(raw_name) if not cells.is_blank(raw_name) else None
        if name is None or cells.is_excel_error(name):  # a master's #N/A names no 課
            continue
        raw_body = cell_at(row, "body")
        body = cells.text(raw_body) if not cells.is_blank(raw_body) else None
        if body is None or cells.fold(body) not in known:
            book.issues.append(Issue.make(
                "master-division-body", DIVISION_SHEET, f"{letters['body']}{i}", BODY_SHEET,
                f"課「{name}」の実施機関「{body or ''}」が「実施機関」シートにありません。", body))
        period = {}
        for key in ("valid_from", "valid_to"):
            value = cell_at(row, key)
            if cells.is_blank(value):
                continue
            ok, result = _prepare(cells.date, value)
            if ok:
                period[key] = result
            else:
                column = reg.column(key)
                book.issues.append(_unreadable(DIVISION_SHEET, f"{letters[key]}{i}", column.header, column.kind,
                                               value, result))
        successors: list[str] = []
        value = cell_at(row, "successor")
        if cells.is_excel_error(value):
            book.issues.append(_unreadable(DIVISION_SHEET, f"{letters['successor']}{i}",
                                           reg.header("successor"), "", value, _ERROR_VALUE))
        elif not cells.is_blank(value):
            successors = cells.multi(value) or []
        start, end = period.get("valid_from"), period.get("valid_to")
        if start is not None and end is not None and end < start:
            book.issues.append(Issue.make(
                "master-division-dates", DIVISION_SHEET, f"{letters['valid_to']}{i}", reg.header("valid_to"),
                f"課「{name}」の終了日（{format_wareki(end)}）が開始日（{format_wareki(start)}）より前です。"
                "終了日は、この課名を使った最後の日（組織改正の前日）にしてください。", cell_at(row, "valid_to")))
            end = None  # read as open: one mistake, one message
        rows.append((Division(name, body or "", start, end, (), i), successors))
    names = {cells.fold(d.name): d.name for d, _ in rows}
    org = []
    for entry, successors in rows:
        canonical = []
        for successor in successors:
            if cells.fold(successor) in names:
                canonical.append(names[cells.fold(successor)])
            else:
                book.issues.append(Issue.make(
                    "master-division-successor", DIVISION_SHEET, f"{letters['successor']}{entry.row}",
                    reg.header("successor"),
                    f"後継の課「{successor}」が「課」シートにありません（課「{entry.name}」の行）。"
                    "後継の課は「課」シートの課名で入力し、新しい課はその行を加えてください。", successor))
        org.append(Division(entry.name, entry.body, entry.valid_from, entry.valid_to,
                            tuple(dict.fromkeys(canonical)), entry.row))
    _check_overlaps(book, org, letters)
    book.set_org(org)


def _check_overlaps(book: Book, org: list[Division], letters: dict[str, str]) -> None:
    """Two rows of one name whose periods share a day: the later row is named, once."""
    by_name: dict[str, list[Division]] = {}
    for entry in org:
        by_name.setdefault(cells.fold(entry.name), []).append(entry)
    for group in by_name.values():
        for i, entry in enumerate(group):
            earlier = next((d for d in group[:i] if overlaps(d, entry)), None)
            if earlier is None:
                continue
            book.issues.append(Issue.make(
                "master-division-overlap", DIVISION_SHEET, f"{letters['name']}{entry.row}", schema.division().header("name"),
                f"課「{entry.name}」が{earlier.row}行目にもあり、有効期間（開始日〜終了日）が重なっています。"
                "同じ課名を2行にするのは、組織改正で一度終わった課名をまた使うときだけです。"
                "重複した行を消すか、開始日・終了日を入力してください。", entry.name))


def _read_marks(book: Book, name: str, spec: dict, grid: list[list] | None) -> set[str]:
    """The values of master `name` marked ○ in its second column.

    A register made before the column existed is read with the seed's marks (masters.json),
    silently while every seed value is still on the sheet; once one is renamed or gone, the
    rule it drives would change without a word, so that is said.
    """
    header = grid[0] if grid else []
    if len(header) > 1 and cells.fold(cells.display(header[1])) == cells.fold(spec["列名"]):
        marked = set()
        for row_no, row in enumerate(grid[1:], start=2):
            if not row or cells.is_blank(row[0]) or len(row) < 2:
                continue
            try:
                if cells.mark(row[1]):
                    marked.add(cells.text(row[0]))
            except cells.CellError as e:  # ✓ or はい would silently leave the value unmarked
                book.issues.append(Issue.make("mark-invalid", name, f"{column_letter(1)}{row_no}", spec["列名"],
                                              f"「{cells.display(row[1])}」: {e.reason}", row[1]))
        return marked
    present = set(book.master(name))
    seed = set(spec["○"])
    if grid is not None and not seed <= present:
        gone = "、".join(v for v in spec["○"] if v not in present)
        book.issues.append(Issue.make(
            "master-column-missing", name, f"{column_letter(1)}1", spec["列名"],
            f"「{name}」シートに「{spec['列名']}」の列（B列）がないため、標準の値（{'、'.join(spec['○'])}）に○が"
            f"付いているものとして確認しました。「{gone}」はこのシートにありません。B列の1行目に「{spec['列名']}」と入力し、"
            "当てはまる行に○を付けてください。", None))
    return seed & present if grid is not None else seed


def _missing_master(name: str) -> Issue:
    return Issue.make("master-sheet-missing", name, "", "",
                      f"シート「{name}」がないため、標準のマスタ値で確認しました。")


# --- the two registers -----------------------------------------------------------------

_BLANK = (None, None)  # a cached verdict: the cell is blank (whitespace only)


def _blank_row(row: list) -> bool:
    for value in row:
        if value is None or value == "" or (type(value) is str and value.isspace()):
            continue
        return False
    return True


def _read_register(book: Book, reg: schema.Register, grid: list[list]) -> list[Record]:
    records = [record for record, _ in _records(book, reg, grid[0] if grid else [], grid[1:])]
    _report_headerless_data(book, reg, grid)
    return records


def stream_register(book: Book, reg: schema.Register, rows: Iterator[list], keys: Iterable[str] | None = None,
                    later: Iterable[str] = ()) -> Iterator[tuple[Record, Callable[[], None] | None]]:
    """The Records of a register sheet given row by row (its header row first), typed as
    `load_sheets` types them but none kept: a 100,000-row sheet is read in constant memory.

    Only the columns in `keys` are typed (all when None). Each Record comes with a function
    that types the `later` columns into it, for the few rows the caller needs whole (None when
    there are no such columns). `book` must hold the masters.
    """
    return _records(book, reg, next(rows, []), rows, keys, remember=_STREAM_CACHE, later=later)


_STREAM_CACHE = 4096  # distinct cells remembered per column while streaming: memory stays flat


def _records(book: Book, reg: schema.Register, header: list, rows: Iterable[list],
             keys: Iterable[str] | None = None, remember: int | None = None,
             later: Iterable[str] = ()) -> Iterator[tuple[Record, Callable[[], None] | None]]:
    most = limits.current().cell_chars
    mapping = _map_header(book, reg, header)
    letters = {key: column_letter(i) for i, key in mapping.items()}
    book.columns[reg.sheet] = letters
    book.missing[reg.sheet] = {c.key for c in reg.columns} - set(mapping.values())
    wanted = set(mapping.values()) if keys is None else set(keys)
    # per column: the typed cell -> (ok, prepared value or reason); most cells repeat
    plan = [(i, key, {}, _preparer(book, reg.column(key))) for i, key in mapping.items() if key in wanted]
    extra = [(i, key, {}, _preparer(book, reg.column(key))) for i, key in mapping.items()
             if key in set(later) - wanted]
    book.distinct[reg.sheet] = {key: cache for _, key, cache, _ in plan + extra}
    width = max(mapping) + 1 if mapping else 0
    for row_no, row in enumerate(rows, start=2):
        if _blank_row(row):
            continue  # blank rows between entries are allowed
        if len(row) < width:
            row = list(row) + [None] * (width - len(row))
        raw, values = {}, {}
        _type_cells(book, reg, letters, plan, row, row_no, raw, values, remember, most)
        finish = partial(_type_cells, book, reg, letters, extra, row, row_no, raw, values, remember, most) if extra else None
        yield Record(reg.sheet, row_no, values, raw, letters), finish


def _type_cells(book: Book, reg: schema.Register, letters: dict[str, str], plan: list, row: list, row_no: int,
                raw: dict, values: dict, remember: int | None, most: int) -> None:
    for i, key, cache, prepare in plan:
        value = row[i]
        if value is None or value == "":
            continue
        hashable = value if type(value) is str else (type(value), value)  # = value_key(value), inlined
        try:
            ok, result = cache[hashable]
        except KeyError:
            if remember is not None and len(cache) >= remember:
                cache.clear()
            if type(value) is str and len(value) > most:
                raise _too_long(reg.sheet, f"{letters[key]}{row_no}", value, most)
            ok, result = cache[hashable] = _prepare(prepare, value)
        if ok is None:
            continue  # whitespace only: blank
        raw[key] = value
        if ok:
            if result is not None:
                values[key] = result
        else:
            column = reg.column(key)
            book.issues.append(_unreadable(reg.sheet, f"{letters[key]}{row_no}", column.header, column.kind,
                                           value, result))


def _unreadable(sheet: str, cell: str, header: str, kind: str, value, reason) -> Issue:
    """The one issue of a cell the reader could not type; no rule looks at the cell again."""
    if reason is _ERROR_VALUE:
        return Issue.make("cell-error-value", sheet, cell, header, messages.text("cell.error_value", エラー=value), value)
    return Issue.make(f"{kind}-invalid", sheet, cell, header, f"「{cells.display(value)}」: {reason}", value)


class CellTooLong(XlkitError):
    """Excel cannot hold such a cell: the file was not saved by Excel, or is an attack. Where
    it stands is kept, so that a reader of another workbook (a 照会票) can say it of its own sheet."""

    def __init__(self, sheet: str, cell: str, length: int, most: int):
        super().__init__(f"シート「{sheet}」セル {cell} の文字数が {length:,} 文字あります。"
                         f"1セルに入る文字数（{most:,} 文字）を超えているため、この登録簿は読めません。"
                         "Excel で開いて、このセルの内容を確かめてください。")
        self.cell, self.length, self.most = cell, length, most


def _too_long(sheet: str, cell: str, value: str, most: int) -> CellTooLong:
    return CellTooLong(sheet, cell, len(value), most)


def value_key(value):
    """A typed cell as a dictionary key: 1, 1.0 and True are equal in Python, so non-text carries its type."""
    return value if type(value) is str else (type(value), value)


# the reason a cell cannot be read when it shows an Excel error (#N/A …, as the buttons read
# them): reported as cell-error-value, whatever the column's kind
_ERROR_VALUE = object()


def _prepare(prepare, value) -> tuple:
    if cells.is_blank(value):
        return _BLANK
    if cells.is_excel_error(value):
        return False, _ERROR_VALUE
    try:
        return True, prepare(value)
    except cells.CellError as e:
        return False, e.reason


def _report_headerless_data(book: Book, reg: schema.Register, grid: list[list]) -> None:
    """Values under a blank header would be dropped without a word: say so, once per column."""
    header = grid[0] if grid else []
    width = max((len(row) for row in grid), default=0)
    for i in range(width):
        if i < len(header) and not cells.is_blank(header[i]):
            continue
        for row_no, row in enumerate(grid[1:], start=2):
            if i < len(row) and not cells.is_blank(row[i]):
                letter = column_letter(i)
                book.issues.append(Issue.make(
                    "header-blank", reg.sheet, f"{letter}1", "",
                    f"{letter}列には値がありますが（{letter}{row_no} など）、1行目に列名がありません。"
                    "この列の値は確認も集計もされません。列名を入力するか、値を消してください。", None))
                break


def _preparer(book: Book, column: schema.Column):
    if column.kind == "multi":
        canon = _canonical(book, column.master) if column.master else None

        def prepare_multi(value):
            parts = cells.multi(value)
            return [canon.get(cells.fold(p), p) for p in parts] if canon and parts else parts

        return prepare_multi
    prepare = cells.PREPARERS[column.kind]
    if column.master:
        canon = _canonical(book, column.master)

        def prepare_master(value):
            shown = prepare(value)
            return canon.get(cells.fold(shown), shown) if shown is not None else None

        return prepare_master
    return prepare


def _canonical(book: Book, master: str) -> dict[str, str]:
    # one division written two ways (生活福祉課 保護担当課) reads as the master's spelling;
    # validation still points at the variant
    return {cells.fold(v): v for v in book.master(master)}


def _map_header(book: Book, reg: schema.Register, header: list, *, master: bool = False) -> dict[int, str]:
    """Column index -> schema key of `reg`'s header row, with its issues: a header typed twice
    (header-duplicate), one close to a missing column's (header-misspelt, read as that column so
    that no value is lost), one of no column (header-unknown) and a column missing
    (header-missing: an error for a required one).

    `master`: a master sheet (課), whose header row holds more than its columns — xlkit's note
    beside the list, staff's memo columns — so an unknown header (or an error value) is passed
    over; 課 and 実施機関 stay in A and B when their headers are not found, as every register
    before 組織改正 read them; and the optional columns are said missing only when the sheet has
    one of them (a sheet of 課 and 実施機関 alone is one whose names never changed)."""
    by_fold = {cells.fold(c.header): c for c in reg.columns}
    mapping: dict[int, str] = {}
    unknown: list[tuple[int, str]] = []
    for i, value in enumerate(header):
        if cells.is_blank(value) or (master and cells.is_excel_error(value)):
            continue
        shown = cells.display(value).strip()
        column = by_fold.get(cells.fold(shown))
        if column is None:
            unknown.append((i, shown))
        elif column.key in mapping.values():
            first = next(j for j, k in mapping.items() if k == column.key)
            book.issues.append(Issue.make(
                "header-duplicate", reg.sheet, f"{column_letter(i)}1", column.header,
                f"列名「{shown}」が{column_letter(first)}列と重複しています。", shown))
        else:
            mapping[i] = column.key
    absent = [c for c in reg.columns if c.key not in mapping.values()]
    for i, shown in unknown:
        names = [c.header for c in absent]
        guess = difflib.get_close_matches(shown, names, n=1, cutoff=0.5)
        if guess:
            column = next(c for c in absent if c.header == guess[0])
            absent.remove(column)
            mapping[i] = column.key  # read it as the column it was meant to be, so no data is lost
            book.issues.append(Issue.make(
                "header-misspelt", reg.sheet, f"{column_letter(i)}1", column.header,
                f"列名「{shown}」は登録簿の列名ではありません。「{column.header}」の誤りではありませんか。"
                f"この列は「{column.header}」として確認しました。", shown))
        elif not master:
            book.issues.append(Issue.make(
                "header-unknown", reg.sheet, f"{column_letter(i)}1", shown,
                f"列名「{shown}」は登録簿の列ではありません（列名は {'、'.join(reg.headers)} のいずれかです）。"
                "この列の値は確認も集計もされません。", shown))
    if master:
        for key, i in (("name", 0), ("body", 1)):
            if any(c.key == key for c in absent) and i not in mapping:
                mapping[i] = key
                absent = [c for c in absent if c.key != key]
        if not any(not c.required and c.key in mapping.values() for c in reg.columns):
            absent = [c for c in absent if c.required]
    for column in absent:
        book.issues.append(Issue.make(
            "header-missing", reg.sheet, f"{column_letter(len(header))}1", column.header,
            f"列「{column.header}」がありません。1行目に列名「{column.header}」の列を追加してください。", None,
            severity=ERROR if column.required else WARNING))
    return dict(sorted(mapping.items()))


# --- 設定 ------------------------------------------------------------------------------

def _setting_cell(book: Book, sheet: str, key: str, title: str, row_no: int) -> None:
    """Record the B cell of a 設定 item; a second row of one item is an error (its value would be
    read from one row and written to one row while the other goes on saying something else)."""
    cell = f"B{row_no}"
    earlier = book.setting_cells.get(key)
    if earlier is not None and earlier != cell:
        book.setting_twice.setdefault(key, [earlier]).append(cell)
        book.issues.append(Issue.make("settings-duplicate", sheet, f"A{row_no}", "項目",
                                      f"設定の項目「{title}」が2行以上あります（{'、'.join(book.setting_twice[key])}）。"
                                      "1行を残して、ほかの行は削除してください。", title))
    book.setting_cells[key] = cell


def _read_settings(book: Book, grid: list[list] | None) -> None:
    reg = schema.settings()
    values: dict[str, Any] = {c.key: c.default for c in reg.columns if c.default is not None}
    previous: dict[str, int] = {}
    values["previous_published"] = previous
    if grid is None:
        book.issues.append(Issue.make("settings-missing", reg.sheet, "", "",
                                      "シート「設定」がないため、標準の設定で処理しました。"))
        book.settings = values
        return
    by_fold = {cells.fold(c.header): c for c in reg.columns}
    per_body = next(c for c in reg.columns if c.kind == "per-body")
    prefix = cells.fold(per_body.header)
    bodies = {cells.fold(b): b for b in book.bodies}
    for row_no, row in enumerate(grid, start=1):
        if not row or cells.is_blank(row[0]):
            continue
        item = cells.fold(row[0])
        value = row[1] if len(row) > 1 else None
        column = by_fold.get(item)
        if cells.is_excel_error(value) and (column is not None or item.startswith(prefix)):
            if column is not None:
                book.setting_cells[column.key] = f"B{row_no}"
            header = column.header if column is not None else cells.display(row[0])
            book.issues.append(_unreadable(reg.sheet, f"B{row_no}", header, "", value, _ERROR_VALUE))
            continue
        try:
            if column is not None and column.kind != "per-body":
                _setting_cell(book, reg.sheet, column.key, column.header, row_no)
                prepared = cells.PREPARERS[column.kind](value)
                if prepared is not None:
                    values[column.key] = prepared
            elif item.startswith(prefix) and item[len(prefix):].strip("()") in bodies:
                body = bodies[item[len(prefix):].strip("()")]
                _setting_cell(book, reg.sheet, f"{per_body.key}.{body}", schema.per_body_title(per_body.header, body),
                              row_no)
                amount = cells.integer(value, what="件数")
                if amount is not None:
                    previous[body] = amount
            elif row_no > 1:
                book.issues.append(Issue.make("settings-unknown", reg.sheet, f"A{row_no}", "項目",
                                              f"設定の項目「{cells.display(row[0])}」は使われません。", row[0]))
        except cells.CellError as e:
            header = column.header if column is not None else cells.display(row[0])
            book.issues.append(Issue.make("settings-invalid", reg.sheet, f"B{row_no}", header,
                                          f"「{header}」の値「{cells.display(value)}」: {e.reason}", value))
    book.settings = values
