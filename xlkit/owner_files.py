"""Who has a register open in Excel or LibreOffice: their owner files beside it.

Excel marks an open workbook with its owner file 「~$<name>」, LibreOffice with
「.~lock.<name>#」. Writing a register that either has open would lose the colleague's work or
ours, so check_not_open refuses, naming the person the file records.
"""

from __future__ import annotations

import os
from pathlib import Path

from xlkit.errors import XlkitError
from xlkit.files import head


class OpenInApp(XlkitError):
    """Excel or LibreOffice has the register open (`user`, when its owner file names one)."""

    def __init__(self, message: str, app: str, user: str | None):
        super().__init__(message)
        self.app = app
        self.user = user


def excel_lock_file(register: Path) -> Path:
    register = Path(register)
    return register.with_name("~$" + register.name)


def _libreoffice_lock_file(register: Path) -> Path:
    register = Path(register)
    return register.with_name(f".~lock.{register.name}#")


def excel_owner(register: Path) -> str | None:
    """The user name in Excel's owner file 「~$<name>」; None when it is absent or unreadable.

    The layout, as LibreOffice reverse-engineered it (svl/source/misc/msodocumentlockfile.cxx,
    MS Office 2016), is 165 bytes for Excel: byte 0 is the name's length, then the name in the
    Windows ANSI code page (cp932 on Japanese Windows), spaces up to byte 55, there a 2-byte
    length and the name again in UTF-16LE, then padding. Word's 162-byte file pads with zeros
    and has the second length at byte 54. The UTF-16 copy is preferred: it holds any name.
    """
    data = _head(excel_lock_file(register), 1024)
    if not data:
        return None
    return _unicode_name(data) or _ansi_name(data)


def _head(path: Path, size: int) -> bytes | None:
    try:
        return head(path, size)
    except FileNotFoundError:
        return None


def _unicode_name(data: bytes) -> str | None:
    # Excel's second length is at byte 55, Word's at 54. A two-byte number read one byte off is
    # 0 or at least 256, never 1..52, so both places are simply tried.
    for at in (55, 54):
        n = int.from_bytes(data[at:at + 2], "little")
        text = data[at + 2:at + 2 + 2 * n]
        if not 1 <= n <= 52 or len(text) != 2 * n:
            continue
        try:
            name = _clean(text.decode("utf-16-le"))
        except UnicodeDecodeError:
            continue
        if name:
            return name
    return None


def _ansi_name(data: bytes) -> str | None:
    n = data[0]
    if not 1 <= n <= 52 or len(data) < 1 + n:
        return None
    field = data[1:1 + n]
    if data[1 + n:2 + n] not in (b" ", b"\0", b""):
        # the length counted characters, not bytes (a double-byte name): take up to the padding
        field = data[1:55].rstrip(b" \0")
    for codec in ("cp932", "latin-1"):
        try:
            return _clean(field.decode(codec))
        except UnicodeDecodeError:
            continue
    return None


def _libreoffice_owner(lock: Path) -> str | None:
    """The first entry of 「.~lock.<name>#」: `name,system user,host,time,profile;` in UTF-8,
    with , ; and \\ escaped by a backslash (LibreOffice svl/source/misc/lockfilecommon.cxx).
    The name from LibreOffice's options, else the system user."""
    data = _head(lock, 4096)
    try:
        text = (data or b"").decode("utf-8")
    except UnicodeDecodeError:
        return None
    fields, field, escaped = [], [], False
    for ch in text:
        if escaped:
            field.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",;":
            fields.append("".join(field))
            field = []
            if ch == ";" or len(fields) == 2:
                break
        else:
            field.append(ch)
    for name in fields:
        if name := _clean(name):
            return name
    return None


def _clean(name: str) -> str | None:
    name = name.strip(" \0")
    return name if name and name.isprintable() else None


def check_not_open(register: Path) -> None:
    """Refuse, naming the person when the owner file does, a register open in Excel or LibreOffice."""
    register = Path(register)
    # LibreOffice writes an Excel owner file too for .xlsx, so its own mark is asked first
    for app, mark in (("LibreOffice", _libreoffice_lock_file(register)), ("Excel", excel_lock_file(register))):
        if not os.path.lexists(mark):
            continue
        user = _libreoffice_owner(mark) if app == "LibreOffice" else excel_owner(register)
        who = f"は {user} さんが {app} で開いています" if user else f"は {app} で開かれています"
        # an owner file outlives a crashed Excel; it is hidden in Explorer, so say where it is
        raise OpenInApp(f"「{register.name}」{who}（{mark.name} があります）。{app} で閉じてから、"
                        f"もう一度実行してください。だれも開いていないのにこの表示が出る場合は、{app} が異常終了して"
                        f"残った {mark.name}（「{register.parent}」にある隠しファイル）を削除してください。", app, user)
