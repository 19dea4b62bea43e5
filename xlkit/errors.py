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
