"""The exceptions whose Japanese message reaches the user as it is."""

from __future__ import annotations


class XlkitError(Exception):
    """Bad input or an impossible request; the message is Japanese and names what was wrong."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def hint(self, door: str) -> str:
        """What only the buttons ("button") or the command line ("cli") add; see xlkit.messages."""
        return ""


class Refusal(XlkitError):
    """A use case that declines, worded once in xlkit/data/messages.json under `key`.

    Both doors show `message`; each may add its own `hint(door)` (--year for the command line,
    the 設定 sheet for the buttons).
    """

    def __init__(self, key: str, *, exit_code: int = 2, **values):
        from . import messages

        super().__init__(messages.text(key, **values), exit_code)
        self.key = key
        self.values = values

    def hint(self, door: str) -> str:
        from . import messages

        return messages.hint(door, self.key, **self.values)
