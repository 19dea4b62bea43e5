"""`xlkit doctor` and the button 診断 attacked: each test is a case in which the diagnosis said
something untrue of an office PC (read against xlwings.bas RunPython/GetConfig), or told staff
a fix that does not work."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from support import run_cli
from support.doctor import BUNDLE_PYTHON, ENV, HOME, LOCAL, line, new_register, windows
from support.zips import patched
from xlkit import diagnosis as doctor, doctor_facts, installation
from xlkit.diagnosis import ACTION, NA, NOTE, OK, Conf

INTERPRETER = "ボタンが使う Python"
WORKBOOK_PATH = "ブックのフォルダの読み込み"


def sheet(*rows) -> Conf:
    return doctor.sheet_conf([list(r) for r in rows], "xlwings.conf")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return new_register(tmp_path_factory.mktemp("made"))


def without_vba(made: Path, target: Path) -> Path:
    """The register as a gateway that strips macros leaves it: .xlsm, no vbaProject.bin."""
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            if not name.endswith("vbaProject.bin"):
                out.writestr(name, source.read(name))
    return target


# --------------------------------------------------------------------------- the VBA project


def test_a_stripped_xlsm_is_not_sent_to_an_upgrade_that_refuses_it(made, tmp_path, capsys):
    register = without_vba(made, tmp_path / "stripped.xlsm")
    check = line(doctor_facts.gather(register, doctor_facts.System(windows=False)), "xlwings")
    assert check.result == ACTION
    code, _, err = run_cli(capsys, "upgrade", register)  # what the old fix told staff to run
    assert code != 0 and "xlkit new" in err
    assert "xlkit upgrade" not in check.fix and "xlkit new" in check.fix


# --------------------------------------------------------------------------- RunPython's interpreter


def test_the_legacy_interpreter_key_is_what_runpython_falls_back_to():
    # RunPython: GetConfig("INTERPRETER_WIN", "") blank -> GetConfig("INTERPRETER", "python")
    user = Conf(HOME + r"\.xlwings\xlwings.conf", found=True, legacy=BUNDLE_PYTHON)
    check = line(windows(sheet_conf=sheet(["Interpreter_Win", None], ["ADD_WORKBOOK_TO_PYTHONPATH", False]),
                         user_conf=user), INTERPRETER)
    assert check.result == OK and "Interpreter" in check.detail and "PATH" not in check.detail
    missing = line(windows(sheet_conf=sheet(["Interpreter", r"C:\old\python.exe"], ["ADD_WORKBOOK_TO_PYTHONPATH", 0])),
                   INTERPRETER)
    assert missing.result == ACTION and r"C:\old\python.exe" in missing.detail and "PATH" not in missing.detail


def test_the_legacy_key_is_gathered_from_the_sheet_and_the_files(made, tmp_path):
    folder = tmp_path / "legacy"
    folder.mkdir()
    register = Path(shutil.copyfile(made, folder / made.name))
    (folder / "xlwings.conf").write_text('"INTERPRETER","C:\\py\\python.exe"\n', encoding="utf-8")
    facts = doctor_facts.gather(register, doctor_facts.System(
        windows=True, environ={"LOCALAPPDATA": LOCAL, "USERPROFILE": str(tmp_path)}, is_file=lambda p: True,
        read_zone=lambda p: None, word=lambda: None, pywin32=lambda: "", soffice=lambda: None),
        conf_grid=[["Interpreter_Win", ""], ["ADD_WORKBOOK_TO_PYTHONPATH", False]])
    assert facts.folder_conf.legacy == r"C:\py\python.exe"
    assert r"C:\py\python.exe" in facts.exists
    check = line(facts, INTERPRETER)
    assert r"C:\py\python.exe" in check.detail and "PATH" not in check.detail


@pytest.mark.parametrize("value", ["python", "pythonw"])
def test_python_without_a_folder_means_path_not_a_missing_file(value):
    check = line(windows(sheet_conf=sheet(["Interpreter_Win", value], ["ADD_WORKBOOK_TO_PYTHONPATH", False])),
                 INTERPRETER)
    assert check.result == ACTION and "PATH" in check.detail and "ファイルがありません" not in check.detail
    assert installation.INTERPRETER_WIN in check.fix


def test_a_path_copied_with_its_quotes_is_named_as_the_cause():
    quoted = f'"{BUNDLE_PYTHON}"'  # Explorer's 「パスのコピー」 adds them; FileExists then fails
    check = line(windows(sheet_conf=sheet(["Interpreter_Win", quoted], ["ADD_WORKBOOK_TO_PYTHONPATH", False]),
                         exists={BUNDLE_PYTHON: True, quoted: False}), INTERPRETER)
    assert check.result == ACTION and "「\"」" in check.detail


def test_a_register_of_a_newer_format_is_not_said_to_have_no_setting(made, tmp_path):
    register = patched(made, tmp_path / "future.xlsm", "xl/workbook.xml",
                       lambda xml: xml.replace(b'name="xlkit_format">6<', b'name="xlkit_format">99<'))
    facts = doctor_facts.gather(register, doctor_facts.System(windows=False))
    assert facts.format == 99
    check = line(facts, INTERPRETER)
    assert "どこにも" not in check.detail and check.result == NA
    assert not [c for c in doctor.diagnose(facts) if c.item.startswith(WORKBOOK_PATH)]
    # the button hands in the open workbook's xlwings.conf sheet: one answer for both doors
    opened = doctor_facts.gather(register, doctor_facts.System(windows=False),
                                 conf_grid=[["Interpreter_Win", ""], ["ADD_WORKBOOK_TO_PYTHONPATH", True]])
    assert [c.row() for c in doctor.diagnose(opened)] == [c.row() for c in doctor.diagnose(facts)]


# --------------------------------------------------------------------------- ADD_WORKBOOK_TO_PYTHONPATH


def test_a_onedrive_register_that_adds_its_folder_stops_in_english_before_xlkit():
    onedrive = HOME + r"\OneDrive - Minato City\register\touroku.xlsm"
    env = {**ENV, "OneDrive": HOME + r"\OneDrive - Minato City"}
    on = sheet(["Interpreter_Win", installation.INTERPRETER_WIN], ["ADD_WORKBOOK_TO_PYTHONPATH", True])
    check = line(windows(register=onedrive, environ=env, sheet_conf=on), WORKBOOK_PATH)
    assert check.result == ACTION and "B2" in check.fix and "FALSE" in check.fix
    # not on the sheet at all: xlwings' default is true
    absent = sheet(["Interpreter_Win", installation.INTERPRETER_WIN])
    assert line(windows(register=onedrive, environ=env, sheet_conf=absent), WORKBOOK_PATH).result == ACTION
    local = line(windows(sheet_conf=on), WORKBOOK_PATH)
    assert local.result == NOTE and "FALSE" in local.fix
    assert line(windows(), WORKBOOK_PATH).result == OK


def test_a_new_register_adds_no_folder(made, tmp_path):
    register = Path(shutil.copyfile(made, tmp_path / made.name))
    facts = doctor_facts.gather(register, doctor_facts.System(windows=False))
    assert facts.sheet_conf.add_workbook is not None
    assert line(facts, WORKBOOK_PATH).result == OK


# --------------------------------------------------------------------------- Mark of the Web


def test_a_mark_without_a_zone_id_shows_no_python_none():
    check = line(windows(zone="[ZoneTransfer]\r\nHostUrl=about:internet\r\n"), "インターネット")
    assert "None" not in check.detail


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "cp932"])
def test_a_zone_stream_written_in_utf16_is_read(tmp_path, encoding):
    register = tmp_path / "r.xlsm"
    register.write_bytes(b"")
    # Linux allows ":" in a name: the stream of NTFS is a file named so here
    Path(str(register) + ":Zone.Identifier").write_bytes(
        "[ZoneTransfer]\r\nZoneId = 3\r\nHostUrl=https://例.jp/\r\n".encode(encoding))
    assert doctor.zone_id(doctor_facts._read_zone(str(register))) == 3


# --------------------------------------------------------------------------- the sheet, the path given


def test_a_space_in_a_key_cell_does_not_end_the_sheet_for_xlwings():
    # End(xlDown) and GetConfigFromSheet read past a cell holding a space: the second key then
    # makes Scripting.Dictionary raise, and every button stops
    conf = sheet(["Interpreter_Win", installation.INTERPRETER_WIN], [" ", ""], ["interpreter_win", ""])
    check = line(windows(sheet_conf=conf), INTERPRETER)
    assert check.result == ACTION and "2回" in check.detail


def test_a_relative_register_is_named_without_dot_dot(made, tmp_path, monkeypatch):
    folder = tmp_path / "課" / "台帳"
    folder.mkdir(parents=True)
    shutil.copyfile(made, folder / made.name)
    (tmp_path / "作業").mkdir()
    monkeypatch.chdir(tmp_path / "作業")
    facts = doctor_facts.gather(Path("..") / "課" / "台帳" / made.name, doctor_facts.System(windows=False))
    assert facts.register == str(folder / made.name)
    assert ".." not in line(facts, "xlwings").fix + facts.exports


def test_a_user_file_with_the_legacy_key_is_shown_as_used_or_not():
    user = Conf(HOME + r"\.xlwings\xlwings.conf", found=True, legacy=r"C:\Python39\python.exe")
    shown = line(windows(user_conf=user), "利用者の xlwings 設定")  # the sheet's Interpreter_Win wins
    assert shown.result == NOTE and r"C:\Python39\python.exe" in shown.detail and "使われません" in shown.detail
    blank = sheet(["Interpreter_Win", ""], ["ADD_WORKBOOK_TO_PYTHONPATH", False])
    used = line(windows(user_conf=user, sheet_conf=blank, exists={r"C:\Python39\python.exe": True}), "利用者の xlwings 設定")
    assert used.result == OK and r"C:\Python39\python.exe" in used.detail


def test_a_blank_value_in_the_folder_file_is_not_said_to_be_on_the_sheet():
    folder = Conf(HOME + r"\Documents\register\xlwings.conf", found=True, value="")
    check = line(windows(sheet_conf=sheet(["ADD_WORKBOOK_TO_PYTHONPATH", False]), folder_conf=folder), INTERPRETER)
    assert check.result == ACTION and "同じフォルダの xlwings.conf" in check.detail
    assert "シートにある設定を優先" not in check.detail


def renamed_conf(made: Path, target: Path, name: bytes) -> Path:
    return patched(made, target, "xl/workbook.xml", lambda xml: xml.replace(b'name="xlwings.conf"', b'name="' + name + b'"'))


def test_a_misnamed_conf_sheet_is_named_not_sent_to_an_upgrade_that_keeps_it(made, tmp_path, capsys):
    register = renamed_conf(made, tmp_path / "renamed.xlsm", "xlwings.conf ".encode())
    facts = doctor_facts.gather(register, doctor_facts.System(windows=False))
    check = line(facts, INTERPRETER)
    assert check.result == ACTION and "「xlwings.conf 」" in check.detail and "「xlwings.conf 」" in check.fix
    run_cli(capsys, "upgrade", register)  # the old fix: the sheet keeps its name, the buttons their PATH python
    assert doctor_facts.gather(register, doctor_facts.System(windows=False)).sheet_conf.found is False
    assert "xlkit upgrade" not in check.fix
    assert "「xlwings.conf 」" in line(facts, WORKBOOK_PATH).fix


def test_a_register_without_a_conf_sheet_is_told_how_to_add_one(made, tmp_path):
    register = renamed_conf(made, tmp_path / "other.xlsm", "設定2".encode())
    check = line(doctor_facts.gather(register, doctor_facts.System(windows=False)), INTERPRETER)
    assert "シート「xlwings.conf」がありません" in check.detail
    assert "xlkit upgrade" not in check.fix and "A1 に Interpreter_Win" in check.fix


def test_a_sheet_without_the_key_is_not_told_to_fill_a_cell_that_does_not_exist():
    check = line(windows(sheet_conf=sheet(["ADD_WORKBOOK_TO_PYTHONPATH", False])), INTERPRETER)
    assert "最後の設定のすぐ下" in check.fix and "Interpreter_Win の右のセル" not in check.fix


def test_a_register_on_a_usb_stick_has_no_stream_and_no_mark(tmp_path, monkeypatch):
    register = tmp_path / "r.xlsm"
    register.write_bytes(b"")

    def fat(self):  # what Windows answers for "name:stream" on FAT/exFAT
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(Path, "read_bytes", fat)
    assert doctor_facts._read_zone(str(register)) is None


def test_a_wrong_xlkit_soffice_is_named_not_asked_for_again():
    wrong = r"D:\LibreOffice\soffice.exe"
    check = line(windows(soffice=None, environ={**ENV, "XLKIT_SOFFICE": wrong}), "PDF")
    assert wrong in check.detail and "正しい場所" in check.fix
    assert "設定してください" not in check.fix


def test_a_probe_file_a_killed_doctor_left_is_removed_by_the_next(made, tmp_path):
    """Killed between making its probe file in exports and removing it, a doctor leaves the file;
    it is named as xlkit's temporary files are, so the next doctor finds it gone-owned and removes
    it, and a live process's is left alone."""
    import subprocess
    import sys

    from xlkit import files

    folder = tmp_path / "課"
    register = Path(shutil.copyfile(made, folder.mkdir() or folder / "登録簿.xlsm"))
    exports = folder / "exports"
    exports.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = exports / f"{files.TEMP_PREFIX}xlkit-doctor.tmp-{files._host_tag()}.{dead}-abcd_123.tmp"
    stale.write_bytes(b"")
    running = exports / f"{files.temp_prefix('xlkit-doctor.tmp')}live_123.tmp"
    running.write_bytes(b"")
    facts = doctor_facts.gather(register, doctor_facts.System(windows=False))
    assert facts.exports_kind == "folder" and not facts.exports_problem
    assert sorted(p.name for p in exports.iterdir()) == [running.name]
