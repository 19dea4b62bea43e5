"""The a + b − c rules of DOMAIN.md on hand-made records, every expected number worked out by hand."""

from __future__ import annotations

import argparse
import datetime as dt
import json

import pytest

from xlkit import figures, schema, widths
from xlkit.commands import summarize
from xlkit.errors import XlkitError
from xlkit.records import Record
from xlkit.workbook.builder import build

BODIES = list(schema.masters()["実施機関"])
DIVISIONS = [d for d, _ in schema.masters()["課"]]
D = dt.date


# --- active_in ------------------------------------------------------------------------------

@pytest.mark.parametrize("start,end,year,expected", [
    (D(2021, 3, 31), None, 2020, True),   # started on the last day of FY2020
    (D(2021, 4, 1), None, 2020, False),   # starts the next year
    (D(2006, 6, 1), None, 2020, True),    # long running
    (D(2015, 4, 1), D(2020, 4, 1), 2020, True),   # ended on the first day of FY2020
    (D(2015, 4, 1), D(2020, 3, 31), 2020, False),  # ended the day before
    (D(2015, 4, 1), D(2020, 3, 31), 2019, True),
    (D(2015, 4, 1), D(2015, 4, 1), 2015, True),   # a one-day linkage
    (D(2015, 4, 1), D(2015, 4, 1), 2016, False),
])
def test_active_in_boundaries(start, end, year, expected):
    values = {"start": start} | ({"end": end} if end else {})
    assert figures.active_in(values, year) is expected
    assert figures.active_in(Record("外部結合", 2, values, values), year) is expected


def test_active_in_without_a_start_is_never_active():
    assert figures.active_in({}, 2020) is False
    assert figures.active_in({"start": "R2.4.1"}, 2020) is False  # an unread cell is not a date


# --- compute --------------------------------------------------------------------------------

def test_a_b_c_and_my_number_per_body(make_record):
    records = [
        make_record(2, "税務課", start=D(2015, 4, 1), my_number=True),       # a, stays: total, ○
        make_record(3, "税務課", start=D(2016, 4, 1), end=D(2019, 12, 31)),  # a (ran in FY2019), c
        make_record(4, "税務課", start=D(2016, 4, 1), end=D(2019, 3, 31)),   # ended before FY2019: nowhere
        make_record(5, "戸籍住民課", start=D(2020, 5, 15), my_number=True),    # b, ○
        make_record(6, "戸籍住民課", start=D(2006, 6, 1), fiscal_year=2020),   # b (記載漏れ), counted late
        make_record(7, "介護保険課", start=D(2017, 7, 18), my_number=True, consent=True),  # 本人同意: nowhere
        make_record(8, "教育支援課", start=D(2018, 4, 1)),                     # a
        make_record(9, "教育支援課", start=D(2020, 6, 1)),                     # b
        make_record(10, "教育支援課", start=D(2019, 9, 1), end=D(2020, 1, 31), my_number=True),  # a and c; ○ not counted
        make_record(11, "議会事務局", start=D(2021, 4, 1)),                    # FY2021: nowhere in 2020
        make_record(12, "税務課", start=D(2019, 4, 1), end=D(2020, 4, 1), my_number=True),  # a, still active in 2020
    ]
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert [(r.body, r.a, r.b, r.c, r.total, r.my_number) for r in result.rows] == [
        ("区長", 3, 2, 1, 4, 3),
        ("教育委員会", 2, 1, 1, 2, 0),
        ("選挙管理委員会", 0, 0, 0, 0, 0),
        ("監査委員", 0, 0, 0, 0, 0),
        ("議会", 0, 0, 0, 0, 0),
        ("合計", 5, 3, 2, 6, 3),
    ]
    assert result.total is result.rows[-1]
    assert result.row("教育委員会").c == 1
    assert result.mismatches == [] and result.skipped == []
    # new and ended in organisation-chart order of 課: 戸籍住民課 before 教育支援課; row order within
    assert [r.row for r in result.new] == [5, 6, 9]
    assert [r.row for r in result.ended] == [3, 10]


def test_new_and_ended_follow_the_chart_not_the_rows(make_record):
    records = [
        make_record(2, "教育指導課", start=D(2020, 4, 1)),
        make_record(3, "議会事務局", start=D(2020, 4, 1)),
        make_record(4, "未登録課", start=D(2020, 4, 1), body="区長"),   # a 課 not in the master comes last
        make_record(5, "行政管理課", start=D(2020, 4, 1)),
        make_record(6, "教育支援課", start=D(2020, 4, 1)),
        make_record(7, "行政管理課", start=D(2020, 4, 1)),
    ]
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert [r.row for r in result.new] == [5, 7, 6, 2, 3, 4]


def test_invariant_holds_on_a_consistent_register(make_record):
    records = []
    for r in range(2, 60):
        start = D(2010 + r % 11, 1 + r % 12, 1)
        end = start + dt.timedelta(days=200 * (r % 7)) if r % 3 == 0 else None
        records.append(make_record(r, "税務課", start=start, end=end))
    totals = []
    for year in range(2010, 2024):
        result = figures.compute(records, year, BODIES, DIVISIONS)
        assert result.mismatches == []
        # "active in the year", worked out here from the dates (not with figures.active_in)
        first, last = D(year, 4, 1), D(year + 1, 3, 31)
        active = sum(1 for r in records
                     if r.values["start"] <= last and (r.values.get("end") is None or r.values["end"] >= first)
                     and r.values["fiscal_year"] <= year)
        assert result.row("区長").total == active, year
        totals.append(active)
    assert totals == [6, 13, 19, 25, 24, 26, 30, 35, 39, 41, 42, 40, 40, 39]  # growing, and falling as rows end


def test_invariant_broken_by_a_new_linkage_not_active_in_the_year(make_record):
    records = [
        make_record(2, "税務課", start=D(2015, 4, 1)),
        make_record(3, "税務課", start=D(2019, 5, 1), end=D(2020, 3, 1), fiscal_year=2020),  # new-not-active
    ]
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert result.row("区長").total == 2
    [mismatch] = result.mismatches
    assert (mismatch.body, mismatch.total, mismatch.active) == ("区長", 2, 1)
    assert [r.row for r in mismatch.records] == [3]
    assert "3行目" in mismatch.message(2020) and "令和2年度" in mismatch.message(2020)


def test_invariant_broken_by_a_linkage_counted_before_it_started(make_record):
    records = [make_record(2, "税務課", start=D(2020, 6, 1), fiscal_year=2019)]  # year-before-start
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert result.row("区長").total == 0
    [mismatch] = result.mismatches
    assert (mismatch.total, mismatch.active, [r.row for r in mismatch.records]) == (0, 1, [2])


def test_records_missing_a_needed_value_are_skipped_and_said(make_record):
    records = [
        make_record(2, "税務課", start=D(2020, 4, 1)),
        make_record(3, "税務課", start=None, fiscal_year=2020),     # no start
        make_record(4, "税務課", start=D(2020, 4, 1), body="区役所"),  # unknown body
        make_record(5, "税務課", start=D(2020, 4, 1), body=""),     # no body
    ]
    records.append(Record("外部結合", 6, {"division": "税務課", "body": "区長", "start": D(2020, 4, 1)}, {}))  # no fy
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert result.row("区長").b == 1
    assert [(s.record.row, s.reason) for s in result.skipped] == [
        (3, "結合の開始年月日がない（または日付として読めない）"),
        (4, "実施機関「区役所」が「実施機関」シートにない"),
        (5, "実施機関がない"),
        (6, "計上年度がない（または読めない）"),
    ]


def test_skipped_rows_are_said_once_per_reason_with_row_runs(make_record):
    """5,000 rows with text in 計上年度 printed 5,000 注意 lines (and 5,000 rows into 集計)."""
    records = [make_record(r, "税務課", start=None, fiscal_year=2020) for r in range(2, 5002)]
    records += [make_record(6000, "税務課", start=D(2020, 4, 1), body="区役所")]
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    # one wording for the CLI, the 集計 button and the notebook (was 「シート「外部結合」」 in the CLI only)
    assert figures.skipped_notes(result.skipped) == [
        "「外部結合」2〜5001行目（5000行）は結合の開始年月日がない（または日付として読めない）ため集計に含めていません。",
        "「外部結合」6000行目は実施機関「区役所」が「実施機関」シートにないため集計に含めていません。",
    ]


def test_row_runs():
    assert figures.row_runs([27, 22, 23, 24]) == "22〜24、27行目"
    assert figures.row_runs([5]) == "5行目"
    assert figures.row_runs(range(2, 60, 2), limit=3) == "2、4、6行目 ほか26行"


def test_consent_linkages_are_never_skipped_or_counted(make_record):
    records = [make_record(2, "税務課", start=None, consent=True), make_record(3, "税務課", start=D(2020, 4, 1), consent=True)]
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert result.total.total == 0 and result.skipped == [] and result.new == []


def test_body_spelt_with_full_width_spaces_is_the_master_body(make_record):
    result = figures.compute([make_record(2, "税務課", start=D(2020, 4, 1), body="区　長")], 2020, BODIES, DIVISIONS)
    assert result.row("区長").b == 1 and result.skipped == []


def test_compare_previous_lists_only_differences(make_record):
    records = [make_record(r, "税務課", start=D(2015, 4, 1)) for r in range(2, 5)] + [make_record(5, "教育支援課", start=D(2015, 4, 1))]
    result = figures.compute(records, 2020, BODIES, DIVISIONS)
    assert figures.compare_previous(result, {"区長": 3, "教育委員会": 1, "議会": 0}) == []
    assert figures.compare_previous(result, {"区長": 4, "教育委員会": 1, "監査委員": 2}) == [
        ("区長", 4, 3), ("監査委員", 2, 0)]
    assert figures.compare_previous(result, {}) == []


def test_as_json_shape(make_record):
    result = figures.compute([make_record(2, "税務課", start=D(2020, 4, 1), my_number=True)], 2020, BODIES, DIVISIONS)
    data = figures.as_json(result)
    assert list(data) == ["year", "rows"] and data["year"] == 2020
    assert data["rows"][0] == {"実施機関": "区長", "a": 0, "b": 1, "c": 0, "a+b-c": 1, "特定個人情報": 1}
    assert [r["実施機関"] for r in data["rows"]] == BODIES + ["合計"]
    json.dumps(data, ensure_ascii=False)


# --- the summarize command on a real workbook ----------------------------------------------

@pytest.fixture
def small_register(tmp_path, make_linkage):
    path = tmp_path / "登録簿.xlsx"
    build(path, linkages=[
        make_linkage(1, id="R1-001", start=D(2019, 10, 1), fiscal_year=2019, my_number=True),
        make_linkage(2, id="R2-001", start="R2.4.1", fiscal_year=2020),  # a typed 和暦 date
        make_linkage(3, id="R2-002", start=D(2020, 7, 1), fiscal_year=2020, consent=True),
    ], settings={"report_year": 2020, "previous_published": {"区長": 1, "教育委員会": 0}})
    return path


def run_summarize(capsys, path, year=None, as_json=False):
    code = summarize.run(argparse.Namespace(register=str(path), year=year, json=as_json))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_summarize_prints_the_table_in_japanese(small_register, capsys):
    code, out, err = run_summarize(capsys, small_register)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "令和2年度　実施機関別外部電子計算機との結合件数"
    assert lines[2].split() == ["実施機関", "a", "b", "c", "a", "+", "b", "−", "c", "特定個人情報"]
    row = {line.split()[0]: line.split()[1:] for line in lines if line and line.split()[0] in BODIES + ["合計"]}
    assert row["区長"] == ["1", "1", "0", "2", "1"]
    assert row["合計"] == ["1", "1", "0", "2", "1"]
    assert "※本人同意に基づく外部結合を除く。" in out
    # the numbers of each column end in the same place
    body_lines = [line for line in lines if line and line.split()[0] in BODIES + ["合計"]]
    ends = {widths.TERMINAL.measure(line) for line in body_lines}  # terminal cells: wide characters take two
    assert len(ends) == 1


def test_summarize_json(small_register, capsys):
    code, out, _ = run_summarize(capsys, small_register, year=2020, as_json=True)
    data = json.loads(out)
    assert code == 0 and data["year"] == 2020
    assert data["rows"][0] == {"実施機関": "区長", "a": 1, "b": 1, "c": 0, "a+b-c": 2, "特定個人情報": 1}
    assert "区長" in out  # not \u escaped


def test_summarize_warns_when_last_years_figure_differs(tmp_path, capsys, make_linkage):
    path = tmp_path / "r.xlsx"
    build(path, linkages=[make_linkage(1, id="R1-001", start=D(2019, 10, 1), fiscal_year=2019)],
          settings={"report_year": 2020, "previous_published": {"区長": 3}})
    code, out, err = run_summarize(capsys, path)
    assert code == 1 and "80" not in err
    # one wording for the CLI, the 集計 button and validation (figures.previous_note)
    assert ("区長: 令和元年度の公表値（「設定」シートの前年度公表値）は 3 件ですが、"
            "登録簿から数えた令和2年度の a（令和元年度の結合数）は 1 件です。") in err
    # another year than 報告年度: the 前年度公表値 does not apply (2019: 2021 is no longer countable,
    # since 報告年度 no longer stretches the range past the last 計上年度 + 1)
    code, _, err = run_summarize(capsys, path, year=2019)
    assert code == 0 and err == ""


def test_summarize_unknown_year_is_refused(small_register, capsys):
    with pytest.raises(XlkitError) as e:
        run_summarize(capsys, small_register, year=2010)
    assert "平成22年度（2010年度）の外部結合のデータは登録簿にありません" in e.value.message
    assert "集計できるのは令和元年度から" in e.value.message


def test_summarize_needs_a_year(tmp_path, capsys, make_linkage):
    path = tmp_path / "r.xlsx"
    build(path, linkages=[make_linkage(1, id="R1-001", start=D(2019, 10, 1), fiscal_year=2019)], settings={})
    with pytest.raises(XlkitError) as e:
        run_summarize(capsys, path)
    # the shared message, and the hint only the command line adds
    assert e.value.message == "報告する年度がわかりません。"
    assert "--year" in e.value.hint("cli") and "--year" not in e.value.hint("button")
