"""Appending rows to a register sheet by splicing its XML, never by rewriting the workbook.

The new rows go below row `after` (the last row the reader found a value in). Only these parts
change: the sheet (the new rows, its dimension, a filter set on the sheet), the sheet's tables
(their range grows over the new rows), workbook.xml when a sheet filter's hidden name must grow
with it, and styles.xml when a date needs a format the file lacks. Every byte of the
sheet before and after the new rows stays as it was, so a formatted cell at P1048576 costs
nothing and the rows staff typed cannot change.

Text is written as inline strings (sharedStrings.xml stays untouched); Excel turns them into
shared strings the next time it saves. Each new cell takes the format of the cell above, or
the column's format when the sheet has no data row yet; dates are real date cells.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from xlkit import cells, schema
from xlkit.addresses import column_index, column_letter, split_cell
from xlkit.errors import Refusal, XlkitError
from xlkit.records import Book
from xlkit.workbook.package import Package
from xlkit.workbook.stylesheet import Stylesheet

_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ATTRS = re.compile(rb'([\w:]+)="([^"]*)"')
_REF = re.compile(r"^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$")
# characters XML 1.0 cannot hold, and Excel's own escape for them (_x0001_); a literal
# "_x0041_" typed by staff must have its underscore escaped, or Excel would show "A"
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff\ud800-\udfff]|_(?=x[0-9A-Fa-f]{4}_)")
_KEEP_ROW_ATTRS = (b"s", b"customFormat", b"ht", b"customHeight", b"x14ac:dyDescent")


def append(package: Package, register: schema.Register, letters: dict[str, str],
           rows: list[dict[str, Any]], *, after: int) -> list[int]:
    """Write `rows` (schema key -> value) below row `after` of the register's sheet; their Excel rows."""
    if not rows:
        return []
    part = package.sheet_part(register.sheet)
    xml = package.read(part)
    styles = Stylesheet(package)
    epoch = _epoch(package)
    sheet = _Sheet(xml, package.path.name, register.sheet)
    above = sheet.cells(after) if after > 1 else {}
    above_attrs = sheet.row_attrs(after) if after > 1 else {}
    column_styles = sheet.column_styles()
    first, last = after + 1, after + len(rows)
    existing = sheet.rows_between(after, last)
    pieces = []
    for i, values in enumerate(rows):
        r = first + i
        own = existing.get(r)
        row_cells = dict(sheet.cells_of(own[3])) if own else {}
        for col, (attrs, body) in above.items():
            if col not in row_cells and b"s" in attrs:
                row_cells[col] = ({b"s": attrs[b"s"]}, None)
        for key, letter in letters.items():
            column = register.column(key)
            value = cells.cell_value(values.get(key), separator=column.separator)
            if value is None:
                continue
            col = column_index(letter) + 1
            style = _style(row_cells.get(col), above.get(col), column_styles(col))
            row_cells[col] = _cell(value, column.kind == "date", style, styles, epoch, sheet)
        attrs = dict(own[2]) if own else {k: v for k, v in above_attrs.items() if k in _KEEP_ROW_ATTRS}
        attrs[b"r"] = str(r).encode()
        attrs.pop(b"spans", None)
        pieces.append(sheet.row_xml(attrs, row_cells))
    edits = [_grow_dimension(sheet.xml, last, max(column_index(x) + 1 for x in letters.values())),
             sheet.rows_edit(after, b"".join(pieces), existing)]
    sheet_filter = _grow_filter(sheet.xml, sheet.end, last)
    if sheet_filter:
        edits.append(sheet_filter[0])
        _grow_filter_name(package, register.sheet, sheet_filter[1], sheet_filter[2])
    package.write(part, sheet.splice(edits))
    for table in package.related(part, "table"):
        package.write(table, _grow_table(package.read(table), last, package.path.name))
    styles.save()
    return list(range(first, last + 1))


def _style(own, above, column) -> int | None:
    for found in (own, above):
        if found and b"s" in found[0]:
            return int(found[0][b"s"])
    return column


def _cell(value, is_date: bool, style: int | None, styles: Stylesheet, epoch: dt.datetime, sheet) -> tuple[dict, bytes]:
    attrs: dict[bytes, bytes] = {}
    if isinstance(value, (dt.date, dt.datetime)):
        style = styles.date_style(style)
        moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        serial = (moment - epoch) / dt.timedelta(days=1)
        if epoch.year == 1899 and serial < 61:  # Excel's fictitious 29 Feb 1900
            serial -= 1
        body = sheet.tag(b"v", _number(serial))
    elif isinstance(value, bool):
        attrs[b"t"] = b"b"
        body = sheet.tag(b"v", b"1" if value else b"0")
    elif isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise XlkitError(f"数値として書き込めない値です（{value}）。")
        body = sheet.tag(b"v", _number(value))
    else:
        attrs[b"t"] = b"inlineStr"
        body = sheet.tag(b"is", sheet.tag(b"t", _text(str(value)), b' xml:space="preserve"'))
    if style is not None:
        attrs[b"s"] = str(style).encode()
    return attrs, body


def _number(value: float) -> bytes:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    return repr(value).encode()


def _text(text: str) -> bytes:
    text = _UNWRITABLE.sub(lambda m: f"_x{ord(m[0]):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")


def _epoch(package: Package) -> dt.datetime:
    workbook = package.read("xl/workbook.xml")
    pr = re.search(rb"<(?:\w+:)?workbookPr\b[^>]*>", workbook)
    if pr and re.search(rb'date1904="(1|true)"', pr[0]):
        return dt.datetime(1904, 1, 1)
    return dt.datetime(1899, 12, 30)


class _Sheet:
    """One worksheet's XML, located once: sheetData, its rows, its namespace prefix."""

    def __init__(self, xml: bytes, file_name: str, sheet: str):
        m = _SHEET_DATA.search(xml)
        if m is None:
            raise XlkitError(f"「{file_name}」の「{sheet}」シートが壊れているため、書き込めません（行データがありません）。")
        self.p = m[1] or b""
        if m[2]:  # <sheetData/>: open it so that rows fit in
            xml = xml[:m.start()] + b"<%ssheetData>" % self.p + b"</%ssheetData>" % self.p + xml[m.end():]
            m = _SHEET_DATA.search(xml)
        self.xml = xml
        self.start = m.end()
        self.end = xml.rfind(b"</%ssheetData>" % self.p)
        self._row = re.compile(rb"<%srow\b([^>]*?)(/?)>" % re.escape(self.p))
        self._cell = re.compile(rb"<%sc\b([^>]*?)(?:/>|>(.*?)</%sc>)" % (re.escape(self.p), re.escape(self.p)), re.S)
        self._located: dict[int, tuple[int, int, dict]] = {}

    def tag(self, name: bytes, body: bytes, attrs: bytes = b"") -> bytes:
        return b"<%s%s%s>%s</%s%s>" % (self.p, name, attrs, body, self.p, name)

    def _rows_from(self, pos: int, number: int):
        """(number, start, end, attrs) of each row from `pos`; `number` is the row before it."""
        close = b"</%srow>" % self.p
        for m in self._row.finditer(self.xml, pos, self.end):
            attrs = dict(_ATTRS.findall(m[1]))
            number = int(attrs[b"r"]) if b"r" in attrs else number + 1
            end = m.end() if m[2] else self.xml.index(close, m.end()) + len(close)
            yield number, m.start(), end, attrs

    def _find(self, row: int):
        if row in self._located:
            return self._located[row]
        # fast path: Excel and XlsxWriter write r first
        pos = self.xml.find(b'<%srow r="%d"' % (self.p, row), self.start, self.end)
        candidates = self._rows_from(pos, row - 1) if pos >= 0 else self._rows_from(self.start, 0)
        for number, start, end, attrs in candidates:
            if number == row:
                self._located[row] = (start, end, attrs)
                return self._located[row]
            if number > row:
                break
        return None

    def row_attrs(self, row: int) -> dict:
        found = self._find(row)
        return found[2] if found else {}

    def cells(self, row: int) -> dict[int, tuple[dict, bytes | None]]:
        found = self._find(row)
        return dict(self.cells_of(self.xml[found[0]:found[1]])) if found else {}

    def cells_of(self, row_xml: bytes):
        col = 0
        for m in self._cell.finditer(row_xml):
            attrs = dict(_ATTRS.findall(m[1]))
            where = split_cell(attrs.get(b"r", b"").decode())
            col = column_index(where[0]) + 1 if where else col + 1
            attrs.pop(b"r", None)  # row_xml writes every cell's address
            yield col, (attrs, m[2])

    def rows_between(self, after: int, last: int) -> dict[int, tuple[int, int, dict, bytes]]:
        """Rows after+1..last that exist already (formatted, or with cells outside the register):
        number -> (start, end, attributes, XML)."""
        found = {}
        above = self._find(after)
        pos, number = (above[1], after) if above else (self.start, 0)
        for number, start, end, attrs in self._rows_from(pos, number):
            if number <= after:
                continue
            if number > last:
                break
            found[number] = (start, end, attrs, self.xml[start:end])
        return found

    def column_styles(self):
        """A function: column number -> the format of its <col> entry, if any."""
        spans = []
        for m in re.finditer(rb"<%scol\b([^>]*)/?>" % re.escape(self.p), self.xml[:self.start]):
            attrs = dict(_ATTRS.findall(m[1]))
            if b"style" in attrs and b"min" in attrs and b"max" in attrs:
                spans.append((int(attrs[b"min"]), int(attrs[b"max"]), int(attrs[b"style"])))

        def style(col: int) -> int | None:
            return next((s for low, high, s in spans if low <= col <= high), None)

        return style

    def row_xml(self, attrs: dict, row_cells: dict) -> bytes:
        r = attrs[b"r"]
        out = [b"<%srow%s>" % (self.p, _attrs(attrs))]
        for col in sorted(row_cells):
            cell_attrs, body = row_cells[col]
            cell_attrs = {b"r": column_letter(col - 1).encode() + r, **{k: v for k, v in cell_attrs.items() if k != b"r"}}
            if body is None:
                out.append(b"<%sc%s/>" % (self.p, _attrs(cell_attrs)))
            else:
                out.append(b"<%sc%s>%s</%sc>" % (self.p, _attrs(cell_attrs), body, self.p))
        out.append(b"</%srow>" % self.p)
        return b"".join(out)

    def rows_edit(self, after: int, new_rows: bytes, existing: dict) -> tuple[int, int, bytes]:
        """The edit that puts `new_rows` in place of the `existing` rows below `after`."""
        if existing:
            return min(v[0] for v in existing.values()), max(v[1] for v in existing.values()), new_rows
        point = self._insert_point(after, self._find(after))
        return point, point, new_rows

    def splice(self, edits: list[tuple[int, int, bytes] | None]) -> bytes:
        """The sheet with each (start, end, replacement) edit made. Built in one join of views of
        the original, so a 50 MB sheet is copied once, not once per edit."""
        whole = memoryview(self.xml)
        pieces, pos = [], 0
        for start, end, replacement in sorted(e for e in edits if e is not None):
            pieces += [whole[pos:start], replacement]
            pos = end
        pieces.append(whole[pos:])
        return b"".join(pieces)

    def _insert_point(self, after: int, above) -> int:
        pos, number = (above[1], after) if above else (self.start, 0)
        for number, start, _end, _attrs in self._rows_from(pos, number):
            if number > after:
                return start
        return self.end


def _attrs(attrs: dict) -> bytes:
    return b"".join(b' %s="%s"' % (k, v) for k, v in attrs.items())


def _bounds(ref: str) -> tuple[str, int, str, int] | None:
    m = _REF.match(ref)
    if not m:
        return None
    return m[1], int(m[2]), m[3] or m[1], int(m[4] or m[2])


def _grow_dimension(xml: bytes, last: int, width: int) -> tuple[int, int, bytes] | None:
    """Where the sheet's dimension ref is and what it becomes with rows down to `last`."""
    m = re.search(rb'<(?:\w+:)?dimension\b[^>]*?ref="([^"]*)"', xml[:4096])
    if not m:
        return None
    bounds = _bounds(m[1].decode())
    if bounds is None:
        return None
    first_col, first_row, last_col, last_row = bounds
    last_col = max(last_col, column_letter(width - 1), key=lambda c: (len(c), c))
    return m.start(1), m.end(1), f"{first_col}{first_row}:{last_col}{max(last_row, last)}".encode()


def _grow_filter(xml: bytes, after_rows: int, last: int) -> tuple[tuple[int, int, bytes], bytes, bytes] | None:
    """The edit that grows the sheet's own filter (one set without a table) down to row `last`,
    and its old and new ref."""
    m = re.compile(rb'<(?:\w+:)?autoFilter\b[^>]*?ref="([^"]*)"').search(xml, after_rows)
    bounds = _bounds(m[1].decode()) if m else None
    if bounds is None or bounds[3] >= last:
        return None
    new = f"{bounds[0]}{bounds[1]}:{bounds[2]}{last}".encode()
    return (m.start(1), m.end(1), new), m[1], new


def _grow_filter_name(package: Package, sheet: str, old: bytes, new: bytes) -> None:
    """Excel keeps a sheet filter's range in the hidden name _xlnm._FilterDatabase too."""
    index = list(package.sheet_parts()).index(sheet)
    workbook = package.read("xl/workbook.xml")
    name = re.compile(rb'(<(?:\w+:)?definedName\b[^>]*name="_xlnm\._FilterDatabase"[^>]*localSheetId="%d"[^>]*>)([^<]*)<'
                      % index)
    m = name.search(workbook)
    if not m:
        return
    def absolute(ref: bytes) -> bytes:
        return re.sub(rb"([A-Z]+)(\d+)", rb"$\1$\2", ref)

    grown = m[2].replace(absolute(old), absolute(new))
    if grown != m[2]:
        package.write("xl/workbook.xml", workbook[:m.start(2)] + grown + workbook[m.end(2):])


def _grow_table(xml: bytes, last: int, file_name: str) -> bytes:
    """The table's range (and its filter's) down to row `last`, when it ended above it."""
    root = re.search(rb"<(?:\w+:)?table\b[^>]*>", xml)
    if root is None:
        return xml
    attrs = dict(_ATTRS.findall(root[0]))
    if int(attrs.get(b"totalsRowCount", b"0") or 0):
        raise XlkitError(f"「{file_name}」の表に集計行があるため、行を追加できません。"
                         "Excel で「テーブルデザイン」の「集計行」を外してから実行してください。")
    bounds = _bounds(attrs.get(b"ref", b"").decode())
    if bounds is None or bounds[3] >= last:
        return xml
    old = attrs[b"ref"]
    new = f"{bounds[0]}{bounds[1]}:{bounds[2]}{last}".encode()
    return xml.replace(b'ref="%s"' % old, b'ref="%s"' % new)


# --------------------------------------------------------------------------- reading back


def check_appended(written: Path, register: schema.Register, book: Book, values: list[dict[str, Any]],
                   after: int) -> None:
    """The rows below `after` in the written copy read back, typed as the reader types them, as
    `values`. Rows above are the original bytes (the splice keeps them), so reading them again
    would only cost time: seconds on a 100,000-row register."""
    from xml.etree import ElementTree

    from xlkit.register import stream_register

    def refuse(reason: str) -> Refusal:
        return Refusal("register.unverified", ファイル=book.path.name if book.path else written.name, 理由=reason)

    with Package(written) as package:
        sheet = _Sheet(package.read(package.sheet_part(register.sheet)), written.name, register.sheet)
        styles = Stylesheet(package)
        epoch = _epoch(package)
    letters = book.columns[register.sheet]
    width = max(column_index(x) for x in letters.values()) + 1
    header: list = [None] * width
    for key, letter in letters.items():
        header[column_index(letter)] = register.column(key).header
    grid = [header]
    namespaces = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    if sheet.p:
        namespaces += b' xmlns:%s="http://schemas.openxmlformats.org/spreadsheetml/2006/main"' % sheet.p[:-1]
    for r in range(after + 1, after + len(values) + 1):
        found = sheet._find(r)
        if found is None:
            raise refuse(f"{r}行目がありません")
        try:
            row = ElementTree.fromstring(b"<sheetData %s>%s</sheetData>" % (namespaces, sheet.xml[found[0]:found[1]]))
        except ElementTree.ParseError:
            raise refuse(f"{r}行目を XML として読めません") from None
        cells_read: list = [None] * width
        for cell in row.iter(f"{_MAIN}c"):
            where = split_cell(cell.get("r", ""))
            col = column_index(where[0]) if where else -1
            if 0 <= col < width:
                cells_read[col] = _value_of(cell, styles, epoch)
        grid.append(cells_read)
    shadow = Book(divisions=book.divisions, bodies=book.bodies, categories=book.categories,
                  results=book.results, marked=book.marked, settings=book.settings)
    rows = [r.values for r in stream_register(shadow, register, iter(grid))]
    if rows != values:
        raise refuse("読み直した行が書いた行と違います")


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _value_of(cell, styles: Stylesheet, epoch: dt.datetime):
    """A written cell's value as calamine gives it: text, a number, True/False, or a date."""
    kind = cell.get("t")
    if kind == "inlineStr":
        text = "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
        return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text)
    v = cell.find(f"{_MAIN}v")
    if v is None or v.text is None:
        return None
    if kind == "b":
        return v.text == "1"
    number = float(v.text)
    style = cell.get("s")
    if styles.is_date(int(style) if style else None):
        if epoch.year == 1899 and number < 61:
            number += 1
        return epoch + dt.timedelta(days=number)
    return int(number) if number.is_integer() else number
