"""The exceptions whose Japanese message reaches the user as it is.

Everything a user can cause — a wrong file, a bad value, a request the register cannot answer,
an install that lacks a part — is one of these; anything else is a defect of xlkit, which the
doors still catch and report as 予期しない問題 (exit 3). Each class carries the command line's
exit code, so a door never decides it:

    0  done            1  the register has errors (ErrorsRefusal, and `xlkit validate`)
    2  bad input or an impossible request (XlkitError, Refusal)
    3  an unexpected problem (a defect)      4  the installation lacks a part (SetupError)
"""

from __future__ import annotations


class XlkitError(Exception):
    """Bad input or an impossible request; the message is Japanese and names what was wrong."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def hint(self, door: str) -> str:
        """What only the buttons ("button") or the command line ("cli") add; see xlkit.messages."""
        return ""


class SetupError(XlkitError):
    """xlkit's installation lacks a part it needs (xlwings' VBA template, a package)."""

    exit_code = 4


class Refusal(XlkitError):
    """A use case that declines, worded once in xlkit/data/messages.json under `key`.

    Both doors show `message`; each may add its own `hint(door)` (--year for the command line,
    the 設定 sheet for the buttons).
    """

    def __init__(self, key: str, **values):
        from . import messages

        super().__init__(messages.text(key, **values))
        self.key = key
        self.values = values

    def hint(self, door: str) -> str:
        from . import messages

        return messages.hint(door, self.key, **self.values)


# what the operating system says, as staff can act on it (its own text is English on Linux)
_OS_REASONS = {
    "ENOSPC": "ディスクの空きが足りません",
    "EDQUOT": "使える容量（クォータ）を超えています",
    "ENAMETOOLONG": "ファイル名かフォルダ名が長すぎます。短い名前にしてください",
    "EACCES": "アクセスする権限がありません",
    "EPERM": "この操作は許可されていません",
    "EROFS": "読み取り専用の場所です",
    "ENOENT": "ファイルかフォルダが見つかりません",
    "ENOTDIR": "途中の名前がフォルダではありません",
    "EISDIR": "フォルダです",
    "EEXIST": "同じ名前のものが既にあります",
    "ENOTEMPTY": "同じ名前のフォルダが既にあり、中にファイルがあります",
    "EBUSY": "ほかのプログラムが使っています",
    "ETXTBSY": "ほかのプログラムが使っています",
    "EMFILE": "開いているファイルが多すぎます",
    "ENFILE": "開いているファイルが多すぎます",
    "EIO": "ディスクの読み書きに失敗しました",
    "EINVAL": "名前に使えない文字が含まれているか、指定が正しくありません",
    "ELOOP": "ショートカット（リンク）が循環しています",
    "EXDEV": "別のドライブへは移動できません",
    "ETIMEDOUT": "ネットワークの応答がありません",
    "EHOSTUNREACH": "ネットワークの相手に届きません",
    "ENETUNREACH": "ネットワークにつながっていません",
}


# Windows refuses a path of MAX_PATH (260) characters or more unless long paths are enabled on the
# PC, and says so as "path not found" (ERROR_PATH_NOT_FOUND: ENOENT to Python): deep share folders
# with long Japanese names reach it, and "not found" sends staff looking for a folder they can see
# is there. The same code is what a folder really missing gives (a share gone, a folder renamed),
# so a long path not found is told both ways. ERROR_FILENAME_EXCED_RANGE (206) is Windows saying
# the name is too long whatever its length here (a name past 255, a relative path): never "not found".
WINDOWS_PATH_LIMIT = 260
_PATH_NOT_FOUND, _NAME_TOO_LONG = 3, 206


def _longest(exc: OSError) -> int:
    return max((len(str(f)) for f in (exc.filename, exc.filename2) if f), default=0)


def _too_long(exc: OSError) -> str:
    """What to say of a path Windows may have refused as too long; "" when that is not what happened."""
    winerror, longest = getattr(exc, "winerror", None), _longest(exc)
    shorten = "フォルダ名やファイル名を短くするか、浅いフォルダに移してください"
    if winerror == _NAME_TOO_LONG:
        counted = f"（フォルダ名とファイル名を合わせて {longest} 文字）" if longest else ""
        return f"場所かファイル名が Windows で扱える長さを超えています{counted}。{shorten}"
    if winerror == _PATH_NOT_FOUND and longest >= WINDOWS_PATH_LIMIT:
        return (f"場所が長すぎるか、見つかりません。フォルダ名とファイル名を合わせて {longest} 文字あり、"
                f"Windows では {WINDOWS_PATH_LIMIT} 文字未満でないと扱えないことがあります。"
                "まずエクスプローラーでそのフォルダがあることを確かめ（共有フォルダならネットワークにつながっていることも）、"
                f"あるときは{shorten}")
    return ""


def os_reason(exc: OSError) -> str:
    """An OSError in Japanese: never the system's English text, never Python's exception name."""
    import errno

    too_long = _too_long(exc)
    if too_long:
        return too_long
    name = errno.errorcode.get(exc.errno or 0, "")
    if name in _OS_REASONS:
        return _OS_REASONS[name]
    if exc.strerror and not any("a" <= c.lower() <= "z" for c in exc.strerror):
        return exc.strerror  # a Japanese Windows says it in Japanese already
    return f"システムのエラー番号 {exc.errno}" if exc.errno else "原因はわかりません"


def from_os_error(exc: OSError) -> XlkitError:
    """The doors' last word on an OSError no use case expected: a file the system would not read
    or write is the user's environment (a name too long, a share gone), never a defect to hide
    behind 予期しない問題."""
    where = f"「{exc.filename}」を" if exc.filename else "ファイルを"
    return XlkitError(f"{where}読み書きできませんでした（{os_reason(exc)}）。")
