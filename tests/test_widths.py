"""One rule for how wide a character is, measured per medium (xlkit.widths)."""

from __future__ import annotations

import random
import unicodedata

import pytest

from xlkit import widths


@pytest.mark.parametrize("ch, wide", [
    ("漢", True), ("あ", True), ("Ａ", True), ("○", True), ("①", True), ("、", True), ("𠮷", True),
    ("A", False), ("1", False), (" ", False), ("ｱ", False), ("ﾞ", False), ("𝐀", False),
])
def test_one_classifier(ch, wide):
    """Half-width katakana is narrow for every medium (it once counted as wide in the Word estimate)."""
    assert widths.is_wide(ch) is wide


def test_the_fast_count_agrees_with_the_rule_character_by_character():
    rng = random.Random(8)
    alphabet = [chr(c) for c in (*range(0x20, 0x2000, 7), *range(0x3000, 0xFFFF, 97),
                                 *range(0x10000, 0x30000, 331))
                if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) != "Cn"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        assert widths.wide_count(text) == sum(widths.is_wide(ch) for ch in text), text


@pytest.mark.parametrize("medium, expected", [
    (widths.TERMINAL, 2 * 4 + 3), (widths.EM, 4 + 0.6 * 3), (widths.EXCEL, 1.9 * 4 + 3),
])
def test_media_differ_only_in_units(medium, expected):
    text = "外部結合abｱ"  # 4 wide, 3 narrow
    assert medium.measure(text) == pytest.approx(expected)
    assert medium.measure(text) == pytest.approx(sum(medium.units(ch) for ch in text))
