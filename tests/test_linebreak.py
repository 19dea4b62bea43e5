"""Japanese line breaking (xlkit.linebreak): JIS X 4051's basic kinsoku rules for body text, and
headers broken at word boundaries as a Japanese reader expects."""

from __future__ import annotations

import random
import re

import pytest

from xlkit import linebreak, widths

PT_PER_EM_MM = 9 * 25.4 / 72  # one em of 9 pt type, in mm


def header_lines(text: str, chars: float) -> list[str]:
    """`text` as a 9 pt header in a column `chars` full-width characters wide."""
    return linebreak.header(text, chars * PT_PER_EM_MM, 9).split("\n")


# --- kinsoku -----------------------------------------------------------------------------

@pytest.mark.parametrize("ch", sorted("、。，．）」』】〕｝〉》］・：；！？ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
                                      ",.)]}:;!?｡｣､･ｰｯｬ"))
def test_no_line_starts_with_a_closing_mark_or_small_kana(ch):
    # the forbidden character falls exactly where a greedy break would put it
    for width in range(3, 8):
        text = "あ" * width + ch + "いうえお"
        lines = linebreak.lines(text, width)
        assert "".join(lines) == text
        assert all(not line.startswith(ch) for line in lines), (width, lines)


@pytest.mark.parametrize("ch", sorted("（「『【〔｛〈《［([{｢"))
def test_no_line_ends_with_an_opening_mark(ch):
    for width in range(3, 8):
        text = "あ" * (width - 1) + ch + "いうえおかき"
        lines = linebreak.lines(text, width)
        assert "".join(lines) == text
        assert all(not line.endswith(ch) for line in lines), (width, lines)


def test_a_closing_mark_after_an_opening_one_stays_with_its_text():
    lines = linebreak.lines("個人情報（氏名、住所）を提供する。", 6)
    assert lines == ["個人情報（氏", "名、住所）を", "提供する。"]  # 「、」「）」 stay on their line


@pytest.mark.parametrize("word", ["12345", "2020", "3.14", "1,000,000", "LGWAN", "Pay"])
def test_numbers_and_ascii_words_are_not_split(word):
    for width in range(6, 10):
        lines = linebreak.lines("あいう" + word + "えおかきく", width)
        assert any(word in line for line in lines), (width, lines)


def test_a_hyphened_word_breaks_after_its_hyphen_only():
    lines = linebreak.lines("LGWAN-ASPサービス提供者", 5)
    assert lines[0] == "LGWAN-"
    assert not any(line.startswith("-") for line in lines)


def test_a_word_longer_than_the_line_is_cut_rather_than_overflowing():
    lines = linebreak.lines("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 5)
    assert "".join(lines) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert all(linebreak.fits(line, 5) for line in lines)


def test_line_breaks_in_the_text_are_kept_and_spaces_at_a_break_dropped():
    assert linebreak.lines("一行目\n二行目", 10) == ["一行目", "二行目"]
    assert linebreak.lines("one two three", 3) == ["one", "two", "three"]
    assert linebreak.lines("", 5) == [""]


def test_random_text_keeps_every_character_and_every_rule():
    rng = random.Random(13)
    alphabet = list("あいうえお漢字情報個人（）「」、。ー々ッャ12AB ")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))).strip()
        if re.search(f"[{re.escape(''.join(linebreak.NO_START | linebreak.NO_END))}]{{3}}", text):
            continue  # a run of marks longer than a line has nowhere allowed to break
        width = rng.choice([5.5, 6, 8, 12])  # wider than any unbreakable run the filter lets through
        lines = linebreak.lines(text, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for n, line in enumerate(lines):
            # a line is only ever wider than the column when one unbreakable piece is
            assert linebreak.fits(line, width) or len(line) <= 2, (text, width, lines)
            if n:
                assert line[:1] not in linebreak.NO_START, (text, width, lines)
            if n < len(lines) - 1:
                assert line[-1:] not in linebreak.NO_END, (text, width, lines)


def test_widths_count_full_width_as_one_em():
    assert linebreak.fits("結合を行った", 6)
    assert not linebreak.fits("結合を行った課", 6)
    assert widths.EM.measure("結合を行った") == 6


# --- headers at word boundaries -----------------------------------------------------------

@pytest.mark.parametrize("chars", [3, 4, 5, 5.5])
def test_the_division_header_breaks_between_words(chars):
    lines = header_lines("結合を行った課", chars)
    assert "".join(lines) == "結合を行った課"
    assert lines[0] == "結合を"  # never 結合を行っ／た課
    assert "行っ" not in [ln[-2:] for ln in lines]


@pytest.mark.parametrize("chars", [3, 4, 4.5, 5, 6])
def test_the_my_number_header_keeps_its_words(chars):
    lines = header_lines("特定個人情報の有無", chars)
    assert "".join(lines) == "特定個人情報の有無"
    # never 特定個／人情報／の有無: a line ends after 特定, 個人, 情報 or の
    for line in lines[:-1]:
        assert line.endswith(("特定", "個人", "情報", "の")), lines
    assert lines[-1].endswith("有無")


@pytest.mark.parametrize("chars", [3, 4, 5, 8])
def test_the_year_is_never_split_inside_its_era(chars):
    lines = header_lines("令和2年度", chars)
    assert "".join(lines) == "令和2年度"
    assert not lines[0].startswith("令") or lines[0].startswith("令和")
    assert lines[0] != "令"


def test_a_header_that_fits_is_left_whole():
    assert linebreak.header("業務名", 20, 9) == "業務名"
    assert linebreak.header("条例根拠", 25, 9) == "条例根拠"


def test_the_rule_without_budoux_finds_the_same_words():
    """The fallback when BudouX is not installed: a phrase ends where hiragana ends."""
    assert linebreak.script_phrases("結合を行った課") == ["結合を", "行った", "課"]
    assert linebreak.script_phrases("特定個人情報の有無") == ["特定個人情報の", "有無"]
    assert linebreak.script_phrases("令和2年度") == ["令和2年度"]


def test_a_long_label_breaks_into_whole_phrases():
    text = "終了した外部電子計算機との結合数 (令和元年度まで外部結合を行い、令和2年度中は外部結合を行わなかったもの)"
    lines = header_lines(text, 16)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert "外部電子計算機との結合数" in lines[0]
    assert all(not ln.startswith(("、", ")")) and not ln.endswith("(") for ln in lines)
