"""Register format 5: the 審議案件 columns 別紙の件名, 別紙の担当課, 事業内容３の見出し, 外部提供の表題 and
外部提供の期間, the register sheet 外部提供 and the 設定 row その他の記載 — in a register `xlkit new`
writes, and added by `xlkit upgrade` (migrate.STEPS[4], workbook/format5.py) to registers of format 4
(tests/fixtures/format4_sample.xlsx/.xlsm, the sample as xlkit wrote it at format 4) and, through
every step, of format 1.

Every test works on copies in tmp_path; the fixtures themselves are only read.
"""

from __future__ import annotations

import re

import openpyxl
import pytest

from support import REPO, needs_soffice, run_cli
from support.buttons import BY_CAPTION
from support.forms import sheet_rows
from support.lo import inspect
from support.zips import members, rewrite_member
from support.upgrades import (book_values, upgrade_by_cli, with_blank_formula, copy_of, dimension, folder_state, fresh_registers, howto_cells, look,
                              untouched, validations)
from xlkit import formats, schema, tasks
from xlkit.errors import XlkitError
from xlkit.installation import INTERPRETER_WIN
from xlkit.workbook import builder, design, format5, migrate, reader
from xlkit.workbook.package import Package

FIXTURES = REPO / "tests" / "fixtures"
FORMAT4 = {".xlsx": FIXTURES / "format4_sample.xlsx", ".xlsm": FIXTURES / "format4_sample.xlsm"}
FORMAT1 = {".xlsx": FIXTURES / "format1_sample.xlsx", ".xlsm": FIXTURES / "format1_sample.xlsm"}
CASE, PROVISION = schema.case(), schema.provision()
NEW_HEADERS = ("別紙の件名", "別紙の担当課", "事業内容３の見出し", "外部提供の表題", "外部提供の期間")
OTHER_NOTE = schema.settings().column("other_note")
CASES_PART = "xl/worksheets/sheet3.xml"  # 審議案件 of the fixtures
STEP = migrate.STEPS[4]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Registers `xlkit new` writes today: what an upgraded register must look like."""
    return fresh_registers(tmp_path_factory.mktemp("fresh5"))


@pytest.fixture(scope="module", autouse=True)
def fixtures_untouched():
    """No test here may change the fixtures (they stand for files an older xlkit made)."""
    yield from untouched([*FORMAT4.values(), *FORMAT1.values()])


def type_into(path, part: str, ref: str, text: str) -> None:
    """Type text into one cell of a sheet's existing row, as staff would, in the fixture's XML."""
    row = re.match(r"[A-Z]+(\d+)", ref)[1]

    def change(data: bytes) -> bytes:
        m = re.search(rb'<row r="%s"[^>]*>.*?</row>' % row.encode(), data, re.S)
        cell = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()
        at = m.end() - len(b"</row>")  # right of every cell of the row: the new columns are last
        return data[:at] + cell + data[at:]

    rewrite_member(path, part, change)


def header_row(ws) -> list:
    return [c.value for c in ws[1]]


# --------------------------------------------------------------------------- 1. what format 5 is


def test_the_format_is_5_and_its_step_adds_the_columns_the_sheet_and_the_setting():
    assert formats.CURRENT >= 5  # format 6 came after (tests/test_format6.py)
    assert formats.ADDED[5] == {"審議案件": NEW_HEADERS, "外部提供": ()}
    # what format 5 added among what came after format 4 (format 6's 診断 too: tests/test_format6.py)
    assert {k: v for k, v in formats.added_since(4).items() if k in formats.ADDED[5]} == {
        "審議案件": set(NEW_HEADERS), "外部提供": set()}
    assert [c.header for c in format5.new_case_columns()] == list(NEW_HEADERS) == CASE.headers[-5:]
    assert STEP.title == ("審議案件の別紙の件名・別紙の担当課・事業内容３の見出し・外部提供の表題・外部提供の期間、"
                          "外部提供のシート、設定のその他の記載を加える")
    order = design.sheet_order()
    assert order[order.index(design.case_sheet()) + 1] == PROVISION.sheet == "外部提供"


def test_a_new_register_has_the_provision_sheet_and_the_case_columns_from_the_schemas(fresh, tmp_path):
    workbook = openpyxl.load_workbook(fresh[".xlsx"])
    assert workbook.sheetnames == list(design.sheet_order())
    assert header_row(workbook[CASE.sheet]) == CASE.headers
    ws = workbook[PROVISION.sheet]
    assert header_row(ws) == PROVISION.headers
    assert ws.tables[design.table_name(PROVISION.sheet)].ref == "A1:I2"
    assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    found = {v[0]: v for v in validations(ws)}
    assert found["A2:A1048576"][1] == "whole" and found["B2:B1048576"][1] == "whole"
    assert found["G2:G1048576"][1:3] == ("date", "warning")
    assert found["G2:G1048576"][7:9] == ("外部提供の時期（必須）", PROVISION.column("provided_on").input_message)
    # 事業内容３の見出し: a dropdown of the schema's enum; 別紙の担当課 offered from the 課 list, several allowed
    cases = {v[0]: v for v in validations(workbook[CASE.sheet])}
    heading = cases["T2:T1048576"]
    assert heading[1:4] == ("list", None, '"対象者,対象者数"') and heading[8] == CASE.column("count_heading").input_message
    assert cases["S2:S1048576"][1:4] == ("list", "information", design.list_name(design.DIVISIONS))
    assert cases["R2:R1048576"][7:9] == ("別紙の件名", CASE.column("sheet_title").input_message)
    # rows given to the builder are written to 外部提供's table
    path = builder.build(tmp_path / "r.xlsx", provisions=[{
        "fiscal_year": 2025, "case_no": 29, "reason": "理由", "persons": "範囲", "items": "項目", "method": "電話",
        "provided_on": __import__("datetime").date(2024, 6, 5), "recipient": "牛込警察署"}])
    ws = openpyxl.load_workbook(path)[PROVISION.sheet]
    assert ws.tables[design.table_name(PROVISION.sheet)].ref == "A1:I2"
    assert [c.value for c in ws[2]][:3] == [2025, 29, "理由"] and ws["G2"].is_date


# --------------------------------------------------------------------------- 2. upgrading format 4


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_upgrading_format_4_keeps_every_value_and_looks_like_a_new_register(tmp_path, fresh, suffix, capsys):
    path = copy_of(FORMAT4[suffix], tmp_path)
    assert reader.load(path).format == 4
    values = book_values(path)
    old = openpyxl.load_workbook(path)
    old_cells = {name: [[c.value for c in row] for row in old[name].iter_rows()] for name in old.sheetnames}

    upgrade_by_cli(capsys, path, STEP.title)

    workbook, new = openpyxl.load_workbook(path), openpyxl.load_workbook(fresh[suffix])
    assert workbook.sheetnames == new.sheetnames == list(
        design.macro_sheet_order() if suffix == ".xlsm" else design.sheet_order())
    # every cell there was keeps its value (変更履歴 gains the step's rows, 設定 its new row, 使い方
    # the line about 外部提供 below 審議案件's, the rows under it moved down one; then format 6's row
    # of the button 診断 and xlwings.conf's Interpreter_Win and ADD_WORKBOOK_TO_PYTHONPATH:
    # tests/test_format6.py)
    for name, rows in old_cells.items():
        after = [[c.value for c in row] for row in workbook[name].iter_rows()]
        if name == design.HOWTO:
            line = [None, *design.provision_howto()]
            assert after.count(line) == 1 and after[after.index(line) - 1][1] == CASE.sheet
            after.remove(line)
            after = [row for row in after if row[2:3] != [design.BUTTONS[-1].help]]
        if name == design.CONF:  # and format 6's ADD_WORKBOOK_TO_PYTHONPATH row below the keys
            rows = [[*row[:1], INTERPRETER_WIN, *row[2:]] if row[:1] == ["Interpreter_Win"] else row for row in rows]
            keys = next(i for i, row in enumerate(rows) if row[0] in (None, ""))
            rows = [*rows[:keys], [design.CONF_WORKBOOK_PATH, False, *[None] * (len(rows[0]) - 2)], *rows[keys:]]
        width = len(rows[0]) if rows else 0
        assert [r[:width] for r in after[:len(rows)]] == rows, name

    # 審議案件: the five headers after 備考, in the table, formatted, sized and validated as in a new register
    ws, theirs = workbook[CASE.sheet], new[CASE.sheet]
    assert header_row(ws) == header_row(theirs) == CASE.headers
    assert [look(c) for c in ws[1]] == [look(c) for c in theirs[1]]
    assert ws.tables[design.table_name(CASE.sheet)].ref == f"A1:V{len(values['cases']) + 1}"
    assert ws.tables[design.table_name(CASE.sheet)].autoFilter.ref == f"A1:V{len(values['cases']) + 1}"
    assert [c.name for c in ws.tables[design.table_name(CASE.sheet)].tableColumns] == CASE.headers
    for letter in "RSTUV":
        mine, want = dimension(ws, letter), dimension(theirs, letter)
        assert (mine.width, mine.number_format, mine.protection.locked) == (
            want.width, want.number_format, want.protection.locked), letter
    # every validation as in a new register: the five new ones, and 添付ファイル's message of today
    assert validations(ws) == validations(theirs)

    # 外部提供: the register sheet of a new register, its table empty
    ws, theirs = workbook[PROVISION.sheet], new[PROVISION.sheet]
    assert header_row(ws) == header_row(theirs) == PROVISION.headers
    assert [look(c) for c in ws[1]] == [look(c) for c in theirs[1]]
    assert ws.tables[design.table_name(PROVISION.sheet)].ref == "A1:I2"
    assert [c.name for c in ws.tables[design.table_name(PROVISION.sheet)].tableColumns] == PROVISION.headers
    assert validations(ws) == validations(theirs)
    for letter in "ABCDEFGHI":
        mine, want = dimension(ws, letter), dimension(theirs, letter)
        assert (mine.width, mine.number_format) == (want.width, want.number_format), letter
    assert (ws.freeze_panes, ws.print_title_rows) == (theirs.freeze_panes, theirs.print_title_rows)
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    # the names local to the sheets after it moved with them
    for name in workbook.sheetnames:
        assert workbook[name].print_title_rows == new[name].print_title_rows, name

    # 設定: その他の記載 last, blank
    rows = [[c.value for c in r] for r in workbook[design.settings_sheet()].iter_rows()]
    assert rows[-1] == [OTHER_NOTE.header, None, OTHER_NOTE.input_message]
    assert howto_cells(path) == howto_cells(fresh[suffix])

    history = sheet_rows(path, schema.history())
    assert ("形式の更新", "形式 4", f"形式 5：{STEP.title}") in [(h["action"], h.get("old"), h["new"]) for h in history]
    if suffix == ".xlsm":
        with Package(path) as package:
            assert migrate.unbound_buttons(package) == []
            codes = migrate.sheet_code_names(package)
        assert PROVISION.sheet in codes and len(set(codes.values())) == len(codes) == len(design.macro_sheet_order())
        from pyopenvba import ExcelFile

        with ExcelFile(path) as excel:
            project = excel.vba_project()
            source = project.get_module("xlkit").source
            modules = {m.name for m in project.modules}
        assert all(f"Public Sub {sub}()" in source for sub, _ in BY_CAPTION.values())
        assert codes[PROVISION.sheet] in modules


def test_a_value_typed_into_the_upgraded_register_is_read(tmp_path):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    tasks.upgrade(path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[CASE.sheet]
    ws["R2"], ws["T2"] = "別紙での件名", "対象者数"
    provisions = workbook[PROVISION.sheet]
    for col, value in enumerate([2024, 1, "理由", "範囲", "項目", "電話", "R6.6.5", "牛込警察署"], start=1):
        provisions.cell(2, col, value)
    workbook.save(path)
    book = reader.load(path)
    first = book.cases[0].values
    assert (first["sheet_title"], first["count_heading"]) == ("別紙での件名", "対象者数")
    assert len(book.provisions) == 1 and book.provisions[0].values["recipient"] == "牛込警察署"


def test_the_step_changes_only_the_parts_it_needs(tmp_path):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    old = members(FORMAT4[".xlsx"])
    with Package(path) as package:
        parts = package.sheet_parts()
    assert tasks.upgrade(path).written
    new = members(path)
    assert list(new)[:len(old)] == list(old)  # every part kept, in its order; the new ones after
    added = set(new) - set(old)
    # sheet15: format 6's 診断 (the step after this one), with xlwings.conf's Interpreter_Win
    assert added == {"xl/worksheets/sheet14.xml", "xl/worksheets/_rels/sheet14.xml.rels", "xl/tables/table3.xml",
                     "xl/worksheets/sheet15.xml"}
    changed = {name for name in old if old[name] != new[name]}
    assert changed == {"[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/workbook.xml", parts[design.HOWTO],
                       parts[CASE.sheet], "xl/tables/table2.xml", parts[design.settings_sheet()],
                       parts[design.history_sheet()], parts[design.CONF]}
    # each table its own id (Excel repairs a file with two of one id)
    ids = [re.search(rb'<table[^>]* id="(\d+)"', new[f"xl/tables/table{n}.xml"])[1] for n in (1, 2, 3)]
    assert sorted(ids) == [b"1", b"2", b"3"]


def test_a_second_upgrade_writes_nothing(tmp_path):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    assert tasks.upgrade(path).written
    state = folder_state(tmp_path)
    again = tasks.upgrade(path)
    assert (again.written, again.steps) == (False, [])
    assert folder_state(tmp_path) == state


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_format_1_reaches_format_5_through_every_step(tmp_path, fresh, suffix):
    path = copy_of(FORMAT1[suffix], tmp_path)
    values = book_values(path)
    result = tasks.upgrade(path)
    assert (result.before, result.after, result.steps[-2:-1]) == (1, formats.CURRENT, [STEP.title])
    assert book_values(path) == values
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == list(design.macro_sheet_order() if suffix == ".xlsm" else design.sheet_order())
    assert header_row(workbook[CASE.sheet]) == CASE.headers
    assert header_row(workbook[PROVISION.sheet]) == PROVISION.headers
    assert howto_cells(path) == howto_cells(fresh[suffix])
    if suffix == ".xlsm":
        with Package(path) as package:
            assert migrate.unbound_buttons(package) == []


# --------------------------------------------------------------------------- 3. refusals


@pytest.mark.parametrize("ref, text", [("R1", "職員のメモ"), ("T7", "確認済み"), ("V42", "2025/4/1")])
def test_new_case_cells_staff_use_are_refused_in_japanese_and_nothing_is_written(tmp_path, capsys, ref, text):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    type_into(path, CASES_PART, ref, text)
    state = folder_state(tmp_path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2, (out, err)
    assert f"「審議案件」シートのセル {ref}（「{text}」）に値が入力されています。" in err
    assert "R 列から V 列は、形式 5 から「別紙の件名」・「別紙の担当課」" in err
    assert "W 列より右の列に移すか消してから" in err
    assert path.name in err and "Traceback" not in err and "Error" not in err
    assert folder_state(tmp_path) == state

    with Package(path) as package, pytest.raises(XlkitError) as refused:
        STEP.apply(package)
    assert ref in refused.value.message
    assert package.changed == set()


def test_a_provision_sheet_staff_have_already_is_refused(tmp_path, capsys):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("外部提供")
    workbook.save(path)
    state = folder_state(tmp_path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2, (out, err)
    assert "シート「外部提供」がすでにあります" in err and "名前を変えてから xlkit upgrade" in err
    assert "Traceback" not in err and folder_state(tmp_path) == state


def test_a_case_column_staff_typed_beside_the_table_is_in_the_way(tmp_path):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[CASE.sheet]
    ws["R1"], ws["R2"] = "別紙の件名", "職員が入れた件名"
    workbook.save(path)
    with Package(path) as package, pytest.raises(XlkitError) as refused:
        STEP.apply(package)  # R is outside the table: its value is in the way of a new column
    assert "R1" in refused.value.message


# --------------------------------------------------------------------------- 4. LibreOffice


@needs_soffice
def test_libreoffice_opens_an_upgraded_format_4_register_with_its_buttons(tmp_path):
    path = copy_of(FORMAT4[".xlsm"], tmp_path)
    assert tasks.upgrade(path).written
    report = inspect(path, tmp_path)
    assert report["sheets"] == list(design.macro_sheet_order())
    assert {"xlkit", "xlwings"} <= set(report["libraries"]["VBAProject"])
    assert [c["label"] for c in report["controls"]] == list(BY_CAPTION)
    assert [(r["label"], r["error"]) for r in report["button_runs"]] == [(label, None) for label in BY_CAPTION]


def test_a_case_column_staff_added_to_the_table_is_kept_and_the_others_follow(tmp_path):
    from openpyxl.worksheet.table import TableColumn

    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[CASE.sheet]
    table = ws.tables[design.table_name(CASE.sheet)]
    ws["R1"], ws["R2"] = "別紙の件名", "職員が入れた件名"
    table.ref = table.autoFilter.ref = "A1:R42"
    table.tableColumns.append(TableColumn(id=18, name="別紙の件名"))
    workbook.save(path)
    assert tasks.upgrade(path).written
    ws = openpyxl.load_workbook(path)[CASE.sheet]
    assert header_row(ws) == CASE.headers  # 別紙の件名 once, where staff put it; the other four after it
    assert ws["R2"].value == "職員が入れた件名"
    assert ws.tables[design.table_name(CASE.sheet)].ref == "A1:V42"
    assert "R2:R1048576" not in [v[0] for v in validations(ws)]
    assert reader.load(path).cases[0].values["sheet_title"] == "職員が入れた件名"


def test_an_attachment_message_staff_wrote_is_kept(tmp_path):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    rewrite_member(path, CASES_PART, lambda d: d.replace(
        "個人情報の流れ図などのファイル名を入力してください。".encode(), "課のメモ".encode()))
    assert tasks.upgrade(path).written
    ws = openpyxl.load_workbook(path)[CASE.sheet]
    assert {v[0]: v[8] for v in validations(ws)}["P2:P1048576"] == "課のメモ"


# --------------------------------------------------------------------------- 5. issue 13: what staff did to the sheet


def test_a_validation_staff_put_across_the_new_columns_keeps_its_other_cells_and_is_told(tmp_path, capsys):
    from openpyxl.worksheet.datavalidation import DataValidation

    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    ours = DataValidation(type="list", formula1='"済,未"')
    ours.add("Q1:X30")  # the last old column, the new ones (header too) and two right of them
    gone = DataValidation(type="list", formula1='"A,B"')
    gone.add("S2:S9")
    workbook[CASE.sheet].add_data_validation(ours)
    workbook[CASE.sheet].add_data_validation(gone)
    workbook.save(path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert "入力規則（Q1:X30、S2:S9）から、新しい列になるセルを外しました" in out
    ws = openpyxl.load_workbook(path)[CASE.sheet]
    kept = {str(v.sqref) for v in ws.data_validations.dataValidation if v.formula1 in ('"済,未"', '"A,B"')}
    assert kept == {"Q1:Q30 R1:V1 W1:X30"}  # S2:S9 lay wholly in a new column: it went
    history = [str(c.value) for row in openpyxl.load_workbook(path)["変更履歴"].iter_rows() for c in row]
    assert any("新しい列になるセルを外しました" in v for v in history)


def test_an_x14_validation_staff_put_on_a_new_column_is_trimmed_with_its_extension(tmp_path):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    ext = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>課!$A$2:$A$9</xm:f></x14:formula1>'
           '<xm:sqref>R2:R40</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst></worksheet>')
    rewrite_member(path, CASES_PART, lambda d: d.replace(b"</worksheet>", ext.encode()))
    assert tasks.upgrade(path).written
    xml = members(path)[CASES_PART]
    assert b"x14:dataValidation" not in xml and b"CCE6A557" not in xml
    assert openpyxl.load_workbook(path)[CASE.sheet]["A1"].value == CASE.headers[0]


def test_a_hidden_range_over_the_new_columns_is_split_around_them(tmp_path, capsys):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    rewrite_member(path, CASES_PART, lambda d: d.replace(  # Q (the last old column) through Z hidden
        b'<col min="17" max="17" width="20.7109375" style="5" customWidth="1"/>',
        b'<col min="17" max="26" width="20.7109375" style="5" hidden="1" customWidth="1"/>'))
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert "新しい列になる R 列から V 列を表示しました" in out
    cols = [(int(m[1]), int(m[2]), b'hidden="1"' in m[0])
            for m in re.finditer(rb'<col min="(\d+)" max="(\d+)"[^>]*/>', members(path)[CASES_PART])]
    assert [c for c in cols if c[1] >= 17] == [
        (17, 17, True), (18, 18, False), (19, 19, False), (20, 20, False), (21, 21, False), (22, 22, False),
        (23, 26, True)]


def test_a_blank_looking_cell_in_a_new_column_is_left_as_it_is_and_a_formula_is_refused(tmp_path, capsys):
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    type_into(path, CASES_PART, "S6", "　 ")  # a full-width and a half-width space: blank to the reader
    assert tasks.upgrade(path).written
    assert b'<c r="S6" t="inlineStr"><is><t>\xe3\x80\x80 </t></is></c>' in members(path)[CASES_PART]
    assert reader.load(path).cases[4].values.get("sheet_division") is None

    (tmp_path / "式").mkdir()
    path = copy_of(FORMAT4[".xlsx"], tmp_path / "式")
    with_blank_formula(path, CASES_PART, "R5")
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2 and "R5" in err  # a formula is staff's work even when it shows nothing


def test_the_new_table_takes_the_next_free_name(tmp_path):
    from openpyxl.workbook.defined_name import DefinedName

    taken = design.table_name(PROVISION.sheet)
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    workbook.defined_names[taken] = DefinedName(taken, attr_text="設定!$A$1")
    workbook.defined_names[taken + "2"] = DefinedName(taken + "2", attr_text="設定!$A$2")
    workbook.save(path)
    assert tasks.upgrade(path).written
    workbook = openpyxl.load_workbook(path)
    assert list(workbook[PROVISION.sheet].tables) == [taken + "3"]
    assert workbook.defined_names[taken].attr_text == "設定!$A$1"  # staff's name stays theirs
    assert reader.load(path).format == formats.CURRENT


def test_vba_staff_wrote_is_named_and_written_out_beside_the_register(tmp_path, capsys):
    from pyopenvba import ExcelFile

    source, path = tmp_path / "元" / "元.xlsm", tmp_path / "登録簿.xlsm"
    source.parent.mkdir()
    source.write_bytes(FORMAT4[".xlsm"].read_bytes())
    with Package(source) as package:
        code = migrate.sheet_code_names(package)[CASE.sheet]
    with ExcelFile(source) as book:
        project = book.vba_project()
        project.add_module("StaffTools", 'Attribute VB_Name = "StaffTools"\r\nSub Hello()\r\n  MsgBox "hi"\r\nEnd Sub\r\n')
        sheet_module = project.get_module(code)
        sheet_module.body = "Private Sub Worksheet_Change(ByVal Target As Range)\r\nEnd Sub\r\n"
        book.save(path)
    (tmp_path / "登録簿_StaffTools.bas").write_text("職員の別のファイル")  # never written over
    code_, out, err = run_cli(capsys, "upgrade", path)
    assert code_ == 0, err
    dropped = f"{code}（シート「{CASE.sheet}」のコード）、StaffTools"
    assert f"次の VBA のコードは登録簿から削除しました: {dropped}。" in out
    assert "「登録簿_StaffTools(2).bas」" in out
    assert (tmp_path / "登録簿_StaffTools.bas").read_text() == "職員の別のファイル"
    assert b"Sub Hello()\r\n" in (tmp_path / "登録簿_StaffTools(2).bas").read_bytes()
    history = [str(c.value) for row in openpyxl.load_workbook(path)["変更履歴"].iter_rows() for c in row]
    assert any(f"引き継がずに削除したモジュール: {dropped}" in v for v in history)
    # the code of 審議案件's document module too: the rebuild gives every sheet an empty one
    assert b"Worksheet_Change" in (tmp_path / f"登録簿_{code}.cls").read_bytes()


def test_an_upgrade_without_staff_changes_says_nothing_more(tmp_path, capsys):
    path = copy_of(FORMAT4[".xlsm"], tmp_path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert "削除しました" not in out and "外しました" not in out and "表示しました" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_sheet_id_that_is_no_number_does_not_stop_the_upgrade(tmp_path):
    """A workbook.xml a tool wrote by hand, with a sheetId that is not a number: the new 外部提供
    sheet still gets a numeric id of its own, above every numeric one, instead of a traceback."""
    path = copy_of(FORMAT4[".xlsx"], tmp_path)
    rewrite_member(path, "xl/workbook.xml", lambda d: re.sub(rb'sheetId="2"', b'sheetId="x2"', d, count=1))
    tasks.upgrade(path)
    ids = re.findall(rb'<sheet [^>]*sheetId="([^"]*)"', members(path)["xl/workbook.xml"])
    numeric = [int(i) for i in ids if i.isdigit()]
    assert b"x2" in ids and len(numeric) == len(set(numeric)) == len(ids) - 1
    assert reader.load(path).format == formats.CURRENT
