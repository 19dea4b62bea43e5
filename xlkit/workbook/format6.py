"""The step from register format 5 to 6 (xlkit.workbook.migrate.STEPS[5]), done on the parts:
xlwings.conf's Interpreter_Win pointed at the offline bundle's Python (xlkit.installation) where it
is blank and its ADD_WORKBOOK_TO_PYTHONPATH row set to FALSE (design.XLWINGS_CONF_ROWS says why),
the sheet 診断 after 集計 (laid out like 検証結果, for the button 診断), 使い方's row of that button
(workbook/howto_rows.py) and, in a macro-enabled register, the very hidden sheet of the texts the
buttons' VBA shows (design.MACRO_TEXTS; restore_macro_texts puts it back on a later upgrade). The
VBA itself — each button checking that the Python exists before RunPython — and the drawn buttons
are rebuilt by `xlkit upgrade` (migrate.prepare_vba, migrate.rebuild_buttons). Every other part
stays as it was.
"""

from __future__ import annotations

import re

from xlkit.addresses import column_letter
from xlkit.errors import XlkitError
from xlkit.installation import INTERPRETER_WIN
from xlkit.workbook import appender, design, row_insert, sheet_xml, xml_attrs
from xlkit.workbook.format3 import (
    SHEET_CONTENT_TYPE, SHEET_RELATIONSHIP, WORKBOOK_RELS, _add_override, _add_relationship, _free_code_names,
    _free_part, _macro_enabled, _main_namespace, column_width, insert_sheet)
from xlkit.workbook.migrate import WORKBOOK, note, set_format, xml_attr, xml_text
from xlkit.workbook.package import Package

VERSION = 6


def add_interpreter_diagnosis_and_texts(package: Package) -> None:
    """Format 6: Interpreter_Win, the sheet 診断, 使い方's row of the button 診断 and, in an .xlsm, the
    sheet of the buttons' texts. A register that has a sheet of either new name already is refused
    before anything changes."""
    macro = _macro_enabled(package)
    new = [design.DIAGNOSIS, *([design.MACRO_TEXTS] if macro else [])]
    taken = {name.casefold() for name in package.sheet_parts()}
    clash = [name for name in new if name.casefold() in taken]
    if clash:
        named = "".join(f"「{name}」" for name in clash)
        raise XlkitError(f"「{package.path.name}」にシート{named}がすでにあります。形式 {VERSION} の登録簿は"
                         "この名前のシートを使います。今のシートの名前を変えてから xlkit upgrade を実行してください。")
    set_interpreter(package)
    set_workbook_path(package)
    tell_repeated_keys(package)
    codes = _free_code_names(package, len(new)) if macro else [None] * len(new)
    add_diagnosis_sheet(package, codes[0])
    if macro:
        add_macro_texts_sheet(package, codes[1])
    from xlkit.workbook.howto_rows import update_howto_buttons

    update_howto_buttons(package, design.buttons_until(VERSION))
    set_format(package, VERSION)


# --------------------------------------------------------------------------- xlwings.conf


def set_interpreter(package: Package) -> bool:
    """Interpreter_Win set to the bundle's Python where its value is blank. A value staff or IT
    typed is theirs (a Python installed elsewhere on purpose) and stays, and the upgrade says so
    (migrate.note), as it does when the sheet or the row is missing: the buttons then use the
    user's xlwings settings, which the step does not guess at. True when the value was written."""
    return _set_conf(package, design.CONF_INTERPRETER, INTERPRETER_WIN, add_missing=False)


def set_workbook_path(package: Package) -> bool:
    """ADD_WORKBOOK_TO_PYTHONPATH set to FALSE (design.XLWINGS_CONF_ROWS says why), the row added
    at the end of the keys when missing. A value typed there stays, and the upgrade says so."""
    return _set_conf(package, design.CONF_WORKBOOK_PATH, False, add_missing=True)


def _set_conf(package: Package, key: str, value: str | bool, *, add_missing: bool) -> bool:
    """Give the xlwings.conf row `key` the value `value` where it is blank (and, with
    `add_missing`, add the row where there is none). xlwings reads the sheet's keys from A1 down to
    the first blank cell of column A, caselessly and untrimmed (GetConfigFromSheet): the row is
    looked for there only, since one below that blank is never read."""
    shown_value = value if isinstance(value, str) else str(value).upper()
    name = conf_sheet_name(package)
    opened = sheet_xml.open_sheet(package, name) if name is not None else None
    if opened is None:
        note(package, f"「{design.CONF}」シートがないため、{key} を設定していません"
                      "（ボタンは、パソコンごとの xlwings の設定を使います）")
        return False
    part, sheet = opened
    strings = sheet_xml.SharedStrings(package)
    rows = sheet.rows_between(0, sheet_xml.LAST_ROW)
    keys = _read_keys(sheet, rows, strings)
    for number, found, typed_key in keys:
        if typed_key.upper() == key.upper():
            typed_cell = found.get(2)
            if typed_cell is not None and sheet_xml.holds_value(typed_cell, strings):
                typed = _conf_text(typed_cell, strings)
                if typed.upper() != shown_value.upper():
                    note(package, f"「{name}」シートの {key}（{typed}）は入力されていたとおり残しました"
                                  f"（xlkit が使う値は {shown_value} です）")
                return False
            style = typed_cell[0].get(b"s") if typed_cell is not None else None
            _write_conf_row(package, part, sheet, rows, number, {**found, 2: _conf_cell(value, style, sheet)})
            return True
    if not add_missing:
        note(package, f"「{name}」シートに {key} の行がないため、設定していません"
                      f"（ボタンに xlkit の Python を使わせるには、空白行より上に {key} と "
                      f"{shown_value} を入力してください）")
        return False
    # a row inserted below the last key, as Excel's 「行の挿入」 would: the blank row that ends
    # what xlwings reads, and the notes under it, move down whole. Notes staff moved up right
    # under the keys are read by xlwings as keys too; the row goes above them, among the settings
    # staff look for it in (xlwings' keys are ASCII, the notes Japanese)
    number = next((n for n, _, typed_key in keys if not typed_key.isascii()), len(keys) + 1)
    key_style = _style_above(sheet, rows, number, 1)
    value_style = _style_above(sheet, rows, number, 2)

    def build(sheet, _row: int, numbers: list[int]) -> bytes:
        cells = {1: sheet_xml.text_cell(key, key_style, sheet), 2: _conf_cell(value, value_style, sheet)}
        return sheet.row_xml({b"r": str(numbers[0]).encode()}, cells)

    row_insert.insert(package, name, {number - 1: 1}, build, sheet=sheet)
    return True


def tell_repeated_keys(package: Package) -> None:
    """Say each key xlwings reads twice: GetConfigFromSheet adds every key to a Dictionary, which
    stops every button with an English run-time error at the second one, and which of the two
    rows staff meant is theirs to say."""
    name = conf_sheet_name(package)
    opened = sheet_xml.open_sheet(package, name) if name is not None else None
    if opened is None:
        return
    sheet = opened[1]
    seen: dict[str, list[int]] = {}
    for number, _, typed_key in _read_keys(sheet, sheet.rows_between(0, sheet_xml.LAST_ROW),
                                           sheet_xml.SharedStrings(package)):
        if typed_key:
            seen.setdefault(typed_key.upper(), []).append(number)
    for numbers in seen.values():
        if len(numbers) > 1:
            key = sheet_xml.cell_text(*sheet.cells(numbers[0])[1], sheet_xml.SharedStrings(package))
            note(package, f"「{name}」シートの A 列に {key} が2回以上あります（{'・'.join(map(str, numbers))} 行目）。"
                          "このままではボタンが英語のエラーで止まるため、使わない方の行を削除してください")


def _read_keys(sheet, rows, strings) -> list[tuple[int, dict, str]]:
    """(row, its cells, the key's text) of each row xlwings reads (GetConfigFromSheet): from A1
    down to the first blank cell of column A. A number there is a key too ("" here, never ours)."""
    keys = []
    number = 1
    while number in rows:
        found = dict(sheet.cells_of(rows[number][3]))
        if 1 not in found or not sheet_xml.has_value(*found[1]):
            break
        keys.append((number, found, sheet_xml.cell_text(*found[1], strings) or ""))
        number += 1
    return keys


def conf_sheet_name(package: Package) -> str | None:
    """The register's xlwings.conf sheet as xlwings finds it (wb.Sheets(), which ignores case): a
    sheet staff renamed to XLWINGS.CONF is still the one the buttons read."""
    return next((name for name in package.sheet_parts() if name.casefold() == design.CONF.casefold()), None)


def _conf_text(cell: tuple[dict, bytes | None], strings: sheet_xml.SharedStrings) -> str:
    """A value of the sheet as xlwings reads it (a TRUE/FALSE cell as its word), whole: IT
    compares the path it shows."""
    if cell[0].get(b"t") == b"b":
        return "TRUE" if re.search(rb"<(?:\w+:)?v>\s*1\s*</", cell[1] or b"") else "FALSE"
    text = (sheet_xml.cell_text(*cell, strings) or sheet_xml.shown(cell, strings)).strip()
    formula = re.search(rb"<(?:\w+:)?f\b[^>]*>([^<]*)</", cell[1] or b"")
    if not text and formula:  # a formula whose result is blank: staff find it by what they typed
        from xlkit.workbook.scan import unescape

        return "=" + unescape(formula[1])
    return text


def _conf_cell(value: str | bool, style: bytes | None, sheet) -> tuple[dict, bytes]:
    if isinstance(value, bool):
        attrs = {b"t": b"b", **({b"s": style} if style is not None else {})}
        return attrs, sheet.tag(b"v", b"1" if value else b"0")
    return sheet_xml.text_cell(value, style, sheet)


def _style_above(sheet, rows, number: int, column: int) -> bytes | None:
    """The raw style of the cell above in `column` (the rows xlwings reads look alike)."""
    if number - 1 not in rows:
        return None
    above = dict(sheet.cells_of(rows[number - 1][3])).get(column)
    return above[0].get(b"s") if above is not None else None


def _write_conf_row(package: Package, part: str, sheet, rows, number: int, cells: dict) -> None:
    existing = {number: rows[number]} if number in rows else {}
    attrs = {b"r": str(number).encode(), **{k: v for k, v in (rows[number][2].items() if number in rows else ())
                                            if k not in (b"r", b"spans")}}
    edits = [appender.grow_dimension(sheet.xml, number, 2),
             sheet.rows_edit(number - 1, sheet.row_xml(attrs, cells), existing)]
    package.write(part, sheet.splice(edits))


# --------------------------------------------------------------------------- 診断


def add_diagnosis_sheet(package: Package, code_name: str | None) -> None:
    """The sheet 診断 after 集計 (last when there is none), as the builder writes it (builder._diagnosis):
    the headers in 検証結果's header look, the columns in its columns' format, the first row frozen,
    the placeholder in A2, unprotected like 検証結果, so that the macro doctor writes its rows there the
    way 入力チェック writes 検証結果's; printed A4 landscape one page wide with the header repeated."""
    header_style, column_style = _results_look(package)
    widths = design.DIAGNOSIS_WIDTHS
    last = column_letter(len(design.DIAGNOSIS_HEADERS) - 1)
    style = b' style="%s"' % column_style if column_style is not None else b""
    cols = b"".join(b'<col min="%d" max="%d" width="%s"%s customWidth="1"/>'
                    % (i, i, repr(column_width(w)).encode(), style) for i, w in enumerate(widths, start=1))
    head = b' s="%s"' % header_style if header_style is not None else b""
    header = b"".join(b'<c r="%s1"%s t="inlineStr"><is><t>%s</t></is></c>' % (column_letter(i).encode(), head,
                                                                             xml_text(text))
                      for i, text in enumerate(design.DIAGNOSIS_HEADERS))
    placeholder = b'<c r="C2" t="inlineStr"><is><t>%s</t></is></c>' % xml_text(design.DIAGNOSIS_PLACEHOLDER)
    body = (b'<row r="1" spans="1:%d" ht="24" customHeight="1">%s</row><row r="2" spans="1:%d">%s</row>'
            % (len(widths), header, len(widths), placeholder))
    xml = _sheet_xml(package, code_name, f"A1:{last}2", body, cols=cols, frozen=True,
                     after_data=b"", page=True)
    _add_sheet(package, design.DIAGNOSIS, xml, after=design.SUMMARY)


def _results_look(package: Package) -> tuple[bytes | None, bytes | None]:
    """(header cell style, column style) of 検証結果 as the register has it."""
    opened = sheet_xml.open_sheet(package, design.RESULTS)
    if opened is None:
        return None, None
    sheet = opened[1]
    header = sheet.cells(1).get(1, ({}, None))[0].get(b"s")
    column = sheet.column_styles()(1)
    return header, (str(column).encode() if column is not None else None)


# --------------------------------------------------------------------------- the buttons' texts


def add_macro_texts_sheet(package: Package, code_name: str | None) -> None:
    """design.MACRO_TEXTS after the last sheet, very hidden and protected, with the rows the builder
    writes (builder.macro_text_rows)."""
    _add_sheet(package, design.MACRO_TEXTS, _macro_texts_xml(package, code_name), after=None)
    _set_state(package, design.MACRO_TEXTS, b"veryHidden")


def restore_macro_texts(package: Package) -> bool:
    """For an upgrade of a macro-enabled register already of format 6, whose VBA is rebuilt from
    this xlkit: design.MACRO_TEXTS as this xlkit writes it. Staff who deleted the sheet would
    otherwise get the VBA's English fallback on every PC without the bundle, and a sheet made
    visible (or texts of an older xlkit) would stay so after every upgrade. A sheet of that name
    whose A1 is not design.MACRO_TEXTS_KEY is staff's: it is left as it is and the upgrade says
    so. True when something changed."""
    if not _macro_enabled(package):
        return False
    part = package.sheet_parts().get(design.MACRO_TEXTS)
    if part is None:
        add_macro_texts_sheet(package, _free_code_names(package, 1)[0])
        return True
    if part not in package:  # workbook.xml names a part the file lacks: not a sheet to add twice
        return False
    from xlkit.workbook.builder import macro_text_rows

    sheet = sheet_xml.Sheet(package.read(part), package.path.name, design.MACRO_TEXTS)
    strings = sheet_xml.SharedStrings(package)
    found = [tuple(sheet_xml.cell_text(*cell, strings) if cell else None for cell in (row.get(1), row.get(2)))
             for row in (dict(sheet.cells_of(r[3])) for _, r in sorted(sheet.rows_between(0, sheet_xml.LAST_ROW).items()))]
    if not found or found[0][0] != design.MACRO_TEXTS_KEY:
        note(package, f"「{design.MACRO_TEXTS}」シートは xlkit のものではないため、そのままにしました"
                      "（ボタンの案内は英語で表示されます。シートの名前を変えてから、もう一度 xlkit upgrade を実行してください）")
        return False
    protected = re.search(rb'<(?:\w+:)?sheetProtection\b[^>]*\bsheet="(?:1|true)"', sheet.xml) is not None
    if found == macro_text_rows() and protected and _state(package, design.MACRO_TEXTS) == b"veryHidden":
        return False  # as xlkit left it: the part stays byte for byte
    from xlkit.workbook.migrate import sheet_code_names

    package.write(part, _macro_texts_xml(package, sheet_code_names(package).get(design.MACRO_TEXTS)))
    _set_state(package, design.MACRO_TEXTS, b"veryHidden")
    return True


def _macro_texts_xml(package: Package, code_name: str | None) -> bytes:
    from xlkit.workbook.builder import macro_text_rows

    rows = b"".join(
        b'<row r="%d" spans="1:2"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c>'
        b'<c r="B%d" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c></row>'
        % (r, r, xml_text(key), r, xml_text(text)) for r, (key, text) in enumerate(macro_text_rows(), start=1))
    cols = b'<col min="1" max="1" width="%s" customWidth="1"/><col min="2" max="2" width="%s" customWidth="1"/>' % (
        repr(column_width(28)).encode(), repr(column_width(100)).encode())
    protection = b'<sheetProtection sheet="1" objects="1" scenarios="1"/>'
    return _sheet_xml(package, code_name, f"A1:B{len(macro_text_rows())}", rows, cols=cols, frozen=False,
                      after_data=protection, page=False)


# --------------------------------------------------------------------------- parts


def _sheet_xml(package: Package, code_name: str | None, ref: str, rows: bytes, *, cols: bytes, frozen: bool,
               after_data: bytes, page: bool) -> bytes:
    workbook = package.read(WORKBOOK)
    code = b' codeName="%s"' % xml_attr(code_name) if code_name else b""
    view = (b'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            b'<selection pane="bottomLeft"/>' if frozen else b"")
    return b"".join((
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        b'<worksheet xmlns="%s">' % _main_namespace(workbook),
        b'<sheetPr%s><pageSetUpPr fitToPage="1"/></sheetPr>' % code if page else b"<sheetPr%s/>" % code,
        b'<dimension ref="%s"/>' % ref.encode(),
        b'<sheetViews><sheetView workbookViewId="0">%s</sheetView></sheetViews>' % view,
        b'<sheetFormatPr defaultRowHeight="15"/>',
        b"<cols>%s</cols>" % cols,
        b"<sheetData>%s</sheetData>" % rows,
        after_data,
        b'<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>',
        b'<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/>'
        b"<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter>" if page else b"",
        b"</worksheet>",
    ))


def _add_sheet(package: Package, name: str, xml: bytes, *, after: str | None) -> None:
    """The sheet part, its content type, its relationship and its <sheet> in workbook.xml
    (format3.insert_sheet: names local to the sheets after it follow them)."""
    part = _free_part(package, "xl/worksheets/sheet{}.xml")
    package.write(part, xml)
    _add_override(package, part, SHEET_CONTENT_TYPE, kind=b"worksheet")
    rid = _add_relationship(package, WORKBOOK_RELS, SHEET_RELATIONSHIP, part.removeprefix("xl/"))
    insert_sheet(package, name, rid, after=after)


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*?)/?>")


def _state(package: Package, name: str) -> bytes | None:
    """The visibility of the sheet `name` as workbook.xml gives it (b"visible" when not said)."""
    from xlkit.workbook.scan import unescape

    for m in _SHEET.finditer(package.read(WORKBOOK)):
        attrs = xml_attrs.attributes(m[1])
        if unescape(attrs.get(b"name", b"")) == name:
            return attrs.get(b"state", b"visible")
    return None


def _set_state(package: Package, name: str, state: bytes) -> None:
    """The <sheet> of `name` in workbook.xml given the visibility `state` (hidden, veryHidden)."""
    from xlkit.workbook.scan import unescape

    workbook = package.read(WORKBOOK)
    for m in _SHEET.finditer(workbook):
        attrs = xml_attrs.attributes(m[1])
        # the exact name: a staff sheet whose name differs only in width or spaces (ﾎﾞﾀﾝの文言) sits
        # before ours and must stay as staff left it
        if unescape(attrs.get(b"name", b"")) != name:
            continue
        at = xml_attrs.attribute_at(m[1], b"state")
        if at:
            workbook = workbook[:m.start(1) + at[0]] + state + workbook[m.start(1) + at[1]:]
        else:
            workbook = workbook[:m.start(1)] + b' state="%s"' % state + workbook[m.start(1):]
        package.write(WORKBOOK, workbook)
        return
    raise XlkitError(f"「{package.path.name}」の workbook.xml にシート「{name}」が見つからないため、更新できません。")
