"""xlkit.load: the register as typed pandas DataFrames, figures and issues for notebooks."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

import xlkit
from support import SAMPLE
from xlkit import cli, records, schema
from xlkit.errors import XlkitError
from xlkit.notebook import RegisterData
from xlkit.validation import validate_book
from xlkit.workbook.builder import build

# what each schema kind must become in a DataFrame (written out here, not taken from the module)
EXPECTED_DTYPE = {
    "date": pd.api.types.is_datetime64_dtype,
    "mark": lambda d: d == "boolean",
    "year": lambda d: d == "Int64",
    "integer": lambda d: d == "Int64",
    "text": lambda d: d == "string",
    "multi": lambda d: d == object,
}


@pytest.fixture(scope="module")
def sample() -> RegisterData:
    return xlkit.load(SAMPLE)


@pytest.fixture(scope="module")
def small(tmp_path_factory, make_linkage, make_case) -> RegisterData:
    """Linkages starting 2020-06-01 (計上年度 2020), cases of 2025-04-18 with two 担当課."""
    path = tmp_path_factory.mktemp("notebook") / "登録簿.xlsx"
    case = make_case(7, divisions=["行政管理課", "情報システム課"], categories=["外部結合"])
    build(path, linkages=[
        make_linkage(1, my_number=True, end=dt.date(2021, 3, 31)),      # row 2
        {},                                                              # row 3: blank, skipped
        make_linkage(2, division="生活福祉課 保護担当課", consent="×"),   # row 4: variant, bad mark
        make_linkage(3, start="R2.13.1", fiscal_year="令和2年度"),        # row 5: unreadable date
    ], cases=[case, {**case, "no": 8, "categories": None, "submitted_on": "R7.2.30"}],
        settings={"report_year": 2020, "report_date": dt.date(2021, 7, 1),
                  "previous_published": {"区長": 3}})
    return xlkit.load(path)


def test_import_xlkit_does_not_load_pandas():
    code = "import sys, xlkit; print('pandas' in sys.modules, callable(xlkit.load))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_load_keeps_the_book_and_says_its_counts(sample):
    assert isinstance(sample, RegisterData)
    assert isinstance(sample.book, records.Book)
    assert len(sample.linkages) == len(sample.book.linkages) == 95
    assert len(sample.cases) == len(sample.book.cases) == 41
    assert "外部結合 95行" in repr(sample) and "審議案件 41行" in repr(sample) and "sample.xlsx" in repr(sample)
    # 外部提供 (format 5) is a register of its own: read as the other two, counted beside them
    assert len(sample.provisions) == len(sample.book.provisions) == 10 and "外部提供 10行" in repr(sample)
    first = sample.book.provisions[0]
    row = sample.provisions.loc[first.row]
    assert (row["案件の年度"], row["案件の№"]) == (first.values["fiscal_year"], first.values["case_no"])
    assert row["外部提供の時期"] == pd.Timestamp(first.values["provided_on"])


def test_a_file_that_is_not_a_register_is_refused_in_japanese(tmp_path):
    with pytest.raises(XlkitError, match="見つかりません"):
        xlkit.load(tmp_path / "ない.xlsx")


@pytest.mark.parametrize("reg, attr", [(schema.linkage(), "linkages"), (schema.case(), "cases"),
                                       (schema.provision(), "provisions")])
def test_columns_are_the_schema_headers_typed_by_kind(sample, reg, attr):
    frame = getattr(sample, attr)
    assert list(frame.columns) == reg.headers
    for column in reg.columns:
        dtype = frame[column.header].dtype
        assert EXPECTED_DTYPE[column.kind](dtype), (column.header, column.kind, dtype)


@pytest.mark.parametrize("attr", ["linkages", "cases", "provisions"])
def test_index_is_the_excel_row(sample, attr):
    frame = getattr(sample, attr)
    assert frame.index.name == "行"
    assert frame.index.tolist() == [r.row for r in getattr(sample.book, attr)]


def test_values_match_the_records_of_the_sample(sample):
    first = sample.book.linkages[0]
    row = sample.linkages.loc[first.row]
    assert row["管理番号"] == first.values["id"]
    assert row["結合の開始年月日"] == pd.Timestamp(first.values["start"])
    assert row["計上年度"] == first.values["fiscal_year"]
    case = sample.book.cases[0]
    assert sample.cases.loc[case.row, "担当課"] == case.values["divisions"] == ["行政管理課", "情報システム課"]
    # the figures' 特定個人情報 total (24 in 2020) is the ○ of the frame, seen from pandas
    assert sample.linkages["特定個人情報の有無"].sum() == sum(
        r.values.get("my_number") is True for r in sample.book.linkages)


def test_blank_rows_are_skipped_and_rows_keep_their_excel_number(small):
    assert small.linkages.index.tolist() == [2, 4, 5]
    assert small.cases.index.tolist() == [2, 3]


def test_dates_are_datetimes_and_unreadable_dates_are_nat(small):
    start = small.linkages["結合の開始年月日"]
    assert start[2] == pd.Timestamp(dt.date(2020, 6, 1))
    assert pd.isna(start[5])  # R2.13.1: there is no 13th month
    assert small.linkages.loc[2, "結合の終了年月日"] == pd.Timestamp(2021, 3, 31)
    assert pd.isna(small.linkages.loc[4, "結合の終了年月日"])  # blank
    assert small.cases.loc[2, "付議日"] == pd.Timestamp(2025, 4, 18)
    assert pd.isna(small.cases.loc[3, "付議日"])  # R7.2.30


def test_marks_are_true_false_or_unknown(small):
    assert small.linkages["特定個人情報の有無"].tolist() == [True, False, False]
    consent = small.linkages["本人同意"]
    assert consent.isna().tolist() == [False, True, False]  # ×: unreadable, so unknown, not "no"
    assert not consent[2] and not consent[5]  # blank is "no"


def test_years_and_integers(small):
    assert small.linkages["計上年度"].tolist() == [2020, 2020, 2020]  # 令和2年度 read as 2020
    assert small.cases["№"].tolist() == [7, 8]


def test_master_variant_comes_back_in_the_masters_spelling(small):
    assert small.book.linkages[1].raw["division"] == "生活福祉課 保護担当課"
    assert small.linkages.loc[4, "結合を行った課"] == "生活福祉課保護担当課"


def test_multi_columns_hold_lists_or_none(small):
    assert small.cases.loc[2, "担当課"] == ["行政管理課", "情報システム課"]
    assert small.cases.loc[2, "区分"] == ["外部結合"]
    assert small.cases.loc[3, "区分"] is None


def test_text_blank_is_na(small):
    assert small.linkages.loc[2, "業務名"] == "住民基本台帳事務1"
    assert small.linkages["備考"].isna().all()


def test_settings_by_japanese_title(small):
    settings = small.settings
    assert list(settings) == [c.header for c in schema.settings().columns]
    assert settings["報告年度"] == 2020
    assert settings["報告日"] == pd.Timestamp(2021, 7, 1)
    assert settings["前年度公表値"] == {"区長": 3}
    assert settings["資料の対象期間（開始）"] is None
    # a Timestamp, so that it filters a datetime64 column (a datetime.date would raise)
    late = small.cases[small.cases["付議日"] >= settings["報告日"]]
    assert late.index.tolist() == [2]


def test_masters(sample):
    assert sample.bodies == sample.book.bodies and sample.bodies[0] == "区長"
    assert list(sample.divisions.columns) == ["課", "実施機関"]
    assert list(sample.divisions.itertuples(index=False, name=None)) == sample.book.divisions
    assert sample.categories == sample.book.categories and "外部結合" in sample.categories
    assert sample.results == sample.book.results and "承認" in sample.results


def test_figures_of_the_sample_2020(sample):
    table = sample.figures(2020)
    assert list(table.columns) == ["a", "b", "c", "a + b − c", "特定個人情報"]
    assert table.index.name == "実施機関"
    assert table.index[-1] == "合計"
    assert table.loc["区長"].tolist() == [61, 19, 0, 80, 24]
    assert table.loc["教育委員会"].tolist() == [5, 3, 0, 8, 0]
    assert table.loc["合計"].tolist() == [66, 22, 0, 88, 24]
    assert table.attrs["year"] == 2020


def test_figures_default_to_the_report_year_and_read_japanese_years(sample):
    assert sample.settings["報告年度"] == 2020
    pd.testing.assert_frame_equal(sample.figures(), sample.figures(2020))
    pd.testing.assert_frame_equal(sample.figures("令和2年度"), sample.figures(2020))
    assert sample.figures(2019).loc["合計", "a + b − c"] == 66


def test_figures_equal_summarize_json(sample, capsys):
    code = cli.main(["summarize", str(SAMPLE), "--year", "2020", "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    table = sample.figures(2020)
    assert printed["year"] == 2020
    assert [row["実施機関"] for row in printed["rows"]] == table.index.tolist()
    for row in printed["rows"]:
        assert table.loc[row["実施機関"]].tolist() == [
            row["a"], row["b"], row["c"], row["a+b-c"], row["特定個人情報"]]


# the sample's 計上年度 run from 2000 to 2020: 1999 and 2022 (a typo for 2020, as a 年度 name) are outside
@pytest.mark.parametrize("year", [1999, "2022年度", "令和4年度"])
def test_a_year_the_register_cannot_speak_for_raises(sample, year):
    with pytest.raises(XlkitError, match="登録簿にありません"):
        sample.figures(year)


def test_an_unreadable_year_raises_in_japanese(sample):
    with pytest.raises(XlkitError, match="読めません"):
        sample.figures("来年")


def test_figures_warn_when_rows_are_left_out(small):
    with pytest.warns(UserWarning, match="5行目.*集計に含めていません"):
        table = small.figures(2020)
    assert table.loc["区長", "b"] == 2  # rows 2 and 4; row 5 has no readable start


def test_figures_without_a_report_year_raise(tmp_path, make_linkage):
    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(1)])
    loaded = xlkit.load(path)
    assert loaded.settings["報告年度"] is None
    with pytest.raises(XlkitError, match="年度がわかりません"):
        loaded.figures()
    assert loaded.figures(2020).loc["合計", "b"] == 1


def test_validate_lists_every_issue(sample, small):
    for loaded in (sample, small):
        issues = validate_book(loaded.book).issues
        table = loaded.validate()
        assert list(table.columns) == ["シート", "セル", "列", "重要度", "コード", "メッセージ"]
        assert len(table) == len(issues)
    table = small.validate()
    by_cell = {(r.セル, r.コード): r.重要度 for r in table.itertuples()}
    assert by_cell[("K5", "date-invalid")] == "エラー"
    assert by_cell[("M4", "mark-invalid")] == "エラー"
    assert by_cell[("C4", "master-variant")] == "警告"
