"""The step from register format 2 to 3 (xlkit.workbook.migrate.STEPS[2]), done on the parts:
the sheets 回答状況 and 変更履歴 added after the last sheet (with their content type and
relationship), 設定's row 回答期限, the register id, and 使い方's rows of the two new buttons
(workbook/howto_rows.py). Every other part stays as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

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
    opened = sheet_xml.open_sheet(package, settings_name)
    settings = opened[1] if opened else None
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
    workbook = package.read(WORKBOOK)
    part = _free_part(package, "xl/worksheets/sheet{}.xml")
    package.write(part, _log_sheet_xml(log, _main_namespace(workbook), header_style, column_style, code_name))
    _add_override(package, part, SHEET_CONTENT_TYPE, kind=b"worksheet")
    rid = _add_relationship(package, WORKBOOK_RELS, SHEET_RELATIONSHIP, part.removeprefix("xl/"))
    insert_sheet(package, log.sheet, rid, filter_to=column_letter(len(log.columns) - 1))


def _main_namespace(workbook: bytes) -> bytes:
    """The namespace of workbook.xml's own elements (transitional or strict), for the new sheets."""
    root = re.search(rb"<(?:(\w+):)?workbook\b[^>]*>", workbook)
    if root:
        declared = xml_attrs.attributes(root[0]).get(b"xmlns:%s" % root[1] if root[1] else b"xmlns")
        if declared:
            return declared
    return sheet_xml.MAIN_URI


def _free_part(package: Package, pattern: str) -> str:
    """The first part name `pattern` gives (sheet1, sheet2 …) that the package has not, in any case:
    a zip holds names as written, Excel reads them caselessly."""
    taken = {name.casefold() for name in (*(i.filename for i in package.infos), *package.changed)}
    n = 1
    while pattern.format(n).casefold() in taken:
        n += 1
    return pattern.format(n)


def _add_override(package: Package, part: str, content_type: str, kind: bytes) -> None:
    """The content type of a new part: the one the package gives the other parts of its `kind`
    (…spreadsheetml.`kind`+xml: a strict file words it otherwise), else `content_type`."""
    xml = package.read(CONTENT_TYPES)
    found = content_type.encode()
    for m in re.finditer(rb"<(?:\w+:)?Override\b([^>]*)>", xml):
        given = xml_attrs.attributes(m[1]).get(b"ContentType", b"")
        if given.endswith(b".%s+xml" % kind):
            found = given
            break
    closing = re.search(rb"</((?:\w+:)?)Types>", xml)
    if closing is None:
        raise XlkitError(f"「{package.path.name}」の部品 {CONTENT_TYPES} が壊れているため、更新できません。")
    entry = b'<%sOverride PartName="/%s" ContentType="%s"/>' % (closing[1], xml_attr(part), found)
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
    opened = sheet_xml.open_sheet(package, settings.sheet)
    if opened is None:
        return False
    part, sheet = opened
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
    new_cells[1] = sheet_xml.text_cell(column.header, style(1), sheet)
    if value_style is not None:
        new_cells[2] = ({b"s": value_style}, None)
    if help_text:
        new_cells[3] = sheet_xml.text_cell(help_text, style(3), sheet)
    attrs = {k: v for k, v in rows[r][2].items() if k != b"spans"} if r in rows else {}
    attrs = {b"r": str(r).encode(), **{k: v for k, v in attrs.items() if k != b"r"}}
    edits = [appender.grow_dimension(sheet.xml, r, 3),
             sheet.rows_edit(r - 1, sheet.row_xml(attrs, new_cells), existing)]
    from xlkit.workbook.builder import setting_validation

    options = setting_validation(column, column.header, help_text)
    # "any" with no message checks nothing: a new register's is dropped by XlsxWriter likewise
    entries = [options_xml(sheet.p, f"B{r}", options, epoch)] if options["validate"] != "any" or help_text else []
    edits += validation_edits(sheet, entries)
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


def options_xml(p: bytes, ref: str, options: dict[str, Any], epoch: dt.datetime) -> bytes:
    """A builder.validation() as the <dataValidation> XlsxWriter writes for it, in a sheet whose
    elements have the namespace prefix `p`."""
    kinds = {"any": None, "list": b"list", "date": b"date", "integer": b"whole", "length": b"textLength"}
    operators = {"between": None, "<=": b"lessThanOrEqual"}
    kind = kinds[options["validate"]]

    def formula(value) -> bytes:
        if isinstance(value, (dt.date, dt.datetime)):
            value = (dt.datetime(value.year, value.month, value.day) - epoch).days
        if isinstance(value, list):
            value = '"' + ",".join(value) + '"'
        text = str(value)
        return xml_text(text[1:] if text.startswith("=") else text)

    attrs = b' type="%s"' % kind if kind else b""
    style = options.get("error_type", "stop")
    if kind and style != "stop":
        attrs += b' errorStyle="%s"' % style.encode()
    operator = operators.get(options.get("criteria", "between"))
    if kind and operator:
        attrs += b' operator="%s"' % operator
    attrs += b' allowBlank="1" showInputMessage="1" showErrorMessage="1"'
    if kind and options.get("error_title"):
        attrs += b' errorTitle="%s" error="%s"' % (xml_attr(options["error_title"]), xml_attr(options["error_message"]))
    attrs += _prompt(options.get("input_title", ""), options.get("input_message", ""))
    values = ([options["source"]] if kind == b"list" else [options["value"]] if "value" in options
              else [options["minimum"], options["maximum"]] if kind else [])
    body = b"".join(b"<%sformula%d>%s</%sformula%d>" % (p, i, formula(v), p, i)
                    for i, v in enumerate(values, start=1))
    if not body:
        return b'<%sdataValidation%s sqref="%s"/>' % (p, attrs, ref.encode())
    return b'<%sdataValidation%s sqref="%s">%s</%sdataValidation>' % (p, attrs, ref.encode(), body, p)


_SHEET = re.compile(rb"<(\w+:)?sheet\b([^>]*?)/?>")
_LOCAL_ID = re.compile(rb"""(<(?:\w+:)?definedName\b[^>]*?\slocalSheetId\s*=\s*["'])(\d+)(["'])""")
_VIEW = xml_attrs.start_tag(b"workbookView")


def _shift_views(workbook: bytes, index: int) -> bytes:
    """workbook.xml with each workbook view's active and first tab moved on when at or after `index`."""
    edits = []
    for m in _VIEW.finditer(workbook):
        for name in (b"activeTab", b"firstSheet"):
            at = xml_attrs.attribute_at(m["attrs"], name)
            value = m["attrs"][at[0]:at[1]] if at else b""
            if value.strip().isdigit() and int(value) >= index:
                edits.append((m.start("attrs") + at[0], m.start("attrs") + at[1], b"%d" % (int(value) + 1)))
    for start, end, text in sorted(edits, reverse=True):
        workbook = workbook[:start] + text + workbook[end:]
    return workbook


def insert_sheet(package: Package, sheet: str, rid: str, *, after: str | None = None,
                 filter_to: str | None = None) -> None:
    """The <sheet> of workbook.xml right after `after`'s (last when there is none or it is None),
    for both steps that add a sheet (format3's logs, format5's 外部提供). The sheets after it move
    one place on, so every name local to a sheet (localSheetId) and the workbook view's tabs
    follow them; the new sheet's print titles repeat its header, and with `filter_to` (the last
    column's letter) Excel's hidden name of the header's filter is added."""
    from xlsxwriter.utility import quote_sheetname

    from xlkit.workbook.scan import unescape

    workbook = package.read(WORKBOOK)
    block = re.search(rb"<(?:\w+:)?sheets\b[^>]*>(.*?)</(?:\w+:)?sheets>", workbook, re.S)
    starts = list(_SHEET.finditer(block[1])) if block else []
    if not starts:
        raise XlkitError(f"「{package.path.name}」の workbook.xml にシートの一覧がないため、更新できません。")
    names = [unescape(xml_attrs.attributes(m[2]).get(b"name", b"")) for m in starts]
    index = names.index(after) + 1 if after is not None and after in names else len(starts)
    model = xml_attrs.attributes(starts[index - 1][2])
    id_attr = next((k for k in model if re.fullmatch(rb"\w+:id", k) and not k.startswith(b"xmlns:")), None)
    if id_attr is None:
        raise XlkitError(f"「{package.path.name}」の workbook.xml のシートに部品との関係（r:id）がないため、"
                         "更新できません。")
    # a sheetId that is not a number (a hand-edited workbook) is no id of ours to avoid: skip it
    ids = (xml_attrs.attributes(m[2]).get(b"sheetId", b"0").strip() for m in starts)
    sheet_id = max((int(i) for i in ids if i.isdigit()), default=0) + 1
    p = starts[index - 1][1] or b""
    declared = b"".join(b' %s="%s"' % (k, v) for k, v in model.items() if k.startswith(b"xmlns"))
    element = b'<%ssheet%s name="%s" sheetId="%d" %s="%s"/>' % (p, declared, xml_attr(sheet), sheet_id, id_attr,
                                                                rid.encode())
    at = block.start(1) + starts[index - 1].end()
    workbook = workbook[:at] + element + workbook[at:]

    def shifted(m: re.Match) -> bytes:
        n = int(m[2])
        return m[1] + (b"%d" % (n + 1) if n >= index else m[2]) + m[3]

    workbook = _shift_views(_LOCAL_ID.sub(shifted, workbook), index)
    quoted = quote_sheetname(sheet)
    names = [(b' name="%s" localSheetId="%d"' % (_PRINT_TITLES.encode(), index), xml_text(f"{quoted}!$1:$1"))]
    if filter_to is not None:
        names.insert(0, (b' name="%s" localSheetId="%d" hidden="1"' % (_FILTER_NAME.encode(), index),
                         xml_text(f"{quoted}!$A$1:${filter_to}$1")))
    package.write(WORKBOOK, add_names(package, workbook, names))
