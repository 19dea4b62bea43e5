"""The step from register format 4 to 5 (xlkit.workbook.migrate.STEPS[4]), done on the parts:
the 審議案件 columns 別紙の件名, 別紙の担当課, 事業内容３の見出し, 外部提供の表題 and 外部提供の期間
appended to its table (xlkit.formats.ADDED[5]), the register sheet 外部提供
(schemas/provision.schema.json) after 審議案件 with its own table, 設定's row その他の記載
(format3.add_settings_row) and 使い方's line about 外部提供 (howto_rows.add_howto_line). Every other
part stays as it was.

Headers, widths, column formats and data validations are those `xlkit new` gives
(builder.validation is the one source of a column's validation), so an upgraded register and a
new one look and behave alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlkit import cells, formats, schema
from xlkit.addresses import column_index, column_letter
from xlkit.errors import XlkitError
from xlkit.workbook import appender, design, sheet_xml, xml_attrs
from xlkit.workbook.format3 import (
    SHEET_CONTENT_TYPE, SHEET_RELATIONSHIP, WORKBOOK_RELS, _add_override, _add_relationship, _free_code_names,
    _free_part, _macro_enabled, _main_namespace, add_settings_row, column_width, insert_sheet, options_xml,
    validation_edits)
from xlkit.workbook.migrate import DEFINED_NAME, WORKBOOK, set_format, xml_attr, xml_text
from xlkit.workbook.package import Package

VERSION = 5
TABLE_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
TABLE_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHOWN_CELLS = 5  # cells a refusal names: enough to find them, short enough to read


def add_case_columns_provisions_and_other_note(package: Package) -> None:
    """Format 5: the new 審議案件 columns, the sheet 外部提供, the 設定 row その他の記載 and 使い方's
    line about 外部提供. A
    register whose new cells staff already use, or that has a sheet named 外部提供, is refused
    before anything changes."""
    plan = case_plan(package)
    _check_free_sheet_name(package)
    if plan is not None:
        add_case_columns(package, plan)
    add_provision_sheet(package)
    add_settings_row(package, "other_note")
    from xlkit.workbook.howto_rows import add_howto_line

    add_howto_line(package, design.case_sheet(), design.provision_howto())
    set_format(package, VERSION)


def new_case_columns() -> list[schema.Column]:
    """The 審議案件 columns format 5 adds, in the schema's order."""
    added = set(formats.ADDED[VERSION][schema.case().sheet])
    return [c for c in schema.case().columns if c.header in added]


# --------------------------------------------------------------------------- 審議案件


@dataclass
class CasePlan:
    """What the step writes into 審議案件: the sheet and table parts, and the columns (1-based)
    each new schema column gets, right of the table's last column."""

    part: str
    table: str | None
    last: int  # the last column of the header (the table's) before the step
    rows: int  # the last row of the table (its header row when it has none)
    add: dict[int, schema.Column] = field(default_factory=dict)


def case_plan(package: Package) -> CasePlan | None:
    """Check 審議案件 before anything is written. The new columns go right of its table (or of its
    last header when it has no table); a header staff already added to the table is kept as it
    is. Any value in the cells the new columns take — their header cells or any row below — is
    staff's and the step is refused, naming those cells. None when the register has no 審議案件
    sheet."""
    case = schema.case()
    opened = sheet_xml.open_sheet(package, case.sheet)
    if opened is None:
        return None
    part, sheet = opened
    strings = sheet_xml.SharedStrings(package)
    header = sheet.cells(1)
    table, bounds = _register_table(package, part)
    if bounds is not None:
        last, rows = column_index(bounds[2]) + 1, bounds[3]
    else:
        last = max((c for c, found in header.items() if sheet_xml.has_value(*found)), default=0)
        rows = 1
    # a header staff added to the register's own columns is theirs to keep; one right of them is in
    # the way of the new columns like any other value
    present = {cells.fold(t) for col, found in header.items()
               if col <= last and (t := sheet_xml.cell_text(*found, strings)) is not None and t.strip()}
    plan = CasePlan(part, table, last, rows)
    for column in new_case_columns():
        if cells.fold(column.header) not in present:
            plan.add[last + 1 + len(plan.add)] = column
    taken: list[tuple[str, str]] = []
    for number, found in sheet.rows_between(0, sheet_xml.LAST_ROW).items():
        for col, cell in sheet.cells_of(found[3]):
            if col in plan.add and sheet_xml.holds_value(cell, strings):
                taken.append((f"{column_letter(col - 1)}{number}", sheet_xml.shown(cell, strings)))
    if taken:
        named = "、".join(f"{ref}（「{text}」）" for ref, text in taken[:_SHOWN_CELLS])
        more = f"ほか {len(taken) - _SHOWN_CELLS} セル" if len(taken) > _SHOWN_CELLS else ""
        first, last_col = column_letter(min(plan.add) - 1), column_letter(max(plan.add) - 1)
        titles = "・".join(f"「{c.header}」" for c in plan.add.values())
        raise XlkitError(
            f"「{package.path.name}」の「{case.sheet}」シートのセル {named}{more}に値が入力されています。"
            f"{first} 列から {last_col} 列は、形式 {VERSION} から{titles}の列になります。"
            f"値を {column_letter(max(plan.add))} 列より右の列に移すか消してから、xlkit upgrade を実行してください。")
    return plan


def _register_table(package: Package, part: str) -> tuple[str | None, tuple[str, int, str, int] | None]:
    """The table (part, ref bounds) that holds the register: headed on row 1 from column A."""
    for table in package.related(part, "table"):
        if table not in package:
            continue
        root = appender._TABLE.search(package.read(table))
        bounds = appender.ref_bounds(xml_attrs.attributes(root["attrs"]).get(b"ref", b"").decode()) if root else None
        if bounds is not None and bounds[1] == 1 and column_index(bounds[0]) == 0:
            return table, bounds
    return None, None


def add_case_columns(package: Package, plan: CasePlan) -> None:
    """Write the plan: header cells formatted like the sheet's optional headers, the table (and its
    filter) widened over the new columns, the columns' widths and formats, their validations."""
    from xlkit.workbook.builder import validation
    from xlkit.workbook.stylesheet import Stylesheet

    if not plan.add:
        return
    case = schema.case()
    checked = {col for col, column in plan.add.items() if validation(column)}
    xml = package.read(plan.part)
    xml = _trimmed_validations(xml, sheet_xml.Sheet(xml, package.path.name, case.sheet), checked, package)
    sheet = sheet_xml.Sheet(xml, package.path.name, case.sheet)
    strings = sheet_xml.SharedStrings(package)
    styles, epoch = Stylesheet(package), sheet_xml.epoch(package)
    rows = sheet.rows_between(0, 1)
    header = dict(sheet.cells_of(rows[1][3])) if 1 in rows else {}
    by_header = {cells.fold(t): col for col, found in header.items()
                 if (t := sheet_xml.cell_text(*found, strings)) is not None}
    # the look of an optional header and of a plain text column, from the columns staff have
    optional = [by_header[cells.fold(c.header)] for c in case.columns
                if not c.required and cells.fold(c.header) in by_header]
    header_style = header.get(optional[0] if optional else plan.last, ({}, None))[0].get(b"s")
    new_cells = dict(header)
    for col, column in plan.add.items():
        new_cells[col] = sheet_xml.text_cell(column.header, header_style, sheet)
    attrs = ({k: v for k, v in rows[1][2].items() if k != b"spans"} if 1 in rows
             else {b"ht": b"36", b"customHeight": b"1"})
    attrs = {b"r": b"1", **{k: v for k, v in attrs.items() if k != b"r"}}
    edits = [appender.grow_dimension(sheet.xml, 1, max(new_cells)),
             sheet.rows_edit(0, sheet.row_xml(attrs, new_cells), {1: rows[1]} if 1 in rows else {})]
    edits += _cols_edit(sheet, {col: (column, _like(column, by_header, plan.last)) for col, column in plan.add.items()},
                       package)
    entries = []
    for col, column in plan.add.items():
        options = validation(column)
        if options:
            letter = column_letter(col - 1)
            entries.append(options_xml(sheet.p, f"{letter}2:{letter}{sheet_xml.LAST_ROW}", options, epoch))
    edits += validation_edits(sheet, entries)
    edits += _attachment_prompt_edits(sheet)
    package.write(plan.part, sheet.splice(edits))
    if plan.table is not None:
        package.write(plan.table, _widened_table(package.read(plan.table), plan))
    styles.save()


# what formats up to 4 told staff about 添付ファイル; since format 5 the files are printed on the 別紙,
# and the schema's message says where they go and which kinds are read
_OLD_ATTACHMENT_PROMPT = "個人情報の流れ図などのファイル名を入力してください。"


def _attachment_prompt_edits(sheet: sheet_xml.Sheet) -> list:
    """The input message of 添付ファイル as a new register has it, where the sheet still shows the one
    xlkit wrote before format 5 (a message staff wrote themselves stays)."""
    old = xml_attr(_OLD_ATTACHMENT_PROMPT)
    new = xml_attr(schema.case().column("attachment").input_message[:255])
    edits = []
    for m in re.finditer(rb"<%sdataValidation\b([^>]*)>" % re.escape(sheet.p), sheet.xml[sheet.end:]):
        at = xml_attrs.attribute_at(m[1], b"prompt")
        if at and m[1][at[0]:at[1]] == old:
            start = sheet.end + m.start(1)
            edits.append((start + at[0], start + at[1], new))
    return edits


def _like(column: schema.Column, by_header: dict[str, int], fallback: int) -> int:
    """The existing column whose format a new one takes: the first of the schema's columns of its
    kind (a 課 list like 担当課, text like 審議案件) that the sheet has."""
    for other in schema.case().columns:
        if other.kind == column.kind and bool(other.master) == bool(column.master) \
                and cells.fold(other.header) in by_header:
            return by_header[cells.fold(other.header)]
    return fallback


def _cols_edit(sheet: sheet_xml.Sheet, new: dict[int, tuple[schema.Column, int]], package: Package) -> list:
    """The edit of <cols>: each new column its own entry with its schema width and the format of the
    column it is `like`. A <col> of staff's that spans a new column (R:XFD hidden or narrowed to tidy
    the sheet, a width set for the columns right of the register) is split around the new columns:
    the rest of it stays as staff made it, and the new columns are shown like a new register's —
    columns left hidden at width 0 would hide the new items from staff with no word. A split of a
    hidden range is told (migrate.note). Nothing when the sheet has no <cols>."""
    found = sheet.col_entries()
    if found is None:
        return []  # no <cols>, or not one read simply: widths stay as they are
    block, spans = found
    first, last = min(new), max(new)  # the new columns are side by side, right of the register
    ours = b""
    for col, (column, like) in sorted(new.items()):
        style = next((a.get(b"style") for low, high, a, _ in spans if low <= like <= high), None)
        attrs = {b"width": repr(column_width(column.width)).encode()}
        if style is not None:
            attrs[b"style"] = style
        attrs[b"customWidth"] = b"1"
        ours += b'<%scol min="%d" max="%d"%s/>' % (sheet.p, col, col, xml_attrs.attrs_xml(attrs))
    hidden = []
    edits = []
    placed = False
    for low, high, attrs, m in spans:
        at = block.start(1) + m.start()
        if high < first:
            continue
        if low > last:
            if not placed:  # <col>s in column order: ours go before the first right of them
                edits.append((at, at, ours))
                placed = True
            continue
        # staff's entry over a new column: what is left of it either side, in order, ours between
        pieces = []
        if low < first:
            pieces.append(b'<%scol%s/>' % (sheet.p, xml_attrs.attrs_xml({**attrs, b"max": b"%d" % (first - 1)})))
        pieces.append(ours if not placed else b"")
        placed = True
        if high > last:
            pieces.append(b'<%scol%s/>' % (sheet.p, xml_attrs.attrs_xml({**attrs, b"min": b"%d" % (last + 1),
                                                                         b"max": attrs[b"max"]})))
        edits.append((at, block.start(1) + m.end(), b"".join(pieces)))
        if attrs.get(b"hidden", b"").strip() in (b"1", b"true") or attrs.get(b"width", b"").strip() in (b"0", b"0.0"):
            hidden.append((max(low, first), min(high, last)))
    if not placed:
        edits.append((block.end(1), block.end(1), ours))
    if hidden:
        from xlkit.workbook.migrate import note

        shown = "、".join(f"{column_letter(a - 1)} 列" + (f"から {column_letter(b - 1)} 列" if b > a else "")
                         for a, b in hidden)
        note(package, f"「{schema.case().sheet}」シートの非表示（または幅 0）の列のうち、新しい列になる {shown}を"
                      "表示しました（ほかの列は非表示のままです）")
    return edits


def _widened_table(xml: bytes, plan: CasePlan) -> bytes:
    """The table part with its ref (and its filter's) over the new columns and a <tableColumn> each."""
    last = column_letter(max(plan.add) - 1).encode()
    # the table's ref and its filter's are widened each keeping its own last row: they differ when
    # the table has a totals row (the filter covers the header and body only), and a filter left
    # over the old columns would not filter the new ones
    edits = []
    root = appender._TABLE.search(xml)
    at = xml_attrs.attribute_at(root["attrs"], b"ref")
    edits.append((root.start("attrs") + at[0], root.start("attrs") + at[1], plan.rows))
    found = re.compile(rb"<(?:\w+:)?autoFilter\b([^>]*)").search(xml, root.end())
    if found and (at := xml_attrs.attribute_at(found[1], b"ref")):
        edits.append((found.start(1) + at[0], found.start(1) + at[1], None))
    for start, end, row in sorted(edits, reverse=True):
        bounds = appender.ref_bounds(xml[start:end].decode().replace("$", ""))
        if bounds is None:
            continue
        value = b"%s%d:%s%d" % (bounds[0].encode(), bounds[1], last, row if row is not None else bounds[3])
        xml = xml[:start] + value + xml[end:]
    block = re.search(rb"<((?:\w+:)?)tableColumns\b([^>]*)>(.*?)</(?:\w+:)?tableColumns>", xml, re.S)
    if block is None:
        raise XlkitError("審議案件の表（テーブル）の列の一覧が読めないため、列を追加できません。"
                         "Excel で表を作り直してから xlkit upgrade を実行してください。")
    p = block[1]
    ids = [int(i) for i in re.findall(rb"""<(?:\w+:)?tableColumn\b[^>]*?\sid\s*=\s*["'](\d+)""", block[3])]
    columns = b"".join(b'<%stableColumn id="%d" name="%s"/>' % (p, max(ids, default=0) + n, xml_attr(c.header))
                       for n, c in enumerate(plan.add.values(), start=1))
    attrs = block[2]
    count = xml_attrs.attribute_at(attrs, b"count")
    if count:
        attrs = attrs[:count[0]] + b"%d" % (len(ids) + len(plan.add)) + attrs[count[1]:]
    opening = b"<%stableColumns%s>" % (p, attrs)
    return xml[:block.start()] + opening + block[3] + columns + b"</%stableColumns>" % p + xml[block.end():]


# --------------------------------------------------------------------------- data validations

_SQREF_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d*)(?::\$?([A-Za-z]{1,3})\$?(\d*))?")
_VALIDATION = re.compile(rb"<((?:\w+:)?)dataValidation\b([^>]*?)(?:/>|>(.*?)</\1dataValidation>)", re.S)
_VALIDATIONS = re.compile(rb"<((?:\w+:)?)dataValidations\b([^>]*?)(?:/>|>(.*?)</\1dataValidations>)", re.S)
_SQREF_ELEMENT = re.compile(rb"<((?:\w+:)?)sqref>([^<]*)</\1sqref>")


def _trim_sqref(sqref: str, columns: set[int]) -> str | None:
    """`sqref` without the cells below row 1 of `columns` (1-based); None when it is left as it was
    (nothing of it there, or a reference not read simply)."""
    kept, changed = [], False
    for ref in sqref.split():
        m = _SQREF_RANGE.fullmatch(ref)
        if m is None:
            return None
        c1, c2 = column_index(m[1]) + 1, column_index(m[3] or m[1]) + 1
        r1 = int(m[2]) if m[2] else 1
        r2 = int(m[4] if m[3] else m[2]) if (m[4] if m[3] else m[2]) else sheet_xml.LAST_ROW
        if r2 < 2 or not any(c in columns for c in range(c1, c2 + 1)):
            kept.append(ref)
            continue
        changed = True
        run_start = c1
        for c in range(c1, c2 + 2):  # runs of columns in and out of `columns`
            if c <= c2 and (c in columns) == (run_start in columns):
                continue
            low, high = column_letter(run_start - 1), column_letter(c - 2)
            if run_start not in columns:
                kept.append(f"{low}{r1}:{high}{r2}" if (low, r1) != (high, r2) else f"{low}{r1}")
            elif r1 == 1:  # the header cells stay: the new validations start on row 2
                kept.append(f"{low}1:{high}1" if low != high else f"{low}1")
            run_start = c
    return " ".join(kept) if changed else None


def _trimmed_validations(xml: bytes, sheet: sheet_xml.Sheet, columns: set[int], package: Package) -> bytes:
    """The sheet with the cells the new columns' validations cover taken out of staff's validations
    (both the sheet's own and the x14 ones of its extLst); a validation left with no cell goes.

    Trimmed rather than refused: Excel allows one validation per cell and repairs a file with two,
    dropping one of its choosing. The cells are blank (values there are refused before), the column
    means something else from now on, and its validation (a 課 list, a length …) is what its values
    must meet; a refusal would send staff hunting through Excel's validation dialog with no value
    at stake. What was taken is told (migrate.note), cell by cell range, so staff can put their rule
    on another column."""
    if not columns:
        return xml
    tail = xml[sheet.end:]
    edits, trimmed = [], []
    for m in _VALIDATION.finditer(tail):
        at = xml_attrs.attribute_at(m[2], b"sqref")
        if at:
            where = (m.start(2) + at[0], m.start(2) + at[1])
        else:
            element = _SQREF_ELEMENT.search(m[3] or b"")
            if element is None:
                continue
            where = (m.start(3) + element.start(2), m.start(3) + element.end(2))
        old = tail[where[0]:where[1]].decode("utf-8", "replace")
        new = _trim_sqref(old, columns)
        if new is None:
            continue
        trimmed.append(old)
        edits.append((m.start(), m.end(), None) if not new else (where[0], where[1], new.encode()))
    if not edits:
        return xml
    for start, end, text in sorted(edits, reverse=True):
        tail = tail[:start] + (text or b"") + tail[end:]
    # each block's count as it now is; a block left empty goes (its ext with it: x14 blocks live in one)
    for m in reversed(list(_VALIDATIONS.finditer(tail))):
        left = len(re.findall(rb"<%sdataValidation\b" % re.escape(m[1]), m[3] or b""))
        if left:
            at = xml_attrs.attribute_at(m[2], b"count")
            if at:
                tail = tail[:m.start(2) + at[0]] + b"%d" % left + tail[m.start(2) + at[1]:]
            continue
        if m[1] == sheet.p:  # the sheet's own: the new columns' validations go into it
            continue
        start, end = m.start(), m.end()
        ext = [e for e in re.finditer(rb"<((?:\w+:)?)ext\b[^>]*>(.*?)</\1ext>", tail, re.S)
               if e.start() < start and end <= e.end()]
        if ext and not (ext[-1][2].replace(tail[start:end], b"").strip()):
            start, end = ext[-1].start(), ext[-1].end()
        tail = tail[:start] + tail[end:]
    from xlkit.workbook.migrate import note

    note(package, f"「{schema.case().sheet}」シートの入力規則（{'、'.join(trimmed)}）から、新しい列になるセルを外しました"
                  "（1つのセルに入力規則は1つしか設定できないため。新しい列には今の登録簿と同じ入力規則を設定しました）")
    return xml[:sheet.end] + tail


# --------------------------------------------------------------------------- 外部提供


def _check_free_sheet_name(package: Package) -> None:
    name = design.provision_sheet()
    if name.casefold() in {n.casefold() for n in package.sheet_parts()}:
        raise XlkitError(f"「{package.path.name}」にシート「{name}」がすでにあります。形式 {VERSION} の登録簿は"
                         f"このシートに外部提供を入力します。今のシートの名前を変えてから xlkit upgrade を実行してください。")


def add_provision_sheet(package: Package) -> None:
    """The register sheet 外部提供 after 審議案件 (after the last sheet when there is none), as the
    builder writes it: the schema's header (required columns in the required header's look), widths
    and column formats like 審議案件's columns of each kind, the first row frozen, an empty table
    over the header and one row, each column's validation, printed A4 landscape one page wide with
    the header repeated, and a VBA code name in a macro-enabled register."""
    from xlkit.workbook.builder import validation

    register = schema.provision()
    case = schema.case()
    looks = _case_looks(package)
    code_name = _free_code_names(package, 1)[0] if _macro_enabled(package) else None
    workbook = package.read(WORKBOOK)
    main = _main_namespace(workbook)
    epoch = sheet_xml.epoch(package)
    columns = register.columns
    last = column_letter(len(columns) - 1)

    def look_of(column: schema.Column) -> tuple[bytes | None, bytes | None]:
        """(header style, column style) of the 審議案件 column of the same kind."""
        like = next((c for c in case.columns if c.kind == column.kind and c.required == column.required
                     and not c.master), None) or next((c for c in case.columns if c.kind == column.kind), None)
        header, col = looks.get(like.header if like else "", (None, None))
        required = next((looks[c.header][0] for c in case.columns if c.required and c.header in looks), None)
        optional = next((looks[c.header][0] for c in case.columns if not c.required and c.header in looks), None)
        return (required if column.required else optional) or header, col

    cols, heads, checks = [], [], []
    for i, column in enumerate(columns):
        header_style, col_style = look_of(column)
        style = b' style="%s"' % col_style if col_style is not None else b""
        cols.append(b'<col min="%d" max="%d" width="%s"%s customWidth="1"/>'
                    % (i + 1, i + 1, repr(column_width(column.width)).encode(), style))
        head = b' s="%s"' % header_style if header_style is not None else b""
        heads.append(b'<c r="%s1"%s t="inlineStr"><is><t>%s</t></is></c>'
                     % (column_letter(i).encode(), head, xml_text(column.header)))
        options = validation(column)
        if options:
            letter = column_letter(i)
            checks.append(options_xml(b"", f"{letter}2:{letter}{sheet_xml.LAST_ROW}", options, epoch))
    code = b' codeName="%s"' % xml_attr(code_name) if code_name else b""
    xml = b"".join((
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        b'<worksheet xmlns="%s" xmlns:r="%s">' % (main, _relationships_namespace(workbook)),
        b'<sheetPr%s><pageSetUpPr fitToPage="1"/></sheetPr>' % code,
        b'<dimension ref="A1:%s1"/>' % last.encode(),
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        b'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>',
        b'<sheetFormatPr defaultRowHeight="15"/>',
        b"<cols>%s</cols>" % b"".join(cols),
        b'<sheetData><row r="1" ht="36" customHeight="1">%s</row></sheetData>' % b"".join(heads),
        b'<dataValidations count="%d">%s</dataValidations>' % (len(checks), b"".join(checks)) if checks else b"",
        b'<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>',
        b'<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>',
        b"<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter>",
        b'<tableParts count="1"><tablePart r:id="rId1"/></tableParts>',
        b"</worksheet>",
    ))
    part = _free_part(package, "xl/worksheets/sheet{}.xml")
    table = _free_part(package, "xl/tables/table{}.xml")
    package.write(part, xml)
    package.write(table, _table_xml(package, register, main))
    folder, name = part.rsplit("/", 1)
    package.write(f"{folder}/_rels/{name}.rels", (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="%s"><Relationship Id="rId1" Type="%s" Target="../tables/%s"/></Relationships>'
        % (PACKAGE_RELS.encode(), TABLE_RELATIONSHIP.encode(), table.rsplit("/", 1)[1].encode())))
    _add_override(package, part, SHEET_CONTENT_TYPE, kind=b"worksheet")
    _add_override(package, table, TABLE_CONTENT_TYPE, kind=b"table")
    rid = _add_relationship(package, WORKBOOK_RELS, SHEET_RELATIONSHIP, part.removeprefix("xl/"))
    insert_sheet(package, register.sheet, rid, after=case.sheet)


def _case_looks(package: Package) -> dict[str, tuple[bytes | None, bytes | None]]:
    """審議案件's header -> (its header cell's style, its column's style), as the register has them."""
    opened = sheet_xml.open_sheet(package, schema.case().sheet)
    if opened is None:
        return {}
    sheet = opened[1]
    strings = sheet_xml.SharedStrings(package)
    column_style = sheet.column_styles()
    looks = {}
    for col, found in sheet.cells(1).items():
        text = sheet_xml.cell_text(*found, strings)
        if text:
            style = column_style(col)
            looks.setdefault(text.strip(), (found[0].get(b"s"), str(style).encode() if style is not None else None))
    return looks


def _relationships_namespace(workbook: bytes) -> bytes:
    found = re.search(rb"""xmlns:r\s*=\s*["']([^"']+)["']""", workbook)
    return found[1] if found else b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _table_xml(package: Package, register: schema.Register, main: bytes) -> bytes:
    """An empty table over the header and one row, styled as the register's other tables; its id is
    one no table of the workbook has (Excel repairs a file with two of one id), its name one no table
    nor defined name has (_free_name)."""
    from xlkit.workbook.scan import unescape

    taken: set[str] = set()  # table names and defined names share one namespace in Excel
    ids, style = [], b'<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" ' \
                     b'showRowStripes="1" showColumnStripes="0"/>'
    for name in (*(i.filename for i in package.infos), *package.changed):
        if re.fullmatch(r"xl/tables/[^/]+\.xml", name) and name in package:
            xml = package.read(name)
            root = appender._TABLE.search(xml)
            attrs = xml_attrs.attributes(root["attrs"]) if root else {}
            if (i := attrs.get(b"id", b"")).strip().isdigit():
                ids.append(int(i))
            taken |= {unescape(attrs[k]).casefold() for k in (b"name", b"displayName") if k in attrs}
            found = re.search(rb"<(?:\w+:)?tableStyleInfo\b[^>]*/>", xml)
            if found and not re.search(rb"<(?:\w+:)", found[0]):
                style = found[0]
    last = column_letter(len(register.columns) - 1)
    for m in DEFINED_NAME.finditer(package.read(WORKBOOK)):
        taken.add(unescape(xml_attrs.attributes(m["attrs"]).get(b"name", b"")).casefold())
    name = xml_attr(_free_name(design.table_name(register.sheet), taken))
    columns = b"".join(b'<tableColumn id="%d" name="%s"/>' % (i, xml_attr(c.header))
                       for i, c in enumerate(register.columns, start=1))
    return (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<table xmlns="%s" id="%d" name="%s" displayName="%s" ref="A1:%s2" totalsRowShown="0">'
            b'<autoFilter ref="A1:%s2"/><tableColumns count="%d">%s</tableColumns>%s</table>'
            % (main, max(ids, default=0) + 1, name, name, last.encode(), last.encode(), len(register.columns),
               columns, style))


def _free_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted`2, 3 … when a table or defined name of the workbook has it (Excel names
    are caseless): Excel repairs a file with two of one name by dropping a table. Staff's name stays
    theirs; the new table is found by its sheet, never by its name."""
    name, n = wanted, 1
    while name.casefold() in taken:
        n += 1
        name = f"{wanted}{n}"
    return name
