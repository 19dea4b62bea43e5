"""The register reader on plain grids: header mapping, blank rows, typed values, settings."""

import datetime as dt

import pytest

from xlkit import schema
from xlkit.errors import XlkitError
from xlkit.register import load_sheets

LINKAGE = schema.linkage()
CASE = schema.case()


def linkage_row(**values):
    return [values.get(c.key) for c in LINKAGE.columns]


def grids(linkage_rows=(), case_rows=(), linkage_header=None, settings=None):
    sheets = {
        LINKAGE.sheet: [linkage_header or LINKAGE.headers, *linkage_rows],
        CASE.sheet: [CASE.headers, *case_rows],
        "実施機関": [["実施機関"], ["区長"], ["教育委員会"], ["選挙管理委員会"], ["監査委員"], ["議会"]],
        "課": [["課", "実施機関"], ["総務課", "区長"], ["生活福祉課保護担当課", "区長"], ["教育支援課", "教育委員会"]],
        "区分": [["区分"], ["電算処理"], ["外部結合"], ["業務委託"], ["外部提供"]],
        "審議結果": [["審議結果"], ["承認"], ["了承"]],
    }
    if settings is not None:
        sheets["設定"] = settings
    return sheets


def test_blank_and_whitespace_rows_are_skipped_and_rows_keep_their_excel_number():
    book = load_sheets(grids([
        linkage_row(id="A-1", start="R2.4.1", fiscal_year=2020.0),
        [None] * len(LINKAGE.columns),
        ["  ", "\u3000"] + [None] * (len(LINKAGE.columns) - 2),
        linkage_row(id="A-2", start=dt.datetime(2020, 5, 15), fiscal_year="令和2年度"),
    ]))
    assert [r.row for r in book.linkages] == [2, 5]
    assert book.linkages[0].values["fiscal_year"] == 2020
    assert book.linkages[0].values["start"] == dt.date(2020, 4, 1)
    assert book.linkages[1].values["start"] == dt.date(2020, 5, 15)
    assert book.linkages[1].values["fiscal_year"] == 2020
    assert book.linkages[1].cell("start") == "K5"


def test_marks_accept_every_maru_and_reject_other_text_at_its_cell():
    book = load_sheets(grids([
        linkage_row(my_number="〇", consent="◯"),
        linkage_row(my_number="○ ", consent="有"),
    ]))
    assert book.linkages[0].values["my_number"] is True and book.linkages[0].values["consent"] is True
    assert "consent" not in book.linkages[1].values
    assert [(i.cell, i.code) for i in book.issues if i.sheet == LINKAGE.sheet] == [("M3", "mark-invalid")]


def test_text_keeps_its_spelling_but_masters_read_the_canonical_name():
    book = load_sheets(grids([linkage_row(division="生活福祉課 保護担当課", partner="ＬＧＷＡＮ－ＡＳＰ ", body="区長")]))
    values = book.linkages[0].values
    assert values["division"] == "生活福祉課保護担当課"
    assert values["partner"] == "ＬＧＷＡＮ－ＡＳＰ"  # reports print what staff typed
    assert book.linkages[0].raw["division"] == "生活福祉課 保護担当課"


def test_half_width_kana_becomes_full_width():
    book = load_sheets(grids([linkage_row(business="ｼｽﾃﾑ運用")]))
    assert book.linkages[0].values["business"] == "システム運用"


def test_misspelt_header_is_reported_once_and_its_column_still_read():
    header = list(LINKAGE.headers)
    header[9] = "結合の相手先"
    book = load_sheets(grids([linkage_row(partner="厚生労働省")], linkage_header=header))
    issues = [(i.cell, i.code) for i in book.issues if i.sheet == LINKAGE.sheet]
    assert issues == [("J1", "header-misspelt")]
    assert book.linkages[0].values["partner"] == "厚生労働省"
    [issue] = [i for i in book.issues if i.sheet == LINKAGE.sheet]
    assert "「結合の相手先」" in issue.message and "「結合の相手方」の誤り" in issue.message


def test_missing_and_unknown_headers_are_each_reported():
    header = [h for h in LINKAGE.headers if h != "備考"] + ["メモ欄XYZ"]
    book = load_sheets(grids([], linkage_header=header))
    found = sorted((i.cell, i.code, i.severity) for i in book.issues if i.sheet == LINKAGE.sheet)
    # 備考 is optional: its absence is a warning; the unknown column is never silently dropped
    assert found == [("P1", "header-unknown", "error"), ("Q1", "header-missing", "warning")]
    assert book.missing[LINKAGE.sheet] == {"note"}


def test_missing_register_sheet_is_refused_in_japanese():
    sheets = grids()
    del sheets[CASE.sheet]
    with pytest.raises(XlkitError, match="シート「審議案件」がありません"):
        load_sheets(sheets)


def test_settings_read_items_and_previous_figures_per_body():
    book = load_sheets(grids(settings=[
        ["項目", "値", "説明"],
        ["報告年度", 2020.0, ""],
        ["報告日", "令和7年7月3日", ""],
        ["前年度公表値（区長）", 61, ""],
        ["前年度公表値（教育委員会）", "５", ""],
        ["前年度公表値（議会）", None, ""],
    ]))
    assert book.settings["report_year"] == 2020
    assert book.settings["report_date"] == dt.date(2025, 7, 3)
    assert book.settings["previous_published"] == {"区長": 61, "教育委員会": 5}
    assert book.settings["department"] == "総合政策部区政情報課"
    assert not [i for i in book.issues if i.sheet == "設定"]


def test_bad_setting_points_at_its_value_cell():
    book = load_sheets(grids(settings=[["項目", "値"], ["報告年度", "来年"]]))
    [issue] = [i for i in book.issues if i.sheet == "設定"]
    assert (issue.cell, issue.code) == ("B2", "settings-invalid")
    assert "来年" in issue.message



def test_both_readers_fetch_only_the_sheets_the_core_reads(tmp_path):
    """検証結果 and 集計 can be long and mean nothing to the core: the file reader skips them as the
    buttons do (register.sheets_read is the one list)."""
    from xlkit import register
    from xlkit.workbook import reader
    from xlkit.workbook.builder import build

    path = build(tmp_path / "登録簿.xlsx")
    grids = reader.read_grids(path)
    assert set(grids) == set(register.sheets_read())
    assert "検証結果" not in grids and "集計" not in grids and "使い方" not in grids
