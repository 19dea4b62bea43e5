"""組織改正, pure: the 課 name valid on a day (xlkit.org), the 課 sheet read with its periods
(xlkit.register), the rules division-period / division-renamed (xlkit.rules) and the reports'
names and order (xlkit.figures, xlkit.export.linkages), all on plain data."""

from __future__ import annotations

import datetime as dt

import pytest

from xlkit import figures, org, rules, schema
from xlkit.export import layout, linkages
from xlkit.issues import ERROR, WARNING
from xlkit.org import Division
from xlkit.records import Record
from xlkit.register import load_sheets
from xlkit.validation import validate_book

D = dt.date
APRIL_2021, APRIL_2023 = D(2021, 4, 1), D(2023, 4, 1)
LINKAGE, CASE, DIVISION = schema.linkage(), schema.case(), schema.division()


def closed(name: str, last: dt.date, *successors: str, body: str = "区長", start=None, row=0) -> Division:
    return Division(name, body, start, last, tuple(successors), row)


def opened(name: str, first: dt.date, body: str = "区長", end=None, successors=(), row=0) -> Division:
    return Division(name, body, first, end, tuple(successors), row)


# --- name_on ----------------------------------------------------------------------------------

CHAIN = [closed("戸籍住民課", D(2021, 3, 31), "戸籍課"),
         opened("戸籍課", APRIL_2021, end=D(2023, 3, 31), successors=("住民戸籍課",)),
         opened("住民戸籍課", APRIL_2023)]


@pytest.mark.parametrize("name, day, expected", [
    ("戸籍住民課", D(2020, 5, 1), "戸籍住民課"),  # valid: itself
    ("戸籍住民課", D(2021, 3, 31), "戸籍住民課"),  # the last day is its own
    ("戸籍住民課", APRIL_2021, "戸籍課"),  # renamed
    ("戸籍住民課", D(2024, 1, 1), "住民戸籍課"),  # renamed twice: followed to the end
    ("戸籍課", D(2019, 1, 1), "戸籍住民課"),  # before it began: back to its one predecessor
    ("住民戸籍課", D(2019, 1, 1), "戸籍住民課"),  # two steps back
    ("戸籍課", D(2023, 4, 1), "住民戸籍課"),
    ("ｺｾｷ課", D(2024, 1, 1), "ｺｾｷ課"),  # on no row: itself
])
def test_a_rename_chain_is_followed_both_ways(name, day, expected):
    assert org.name_on(CHAIN, name, day) == expected


def test_a_split_is_not_followed_forward_but_each_new_name_goes_back_to_the_one_it_came_from():
    split = [closed("福祉部管理課", D(2021, 3, 31), "福祉政策課", "福祉監査課"),
             opened("福祉政策課", APRIL_2021), opened("福祉監査課", APRIL_2021)]
    assert org.name_on(split, "福祉部管理課", D(2022, 1, 1)) == "福祉部管理課"  # which of the two: unknown
    assert org.name_on(split, "福祉政策課", D(2020, 1, 1)) == "福祉部管理課"  # one predecessor
    assert org.takers(split, "福祉部管理課", D(2022, 1, 1)) == ["福祉政策課", "福祉監査課"]
    assert org.takers(split, "福祉部管理課", D(2020, 1, 1)) == ["福祉部管理課"]


def test_a_merge_is_followed_forward_but_not_back():
    merge = [closed("高齢者支援課", D(2021, 3, 31), "地域包括ケア課"), closed("介護保険課", D(2021, 3, 31), "地域包括ケア課"),
             opened("地域包括ケア課", APRIL_2021)]
    assert org.name_on(merge, "介護保険課", D(2022, 1, 1)) == "地域包括ケア課"
    assert org.name_on(merge, "高齢者支援課", D(2022, 1, 1)) == "地域包括ケア課"
    assert org.name_on(merge, "地域包括ケア課", D(2020, 1, 1)) == "地域包括ケア課"  # two predecessors
    assert org.takers(merge, "介護保険課", D(2022, 1, 1)) == ["地域包括ケア課"]


def test_a_merge_into_one_of_the_merged_names_keeps_that_name_on_two_rows():
    merge = [closed("税務課", D(2021, 3, 31), "税務課"), closed("滞納対策課", D(2021, 3, 31), "税務課"),
             opened("税務課", APRIL_2021)]
    assert org.name_on(merge, "滞納対策課", D(2022, 1, 1)) == "税務課"
    assert org.name_on(merge, "税務課", D(2020, 1, 1)) == "税務課"  # the old row is valid then
    assert org.valid(merge, "税務課", D(2020, 1, 1)) and org.valid(merge, "税務課", D(2022, 1, 1))
    assert not org.valid(merge, "滞納対策課", D(2022, 1, 1))


def test_a_rename_then_a_split_stops_at_the_last_name_it_can_tell():
    entries = [closed("A課", D(2021, 3, 31), "B課"), opened("B課", APRIL_2021, end=D(2023, 3, 31), successors=("C課", "D課")),
               opened("C課", APRIL_2023), opened("D課", APRIL_2023)]
    assert org.name_on(entries, "A課", D(2024, 1, 1)) == "B課"
    assert org.takers(entries, "A課", D(2024, 1, 1)) == ["C課", "D課"]


def test_an_abolished_name_and_a_cycle_typed_by_mistake_end_the_walk():
    entries = [closed("廃止課", D(2021, 3, 31))]
    assert org.name_on(entries, "廃止課", D(2022, 1, 1)) == "廃止課"
    assert org.takers(entries, "廃止課", D(2022, 1, 1)) == []
    cycle = [closed("甲課", D(2021, 3, 31), "乙課"), closed("乙課", D(2021, 3, 31), "甲課")]
    assert org.name_on(cycle, "甲課", D(2022, 1, 1)) in ("甲課", "乙課")
    assert org.takers(cycle, "甲課", D(2022, 1, 1)) == []


def test_a_split_that_keeps_the_old_name_is_followed_into_every_branch():
    split = [closed("税務課", D(2021, 3, 31), "税務課", "納税課"), opened("税務課", APRIL_2021), opened("納税課", APRIL_2021)]
    # a linkage of the old 税務課 goes on each branch's form, the one keeping the name too
    assert org.takers(split, "税務課", D(2022, 5, 1)) == ["税務課", "納税課"]
    assert org.takers(split, "税務課", D(2022, 5, 1), since=D(2015, 4, 1)) == ["税務課", "納税課"]
    # one the new 税務課 began is its own only
    assert org.takers(split, "税務課", D(2022, 5, 1), since=D(2021, 6, 1)) == ["税務課"]
    assert org.takers(split, "税務課", D(2020, 5, 1)) == ["税務課"]
    assert org.takers(split, "納税課", D(2020, 5, 1)) == []  # not begun yet
    assert org.name_on(split, "税務課", D(2022, 1, 1)) == "税務課"  # valid: itself
    assert org.name_on(split, "納税課", D(2020, 1, 1)) == "税務課"  # back to the one it came from


def test_a_merge_into_one_of_the_merged_names_gives_that_name_once():
    merge = [closed("税務課", D(2021, 3, 31), "税務課"), closed("滞納対策課", D(2021, 3, 31), "税務課"),
             opened("税務課", APRIL_2021)]
    assert org.takers(merge, "税務課", D(2022, 5, 1)) == ["税務課"]
    assert org.takers(merge, "滞納対策課", D(2022, 5, 1), since=D(2015, 4, 1)) == ["税務課"]


# a closed name used again (typed by hand on the 課 sheet; `xlkit reorganise` refuses it): 滞納対策課
# is merged into 税務課 on 2021-04-01, and on 2022-04-01 男女共同参画課 is renamed 滞納対策課
REUSED = [closed("税務課", D(2021, 3, 31), "税務課"), closed("滞納対策課", D(2021, 3, 31), "税務課"),
          opened("税務課", APRIL_2021), closed("男女共同参画課", D(2022, 3, 31), "滞納対策課"),
          opened("滞納対策課", D(2022, 4, 1))]
# 戸籍住民課 renamed 戸籍課 on 2021-04-01 and back to 戸籍住民課 on 2022-04-01
BACK = [closed("戸籍住民課", D(2021, 3, 31), "戸籍課"),
        opened("戸籍課", APRIL_2021, end=D(2022, 3, 31), successors=("戸籍住民課",)), opened("戸籍住民課", D(2022, 4, 1))]


def test_a_survey_between_two_periods_of_a_name_asks_the_successor_of_the_earlier():
    # before: nothing (the name neither valid nor wholly ended), so those linkages went on no form
    assert org.takers(REUSED, "滞納対策課", D(2021, 6, 1)) == ["税務課"]
    assert org.takers(REUSED, "滞納対策課", D(2021, 6, 1), since=D(2015, 4, 1)) == ["税務課"]


def test_a_survey_in_the_later_period_of_a_name_asks_each_period_its_own_課():
    # the name alone: every row that led to the day (the earlier one's successor, the later one itself)
    assert org.takers(REUSED, "滞納対策課", D(2022, 5, 1)) == ["税務課", "滞納対策課"]
    # a linkage's 開始日 tells which 課 typed it
    assert org.takers(REUSED, "滞納対策課", D(2022, 5, 1), since=D(2015, 4, 1)) == ["税務課"]
    assert org.takers(REUSED, "滞納対策課", D(2022, 5, 1), since=D(2022, 6, 1)) == ["滞納対策課"]
    assert org.takers(REUSED, "男女共同参画課", D(2022, 5, 1)) == ["滞納対策課"]
    # renamed back: one lineage, one 課 whichever period
    for since in (None, D(2015, 4, 1), D(2021, 6, 1), D(2022, 6, 1)):
        assert org.takers(BACK, "戸籍住民課", D(2022, 5, 1), since=since) == ["戸籍住民課"]
        assert org.takers(BACK, "戸籍課", D(2022, 5, 1), since=since) == ["戸籍住民課"]
    assert org.takers(BACK, "戸籍住民課", D(2021, 6, 1)) == ["戸籍課"]


@pytest.mark.parametrize("name, year, expected", [
    ("戸籍住民課", 2020, "戸籍住民課"), ("戸籍住民課", 2021, "戸籍課"), ("戸籍住民課", 2022, "戸籍住民課"),
    ("戸籍課", 2020, "戸籍住民課"), ("戸籍課", 2021, "戸籍課"), ("戸籍課", 2022, "戸籍住民課"),
])
def test_a_name_renamed_back_prints_each_years_name(name, year, expected):
    # rows of either period are one lineage: each year's name is the one valid at its end
    assert org.name_in_year(BACK, name, year) == expected
    assert org.name_in_year(BACK, name, year, since=D(2015, 4, 1)) == expected
    assert org.name_in_year(BACK, name, year, since=D(2022, 6, 1)) == expected


def test_a_closed_name_used_again_prints_each_years_name_as_far_as_it_can_tell():
    # the earlier period's rows: its own name, then its successor's, in the gap too
    assert org.name_in_year(REUSED, "滞納対策課", 2020) == "滞納対策課"
    assert org.name_in_year(REUSED, "滞納対策課", 2021) == "税務課"  # between the periods: the earlier one's
    assert org.name_in_year(REUSED, "滞納対策課", 2022, since=D(2015, 4, 1)) == "税務課"
    # the later period's rows: the later 課's lineage both ways
    assert org.name_in_year(REUSED, "滞納対策課", 2022, since=D(2022, 6, 1)) == "滞納対策課"
    assert org.name_in_year(REUSED, "滞納対策課", 2021, since=D(2022, 6, 1)) == "男女共同参画課"
    assert org.name_in_year(REUSED, "男女共同参画課", 2022) == "滞納対策課"
    assert org.name_in_year(REUSED, "男女共同参画課", 2020) == "男女共同参画課"
    # best effort without the row's day (the reports): a year of the later period gives the name
    # itself, right for the later 課's rows, the reused name for the earlier one's
    assert org.name_in_year(REUSED, "滞納対策課", 2022) == "滞納対策課"
    assert org.name_on(REUSED, "滞納対策課", D(2019, 1, 1)) == "滞納対策課"


def test_a_day_outside_every_row_of_the_since_day_falls_back_to_every_row():
    # a linkage typed with a name before it began (division-renamed 「組織改正後の課名」): its 開始日
    # has no row of the name, so every row counts
    assert org.typed_under(CHAIN, "戸籍課", D(2015, 4, 1)) == [CHAIN[1]]
    assert org.takers(CHAIN, "戸籍課", D(2022, 1, 1), since=D(2015, 4, 1)) == ["戸籍課"]
    assert org.name_on(CHAIN, "戸籍課", D(2019, 1, 1), since=D(2015, 4, 1)) == "戸籍住民課"


def test_without_periods_every_name_is_itself_for_ever():
    entries = [Division("総務課", "区長"), Division("税務課", "区長")]
    assert not org.dated(entries)
    assert org.name_in_year(entries, "税務課", 2030) == "税務課"
    assert org.current(entries, D(1990, 1, 1)) == entries


def test_the_name_in_a_year_is_the_one_valid_on_its_last_day():
    assert org.name_in_year(CHAIN, "戸籍住民課", 2020) == "戸籍住民課"  # 31 March 2021
    assert org.name_in_year(CHAIN, "戸籍住民課", 2021) == "戸籍課"
    assert org.name_in_year(CHAIN, "戸籍課", 2020) == "戸籍住民課"
    assert org.year_end(2020) == D(2021, 3, 31)


def test_current_and_the_chart_rank_of_a_day():
    entries = [Division("総務課", "区長"), *CHAIN]
    assert [d.name for d in org.current(entries, D(2022, 1, 1))] == ["総務課", "戸籍課"]
    rank = org.chart_rank(entries, D(2022, 1, 1))
    assert rank["戸籍課"] == 2 and rank["総務課"] == 0


# --- reading the 課 sheet --------------------------------------------------------------------

def grids(division_rows, header=None, linkage_rows=(), case_rows=()):
    return {
        LINKAGE.sheet: [LINKAGE.headers, *linkage_rows],
        CASE.sheet: [CASE.headers, *case_rows],
        "実施機関": [["実施機関"], ["区長"], ["教育委員会"]],
        "課": [header or DIVISION.headers, *division_rows],
        "区分": [["区分", "外部結合の行が要る"], ["外部結合", "○"], ["業務委託"]],
        "審議結果": [["審議結果", "承認にあたる"], ["承認", "○"]],
        "設定": [["項目", "値"], ["報告年度", 2020]],
    }


def test_an_old_format_sheet_of_two_columns_reads_as_names_valid_for_ever():
    book = load_sheets(grids([["総務課", "区長", None, "行の並びが報告書の並びになります。"], ["教育支援課", "教育委員会"]],
                             header=["課", "実施機関", None, "行の並びが報告書の並びになります。"]))
    assert book.divisions == [("総務課", "区長"), ("教育支援課", "教育委員会")]
    assert book.org == [Division("総務課", "区長", row=2), Division("教育支援課", "教育委員会", row=3)]
    assert book.issues == []
    assert book.missing["課"] == {"valid_from", "valid_to", "successor"}


def test_an_unlabelled_sheet_still_reads_課_and_実施機関_from_a_and_b():
    book = load_sheets(grids([["総務課", "区長"]], header=[None, None]))
    assert book.divisions == [("総務課", "区長")] and book.issues == []


def test_the_five_columns_are_read_by_their_headers_closed_rows_too():
    header = ["実施機関", "課", "後継の課", "終了日", "開始日"]  # any order
    book = load_sheets(grids([
        ["区長", "戸籍住民課", "戸籍課", dt.datetime(2021, 3, 31), None],
        ["区長", "戸籍課", None, None, "R3.4.1"],
        ["区長", "福祉部管理課", "福祉政策課，福祉監査課", "令和3年3月31日", None],
        ["区長", "福祉政策課", None, None, D(2021, 4, 1)],
        ["区長", "福祉監査課", None, None, D(2021, 4, 1)],
    ], header=header))
    assert book.issues == []
    assert book.divisions[0] == ("戸籍住民課", "区長") and len(book.divisions) == 5  # closed rows stay
    assert book.org[0] == Division("戸籍住民課", "区長", None, D(2021, 3, 31), ("戸籍課",), 2)
    assert book.org[1] == Division("戸籍課", "区長", D(2021, 4, 1), None, (), 3)
    assert book.org[2].successors == ("福祉政策課", "福祉監査課")
    assert book.columns["課"] == {"body": "A", "name": "B", "successor": "C", "valid_to": "D", "valid_from": "E"}


def test_bad_cells_of_the_sheet_are_issues_at_their_cells():
    book = load_sheets(grids([
        ["甲課", "区長", "R3.13.1", None, None],  # C2 date-invalid
        ["乙課", "区長", D(2021, 4, 1), D(2021, 3, 31), None],  # D3 master-division-dates
        ["丙課", "区長", None, D(2021, 3, 31), "丁課、存在しない課"],  # E4 master-division-successor
        ["丁課", "区長", None, None, None],
        ["丁課", "区長", D(2021, 4, 1), None, None],  # A6 master-division-overlap (row 5 is open)
        ["戊課", "区長", None, D(2020, 3, 31), "#N/A"],  # E7 cell-error-value
    ]))
    found = {(i.sheet, i.cell, i.code, i.severity) for i in book.issues}
    assert found == {("課", "C2", "date-invalid", ERROR), ("課", "D3", "master-division-dates", ERROR),
                     ("課", "E4", "master-division-successor", ERROR), ("課", "A6", "master-division-overlap", ERROR),
                     ("課", "E7", "cell-error-value", ERROR)}
    said = {i.code: i.message for i in book.issues}
    assert "存在しない課" in said["master-division-successor"] and "5行目" in said["master-division-overlap"]
    assert book.org[2].successors == ("丁課",)  # the one on the sheet is kept
    assert book.org[1].valid_to is None  # an end before the start is read as open: one message
    assert [d.name for d in book.org] == ["甲課", "乙課", "丙課", "丁課", "丁課", "戊課"]


def test_two_rows_of_one_name_with_periods_apart_are_no_issue():
    book = load_sheets(grids([["税務課", "区長", None, D(2021, 3, 31), "税務課"], ["税務課", "区長", D(2021, 4, 1), None, None]]))
    assert book.issues == []


# --- the rules -------------------------------------------------------------------------------

SHEET = [
    ["総務課", "区長", None, None, None],
    ["戸籍住民課", "区長", None, D(2021, 3, 31), "戸籍課"],
    ["戸籍課", "区長", D(2021, 4, 1), None, None],
    ["福祉部管理課", "区長", None, D(2021, 3, 31), "福祉政策課、福祉監査課"],
    ["福祉政策課", "区長", D(2021, 4, 1), None, None],
    ["福祉監査課", "区長", D(2021, 4, 1), None, None],
    ["廃止課", "区長", None, D(2021, 3, 31), None],
]


def linkage_row(n, division, start, end=None, **more):
    values = {"id": f"L-{n}", "body": "区長", "division": division, "business": f"業務{n}", "reason": "理由",
              "subjects": "区民", "items": "氏名", "basis": "令和2年度第2回審議会承認", "partner": "国",
              "start": start, "end": end, "fiscal_year": start.year - (start.month < 4), **more}
    return [values.get(c.key) for c in LINKAGE.columns]


def case_row(no, divisions, submitted):
    values = {"fiscal_year": submitted.year - (submitted.month < 4), "no": no, "title": f"案件{no}",
              "divisions": divisions, "categories": "業務委託", "submitted_on": submitted, "result": "承認"}
    return [values.get(c.key) for c in CASE.columns]


def period_issues(linkage_rows=(), case_rows=()):
    book = load_sheets(grids(SHEET, linkage_rows=linkage_rows, case_rows=case_rows))
    assert book.issues == []
    return [i for i in validate_book(book).issues if i.code.startswith("division-")]


def test_a_row_wholly_inside_its_names_period_is_right_even_long_after():
    assert period_issues([
        linkage_row(2, "戸籍住民課", D(2015, 4, 1), D(2020, 3, 31)),  # ended under its own name
        linkage_row(3, "戸籍課", D(2015, 4, 1)),  # began before the new name: typed with it, fine
        linkage_row(4, "総務課", D(1990, 4, 1)),  # a name without a period
        linkage_row(5, "戸籍住民課", D(2015, 4, 1), D(2021, 3, 31)),  # ended on the name's last day
    ]) == []


def test_a_row_outside_its_names_period_is_a_warning_when_the_name_of_its_day_is_certain():
    [issue] = period_issues([linkage_row(2, "戸籍住民課", D(2021, 6, 1))])
    assert (issue.cell, issue.code, issue.severity) == ("C2", "division-renamed", WARNING)
    assert issue.message.startswith("組織改正前の課名です。課「戸籍住民課」は令和3年3月31日までの課名で")
    assert "の課名は「戸籍課」です" in issue.message
    [issue] = period_issues([linkage_row(2, "戸籍課", D(2015, 4, 1), D(2020, 3, 31))])  # a new name on an old row
    assert (issue.code, issue.severity) == ("division-renamed", WARNING)
    assert issue.message.startswith("組織改正後の課名です。課「戸籍課」は令和3年4月1日からの課名で")
    assert "「戸籍住民課」" in issue.message


def test_a_row_outside_its_names_period_is_an_error_when_no_name_of_its_day_is_certain():
    for gone in ("廃止課", "福祉部管理課"):  # abolished; split in two
        [issue] = period_issues([linkage_row(2, gone, D(2021, 6, 1))])
        assert (issue.cell, issue.code, issue.severity) == ("C2", "division-period", ERROR)
        assert issue.message.startswith(f"課「{gone}」は令和3年3月31日までの課名です")
        assert issue.message.endswith("課名か日付を確認してください。")


def test_a_linkage_going_on_under_the_old_name_is_a_warning_naming_the_successor():
    [issue] = period_issues([linkage_row(2, "戸籍住民課", D(2015, 4, 1))])
    assert (issue.cell, issue.code, issue.severity) == ("C2", "division-renamed", WARNING)
    assert issue.message.startswith("組織改正前の課名です")
    assert "「戸籍課」" in issue.message and "報告書には年度ごとにその年度の課名を出力します" in issue.message
    [issue] = period_issues([linkage_row(2, "戸籍住民課", D(2015, 4, 1), D(2021, 9, 30))])  # ended after
    assert issue.code == "division-renamed"
    [split] = period_issues([linkage_row(2, "福祉部管理課", D(2015, 4, 1))])
    assert "「福祉政策課」・「福祉監査課」" in split.message and "分割" in split.message
    [gone] = period_issues([linkage_row(2, "廃止課", D(2015, 4, 1))])
    assert gone.code == "division-renamed" and "後継の課" in gone.message


def test_a_cases_担当課_is_checked_on_its_付議日():
    found = period_issues(case_rows=[case_row(1, "総務課、戸籍住民課", D(2025, 4, 18)),
                                     case_row(2, "戸籍住民課", D(2020, 4, 18)), case_row(3, "戸籍課", D(2025, 4, 18))])
    assert [(i.sheet, i.cell, i.code) for i in found] == [("審議案件", "D2", "division-renamed")]
    assert "付議日（令和7年4月18日）" in found[0].message and "「戸籍課」" in found[0].message
    [split] = period_issues(case_rows=[case_row(1, "福祉部管理課", D(2025, 4, 18))])
    assert (split.cell, split.code) == ("D2", "division-period")


def test_rules_look_at_nothing_when_no_name_has_a_period():
    book = load_sheets(grids([["戸籍住民課", "区長"]], linkage_rows=[linkage_row(2, "戸籍住民課", D(2015, 4, 1))]))
    assert rules.check_periods(book) == []


# --- the reports ------------------------------------------------------------------------------

def record(row, division):
    return Record(LINKAGE.sheet, row, {"division": division}, {"division": division}, {})


def test_report_rows_are_ordered_by_the_chart_place_of_the_name_printed():
    entries = [Division("総務課", "区長"), *CHAIN[:2], Division("会計室", "区長")]
    records = [record(2, "会計室"), record(3, "戸籍住民課"), record(4, "総務課"), record(5, "戸籍課")]
    names = [d for d, _ in [(d.name, d.body) for d in entries]]
    plain = figures.chart_order(records, names)
    assert [r.row for r in plain] == [4, 3, 5, 2]
    day = org.year_end(2021)
    ordered = figures.chart_order(records, names, names=figures.year_names(records, 2021, entries),
                                  rank=org.chart_rank(entries, day))
    assert [r.row for r in ordered] == [4, 3, 5, 2]  # 戸籍住民課 prints 戸籍課: its place
    moved = [Division("総務課", "区長"), closed("戸籍住民課", D(2021, 3, 31), "戸籍課"), Division("会計室", "区長"),
             opened("戸籍課", APRIL_2021)]  # the new 課 placed after 会計室 in the chart
    ordered = figures.chart_order(records, [d.name for d in moved], names=figures.year_names(records, 2021, moved),
                                  rank=org.chart_rank(moved, day))
    assert [r.row for r in ordered] == [4, 2, 3, 5]


def test_a_report_row_prints_the_name_it_is_given():
    lay = layout.load()
    keys = [c["key"] for c in linkages.detail_columns(lay, "start")]
    rec = Record(LINKAGE.sheet, 2, {"division": "戸籍住民課", "start": D(2015, 4, 1)}, {}, {})
    assert linkages.detail_row(rec, 1, keys, "")[1] == "戸籍住民課"
    assert linkages.detail_row(rec, 1, keys, "", org.name_in_year(CHAIN, "戸籍住民課", 2021))[1] == "戸籍課"


def test_a_name_used_in_two_periods_prints_the_課_the_survey_asks():
    from xlkit import inquiry
    from xlkit.records import Book
    from support.factories import record as linkage_record

    earlier = linkage_record(2, "滞納対策課", start=D(2015, 4, 1), fiscal_year=2022, body="区長")  # 2022: b
    later = linkage_record(3, "滞納対策課", start=D(2022, 6, 1), body="区長")
    book = Book(linkages=[earlier, later], bodies=["区長"])
    book.set_org(list(REUSED))
    result = figures.compute(book.linkages, 2022, book.bodies, [d.name for d in book.org], org=book.org)
    assert [r.row for r in result.new] == [2, 3]
    printed = {r.row: result.division(r) for r in result.new}
    asked = {rec.row: takers for rec, takers in inquiry._placements(book, book.org, 2022, D(2023, 5, 1))[0]}
    assert printed == {2: "税務課", 3: "滞納対策課"}
    assert asked == {2: ["税務課"], 3: ["滞納対策課"]}
    # the report's rows, as printed: each under its own period's 課, in that 課's chart place
    lay = layout.load()
    keys = [c["key"] for c in linkages.detail_columns(lay, "start")]
    report = linkages.build(result, lay)
    table = report.sheets[1].blocks[1]
    assert [row[keys.index("division")] for row in table.rows] == ["税務課", "滞納対策課"]
    # figures computed without the periods (as xlkit.tasks.summary computes them) are named alike
    plain = figures.compute(book.linkages, 2022, book.bodies, [d.name for d in book.org])
    assert not plain.names and figures.in_year(plain, book.org).names == result.names


def test_a_successor_chain_of_thousands_of_renames_is_walked_without_recursion():
    length = 3_000  # far past Python's recursion limit (1,000), as 1,500 once was
    entries = [Division(f"課{i}", "区長", D(2000, 4, 1) + dt.timedelta(days=i) if i else None,
                        D(2000, 4, 1) + dt.timedelta(days=i) if i < length - 1 else None,
                        (f"課{i + 1}",) if i < length - 1 else ()) for i in range(length)]
    assert org.name_on(entries, "課0", D(2020, 1, 1)) == f"課{length - 1}"
    assert org.name_on(entries, f"課{length - 1}", D(1999, 1, 1)) == "課0"
    assert org.takers(entries, "課0", D(2020, 1, 1)) == [f"課{length - 1}"]
    assert org.predecessors(entries, entries[-1]) == [f"課{length - 2}"]
    # a cycle typed by mistake at the end of a long chain still ends the walk
    cycle = entries[:-1] + [Division(f"課{length - 1}", "区長", entries[-1].valid_from, D(2015, 3, 31), ("課1",))]
    assert org.name_on(cycle, "課0", D(2020, 1, 1)) in {d.name for d in cycle}
    assert org.takers(cycle, "課0", D(2020, 1, 1)) == []


def test_each_period_is_said_earliest_first():
    rows = [opened("税務課", APRIL_2023), closed("税務課", D(2021, 3, 31), "税務課")]
    assert org.period_text(rows) == "令和3年3月31日まで、令和5年4月1日から"
    assert org.period_text([Division("税務課", "区長")]) == "期間の定めなし"
