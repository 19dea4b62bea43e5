"""資料１「審議案件について」 export: the list of the 41 cases of Feb–Jun 2025 reproduced
from the sample register, the header block, one 別紙 per case on its own page, Excel, PDF."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from xlkit import dates, schema, tasks
from xlkit.errors import XlkitError
from xlkit.export import api, cases, layout, pdf
from support import REPO, SAMPLE, fold, folded, needs_soffice
from xlkit.workbook.reader import load

FROM, TO, REPORT_DATE = dt.date(2025, 2, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 3)



def reference_cases() -> list[dict]:
    # the public 資料１ as structured records (the same file as ../shared/reference/cases_r7.json)
    path = REPO / "workbooks" / "data" / "cases_r7.json"
    return json.loads(path.read_text(encoding="utf-8"))


def reference_list() -> list[list[str]]:
    """The list table as the 資料 prints it: №, 審議案件, 担当課, 区分, 付議日, 審議結果."""
    return [[str(c["no"]), c["title"], "、".join(c["divisions"]), "、".join(c["categories"]),
             c["submitted_on_raw"], c["result"]] for c in reference_cases()]


@pytest.fixture(scope="module")
def book():
    return load(SAMPLE)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cases")


@pytest.fixture(scope="module")
def docx_path(book, out_dir) -> Path:
    return api.export_cases(book, FROM, TO, out_dir / "cases.docx", report_date=REPORT_DATE)


@pytest.fixture(scope="module")
def xlsx_path(book, out_dir) -> Path:
    return api.export_cases(book, FROM, TO, out_dir / "cases.xlsx", report_date=REPORT_DATE)


def cell_text(tc) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))


def grid(table) -> list[list[str]]:
    return [[cell_text(tc) for tc in tr.iter(qn("w:tc"))] for tr in table._tbl.iter(qn("w:tr"))]


def body_paragraphs(doc) -> list:
    """Top-level paragraphs in document order (those inside tables excluded)."""
    return [p for p in doc.element.body.iterchildren(qn("w:p"))]


def p_text(p) -> str:
    return "".join(t.text or "" for t in p.iter(qn("w:t")))


# --- the list ---------------------------------------------------------------------------

def test_list_table_reproduces_the_41_cases(docx_path):
    table = grid(docx.Document(str(docx_path)).tables[0])
    assert table[0] == ["№", "審議案件", "担当課", "区分", "付議日", "審議結果"]
    assert folded(table[1:]) == folded(reference_list())
    # 区分 one per line and 付議日 as the 資料 writes it
    row5 = table[5]
    assert row5[3] == "外部結合、\n業務委託"
    assert row5[4] == "2月13日"


def test_header_block_title_sentence_and_notes(docx_path):
    doc = docx.Document(str(docx_path))
    texts = [t for t in (p_text(p) for p in body_paragraphs(doc)) if t]
    before_table = texts[:texts.index("１　個人情報保護管理運営会議における審議案件及び結果") + 1]
    assert before_table[:4] == ["新宿区情報公開・個人情報保護審議会資料", "（資料１）", "令和7年7月3日",
                                "総合政策部区政情報課"]
    assert "令和６年度及び令和７年度新宿区個人情報保護管理運営会議における審議案件について" in before_table
    assert ("　新宿区個人情報保護管理運営会議で令和7年2月から令和7年6月に審議した案件について、"
            "下記のとおり報告する。") in before_table
    assert "記" in before_table
    after = texts[len(before_table):]
    assert after[:2] == ["個人情報保護管理運営会議にて審議した案件については、区ホームページで公開する。",
                         "※各事業に係る事項の詳細については、別紙のとおり。"]
    assert "２　その他" in after


def test_word_page_is_a4_portrait(docx_path):
    section = docx.Document(str(docx_path)).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.orientation == 0


def test_list_header_repeats_and_rows_do_not_split(docx_path):
    trs = list(docx.Document(str(docx_path)).tables[0]._tbl.iter(qn("w:tr")))
    assert trs[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    assert all(tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for tr in trs)
    assert not any(tr.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None for tr in trs[1:])


# --- 別紙 -------------------------------------------------------------------------------

def test_one_detail_sheet_per_case_each_on_a_new_page(docx_path, book):
    doc = docx.Document(str(docx_path))
    paragraphs = body_paragraphs(doc)
    texts = [p_text(p) for p in paragraphs]
    breaks = [p.find(qn("w:pPr")).find(qn("w:pageBreakBefore")) is not None for p in paragraphs]
    annex = texts.index("（別紙）")
    assert breaks[annex]
    expected = [f"{c['title']}（№{dates.full_width_digits(c['no'])}）" for c in reference_cases()]
    headings = [i for i, t in enumerate(texts) if re.search(r"（№[０-９]+）$", t)]
    shown = [texts[i] for i in headings]
    # the register keeps one title per case, the list's: the 4 cases whose 別紙 had another title
    # (№19, 26, 36, 39; kept in 備考) are headed with the list's title too
    assert len(shown) == 41
    assert shown == expected
    assert [c["no"] for c in reference_cases() if not c["title_matches_sheet"]] == [19, 26, 36, 39]
    assert headings[0] == annex + 1
    assert all(breaks[i] for i in headings[1:])
    assert len(doc.tables) == 42


def test_detail_sheet_labels_and_content(docx_path):
    doc = docx.Document(str(docx_path))
    sheet = grid(doc.tables[5])  # №５: two 区分, three parts in 事業内容
    labels = [fold(r[0]) for r in sheet]
    assert labels == ["事業名", "担当課", "区分", "目的", "対象者", "事業内容", "個人情報の流れ及び情報保護対策"]
    values = dict(zip(labels, (r[1] for r in sheet)))
    ref = reference_cases()[4]
    assert fold(values["事業名"]) == fold(ref["business_name"])
    assert values["区分"] == "外部結合、業務委託"
    content = values["事業内容"]
    assert [line for line in content.split("\n") if re.match(r"^[１-３]　", line)] == [
        "１　概要", "２　外部結合、業務委託の付議内容", "３　対象者"]
    assert fold(ref["overview"]) in fold(content) and fold(ref["subject_count"]) in fold(content)
    assert values["個人情報の流れ及び情報保護対策"] == "別紙のとおり"
    # a case without 対象者数 has two parts only
    first = dict((fold(r[0]), r[1]) for r in grid(doc.tables[1]))
    assert "３　" not in first["事業内容"] and "２　外部結合の付議内容" in first["事業内容"]


def test_label_column_is_shaded_and_evenly_spread(docx_path):
    table = docx.Document(str(docx_path)).tables[1]._tbl
    trs = list(table.iter(qn("w:tr")))
    assert len(trs) == 7  # 事業名 … 個人情報の流れ及び情報保護対策
    for tr in trs:
        label = next(tr.iter(qn("w:tc")))
        assert label.find(qn("w:tcPr")).find(qn("w:shd")) is not None
        assert label.find(qn("w:p")).find(qn("w:pPr")).find(qn("w:jc")).get(qn("w:val")) == "distribute"


# --- wording that follows the period ----------------------------------------------------

def test_title_and_sentence_follow_the_period(book):
    lay = layout.load()
    one = cases.build(book.cases, book.settings, dt.date(2025, 4, 1), dt.date(2025, 4, 30), REPORT_DATE, lay)
    texts = [b.text for b in one.sheets[0].blocks if hasattr(b, "text")]
    assert "令和７年度新宿区個人情報保護管理運営会議\nにおける審議案件について" in texts
    assert "　新宿区個人情報保護管理運営会議で令和7年4月に審議した案件について、下記のとおり報告する。" in texts
    rows = one.sheets[0].blocks[8].rows
    assert [r[4] for r in rows] == ["4月18日"] * 7
    assert cases.years_text(dt.date(2023, 5, 1), dt.date(2025, 6, 1), "及び") == "令和５年度、令和６年度及び令和７年度"


def test_settings_drive_the_names(book):
    settings = dict(book.settings, council_name="港区情報公開審議会", department="総務部区政課",
                    committee_name="港区運営会議", document_no="資料３")
    report = cases.build(book.cases, settings, FROM, TO, REPORT_DATE, layout.load())
    texts = [b.text for b in report.sheets[0].blocks if hasattr(b, "text")]
    assert texts[:4] == ["港区情報公開審議会資料", "（資料３）", "令和7年7月3日", "総務部区政課"]
    assert any(t.startswith("令和６年度及び令和７年度港区運営会議") for t in texts)


# --- Excel --------------------------------------------------------------------------------

def test_excel_list_and_annex(xlsx_path):
    wb = openpyxl.load_workbook(xlsx_path)
    lay = layout.load()["cases"]
    ws = wb[lay["list"]["sheet"]]
    rows = [["" if c.value is None else str(c.value) for c in r][:6] for r in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[0] == "№")
    assert folded(rows[start + 1:start + 42]) == folded(reference_list())
    assert ws.print_title_rows.replace("$", "") == f"{start + 1}:{start + 1}"
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    assert ws.cell(row=start + 2, column=1).value == 1  # № is a number, not text
    annex = wb[lay["annex"]["sheet"]]
    assert len(annex.row_breaks.brk) == 40  # a page per case
    labels = [annex.cell(row=r, column=1).value for r in range(1, annex.max_row + 1)]
    assert labels.count(schema.case().header("business_name")) == 41


# --- LibreOffice ----------------------------------------------------------------------------

@needs_soffice
@pytest.mark.parametrize("suffix", ["docx", "xlsx"])
def test_libreoffice_converts_the_export(suffix, docx_path, xlsx_path, tmp_path):
    made = pdf.convert({"docx": docx_path, "xlsx": xlsx_path}[suffix], tmp_path)
    assert made.read_bytes()[:5] == b"%PDF-" and made.stat().st_size > 10_000
    import subprocess

    text = fold(subprocess.run(["pdftotext", str(made), "-"], capture_output=True, text=True, check=True).stdout)
    for words in ("新宿区情報公開・個人情報保護審議会資料", "における審議案件について", "（別紙）", "（№１）", "（№４１）"):
        assert words in text, words


@needs_soffice
def test_pdf_has_a_page_per_detail_sheet(book, tmp_path):
    out = api.export_cases(book, FROM, TO, tmp_path / "cases.pdf", report_date=REPORT_DATE)
    import subprocess

    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2 + 41
    text = subprocess.run(["pdftotext", "-f", "3", "-l", "3", str(out), "-"], capture_output=True, text=True).stdout
    assert "（別紙）" in text and "（№１）" in text


# --- bad input ----------------------------------------------------------------------------

def test_period_without_cases_is_refused_in_japanese(book, tmp_path):
    # the period is checked by the use case that both the button and the CLI call (xlkit.tasks)
    with pytest.raises(XlkitError) as err:
        tasks.export_cases(book, tmp_path / "x.docx", date_from=dt.date(2030, 1, 1), date_to=dt.date(2030, 3, 31))
    assert err.value.exit_code == 2 and "審議案件は登録簿にありません" in err.value.message
    with pytest.raises(XlkitError) as err:
        tasks.export_cases(book, tmp_path / "x.docx", date_from=TO, date_to=FROM)
    assert "より後です" in err.value.message
    assert not list(tmp_path.iterdir())


def test_default_name():
    assert api.default_cases_name(FROM, TO) == "審議案件について_令和7年2月～令和7年6月"
    assert api.default_cases_name(FROM, dt.date(2025, 2, 28)) == "審議案件について_令和7年2月"
