"""Bringing a register of an older format up to the current one, one step per format.

`STEPS[n]` turns a register of format n into one of format n + 1, working on the parts of the
file (workbook/package.py) and writing the new format number itself. A later issue that adds a
sheet, a column or a 設定 key raises xlkit.formats.CURRENT and adds its step here, with a test
that upgrades tests/fixtures/format1_sample.xlsm through every step.

Every upgrade of a macro-enabled register also rebuilds its VBA project from the installed
xlwings (so the workbook's VBA and the Python package match again) and checks that every
button of 「使い方」 is there and bound to its macro.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from xlkit import cells, formats, schema
from xlkit.addresses import column_letter
from xlkit.errors import XlkitError
from xlkit.workbook import design, sheet_xml
from xlkit.workbook.package import Package

WORKBOOK = "xl/workbook.xml"
VBA_PARTS = frozenset({"xl/vbaProject.bin"})  # what vba.install_module rewrites


@dataclass(frozen=True)
class Step:
    title: str  # Japanese, shown to staff: what the step adds
    apply: Callable[[Package], None]


def set_format(package: Package, version: int) -> None:
    """Record `version` in the workbook name xlkit.formats.NAME (added when missing)."""
    set_name(package, formats.NAME, str(version))


def set_name(package: Package, name: str, content: str) -> None:
    """Give the workbook-level name `name` the formula `content` (the name is added when missing)."""
    xml = package.read(WORKBOOK)
    text = _xml_text(content)
    entry = re.compile(rb'(<(?:\w+:)?definedName\b(?![^>]*localSheetId)[^>]*\bname="%s"[^>]*>)[^<]*(<)'
                       % re.escape(name.encode()))
    if entry.search(xml):
        xml = entry.sub(lambda m: m[1] + text + m[2], xml, count=1)
    else:
        xml = _add_names(package, xml, [(b' name="%s"' % _xml_attr(name), text)])
    package.write(WORKBOOK, xml)


def _add_names(package: Package, xml: bytes, names: list[tuple[bytes, bytes]]) -> bytes:
    """workbook.xml with a <definedName{attributes}>{text}</definedName> for each of `names`,
    at the end of <definedNames> (which is created when missing)."""
    p = _prefix(xml, b"workbook")
    new = b"".join(b"<%sdefinedName%s>%s</%sdefinedName>" % (p, attrs, text, p) for attrs, text in names)
    closing = re.search(rb"</(?:\w+:)?definedNames>", xml)
    if closing:
        return xml[:closing.start()] + new + xml[closing.start():]
    empty = re.search(rb"<((?:\w+:)?definedNames)\b[^>]*/>", xml)
    if empty:
        return xml[:empty.start()] + b"<%s>%s</%s>" % (empty[1], new, empty[1]) + xml[empty.end():]
    # CT_Workbook order: definedNames follows sheets, functionGroups and externalReferences
    anchor = None
    for tag in (rb"externalReferences", rb"functionGroups", rb"sheets"):
        anchor = re.search(rb"</(?:\w+:)?%s>|<(?:\w+:)?%s\b[^>]*/>" % (tag, tag), xml)
        if anchor:
            break
    if anchor is None:
        raise XlkitError(f"「{package.path.name}」の workbook.xml にシートの一覧がないため、更新できません。")
    block = b"<%sdefinedNames>%s</%sdefinedNames>" % (p, new, p)
    return xml[:anchor.end()] + block + xml[anchor.end():]


def _prefix(xml: bytes, root: bytes) -> bytes:
    """The namespace prefix ("x:") the part writes its root element `root` with, or b""."""
    m = re.search(rb"<(\w+:)?%s\b" % root, xml)
    return (m[1] or b"") if m else b""


def _xml_text(text: str) -> bytes:
    return escape(text).encode("utf-8")


def _xml_attr(text: str) -> bytes:
    return escape(text, {'"': "&quot;"}).encode("utf-8")


def _record_format(package: Package) -> None:
    set_format(package, 2)


# --------------------------------------------------------------------------- format 3

CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHEET_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_MAIN_URI = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_LAST_ROW = 1_048_576
_FILTER_NAME, _PRINT_TITLES = "_xlnm._FilterDatabase", "_xlnm.Print_Titles"


def _add_logs_settings_and_id(package: Package) -> None:
    """Format 3: the sheets 回答状況 and 変更履歴 after the last sheet, the 設定 row 回答期限, 使い方's
    rows of the buttons 照会票作成 and 回答取込 (update_howto_buttons) and the register's id
    (xlkit.formats.ID_NAME). Each part is edited where it needs to be, as the register writer does:
    the workbook is never built again."""
    from xlkit.workbook import scan

    logs = (schema.status(), schema.history())  # in design.sheet_order()'s order
    sheets = package.sheet_parts()
    present = {name.casefold() for name in sheets}
    clash = [log.sheet for log in logs if log.sheet.casefold() in present]
    if clash:
        named = "".join(f"「{name}」" for name in clash)
        raise XlkitError(f"「{package.path.name}」にシート{named}がすでにあります。"
                         "名前を変えてから xlkit upgrade を実行してください。")
    settings_name = schema.settings().sheet
    settings_part = sheets.get(settings_name)
    settings = None
    if settings_part and settings_part in package:
        settings = sheet_xml.Sheet(package.read(settings_part), package.path.name, settings_name)
    # the new sheets look like 設定: its green header and its columns' (locked) format
    header_style = settings.cells(1).get(1, ({}, None))[0].get(b"s") if settings else None
    column_style = settings.column_styles()(1) if settings else None
    code_names = _free_code_names(package, len(logs)) if _macro_enabled(package) else [None] * len(logs)
    for log, code_name in zip(logs, code_names):
        _add_log_sheet(package, log, header_style, column_style, code_name)
    if settings is not None:
        _add_survey_due(package, settings_part, settings)
    update_howto_buttons(package)
    if scan.register_id(package) is None:
        from xlkit.workbook.builder import new_register_id

        set_name(package, formats.ID_NAME, f'"{new_register_id()}"')
    set_format(package, 3)


def _macro_enabled(package: Package) -> bool:
    from xlkit.workbook import vba

    return vba.VBA_ENTRY in package


def _free_code_names(package: Package, count: int) -> list[str]:
    """`count` VBA code names (Sheet12 …) that no sheet nor the workbook has."""
    from xlkit.workbook import scan

    taken = {code.casefold() for code in sheet_code_names(package).values()}
    taken.add((scan.workbook_property(package, "codeName") or "ThisWorkbook").casefold())
    found: list[str] = []
    n = len(package.sheet_parts())
    while len(found) < count:
        n += 1
        if f"sheet{n}" not in taken:
            found.append(f"Sheet{n}")
    return found


def _column_width(width: float) -> float:
    """A width in characters as Excel stores it (XlsxWriter's conversion, for the default font)."""
    digit, padding = 7, 5  # pixels, for Calibri 11
    pixels = int(width * (digit + padding) + 0.5) if width < 1 else int(width * digit + 0.5) + padding
    return (pixels * 256 // digit) / 256.0


def _log_sheet_xml(log: schema.Register, main: bytes, header_style: bytes | None, column_style: int | None,
                   code_name: str | None) -> bytes:
    """A sheet only xlkit writes, as builder._log_sheet and _page_setup make it: the schema's
    header in row 1 (inline strings), its widths, the first row frozen, a filter over the header,
    protected (no password) so that staff may select, filter, sort and widen columns; A4
    landscape, one page wide."""
    last = column_letter(len(log.columns) - 1)
    code = b' codeName="%s"' % _xml_attr(code_name) if code_name else b""
    cols = b"".join(
        b'<col min="%d" max="%d" width="%s"%s customWidth="1"/>'
        % (i, i, repr(_column_width(c.width)).encode(), b' style="%d"' % column_style if column_style is not None else b"")
        for i, c in enumerate(log.columns, start=1))
    style = b' s="%s"' % header_style if header_style is not None else b""
    header = b"".join(
        b'<c r="%s1"%s t="inlineStr"><is><t>%s</t></is></c>' % (column_letter(i).encode(), style, _xml_text(c.header))
        for i, c in enumerate(log.columns))
    return b"".join((
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        b'<worksheet xmlns="%s">' % main,
        b'<sheetPr%s><pageSetUpPr fitToPage="1"/></sheetPr>' % code,
        b'<dimension ref="A1:%s1"/>' % last.encode(),
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        b'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>',
        b'<sheetFormatPr defaultRowHeight="15"/>',
        b"<cols>%s</cols>" % cols,
        b'<sheetData><row r="1" spans="1:%d" ht="24" customHeight="1">%s</row></sheetData>' % (len(log.columns), header),
        # "0": the action is allowed on the protected sheet (selecting cells is allowed by default)
        b'<sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" sort="0" autoFilter="0"/>',
        b'<autoFilter ref="A1:%s1"/>' % last.encode(),
        b'<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>',
        b'<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>',
        b"<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter>",
        b"</worksheet>",
    ))


def _add_log_sheet(package: Package, log: schema.Register, header_style: bytes | None, column_style: int | None,
                   code_name: str | None) -> None:
    """Add `log` as a new sheet after the last one: its part, content type, relationship, the
    <sheet> of workbook.xml and the hidden names Excel keeps for its filter and print titles."""
    from xlsxwriter.utility import quote_sheetname

    workbook = package.read(WORKBOOK)
    block = re.search(rb"<(?:\w+:)?sheets\b[^>]*>(.*?)</(?:\w+:)?sheets>", workbook, re.S)
    starts = list(re.finditer(rb"<(\w+:)?sheet\b([^>]*?)/?>", block[1])) if block else []
    if not starts:
        raise XlkitError(f"「{package.path.name}」の workbook.xml にシートの一覧がないため、更新できません。")
    last = sheet_xml.attributes(starts[-1][2])
    id_attr = next((k for k in last if re.fullmatch(rb"\w+:id", k) and not k.startswith(b"xmlns:")), None)
    if id_attr is None:
        raise XlkitError(f"「{package.path.name}」の workbook.xml のシートに部品との関係（r:id）がないため、"
                         "更新できません。")
    sheet_id = max(int(sheet_xml.attributes(m[2]).get(b"sheetId", b"0") or 0) for m in starts) + 1
    index = len(starts)  # the new sheet's place (0-based): every localSheetId and activeTab stays valid

    taken = {name.casefold() for name in (*(i.filename for i in package.infos), *package.changed)}
    n = 1
    while f"xl/worksheets/sheet{n}.xml".casefold() in taken:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    package.write(part, _log_sheet_xml(log, _main_namespace(workbook), header_style, column_style, code_name))
    _add_content_type(package, part)
    rid = _add_relationship(package, WORKBOOK_RELS, SHEET_RELATIONSHIP, f"worksheets/sheet{n}.xml")

    p = starts[-1][1] or b""
    declared = b"".join(b' %s="%s"' % (k, v) for k, v in last.items() if k.startswith(b"xmlns"))
    element = b'<%ssheet%s name="%s" sheetId="%d" %s="%s"/>' % (
        p, declared, _xml_attr(log.sheet), sheet_id, id_attr, rid.encode())
    at = block.end(1)  # before </sheets>
    workbook = workbook[:at] + element + workbook[at:]
    quoted = quote_sheetname(log.sheet)
    last_col = column_letter(len(log.columns) - 1)
    workbook = _add_names(package, workbook, [
        (b' name="%s" localSheetId="%d" hidden="1"' % (_FILTER_NAME.encode(), index),
         _xml_text(f"{quoted}!$A$1:${last_col}$1")),
        (b' name="%s" localSheetId="%d"' % (_PRINT_TITLES.encode(), index), _xml_text(f"{quoted}!$1:$1")),
    ])
    package.write(WORKBOOK, workbook)


def _main_namespace(workbook: bytes) -> bytes:
    """The namespace of workbook.xml's own elements (transitional or strict), for the new sheets."""
    root = re.search(rb"<(?:(\w+):)?workbook\b[^>]*>", workbook)
    if root:
        declared = sheet_xml.attributes(root[0]).get(b"xmlns:%s" % root[1] if root[1] else b"xmlns")
        if declared:
            return declared
    return _MAIN_URI


def _add_content_type(package: Package, part: str) -> None:
    xml = package.read(CONTENT_TYPES)
    kind = SHEET_CONTENT_TYPE.encode()
    for m in re.finditer(rb"<(?:\w+:)?Override\b([^>]*)>", xml):  # the one the other sheets have
        attrs = sheet_xml.attributes(m[1])
        if attrs.get(b"PartName", b"").startswith(b"/xl/worksheets/") and b"worksheet" in attrs.get(b"ContentType", b""):
            kind = attrs[b"ContentType"]
            break
    closing = re.search(rb"</((?:\w+:)?)Types>", xml)
    if closing is None:
        raise XlkitError(f"「{package.path.name}」の部品 {CONTENT_TYPES} が壊れているため、更新できません。")
    entry = b'<%sOverride PartName="/%s" ContentType="%s"/>' % (closing[1], _xml_attr(part), kind)
    package.write(CONTENT_TYPES, xml[:closing.start()] + entry + xml[closing.start():])


def _add_relationship(package: Package, rels: str, kind: str, target: str) -> str:
    """Add a relationship to `rels` (of the type the other sheets have); its new id."""
    xml = package.read(rels)
    found = [sheet_xml.attributes(m[1]) for m in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*)>", xml)]
    used = {a.get(b"Id", b"").decode("utf-8", "replace") for a in found}
    kind_b = next((a[b"Type"] for a in found if a.get(b"Type", b"").endswith(b"/worksheet")), kind.encode())
    numbers = [int(m[1]) for i in used if (m := re.fullmatch(r"rId(\d+)", i))]
    n = max(numbers, default=0) + 1
    while f"rId{n}" in used:
        n += 1
    closing = re.search(rb"</((?:\w+:)?)Relationships>", xml)
    if closing is None:
        raise XlkitError(f"「{package.path.name}」の部品 {rels} が壊れているため、更新できません。")
    entry = b'<%sRelationship Id="rId%d" Type="%s" Target="%s"/>' % (closing[1], n, kind_b, _xml_attr(target))
    package.write(rels, xml[:closing.start()] + entry + xml[closing.start():])
    return f"rId{n}"


def _add_survey_due(package: Package, part: str, sheet: sheet_xml.Sheet) -> None:
    """The 設定 row 回答期限 below the last row in use (A title, B the blank value cell, C its
    help), formatted like the rows above; none when a row of that title is there already."""
    from xlkit.workbook import appender
    from xlkit.workbook.stylesheet import Stylesheet

    settings = schema.settings()
    column = settings.column("survey_due")
    strings = _SharedStrings(package)
    rows = sheet.rows_between(0, _LAST_ROW)
    row_cells = {number: dict(sheet.cells_of(found[3])) for number, found in rows.items()}
    titles = {}
    for number, found in row_cells.items():
        title = _cell_text(*found[1], strings) if 1 in found else None
        if title is not None and title.strip():
            titles[number] = cells.fold(title)
    if cells.fold(column.header) in titles.values():
        return  # staff added it already
    used = [number for number, found in row_cells.items()
            if any(_has_value(*found[c]) for c in (1, 2, 3) if c in found)]
    r = max(used, default=1) + 1
    if r > _LAST_ROW:
        return
    above = row_cells.get(max(titles)) if titles else {}

    def style(col: int) -> bytes | None:
        return above[col][0].get(b"s") if col in above else None

    styles = Stylesheet(package)
    # the value cell of another date setting (unlocked, shaded, a date format: 報告日), else the
    # one above (前年度公表値: unlocked and shaded too, but a right-aligned number format)
    date_titles = {cells.fold(c.header) for c in settings.columns if c.kind == "date"}
    date_styles = [found[2][0].get(b"s", b"") for number, found in sorted(row_cells.items(), reverse=True)
                   if titles.get(number) in date_titles and 2 in found]
    value_style = next((s for s in date_styles if s.isdigit() and styles.is_date(int(s))), style(2))
    epoch = sheet_xml.epoch(package)
    help_text = column.input_message or column.schema.get("description", "")
    existing = {r: rows[r]} if r in rows else {}
    new_cells = {c: v for c, v in row_cells.get(r, {}).items() if c > 3}
    new_cells[1] = _text_cell(column.header, style(1), styles, epoch, sheet)
    if value_style is not None:
        new_cells[2] = ({b"s": value_style}, None)
    if help_text:
        new_cells[3] = _text_cell(help_text, style(3), styles, epoch, sheet)
    attrs = {k: v for k, v in rows[r][2].items() if k != b"spans"} if r in rows else {}
    attrs = {b"r": str(r).encode(), **{k: v for k, v in attrs.items() if k != b"r"}}
    edits = [appender.grow_dimension(sheet.xml, r, 3),
             sheet.rows_edit(r - 1, sheet.row_xml(attrs, new_cells), existing)]
    edits += _date_validation(sheet, f"B{r}", column.header, help_text, epoch)
    package.write(part, sheet.splice(edits))


def _text_cell(text: str, style: bytes | None, styles, epoch, sheet: sheet_xml.Sheet) -> tuple[dict, bytes]:
    attrs, body = sheet_xml.encode(text, None, styles, epoch, sheet)
    if style is not None:
        attrs[b"s"] = style
    return attrs, body


def _date_validation(sheet: sheet_xml.Sheet, cell: str, title: str, help_text: str, epoch) -> list:
    """The edits that give `cell` the date validation builder gives 設定's date cells, when the
    sheet has a <dataValidations> to add it to."""
    import datetime as dt

    from xlkit.workbook.builder import DATE_MAX, DATE_MIN

    p = sheet.p  # the sheet's own dataValidations, not the x14 ones of its extLst
    block = re.compile(rb"<%sdataValidations\b([^>]*?)(/?)>" % re.escape(p)).search(sheet.xml, sheet.end)
    if block is None or block[2]:
        return []
    closing = sheet.xml.find(b"</%sdataValidations>" % p, block.end())
    if closing < 0:
        return []

    def serial(day: dt.date) -> int:
        return (dt.datetime(day.year, day.month, day.day) - epoch).days

    error = "日付として読み取れませんでした。このまま確定する場合は「はい」を押してください。"  # as builder._settings
    attrs = (b' type="date" errorStyle="warning" allowBlank="1" showInputMessage="1" showErrorMessage="1"'
             b' errorTitle="%s" error="%s"' % (_xml_attr("日付を確認してください"), _xml_attr(error)))
    if help_text:
        attrs += b' promptTitle="%s" prompt="%s"' % (_xml_attr(title[:32]), _xml_attr(help_text[:255]))
    entry = (b'<%sdataValidation%s sqref="%s">' % (p, attrs, cell.encode())
             + b"<%sformula1>%d</%sformula1>" % (p, serial(DATE_MIN), p)
             + b"<%sformula2>%d</%sformula2>" % (p, serial(DATE_MAX), p)
             + b"</%sdataValidation>" % p)
    edits = [(closing, closing, entry)]
    count = re.search(rb'\bcount="(\d+)"', block[1])
    if count:
        at = block.start(1) + count.start(1)
        edits.append((at, at + len(count[1]), b"%d" % (int(count[1]) + 1)))
    return edits


def _has_value(attrs: dict, body: bytes | None) -> bool:
    return bool(body) and re.search(rb"<(?:\w+:)?(?:v|is|f)\b", body) is not None


_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_T = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?(?<!/)>(.*?)</(?:\w+:)?t>", re.S)
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _string_text(body: bytes) -> str:
    """The text of an <is> or <si>: its runs, without the furigana (rPh) Excel adds to Japanese."""
    from xlkit.workbook.scan import unescape

    text = unescape(b"".join(_T.findall(_PHONETIC.sub(b"", body))))
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)


class _SharedStrings:
    """The workbook's shared strings, read as far as a cell asks (Excel stores 設定's titles there
    once staff save the register)."""

    def __init__(self, package: Package):
        self._package = package
        self._found: list[str] = []
        self._next = None

    def get(self, index: int) -> str | None:
        if self._next is None:
            parts = [p for p in self._package.related(WORKBOOK, "sharedStrings") if p in self._package]
            self._next = _SI.finditer(self._package.read(parts[0]) if parts else b"")
        while len(self._found) <= index:
            m = next(self._next, None)
            if m is None:
                return None
            self._found.append(_string_text(m[1] or b""))
        return self._found[index]


def _cell_text(attrs: dict, body: bytes | None, strings: _SharedStrings) -> str | None:
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


# --------------------------------------------------------------------------- 使い方's button rows

_ROW_COPIED = (b"s", b"customFormat", b"ht", b"customHeight", b"x14ac:dyDescent")
_REF_ATTRS = re.compile(rb'(\s(?:ref|sqref|activeCell|topLeftCell)=")([^"]*)(")')
_CELL_REF = re.compile(r"(\$?[A-Za-z]{1,3})?(\$?)(\d+)")


def update_howto_buttons(package: Package) -> bool:
    """使い方's button rows brought up to date with design.BUTTONS: one row per button under the
    subtitle design.HOWTO_BUTTONS, its help text in column C (and its caption in B where the rows
    above have one: an .xlsx, which has no buttons). The rows there are taken to be the first
    buttons (buttons are only ever added at the end); a row is inserted after them for each button
    they lack, formatted like the row above, and the rows below move down with everything anchored
    to them (cells, merged cells, row heights, the selection, names such as a print area, pictures
    and shapes, comments), as Excel moves them when rows are inserted. The buttons themselves are
    drawn again by rebuild_buttons, in these rows. Nothing changes (False) when every button has its
    row, or when the rows cannot be found (a 使い方 staff rewrote)."""
    part = package.sheet_parts().get(design.HOWTO)
    if not part or part not in package:
        return False
    sheet = sheet_xml.Sheet(package.read(part), package.path.name, design.HOWTO)
    strings = _SharedStrings(package)
    rows = sheet.rows_between(0, _LAST_ROW)
    row_cells = {number: dict(sheet.cells_of(found[3])) for number, found in rows.items()}

    def text(number: int, col: int) -> str:
        found = row_cells.get(number, {}).get(col)
        return (_cell_text(*found, strings) or "").strip() if found else ""

    title = next((n for n in sorted(row_cells) if text(n, 2) == design.HOWTO_BUTTONS), None)
    if title is None:
        return False
    helps, captions = {b.help for b in design.BUTTONS}, {b.caption for b in design.BUTTONS}

    def button_row(number: int) -> bool:
        """A row of a button: a help text of today's, or (worded by an older xlkit) a text in C on
        a row as tall as the first button's; a note staff typed below the buttons is neither."""
        if not text(number, 3):
            return False
        if text(number, 3) in helps or text(number, 2) in captions:
            return True
        return bool(listed) and rows[number][2].get(b"ht") == rows[listed[0]][2].get(b"ht")

    listed: list[int] = []
    while button_row(title + 1 + len(listed)):
        listed.append(title + 1 + len(listed))
    if not listed or len(listed) >= len(design.BUTTONS):
        return False
    missing = design.BUTTONS[len(listed):]
    at, by = listed[-1] + 1, len(missing)

    from xlkit.workbook.stylesheet import Stylesheet

    styles, epoch = Stylesheet(package), sheet_xml.epoch(package)
    above, above_attrs = row_cells[listed[-1]], rows[listed[-1]][2]
    with_caption = 2 in above and _has_value(*above[2])
    new_rows = []
    for i, button in enumerate(missing):
        attrs = {b"r": str(at + i).encode(), **{k: v for k, v in above_attrs.items() if k in _ROW_COPIED}}
        new_cells = {col: ({b"s": found[0][b"s"]}, None) for col, found in above.items() if b"s" in found[0]}
        if with_caption:
            new_cells[2] = _text_cell(button.caption, above[2][0].get(b"s"), styles, epoch, sheet)
        new_cells[3] = _text_cell(button.help, above[3][0].get(b"s"), styles, epoch, sheet)
        new_rows.append(sheet.row_xml(attrs, new_cells))
    below = sheet.rows_between(at - 1, _LAST_ROW)
    edits = [sheet.rows_edit(at - 1, b"".join(new_rows), {})]
    edits += [(start, end, _shift_row(xml, at, by)) for start, end, _attrs, xml in below.values()]
    for segment_start, segment_end in ((0, sheet.start), (sheet.end, len(sheet.xml))):
        for m in _REF_ATTRS.finditer(sheet.xml, segment_start, segment_end):
            shifted = _shift_refs(m[2].decode(), at, by).encode()
            if shifted != m[2]:
                edits.append((m.start(2), m.end(2), shifted))
    edits += _shift_breaks(sheet.xml, sheet.end, at, by)
    package.write(part, sheet.splice(edits))
    styles.save()
    _shift_names(package, at, by)
    _shift_anchored(package, part, at, by)
    return True


def _shift_refs(refs: str, at: int, by: int) -> str:
    """Cell references (B12, $B$12:C14, 3:5, a space-separated list) with every row from `at` on
    moved `by` rows down."""
    return _CELL_REF.sub(lambda m: f"{m[1] or ''}{m[2]}{int(m[3]) + by if int(m[3]) >= at else m[3]}", refs)


def _shift_row(xml: bytes, at: int, by: int) -> bytes:
    """A <row> of the sheet, moved down: its r and its cells' r (and a shared formula's ref)."""
    head = re.match(rb"<(?:\w+:)?row\b[^>]*>", xml)
    if head is None:
        return xml
    start = re.sub(rb'(\sr=")(\d+)(")', lambda m: m[1] + str(int(m[2]) + by).encode() + m[3], head[0], count=1)
    rest = re.sub(rb'(<(?:\w+:)?(?:c|f)\b[^>]*?\s(?:r|ref)=")([^"]*)(")',
                  lambda m: m[1] + _shift_refs(m[2].decode(), at, by).encode() + m[3], xml[head.end():])
    return start + rest


def _shift_breaks(xml: bytes, after: int, at: int, by: int) -> list[tuple[int, int, bytes]]:
    """The edits that move the manual page breaks below row `at` - 1 down with their rows."""
    block = re.search(rb"<(?:\w+:)?rowBreaks\b.*?</(?:\w+:)?rowBreaks>", xml[after:], re.S)
    if block is None:
        return []
    edits = []
    for m in re.finditer(rb'<(?:\w+:)?brk\b[^>]*?\sid="(\d+)"', block[0]):
        if int(m[1]) >= at:
            edits.append((after + block.start() + m.start(1), after + block.start() + m.end(1),
                          str(int(m[1]) + by).encode()))
    return edits


def _shift_names(package: Package, at: int, by: int) -> None:
    """Workbook names that point at 使い方's rows (a print area …) follow them."""
    xml = package.read(WORKBOOK)
    sheet = re.escape(_xml_text(design.HOWTO))
    qualified = re.compile(rb"((?:'|&apos;)?%s(?:'|&apos;)?!)(\$?[A-Za-z]{0,3}\$?\d*(?::\$?[A-Za-z]{0,3}\$?\d*)?)"
                           % sheet)

    def names(m: re.Match) -> bytes:
        return qualified.sub(lambda r: r[1] + _shift_refs(r[2].decode(), at, by).encode(), m[0])

    shifted = re.sub(rb"<(?:\w+:)?definedName\b[^>]*>[^<]*<", names, xml)
    if shifted != xml:
        package.write(WORKBOOK, shifted)


def _shift_anchored(package: Package, part: str, at: int, by: int) -> None:
    """The drawings (pictures, shapes, charts), legacy drawings (buttons, comments' boxes),
    comments and tables of 使い方 anchored at or below row `at` follow their rows down."""
    for kind, shift in (("drawing", _shift_drawing), ("vmlDrawing", _shift_vml), ("comments", _shift_ref_attrs),
                        ("threadedComment", _shift_ref_attrs), ("table", _shift_ref_attrs)):
        for target in package.related(part, kind):
            if target in package:
                old = package.read(target)
                new = shift(old, at, by)
                if new != old:
                    package.write(target, new)


def _shift_ref_attrs(xml: bytes, at: int, by: int) -> bytes:
    return re.sub(rb'(\sref=")([^"]*)(")', lambda m: m[1] + _shift_refs(m[2].decode(), at, by).encode() + m[3], xml)


def _shift_drawing(xml: bytes, at: int, by: int) -> bytes:
    """DrawingML anchors (rows counted from 0): a two-cell anchor's corners each move when at or
    below the inserted rows (a shape across them grows), a one-cell anchor moves whole, an absolute
    one stays, as in Excel."""
    first = at - 1  # row `at`, counted from 0

    def marker(m: re.Match, whole: bool) -> bytes:
        row = re.search(rb"<((?:\w+:)?)row>(\d+)</", m[0])
        if row is None:
            return m[0]
        offset = re.search(rb"<(?:\w+:)?rowOff>(\d+)</", m[0])
        number = int(row[2])
        at_top = m[1].endswith(b"to") and number == first and (offset is None or int(offset[1]) == 0)
        if whole is False and (number < first or at_top):
            return m[0]
        return m[0][:row.start(2)] + str(number + by).encode() + m[0][row.end(2):]

    def anchor(m: re.Match) -> bytes:
        if b'editAs="absolute"' in m[2]:
            return m[0]
        body = m[0]
        markers = list(re.finditer(rb"<((?:\w+:)?(?:from|to))>.*?</\1>", body, re.S))
        if not markers:
            return body
        from_row = re.search(rb"<(?:\w+:)?row>(\d+)</", markers[0][0])
        one_cell = m[1].endswith(b"oneCellAnchor") or b'editAs="oneCell"' in m[2]
        if one_cell:
            if from_row is None or int(from_row[1]) < first:
                return body
            pieces, pos = [], 0
            for found in markers:
                pieces += [body[pos:found.start()], marker(found, True)]
                pos = found.end()
            return b"".join(pieces) + body[pos:]
        pieces, pos = [], 0
        for found in markers:
            pieces += [body[pos:found.start()], marker(found, False)]
            pos = found.end()
        return b"".join(pieces) + body[pos:]

    return re.sub(rb"<((?:\w+:)?(?:twoCellAnchor|oneCellAnchor))\b([^>]*)>.*?</\1>", anchor, xml, flags=re.S)


def _shift_vml(xml: bytes, at: int, by: int) -> bytes:
    """A legacy drawing's anchors (LeftColumn, LeftOffset, TopRow, TopOffset, RightColumn,
    RightOffset, BottomRow, BottomOffset; rows counted from 0) and a comment box's cell."""
    first = at - 1

    def anchor(m: re.Match) -> bytes:
        parts = [p.strip() for p in m[2].decode().split(",")]
        if len(parts) != 8 or not all(p.lstrip("-").isdigit() for p in parts):
            return m[0]
        top, bottom, bottom_offset = int(parts[2]), int(parts[6]), int(parts[7])
        if top >= first:
            parts[2] = str(top + by)
        if bottom > first or (bottom == first and (top >= first or bottom_offset > 0)):
            parts[6] = str(bottom + by)
        return m[1] + ", ".join(parts).encode() + m[3]

    xml = re.sub(rb"(<x:Anchor>)([^<]*)(</x:Anchor>)", anchor, xml)
    return re.sub(rb"(<x:Row>)(\d+)(</x:Row>)",
                  lambda m: m[1] + (str(int(m[2]) + by).encode() if int(m[2]) >= first else m[2]) + m[3], xml)


STEPS: dict[int, Step] = {
    1: Step("登録簿の形式（形式 2）を記録する", _record_format),
    2: Step("回答状況・変更履歴のシート、設定の回答期限、登録簿の番号、使い方の照会票作成・回答取込の行を加える",
            _add_logs_settings_and_id),
}


def steps_from(version: int) -> list[Step]:
    missing = [v for v in range(version, formats.CURRENT) if v not in STEPS]
    if missing:  # a defect of xlkit, caught by tests/test_upgrade.py
        raise XlkitError(f"形式 {missing[0]} から更新する手順がありません。")
    return [STEPS[v] for v in range(version, formats.CURRENT)]


def apply(package: Package, version: int) -> list[str]:
    """Run every step from `version` to the current format on `package`; their titles."""
    done = []
    for step in steps_from(version):
        step.apply(package)
        done.append(step.title)
    return done


# --------------------------------------------------------------------------- VBA and buttons


def sheet_code_names(package: Package) -> dict[str, str]:
    """Sheet name -> VBA code name (Sheet1 …) of every sheet that has one."""
    codes = {}
    for sheet, part in package.sheet_parts().items():
        m = re.search(rb'<(?:\w+:)?sheetPr\b[^>]*\bcodeName="([^"]+)"', package.read(part)[:4096])
        if m:
            codes[sheet] = m[1].decode()
    return codes


def prepare_vba(package: Package) -> dict[str, str]:
    """Put the installed xlwings' VBA project in place; returns the sheets' code names for
    `vba.install_module`, which adds our module and the sheets' document modules."""
    from xlkit.workbook import vba

    if vba.VBA_ENTRY not in package:
        raise XlkitError(f"「{package.path.name}」には VBA プロジェクトがないため、ボタンを作り直せません。"
                         "xlkit new でボタン付きの登録簿（.xlsm）を作成し、値を移してください。")
    package.write(vba.VBA_ENTRY, vba.template_bytes())
    return sheet_code_names(package)


def unbound_buttons(package: Package) -> list[str]:
    """Captions of the buttons of 「使い方」 that are missing or call another macro."""
    macros: set[str] = set()
    part = package.sheet_part(design.HOWTO)
    for vml in package.related(part, "vmlDrawing"):
        macros |= {m.decode().strip() for m in re.findall(rb"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", package.read(vml))}
    return [b.caption for b in design.BUTTONS if f"[0]!{b.sub}" not in macros and b.sub not in macros]


def rebuild_buttons(package: Package) -> None:
    """Replace the buttons' drawing of 「使い方」 with the one `xlkit new` writes today."""
    from xlkit.files import scratch
    from xlkit.workbook import builder

    ours = package.related(package.sheet_part(design.HOWTO), "vmlDrawing")
    if len(ours) != 1:
        raise XlkitError(f"「{package.path.name}」の「{design.HOWTO}」シートにボタンの図形がないため、ボタンを作り直せません。"
                         "xlkit new でボタン付きの登録簿を作成し、値を移してください。")
    update_howto_buttons(package)  # the fresh drawing puts each button on its row of today's 使い方
    with scratch(package.path.parent, ".xlsm", owner=package.path.name) as tmp:
        builder.build(tmp)
        with Package(tmp) as fresh:
            theirs = fresh.related(fresh.sheet_part(design.HOWTO), "vmlDrawing")
            package.write(ours[0], fresh.read(theirs[0]))


def finish_vba(sheet_codes: dict[str, str]) -> Callable[[Path, Path], None]:
    from xlkit.workbook import vba

    def finish(written: Path, final: Path) -> None:
        vba.install_module(written, final, sheet_codes)

    return finish
