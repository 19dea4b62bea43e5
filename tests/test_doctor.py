"""`xlkit doctor`: each check judged on given facts (a Windows PC's too, on any machine), then the
facts gathered on this machine from real registers, folders and a faked Zone.Identifier stream."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from support import SAMPLE, japanese, run_cli
from support.doctor import BUNDLE_PYTHON, ENV, HOME, LOCAL, REGISTER, line, new_register, windows
from support.zips import patched
from xlkit import diagnosis as doctor, doctor_facts, formats, installation
from xlkit.diagnosis import ACTION, NA, NOTE, OK, Conf, Facts

def linux(**changes) -> Facts:
    return windows(**{"windows": False, "pywin32": None, "word": None, "exists": {}, "executable": "/usr/bin/python3",
                      **changes})





def test_a_healthy_pc_and_register_need_nothing():
    checks = doctor.diagnose(windows())
    assert {c.result for c in checks} == {OK}, [c for c in checks if c.result != OK]
    assert doctor.exit_code(checks) == 0
    assert doctor.summary(checks) == "要対応・注意はありません。"
    assert all(c.fix == doctor.NOTHING_TO_DO for c in checks)


# --------------------------------------------------------------------------- Python, xlkit


def test_python_versions_the_bundle_carries_are_ok():
    for minor in installation.PYTHONS:
        major, m = map(int, minor.split("."))
        check = line(windows(python=(major, m, 1)), "Python")
        assert check.result == OK and f"Python {minor}.1" in check.detail and BUNDLE_PYTHON in check.detail


@pytest.mark.parametrize("version", [(3, 10, 11), (3, 14, 0)])
def test_a_python_the_bundle_has_no_wheels_for_needs_action(version):
    check = line(windows(python=version), "Python")
    assert check.result == ACTION
    assert "3.11〜3.13" in check.detail and "セットアップ.bat" in check.fix and "3.11〜3.13" in check.fix


def test_xlkit_says_its_version_and_where_it_is():
    check = line(windows(), "xlkit")
    assert check.result == OK and "xlkit 0.1.0 が入っています" in check.detail and r"site-packages\xlkit" in check.detail


# --------------------------------------------------------------------------- xlwings, pywin32


def test_the_register_vba_of_another_xlwings_needs_an_upgrade():
    check = line(windows(vba_version="0.30.10"), "xlwings")
    assert check.result == ACTION
    assert "0.37.8" in check.detail and "0.30.10" in check.detail
    assert f'xlkit upgrade "{REGISTER}"' in check.fix and "閉じて" in check.fix


def test_the_same_xlwings_in_the_register_and_on_the_pc_is_ok():
    check = line(windows(), "xlwings")
    assert check.result == OK and "同じ版" in check.detail


def test_no_xlwings_installed_needs_the_setup_again():
    check = line(windows(xlwings=None), "xlwings")
    assert check.result == ACTION and "入っていません" in check.detail and "セットアップ.bat" in check.fix


def test_a_register_without_buttons_has_no_vba_version():
    check = line(windows(register=REGISTER[:-1] + "x", macro=False, vba_version=None), "xlwings")
    assert check.result == NA and "0.37.8" in check.detail and ".xlsx" in check.detail


def test_without_a_register_only_the_installed_xlwings_is_said():
    check = line(windows(register=None, macro=False), "xlwings")
    assert check.result == OK and "0.37.8" in check.detail and "登録簿を指定すると" in check.detail


def test_an_unreadable_vba_project_needs_an_upgrade():
    check = line(windows(vba_version=None, vba_problem="登録簿のマクロ（VBA）を読めません。"), "xlwings")
    assert check.result == ACTION and "読めません" in check.detail and "xlkit upgrade" in check.fix


def test_pywin32_is_checked_on_windows_only():
    assert line(linux(), "pywin32").result == NA
    assert line(windows(), "pywin32").result == OK
    broken = line(windows(pywin32="入っていないか、DLL を読み込めません"), "pywin32")
    assert broken.result == ACTION and "DLL" in broken.detail and "セットアップ.bat" in broken.fix


# --------------------------------------------------------------------------- the register's format


def test_an_older_register_needs_an_upgrade():
    check = line(windows(format=formats.CURRENT - 1), "登録簿の形式")
    assert check.result == ACTION and f"形式 {formats.CURRENT - 1}" in check.detail
    assert f'xlkit upgrade "{REGISTER}"' in check.fix


def test_a_newer_register_needs_a_newer_xlkit_on_this_pc():
    check = line(windows(format=formats.CURRENT + 1), "登録簿の形式")
    assert check.result == ACTION and "新しい xlkit" in check.detail and "変更していません" in check.detail
    assert "新しいバンドル" in check.fix and "upgrade" not in check.fix


def test_an_unreadable_format_name_says_what_to_restore():
    message = "登録簿の形式を示す名前「xlkit_format」の内容「x」を読めません。"
    check = line(windows(format=None, format_problem=message), "登録簿の形式")
    assert check.result == ACTION and check.detail == message and "名前の管理" in check.fix


def test_the_current_format_is_ok():
    check = line(windows(), "登録簿の形式")
    assert check.result == OK and str(formats.CURRENT) in check.detail


def test_a_register_that_cannot_be_read_is_one_line_needing_action():
    facts = windows(problem="ファイル「C:\\x\\touroku.xlsm」が見つかりません。", format=None, vba_version=None,
                    sheet_conf=None, exports_kind="")
    checks = doctor.diagnose(facts)
    register = line(facts, "登録簿")
    assert register.result == ACTION and "見つかりません" in register.detail and "xlkit doctor" in register.fix
    assert not [c for c in checks if c.item.startswith(("登録簿の形式", "ボタンが使う", "exports", "インターネット"))]
    assert doctor.exit_code(checks) == 1


def test_without_a_register_it_says_how_to_name_one():
    check = line(windows(register=None), "登録簿")
    assert check.result == NA and 'xlkit doctor "登録簿.xlsm"' in check.fix


# --------------------------------------------------------------------------- the interpreter


def test_the_bundle_python_that_runs_this_is_ok():
    check = line(windows(), "ボタンが使う Python")
    assert check.result == OK and BUNDLE_PYTHON in check.detail and "この診断を実行している" in check.detail


def test_a_blank_value_on_the_sheet_blocks_the_user_setting():
    facts = windows(sheet_conf=Conf("xlwings.conf", found=True, value="", cell="B1"),
                    user_conf=Conf(HOME + r"\.xlwings\xlwings.conf", found=True, value=BUNDLE_PYTHON))
    check = line(facts, "ボタンが使う Python")
    assert check.result == ACTION and "空欄" in check.detail and "xlwings.conf" in check.detail
    assert "B1" in check.fix and installation.INTERPRETER_WIN in check.fix  # this format: type it in
    older = line(dataclasses.replace(facts, format=formats.CURRENT - 1), "ボタンが使う Python")
    assert "xlkit upgrade" in older.fix  # the step to the current format writes it
    # the user's setting is shown as not used for this register
    user = line(facts, "利用者の xlwings 設定")
    assert user.result == NOTE and "使われません" in user.detail


def test_a_missing_interpreter_needs_the_bundle_or_the_right_path():
    facts = windows(exists={BUNDLE_PYTHON: False})
    check = line(facts, "ボタンが使う Python")
    assert check.result == ACTION and "ありません" in check.detail
    assert BUNDLE_PYTHON in check.detail  # expanded with this user's %LOCALAPPDATA%
    assert "セットアップ.bat" in check.fix and "B1" in check.fix


def test_another_existing_python_is_noted_with_how_to_check_it():
    other = r"C:\Python312\python.exe"
    facts = windows(executable=r"C:\Users\tanaka\tools\python.exe", exists={BUNDLE_PYTHON: True, other: True})
    check = line(facts, "ボタンが使う Python")
    assert check.result == NOTE and r"C:\Users\tanaka\tools\python.exe" in check.detail
    assert f'"{LOCAL}\\xlkit\\.venv\\Scripts\\xlkit.exe" doctor "{REGISTER}"' in check.fix


def test_the_comparison_with_this_python_ignores_case_as_windows_does():
    check = line(windows(executable=BUNDLE_PYTHON.upper()), "ボタンが使う Python")
    assert check.result == OK


def test_without_a_sheet_value_xlwings_reads_the_user_setting():
    facts = windows(sheet_conf=Conf("xlwings.conf", found=True),
                    user_conf=Conf(HOME + r"\.xlwings\xlwings.conf", found=True, value=BUNDLE_PYTHON))
    check = line(facts, "ボタンが使う Python")
    assert check.result == OK and "利用者の設定ファイル" in check.detail
    assert line(facts, "利用者の xlwings 設定").result == OK


def test_no_setting_anywhere_needs_one():
    check = line(windows(sheet_conf=Conf("xlwings.conf", found=True)), "ボタンが使う Python")
    assert check.result == ACTION and "PATH" in check.detail and installation.INTERPRETER_WIN in check.fix


def test_a_key_twice_on_the_sheet_stops_xlwings():
    grid = [["Interpreter_Win", installation.INTERPRETER_WIN], ["interpreter_win", ""], ["PYTHONPATH", ""]]
    check = line(windows(sheet_conf=doctor.sheet_conf(grid, "xlwings.conf")), "ボタンが使う Python")
    assert check.result == ACTION and "INTERPRETER_WIN" in check.detail and "2回" in check.detail


def test_elsewhere_the_value_is_shown_unexpanded_and_compared_with_the_standard():
    standard = line(linux(), "ボタンが使う Python")
    assert standard.result == OK and installation.INTERPRETER_WIN in standard.detail
    other = line(linux(sheet_conf=Conf("xlwings.conf", found=True, value=r"%USERPROFILE%\py\python.exe", cell="B1")),
                 "ボタンが使う Python")
    assert other.result == NOTE and r"%USERPROFILE%\py\python.exe" in other.detail and "B1" in other.fix


def test_a_register_without_buttons_has_no_interpreter_to_check():
    check = line(windows(register=REGISTER[:-1] + "x", macro=False), "ボタンが使う Python")
    assert check.result == NA


def test_without_a_register_the_standard_place_is_checked_on_windows():
    assert line(windows(register=None), "xlkit の Python").result == OK
    missing = line(windows(register=None, exists={BUNDLE_PYTHON: False}), "xlkit の Python")
    assert missing.result == ACTION and BUNDLE_PYTHON in missing.detail and "セットアップ.bat" in missing.fix
    assert line(linux(register=None), "xlkit の Python").result == NA


def test_an_unreadable_conf_file_is_noted():
    facts = windows(user_conf=Conf(HOME + r"\.xlwings\xlwings.conf", found=True, problem="アクセスする権限がありません"))
    check = line(facts, "利用者の xlwings 設定")
    assert check.result == NOTE and "権限" in check.detail


def test_a_folder_conf_beside_the_register_is_shown():
    folder = Conf(HOME + r"\Documents\register\xlwings.conf", found=True, value=BUNDLE_PYTHON)
    check = line(windows(folder_conf=folder, sheet_conf=Conf("xlwings.conf", found=True)), "フォルダの xlwings 設定")
    assert check.result == OK and BUNDLE_PYTHON in check.detail


# --------------------------------------------------------------------------- the plain rules


def test_expand_follows_windows():
    assert doctor.expand(installation.INTERPRETER_WIN, {"localappdata": LOCAL}) == BUNDLE_PYTHON
    assert doctor.expand(r"%NOPE%\x", ENV) == r"%NOPE%\x"


def test_the_sheet_is_read_as_xlwings_reads_it():
    grid = [["Interpreter_Win", "a"], ["PYTHONPATH", None], [None, None], ["Show Console", True]]
    found, twice = doctor.sheet_settings(grid)
    assert found == {"INTERPRETER_WIN": ("a", 1), "PYTHONPATH": (None, 2)} and twice == []
    conf = doctor.sheet_conf([["PYTHONPATH", ""], ["Interpreter_Win", None]], "xlwings.conf")
    assert conf.value == "" and conf.cell == "B2"
    assert doctor.sheet_conf(None, "xlwings.conf").found is False


def test_a_conf_file_is_read_as_vba_input_reads_it():
    text = '"PYTHONPATH",""\r\n"INTERPRETER_WIN","C:\\Program Files\\py, 3\\python.exe"\r\n'
    assert doctor.file_conf_value(text) == r"C:\Program Files\py, 3\python.exe"
    assert doctor.file_conf_value('"PYTHONPATH","x"') is None


@pytest.mark.parametrize("path, expected", [
    ("https://minato.sharepoint.com/sites/kusei/Shared Documents/touroku.xlsm", "url"),
    (HOME + r"\OneDrive - Minato City\register\touroku.xlsm", "onedrive"),
    (HOME.upper() + r"\ONEDRIVE - MINATO CITY\touroku.xlsm", "onedrive"),  # Windows ignores case
    (r"D:\Sync\OneDrive - 東京都\touroku.xlsm", "onedrive"),  # no variable, the folder's name says it
    (r"D:\OneDrive\touroku.xlsm", "onedrive"),
    (REGISTER, None),
    (r"\\fileserver\kusei\OneDriveの使い方\touroku.xlsm", None),
])
def test_cloud_places(path, expected):
    assert doctor.cloud_place(path, ENV) == expected


def test_unusual_folder_names_are_found_on_windows_paths():
    wide, spaced = doctor.unusual_folders(r"C:\Users\田中\区政 情報課\台帳\登録簿.xlsm")
    assert wide == ["田中", "区政 情報課", "台帳"] and spaced == ["区政 情報課"]
    assert doctor.unusual_folders("C:\\data\\a\u3000b\\x.xlsm")[1] == ["a\u3000b"]
    assert doctor.unusual_folders(r"\\server\share\plain\登録簿.xlsm") == ([], [])  # the file's name is not a folder


def test_zone_ids():
    assert doctor.zone_id("[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://x\r\n") == 3
    assert doctor.zone_id("[ZoneTransfer]\nzoneid = 1") == 1
    assert doctor.zone_id("") is None


# --------------------------------------------------------------------------- the register's place


def test_a_register_opened_from_a_url_needs_a_local_copy():
    url = "https://minato.sharepoint.com/sites/kusei/touroku.xlsm"
    facts = windows(register=url, problem="登録簿がこのパソコンのフォルダにありません。", format=None)
    check = line(facts, "保存場所")
    assert check.result == ACTION and url in check.detail and "同期したフォルダ" in check.fix


def test_a_register_in_onedrive_is_noted():
    check = line(windows(register=HOME + r"\OneDrive - Minato City\touroku.xlsm"), "保存場所")
    assert check.result == NOTE and "このデバイス上に常に保持する" in check.fix


def test_japanese_and_spaced_folder_names_are_noted_with_what_works():
    check = line(windows(register=r"C:\Users\田中\区政 情報課\登録簿.xlsm"), "フォルダ名")
    assert check.result == NOTE
    assert "田中" in check.detail and "空白（区政 情報課）" in check.detail and "xlkit 自身" in check.detail
    assert "英数字だけ" in check.fix
    assert line(windows(), "フォルダ名").result == OK


def test_a_japanese_user_name_puts_the_bundle_python_in_such_a_folder():
    local = r"C:\Users\田中\AppData\Local"
    check = line(windows(environ={**ENV, "LOCALAPPDATA": local}), "フォルダ名")
    assert check.result == NOTE and local + r"\xlkit" in check.detail and "ユーザー名" in check.detail
    assert line(linux(environ={**ENV, "LOCALAPPDATA": local}), "フォルダ名").result == OK


def test_a_path_excel_cannot_open_needs_action():
    deep = "C:\\" + "\\".join(["a" * 20] * 10) + "\\touroku.xlsm"
    assert len(deep) > doctor.EXCEL_PATH_MAX
    check = line(windows(register=deep), "パスの長さ")
    assert check.result == ACTION and "218" in check.detail


def test_a_folder_too_deep_for_the_files_xlkit_makes_is_noted():
    folder = "C:\\" + "b" * (doctor.WINDOWS_PATH_MAX - doctor.INSIDE_MAX)
    check = line(windows(register=folder + "\\t.xlsm"), "パスの長さ")
    assert check.result == NOTE and "260" in check.detail
    assert line(windows(), "パスの長さ").result == OK


# --------------------------------------------------------------------------- Mark of the Web


def test_a_register_from_the_internet_has_its_macros_blocked():
    check = line(windows(zone="[ZoneTransfer]\r\nZoneId=3\r\n"), "インターネット")
    assert check.result == ACTION and "ZoneId=3" in check.detail
    assert "許可する" in check.fix and f'Unblock-File -LiteralPath "{REGISTER}"' in check.fix


@pytest.mark.parametrize("zone", [None, "[ZoneTransfer]\r\nZoneId=1\r\n", "[ZoneTransfer]\r\nZoneId=2\r\n"])
def test_no_mark_or_a_trusted_zone_is_ok(zone):
    assert line(windows(zone=zone), "インターネット").result == OK


def test_the_mark_is_windows_only_and_an_unreadable_one_is_noted():
    assert line(linux(), "インターネット").result == NA
    check = line(windows(zone_problem="アクセスする権限がありません"), "インターネット")
    assert check.result == NOTE and "Unblock-File" in check.fix


# --------------------------------------------------------------------------- exports


def test_exports_outcomes():
    assert line(windows(), "exports").result == OK
    assert line(windows(exports_kind="missing"), "exports").result == OK
    denied = line(windows(exports_problem="アクセスする権限がありません"), "exports")
    assert denied.result == ACTION and "exports" in denied.detail and "権限" in denied.detail and "システム担当" in denied.fix
    file = line(windows(exports_kind="file"), "exports")
    assert file.result == ACTION and "ファイル" in file.detail and "名前を変える" in file.fix


# --------------------------------------------------------------------------- PDF


def test_pdf_routes():
    both = line(windows(), "PDF")
    assert both.result == OK and "LibreOffice" in both.detail and "Word" in both.detail
    word = line(windows(soffice=None), "PDF")
    assert word.result == NOTE and "Word" in word.detail and "--no-pdf" in word.fix and "XLKIT_SOFFICE" in word.fix
    none = line(windows(soffice=None, word=False), "PDF")
    assert none.result == NOTE and "Word も見つかりません" in none.detail
    assert line(linux(soffice=None), "PDF").result == NOTE


def test_the_summary_counts_what_needs_action():
    checks = doctor.diagnose(windows(vba_version="0.30.10", register=r"C:\区政\touroku.xlsm"))
    assert doctor.exit_code(checks) == 1
    assert doctor.summary(checks).startswith("要対応が 1 件、注意が 1 件")


# --------------------------------------------------------------------------- gathered on this machine


def no_windows(**changes) -> doctor_facts.System:
    return doctor_facts.System(windows=False, **changes)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return new_register(tmp_path_factory.mktemp("made"))


def copy_of(made: Path, folder: Path, name: str = "登録簿.xlsm") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(made, folder / name))


def test_a_new_register_is_healthy_on_this_machine(made, tmp_path):
    import xlwings

    register = copy_of(made, tmp_path / "plain")
    before = sorted(os.listdir(register.parent))
    facts = doctor_facts.gather(register, no_windows())
    assert facts.problem == "" and facts.macro and facts.format == formats.CURRENT
    assert facts.vba_version == xlwings.__version__ == facts.xlwings
    assert facts.sheet_conf.value == installation.INTERPRETER_WIN and facts.sheet_conf.cell == "B1"
    assert facts.exports_kind == "missing" and facts.exports_problem == ""
    assert sorted(os.listdir(register.parent)) == before  # the probe left nothing, made no exports
    results = {c.item: c.result for c in doctor.diagnose(facts)}
    assert results["xlwings（ボタンと Python の橋渡し）"] == OK and results["ボタンが使う Python"] == OK
    assert results["登録簿の形式"] == OK and results["exports への書き込み"] == OK


def test_a_register_whose_vba_is_of_another_xlwings(made, tmp_path):
    from pyopenvba import ExcelFile

    register = tmp_path / "old.xlsm"
    with ExcelFile(made) as book:
        project = book.vba_project()
        source = project.get_module("xlwings").source
        project.delete_module("xlwings")
        changed = source.replace('XLWINGS_VERSION As String = "', 'XLWINGS_VERSION As String = "0.1.')
        assert changed != source
        project.add_module("xlwings", changed)
        book.save(register)
    facts = doctor_facts.gather(register, no_windows())
    assert facts.vba_version.startswith("0.1.")
    check = line(facts, "xlwings")
    assert check.result == ACTION and f'xlkit upgrade "{register}"' in check.fix


def test_an_xlsm_without_macros_is_said(tmp_path):
    import openpyxl

    register = tmp_path / "no_vba.xlsm"
    openpyxl.Workbook().save(register)
    facts = doctor_facts.gather(register, no_windows())
    assert facts.problem == "" and facts.vba_problem
    assert line(facts, "xlwings").result == ACTION


def test_the_sample_register_has_no_buttons(tmp_path):
    register = Path(shutil.copyfile(SAMPLE, tmp_path / "sample.xlsx"))
    facts = doctor_facts.gather(register, no_windows())
    assert facts.problem == "" and not facts.macro and facts.vba_version is None
    assert line(facts, "xlwings").result == NA and line(facts, "ボタンが使う Python").result == NA


def format_name(content: bytes):
    """A patch of workbook.xml that gives the format's name `content`."""
    import re

    return lambda xml: re.sub(rb'(<definedName name="xlkit_format">)[^<]*(</definedName>)',
                              lambda m: m[1] + content + m[2], xml)


def test_a_newer_register_is_refused_and_left_alone(tmp_path):
    register = patched(SAMPLE, tmp_path / "future.xlsx", "xl/workbook.xml", format_name(b"99"))
    before = register.read_bytes()
    facts = doctor_facts.gather(register, no_windows())
    assert facts.format == 99 and facts.problem == ""
    check = line(facts, "登録簿の形式")
    assert check.result == ACTION and "形式は 99" in check.detail
    assert register.read_bytes() == before


def test_an_unreadable_format_name(tmp_path):
    register = patched(SAMPLE, tmp_path / "odd.xlsx", "xl/workbook.xml", format_name(b"five"))
    facts = doctor_facts.gather(register, no_windows())
    assert line(facts, "登録簿の形式").result == ACTION and "five" in facts.format_problem


@pytest.mark.parametrize("make", [
    lambda folder: folder / "無い.xlsm",
    lambda folder: (folder / "壊れた.xlsm").write_bytes(b"PK\x03\x04 not a zip") and folder / "壊れた.xlsm",
    lambda folder: (folder / "表.csv").write_text("a,b") and folder / "表.csv",
    lambda folder: folder,
])
def test_a_missing_or_broken_register_is_a_line_never_a_traceback(tmp_path, capsys, make):
    target = make(tmp_path)
    code, out, err = run_cli(capsys, "doctor", target)
    assert code == 1 and err == ""
    japanese(out)
    assert "確認項目: 登録簿\n  結果: 要対応" in out
    assert out.rstrip().endswith("要対応の行の「対処」のとおり直してください。")


def test_a_read_only_exports_folder(made, tmp_path):
    register = copy_of(made, tmp_path / "ro")
    exports = register.parent / "exports"
    exports.mkdir()
    exports.chmod(0o555)
    if os.access(exports, os.W_OK):  # root writes anywhere: a folder of a file system no one writes to
        exports.chmod(0o755)
        exports.rmdir()
        exports.symlink_to("/sys/kernel", target_is_directory=True)
    inside = sorted(os.listdir(exports))
    try:
        facts = doctor_facts.gather(register, no_windows())
    finally:
        if not exports.is_symlink():
            exports.chmod(0o755)
    assert facts.exports_kind == "folder" and facts.exports_problem == "アクセスする権限がありません"
    check = line(facts, "exports")
    assert check.result == ACTION and f"{exports} に書き込めません" in check.detail
    assert sorted(os.listdir(exports)) == inside


def test_exports_that_is_a_file(made, tmp_path):
    register = copy_of(made, tmp_path / "f")
    (register.parent / "exports").write_text("")
    assert line(doctor_facts.gather(register, no_windows()), "exports").result == ACTION


def test_a_folder_named_in_japanese_with_spaces(made, tmp_path):
    folder = tmp_path / "区政 情報課" / "外部結合　台帳"
    register = copy_of(made, folder)
    (folder / "exports").mkdir()
    facts = doctor_facts.gather(register, no_windows())
    assert facts.problem == "" and facts.exports_problem == ""
    assert os.listdir(folder / "exports") == []
    check = line(facts, "フォルダ名")
    assert check.result == NOTE and "区政 情報課" in check.detail and "外部結合　台帳" in check.detail


def test_windows_facts_through_injected_answers(made, tmp_path):
    register = copy_of(made, tmp_path / "win")
    profile = tmp_path / "profile"
    (profile / ".xlwings").mkdir(parents=True)
    (profile / ".xlwings" / "xlwings.conf").write_bytes('"INTERPRETER_WIN","C:\\Python312\\python.exe"\r\n'.encode("cp932"))
    (register.parent / "xlwings.conf").write_text('"INTERPRETER_WIN","%LOCALAPPDATA%\\other\\python.exe"\n')
    asked = []

    def zone(path):
        asked.append(path)
        return "[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://mail.example.jp/\r\n"

    system = doctor_facts.System(
        windows=True, environ={"LOCALAPPDATA": LOCAL, "USERPROFILE": str(profile)}, executable=BUNDLE_PYTHON,
        python=(3, 12, 4), is_file=lambda p: p == BUNDLE_PYTHON, read_zone=zone, word=lambda: False,
        pywin32=lambda: "", soffice=lambda: None, xlwings=lambda: "0.37.8")
    facts = doctor_facts.gather(register, system)
    assert asked == [str(register)]
    assert facts.user_conf.value == r"C:\Python312\python.exe"
    assert facts.folder_conf.value == r"%LOCALAPPDATA%\other\python.exe"
    assert facts.exists == {BUNDLE_PYTHON: True, LOCAL + r"\other\python.exe": False, r"C:\Python312\python.exe": False}
    checks = {c.item: c for c in doctor.diagnose(facts)}
    assert checks["インターネットから来たファイルの印（Mark of the Web）"].result == ACTION
    assert checks["ボタンが使う Python"].result == OK  # the sheet's value wins over both files
    assert checks["利用者の xlwings 設定"].result == NOTE and checks["フォルダの xlwings 設定"].result == NOTE
    assert checks["pywin32（Excel とのやり取り）"].result == OK
    assert checks["PDF の作成（LibreOffice・Word）"].result == NOTE


def test_a_zone_stream_that_cannot_be_read(made, tmp_path):
    register = copy_of(made, tmp_path / "z")

    def denied(path):
        raise PermissionError(13, "Permission denied")

    facts = doctor_facts.gather(register, doctor_facts.System(windows=True, read_zone=denied, pywin32=lambda: "",
                                                              word=lambda: None))
    assert facts.zone_problem == "アクセスする権限がありません"


def test_the_command_prints_every_check(made, tmp_path, capsys):
    register = copy_of(made, tmp_path / "cli")
    code, out, err = run_cli(capsys, "doctor", register)
    assert err == ""
    japanese(out)
    blocks = out.strip().split("\n\n")
    assert all(b.startswith("確認項目: ") for b in blocks[:-1])
    assert {b.splitlines()[1] for b in blocks[:-1]} <= {f"  結果: {r}" for r in doctor.RESULTS}
    expected = doctor.diagnose(doctor_facts.gather(register))
    assert code == doctor.exit_code(expected) and len(blocks) - 1 == len(expected)


def test_the_command_without_a_register(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no user's xlwings.conf
    code, out, err = run_cli(capsys, "doctor")
    assert err == "" and "確認項目: 登録簿\n  結果: 対象外" in out
    assert code == doctor.exit_code(doctor.diagnose(doctor_facts.gather(None)))
    assert "確認項目: 登録簿の形式" not in out and "確認項目: exports" not in out
