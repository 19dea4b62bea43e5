"""Register format 4: the 設定 row 締めた年度, the 課 columns 開始日, 終了日 and 後継の課, and the button
年度締め — in a register `xlkit new` writes, and added by `xlkit upgrade` (migrate.STEPS[3],
workbook/format4.py) to registers of format 3 (tests/fixtures/format3_sample.xlsx/.xlsm, the sample
as xlkit wrote it at format 3) and, through every step, of formats 1 and 2. `xlkit upgrade` goes on
to the current format (5 since issue 13: tests/test_format5.py), so what format 4 brought is checked
in registers upgraded past it, and the step itself where only it ran.

Every test works on copies in tmp_path; the fixtures themselves are only read.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from support import REPO, needs_soffice, run_cli
from support.zips import members, rewrite_member
from support.buttons import BY_CAPTION
from support.forms import sheet_rows
from support.lo import inspect
from support.upgrades import (book_values, upgrade_by_cli, with_blank_formula, copy_of, dimension, folder_state, fresh_registers, howto_cells, look,
                              untouched, validations)
from xlkit import cells, formats, schema, tasks
from xlkit.errors import XlkitError
from xlkit.workbook import builder, design, migrate, reader
from xlkit.workbook.package import Package

FIXTURES = REPO / "tests" / "fixtures"
FORMAT3 = {".xlsx": FIXTURES / "format3_sample.xlsx", ".xlsm": FIXTURES / "format3_sample.xlsm"}
FORMAT1 = {".xlsx": FIXTURES / "format1_sample.xlsx", ".xlsm": FIXTURES / "format1_sample.xlsm"}
DIVISION = schema.division()
DIVISIONS_PART = "xl/worksheets/sheet8.xml"  # 課 of the fixtures
NEW_HEADERS = tuple(DIVISION.headers[2:])  # 開始日, 終了日, 後継の課
CLOSED = schema.settings().column("closed_years")
CLOSE_BUTTON = design.BUTTONS[6]
NOTE = design.master_note(design.DIVISIONS)
STEP = migrate.STEPS[3]


# --------------------------------------------------------------------------- helpers


def at_format(version: int, suffix: str, tmp_path: Path) -> Path:
    """A register of format `version`: the format 3 fixture, or the format 1 fixture with the steps
    up to `version` applied (what `xlkit upgrade` of an older xlkit made of it)."""
    if version == 3:
        return copy_of(FORMAT3[suffix], tmp_path)
    path = tmp_path / f"登録簿{suffix}"
    with Package(FORMAT1[suffix]) as package:
        for v in range(1, version):
            migrate.STEPS[v].apply(package)
        package.save(path)
    return path


def serial(day: dt.date) -> int:
    """A date as Excel's serial number (the 1900 date system)."""
    return (dt.datetime(day.year, day.month, day.day) - dt.datetime(1899, 12, 30)).days


def settings_rows(ws) -> dict[str, tuple]:
    return {r[0].value: r for r in ws.iter_rows(min_col=1, max_col=3) if r[0].value}


def with_cells(path: Path, cells_xml: dict[str, str]) -> None:
    """Type text into cells of 課's first rows (cell -> text), as staff would, in the fixture's XML."""
    def change(data: bytes) -> bytes:
        for ref, text in cells_xml.items():
            row = re.match(r"[A-Z]+(\d+)", ref)[1]
            m = re.search(rb'<row r="%s"[^>]*>.*?</row>' % row.encode(), data, re.S)
            cell = f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()
            body = re.sub(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref.encode(), b"", m[0])
            # cells in column order: before the first cell to the right of it
            later = [c for c in re.finditer(rb'<c r="([A-Z]+)\d+"', body) if c[1].decode() > ref.rstrip("0123456789")]
            at = later[0].start() if later else body.rindex(b"</row>")
            data = data[:m.start()] + body[:at] + cell + body[at:] + data[m.end():]
        return data

    rewrite_member(path, DIVISIONS_PART, change)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict[str, Path]:
    """Registers `xlkit new` writes today: what an upgraded register must look like."""
    return fresh_registers(tmp_path_factory.mktemp("fresh4"))


@pytest.fixture(scope="module", autouse=True)
def fixtures_untouched():
    """No test here may change the fixtures (they stand for files an older xlkit made)."""
    yield from untouched([*FORMAT3.values(), *FORMAT1.values()])


# --------------------------------------------------------------------------- 1. a new register


def test_the_step_to_format_4_adds_what_format_4_brought():
    assert formats.CURRENT >= 4
    assert formats.ADDED[4] == {"課": ("開始日", "終了日", "後継の課")}
    assert formats.added_since(3)["課"] == {"開始日", "終了日", "後継の課"}
    assert STEP.title == "設定の締めた年度、課の開始日・終了日・後継の課、年度締めボタンを加える"
    assert (CLOSE_BUTTON.caption, CLOSE_BUTTON.sub, CLOSE_BUTTON.python) == (
        "年度締め", "XlkitCloseYear", "import xlkit.macros as m; m.close_year()")
    assert [b.caption for b in design.buttons_until(3)] == list(BY_CAPTION)[:6]
    assert design.buttons_until(4) == design.BUTTONS[:7]
    # 課's columns are its schema's: one source of truth
    assert design.MASTER_HEADERS[design.DIVISIONS] == tuple(DIVISION.headers) == (
        "課", "実施機関", "開始日", "終了日", "後継の課")
    assert design.MASTER_WIDTHS[design.DIVISIONS] == tuple(c.width for c in DIVISION.columns)


def test_a_new_register_has_the_division_columns_with_dates_and_messages(fresh):
    ws = openpyxl.load_workbook(fresh[".xlsx"])[design.DIVISIONS]
    assert [c.value for c in ws[1]] == [*DIVISION.headers, None, NOTE]  # the note one column after
    for cell in ws[1][:5]:
        assert look(cell) == look(ws["A1"]) and cell.protection.locked
    dims = {letter: dimension(ws, letter) for letter in "ABCDEG"}
    for letter, column in zip("ABCDE", DIVISION.columns):
        assert dims[letter].width == pytest.approx(column.width + 0.71, abs=0.01)
    assert dims["G"].width == pytest.approx(60.71, abs=0.01)
    # 開始日 and 終了日 show what staff type as a date (R3.4.1), in unlocked cells
    for letter in "CD":
        assert openpyxl.styles.numbers.is_date_format(dims[letter].number_format)
        assert dims[letter].protection.locked is False
    assert not openpyxl.styles.numbers.is_date_format(dims["E"].number_format)
    found = {v[0]: v for v in validations(ws)}
    start, end, successor = (DIVISION.column(k) for k in ("valid_from", "valid_to", "successor"))
    assert found["B2:B1048576"][1] == "list" and found["B2:B1048576"][8] == DIVISION.column("body").input_message
    for ref, column in (("C2:C1048576", start), ("D2:D1048576", end)):
        kind, style, low, high = found[ref][1:5]
        assert (kind, style) == ("date", "warning") and found[ref][7:9] == (column.header, column.input_message)
        assert (int(low), int(high)) == (serial(builder.DATE_MIN), serial(builder.DATE_MAX))
    kind, style, source = found["E2:E1048576"][1:4]
    assert (kind, style, source) == ("list", "warning", design.list_name(design.DIVISIONS))
    assert found["E2:E1048576"][7:9] == (successor.header, successor.input_message)


def test_a_new_register_has_the_closed_years_row_as_plain_text(tmp_path):
    path = builder.build(tmp_path / "r.xlsx", settings={"report_year": 2022, "closed_years": [2020, 2021]})
    ws = openpyxl.load_workbook(path)[design.settings_sheet()]
    rows = settings_rows(ws)
    title, value, help_text = rows[CLOSED.header]
    # the schema's order: 締めた年度 after 回答期限, the settings later formats brought after it
    assert list(rows)[list(rows).index(CLOSED.header) - 1] == schema.settings().header("survey_due")
    assert value.value == "2020、2021" and value.data_type == "s"  # joined with the schema's separator
    assert help_text.value == CLOSED.input_message
    # unlocked and shaded like 資料番号's value, never a date format; no date validation, its message only
    assert look(value) == look(rows[schema.settings().header("document_no")][1])
    assert not openpyxl.styles.numbers.is_date_format(value.number_format) and value.protection.locked is False
    (validation,) = [v for v in validations(ws) if v[0] == value.coordinate]
    assert validation[1] is None and validation[7:9] == (CLOSED.header, CLOSED.input_message)
    assert reader.load(path).settings["closed_years"] == [2020, 2021]
    blank = openpyxl.load_workbook(builder.build(tmp_path / "b.xlsx"))[design.settings_sheet()]
    assert settings_rows(blank)[CLOSED.header][1].value is None


def test_a_new_register_has_seven_buttons_and_the_row_of_the_seventh(fresh):
    with Package(fresh[".xlsm"]) as package:
        assert migrate.unbound_buttons(package) == []
        vml = package.read(package.related(package.sheet_part(design.HOWTO), "vmlDrawing")[0]).decode()
    assert re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml) == [sub for sub, _ in BY_CAPTION.values()]
    anchors = [[int(x) for x in a.split(",")] for a in re.findall(r"<x:Anchor>([^<]*)</x:Anchor>", vml)]
    assert [a[2] for a in anchors] == list(range(4, 4 + len(design.BUTTONS)))  # one row each, from row 5: none overlaps another
    assert all(a[2] == a[6] for a in anchors)
    for path in fresh.values():
        grid = howto_cells(path)
        assert grid[10][2] == CLOSE_BUTTON.help  # row 11, after the six others
        assert grid[10][1] == (CLOSE_BUTTON.caption if path.suffix == ".xlsx" else None)


# --------------------------------------------------------------------------- 2. upgrading format 3


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_upgrading_format_3_keeps_every_value_and_adds_what_format_4_brings(tmp_path, fresh, suffix, capsys):
    path = copy_of(FORMAT3[suffix], tmp_path)
    assert reader.load(path).format == 3
    values = book_values(path)
    logged = len(sheet_rows(path, schema.history()))
    settings_before = [[c.value for c in r] for r in openpyxl.load_workbook(path)[design.settings_sheet()].iter_rows()]

    upgrade_by_cli(capsys, path, STEP.title)

    workbook, new = openpyxl.load_workbook(path), openpyxl.load_workbook(fresh[suffix])
    # 設定: the rows there were, then 締めた年度 (blank; later formats' rows after it), formatted and
    # validated as in a new register
    ws = workbook[design.settings_sheet()]
    after = [[c.value for c in r] for r in ws.iter_rows()]
    assert after[:len(settings_before)] == settings_before
    assert after[len(settings_before)] == [CLOSED.header, None, CLOSED.input_message]
    ours, theirs = settings_rows(ws)[CLOSED.header], settings_rows(new[design.settings_sheet()])[CLOSED.header]
    assert [look(c) for c in ours] == [look(c) for c in theirs]
    assert [v[1:] for v in validations(ws) if v[0] == ours[1].coordinate] == \
        [v[1:] for v in validations(new[design.settings_sheet()]) if v[0] == theirs[1].coordinate]

    # 課: the new headers, the note moved to G1, widths, date columns and validations of a new register
    ws, theirs = workbook[design.DIVISIONS], new[design.DIVISIONS]
    assert [c.value for c in ws[1]] == [c.value for c in theirs[1]] == [*DIVISION.headers, None, NOTE]
    assert [look(c) for c in ws[1]] == [look(c) for c in theirs[1]]
    for letter in "ABCDEFGH":
        mine, want = dimension(ws, letter), dimension(theirs, letter)
        assert (mine.width, mine.number_format, mine.protection.locked) == (
            want.width, want.number_format, want.protection.locked), letter
    assert validations(ws) == validations(theirs)
    assert [r[:2] for r in ws.iter_rows(min_row=2, values_only=True)] == [tuple(d) for d in values["divisions"]]

    # 使い方: as in a new register, the 年度締め row after the six others
    assert howto_cells(path) == howto_cells(fresh[suffix])
    if suffix == ".xlsm":
        with Package(path) as package:
            assert migrate.unbound_buttons(package) == []
        from pyopenvba import ExcelFile

        with ExcelFile(path) as excel:
            source = excel.vba_project().get_module("xlkit").source
        assert f"Public Sub {CLOSE_BUTTON.sub}()" in source and CLOSE_BUTTON.vba in source

    # 変更履歴: the step, and for an .xlsm the buttons drawn again and the VBA rebuilt
    history = sheet_rows(path, schema.history())[logged:]
    steps = [h for h in history if h["action"] == "形式の更新" and h.get("old")]
    assert [(h["old"], h["new"]) for h in steps][:1] == [("形式 3", f"形式 4：{STEP.title}")]
    assert [h["column"] for h in history[len(steps):]] == (
        ["使い方のボタン", "マクロ（VBA）"] if suffix == ".xlsm" else [])


def test_the_step_changes_only_the_parts_it_needs(tmp_path):
    """The step alone (`xlkit upgrade` goes on to the current format and logs to 変更履歴)."""
    path = tmp_path / "after.xlsx"
    old = members(FORMAT3[".xlsx"])
    with Package(FORMAT3[".xlsx"]) as package:
        parts = package.sheet_parts()
        STEP.apply(package)
        package.save(path)
    new = members(path)
    assert list(new) == list(old)  # no part added or dropped, in their order
    changed = {name for name in old if old[name] != new[name]}
    assert changed == {"xl/workbook.xml", "xl/styles.xml", parts[design.settings_sheet()], parts[design.HOWTO],
                       parts[design.DIVISIONS]}
    # workbook.xml: only the format
    assert new["xl/workbook.xml"].replace(b">4</definedName>", b">3</definedName>") == old["xl/workbook.xml"]


def test_a_second_upgrade_writes_nothing(tmp_path):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    assert tasks.upgrade(path).written
    state = folder_state(tmp_path)
    again = tasks.upgrade(path)
    assert (again.written, again.steps) == (False, [])
    assert folder_state(tmp_path) == state


def test_the_step_to_format_3_adds_the_rows_of_its_buttons_and_the_step_to_4_that_of_close_year(tmp_path):
    """Each step adds 使い方's rows of the buttons its format brought: a register of format 3 made by
    `xlkit upgrade` had six button rows, as the format 3 fixture has."""
    path = at_format(3, ".xlsx", tmp_path)
    helps = [row[2] for row in howto_cells(path) if len(row) > 2]
    assert [b.help for b in design.BUTTONS if b.help in helps] == [b.help for b in design.buttons_until(3)]
    assert howto_cells(path)[4:10] == howto_cells(FORMAT3[".xlsx"])[4:10]
    with Package(path) as package:
        STEP.apply(package)
        package.save(tmp_path / "after.xlsx")
    assert CLOSE_BUTTON.help in [row[2] for row in howto_cells(tmp_path / "after.xlsx") if len(row) > 2]


@pytest.mark.parametrize("version", [1, 2, 3])
@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_every_older_format_goes_through_format_4_with_its_values(tmp_path, fresh, version, suffix):
    path = copy_of(FORMAT1[suffix], tmp_path) if version == 1 else at_format(version, suffix, tmp_path)
    values = book_values(path)
    result = tasks.upgrade(path)
    assert (result.before, result.after) == (version, formats.CURRENT)
    assert result.steps[4 - version - 1] == STEP.title  # the step to 4, then those of later formats
    assert book_values(path) == values
    workbook = openpyxl.load_workbook(path)
    assert [c.value for c in workbook[design.DIVISIONS][1]] == [*DIVISION.headers, None, NOTE]
    titles = [r[0].value for r in workbook[design.settings_sheet()].iter_rows()]
    at = titles.index(CLOSED.header)
    assert titles[at - 1:at + 1] == [schema.settings().header("survey_due"), CLOSED.header]
    assert howto_cells(path) == howto_cells(fresh[suffix])
    logged = [h for h in sheet_rows(path, schema.history()) if h["action"] == "形式の更新" and h.get("old")]
    assert [h["old"] for h in logged][-(formats.CURRENT - version):] == [
        f"形式 {v}" for v in range(version, formats.CURRENT)]
    if suffix == ".xlsm":
        with Package(path) as package:
            assert migrate.unbound_buttons(package) == []


def test_a_closed_year_typed_into_the_new_row_is_read(tmp_path):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    tasks.upgrade(path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[design.settings_sheet()]
    settings_rows(ws)[CLOSED.header][1].value = "2019、2020"
    workbook.save(path)
    book = reader.load(path)
    assert book.settings["closed_years"] == [2019, 2020]
    assert not [i for i in tasks.validate(book).issues if i.sheet == design.settings_sheet()]


def test_a_date_typed_into_the_new_division_columns_is_a_date(tmp_path):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    tasks.upgrade(path)
    with Package(path) as package:
        from xlkit.workbook import sheet_xml
        from xlkit.workbook.stylesheet import Stylesheet

        xml = package.read(package.sheet_part(design.DIVISIONS))
        styles = Stylesheet(package)
        cols = sheet_xml.Sheet(xml, path.name, design.DIVISIONS).column_styles()
        # a number typed in C or D shows as a date (R3.4.1), as in a new register; E does not
        assert styles.is_date(cols(3)) and styles.is_date(cols(4)) and not styles.is_date(cols(5))


# --------------------------------------------------------------------------- 3. what staff typed in 課


@pytest.mark.parametrize("cell, text, title", [
    ("C1", "備考", "開始日"), ("D1", "職員のメモ", "終了日"), ("E1", "担当者", "後継の課"),
    ("C5", "R3.4.1", "開始日"), ("E9", "総務課", "後継の課"),
])
def test_a_division_column_staff_use_is_refused_in_japanese_and_nothing_is_written(tmp_path, capsys, cell, text,
                                                                                     title):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    with_cells(path, {cell: text})
    assert reader.load(path).format == 3
    state = folder_state(tmp_path)

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2, (out, err)
    assert f"「課」シートのセル {cell} に「{text}」が入力されています。" in err
    assert f"形式 4 から「{title}」の列になります" in err and "G 列より右の列に移すか消してから" in err
    assert path.name in err and "Traceback" not in err and "Error" not in err
    assert folder_state(tmp_path) == state  # nothing written, no lock left

    with Package(path) as package, pytest.raises(XlkitError) as refused:
        STEP.apply(package)
    assert cell in refused.value.message
    assert package.changed == set()  # refused before anything changed


def test_a_blank_looking_division_cell_is_not_staffs_and_a_formula_is_as_in_format5(tmp_path, capsys):
    # spaces only are blank to the reader and to format5's step (sheet_xml.holds_value): a header
    # cell of spaces is written over, one below is left as it is, the note moves to a blank G1
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    with_cells(path, {"C1": " ", "G1": "\u3000", "E9": "\u3000 "})
    assert tasks.upgrade(path).written
    ws = openpyxl.load_workbook(path)[design.DIVISIONS]
    assert [c.value for c in ws[1]] == [*DIVISION.headers, None, NOTE]
    assert '<c r="E9" t="inlineStr"><is><t>\u3000 </t></is></c>'.encode() in members(path)[DIVISIONS_PART]

    (tmp_path / "式").mkdir()
    path = copy_of(FORMAT3[".xlsx"], tmp_path / "式")
    with_blank_formula(path, DIVISIONS_PART, "D5")
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2 and "D5" in err  # a formula is staff's work even when it shows nothing


def test_a_division_column_staff_added_already_is_kept_and_not_added_again(tmp_path):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    with_cells(path, {"C1": "開始日", "C3": "R3.4.1"})
    assert tasks.upgrade(path).written
    ws = openpyxl.load_workbook(path)[design.DIVISIONS]
    assert [c.value for c in ws[1]] == [*DIVISION.headers, None, NOTE]
    assert ws["C3"].value == "R3.4.1"
    refs = [v[0] for v in validations(ws)]
    assert "C2:C1048576" not in refs and {"D2:D1048576", "E2:E1048576"} <= set(refs)


def test_a_note_cell_staff_use_keeps_their_text_and_the_note_is_taken_away(tmp_path):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    with_cells(path, {"G1": "職員のメモ"})
    assert tasks.upgrade(path).written
    ws = openpyxl.load_workbook(path)[design.DIVISIONS]
    assert [c.value for c in ws[1]] == [*DIVISION.headers, None, "職員のメモ"]
    assert NOTE not in [c.value for row in ws.iter_rows() for c in row]


def test_a_closed_years_row_staff_typed_is_not_added_again(tmp_path):
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[design.settings_sheet()]
    ws["A30"], ws["B30"] = "締めた\u3000年度", "2019"  # a full-width space: still its title
    workbook.save(path)
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(path)[design.settings_sheet()].iter_rows()]
    assert tasks.upgrade(path).written
    after = [[c.value for c in r] for r in openpyxl.load_workbook(path)[design.settings_sheet()].iter_rows()]
    assert after[:len(rows)] == rows  # only later formats' rows (その他の記載) below staff's
    assert all(cells.fold(r[0] or "") != cells.fold(CLOSED.header) for r in after[len(rows):])
    assert sum(cells.fold(r[0] or "") == cells.fold(CLOSED.header) for r in after) == 1
    assert reader.load(path).settings["closed_years"] == [2019]


# --------------------------------------------------------------------------- 4. LibreOffice


@needs_soffice
def test_libreoffice_runs_every_button_of_an_upgraded_format_3_register(tmp_path):
    path = copy_of(FORMAT3[".xlsm"], tmp_path)
    result = tasks.upgrade(path)
    assert result.written and result.vba and result.buttons  # 年度締め was missing: drawn and bound
    report = inspect(path, tmp_path)
    assert report["sheets"] == list(design.macro_sheet_order())
    assert {"xlkit", "xlwings"} <= set(report["libraries"]["VBAProject"])
    controls = report["controls"]
    assert [c["label"] for c in controls] == list(BY_CAPTION) and len(controls) == 8
    for control in controls:
        sub, _ = BY_CAPTION[control["label"]]
        clicks = [e for e in control["events"] if e["method"] == "actionPerformed"]
        assert [e["code"] for e in clicks] == [
            f"vnd.sun.star.script:VBAProject.xlkit.{sub}?language=Basic&location=document"]
    assert [(r["label"], r["received"], r["error"]) for r in report["button_runs"]] == [
        (label, [line], None) for label, (_, line) in BY_CAPTION.items()]
    assert report["protected"][design.DIVISIONS] and report["protected"][design.settings_sheet()]

