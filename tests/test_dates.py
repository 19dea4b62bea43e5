"""和暦 and 西暦 dates: every spelling staff type, era boundaries, serials, and the printed forms."""

from __future__ import annotations

import datetime as dt

import pytest

from xlkit.dates import (
    DateError,
    era_of,
    fiscal_year,
    format_dotted,
    format_month_day,
    format_wareki,
    format_year_month,
    nendo,
    parse_date,
)

D = dt.date


@pytest.mark.parametrize("typed, expected", [
    # the spellings of DOMAIN.md
    ("R2.4.1", D(2020, 4, 1)),
    ("R2. 8. 1", D(2020, 8, 1)),
    ("R2.10.1", D(2020, 10, 1)),
    ("H18.6.1", D(2006, 6, 1)),
    ("令和2年4月1日", D(2020, 4, 1)),
    ("令和２年４月１日", D(2020, 4, 1)),
    ("2020/4/1", D(2020, 4, 1)),
    # and their neighbours
    ("R02.04.01", D(2020, 4, 1)),
    ("r2.4.1", D(2020, 4, 1)),
    ("Ｒ２．４．１", D(2020, 4, 1)),
    ("Ｈ１８．６．１", D(2006, 6, 1)),
    ("R2/4/1", D(2020, 4, 1)),
    ("R2-4-1", D(2020, 4, 1)),
    ("令和2.4.1", D(2020, 4, 1)),
    ("令和 2年 4月 1日", D(2020, 4, 1)),
    ("令和元年5月1日", D(2019, 5, 1)),
    ("R元.5.1", D(2019, 5, 1)),
    ("平成元年1月8日", D(1989, 1, 8)),
    ("昭和64年1月7日", D(1989, 1, 7)),
    ("S60.4.1", D(1985, 4, 1)),
    ("2020年4月1日", D(2020, 4, 1)),
    ("２０２０年４月１日", D(2020, 4, 1)),
    ("2020-04-01", D(2020, 4, 1)),
    ("2020.4.1", D(2020, 4, 1)),
    ("２０２０／４／１", D(2020, 4, 1)),
    ("2020-04-01 00:00:00", D(2020, 4, 1)),
    ("2020-04-01T10:30", D(2020, 4, 1)),
    (" R2.4.1 ", D(2020, 4, 1)),
    ("\u3000令和2年4月1日\u3000", D(2020, 4, 1)),
    # leap days
    ("R2.2.29", D(2020, 2, 29)),
    ("H12.2.29", D(2000, 2, 29)),
    ("2024/2/29", D(2024, 2, 29)),
    # Excel serials, as numbers and as text
    (43922, D(2020, 4, 1)),
    (43922.0, D(2020, 4, 1)),
    (43922.75, D(2020, 4, 1)),  # a time of day is dropped
    ("43922", D(2020, 4, 1)),
    ("43922.5", D(2020, 4, 1)),
    ("４３９２２", D(2020, 4, 1)),
    (45658, D(2025, 1, 1)),
    # cells already typed as dates
    (dt.datetime(2020, 4, 1), D(2020, 4, 1)),
    (dt.datetime(2020, 4, 1, 9, 30), D(2020, 4, 1)),
    (D(2020, 4, 1), D(2020, 4, 1)),
])
def test_every_spelling_is_read(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", [None, "", "  ", "\u3000"])
def test_blank_is_no_date(typed):
    assert parse_date(typed) is None


@pytest.mark.parametrize("typed, ok", [
    # 平成 → 令和 (2019-05-01)
    ("H31.4.30", D(2019, 4, 30)),
    ("H31.5.1", None),
    ("R1.5.1", D(2019, 5, 1)),
    ("R1.4.30", None),
    # 昭和 → 平成 (1989-01-08)
    ("S64.1.7", D(1989, 1, 7)),
    ("S64.1.8", None),
    ("H1.1.8", D(1989, 1, 8)),
    ("H1.1.7", None),
    # 大正 → 昭和 (1926-12-25), 明治 → 大正 (1912-07-30)
    ("T15.12.24", D(1926, 12, 24)),
    ("T15.12.25", None),
    ("S1.12.25", D(1926, 12, 25)),
    ("S1.12.24", None),
    ("M45.7.29", D(1912, 7, 29)),
    ("T1.7.30", D(1912, 7, 30)),
    ("T1.7.29", None),
    # 明治元年 is 1868; dates are read from the solar calendar's first day, 明治6年1月1日
    ("M6.1.1", D(1873, 1, 1)),
    ("M5.12.31", None),
    ("R0.5.1", None),
    ("H32.1.1", None),
])
def test_era_boundaries(typed, ok):
    if ok is None:
        with pytest.raises(DateError):
            parse_date(typed)
    else:
        assert parse_date(typed) == ok


@pytest.mark.parametrize("typed, words", [
    ("R3.2.29", ["存在しない日付", "2021年2月29日"]),
    ("2020/2/30", ["存在しない日付"]),
    ("R2.13.1", ["存在しない日付", "13月"]),
    ("H31.5.1", ["平成31年5月1日はありません", "2019年4月30日まで", "令和元年5月1日の誤りではありませんか"]),
    ("R1.4.30", ["令和の始まり", "2019年5月1日", "平成31年4月30日の誤りではありませんか"]),
    ("S64.1.8", ["昭和64年1月8日はありません", "平成元年1月8日の誤り"]),
    ("H1.1.7", ["平成元年1月7日", "平成の始まり", "昭和64年1月7日の誤り"]),
    ("R0.5.1", ["令和0年はありません"]),
    ("来年度", ["日付として読めません", "R2.4.1"]),
    ("20200401", ["日付として読めません"]),
    ("R2.4.1.", ["日付として読めません"]),
    ("令和2年4月1日（水）", ["日付として読めません"]),
    ("H18.6.1 記載漏れ", ["記載漏れ", "備考"]),
    ("R2. 8. 1\u3000記載漏れ", ["記載漏れ", "備考"]),
    ("1850/1/1", ["1873年"]),
    (2020, ["数値「2020」", "日付の書式"]),
    (20200401, ["数値「20200401」"]),
    (0, ["数値「0」"]),
    (-1.5, ["数値「-1.5」"]),
    (float("nan"), ["日付として読めません"]),
    (3_000_000, ["日付として読めません"]),
    (True, ["真偽値"]),
    (dt.time(10, 0), ["日付として読めない値", "時刻"]),
    (dt.timedelta(hours=10), ["時刻"]),
    (object(), ["日付ではない値"]),
])
def test_what_is_not_a_date_says_why(typed, words):
    with pytest.raises(DateError) as caught:
        parse_date(typed)
    for word in words:
        assert word in caught.value.reason, (word, caught.value.reason)


def days(first: D, last: D):
    """Every day for 60 days around each era change, every 11th day elsewhere."""
    changes = [D(1912, 7, 30), D(1926, 12, 25), D(1989, 1, 8), D(2019, 5, 1)]
    day = first
    while day <= last:
        yield day
        near = any(abs((day - c).days) <= 60 for c in changes)
        day += dt.timedelta(days=1 if near else 11)


def test_wareki_spellings_round_trip():
    for day in days(D(1912, 7, 30), D(2030, 12, 31)):
        era = era_of(day)
        n = day.year - era.offset
        assert parse_date(format_dotted(day)) == day
        assert parse_date(format_wareki(day)) == day
        assert parse_date(format_wareki(day, full_width=True)) == day
        assert parse_date(f"{era.letter}{n}.{day.month}.{day.day}") == day


def test_cross_check_with_japanera():
    import japanera  # a test dependency (pyproject [test]): its absence is a failure, not a skip

    for day in days(D(1873, 1, 1), D(2030, 12, 31)):
        theirs = japanera.EraDate.from_date(day).era
        ours = era_of(day)
        assert ours.name == theirs.kanji, day
        assert day.year - ours.offset == theirs.absolute_year_to_relative_year(day.year), day
    for era in ("令和", "平成", "昭和", "大正"):  # the boundaries, exactly
        ours = next(e for e in era_of.__globals__["ERAS"] if e.name == era)
        theirs = japanera.EraDate.from_date(ours.first_day).era
        assert theirs.kanji == era and theirs.since == ours.first_day
        if ours.last_day:
            assert theirs.until == ours.last_day + dt.timedelta(days=1)


@pytest.mark.parametrize("day, dotted, wareki", [
    (D(2020, 8, 1), "R2. 8. 1", "令和2年8月1日"),
    (D(2020, 10, 10), "R2.10.10", "令和2年10月10日"),
    (D(2006, 6, 1), "H18. 6. 1", "平成18年6月1日"),
    (D(2019, 5, 1), "R1. 5. 1", "令和元年5月1日"),
    (D(2019, 4, 30), "H31. 4.30", "平成31年4月30日"),
    (D(2025, 7, 3), "R7. 7. 3", "令和7年7月3日"),
])
def test_printed_forms(day, dotted, wareki):
    assert format_dotted(day) == dotted
    assert format_wareki(day) == wareki


def test_other_forms_and_years():
    assert format_wareki(D(2025, 7, 3), full_width=True) == "令和７年７月３日"
    assert format_month_day(D(2025, 2, 13)) == "2月13日"
    assert format_year_month(D(2025, 2, 13)) == "令和7年2月"
    assert nendo(2019) == "令和元年度" and nendo(2020) == "令和2年度" and nendo(2018) == "平成30年度"
    assert nendo(1988) == "昭和63年度" and nendo(1989) == "平成元年度"
    assert nendo(2025, full_width=True) == "令和７年度"
    assert fiscal_year(D(2020, 4, 1)) == 2020 and fiscal_year(D(2021, 3, 31)) == 2020
    assert fiscal_year(D(2021, 1, 1)) == 2020


def test_a_fiscal_year_named_by_its_era_comes_from_the_era_list():
    """cells.year read only 令和 and 平成 with their offsets written in: a new era added to
    eras.json would read in dates but not in a 計上年度."""
    from xlkit.dates import era_fiscal_year

    assert era_fiscal_year("令和", 1) == 2019 and era_fiscal_year("R", 2) == 2020
    assert era_fiscal_year("平成", 31) == 2019  # began on 1 April under 平成
    assert era_fiscal_year("S", 63) == 1988
    with pytest.raises(DateError, match="昭和64年度はありません（昭和63年度＝1988年度まで）"):
        era_fiscal_year("昭和", 64)
    with pytest.raises(DateError, match="令和0年度はありません"):
        era_fiscal_year("R", 0)
