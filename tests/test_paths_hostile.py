"""A second look at paths staff really have and xlwings' OneDrive/SharePoint errors: each test
here showed a defect of the first version (or covers a path form Excel really gives)."""

from __future__ import annotations

import os
import sys
import types
from pathlib import PurePosixPath, PureWindowsPath

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import pytest

from xlkit import macros, onedrive
from xlkit.errors import XlkitError, from_os_error, os_reason
from xlkit.workbook.builder import build
from support import factories, japanese, said
from support.forms import YEAR
from support.payload import alerts, cloud_book, office_js_payload, remote_book

SHAREPOINT_URL = "https://kuyakusho.sharepoint.com/sites/kusei/Shared Documents/外部結合 登録簿.xlsm"


@pytest.fixture
def windows_mapping(tmp_path, monkeypatch):
    """xlwings' own mapping as it runs on a Windows PC with no user settings, no synced folder and
    no OneDrive in the registry; returns what it raises for an address."""
    import xlwings
    from xlwings import utils

    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(tmp_path / "none" / "xlwings.conf"))
    for name in ("OneDrive", "OneDriveConsumer", "OneDriveCommercial"):
        monkeypatch.delenv(name, raising=False)
    registry = types.ModuleType("winreg")
    registry.HKEY_CURRENT_USER, registry.KEY_READ = 1, 1
    registry.refusal = FileNotFoundError(2, "指定されたファイルが見つかりません。")  # no OneDrive key

    def open_key(*args):
        raise registry.refusal

    registry.OpenKey = open_key
    monkeypatch.setitem(sys.modules, "winreg", registry)

    def raised(url: str, refusal: OSError | None = None) -> BaseException:
        if refusal is not None:
            registry.refusal = refusal
        with monkeypatch.context() as m:
            m.setattr(sys, "platform", "win32")
            with pytest.raises(BaseException) as caught:
                utils.fullname_url_to_local_path.__wrapped__(SHAREPOINT_URL if url is None else url)
        return caught.value

    return raised


class _Named:
    def __init__(self, fullname, name: str):
        self._fullname, self.name = fullname, name

    @property
    def fullname(self):
        if isinstance(self._fullname, BaseException):
            raise self._fullname
        return self._fullname





# --------------------------------------------------------------------------- what xlwings' mapping lets slip


def test_a_sharepoint_book_on_a_pc_with_nothing_synced_is_said_in_japanese(windows_mapping):
    """xlwings' fallback search reads a variable it never set when no SharePoint setting, no
    OneDriveCommercial and no synced library exist: an UnboundLocalError, not its XlwingsError.
    It reached staff as 予期しない問題 with 「cannot access local variable 'root'」."""
    error = windows_mapping(SHAREPOINT_URL)
    assert isinstance(error, UnboundLocalError)  # the installed xlwings still slips so
    with pytest.raises(XlkitError) as caught:
        macros.workbook_folder(_Named(error, "外部結合 登録簿.xlsm"))
    message = japanese(said(caught.value))
    assert "「外部結合 登録簿.xlsm」は SharePoint 上のファイル" in message
    assert "同期している SharePoint のフォルダが見つからない" in message and "SHAREPOINT_WIN" in message
    assert "root" not in message and "Unbound" not in message


def test_a_button_on_such_a_sharepoint_book_says_what_to_do(windows_mapping, tmp_path):
    path = build(tmp_path / "登録簿.xlsx", linkages=[factories.linkage(1)], settings={"report_year": YEAR})
    book, real = cloud_book(path, windows_mapping(SHAREPOINT_URL))
    macros.validate(book)
    [alert] = alerts(real.json()["actions"])
    assert "SharePoint 上のファイル" in japanese(alert[0]) and "予期しない問題" not in alert[0]
    assert "UnboundLocalError" not in alert[0]


def test_the_registry_refusing_xlwings_is_about_the_books_place(windows_mapping):
    """An OSError from the registry read inside xlwings' mapping was said as 「ファイルを読み書き
    できませんでした」, naming no file and no cause staff could act on."""
    error = windows_mapping(SHAREPOINT_URL, PermissionError(13, "アクセスが拒否されました。"))
    assert isinstance(error, PermissionError)
    with pytest.raises(XlkitError) as caught:
        macros.workbook_file(_Named(error, "登録簿.xlsm"))
    message = japanese(said(caught.value))
    assert "「登録簿.xlsm」は SharePoint 上のファイル" in message and "アクセスする権限がありません" in message
    assert "エクスプローラーで同期フォルダ" in message


def test_an_xlwings_error_about_something_else_is_not_called_a_onedrive_problem(tmp_path):
    """A book named after the OneDrive folder it sits in: xlwings' words about its caller address
    name 「OneDrive」 and were taken for a mapping error (「… は OneDrive 上のファイル」)."""
    import xlwings
    from xlwings.pro import caller

    with pytest.raises(xlwings.XlwingsError) as caught:
        caller.parse_caller_address("[OneDrive 登録簿.xlsm]外部結合!")
    assert "OneDrive" in str(caught.value)
    assert onedrive.translate(caught.value, "OneDrive 登録簿.xlsm") is None
    book = remote_book(office_js_payload(build(tmp_path / "登録簿.xlsx")))

    def work(b):
        raise caught.value

    macros.guarded("集計", book, work)
    [alert] = alerts(book.json()["actions"])
    assert "予期しない問題" in alert[0] and "OneDrive 上のファイル" not in alert[0]


def test_a_book_opened_from_a_web_address_is_refused_naming_it():
    """button.export_cloud named no file and gave no place."""
    url = "https://intra.kuyakusho.lg.jp/共有/外部結合 登録簿.xlsm"
    with pytest.raises(XlkitError) as caught:
        macros.workbook_folder(_Named(url, "外部結合 登録簿.xlsm"))
    message = japanese(said(caught.value))
    assert "「外部結合 登録簿.xlsm」" in message and url in message and "開き直して" in message


# --------------------------------------------------------------------------- a name too long for Windows


def _windows_error(winerror: int, path: str) -> OSError:
    exc = FileNotFoundError(2, "指定されたパスが見つかりません。", path)
    exc.winerror = winerror  # set by Python on Windows; the tests run anywhere
    return exc


def test_windows_saying_the_name_is_too_long_is_never_said_as_not_found():
    """ERROR_FILENAME_EXCED_RANGE (206) reaches Python as ENOENT: with a relative or a short name
    it was said 「ファイルかフォルダが見つかりません」, while Windows had said 「長すぎます」."""
    reason = os_reason(_windows_error(206, "exports\\外部結合の状況.docx"))
    assert "長さを超えて" in reason and "見つかりません" not in reason and "短く" in reason


def test_a_long_path_not_found_is_told_both_ways():
    """ERROR_PATH_NOT_FOUND is also a share gone or a folder renamed: the message told staff only
    to shorten a folder that may not be there."""
    path = "\\\\fileserver\\共有\\" + "\\".join(["区政情報課個人情報保護審議会事務局共有フォルダ令和六年度"] * 9) + "\\登録簿.xlsm"
    message = said(from_os_error(_windows_error(3, path)))
    assert f"{len(path)} 文字" in message and "フォルダがあることを確かめ" in message and "浅いフォルダ" in message


# --------------------------------------------------------------------------- path forms Excel gives


@pytest.mark.parametrize("fullname, folder", [
    ("\\\\?\\C:\\共有\\登録簿.xlsm", "\\\\?\\C:\\共有"),
    ("\\\\?\\UNC\\fileserver\\共有\\区政情報課\\登録簿.xlsm", "\\\\?\\UNC\\fileserver\\共有\\区政情報課"),
    ("//fileserver/共有/区政情報課/登録簿.xlsm", "\\\\fileserver\\共有\\区政情報課"),
    ("C:\\共有\\令和6年度 \\登録簿.xlsm", "C:\\共有\\令和6年度 "),  # a folder ending in a space is kept
    ("C:\\共有\\令和6年度.\\登録簿.xlsm", "C:\\共有\\令和6年度."),
], ids=["long-drive", "long-unc", "forward-slashes", "trailing-space", "trailing-dot"])
def test_the_folder_of_every_windows_path_form(fullname, folder):
    path = macros.file_of(fullname, PureWindowsPath)
    assert str(path.parent) == folder
    assert str(path.parent / macros.EXPORT_DIR) == folder + "\\exports"


def test_a_drive_relative_name_is_no_place_on_windows():
    """「C:登録簿.xlsm」 is relative to the drive's current folder, which no one knows."""
    assert macros.file_of("C:登録簿.xlsm", PureWindowsPath) is None
    assert macros.file_of("登録簿.xlsm", PurePosixPath, PurePosixPath("/srv/共有")) == PurePosixPath("/srv/共有/登録簿.xlsm")
