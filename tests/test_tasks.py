"""The use cases every door calls (xlkit.tasks): the 年度 rule, the summary's notes, the 資料 period,
and the refusal of a report from a register with errors."""

from __future__ import annotations

import datetime as dt

import pytest

from xlkit import figures, messages, schema, tasks
from xlkit.errors import Refusal, XlkitError
from xlkit.records import Book
from xlkit.workbook.reader import load
from xlkit.workbook.builder import build
from support import SAMPLE

D = dt.date


def book(linkages, **settings) -> Book:
    return Book(linkages=linkages, bodies=list(schema.masters()["実施機関"]),
                divisions=[tuple(d) for d in schema.masters()["課"]], settings=settings)


@pytest.fixture
def linkages(make_record):
    """Two linkages of 税務課 (区長): counted in 2015 and in 2018."""
    return [make_record(2, start=D(2015, 4, 1)), make_record(3, start=D(2018, 6, 1))]


# --- report_year: one rule for every door ------------------------------------------------

def test_the_range_is_the_first_count_to_one_past_the_last(linkages):
    assert tasks.year_range(book(linkages)) == (2015, 2019)
    for year in (2015, 2018, 2019):
        assert tasks.report_year(book(linkages), year) == year
    for year in (2014, 2020):
        with pytest.raises(Refusal) as e:
            tasks.report_year(book(linkages), year)
        assert e.value.key == "year.out_of_range" and e.value.exit_code == 2
        assert "集計できるのは平成27年度から令和元年度まで" in e.value.message


def test_the_report_year_no_longer_stretches_its_own_bound(linkages):
    """figures.check_year let 報告年度 extend the upper end, so 報告年度 always passed (令和99年度 too)."""
    with pytest.raises(Refusal) as e:
        tasks.report_year(book(linkages, report_year=2020))
    assert e.value.key == "year.setting_out_of_range"
    # and a year asked for explicitly is refused while 報告年度 is out of range: it is a typo either way
    with pytest.raises(Refusal) as e:
        tasks.report_year(book(linkages, report_year=2020), 2018)
    assert e.value.key == "year.setting_out_of_range"
    assert tasks.report_year(book(linkages, report_year=2019)) == 2019


def test_a_linkage_year_beyond_the_schema_bounds_does_not_widen_the_range(linkages, make_record):
    low, high = schema.year_bounds()
    wild = [*linkages, make_record(4, start=D(2018, 6, 1), fiscal_year=high + 17)]
    assert tasks.year_range(book(wild)) == (2015, 2019)
    at_edge = [make_record(2, start=D(high, 4, 1), fiscal_year=high)]
    assert tasks.year_range(book(at_edge)) == (high, high)  # one past the last, but not past the bound


def test_no_year_anywhere_is_refused_with_a_hint_per_door(linkages):
    with pytest.raises(Refusal) as e:
        tasks.report_year(book(linkages))
    assert e.value.message == messages.text("year.unknown")
    assert "--year" in e.value.hint("cli")
    assert "「設定」シート" in e.value.hint("button") and "--year" not in e.value.hint("button")


def test_no_counted_linkage_is_refused():
    with pytest.raises(Refusal, match="計上年度のある外部結合がない"):
        tasks.report_year(book([]), 2020)


def test_report_year_typed_in_era_form_beyond_the_bounds_is_refused(tmp_path, make_linkage):
    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(1, 2020)], settings={"report_year": "令和99年度"})
    with pytest.raises(Refusal) as e:
        tasks.report_year(load(path))
    assert "令和99年度" in e.value.message and e.value.key in ("year.unreadable", "year.setting_out_of_range")


def test_report_year_showing_an_excel_error_points_at_its_cell(tmp_path, make_linkage):
    """#N/A in 報告年度 (as the buttons read it) is a cell-error-value: the refusal names B2 and the
    error, not only 「報告する年度がわかりません」."""
    from xlkit.register import load_sheets
    from xlkit.workbook.reader import read_grids

    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(1, 2020)], settings={"report_year": 2020})
    grids = read_grids(path)
    row = next(r for r in grids["設定"] if r and r[0] == "報告年度")
    row[1] = "#N/A"
    with pytest.raises(Refusal) as e:
        tasks.report_year(load_sheets(grids))
    cell = f"B{grids['設定'].index(row) + 1}"
    assert e.value.key == "year.unreadable" and cell in e.value.message and "#N/A" in e.value.message


# --- summary ----------------------------------------------------------------------------

def test_summary_of_the_sample_and_its_notes():
    result = tasks.summary(load(SAMPLE))
    assert result.year == 2020 and result.notes == []
    assert [(r.body, r.a, r.b, r.c, r.total, r.my_number) for r in result.figures.rows][:2] == [
        ("区長", 61, 19, 0, 80, 24), ("教育委員会", 5, 3, 0, 8, 0)]
    assert result.previous["区長"] == 61 and result.differences == []


def test_summary_notes_come_in_one_wording(make_record):
    linkages = [make_record(2, start=D(2019, 10, 1)), make_record(3, start=None, fiscal_year=2020)]
    result = tasks.summary(book(linkages, report_year=2020, previous_published={"区長": 3}))
    assert [n.code for n in result.notes] == ["skipped", "previous-mismatch"]
    assert result.notes[0].text == figures.skipped_notes(result.figures.skipped)[0]
    assert result.notes[1].text == figures.previous_note("区長", 2020, 3, 1)
    # another year than 報告年度: 前年度公表値 is not compared
    assert [n.code for n in tasks.summary(book(linkages, report_year=2020), 2019).notes] == ["skipped"]


# --- the 資料 period ---------------------------------------------------------------------------

def test_cases_period_defaults_to_settings_then_to_every_submission_date():
    sample = load(SAMPLE)
    assert tasks.cases_period(sample) == (D(2025, 2, 1), D(2025, 6, 30))  # 設定's 資料の対象期間
    assert tasks.cases_period(sample, D(2025, 3, 1)) == (D(2025, 3, 1), D(2025, 6, 30))
    sample.settings.pop("cases_from"), sample.settings.pop("cases_to")
    dated = sorted(r.get("submitted_on") for r in sample.cases if r.get("submitted_on"))
    assert tasks.cases_period(sample) == (dated[0], dated[-1])
    with pytest.raises(Refusal, match="より後です"):
        tasks.cases_period(sample, D(2025, 6, 1), D(2025, 5, 1))
    with pytest.raises(Refusal, match="付議日のある審議案件がありません"):
        tasks.cases_period(book([]))


# --- the refusal of a register with errors -----------------------------------------------------

def test_a_register_with_errors_is_refused_unless_confirmed(tmp_path, make_linkage):
    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(1, 2019), make_linkage(2, 2020, start="R2.13.1")],
                 settings={"report_year": 2020})
    register = load(path)
    asked = []
    with pytest.raises(tasks.ErrorsRefusal) as e:
        tasks.export_linkages(register, tmp_path / "x.docx", confirm=lambda r: asked.append(r) or False)
    assert e.value.exit_code == 1 and e.value.key == "export.refused"
    assert "エラーが 1 件" in e.value.message and "外部結合!K3" in e.value.message
    assert [i.code for i in asked[0].errors] == ["date-invalid"] and asked[0].key == "export.confirm"
    assert not (tmp_path / "x.docx").exists()
    written = tasks.export_linkages(register, tmp_path / "x.docx", confirm=lambda r: True)
    assert written.path.is_file() and written.forced is not None and written.forced.key == "export.forced"
    assert written.left_out == ["「外部結合」3行目は結合の開始年月日がない（または日付として読めない）ため集計に含めていません。"]


def test_an_outbox_never_overwrites(tmp_path):
    register = load(SAMPLE)
    box = tasks.Outbox(tmp_path, ".xlsx")
    first = tasks.export_linkages(register, box)
    second = tasks.export_linkages(register, box)
    assert first.path.name == "外部結合の状況_令和2年度.xlsx" == second.wanted.name
    assert second.path.name == "外部結合の状況_令和2年度 (2).xlsx"
    assert first.title == "令和2年度の外部結合の状況"


def test_a_wrong_suffix_is_said_before_the_year(tmp_path):
    with pytest.raises(XlkitError, match="拡張子"):
        tasks.export_linkages(book([]), tmp_path / "x.txt")
