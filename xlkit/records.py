"""Plain data read from a register: one Record per non-blank row, typed by the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    sheet: str
    row: int  # the Excel row number (1-based; the header is row 1)
    values: dict[str, Any]  # schema key -> typed value; a blank cell has no key
    raw: dict[str, Any]  # schema key -> the value exactly as read from the cell
    letters: dict[str, str] = field(repr=False, default_factory=dict)  # schema key -> column letter

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def cell(self, key: str) -> str:
        return f"{self.letters[key]}{self.row}"


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
