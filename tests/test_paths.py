"""Paths staff really have: registers in folders with Japanese names, spaces (half- and
full-width), parentheses, & % ^ ; (which cmd.exe treats specially), № and emoji, and a path
longer than Windows' classic 260 characters; and a register opened from OneDrive/SharePoint,
whose mapping errors xlwings raises in English.

The commands run as staff type them (run_cli) and the buttons on xlwings' remote engine; where
xlkit computes a path from the text Excel gives (a Windows full name), it is read with
PureWindowsPath, so that Windows semantics are tried on any PC.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import pytest

from xlkit import __version__, formats, lock, macros, onedrive
from xlkit.errors import XlkitError
from xlkit.workbook import reader
from xlkit.workbook.builder import build
from support import REPO, japanese, needs_soffice, run_cli, said
from support import factories
from support.forms import YEAR, fill, form_of, history_rows
from support.forms import linkage as form_linkage
from support.images import image_bytes
from support.payload import alerts, cloud_book, office_js_payload, remote_book

# a name of 60 characters: three bytes each in UTF-8, far under a file system's 255 bytes per
# name, while four of them pass Windows' 260 characters for a whole path
_LONG = "区政情報課個人情報保護審議会事務局共有フォルダ令和六年度外部結合登録簿保管用作業場所" * 2
PLACES = {
    "spaces": ("区政情報課 共有", "令和6年度 登録簿", "外部結合 登録簿 (R6).xlsx"),
    "full-width": ("区政情報課\u3000共有", "令和６年度\u3000登録簿（Ｒ６）", "外部結合\u3000登録簿（Ｒ６）.xlsx"),
    "cmd-specials": ("総務&企画 100%", "a^b %USERNAME% ;x", "登録簿 R6&R7 50%.xlsx"),
    "number-emoji": ("共有📁", "№1", "登録簿№😀.xlsx"),
    "long": (_LONG[:60], _LONG[10:70], _LONG[20:80], _LONG[30:90], "外部結合登録簿.xlsx"),
}


@pytest.fixture(params=list(PLACES), ids=list(PLACES))
def register(request, tmp_path) -> Path:
    """A register of the current format, 報告年度 2021, in one of PLACES."""
    *folders, name = PLACES[request.param]
    folder = tmp_path.joinpath(*folders)
    folder.mkdir(parents=True)
    if request.param == "long":
        assert len(str(folder / name)) > 260
    return build(folder / name, linkages=[factories.linkage(1), factories.linkage(2)],
                 cases=[factories.case(1)], settings={"report_year": YEAR})


def _left(folder: Path) -> list[str]:
    """What is in `folder` besides what a test made: leftovers of a write (temp files, a lock)."""
    return sorted(p.name for p in folder.iterdir())


def _is_ooxml(path: Path) -> bool:
    with zipfile.ZipFile(path) as z:
        return "[Content_Types].xml" in z.namelist()


# --------------------------------------------------------------------------- the commands


def test_validate_finds_the_attachments_beside_the_register(register, capsys):
    """添付ファイル are looked up in the folder beside the register, by names staff give them."""
    code, out, err = run_cli(capsys, "validate", register)
    assert code == 0, err
    assert f"{register.name}: 問題は見つかりませんでした" in out
    folder = register.parent / "添付ファイル" / "令和7年度 第1回"
    folder.mkdir(parents=True)
    (folder / "流れ図 №1 (案)&.png").write_bytes(image_bytes())
    path = build(register, cases=[factories.case(1, attachment="令和7年度 第1回/流れ図 №1 (案)&.png"),
                                  factories.case(2, attachment="流れ図　№2.png")], settings={"report_year": 2025})
    code, out, err = run_cli(capsys, "validate", path, "--json")
    issues = json.loads(out)["issues"]
    assert [(i["cell"], i["code"]) for i in issues] == [("P3", "attachment-unusable")], issues
    assert "「流れ図　№2.png」" in japanese(issues[0]["message"])


def test_the_reports_are_written_into_exports_beside_the_register(register, capsys):
    exports = register.parent / macros.EXPORT_DIR
    exports.mkdir()
    wanted = []
    for kind, out in (("linkages", "外部結合の状況.docx"), ("linkages", "外部結合の状況 (R3).xlsx"),
                      ("cases", "資料１ 審議案件.docx"), ("cases", "資料１　審議案件.xlsx")):
        code, stdout, err = run_cli(capsys, "export", kind, register, "--out", exports / out)
        assert code == 0, err
        assert str(exports / out) in stdout
        wanted.append(out)
    assert _left(exports) == sorted(wanted)  # no temp file left beside them
    assert all(_is_ooxml(exports / name) for name in wanted)
    assert _left(register.parent) == sorted([register.name, macros.EXPORT_DIR])


@needs_soffice
def test_a_pdf_is_made_in_a_folder_cmd_would_misread(tmp_path, capsys, monkeypatch):
    """LibreOffice is started with the paths as arguments: & % ^ ; and spaces must reach it whole,
    and its profile and work folder sit in the temp folder of a user named in Japanese (Windows
    puts %TEMP% under C:\\Users\\<name>)."""
    import tempfile

    temp = tmp_path / "Users" / "山田 太郎" / "AppData" / "Local" / "Temp"
    temp.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    *folders, name = PLACES["cmd-specials"]
    folder = tmp_path.joinpath(*folders, "exports")
    folder.mkdir(parents=True)
    path = build(folder.parent / name, linkages=[factories.linkage(1)], settings={"report_year": 2020})
    code, out, err = run_cli(capsys, "export", "linkages", path, "--out", folder / "外部結合の状況 50%&.pdf")
    assert code == 0, err
    assert (folder / "外部結合の状況 50%&.pdf").read_bytes()[:5] == b"%PDF-"
    assert _left(folder) == ["外部結合の状況 50%&.pdf"]
    assert _left(temp) == []  # LibreOffice's profile and the work folder are gone


def test_survey_and_collect_in_the_registers_folder(register, capsys):
    forms = register.parent / macros.EXPORT_DIR / "照会票"
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", forms)
    assert code == 0, err
    form = form_of(forms, factories.DIVISION)
    assert form.is_file() and str(form) in out
    answered = forms / "回答 (戸籍住民課)"
    fill(form, answered / form.name, ends={"L-00001": "R3.9.30"},
         new=[form_linkage(factories.DIVISION, "電子申請", "2021/8/1")])
    code, out, err = run_cli(capsys, "collect", register, answered, "--year", YEAR)
    assert code == 0, err
    assert "新規 1 件" in out and "終了年月日 1 件" in out
    # 変更履歴 names the answer by its file name, whatever folder it came from
    [ended] = [h for h in history_rows(register) if h["id"] == "L-00001"]
    assert str(ended["source"]).startswith(form.name + "（") and ended["respondent"].startswith("山田 花子")
    assert [r.values.get("end") for r in reader.load(register).linkages if r.values.get("id") == "L-00001"] \
        == [dt.date(2021, 9, 30)]
    # the register writer's lock and temp files are gone again
    assert _left(register.parent) == sorted([register.name, macros.EXPORT_DIR])


def test_the_lock_is_taken_and_released_beside_the_register(register, capsys, monkeypatch):
    from xlkit.workbook import writer

    monkeypatch.setattr(writer, "LOCK_WAIT", 0.2)  # a colleague's write is waited for: not here
    before = register.read_bytes()
    with lock.hold(register, "取り込み"):
        assert (register.parent / (register.name + lock.LOCK_SUFFIX)).is_file()
        code, out, err = run_cli(capsys, "upgrade", register)
    assert code == 2
    assert f"「{register.name}」" in japanese(err) and "終わるのを待って" in err
    assert register.read_bytes() == before
    assert _left(register.parent) == [register.name]


def _plant_stale(register: Path) -> None:
    """A lock another PC left two days ago, as the lock module writes one."""
    started = dt.datetime.now().astimezone() - dt.timedelta(days=2)
    data = {"user": "yamada", "host": "PC-区政-01", "pid": 4321, "started": started.isoformat(),
            "purpose": "取り込み", "token": "theirs", "xlkit": __version__}
    lock.lock_path(register).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_stale_lock_is_refused_naming_the_register_and_then_cleared(register, capsys):
    _plant_stale(register)
    forms = register.parent / "照会票"
    assert run_cli(capsys, "survey", register, "--year", YEAR, "--out", forms)[0] == 0
    answered = fill(form_of(forms, factories.DIVISION), register.parent / "回答" / "戸籍住民課 回答.xlsx",
                    ends={"L-00002": "R3.9.30"})
    before = register.read_bytes()
    code, out, err = run_cli(capsys, "collect", register, answered, "--year", YEAR)
    assert code == 2 and register.read_bytes() == before
    assert f"「{register.name}」" in japanese(err)
    assert f"（{register.name}{lock.LOCK_SUFFIX}）" in err and "--clear-lock" in err
    code, out, err = run_cli(capsys, "collect", register, answered, "--year", YEAR, "--clear-lock")
    assert code == 0, err
    assert not lock.lock_path(register).exists()


@pytest.mark.parametrize("place", ["spaces", "cmd-specials", "number-emoji"])
def test_upgrade_of_an_old_register_where_it_is(tmp_path, capsys, place):
    *folders, name = PLACES[place]
    folder = tmp_path.joinpath(*folders)
    folder.mkdir(parents=True)
    path = folder / Path(name).with_suffix(".xlsm").name
    path.write_bytes((REPO / "tests" / "fixtures" / "format1_sample.xlsm").read_bytes())
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert reader.load(path).format == formats.CURRENT
    assert _left(folder) == [path.name]  # no lock, no temp copy left


def test_close_year_freezes_the_year_beside_the_register(register, capsys):
    import hashlib

    build(register, linkages=[factories.linkage(1)], settings={"report_year": YEAR, "report_date": dt.date(2022, 5, 20)})
    code, out, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 0, err
    frozen = register.parent / "確定" / str(YEAR)
    assert f"確定フォルダ「{frozen}」" in out
    # the SHA-256 list names each file as it is, spaces, & and % included, and checks out
    listed = [line.split("  ", 1) for line in (frozen / "ハッシュ値一覧.txt").read_text(encoding="utf-8").splitlines()]
    assert register.name in [name for _, name in listed]
    for digest, name in listed:
        assert hashlib.sha256((frozen / name).read_bytes()).hexdigest() == digest
    assert _left(register.parent) == sorted([register.name, "確定"])


# --------------------------------------------------------------------------- the buttons


def _press(macro, register: Path, monkeypatch, **kwargs) -> list[dict]:
    """A button pressed on the register in its folder. A payload book (xlwings' remote engine)
    knows only its name: its folder is the current one, which the test makes the register's."""
    monkeypatch.chdir(register.parent)
    book = remote_book(office_js_payload(register))
    macro(book, **kwargs)
    return book.json()["actions"]


def test_the_excel_and_word_buttons_write_into_exports(register, monkeypatch):
    for macro in (macros.export_excel, macros.export_word):
        [alert] = alerts(_press(macro, register, monkeypatch, confirm=lambda refusal: False))
        assert "保存しました" in alert[0], alert[0]
        assert f"保存先：{register.parent / macros.EXPORT_DIR}" in alert[0]
    written = _left(register.parent / macros.EXPORT_DIR)
    assert sorted(Path(n).suffix for n in written) == [".docx", ".docx", ".xlsx", ".xlsx"]
    assert all(_is_ooxml(register.parent / macros.EXPORT_DIR / n) for n in written)


def test_the_survey_and_collect_buttons_in_the_registers_folder(register, monkeypatch):
    [alert] = alerts(_press(macros.survey, register, monkeypatch))
    forms = register.parent / macros.EXPORT_DIR / "照会票"
    assert f"保存先：{forms}" in alert[0], alert[0]
    form = form_of(forms, factories.DIVISION)
    answered = fill(form, forms / "回答" / form.name, ends={"L-00001": "R3.9.30"})
    actions = _press(macros.collect, register, monkeypatch, choose=lambda book: [answered],
                     confirm=lambda plan, lines: True)
    [alert] = alerts(actions)
    assert "書き込みました" in japanese(alert[0]), alert[0]


# --------------------------------------------------------------------------- Windows full names


@pytest.mark.parametrize("fullname, folder", [
    (r"C:\Users\山田 太郎\Documents\登録簿 (R6).xlsm", r"C:\Users\山田 太郎\Documents"),
    ("C:\\Users\\山田\u3000太郎\\OneDrive - 区役所\\区政情報課\\登録簿№😀.xlsm",
     "C:\\Users\\山田\u3000太郎\\OneDrive - 区役所\\区政情報課"),
    (r"\\fileserver\共有\区政情報課\登録簿.xlsm", r"\\fileserver\共有\区政情報課"),
    (r"\\fileserver\共有\登録簿.xlsm", "\\\\fileserver\\共有\\"),
    (r"Z:\総務&企画 100%\a^b\登録簿 R6&R7.xlsm", r"Z:\総務&企画 100%\a^b"),
], ids=["user-folder", "full-width-space", "unc", "share-root", "mapped-drive"])
def test_the_exports_folder_of_a_windows_full_name(fullname, folder):
    path = macros.file_of(fullname, PureWindowsPath)
    assert path == PureWindowsPath(fullname)
    assert path.parent == PureWindowsPath(folder)
    assert str(path.parent / macros.EXPORT_DIR) == folder.rstrip("\\") + r"\exports"


def test_a_never_saved_book_has_no_folder_on_windows(monkeypatch):
    """xlwings starts Python in the interpreter's folder: 「Book1」's exports would land in
    %LOCALAPPDATA%\\xlkit\\.venv\\Scripts. The remote engine's book (a name only) is in the
    current folder."""
    cwd = PureWindowsPath(r"C:\Users\山田 太郎\AppData\Local\xlkit\.venv\Scripts")
    assert macros.file_of("Book1", PureWindowsPath, cwd) is None
    assert macros.file_of("https://d.docs.live.net/abc/登録簿.xlsm", PureWindowsPath, cwd) is None
    assert macros.file_of("登録簿.xlsx", PurePosixPath, PurePosixPath("/srv/共有")) == PurePosixPath("/srv/共有/登録簿.xlsx")
    monkeypatch.setattr(macros, "Path", PureWindowsPath)  # workbook_folder as it runs on Windows
    with pytest.raises(XlkitError) as caught:
        macros.workbook_folder(_Named("Book1"))
    assert "「Book1」はまだ保存されていない" in said(caught.value)
    with pytest.raises(XlkitError) as caught:
        macros.workbook_folder(_Named("https://kuyakusho.sharepoint.com/sites/kusei/Shared Documents/登録簿.xlsm"))
    assert "OneDrive や SharePoint 上で開かれている" in said(caught.value)
    assert macros.workbook_folder(_Named(r"C:\Users\山田 太郎\登録簿.xlsm")) == PureWindowsPath(r"C:\Users\山田 太郎")


class _Named:
    """A Book double with a full name (xlwings gives Excel's FullName, mapped to the PC)."""

    def __init__(self, fullname, name: str | None = None):
        self._fullname, self.name = fullname, name or PurePosixPath(str(fullname)).name

    @property
    def fullname(self):
        if isinstance(self._fullname, BaseException):
            raise self._fullname
        return self._fullname


def test_workbook_folder_on_this_pc_keeps_every_character(register):
    """What workbook_folder gives on the PC the tests run on (Path): the register's own folder."""
    assert macros.workbook_folder(_Named(str(register))) == register.parent
    assert macros.workbook_file(_Named(str(register))) == register


# --------------------------------------------------------------------------- the command line xlwings builds


def test_a_workbook_name_with_an_equals_sign_is_found_whole(monkeypatch):
    """xlwings' Book.caller cuts --wb= at the second "=": the button finds the book by its whole
    name in the Excel window that started it."""
    import xlwings as xw

    found = []

    class Books(dict):
        def __getitem__(self, name):
            found.append(name)
            return f"book {name}"

    class App:
        def __init__(self, hwnd):
            self.hwnd, self.books = hwnd, Books()

    monkeypatch.setattr(xw, "apps", [App(111), App(222)])
    monkeypatch.setattr(sys, "argv", ["-c", "--wb=登録簿 (R6)=確定版.xlsm", "--from_xl=1",
                                      r"--app=C:\Program Files\EXCEL.EXE", "--hwnd=222"])
    assert macros._caller(None) == "book 登録簿 (R6)=確定版.xlsm"
    assert found == ["登録簿 (R6)=確定版.xlsm"]
    # the cut this works around; when xlwings reads the whole name, _caller may leave it to xlwings
    import inspect

    assert 'wb = arg.split("=")[1].strip()' in inspect.getsource(xw.Book.caller)


def test_the_caller_is_xlwings_own_without_an_equals_sign(monkeypatch):
    import xlwings as xw

    monkeypatch.setattr(sys, "argv", ["-c", "--wb=登録簿 & R6 50%.xlsm", "--from_xl=1", "--hwnd=222"])
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: "xlwings' own"))
    assert macros._caller(None) == "xlwings' own"
    assert macros._called_from(["-c", "--wb=a=b.xlsm"]) is None  # not started by a button


# --------------------------------------------------------------------------- OneDrive / SharePoint


@pytest.fixture
def xlwings_on_windows(tmp_path, monkeypatch):
    """xlwings' mapping as it runs on Windows, with no user settings and no synced folder."""
    import xlwings

    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(tmp_path / "none" / "xlwings.conf"))
    for name in ("OneDrive", "OneDriveConsumer", "OneDriveCommercial"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def raised(call) -> Exception:
        with monkeypatch.context() as m:
            m.setattr(sys, "platform", "win32")
            with pytest.raises(xlwings.XlwingsError) as caught:
                call()
        return caught.value

    return raised


def _mapping(url, *configs):
    from xlwings import utils

    return lambda: utils.fullname_url_to_local_path.__wrapped__(url, *configs)


def _sharepoint_search(root: Path, copies: int):
    from xlwings import utils

    for i in range(copies):
        (root / f"サイト{i}").mkdir(parents=True)
        (root / f"サイト{i}" / "登録簿.xlsm").write_bytes(b"")
    return lambda: utils.search_local_sharepoint_path(
        "https://contoso.sharepoint.com/sites/kusei/Shared Documents/登録簿.xlsm", root, None, "SHAREPOINT_WIN")


# what each real error of the installed xlwings must become: (how xlwings raises it, the words
# of our message, the setting named for IT)
MAPPING = {
    "onedrive-file": (lambda tmp: _mapping("https://d.docs.live.net/8a1b/Documents/登録簿.xlsm", str(tmp)),
                      "同期フォルダに同じファイルが見つからない", "ONEDRIVE_CONSUMER_WIN"),
    "business-folder": (lambda tmp: _mapping("https://kuyakusho-my.sharepoint.com/personal/yamada_kuyakusho_lg_jp/"
                                             "Documents/登録簿.xlsm"),
                        "同期している OneDrive for Business のフォルダが見つからない", "ONEDRIVE_COMMERCIAL_WIN"),
    "business-file": (lambda tmp: _mapping("https://kuyakusho-my.sharepoint.com/personal/yamada_kuyakusho_lg_jp/"
                                           "Documents/登録簿.xlsm", None, str(tmp)),
                      "OneDrive for Business 上のファイルとして開かれていますが、このパソコンの同期フォルダに同じファイルが見つからない",
                      "ONEDRIVE_COMMERCIAL_WIN"),
    "sharepoint-file": (lambda tmp: _sharepoint_search(tmp, 0), "SharePoint 上のファイル", "SHAREPOINT_WIN"),
    "sharepoint-ambiguous": (lambda tmp: _sharepoint_search(tmp, 2), "同じ名前のブックが複数あり", "SHAREPOINT_WIN"),
    "unrecognized": (lambda tmp: _mapping("https://intra.kuyakusho.lg.jp/共有/登録簿.xlsm"),
                     "インターネット上の場所（https://intra.kuyakusho.lg.jp/共有/登録簿.xlsm）",
                     "ONEDRIVE_CONSUMER_WIN、ONEDRIVE_COMMERCIAL_WIN、SHAREPOINT_WIN"),
}


# xlwings' words as this version raises them (xlwings/utils.py, on Windows): a new wording is
# noticed by the test below, and checked by the one after it against our translation
WORDS = {
    "onedrive-folder": "Couldn't find the local OneDrive folder. Please configure the ONEDRIVE_CONSUMER_WIN "
                       "setting, see: xlwings.org/error.",
    "onedrive-file": "Couldn't find your local OneDrive file, see: xlwings.org/error",
    "business-folder": "Couldn't find the local OneDrive for Business folder. Please configure the "
                       "ONEDRIVE_COMMERCIAL_WIN setting, see: xlwings.org/error.",
    "business-file": "Couldn't find your local OneDrive for Business file, see: xlwings.org/error",
    "sharepoint-file": "Couldn't find your SharePoint file locally, see: xlwings.org/error",
    "sharepoint-ambiguous": "Your SharePoint configuration either requires your workbook name to be unique across "
                            "all synced SharePoint folders or you need to add the SHAREPOINT_WIN setting including "
                            "one or more folder levels, see: xlwings.org/error.",
    "unrecognized": "URL https://intra.kuyakusho.lg.jp/共有/登録簿.xlsm not recognized as valid OneDrive/SharePoint "
                    "link.",
}


@pytest.mark.parametrize("case", list(MAPPING))
def test_the_installed_xlwings_still_says_what_we_copied(case, xlwings_on_windows, tmp_path):
    assert str(xlwings_on_windows(MAPPING[case][0](tmp_path / "synced"))) == WORDS[case]


@pytest.mark.parametrize("case", list(WORDS))
def test_a_book_whose_full_name_raises_each_wording_gets_japanese(case):
    import xlwings

    words, setting = {**{k: v[1:] for k, v in MAPPING.items()},
                      "onedrive-folder": ("同期している OneDrive のフォルダが見つからない", "ONEDRIVE_CONSUMER_WIN")}[case]
    with pytest.raises(XlkitError) as caught:
        macros.workbook_folder(_Named(xlwings.XlwingsError(WORDS[case]), "外部結合 登録簿 (R6).xlsm"))
    message = japanese(said(caught.value))
    assert "「外部結合 登録簿 (R6).xlsm」" in message and words in message and setting in message


@pytest.mark.parametrize("case", list(MAPPING))
def test_each_mapping_error_of_the_installed_xlwings_is_said_in_japanese(case, xlwings_on_windows, tmp_path):
    """The errors come from xlwings' own code: a new wording that our words no longer recognise
    fails here, at the upgrade of xlwings, not in a ward office."""
    call, words, setting = MAPPING[case]
    error = xlwings_on_windows(call(tmp_path / "synced"))
    translated = onedrive.translate(error, "登録簿.xlsm")
    assert translated is not None, str(error)
    message = said(translated)
    japanese(message)
    assert "「登録簿.xlsm」" in message and words in message, message
    assert "エクスプローラーで同期フォルダ" in message and "共有フォルダ（ファイルサーバー）に保存し直し" in message
    assert f"xlwings.conf」シートか %USERPROFILE%\\.xlwings\\xlwings.conf の {setting} に" in message
    assert "Couldn't" not in message and "xlwings.org/error" not in message


def test_the_onedrive_folder_error_is_still_worded_as_we_read_it():
    """The one mapping error xlwings cannot raise off Windows (its fallback folder always
    exists there): read from its source, and translated as raised."""
    import inspect

    import xlwings
    from xlwings import utils

    source = inspect.getsource(utils.fullname_url_to_local_path)
    assert 'f"Couldn\'t find the local OneDrive folder. Please configure the "' in source
    assert 'f"{onedrive_consumer_config_name} setting, see: xlwings.org/error."' in source
    assert '"ONEDRIVE_CONSUMER_WIN"' in source
    message = japanese(onedrive.translate(xlwings.XlwingsError(WORDS["onedrive-folder"]), "登録簿.xlsm").message)
    assert "同期している OneDrive のフォルダが見つからない" in message and " ONEDRIVE_CONSUMER_WIN に" in message


def test_a_reworded_onedrive_error_still_says_what_to_do():
    import xlwings

    error = xlwings.XlwingsError("OneDrive sync client not running")
    message = onedrive.translate(error, "登録簿.xlsm").message
    assert "xlwings の説明：OneDrive sync client not running" in message and "エクスプローラーで" in message


@pytest.mark.parametrize("error", [
    RuntimeError("Couldn't find your local OneDrive file"),  # not xlwings' own
    "xlwings:Couldn't find any active App!",  # xlwings', about something else
], ids=["other-class", "other-subject"])
def test_other_errors_are_not_taken_for_the_cloud(error):
    import xlwings

    if isinstance(error, str):
        error = xlwings.XlwingsError(error.split(":", 1)[1])
    assert onedrive.translate(error, "登録簿.xlsm") is None





@pytest.mark.parametrize("macro", [macros.validate, macros.export_word, macros.survey],
                         ids=["入力チェック", "Word出力", "照会票作成"])
def test_a_button_on_an_unmapped_onedrive_book_says_what_to_do(macro, tmp_path, xlwings_on_windows):
    path = build(tmp_path / "登録簿 (R6).xlsx", linkages=[factories.linkage(1)], settings={"report_year": YEAR})
    error = xlwings_on_windows(MAPPING["business-folder"][0](tmp_path))
    book, real = cloud_book(path, error)
    macro(book)
    [alert] = alerts(real.json()["actions"])
    message = japanese(alert[0])
    assert "「登録簿 (R6).xlsx」は OneDrive for Business 上のファイル" in message
    assert "ONEDRIVE_COMMERCIAL_WIN" in message and "予期しない問題" not in message
    assert not (tmp_path / macros.EXPORT_DIR).exists()


@pytest.mark.parametrize("case", list(MAPPING))
def test_入力チェック_on_each_unmapped_cloud_book_says_what_to_do(case, tmp_path, xlwings_on_windows):
    path = build(tmp_path / "登録簿.xlsx", linkages=[factories.linkage(1)], settings={"report_year": YEAR})
    call, words, setting = MAPPING[case]
    book, real = cloud_book(path, xlwings_on_windows(call(tmp_path / "synced")))
    macros.validate(book)
    [alert] = alerts(real.json()["actions"])
    assert words in japanese(alert[0]) and setting in alert[0] and "予期しない問題" not in alert[0]
    assert not any(a["func"] == "setValues" for a in real.json()["actions"])  # 検証結果 untouched


def test_the_mapping_error_met_anywhere_in_a_button_is_translated(tmp_path, xlwings_on_windows):
    """check_current, 年度締め …: every book.fullname a macro reads, through `guarded`."""
    error = xlwings_on_windows(MAPPING["onedrive-file"][0](tmp_path))
    book = remote_book(office_js_payload(build(tmp_path / "登録簿.xlsx")))

    def work(b):
        raise error

    macros.guarded("年度締め", book, work)
    [alert] = alerts(book.json()["actions"])
    assert "同期フォルダに同じファイルが見つからない" in japanese(alert[0])


def test_an_unknown_xlwings_error_is_still_unexpected_with_its_text(tmp_path):
    import xlwings

    book = remote_book(office_js_payload(build(tmp_path / "登録簿.xlsx")))

    def work(b):
        raise xlwings.XlwingsError("Couldn't find any active App!")

    macros.guarded("集計", book, work)
    [alert] = alerts(book.json()["actions"])
    assert "予期しない問題" in alert[0] and "XlwingsError: Couldn't find any active App!" in alert[0]


def test_a_mapping_error_before_the_book_is_found_is_a_japanese_message_box(monkeypatch, xlwings_on_windows,
                                                                             tmp_path):
    import xlwings as xw

    error = xlwings_on_windows(MAPPING["sharepoint-file"][0](tmp_path))
    shown = []
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: (_ for _ in ()).throw(error)))
    monkeypatch.setattr(macros, "_last_resort", shown.append)
    macros.validate()
    [message] = shown
    assert "SharePoint 上のファイル" in japanese(message) and "Excel のブックに接続できませんでした" not in message


def test_workbook_file_raises_the_translation_for_the_callers_that_catch_xlkit_errors(xlwings_on_windows, tmp_path):
    error = xlwings_on_windows(MAPPING["unrecognized"][0](tmp_path))
    with pytest.raises(XlkitError) as caught:
        macros.workbook_file(_Named(error, "登録簿.xlsm"))
    assert "OneDrive や SharePoint の同期フォルダとして読み取れない" in said(caught.value)
    with pytest.raises(ZeroDivisionError):  # anything else is not ours to rename
        macros.workbook_file(_Named(ZeroDivisionError("x"), "登録簿.xlsm"))


def _conf_sheet(path: Path) -> dict[str, object]:
    """The register's xlwings.conf settings as xlwings' VBA reads them: A1 down to a blank key."""
    import openpyxl

    from xlkit.workbook import design

    ws = openpyxl.load_workbook(path, read_only=True)[design.CONF]
    settings = {}
    for key, value, *_ in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if key in (None, ""):
            break
        settings[str(key).upper()] = value
    return settings


def test_a_button_of_a_onedrive_register_reaches_xlkit_before_any_mapping(tmp_path, xlwings_on_windows, monkeypatch):
    """The command line xlwings' VBA builds (RunPython, ExecuteWindows) for a register opened from
    OneDrive whose synced folder cannot be found: xlwings must not map it before `guarded` runs
    (the register's xlwings.conf has ADD_WORKBOOK_TO_PYTHONPATH FALSE: design.XLWINGS_CONF_ROWS)."""
    from xlwings import utils

    conf = _conf_sheet(build(tmp_path / "登録簿.xlsm"))
    add_dir = str(conf.get("ADD_WORKBOOK_TO_PYTHONPATH", "true"))  # GetConfig's default
    url = "https://kuyakusho-my.sharepoint.com/personal/yamada_kuyakusho_lg_jp/Documents/登録簿.xlsm"
    args = ";".join([add_dir, url, url, "", "", "", str(conf.get("PYTHONPATH") or "")])
    monkeypatch.setattr(sys, "path", list(sys.path))
    with monkeypatch.context() as m:
        m.setattr(sys, "platform", "win32")
        utils.prepare_sys_path(args)  # raises xlwings' "Couldn't find the local OneDrive for Business folder"


# --------------------------------------------------------------------------- a path too long for Windows


def _refused_as_too_long(path: str) -> OSError:
    """What Windows raises for a path past MAX_PATH: "not found" (ERROR_PATH_NOT_FOUND)."""
    exc = FileNotFoundError(2, "指定されたパスが見つかりません。", path)
    exc.winerror = 3  # set by Python on Windows; the tests run anywhere
    return exc


def test_a_path_windows_refuses_as_too_long_is_said_so(tmp_path):
    from xlkit.errors import from_os_error, os_reason

    long_path = "\\\\fileserver\\共有\\" + "\\".join([_LONG[:60]] * 4) + "\\exports\\外部結合の状況.docx"
    message = said(from_os_error(_refused_as_too_long(long_path)))
    assert f"{len(long_path)} 文字" in message and "260 文字未満" in message and "浅いフォルダ" in message
    # a short path not found stays "not found"; so does a long one off Windows (no winerror)
    assert os_reason(_refused_as_too_long(r"C:\共有\登録簿.xlsm")) == "ファイルかフォルダが見つかりません"
    assert os_reason(FileNotFoundError(2, "No such file", long_path)) == "ファイルかフォルダが見つかりません"


def test_a_button_says_the_path_is_too_long(tmp_path):
    book = remote_book(office_js_payload(build(tmp_path / "登録簿.xlsx")))
    long_path = "C:\\" + "\\".join([_LONG[:60]] * 5) + "\\exports\\照会票"

    def work(b):
        raise _refused_as_too_long(long_path)

    macros.guarded("照会票作成", book, work)
    [alert] = alerts(book.json()["actions"])
    assert "場所が長すぎるか" in japanese(alert[0]) and "予期しない問題" not in alert[0]
