"""Regressions found by a QA pass over the printed reports (Word, Excel, PDF): edge cases
the sample register does not reach — very long cells, years without new linkages,
headings that wrap, output file permissions."""

from __future__ import annotations

import datetime as dt

import docx
import pytest
from docx.oxml.ns import qn

from xlkit.export import api, cases, layout
from xlkit.workbook.reader import load
from xlkit.workbook.builder import build

LONG = ("個人情報の取扱いについて、委託先における安全管理措置を確認し、" * 100)[:3000]


# the 別紙 of each case: every optional column filled with a short text
ANNEX = dict(meeting="第1回", submitted_on=dt.date(2025, 5, 22), business_name="事業", purpose="目的",
             subjects="対象者", overview="概要です。", proposal="付議内容です。", subject_count="約100人",
             flow="別紙のとおり")


@pytest.fixture(scope="module")
def edge_book(tmp_path_factory, make_linkage, make_case):
    """Two linkages that end in FY2020, one running, one new in FY2020 with 3,000-character
    cells; cases with a missing 付議内容, a 3,000-character 概要, a long title."""
    path = tmp_path_factory.mktemp("edge") / "edge.xlsx"
    build(path, settings={"report_year": 2021}, linkages=[
        make_linkage(1, division="総務課", start=dt.date(2018, 4, 1), end=dt.date(2020, 12, 31)),
        make_linkage(2, division="税務課", start=dt.date(2018, 6, 1), end=dt.date(2021, 3, 31)),
        make_linkage(3, division="税務課", start=dt.date(2019, 6, 1)),
        make_linkage(4, division="総務課", start=dt.date(2020, 6, 1), reason=LONG, items=LONG),
        make_linkage(5, division="総務課", start=dt.date(2020, 7, 1), my_number=True),
    ], cases=[
        make_case(1, **{**ANNEX, "title": "付議内容のない案件", "proposal": None}),
        make_case(2, **{**ANNEX, "title": "非常に長い概要の案件", "overview": LONG}),
        make_case(3, **{**ANNEX, "title": "木造住宅密集地区整備促進事業（若葉・須賀町地区）における道路用地補償業務委託について"}),
    ])
    return load(path)


def _rows(table) -> list:
    return list(table._tbl.iter(qn("w:tr")))


def _kept_whole(tr) -> bool:
    trpr = tr.find(qn("w:trPr"))
    return trpr is not None and trpr.find(qn("w:cantSplit")) is not None


# --- Word: a row taller than a page must be allowed to break ----------------------------

def test_word_row_taller_than_a_page_may_break_in_the_linkage_table(edge_book, tmp_path):
    """Word cuts a w:cantSplit row that is taller than the page off at the foot of the page:
    the rest of a 3,000-character cell would never be printed."""
    out = api.export_linkages(edge_book, 2020, tmp_path / "long.docx")
    table = docx.Document(str(out)).tables[1]
    header, *body = _rows(table)
    assert _kept_whole(header)
    assert [_kept_whole(tr) for tr in body] == [LONG[:50] not in tr.xpath("string(.)") for tr in body]
    assert [_kept_whole(tr) for tr in body].count(False) == 1


def test_word_annex_row_taller_than_a_page_may_break(edge_book, tmp_path):
    out = api.export_cases(edge_book, dt.date(2025, 5, 1), dt.date(2025, 5, 31), tmp_path / "c.docx",
                           report_date=dt.date(2025, 7, 3))
    doc = docx.Document(str(out))
    tables = [t._tbl for t in doc.tables]
    long_sheet = next(t for t in tables if LONG[:50] in t.xpath("string(.)"))
    labels = {tr.find(qn("w:tc")).xpath("string(.)"): _kept_whole(tr) for tr in long_sheet.iter(qn("w:tr"))}
    assert labels.pop("事業内容") is False
    assert all(labels.values())
    # ordinary rows everywhere else are still kept whole
    assert all(_kept_whole(tr) for t in tables if t is not long_sheet for tr in t.iter(qn("w:tr")))


# --- a year without new linkages, a year with ended ones --------------------------------

def test_year_without_new_linkages_says_so_and_lists_the_ended(edge_book, tmp_path):
    """FY2021 of the edge register: b = 0, c = 2. Table (2) must not be an empty header."""
    out = api.export_linkages(edge_book, 2021, tmp_path / "r3.docx")
    doc = docx.Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    new_title = texts.index(layout.load()["linkages"]["new"]["title"])
    assert texts[new_title + 1] == "実績はありません。"
    assert len(doc.tables) == 2  # (1) and (3); no header-only table (2)
    ended = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert ended[0][-1].replace("\n", "") == "結合の終了年月日"  # broken where a reader expects (linebreak.header)
    assert [r[-1] for r in ended[1:]] == ["R2.12.31", "R3. 3.31"]

    xlsx = api.export_linkages(edge_book, 2021, tmp_path / "r3.xlsx")
    import openpyxl
    ws = openpyxl.load_workbook(xlsx)[layout.load()["linkages"]["new"]["sheet"]]
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert values == [layout.load()["linkages"]["new"]["title"], "実績はありません。"]


# --- the written file -------------------------------------------------------------------

@pytest.mark.skipif(__import__("os").name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_report_is_readable_by_colleagues_like_any_new_file(edge_book, tmp_path, suffix):
    """The temporary file is made by mkstemp (mode 0600); the report must not keep that."""
    import os

    mask = os.umask(0o022)
    try:
        out = api.export_linkages(edge_book, 2021, tmp_path / f"r3{suffix}")
    finally:
        os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


# --- 別紙 headings ------------------------------------------------------------------------

def test_annex_heading_never_splits_the_case_number(edge_book):
    """「…業務委託について（№２」 / 「１）」 was printed; the （№…） part now starts a line of
    its own when it would not fit, as in the 資料 (№３), and stays on the line otherwise."""
    lay = layout.load()
    by_no = {c.get("no"): c for c in edge_book.cases}
    long_title = cases.heading(by_no[3], lay)
    assert long_title == ("木造住宅密集地区整備促進事業（若葉・須賀町地区）における道路用地補償業務委託について"
                          "\n（№３）")
    assert cases.heading(by_no[1], lay) == "付議内容のない案件（№１）"
    # a title that wraps once and leaves room on its second line keeps the number beside it
    record = by_no[1]
    record = type(record)(record.sheet, record.row, dict(record.values), record.raw, record.letters)
    record.values["title"] = "新宿区定額減税補足給付金（不足額給付）給付事業に係るシステム改修等について（対象要件の変更等）"
    assert cases.heading(record, lay).endswith("（対象要件の変更等）（№１）")


# --- cells: text off the borders, figures in the middle of their rows -------------------

def test_table_text_keeps_off_the_borders_and_figures_sit_mid_row(edge_book, tmp_path):
    """With no cell margin above and below, LibreOffice drew the 4-line c label and the
    3-line 区分 cells against (over, at 60 dpi) the borders; the 7 mm figure rows had their
    figures at the top."""
    pad = round(layout.load()["cell_padding_mm"] * 1440 / 25.4)
    assert pad > 0
    l_doc = docx.Document(str(api.export_linkages(edge_book, 2020, tmp_path / "l.docx")))
    c_doc = docx.Document(str(api.export_cases(edge_book, dt.date(2025, 5, 1), dt.date(2025, 5, 31),
                                               tmp_path / "c.docx", report_date=dt.date(2025, 7, 3))))
    for table in [*l_doc.tables, c_doc.tables[0]]:
        mar = table._tbl.tblPr.find(qn("w:tblCellMar"))
        assert int(mar.find(qn("w:top")).get(qn("w:w"))) >= pad
        assert int(mar.find(qn("w:bottom")).get(qn("w:w"))) >= pad
    summary_body = _rows(l_doc.tables[0])[2:]
    assert {tc.find(qn("w:tcPr")).find(qn("w:vAlign")).get(qn("w:val"))
            for tr in summary_body for tc in tr.iter(qn("w:tc"))} == {"center"}
    detail_body = _rows(l_doc.tables[1])[1:]
    assert len(summary_body) == 6 and len(detail_body) == 2  # 5 bodies + 合計; the 2 new linkages of FY2020
    assert all(tc.find(qn("w:tcPr")).find(qn("w:vAlign")) is None
               for tr in detail_body for tc in tr.iter(qn("w:tc")))  # long texts start at the top

    import openpyxl
    xlsx = api.export_linkages(edge_book, 2020, tmp_path / "l.xlsx")
    ws = openpyxl.load_workbook(xlsx)[layout.load()["linkages"]["summary"]["sheet"]]
    figures = [c for row in ws.iter_rows() for c in row if isinstance(c.value, int)]
    assert figures and {c.alignment.vertical for c in figures} == {"center"}
