"""The step from register format 2 to 3 (xlkit.workbook.migrate.STEPS[2]), done on the parts:
the sheets 回答状況 and 変更履歴 added after the last sheet (with their content type and
relationship), 設定's row 回答期限, the register id, and 使い方's rows of the two new buttons
(workbook/howto_rows.py). Every other part stays as it was.
"""

from __future__ import annotations

import re

from xlkit import cells, formats, schema
from xlkit.addresses import column_letter
from xlkit.errors import XlkitError
from xlkit.workbook import sheet_xml, xml_attrs
from xlkit.workbook.migrate import WORKBOOK, add_names, xml_attr, xml_text, set_format, set_name, sheet_code_names
from xlkit.workbook.package import Package


CONTENT_TYPES = "[Content_Types].xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHEET_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_FILTER_NAME, _PRINT_TITLES = "_xlnm._FilterDatabase", "_xlnm.Print_Titles"


def add_logs_settings_and_id(package: Package) -> None:
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
        add_settings_row(package, "survey_due")
    from xlkit.workbook import design
    from xlkit.workbook.howto_rows import update_howto_buttons

    update_howto_buttons(package, design.buttons_until(3))
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


def column_width(width: float) -> float:
    """A width in characters as Excel stores it (XlsxWriter's conversion, for the default font)."""
    digit, padding = 7, 5  # pixels, for Calibri 11
    pixels = int(width * (digit + padding) + 0.5) if width < 1 else int(width * digit + 0.5) + padding
    return (pixels * 256 // digit) / 256.0


def _log_sheet_xml(log: schema.Register, main: bytes, header_style: bytes | None, column_style: int | None,
                   code_name: str | None) -> bytes:
    """A sheet only xlkit writes, as builder._log_sheet and builder._page_setup make it: the schema's
    header in row 1 (inline strings), its widths, the first row frozen, a filter over the header,
    protected (no password) so that staff may select, filter, sort and widen columns; A4
    landscape, one page wide."""
    last = column_letter(len(log.columns) - 1)
    code = b' codeName="%s"' % xml_attr(code_name) if code_name else b""
    cols = b"".join(
        b'<col min="%d" max="%d" width="%s"%s customWidth="1"/>'
        % (i, i, repr(column_width(c.width)).encode(), b' style="%d"' % column_style if column_style is not None else b"")
        for i, c in enumerate(log.columns, start=1))
    style = b' s="%s"' % header_style if header_style is not None else b""
    header = b"".join(
        b'<c r="%s1"%s t="inlineStr"><is><t>%s</t></is></c>' % (column_letter(i).encode(), style, xml_text(c.header))
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
    last = xml_attrs.attributes(starts[-1][2])
    id_attr = next((k for k in last if re.fullmatch(rb"\w+:id", k) and not k.startswith(b"xmlns:")), None)
    if id_attr is None:
        raise XlkitError(f"「{package.path.name}」の workbook.xml のシートに部品との関係（r:id）がないため、"
                         "更新できません。")
    sheet_id = max(int(xml_attrs.attributes(m[2]).get(b"sheetId", b"0") or 0) for m in starts) + 1
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
        p, declared, xml_attr(log.sheet), sheet_id, id_attr, rid.encode())
    at = block.end(1)  # before </sheets>
    workbook = workbook[:at] + element + workbook[at:]
    quoted = quote_sheetname(log.sheet)
    last_col = column_letter(len(log.columns) - 1)
    workbook = add_names(package, workbook, [
        (b' name="%s" localSheetId="%d" hidden="1"' % (_FILTER_NAME.encode(), index),
         xml_text(f"{quoted}!$A$1:${last_col}$1")),
        (b' name="%s" localSheetId="%d"' % (_PRINT_TITLES.encode(), index), xml_text(f"{quoted}!$1:$1")),
    ])
    package.write(WORKBOOK, workbook)


def _main_namespace(workbook: bytes) -> bytes:
    """The namespace of workbook.xml's own elements (transitional or strict), for the new sheets."""
    root = re.search(rb"<(?:(\w+):)?workbook\b[^>]*>", workbook)
    if root:
        declared = xml_attrs.attributes(root[0]).get(b"xmlns:%s" % root[1] if root[1] else b"xmlns")
        if declared:
            return declared
    return sheet_xml.MAIN_URI


def _add_content_type(package: Package, part: str) -> None:
    xml = package.read(CONTENT_TYPES)
    kind = SHEET_CONTENT_TYPE.encode()
    for m in re.finditer(rb"<(?:\w+:)?Override\b([^>]*)>", xml):  # the one the other sheets have
        attrs = xml_attrs.attributes(m[1])
        if attrs.get(b"PartName", b"").startswith(b"/xl/worksheets/") and b"worksheet" in attrs.get(b"ContentType", b""):
            kind = attrs[b"ContentType"]
            break
    closing = re.search(rb"</((?:\w+:)?)Types>", xml)
    if closing is None:
        raise XlkitError(f"「{package.path.name}」の部品 {CONTENT_TYPES} が壊れているため、更新できません。")
    entry = b'<%sOverride PartName="/%s" ContentType="%s"/>' % (closing[1], xml_attr(part), kind)
    package.write(CONTENT_TYPES, xml[:closing.start()] + entry + xml[closing.start():])


def _add_relationship(package: Package, rels: str, kind: str, target: str) -> str:
    """Add a relationship to `rels` (of the type the other sheets have); its new id."""
    xml = package.read(rels)
    found = [xml_attrs.attributes(m[1]) for m in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*)>", xml)]
    used = {a.get(b"Id", b"").decode("utf-8", "replace") for a in found}
    kind_b = next((a[b"Type"] for a in found if a.get(b"Type", b"").endswith(b"/worksheet")), kind.encode())
    numbers = [int(m[1]) for i in used if (m := re.fullmatch(r"rId(\d+)", i))]
    n = max(numbers, default=0) + 1
    closing = re.search(rb"</((?:\w+:)?)Relationships>", xml)
    if closing is None:
        raise XlkitError(f"「{package.path.name}」の部品 {rels} が壊れているため、更新できません。")
    entry = b'<%sRelationship Id="rId%d" Type="%s" Target="%s"/>' % (closing[1], n, kind_b, xml_attr(target))
    package.write(rels, xml[:closing.start()] + entry + xml[closing.start():])
    return f"rId{n}"


def add_settings_row(package: Package, key: str) -> bool:
    """The 設定 row of the schema's setting `key` (回答期限, 締めた年度 …) below the last row in use:
    A its title, B the blank value cell, C its help, formatted like the rows above, and the value
    cell's data validation as builder._settings gives it (a date setting: a date between
    builder.DATE_MIN and DATE_MAX; any other: its input message only). Nothing is added (False)
    when the register has no 設定 sheet, or a row of that title is there already (staff added it)."""
    from xlkit.workbook import appender
    from xlkit.workbook.stylesheet import Stylesheet

    settings = schema.settings()
    part = package.sheet_parts().get(settings.sheet)
    if not part or part not in package:
        return False
    sheet = sheet_xml.Sheet(package.read(part), package.path.name, settings.sheet)
    column = settings.column(key)
    strings = sheet_xml.SharedStrings(package)
    rows = sheet.rows_between(0, sheet_xml.LAST_ROW)
    row_cells = {number: dict(sheet.cells_of(found[3])) for number, found in rows.items()}
    titles = {}
    for number, found in row_cells.items():
        title = sheet_xml.cell_text(*found[1], strings) if 1 in found else None
        if title is not None and title.strip():
            titles[number] = cells.fold(title)
    if cells.fold(column.header) in titles.values():
        return False  # staff added it already
    used = [number for number, found in row_cells.items()
            if any(sheet_xml.has_value(*found[c]) for c in (1, 2, 3) if c in found)]
    r = max(used, default=1) + 1
    if r > sheet_xml.LAST_ROW:
        return False
    above = row_cells.get(max(titles)) if titles else {}

    def style(col: int) -> bytes | None:
        return above[col][0].get(b"s") if col in above else None

    styles = Stylesheet(package)
    value_style = _value_style(column, settings, titles, row_cells, styles, style(2))
    epoch = sheet_xml.epoch(package)
    help_text = column.help
    existing = {r: rows[r]} if r in rows else {}
    new_cells = {c: v for c, v in row_cells.get(r, {}).items() if c > 3}
    new_cells[1] = sheet_xml.text_cell(column.header, style(1), styles, epoch, sheet)
    if value_style is not None:
        new_cells[2] = ({b"s": value_style}, None)
    if help_text:
        new_cells[3] = sheet_xml.text_cell(help_text, style(3), styles, epoch, sheet)
    attrs = {k: v for k, v in rows[r][2].items() if k != b"spans"} if r in rows else {}
    attrs = {b"r": str(r).encode(), **{k: v for k, v in attrs.items() if k != b"r"}}
    edits = [appender.grow_dimension(sheet.xml, r, 3),
             sheet.rows_edit(r - 1, sheet.row_xml(attrs, new_cells), existing)]
    if column.kind == "date":
        from xlkit.workbook.builder import SETTING_DATE_ERROR

        entry = date_validation(sheet, f"B{r}", column.header, help_text, epoch, SETTING_DATE_ERROR)
    else:
        entry = prompt_validation(sheet, f"B{r}", column.header, help_text) if help_text else None
    edits += validation_edits(sheet, [entry] if entry else [])
    package.write(part, sheet.splice(edits))
    return True


def _value_style(column: schema.Column, settings: schema.Register, titles: dict[int, str], row_cells: dict,
                 styles, above: bytes | None) -> bytes | None:
    """The format of a new setting's value cell: that of another setting of its kind's look, found
    by title (unlocked, shaded): a date setting's (報告日) for a date, else a text setting's (資料番号)
    — plain, never a date. Failing that, the value cell of the row above (前年度公表値: unlocked and
    shaded too, but a right-aligned number format), unless it shows a date and the new one must not."""
    want_date = column.kind == "date"
    like = {cells.fold(c.header) for c in settings.columns if (c.kind == "date") == want_date
            and c.kind in ("date", "text")}
    found = [cells_[2][0].get(b"s", b"") for number, cells_ in sorted(row_cells.items(), reverse=True)
             if titles.get(number) in like and 2 in cells_]
    chosen = next((s for s in found if s.isdigit() and styles.is_date(int(s)) == want_date), None)
    if chosen is not None:
        return chosen
    if above is not None and not want_date and above.isdigit() and styles.is_date(int(above)):
        return None
    return above


def validation_edits(sheet: sheet_xml.Sheet, entries: list[bytes]) -> list:
    """The edits that add the <dataValidation> `entries` to the sheet's own <dataValidations>
    (not the x14 ones of its extLst), its count raised; none when the sheet has no such block
    (a register xlkit made always has one: an upgrade never adds the block itself)."""
    p = sheet.p
    block = re.compile(rb"<%sdataValidations\b([^>]*?)(/?)>" % re.escape(p)).search(sheet.xml, sheet.end)
    if block is None or block[2] or not entries:
        return []
    closing = sheet.xml.find(b"</%sdataValidations>" % p, block.end())
    if closing < 0:
        return []
    edits = [(closing, closing, b"".join(entries))]
    count = xml_attrs.attribute_at(block[1], b"count")  # in either quote, as XML allows
    if count and block[1][count[0]:count[1]].strip().isdigit():
        at = block.start(1)
        edits.append((at + count[0], at + count[1], b"%d" % (int(block[1][count[0]:count[1]]) + len(entries))))
    return edits


def _prompt(title: str, help_text: str) -> bytes:
    if not help_text:
        return b""
    return b' promptTitle="%s" prompt="%s"' % (xml_attr(title[:32]), xml_attr(help_text[:255]))


def date_validation(sheet: sheet_xml.Sheet, ref: str, title: str, help_text: str, epoch, error: str) -> bytes:
    """A <dataValidation> of `ref` as builder gives date cells: a date between builder.DATE_MIN and
    DATE_MAX, a warning (「はい」 keeps a 和暦 typed as text) saying `error`, its input message."""
    import datetime as dt

    from xlkit.workbook.builder import DATE_ERROR_TITLE, DATE_MAX, DATE_MIN

    def serial(day: dt.date) -> int:
        return (dt.datetime(day.year, day.month, day.day) - epoch).days

    p = sheet.p
    attrs = (b' type="date" errorStyle="warning" allowBlank="1" showInputMessage="1" showErrorMessage="1"'
             b' errorTitle="%s" error="%s"' % (xml_attr(DATE_ERROR_TITLE), xml_attr(error)))
    return (b'<%sdataValidation%s%s sqref="%s">' % (p, attrs, _prompt(title, help_text), ref.encode())
            + b"<%sformula1>%d</%sformula1>" % (p, serial(DATE_MIN), p)
            + b"<%sformula2>%d</%sformula2>" % (p, serial(DATE_MAX), p)
            + b"</%sdataValidation>" % p)


def prompt_validation(sheet: sheet_xml.Sheet, ref: str, title: str, help_text: str) -> bytes:
    """A <dataValidation> of `ref` that allows any value and shows its input message."""
    return b'<%sdataValidation allowBlank="1" showInputMessage="1" showErrorMessage="1"%s sqref="%s"/>' % (
        sheet.p, _prompt(title, help_text), ref.encode())


def list_validation(sheet: sheet_xml.Sheet, ref: str, source: str, *, style: str, error_title: str, error: str,
                    title: str, help_text: str) -> bytes:
    """A <dataValidation> of `ref`: a dropdown of the workbook name `source`, an error alert of
    `style` (stop, warning, information), its input message."""
    p = sheet.p
    kind = b"" if style == "stop" else b' errorStyle="%s"' % xml_attr(style)
    attrs = (b' type="list"%s allowBlank="1" showInputMessage="1" showErrorMessage="1" errorTitle="%s" error="%s"'
             % (kind, xml_attr(error_title), xml_attr(error)))
    return (b'<%sdataValidation%s%s sqref="%s">' % (p, attrs, _prompt(title, help_text), ref.encode())
            + b"<%sformula1>%s</%sformula1>" % (p, xml_text(source), p)
            + b"</%sdataValidation>" % p)
