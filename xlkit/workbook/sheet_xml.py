"""One worksheet's XML as the register writer sees it: rows found by number without parsing the
whole sheet, cells by column, and cell values written and read back in Excel's own encodings
(inline strings with _xHHHH_ escapes, date serials from 1900 or 1904).

Everything here works on the sheet's bytes with a few regular expressions, so a 50 MB sheet is
searched, never parsed whole; only the rows written are parsed back, with ElementTree.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from xml.sax.saxutils import escape

from xlkit.addresses import column_index, column_letter, split_cell
from xlkit.cells import is_blank
from xlkit.errors import XlkitError
from xlkit.workbook.package import Package
from xlkit.workbook.stylesheet import Stylesheet
from xlkit.workbook.xml_attrs import attributes, attrs_xml  # noqa: F401 (row_insert reads them from here too)

_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*?)/?>(?:</(?:\w+:)?col>)?")
# characters XML 1.0 cannot hold, and Excel's own escape for them (_x0001_); a literal
# "_x0041_" typed by staff must have its underscore escaped, or Excel would show "A"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
MAIN_URI = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAST_ROW = 1_048_576  # the last row of a sheet
_MAIN = "{%s}" % MAIN_URI.decode()
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff\ud800-\udfff]|_(?=x[0-9A-Fa-f]{4}_)")


class Sheet:
    """One worksheet's XML, located once: sheetData, its rows, its namespace prefix."""

    def __init__(self, xml: bytes, file_name: str, sheet: str):
        m = _SHEET_DATA.search(xml)
        if m is None:
            raise XlkitError(f"「{file_name}」の「{sheet}」シートが壊れているため、書き込めません（行データがありません）。")
        self.p = m[1] or b""
        if m[2]:  # <sheetData/>: open it so that rows fit in
            xml = xml[:m.start()] + b"<%ssheetData>" % self.p + b"</%ssheetData>" % self.p + xml[m.end():]
            m = _SHEET_DATA.search(xml)
        if xml.count(b"sheetData") > 2 and _SHEET_DATA.search(xml, m.end()):  # a count first: 46 MB by regex took 0.2 s
            # calamine reads the first; rows written into the second would be lost without a word
            raise XlkitError(f"「{file_name}」の「{sheet}」シートに行データ（sheetData）が二つあるため、書き込めません"
                             "（壊れたファイルです）。Excel で開いて保存し直してください。")
        self.xml = xml
        self.start = m.end()
        self.end = xml.find(b"</%ssheetData>" % self.p, self.start)
        self._row = re.compile(rb"<%srow\b([^>]*?)(/?)>" % re.escape(self.p))
        self._cell = re.compile(rb"<%sc\b([^>]*?)(?:/>|>(.*?)</%sc>)" % (re.escape(self.p), re.escape(self.p)), re.S)
        self._located: dict[int, tuple[int, int, dict]] = {}
        self._last: tuple[int, int] | None = None  # (row, end) of the row found last

    def tag(self, name: bytes, body: bytes, attrs: bytes = b"") -> bytes:
        return b"<%s%s%s>%s</%s%s>" % (self.p, name, attrs, body, self.p, name)

    def _rows_from(self, pos: int, number: int):
        """(number, start, end, attrs) of each row from `pos`; `number` is the row before it."""
        close = b"</%srow>" % self.p
        for m in self._row.finditer(self.xml, pos, self.end):
            attrs = attributes(m[1])
            number = int(attrs[b"r"]) if b"r" in attrs else number + 1
            end = m.end() if m[2] else self.xml.index(close, m.end()) + len(close)
            yield number, m.start(), end, attrs

    def find(self, row: int):
        if row in self._located:
            return self._located[row]
        # fast path: Excel and XlsxWriter write r first, rows in order; the search starts after
        # the last row found below this one (reading back 1,000 appended rows searched a 46 MB
        # sheet from its top 1,000 times)
        below = self._last if self._last is not None and self._last[0] < row else (0, self.start)
        pos = self.xml.find(b'<%srow r="%d"' % (self.p, row), below[1], self.end)
        if pos < 0 and below[1] != self.start:
            pos = self.xml.find(b'<%srow r="%d"' % (self.p, row), self.start, self.end)
        candidates = self._rows_from(pos, row - 1) if pos >= 0 else self._rows_from(self.start, 0)
        for number, start, end, attrs in candidates:
            if number == row:
                self._located[row] = (start, end, attrs)
                self._last = (row, end)
                return self._located[row]
            if number > row:
                break
        return None

    def row_attrs(self, row: int) -> dict:
        found = self.find(row)
        return found[2] if found else {}

    def cells(self, row: int) -> dict[int, tuple[dict, bytes | None]]:
        found = self.find(row)
        return dict(self.cells_of(self.xml[found[0]:found[1]])) if found else {}

    def cells_of(self, row_xml: bytes):
        col = 0
        for m in self._cell.finditer(row_xml):
            attrs = attributes(m[1])
            where = split_cell(attrs.get(b"r", b"").decode())
            col = column_index(where[0]) + 1 if where else col + 1
            attrs.pop(b"r", None)  # row_xml writes every cell's address
            yield col, (attrs, m[2])

    def rows_between(self, after: int, last: int) -> dict[int, tuple[int, int, dict, bytes]]:
        """Rows after+1..last that exist already (formatted, or with cells outside the register):
        number -> (start, end, attributes, XML)."""
        found = {}
        above = self.find(after)
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
            attrs = attributes(m[1])
            if b"style" in attrs and b"min" in attrs and b"max" in attrs:
                spans.append((int(attrs[b"min"]), int(attrs[b"max"]), int(attrs[b"style"])))

        def style(col: int) -> int | None:
            return next((s for low, high, s in spans if low <= col <= high), None)

        return style

    def col_entries(self):
        """The sheet's <cols> block (a match: group 1 its content) and its <col> entries as
        (min, max, attributes, match in group 1), for a step that edits column widths; None when the
        sheet has no <cols> (Excel's default widths) or one not read simply (an entry without min/max)."""
        p = re.escape(self.p)
        block = re.compile(rb"<%scols\b[^>]*>(.*?)</%scols>" % (p, p), re.S).search(self.xml, 0, self.start)
        if block is None:
            return None
        entries = []
        for m in _COL.finditer(block[1]):
            attrs = attributes(m[1])
            try:
                entries.append((int(attrs[b"min"]), int(attrs[b"max"]), attrs, m))
            except (KeyError, ValueError):
                return None
        return block, entries

    def row_xml(self, attrs: dict, row_cells: dict) -> bytes:
        r = attrs[b"r"]
        out = [b"<%srow%s>" % (self.p, attrs_xml(attrs))]
        for col in sorted(row_cells):
            cell_attrs, body = row_cells[col]
            cell_attrs = {b"r": column_letter(col - 1).encode() + r, **{k: v for k, v in cell_attrs.items() if k != b"r"}}
            if body is None:
                out.append(b"<%sc%s/>" % (self.p, attrs_xml(cell_attrs)))
            else:
                out.append(b"<%sc%s>%s</%sc>" % (self.p, attrs_xml(cell_attrs), body, self.p))
        out.append(b"</%srow>" % self.p)
        return b"".join(out)

    def rows_edit(self, after: int, new_rows: bytes, existing: dict) -> tuple[int, int, bytes]:
        """The edit that puts `new_rows` in place of the `existing` rows below `after`."""
        if existing:
            return min(v[0] for v in existing.values()), max(v[1] for v in existing.values()), new_rows
        point = self._insert_point(after, self.find(after))
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

    def row_values(self, row: int, width: int, styles: Stylesheet, epoch: dt.datetime) -> list | None:
        """Row `row`'s first `width` cells as calamine reads them, parsed by a real XML parser;
        None when the row is not there. Raises XlkitError when it is not well-formed XML."""
        from xml.etree import ElementTree

        found = self.find(row)
        if found is None:
            return None
        namespaces = b'xmlns="%s"' % MAIN_URI
        if self.p:
            namespaces += b' xmlns:%s="%s"' % (self.p[:-1], MAIN_URI)
        try:
            element = ElementTree.fromstring(b"<sheetData %s>%s</sheetData>" % (namespaces, self.xml[found[0]:found[1]]))
        except ElementTree.ParseError:
            raise XlkitError(f"{row}行目を XML として読めません") from None
        values: list = [None] * width
        for cell in element.iter(f"{_MAIN}c"):
            where = split_cell(cell.get("r", ""))
            col = column_index(where[0]) if where else -1
            if 0 <= col < width:
                values[col] = decode(cell, styles, epoch)
        return values

    def _insert_point(self, after: int, above) -> int:
        pos, number = (above[1], after) if above else (self.start, 0)
        for number, start, _end, _attrs in self._rows_from(pos, number):
            if number > after:
                return start
        return self.end


def open_sheet(package: Package, name: str) -> tuple[str, Sheet] | None:
    """The sheet `name` of the register read for editing: (its part, its Sheet); None when the
    register has no such sheet, or workbook.xml names a part the file lacks (an upgrade step then
    leaves that sheet alone; Package.sheet_part refuses where the sheet is needed)."""
    part = package.sheet_parts().get(name)
    if not part or part not in package:
        return None
    return part, Sheet(package.read(part), package.path.name, name)


def encode(value, style: int | None, styles: Stylesheet, epoch: dt.datetime, sheet: Sheet) -> tuple[dict, bytes]:
    """A cell's value as Excel stores it: (attributes, body). Text is an inline string, a date a
    serial number in a date format (`styles` adds one like `style` when `style` is not)."""
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
        attrs[b"t"], body = b"inlineStr", _inline(str(value), sheet)
    if style is not None:
        attrs[b"s"] = str(style).encode()
    return attrs, body


def _number(value: float) -> bytes:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    return repr(value).encode()


def _text(text: str) -> bytes:
    return escape(_UNWRITABLE.sub(lambda m: f"_x{ord(m[0]):04X}_", text)).encode("utf-8")


def _inline(text: str, sheet: Sheet) -> bytes:
    """An inline string's body (<is><t>…</t></is>), as Excel reads it back."""
    return sheet.tag(b"is", sheet.tag(b"t", _text(text), b' xml:space="preserve"'))


def epoch(package: Package) -> dt.datetime:
    """Day 0 of the workbook's date serials: 1899-12-30, or 1904-01-01 in a Mac-made workbook."""
    from xlkit.workbook.scan import workbook_property

    if workbook_property(package, "date1904") in ("1", "true"):  # any prefix or quote, as calamine reads it
        return dt.datetime(1904, 1, 1)
    return dt.datetime(1899, 12, 30)


def decode(cell, styles: Stylesheet, epoch: dt.datetime):
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


# --------------------------------------------------------------------------- text cells of rows written by hand (upgrade steps)


def text_cell(text: str, style: bytes | None, sheet: Sheet) -> tuple[dict, bytes]:
    """A text cell (an inline string) with the raw style `style` (copied from a cell beside it).
    Text needs no stylesheet and no date epoch."""
    attrs = {b"t": b"inlineStr"}
    if style is not None:
        attrs[b"s"] = style
    return attrs, _inline(text, sheet)


_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")  # a value, an inline string or a formula


def row_has_value(xml: bytes | None) -> bool:
    """Whether XML — a whole <row>, or one cell's body — holds a value, an inline string or a formula."""
    return bool(xml) and _VALUE.search(xml) is not None


def has_value(*cell) -> bool:
    """Whether a cell holds a value: has_value(body), or has_value(*cell) with the (attributes,
    body) pair Sheet.cells_of gives; only the body counts."""
    return row_has_value(cell[-1])


_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_T = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?(?<!/)>(.*?)</(?:\w+:)?t>", re.S)


def _string_text(body: bytes) -> str:
    """The text of an <is> or <si>: its runs, without the furigana (rPh) Excel adds to Japanese."""
    from xlkit.workbook.scan import unescape

    text = unescape(b"".join(_T.findall(_PHONETIC.sub(b"", body))))
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text)


class SharedStrings:
    """The workbook's shared strings, read as far as a cell asks (Excel stores 設定's titles there
    once staff save the register)."""

    def __init__(self, package: Package):
        self._package = package
        self._found: list[str] = []
        self._next = None

    def get(self, index: int) -> str | None:
        if self._next is None:
            parts = [p for p in self._package.related("xl/workbook.xml", "sharedStrings") if p in self._package]
            self._next = _SI.finditer(self._package.read(parts[0]) if parts else b"")
        while len(self._found) <= index:
            m = next(self._next, None)
            if m is None:
                return None
            self._found.append(_string_text(m[1] or b""))
        return self._found[index]


_FORMULA = re.compile(rb"<(?:\w+:)?f\b")


def holds_value(cell: tuple[dict, bytes | None], strings: SharedStrings) -> bool:
    """Whether a cell holds something staff typed, for an upgrade step that takes its column
    (format4, format5): one decision for both. Text of nothing or of spaces only ("" written by
    a script, a space typed to "clear" a cell) is blank to xlkit's reader (cells.is_blank) and
    shows blank in Excel, so it is not in the way of a new column; such a cell is left as it is
    (or written over, a header cell) and nothing staff wrote is lost. A formula is staff's even
    when its result is blank."""
    if not has_value(*cell):
        return False
    if _FORMULA.search(cell[1]):
        return True
    text = cell_text(*cell, strings)
    return not (text is not None and is_blank(text))


def shown(cell: tuple[dict, bytes | None], strings: SharedStrings) -> str:
    """What a cell shows, for a refusal naming it: its text, or the number it holds; cut at 30."""
    text = cell_text(*cell, strings)
    if text is None and cell[1]:
        v = re.search(rb"<(?:\w+:)?v>([^<]*)</", cell[1])
        text = v[1].decode("utf-8", "replace") if v else ""
    text = (text or "").strip()
    return text if len(text) <= 30 else text[:30] + "…"


def cell_text(attrs: dict, body: bytes | None, strings: SharedStrings) -> str | None:
    """A cell's text: a shared string, an inline string or a formula's text; None otherwise."""
    if not body:
        return None
    kind = attrs.get(b"t")
    if kind == b"s":
        v = re.search(rb"<(?:\w+:)?v>\s*(\d+)\s*</", body)
        return strings.get(int(v[1])) if v else None
    if kind == b"inlineStr":
        return _string_text(body)
    if kind == b"str":
        v = re.search(rb"<(?:\w+:)?v>([^<]*)</", body)
        return _string_text(b"<t>%s</t>" % v[1]) if v else None
    return None


# --------------------------------------------------------------------------- rows moved down (xlkit.workbook.row_insert)


class RowShift:
    """Where the rows of a sheet go when new rows are inserted right below some of them:
    `inserted` maps an Excel row to how many new rows go below it. A row moves down by the new
    rows above it, as Excel's 「行の挿入」 moves it; rows pushed past the sheet's last row are
    said as numbers past LAST_ROW (the caller refuses or drops them)."""

    _REF = re.compile(r"(\$?[A-Za-z]{1,3})?(\$?)(\d+)")

    def __init__(self, inserted: dict[int, int]):
        self.points = sorted((row, count) for row, count in inserted.items() if count)
        self.top = self.points[0][0] if self.points else LAST_ROW  # rows below it move

    def __call__(self, row: int) -> int:
        return row + sum(count for at, count in self.points if at < row)

    def refs(self, refs: str) -> str:
        """Cell references (A12, $B$12:C14, 3:5, a space-separated list) with each row moved; a
        range's end on the last row stays there (B2:B1048576 keeps covering the column)."""
        return self._REF.sub(lambda m: f"{m[1] or ''}{m[2]}{min(self(int(m[3])), LAST_ROW)}", refs)


_ROW_START = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_ROW_R = re.compile(rb"""(\sr\s*=\s*["'])(\d+)(["'])""")
_CELL_R = re.compile(rb"""(<(?:\w+:)?c\b[^>]*?\sr\s*=\s*["'])([A-Za-z]{1,3})(\d+)(["'])""")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def renumbered(row_xml: bytes, number: int) -> bytes:
    """A whole <row> (its attributes — hidden, height, format — and every cell with its format
    and value) as row `number`: only the row's r and its cells' r change (a row without r, placed
    by its order, gets one)."""
    start = _ROW_START.match(row_xml)
    if start is None:
        return row_xml
    head, found = _ROW_R.subn(lambda m: m[1] + str(number).encode() + m[3], start[0], count=1)
    if not found:
        name = re.match(rb"<[\w:]+", head)[0]
        head = name + b' r="%d"' % number + head[len(name):]
    return head + _CELL_R.sub(lambda m: m[1] + m[2] + str(number).encode() + m[4], row_xml[start.end():])


def formula_cells(sheet: Sheet, row_xml: bytes, number: int) -> list[str]:
    """The cells of a row that hold a formula (A12 …)."""
    if _FORMULA_TAG.search(row_xml) is None:
        return []
    return [f"{column_letter(col - 1)}{number}" for col, (_attrs, body) in sheet.cells_of(row_xml)
            if body and _FORMULA_TAG.search(body)]
