"""Who has a register open (xlkit.owner_files): Excel's ~$ file and LibreOffice's lock file."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import said
from xlkit import owner_files

def _register(tmp_path: Path) -> Path:
    register = tmp_path / "登録簿.xlsm"
    register.write_bytes(b"PK register")
    return register


def _excel_owner_file(name: str, *, first: int | None = None, unicode_length: int | None = None) -> bytes:
    """165 bytes as Excel writes them (LibreOffice svl/source/misc/msodocumentlockfile.cxx):
    length, the name in the ANSI code page, spaces to byte 55, length, the name in UTF-16LE."""
    ansi = name.encode("cp932")
    data = (bytes([len(ansi) if first is None else first]) + ansi).ljust(55, b" ")
    data += (len(name) if unicode_length is None else unicode_length).to_bytes(2, "little")
    data += name.encode("utf-16-le")
    return (data + b" \x00" * 80)[:165]


def _word_owner_file(name: str) -> bytes:
    """Word's 162 bytes: zeros after the ANSI name, the second length at byte 54."""
    ansi = name.encode("cp932")
    data = (bytes([len(ansi)]) + ansi).ljust(54, b"\0") + len(name).to_bytes(2, "little") + name.encode("utf-16-le")
    return data.ljust(162, b"\0")


@pytest.mark.parametrize("name", ["yamada", "山田 太郎", "a" * 32, "Ａ" * 26])
def test_the_excel_owner_file_names_its_user(tmp_path, name):
    register = _register(tmp_path)
    owner_files.excel_lock_file(register).write_bytes(_excel_owner_file(name))
    assert owner_files.excel_owner(register) == name
    owner_files.excel_lock_file(register).write_bytes(_word_owner_file(name))  # the same layout, Word's way
    assert owner_files.excel_owner(register) == name


@pytest.mark.parametrize("first", ["bytes", "characters"])
def test_without_a_readable_unicode_copy_the_ansi_name_is_read(tmp_path, first):
    register = _register(tmp_path)
    name = "山田太郎"
    data = _excel_owner_file(name, first=len(name) if first == "characters" else None, unicode_length=0xFFFF)
    owner_files.excel_lock_file(register).write_bytes(data)
    assert owner_files.excel_owner(register) == name


def _left_behind(app: str, mark: str, folder) -> str:
    """What the refusal adds for an owner file a crashed application left behind."""
    return (f"だれも開いていないのにこの表示が出る場合は、{app} が異常終了して残った {mark}"
            f"（「{folder}」にある隠しファイル）を削除してください。")


@pytest.mark.parametrize("content", [b"", b"\x05abc", b"\xff" * 165, bytes(range(256)), b"\x00" * 165],
                         ids=["empty", "short", "all ff", "every byte", "zeros"])
def test_a_junk_excel_owner_file_names_nobody_but_still_refuses(tmp_path, content):
    register = _register(tmp_path)
    owner_files.excel_lock_file(register).write_bytes(content)
    assert owner_files.excel_owner(register) is None
    with pytest.raises(owner_files.OpenInApp) as refused:
        owner_files.check_not_open(register)
    assert said(refused.value) == ("「登録簿.xlsm」は Excel で開かれています（~$登録簿.xlsm があります）。"
                                    "Excel で閉じてから、もう一度実行してください。" + _left_behind("Excel", "~$登録簿.xlsm", tmp_path))


def test_a_register_open_in_excel_is_refused_naming_the_person(tmp_path):
    register = _register(tmp_path)
    assert owner_files.excel_owner(register) is None
    owner_files.check_not_open(register)  # nobody has it open
    owner_files.excel_lock_file(register).write_bytes(_excel_owner_file("yamada"))
    with pytest.raises(owner_files.OpenInApp) as refused:
        owner_files.check_not_open(register)
    assert said(refused.value) == ("「登録簿.xlsm」は yamada さんが Excel で開いています（~$登録簿.xlsm があります）。"
                                    "Excel で閉じてから、もう一度実行してください。" + _left_behind("Excel", "~$登録簿.xlsm", tmp_path))
    assert refused.value.user == "yamada" and refused.value.app == "Excel"


@pytest.mark.parametrize("content, user", [
    ("山田 太郎,yamada,PC-01,30.11.2026 10:15,file:///C:/Users/yamada/AppData/Roaming/LibreOffice/4;", "山田 太郎"),
    (",yamada,PC-01,30.11.2026 10:15,file:///home/yamada/.config/libreoffice/4;", "yamada"),
    ("Yamada\\, Taro,yamada,PC-01,30.11.2026 10:15,file:///x;", "Yamada, Taro"),
    ("\udcff", None),
], ids=["name", "system user", "escaped comma", "junk"])
def test_a_register_open_in_libreoffice_is_refused(tmp_path, content, user):
    register = _register(tmp_path)
    mark = tmp_path / ".~lock.登録簿.xlsm#"
    mark.write_bytes(content.encode("utf-8", "surrogateescape"))
    owner_files.excel_lock_file(register).write_bytes(_excel_owner_file("other"))  # LibreOffice writes both for .xlsx
    with pytest.raises(owner_files.OpenInApp) as refused:
        owner_files.check_not_open(register)
    who = f"は {user} さんが LibreOffice で開いています" if user else "は LibreOffice で開かれています"
    assert said(refused.value) == (f"「登録簿.xlsm」{who}（.~lock.登録簿.xlsm# があります）。"
                                    "LibreOffice で閉じてから、もう一度実行してください。"
                                    + _left_behind("LibreOffice", ".~lock.登録簿.xlsm#", tmp_path))
