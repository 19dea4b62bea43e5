"""Cell addresses and runs of rows: A1 letters, splitting 「C12」, and 5, 6, 7 said as 5〜7.

One helper of each kind, for messages (rows said briefly), 検証結果 (sorted by row and column)
and the 入力チェック button (colouring C5:C7 in one action instead of three).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_CELL = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel letters -> 0-based column index (A -> 0, AA -> 26); the inverse of column_letter."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def split_cell(cell: str | None) -> tuple[str, int] | None:
    """「C12」 -> ("C", 12); None for anything that is not one A1 cell ("", 「B」, 「A1:B2」)."""
    m = _CELL.match(cell or "")
    return (m[1], int(m[2])) if m else None


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive numbers as (first, last) runs: [22, 23, 24, 27] -> [(22, 24), (27, 27)]."""
    found: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if found and n == found[-1][1] + 1:
            found[-1] = (found[-1][0], n)
        else:
            found.append((n, n))
    return found


def ranges(cells: Iterable[str]) -> list[str]:
    """A1 cells merged into vertical ranges per column: C5, C6, C7, E9 -> C5:C7, E9."""
    by_column: dict[str, list[int]] = defaultdict(list)
    for cell in cells:
        parts = split_cell(cell)
        if parts:
            by_column[parts[0]].append(parts[1])
    out = []
    for column in sorted(by_column, key=lambda c: (len(c), c)):
        for first, last in runs(by_column[column]):
            out.append(f"{column}{first}" if first == last else f"{column}{first}:{column}{last}")
    return out
