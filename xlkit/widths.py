"""How wide text is: one classifier of characters, one unit per medium.

A character is *wide* when Japanese type gives it a full em: East Asian Wide, Fullwidth and
Ambiguous (○, ①, Greek and Cyrillic in a Mincho font). Everything else is narrow, half-width
katakana included. The CLI's tables (terminal cells), the Word and PDF row estimates (em) and the
Excel row heights (column-width units) all measure with this one rule; only the units differ.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def is_wide(ch: str) -> bool:
    """Whether `ch` takes a full em in Japanese type (East Asian Wide, Fullwidth or Ambiguous)."""
    return unicodedata.east_asian_width(ch) in "WFA"


@cache
def _narrow_bmp() -> re.Pattern:
    """Every narrow character of the Basic Multilingual Plane as one character class.

    Counting with one regular expression keeps a 10,000-row report's estimate in C; the class
    is built once, from unicodedata, so it follows the interpreter's Unicode version.
    """
    ranges, start = [], None
    for cp in range(0x10000 + 1):
        narrow = cp < 0x10000 and not (0xD800 <= cp <= 0xDFFF) and not is_wide(chr(cp))
        if narrow and start is None:
            start = cp
        elif not narrow and start is not None:
            ranges.append(f"\\u{start:04x}-\\u{cp - 1:04x}" if cp - 1 > start else f"\\u{start:04x}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


def wide_count(text: str) -> int:
    """How many characters of `text` are wide."""
    narrow = len(text) - len(_narrow_bmp().sub("", text))
    narrow += sum(1 for ch in _ASTRAL.findall(text) if not is_wide(ch))  # 𠮷 is wide, 𝐀 is not
    return len(text) - narrow


@dataclass(frozen=True)
class Medium:
    """One medium's units: the width of a wide and of a narrow character."""

    wide: float  # the width of one wide character, in the medium's unit
    narrow: float

    def units(self, ch: str) -> float:
        return self.wide if is_wide(ch) else self.narrow

    def measure(self, text: str) -> float:
        wide = wide_count(text)
        return wide * self.wide + (len(text) - wide) * self.narrow


TERMINAL = Medium(2, 1)  # terminal cells: the CLI's aligned tables
# Word and PDF, in em of the body type; a Latin letter of a Mincho face is about 0.6 em
EM = Medium(1.0, 0.6)
# Excel column-width units: Excel draws a column of width w as 7w + 5 pixels when the default
# font's digit is 7 px wide (ＭＳ 明朝 10 pt); a full-width character is one em, 13.3 px
EXCEL = Medium(1.9, 1.0)
