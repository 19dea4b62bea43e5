"""Appending rows to a register sheet by splicing its XML, never by rewriting the workbook.

The new rows go below row `after` (the last row the reader found a value in). Only these parts
change: the sheet (the new rows, its dimension, a filter set on the sheet), the sheet's tables
(their range grows over the new rows), workbook.xml when a sheet filter's hidden name must grow
with it, and styles.xml when a date needs a format the file lacks. Every byte of the
sheet before and after the new rows stays as it was, so a formatted cell at P1048576 costs
nothing and the rows staff typed cannot change.

Inserting rows in the middle (組織改正) is xlkit.workbook.row_insert's.

Text is written as inline strings (sharedStrings.xml stays untouched); Excel turns them into
shared strings the next time it saves. Each new cell takes the format of the cell above, or
the column's format when the sheet has no data row yet; dates are real date cells.
"""

from __future__ import annotations

import re
from typing import Any

from xlkit import cells, messages, schema
from xlkit.addresses import column_index, column_letter
from xlkit.errors import Refusal, XlkitError
from xlkit.records import Book
from xlkit.workbook import sheet_xml, xml_attrs
from xlkit.workbook.package import Package
from xlkit.workbook.stylesheet import Stylesheet

_REF = re.compile(r"^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$")
KEEP_ROW_ATTRS = (b"s", b"customFormat", b"ht", b"customHeight", b"x14ac:dyDescent")


def append(package: Package, register: schema.Register, letters: dict[str, str],
           rows: list[dict[str, Any]], *, after: int) -> list[int]:
    """Write `rows` (schema key -> value) below row `after` of the register's sheet; their Excel rows."""
    if not rows:
        return []
    part = package.sheet_part(register.sheet)
    xml = package.read(part)
    styles = Stylesheet(package)
    epoch = sheet_xml.epoch(package)
    sheet = sheet_xml.Sheet(xml, package.path.name, register.sheet)
    above = sheet.cells(after) if after > 1 else {}
    above_attrs = sheet.row_attrs(after) if after > 1 else {}
    column_styles = sheet.column_styles()
    first, last = after + 1, after + len(rows)
    existing = sheet.rows_between(after, last)
    fmt = (styles, epoch, column_styles)
    pieces = [row_xml(sheet, register, letters, values, first + i, existing.get(first + i), above, above_attrs, fmt)
              for i, values in enumerate(rows)]
    edits = [grow_dimension(sheet.xml, last, max(column_index(x) + 1 for x in letters.values())),
             sheet.rows_edit(after, b"".join(pieces), existing)]
    sheet_filter = _grow_filter(sheet.xml, sheet.end, last)
    if sheet_filter:
        edits.append(sheet_filter[0])
        grow_filter_name(package, register.sheet, sheet_filter[1], sheet_filter[2])
    package.write(part, sheet.splice(edits))
    columns = {column_index(x) + 1 for x in letters.values()}
    for table in package.related(part, "table"):
        package.write(table, grow_table(package.read(table), last, package.path.name, columns))
    styles.save()
    return list(range(first, last + 1))


def row_xml(sheet: sheet_xml.Sheet, register: schema.Register, letters: dict[str, str], values: dict[str, Any], r: int,
         own, above: dict, above_attrs: dict, fmt) -> bytes:
    """New row `r` holding `values`: over the row there already (`own`, formatted or with cells
    outside the register), each cell formatted like the cell above (`above`), or its column."""
    styles, epoch, column_styles = fmt
    row_cells = dict(sheet.cells_of(own[3])) if own else {}
    for col, (attrs, _body) in above.items():
        if col not in row_cells and b"s" in attrs:
            row_cells[col] = ({b"s": attrs[b"s"]}, None)
    for key, letter in letters.items():
        column = register.column(key)
        value = cells.cell_value(values.get(key), separator=column.separator)
        if value is None:
            continue
        col = column_index(letter) + 1
        style = _style(row_cells.get(col), above.get(col), column_styles(col))
        row_cells[col] = sheet_xml.encode(value, style, styles, epoch, sheet)
    attrs = dict(own[2]) if own else {k: v for k, v in above_attrs.items() if k in KEEP_ROW_ATTRS}
    attrs[b"r"] = str(r).encode()
    attrs.pop(b"spans", None)
    return sheet.row_xml(attrs, row_cells)


def set_cells(package: Package, register: schema.Register, letters: dict[str, str],
              changes: dict[int, dict[str, Any]]) -> None:
    """Set cells of rows that exist: row -> {schema key: value}. Every other cell of the row keeps
    its bytes; a changed cell keeps its format (a date gets a date format like it).

    A cell holding a formula is refused, naming it: replaced by a value, a shared formula's
    first cell would leave the cells that share it without their formula (Excel then repairs
    the file, or shows nothing)."""
    if not changes:
        return
    part = package.sheet_part(register.sheet)
    sheet = sheet_xml.Sheet(package.read(part), package.path.name, register.sheet)
    styles = Stylesheet(package)
    epoch = sheet_xml.epoch(package)
    column_styles = sheet.column_styles()
    edits = []
    formulas: list[str] = []
    for r in sorted(changes):
        found = sheet.find(r)
        if found is None:
            raise XlkitError(messages.text("register.row_missing", ファイル=package.path.name, シート=register.sheet, 行=r))
        start, end, attrs = found
        targets = {f"{letters[key]}{r}" for key in changes[r]}
        formulas += [cell for cell in sheet_xml.formula_cells(sheet, sheet.xml[start:end], r) if cell in targets]
        if formulas:
            continue  # every such cell is named below; nothing has been written
        row_cells = dict(sheet.cells_of(sheet.xml[start:end]))
        for key, value in changes[r].items():
            column = register.column(key)
            col = column_index(letters[key]) + 1
            own = row_cells.get(col)
            style = _style(own, None, column_styles(col))
            value = cells.cell_value(value, separator=column.separator)
            if value is None:
                row_cells[col] = ({b"s": str(style).encode()} if style is not None else {}, None)
            else:
                row_cells[col] = sheet_xml.encode(value, style, styles, epoch, sheet)
        attrs = dict(attrs)
        attrs[b"r"] = str(r).encode()
        attrs.pop(b"spans", None)
        edits.append((start, end, sheet.row_xml(attrs, row_cells)))
    if formulas:
        raise Refusal("register.formula_cell", ファイル=package.path.name, シート=register.sheet,
                      セル="、".join(messages.first(formulas, 5)))
    package.write(part, sheet.splice(edits))
    styles.save()


def rewrite(package: Package, register: schema.Register, letters: dict[str, str], rows: list[dict[str, Any]]) -> None:
    """Replace every row below the header of the register's sheet with `rows` (a sheet only
    xlkit writes, such as 回答状況)."""
    part = package.sheet_part(register.sheet)
    sheet = sheet_xml.Sheet(package.read(part), package.path.name, register.sheet)
    below = sheet.rows_between(1, sheet_xml.LAST_ROW)
    if below:
        package.write(part, sheet.splice([sheet.rows_edit(1, b"", below)]))
    append(package, register, letters, rows, after=1)


def _style(own, above, column) -> int | None:
    for found in (own, above):
        if found and b"s" in found[0]:
            return int(found[0][b"s"])
    return column


def ref_bounds(ref: str) -> tuple[str, int, str, int] | None:
    m = _REF.match(ref)
    if not m:
        return None
    return m[1], int(m[2]), m[3] or m[1], int(m[4] or m[2])


_DIMENSION = xml_attrs.start_tag(b"dimension")
_AUTO_FILTER = xml_attrs.start_tag(b"autoFilter")
_DEFINED_NAME = xml_attrs.start_tag(b"definedName", rb"(?P<text>[^<]*)<")
_TABLE = xml_attrs.start_tag(b"table")


def _ref_at(xml: bytes, tag: re.Pattern, pos: int = 0, endpos: int | None = None) -> tuple[int, int] | None:
    """Where the ref of the first `tag` in xml[pos:endpos] lies (in either quote, as XML allows)."""
    m = tag.search(xml, pos, len(xml) if endpos is None else endpos)
    at = xml_attrs.attribute_at(m["attrs"], b"ref") if m else None
    return (m.start("attrs") + at[0], m.start("attrs") + at[1]) if at else None


def grow_dimension(xml: bytes, last: int, width: int) -> tuple[int, int, bytes] | None:
    """Where the sheet's dimension ref is and what it becomes with rows down to `last`."""
    at = _ref_at(xml, _DIMENSION, 0, 4096)
    if not at:
        return None
    bounds = ref_bounds(xml[at[0]:at[1]].decode())
    if bounds is None:
        return None
    first_col, first_row, last_col, last_row = bounds
    last_col = max(last_col, column_letter(width - 1), key=lambda c: (len(c), c))
    return at[0], at[1], f"{first_col}{first_row}:{last_col}{max(last_row, last)}".encode()


def _grow_filter(xml: bytes, after_rows: int, last: int) -> tuple[tuple[int, int, bytes], bytes, bytes] | None:
    """The edit that grows the sheet's own filter (one set without a table) down to row `last`,
    and its old and new ref."""
    at = _ref_at(xml, _AUTO_FILTER, after_rows)
    old = xml[at[0]:at[1]] if at else b""
    bounds = ref_bounds(old.decode()) if at else None
    if bounds is None or bounds[3] >= last:
        return None
    new = f"{bounds[0]}{bounds[1]}:{bounds[2]}{last}".encode()
    return (at[0], at[1], new), old, new


def grow_filter_name(package: Package, sheet: str, old: bytes, new: bytes) -> None:
    """Excel keeps a sheet filter's range in the hidden name _xlnm._FilterDatabase too."""
    index = b"%d" % list(package.sheet_parts()).index(sheet)
    workbook = package.read("xl/workbook.xml")
    for m in _DEFINED_NAME.finditer(workbook):
        attrs = xml_attrs.attributes(m["attrs"])
        if not m["empty"] and attrs.get(b"name") == b"_xlnm._FilterDatabase" \
                and attrs.get(b"localSheetId", b"").strip() == index:
            break
    else:
        return

    def absolute(ref: bytes) -> bytes:
        return re.sub(rb"([A-Z]+)(\d+)", rb"$\1$\2", ref)

    grown = m["text"].replace(absolute(old), absolute(new))
    if grown != m["text"]:
        package.write("xl/workbook.xml", workbook[:m.start("text")] + grown + workbook[m.end("text"):])


def holds_register(top: int, left: int, right: int, columns: set[int]) -> bool:
    """Whether a table (rows from `top`, columns `left`..`right`, numbered from 1) is the register's
    own: headed on row 1 and over its columns. Only that table grows over new rows; a table staff
    keep beside it (S1:T3) stays as it is. Both doors ask this (the button: xlkit.macros_survey)."""
    return top == 1 and any(left <= c <= right for c in columns)


def grow_table(xml: bytes, last: int, file_name: str, columns: set[int]) -> bytes:
    """The register table's range (and its filter's) down to row `last`, when it ended above it."""
    root = _TABLE.search(xml)
    if root is None:
        return xml
    attrs = xml_attrs.attributes(root["attrs"])
    bounds = ref_bounds(attrs.get(b"ref", b"").decode())
    if bounds is None or not holds_register(bounds[1], column_index(bounds[0]) + 1, column_index(bounds[2]) + 1,
                                            columns):
        return xml
    if int(attrs.get(b"totalsRowCount", b"0") or 0):
        raise XlkitError(f"「{file_name}」の表に集計行があるため、行を追加できません。"
                         "Excel で「テーブルデザイン」の「集計行」を外してから実行してください。")
    if bounds[3] >= last:
        return xml
    old = attrs[b"ref"]
    new = f"{bounds[0]}{bounds[1]}:{bounds[2]}{last}".encode()
    # the table's ref and its filter's, in whichever quote each is written
    return re.sub(rb"""(\sref\s*=\s*(["']))%s\2""" % re.escape(old), lambda m: m[1] + new + m[2], xml)


# --------------------------------------------------------------------------- reading back


def check_appended(package: Package, register: schema.Register, book: Book, values: list[dict[str, Any]],
                   after: int) -> None:
    """The rows below `after` read back as `values` (see check_rows)."""
    check_rows(package, register, book, dict(zip(range(after + 1, after + len(values) + 1), values)))


def check_rows(package: Package, register: schema.Register, book: Book, expected: dict[int, dict[str, Any]], *,
               only: set[str] | None = None) -> None:
    """The rows `expected` (Excel row -> values), as `append` or `set_cells` wrote them into
    `package`, read back by an XML parser and typed as the reader types them, are those values.
    The other rows are the original bytes (the splice keeps them), so reading them again would
    only cost time: seconds on 100,000 rows. The register writer then checks that the file it
    writes holds exactly these parts. With `only`, just those columns are read back (the cells
    `set_cells` wrote; the row's other cells are its original bytes, shared strings among them)."""
    from xlkit.register import stream_register

    def refuse(reason: str) -> Refusal:
        return Refusal("register.unverified", ファイル=package.path.name, 理由=reason)

    sheet = sheet_xml.Sheet(package.read(package.sheet_part(register.sheet)), package.path.name, register.sheet)
    styles = Stylesheet(package)
    epoch = sheet_xml.epoch(package)
    letters = book.columns[register.sheet]
    width = max(column_index(x) for x in letters.values()) + 1
    header: list = [None] * width
    for key, letter in letters.items():
        header[column_index(letter)] = register.column(key).header
    grid = [header]
    for r in sorted(expected):
        try:
            read = sheet.row_values(r, width, styles, epoch)
        except XlkitError as e:
            raise refuse(e.message) from None
        if read is None:
            raise refuse(f"{r}行目がありません")
        if only is not None:
            read = [v if header[i] is not None and _key_at(letters, i) in only else None for i, v in enumerate(read)]
        grid.append(read)
    # the book's masters, but its own column maps: typing these rows must not change `book`
    shadow = book.shadow()
    rows = [record.values for record, _ in stream_register(shadow, register, iter(grid))]
    wanted = [expected[r] if only is None else {k: v for k, v in expected[r].items() if k in only}
              for r in sorted(expected)]
    if rows != wanted:
        raise refuse("読み直した行が書いた行と違います")


def _key_at(letters: dict[str, str], index: int) -> str | None:
    return next((k for k, x in letters.items() if column_index(x) == index), None)
