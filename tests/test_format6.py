"""Register format 6: xlwings.conf's Interpreter_Win pointing at the offline bundle's Python, the
sheet 診断 and its button, the very hidden sheet of the texts the buttons' VBA shows, and each
button's check that the interpreter exists before RunPython — in a register `xlkit new` writes, and
added by `xlkit upgrade` (migrate.STEPS[5], workbook/format6.py) to registers of format 5
(tests/fixtures/format5_sample.xlsx/.xlsm) and, through every step, of format 1. Then `xlkit
upgrade` of a register already of format 6 whose VBA was made for another xlwings.

The LibreOffice tests run our VBA for real (tests/uno/lo_register.py: xlwings' GetConfig and
FileExists stubbed over the document's own sheet and the file system): with the interpreter
missing, no button calls RunPython and the check gives the Japanese message naming the path.

Every test works on copies in tmp_path; the fixtures themselves are only read.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from pyopenvba import ExcelFile

from support import REPO, needs_soffice, run_cli
from support.buttons import BY_CAPTION
from support.forms import sheet_rows
from support.lo import inspect
from support.upgrades import (book_values, copy_of, dimension, folder_state, fresh_registers, howto_cells, look,
                              untouched)
from support.zips import members, rewrite_member
from xlkit import formats, schema, tasks
from xlkit.installation import INTERPRETER_WIN
from xlkit.workbook import builder, design, migrate, vba
from xlkit.workbook.package import Package

FIXTURES = REPO / "tests" / "fixtures"
FORMAT5 = {".xlsx": FIXTURES / "format5_sample.xlsx", ".xlsm": FIXTURES / "format5_sample.xlsm"}
FORMAT1 = {".xlsx": FIXTURES / "format1_sample.xlsx", ".xlsm": FIXTURES / "format1_sample.xlsm"}
STEP = migrate.STEPS[5]
CHECK = "If Not XlkitInterpreterReady() Then Exit Sub"
KEPT = "「xlwings.conf」シートの Interpreter_Win（D:\\tools\\python.exe）は入力されていたとおり残しました"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Registers `xlkit new` writes today: what an upgraded register must look like."""
    return fresh_registers(tmp_path_factory.mktemp("fresh6"))


@pytest.fixture(scope="module", autouse=True)
def fixtures_untouched():
    yield from untouched([*FORMAT5.values(), *FORMAT1.values()])


def conf_rows(path: Path) -> list[tuple]:
    """xlwings.conf as xlwings reads it: from A1 down to the first blank key."""
    ws = openpyxl.load_workbook(path)[design.CONF]
    rows = []
    for key, value in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if key in (None, ""):
            break
        rows.append((key, value))
    return rows


def conf_part(path: Path) -> str:
    with Package(path) as package:
        return package.sheet_part(design.CONF)


def set_interpreter(path: Path, value: str) -> None:
    """Type `value` into xlwings.conf's B1 (Interpreter_Win), as IT staff would, in the file's XML."""
    def change(data: bytes) -> bytes:
        m = re.search(rb'<row r="1"[^>]*>.*?</row>', data, re.S)
        row = re.sub(rb'<c r="B1"[^>]*?(?:/>|>.*?</c>)', b"", m[0], flags=re.S)
        cell = b'<c r="B1" t="inlineStr"><is><t>%s</t></is></c>' % value.encode()
        row = row[:-len(b"</row>")] + cell + b"</row>"
        return data[:m.start()] + row + data[m.end():]

    rewrite_member(path, conf_part(path), change)


def subs(path: Path) -> dict[str, list[str]]:
    """Our module's subs (name -> the statements of the body), read from the VBA project."""
    with ExcelFile(path) as book:
        source = book.vba_project().get_module(vba.MODULE_NAME).source
    return {m[1]: [line.strip() for line in m[2].splitlines() if line.strip()]
            for m in re.finditer(r"(?ims)^\s*public\s+sub\s+(\w+)\s*\(\s*\)\s*$(.*?)^\s*end\s+sub", source)}


def sheet_states(path: Path) -> dict[str, str]:
    return {ws.title: ws.sheet_state for ws in openpyxl.load_workbook(path).worksheets}


def cells(path: Path, sheet: str) -> list[list]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)[sheet].iter_rows()]


def missing_message(path: str) -> str:
    """The message the check shows for a missing interpreter at `path`: the hidden sheet's text."""
    text = dict(design.MACRO_TEXTS_ROWS)["interpreter_missing"]
    return text.replace(design.PATH_PLACEHOLDER, path).replace("\n", "\r\n")


def with_vba_version(path: Path, version: str) -> None:
    """The register's xlwings module declaring another XLWINGS_VERSION, as in a register made with
    an older xlwings."""
    with ExcelFile(path) as book:
        module = book.vba_project().get_module("xlwings")
        module.body = re.sub(r'(XLWINGS_VERSION As String = )"[^"]*"', rf'\1"{version}"', module.body)
        book.save(path)


# --------------------------------------------------------------------------- 1. what format 6 is


def test_the_format_is_6_and_its_step_adds_the_diagnosis_sheet():
    assert formats.CURRENT == 6
    assert formats.ADDED[6] == {design.DIAGNOSIS: ()}
    assert STEP.title.startswith("xlwings.conf の Interpreter_Win")
    order = design.sheet_order()
    assert order[order.index(design.SUMMARY) + 1] == design.DIAGNOSIS == "診断"
    assert design.macro_sheet_order() == (*order, design.MACRO_TEXTS)
    assert [b.caption for b in design.buttons_until(6)][-1] == "診断"
    assert [b.caption for b in design.buttons_until(5)] == [b.caption for b in design.BUTTONS[:-1]]
    assert design.BUTTONS[-1].python == "import xlkit.macros as m; m.doctor()"


def test_the_conf_rows_point_at_the_bundle_and_hide_nothing_the_buttons_need():
    rows = dict(design.XLWINGS_CONF_ROWS)
    assert rows["Interpreter_Win"] == INTERPRETER_WIN == r"%LOCALAPPDATA%\xlkit\.venv\Scripts\python.exe"
    # a blank key on the sheet hides the user's xlwings.conf: only the rows that pin what the
    # buttons need are there (design.XLWINGS_CONF_ROWS says why each one is)
    assert "Interpreter_Mac" not in rows and "UDF Modules" not in rows and "Debug UDFs" not in rows
    assert rows["Use UDF Server"] is False and rows["Show Console"] is False


def test_the_vba_checks_the_interpreter_as_runpython_finds_it_and_stays_ascii():
    source = vba.module_source()
    source.encode("ascii")
    assert "Japanese" not in source and not re.search(r"[^\x00-\x7f]", source)
    for button in design.BUTTONS:
        body = re.search(rf"Public Sub {button.sub}\(\)\r\n(.*?)End Sub", source, re.S)[1]
        assert [line.strip() for line in body.splitlines() if line.strip()] == [CHECK, button.vba]
    # RunPython's own order: INTERPRETER_WIN, then the legacy INTERPRETER with "python"
    assert source.index('xlwings.GetConfig("INTERPRETER_WIN", "")') < \
        source.index('xlwings.GetConfig("INTERPRETER", "python")')
    assert 'found = "" Or found = "python" Or found = "pythonw"' in source  # on PATH: not checkable
    assert "If xlwings.FileExists(found) Then Exit Function" in source
    assert "MsgBox message, vbCritical, XlkitText(\"interpreter_missing_title\")" in source
    assert f'TEXTS_KEY As String = "{design.MACRO_TEXTS_KEY}"' in source
    assert f'PATH_PLACEHOLDER As String = "{design.PATH_PLACEHOLDER}"' in source
    # the Japanese text carries the placeholder the VBA replaces, and says what to do
    text = dict(design.MACRO_TEXTS_ROWS)["interpreter_missing"]
    assert design.PATH_PLACEHOLDER in text
    assert all(word in text for word in ("セットアップ.bat", "情報システム担当", "xlkit doctor", "Interpreter_Win"))


# --------------------------------------------------------------------------- 2. a new register


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_a_new_register_has_all_of_format_6(fresh, suffix):
    path = fresh[suffix]
    with Package(path) as package:
        from xlkit.workbook import scan

        assert scan.format_version(package) == 6
    assert conf_rows(path) == [(k, v if v != "" else None) for k, v in design.XLWINGS_CONF_ROWS]
    wb = openpyxl.load_workbook(path)
    diagnosis = wb[design.DIAGNOSIS]
    assert [c.value for c in diagnosis[1]] == list(design.DIAGNOSIS_HEADERS)
    assert diagnosis["C2"].value == design.DIAGNOSIS_PLACEHOLDER
    results = wb[design.RESULTS]
    # laid out like 検証結果: its header look, its columns' format, frozen, unprotected
    assert [look(c) for c in diagnosis[1]] == [look(results["A1"])] * len(design.DIAGNOSIS_HEADERS)
    assert diagnosis.freeze_panes == results.freeze_panes == "A2"
    assert not diagnosis.protection.sheet and not results.protection.sheet
    assert [dimension(diagnosis, letter).width for letter in "ABCD"] == \
        [pytest.approx(w, abs=0.8) for w in design.DIAGNOSIS_WIDTHS]
    captions = [row[1] for row in howto_cells(path)]
    if suffix == ".xlsm":
        assert wb.sheetnames == list(design.macro_sheet_order())
        texts = wb[design.MACRO_TEXTS]
        assert texts.sheet_state == "veryHidden" and texts.protection.sheet
        assert [(r[0], r[1]) for r in texts.iter_rows(values_only=True)] == builder.macro_text_rows()
        assert subs(path) == {b.sub: [CHECK, b.vba] for b in design.BUTTONS}
    else:
        assert wb.sheetnames == list(design.sheet_order())  # no VBA: no texts for it
        assert "診断" in captions  # the caption as text, as for every button of an .xlsx
        with zipfile.ZipFile(path) as z:
            assert vba.VBA_ENTRY not in z.namelist()
    helps = [row[2] for row in howto_cells(path)]
    assert design.BUTTONS[-1].help in helps


# --------------------------------------------------------------------------- 3. the step from format 5


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_an_upgraded_format_5_register_has_what_a_new_one_has(tmp_path, fresh, capsys, suffix):
    path = copy_of(FORMAT5[suffix], tmp_path)
    before = book_values(path)
    result = tasks.upgrade(path)
    assert (result.before, result.after, result.steps) == (5, 6, [STEP.title])
    assert result.vba == (suffix == ".xlsm") and result.buttons == (suffix == ".xlsm")
    assert result.notes == []  # Interpreter_Win was blank: set, nothing to tell
    assert book_values(path) == before

    new = fresh[suffix]
    assert conf_rows(path)[0] == conf_rows(new)[0] == ("Interpreter_Win", INTERPRETER_WIN)
    up, made = openpyxl.load_workbook(path), openpyxl.load_workbook(new)
    assert up.sheetnames == made.sheetnames
    assert sheet_states(path) == sheet_states(new)
    for sheet in (design.DIAGNOSIS, *([design.MACRO_TEXTS] if suffix == ".xlsm" else [])):
        assert cells(path, sheet) == cells(new, sheet), sheet
        assert up[sheet].protection.sheet == made[sheet].protection.sheet, sheet
        assert up[sheet].freeze_panes == made[sheet].freeze_panes, sheet
        assert up[sheet].print_title_rows == made[sheet].print_title_rows, sheet
        for letter in ("ABCD" if sheet == design.DIAGNOSIS else "AB"):
            assert dimension(up[sheet], letter).width == pytest.approx(dimension(made[sheet], letter).width), sheet
    assert [look(c) for c in up[design.DIAGNOSIS][1]] == [look(c) for c in made[design.DIAGNOSIS][1]]
    # 使い方: the button rows as a new register has them (the empty register and the sample share it)
    assert howto_cells(path) == howto_cells(new)
    if suffix == ".xlsm":
        assert subs(path) == subs(new)
        report_buttons = _vml_buttons(path)
        assert report_buttons == _vml_buttons(new)
        assert vba.xlwings_version(path) == vba.installed_xlwings_version()
    else:
        with zipfile.ZipFile(path) as z:
            assert vba.VBA_ENTRY not in z.namelist()
    history = [r for r in sheet_rows(path, schema.history()) if r.get("new", "").startswith("形式 6")]
    assert len(history) == 1


def _vml_buttons(path: Path) -> list[tuple[str, str]]:
    with Package(path) as package:
        (vml,) = package.related(package.sheet_part(design.HOWTO), "vmlDrawing")
        data = package.read(vml).decode()
    return [(re.sub(r"<[^>]+>", "", re.search(r"<v:textbox.*?</v:textbox>", s, re.S)[0]).strip(),
             re.search(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>", s)[1])
            for s in re.findall(r"<v:shape .*?</v:shape>", data, re.S) if 'ObjectType="Button"' in s]


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_an_interpreter_staff_set_is_kept_and_the_upgrade_says_so(tmp_path, capsys, suffix):
    path = copy_of(FORMAT5[suffix], tmp_path)
    set_interpreter(path, r"D:\tools\python.exe")
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert conf_rows(path)[0] == ("Interpreter_Win", r"D:\tools\python.exe")
    assert KEPT in out and INTERPRETER_WIN in out
    noted = [r["new"] for r in sheet_rows(path, schema.history()) if KEPT in r.get("new", "")]
    assert len(noted) == 1


def test_the_bundles_path_typed_already_is_kept_without_a_word(tmp_path):
    path = copy_of(FORMAT5[".xlsx"], tmp_path)
    set_interpreter(path, INTERPRETER_WIN)
    result = tasks.upgrade(path)
    assert result.notes == [] and conf_rows(path)[0] == ("Interpreter_Win", INTERPRETER_WIN)


def test_a_conf_sheet_without_the_row_is_told_not_guessed(tmp_path):
    path = copy_of(FORMAT5[".xlsx"], tmp_path)
    rewrite_member(path, conf_part(path), lambda d: re.sub(rb'<row r="1"[^>]*>.*?</row>', b"", d, count=1, flags=re.S))
    result = tasks.upgrade(path)
    assert result.steps == [STEP.title]
    assert any("Interpreter_Win の行がないため、設定していません" in n for n in result.notes)
    assert "Interpreter_Win" not in [k for k, _ in conf_rows(path)]


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_a_second_upgrade_adds_nothing(tmp_path, suffix):
    path = copy_of(FORMAT5[suffix], tmp_path)
    tasks.upgrade(path)
    first = members(path)
    state = folder_state(tmp_path)
    again = tasks.upgrade(path)
    assert again.steps == []
    if suffix == ".xlsx":
        assert again.written is False and folder_state(tmp_path) == state
        return
    # an .xlsm gets its VBA again and 変更履歴 says so; every other part is as it was
    second = members(path)
    assert list(second) == list(first)
    history_part = _part(path, schema.history().sheet)
    changed = {n for n in first if first[n] != second[n]}
    assert changed <= {vba.VBA_ENTRY, history_part, "xl/workbook.xml"}
    assert openpyxl.load_workbook(path).sheetnames == list(design.macro_sheet_order())


def _part(path: Path, sheet: str) -> str:
    with Package(path) as package:
        return package.sheet_part(sheet)


@pytest.mark.parametrize("name", [design.DIAGNOSIS, design.MACRO_TEXTS])
def test_a_sheet_of_a_new_name_there_already_is_refused_untouched(tmp_path, capsys, name):
    path = copy_of(FORMAT5[".xlsm"], tmp_path)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    wb.create_sheet(name)["A1"] = "職員のメモ"
    wb.save(path)
    state = folder_state(tmp_path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code != 0
    assert f"シート「{name}」がすでにあります" in err and "名前を変えてから xlkit upgrade" in err
    assert folder_state(tmp_path) == state


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_a_format_1_register_reaches_format_6_through_every_step(tmp_path, suffix):
    path = copy_of(FORMAT1[suffix], tmp_path)
    result = tasks.upgrade(path)
    assert result.after == 6 and result.steps[-1] == STEP.title and len(result.steps) == 5
    assert conf_rows(path)[0] == ("Interpreter_Win", INTERPRETER_WIN)
    names = openpyxl.load_workbook(path).sheetnames
    assert design.DIAGNOSIS in names and (design.MACRO_TEXTS in names) == (suffix == ".xlsm")
    if suffix == ".xlsm":
        assert _vml_buttons(path)[-1] == ("診断", "[0]!XlkitDoctor")
        assert subs(path) == {b.sub: [CHECK, b.vba] for b in design.BUTTONS}


# --------------------------------------------------------------------------- 4. the xlwings of the VBA


def test_upgrade_of_a_current_register_whose_vba_is_another_xlwings_rebuilds_it(tmp_path, capsys):
    path = builder.build(tmp_path / "登録簿.xlsm")
    with_vba_version(path, "0.30.0")
    assert vba.xlwings_version(path) == "0.30.0"
    installed = vba.installed_xlwings_version()
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert f"登録簿はすでに今の形式（形式 {formats.CURRENT}）です" in out
    assert "ボタンのマクロを、入っている xlwings に合わせて作り直しました" in out
    assert f"ボタンのマクロの xlwings の版を 0.30.0 から、入っている xlwings の {installed} に合わせました" in out
    assert vba.xlwings_version(path) == installed
    assert subs(path) == {b.sub: [CHECK, b.vba] for b in design.BUTTONS}
    logged = [r["new"] for r in sheet_rows(path, schema.history()) if "0.30.0" in r.get("new", "")]
    assert len(logged) == 1

    # the versions agree now: the next upgrade rebuilds the VBA and names no versions
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert "xlwings の版" not in out


def test_the_vba_version_of_a_file_without_a_project_is_none(tmp_path):
    assert vba.xlwings_version(builder.build(tmp_path / "r.xlsx")) is None
    broken = tmp_path / "broken.xlsm"
    broken.write_bytes(b"not a zip")
    assert vba.xlwings_version(broken) is None


# --------------------------------------------------------------------------- 5. LibreOffice runs the check


def _installed(folder: Path) -> Path:
    """A LOCALAPPDATA where the bundle is installed (xlkit\\.venv\\Scripts\\python.exe exists)."""
    scripts = folder / "xlkit" / ".venv" / "Scripts"
    scripts.mkdir(parents=True)
    (scripts / "python.exe").write_bytes(b"")
    return folder


def _assert_refused(report: dict, local: Path) -> None:
    path = f"{local}\\xlkit\\.venv\\Scripts\\python.exe"
    assert report["interpreter"]["XlkitInterpreter"] == {"value": path, "error": None}
    assert report["interpreter"]["XlkitMissingInterpreter"] == {"value": missing_message(path), "error": None}
    assert report["interpreter"]["title"]["value"] == dict(design.MACRO_TEXTS_ROWS)["interpreter_missing_title"]
    runs = report["button_runs"] + report["sub_runs"]
    assert len(runs) == 2 * len(design.BUTTONS)
    assert [(r["received"], r["error"]) for r in runs] == [([], None)] * len(runs)  # no RunPython, no error


@needs_soffice
def test_libreoffice_a_new_register_refuses_every_button_when_the_interpreter_is_missing(tmp_path, monkeypatch):
    local = tmp_path / "LocalAppData"
    local.mkdir()
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    _assert_refused(inspect(builder.build(tmp_path / "登録簿.xlsm"), tmp_path), local)


@needs_soffice
def test_libreoffice_a_new_register_runs_every_button_when_the_interpreter_is_there(tmp_path, monkeypatch):
    local = _installed(tmp_path / "LocalAppData")
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    report = inspect(builder.build(tmp_path / "登録簿.xlsm"), tmp_path)
    assert report["interpreter"]["XlkitMissingInterpreter"] == {"value": "", "error": None}
    assert [(r["label"], r["received"], r["error"]) for r in report["button_runs"]] == [
        (label, [line], None) for label, (_, line) in BY_CAPTION.items()]


@needs_soffice
def test_libreoffice_an_upgraded_format_5_register_checks_the_same_way(tmp_path, monkeypatch):
    path = copy_of(FORMAT5[".xlsm"], tmp_path)
    tasks.upgrade(path)
    local = tmp_path / "LocalAppData"
    local.mkdir()
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    report = inspect(path, tmp_path)
    assert report["sheets"] == list(design.macro_sheet_order())
    assert [c["label"] for c in report["controls"]] == list(BY_CAPTION)
    _assert_refused(report, local)


@needs_soffice
def test_libreoffice_without_the_texts_sheet_the_check_still_says_what_to_do_in_ascii(tmp_path, monkeypatch):
    path = builder.build(tmp_path / "登録簿.xlsm")
    wb = openpyxl.load_workbook(path, keep_vba=True)
    del wb[design.MACRO_TEXTS]
    wb.save(path)
    local = tmp_path / "LocalAppData"
    local.mkdir()
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    report = inspect(path, tmp_path)
    found = f"{local}\\xlkit\\.venv\\Scripts\\python.exe"
    expected = vba.FALLBACK_TEXTS["interpreter_missing"].replace("{path}", found).replace("\n", "\r\n")
    assert report["interpreter"]["XlkitMissingInterpreter"] == {"value": expected, "error": None}
    assert report["interpreter"]["title"]["value"] == vba.FALLBACK_TEXTS["interpreter_missing_title"]
    assert all(r["received"] == [] and r["error"] is None for r in report["button_runs"])


@needs_soffice
@pytest.mark.parametrize("value", ["python", "pythonw"])
def test_libreoffice_a_python_on_path_cannot_be_checked_and_passes(tmp_path, monkeypatch, value):
    path = builder.build(tmp_path / "登録簿.xlsm")
    set_interpreter(path, value)
    local = tmp_path / "LocalAppData"
    local.mkdir()
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    report = inspect(path, tmp_path)
    assert report["interpreter"]["XlkitInterpreter"]["value"] == value
    assert [r["received"] for r in report["button_runs"]] == [[line] for _, line in BY_CAPTION.values()]


@needs_soffice
def test_libreoffice_a_blank_interpreter_falls_back_like_runpython(tmp_path, monkeypatch):
    """A blank Interpreter_Win (a register before format 6, never upgraded) means "python" to
    RunPython: nothing to check, the buttons run (and xlkit doctor says the setting is blank)."""
    path = builder.build(tmp_path / "登録簿.xlsm")
    rewrite_member(path, conf_part(path), lambda d: re.sub(rb'<c r="B1"[^>]*?(?:/>|>.*?</c>)', b"", d, count=1,
                                                          flags=re.S))
    assert conf_rows(path)[0] == ("Interpreter_Win", None)
    local = tmp_path / "LocalAppData"
    local.mkdir()
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    report = inspect(path, tmp_path)
    assert report["interpreter"]["XlkitInterpreter"]["value"] == "python"
    assert all(r["received"] and r["error"] is None for r in report["button_runs"])


# --------------------------------------------------------------------------- ADD_WORKBOOK_TO_PYTHONPATH


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_the_upgrade_adds_the_workbook_path_row_below_the_keys_and_moves_the_notes_down(tmp_path, suffix):
    """xlwings must not map the register's (OneDrive) address before xlkit runs: the row is added
    where xlwings still reads it, and the blank row that ends the keys stays between them and the
    notes (otherwise xlwings would read the notes as keys)."""
    path = copy_of(FORMAT5[suffix], tmp_path)
    before = [[c.value for c in row] for row in openpyxl.load_workbook(path)[design.CONF].iter_rows(max_col=2)]
    keys = len(conf_rows(path))
    assert design.CONF_WORKBOOK_PATH not in dict(conf_rows(path))
    assert tasks.upgrade(path).notes == []
    after = [[c.value for c in row] for row in openpyxl.load_workbook(path)[design.CONF].iter_rows(max_col=2)]
    assert conf_rows(path)[-1] == (design.CONF_WORKBOOK_PATH, False)
    assert len(conf_rows(path)) == keys + 1
    assert after[:keys] == [[k, INTERPRETER_WIN if k == "Interpreter_Win" else v] for k, v in before[:keys]]
    assert after[keys + 1:] == before[keys:]  # the blank row and every note, one row lower
    assert after[keys + 1] == [None, None]
    assert tasks.upgrade(path).steps == [] and len(conf_rows(path)) == keys + 1  # once only


def test_a_workbook_path_value_staff_typed_is_kept_and_said(tmp_path):
    path = copy_of(FORMAT5[".xlsx"], tmp_path)

    def typed(data: bytes) -> bytes:  # row 1 typed over by IT: the key, value TRUE
        m = re.search(rb'<row r="1"[^>]*>.*?</row>', data, re.S)
        cells = (b'<c r="A1" t="inlineStr"><is><t>ADD_WORKBOOK_TO_PYTHONPATH</t></is></c>'
                 b'<c r="B1" t="b"><v>1</v></c>')
        first = b'<row r="1">' + cells + b"</row>"
        return data[:m.start()] + first + data[m.end():]

    rewrite_member(path, conf_part(path), typed)
    result = tasks.upgrade(path)
    assert conf_rows(path)[0] == (design.CONF_WORKBOOK_PATH, True)
    assert any(f"{design.CONF_WORKBOOK_PATH}（TRUE）は入力されていたとおり残しました" in n for n in result.notes)
    assert design.CONF_WORKBOOK_PATH not in dict(conf_rows(path)[1:])


def test_a_new_register_keeps_the_workbook_out_of_pythonpath():
    assert dict(design.XLWINGS_CONF_ROWS)[design.CONF_WORKBOOK_PATH] is False
