"""Cell preparation: NFKC with its traps, blanks, marks, years, numbers, lists."""

from __future__ import annotations

import datetime as dt

import pytest

from xlkit import cells


@pytest.mark.parametrize("a, b", [
    ("○", "〇"), ("○", "◯"), ("○", " ○ "),  # maru, kanji zero, large circle
    ("R2〜R3", "R2～R3"), ("R2〜R3", "R2~R3"),  # wave dash, full-width tilde, tilde
    ("R2-001", "Ｒ２－００１"), ("R2-001", "R2−001"), ("R2-001", "R2‐001"), ("R2-001", "R2–001"),
    ("システム", "ｼｽﾃﾑ"), ("ガッコウ", "ｶﾞｯｺｳ"), ("パソコン", "ﾊﾟｿｺﾝ"),  # half-width kana, voiced marks joined
    ("生活福祉課保護担当課", "生活福祉課 保護担当課"), ("生活福祉課保護担当課", "生活福祉課\u3000保護担当課"),
    ("LGWAN-ASP", "ＬＧＷＡＮ－ＡＳＰ"), ("(株)", "（株）"), ("2020", "２０２０"),
])
def test_fold_makes_look_alikes_equal(a, b):
    assert cells.fold(a) == cells.fold(b)


@pytest.mark.parametrize("a, b", [
    ("サービス", "サ-ビス"),  # the long vowel ー is a letter, not a dash
    ("総務課", "総務科"),
    ("○", "×"),
])
def test_fold_keeps_what_differs(a, b):
    assert cells.fold(a) != cells.fold(b)


@pytest.mark.parametrize("value", [None, "", " ", "\u3000", "\t\n", " \u3000 "])
def test_whitespace_only_is_blank(value):
    assert cells.is_blank(value)
    assert cells.text(value) is None
    assert cells.mark(value) is None
    assert cells.year(value) is None
    assert cells.integer(value) is None
    assert cells.date(value) is None
    assert cells.multi(value) is None


@pytest.mark.parametrize("value", [0, 0.0, False, "0", dt.date(2020, 4, 1)])
def test_zero_and_false_are_not_blank(value):
    assert not cells.is_blank(value)


@pytest.mark.parametrize("typed, shown", [
    ("  業務名  ", "業務名"),
    ("ＬＧＷＡＮ－ＡＳＰ", "ＬＧＷＡＮ－ＡＳＰ"),  # reports print what staff typed: no NFKC on text
    ("①氏名 ②住所", "①氏名 ②住所"),
    ("ｼｽﾃﾑ運用", "システム運用"),  # half-width kana never reaches a report
    ("ﾏｲﾅﾝﾊﾞｰ", "マイナンバー"),
    ("一行目\r\n二行目", "一行目\n二行目"),
    (2020.0, "2020"),  # 2020.0 -> 2020
    (12, "12"),
    (1.5, "1.5"),
    (dt.datetime(2020, 4, 1), "2020/4/1"),
    (True, "TRUE"),
])
def test_text_keeps_spelling_but_not_noise(typed, shown):
    assert cells.text(typed) == shown


@pytest.mark.parametrize("typed", ["○", "〇", "◯", " ○ ", "○\u3000"])
def test_every_maru_is_a_mark(typed):
    assert cells.mark(typed) is True


@pytest.mark.parametrize("typed", ["有", "あり", "×", "1", "○○", 1, True])
def test_other_marks_are_refused(typed):
    with pytest.raises(cells.CellError) as caught:
        cells.mark(typed)
    assert "○" in caught.value.reason


@pytest.mark.parametrize("typed, year", [
    (2020, 2020), (2020.0, 2020), ("2020", 2020), ("2020.0", 2020), ("２０２０", 2020),
    ("2020年度", 2020), ("令和2年度", 2020), ("令和２年度", 2020), ("令和元年度", 2019), ("R2", 2020),
    ("Ｒ２", 2020), ("H30", 2018), ("平成30年度", 2018), ("令和2年", 2020), (1989, 1989), (2100, 2100),
    ("2020年", 2020), (" 2020年 ", 2020), ("r2", 2020), ("h31", 2019), ("平成31年度", 2019),
])
def test_years(typed, year):
    assert cells.year(typed) == year


@pytest.mark.parametrize("typed, words", [
    (1988, ["西暦4桁"]), (2101, ["西暦4桁"]), (20, ["西暦4桁"]), (2020.5, ["整数"]),
    ("来年", ["半角数字"]), (True, ["年度"]), ("2020/4", ["半角数字"]),
    ("年度", ["数字がありません"]), ("年", ["数字がありません"]),  # once a TypeError: a traceback
    ("R0", ["令和0年度はありません"]), ("令和0年度", ["令和0年度はありません"]), ("H32", ["平成31年度", "2019"]),
])
def test_bad_years(typed, words):
    with pytest.raises(cells.CellError) as caught:
        cells.year(typed)
    for word in words:
        assert word in caught.value.reason


@pytest.mark.parametrize("typed, number", [(12, 12), (12.0, 12), ("12", 12), ("１２", 12), ("12.0", 12), (0, 0)])
def test_integers(typed, number):
    assert cells.integer(typed) == number


@pytest.mark.parametrize("typed, reason", [
    (1.5, "整数の数値を入力してください"),
    ("1.5", "整数の数値を入力してください"),  # typed as text, still a fraction: not a matter of 半角
    ("１．５", "整数の数値を入力してください"),
    ("十二", "数値を半角数字で入力してください"),
    ("-", "数値を半角数字で入力してください"),
    (True, "数値を入力してください"),
])
def test_bad_integers(typed, reason):
    with pytest.raises(cells.CellError) as caught:
        cells.integer(typed)
    assert caught.value.reason == reason


@pytest.mark.parametrize("typed, parts", [
    ("総務課", ["総務課"]),
    ("総務課、税務課", ["総務課", "税務課"]),
    ("総務課,税務課", ["総務課", "税務課"]),
    ("総務課，税務課", ["総務課", "税務課"]),
    ("総務課\n税務課", ["総務課", "税務課"]),
    ("総務課、 税務課、", ["総務課", "税務課"]),
    ("、、", None),
])
def test_multi(typed, parts):
    assert cells.multi(typed) == parts


def test_dates_go_through_the_one_date_parser():
    assert cells.date("令和２年４月１日") == dt.date(2020, 4, 1)
    with pytest.raises(cells.CellError) as caught:
        cells.date("R2.13.1")
    assert "存在しない日付" in caught.value.reason


@pytest.mark.parametrize("value, shown", [
    (None, ""), (2020.0, "2020"), (2020.5, "2020.5"), (True, "TRUE"),
    (dt.datetime(2020, 4, 1, 0, 0), "2020/4/1"), (dt.date(2020, 4, 1), "2020/4/1"), ("R2.4.1", "R2.4.1"),
])
def test_display_for_messages(value, shown):
    assert cells.display(value) == shown


def test_a_year_in_any_era_of_the_list_is_read():
    """昭和 is on the list: 昭和64年度 never was (the era ended on 7 January 1989)."""
    with pytest.raises(cells.CellError, match="昭和64年度はありません"):
        cells.year("昭和64年度")
    with pytest.raises(cells.CellError, match="登録簿で扱える年度"):
        cells.year("S63")  # FY1988 is before the register's first year
