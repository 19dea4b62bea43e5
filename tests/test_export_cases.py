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

from xlkit import dates, schema, tasks, widths
from xlkit.errors import XlkitError
from xlkit.export import api, cases, layout, pdf
from xlkit.export.docx_fast import mm_to_twips
from xlkit.export.model import Para, Picture, Table
from support import REPO, SAMPLE, fold, folded, needs_soffice, said
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


def annex_blocks(report) -> list:
    """The blocks of every sheet after the list: the 別紙, and the 外部提供 sheets between them."""
    return [b for sheet in report.sheets[1:] for b in sheet.blocks]


def starts_page(paragraphs, i: int) -> bool:
    """Paragraph i starts a page: a page break before it, or the section before it ends there
    (a section break starts a new page)."""
    ppr = paragraphs[i].find(qn("w:pPr"))
    if ppr is not None and ppr.find(qn("w:pageBreakBefore")) is not None:
        return True
    before = paragraphs[i].getprevious()
    return before is not None and before.find(qn("w:pPr")) is not None \
        and before.find(qn("w:pPr")).find(qn("w:sectPr")) is not None


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


def test_header_lines_are_spread_by_position_never_to_a_negative_width():
    """Lines that read alike get the same width; an empty one none (it was given minus one gap)."""
    lay = layout.load()
    council = "新宿区情報公開・個人情報保護審議会資料"
    spread = cases._spread_widths([council, "令和7年7月3日", council, ""], 105, lay)
    assert spread[0] == 105 and spread[2] == pytest.approx(105) and spread[1] < 105
    assert spread[3] == 0


def test_header_block_is_spread_evenly_at_the_right(book, docx_path, xlsx_path):
    """審議会名 in its box spread evenly (均等割付) over header_width_mm against the right margin, as
    the 資料 prints 「新 宿 区 … 資 料」, and the date and the 所管課 spread with the same space between
    characters (「令 和 7 年 …」), so narrower; the （資料１） line between them keeps to the right."""
    lay = layout.load()["cases"]
    width = lay["header_width_mm"]
    assert 100 <= width <= 110  # the reference's box line: about 105 mm of the 170 mm text width
    blocks = cases.build(book.cases, book.settings, FROM, TO, REPORT_DATE, layout.load()).sheets[0].blocks
    council, number, date, division = blocks[:4]
    assert (council.text, date.text, division.text) == ("新宿区情報公開・個人情報保護審議会資料", "令和7年7月3日", "総合政策部区政情報課")
    assert [b.align for b in (council, date, division)] == ["distribute"] * 3 and council.width_mm == width
    em = layout.load()["sizes_pt"]["body"] * 25.4 / 72

    def gap(p):  # the space between two characters, in mm
        return (p.width_mm - widths.EM.measure(p.text) * em) / (len(p.text) - 1)
    assert date.width_mm < division.width_mm < width
    assert gap(date) == pytest.approx(gap(council)) and gap(division) == pytest.approx(gap(council))
    assert council.box and not date.box and (number.align, number.width_mm) == ("right", None)
    # Word: indented from the left by the rest of the text width, justified to both ends
    text_width = 210 - lay["margins_mm"]["left"] - lay["margins_mm"]["right"]
    paragraphs = body_paragraphs(docx.Document(str(docx_path)))[:4]
    for k, p in enumerate(paragraphs):
        ppr = p.find(qn("w:pPr"))
        ind, jc = ppr.find(qn("w:ind")), ppr.find(qn("w:jc")).get(qn("w:val"))
        if k == 1:
            assert jc == "right" and ind is None
        else:
            spread = {0: council, 2: date, 3: division}[k]
            assert jc == "distribute" and int(ind.get(qn("w:left"))) == mm_to_twips(text_width - spread.width_mm)
        assert (ppr.find(qn("w:pBdr")) is not None) == (k == 0)
    # Excel: merged over the right-most columns whose widths come closest to the width
    columns = [c["width_mm"] for c in lay["list"]["columns"]]
    ws = openpyxl.load_workbook(xlsx_path)[lay["list"]["sheet"]]
    for row, para in ((1, council), (3, date), (4, division)):
        take = min(range(1, len(columns) + 1), key=lambda k: abs(sum(columns[-k:]) - para.width_mm))
        merged = next(r for r in ws.merged_cells.ranges if r.min_row == row)
        assert (merged.min_col, merged.max_col) == (len(columns) - take + 1, len(columns))
        assert ws.cell(row=row, column=merged.min_col).alignment.horizontal == "distributed"
    take = min(range(1, len(columns) + 1), key=lambda k: abs(sum(columns[-k:]) - width))
    assert ws.cell(row=1, column=len(columns) - take + 1).border.left.style == "thin"


@needs_soffice
def test_header_block_prints_spread_over_its_width(docx_path, tmp_path):
    """On the PDF's first page each of the three lines ends at the right margin, its characters
    evenly spaced and as far apart as in the others; the boxed line is header_width_mm wide."""
    import subprocess

    lay = layout.load()["cases"]
    made = pdf.convert(docx_path, tmp_path)
    boxes = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(made), "-"],
                           capture_output=True, text=True, check=True).stdout
    words = [(float(x0), float(y0), float(x1), w) for x0, y0, x1, w in
             re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', boxes)]
    mm = 25.4 / 72
    right = 210 - lay["margins_mm"]["right"]
    spacing = []
    for line in ("新宿区情報公開・個人情報保護審議会資料", "令和7年7月3日", "総合政策部区政情報課"):
        rows = {round(y0): sorted((x0, x1, w) for x0, y1, x1, w in words if abs(y1 - y0) < 1)
                for _, y0, _, _ in words if y0 < 200}
        found = next(r for r in rows.values() if "".join(w for _, _, w in r) == line)
        # pdftotext joins characters set close together into one word (LibreOffice sets 「令和」
        # a little closer than the rest): most characters stand alone
        assert len(found) >= len(line) - 2, found
        assert found[-1][1] * mm == pytest.approx(right, abs=1)
        if not spacing:
            assert (found[-1][1] - found[0][0]) * mm == pytest.approx(lay["header_width_mm"], abs=1.5)
        gaps = [b[0] - a[1] for a, b in zip(found, found[1:])]
        assert max(gaps) - min(gaps) < 8  # even: half-width digits leave the only difference
        spacing.append(sorted(gaps)[len(gaps) // 2] * mm)
    assert max(spacing) - min(spacing) < 1.5  # the same space between characters in all three


# --- 別紙 -------------------------------------------------------------------------------

def test_provision_pages_are_a_landscape_section_and_the_page_numbers_run_on(docx_path):
    """№29's 外部提供 table is a landscape section between portrait ones; every section has the
    page-number footer and none restarts the numbering."""
    doc = docx.Document(str(docx_path))
    shapes = [(s.orientation, round(s.page_width.mm), round(s.page_height.mm)) for s in doc.sections]
    assert shapes == [(0, 210, 297), (1, 297, 210), (0, 210, 297)]
    for section in doc.sections:
        sect_pr = section._sectPr
        assert sect_pr.find(qn("w:footerReference")) is not None
        number = sect_pr.find(qn("w:pgNumType"))
        assert number is None or number.get(qn("w:start")) is None
        assert [round(getattr(section, f"{side}_margin").mm) for side in ("top", "bottom", "left", "right")] == \
            [20, 18, 20, 20]
    # the landscape section holds the 外部提供 table and nothing else; №30 opens the next one
    paragraphs = body_paragraphs(doc)
    ends = [i for i, p in enumerate(paragraphs) if p.find(qn("w:pPr")) is not None
            and p.find(qn("w:pPr")).find(qn("w:sectPr")) is not None]
    texts = [p_text(p) for p in paragraphs]
    assert len(ends) == 2 and texts[ends[0]] == "" and texts[ends[1]] == ""
    landscape = [fold(t) for t in texts[ends[0] + 1:ends[1] + 1] if t]
    assert landscape[0].endswith("外部提供について") and landscape[-1] == fold("１　　外部提供について（10件）")
    assert fold(next(t for t in reversed(texts[:ends[0]]) if "（№" in t)).endswith("（№２９）")
    assert fold(next(t for t in texts[ends[1] + 1:] if t)).endswith("（№３０）")
    # the section break starts the page: no page break as well (it would leave a blank page)
    assert paragraphs[ends[0] + 1].find(qn("w:pPr")).find(qn("w:pageBreakBefore")) is None
    assert paragraphs[ends[1] + 1].find(qn("w:pPr")).find(qn("w:pageBreakBefore")) is None
    # the table is laid out for the landscape text width
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "No.")
    widths = [int(g.get(qn("w:w"))) for g in table._tbl.find(qn("w:tblGrid")).iter(qn("w:gridCol"))]
    assert sum(widths) == pytest.approx(mm_to_twips(297 - 40), abs=10)

def test_one_detail_sheet_per_case_each_on_a_new_page(docx_path, book):
    doc = docx.Document(str(docx_path))
    paragraphs = body_paragraphs(doc)
    texts = [p_text(p) for p in paragraphs]
    breaks = [p.find(qn("w:pPr")).find(qn("w:pageBreakBefore")) is not None for p in paragraphs]
    annex = texts.index("（別紙）")
    assert breaks[annex]
    chosen = cases.in_period(book.cases, FROM, TO)
    expected = [f"{c.get('sheet_title') or c.get('title')}（№{dates.full_width_digits(c.get('no'))}）" for c in chosen]
    headings = [i for i, t in enumerate(texts) if re.search(r"（№[０-９]+）$", t)]
    shown = [texts[i] for i in headings]
    # a 別紙 is headed with 別紙の件名 where the register has one (№19, 26, 36, 39 of the sample),
    # else with the list's title; tests/test_cases_fidelity.py holds all 41 against the published text
    assert len(shown) == 41
    assert shown == expected
    assert [c.get("no") for c in chosen if c.get("sheet_title") and c.get("sheet_title") != c.get("title")] == [19, 26, 36, 39]
    assert headings[0] == annex + 1
    assert all(starts_page(paragraphs, i) for i in headings[1:])
    assert len(doc.tables) == 1 + 41 + 1  # the list, one 別紙 each, №29's 外部提供


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
    # the 別紙 on portrait sheets, №29's 外部提供 table on a landscape one between them
    assert wb.sheetnames == [lay["list"]["sheet"], lay["annex"]["sheet"], "外部提供（№29）", "別紙（№30～41）"]
    column_a, headings = {}, []
    for name in (lay["annex"]["sheet"], "別紙（№30～41）"):
        annex = wb[name]
        assert annex.page_setup.orientation == "portrait"
        # a page per case (the writer may add more breaks, to keep a row whole)
        breaks = {b.id for b in annex.row_breaks.brk}  # a break after row `id`
        texts = {r: fold(annex.cell(row=r, column=1).value) for r in range(1, annex.max_row + 1)}
        mine = [r for r, text in texts.items() if re.search(r"（№[０-９]+）$", text)]
        assert all(r - 1 in breaks for r in mine[1:])
        headings += [texts[r] for r in mine]
        column_a.update({(name, r): t for r, t in texts.items()})
    assert len(headings) == 41 and headings[29].endswith("（№３０）")
    provisions = wb["外部提供（№29）"]
    assert provisions.page_setup.orientation == "landscape" and provisions.page_setup.paperSize == 9
    assert fold(provisions.cell(row=1, column=1).value).endswith("外部提供について")
    assert not any(text.endswith("外部提供について") for text in column_a.values())
    annex = wb[lay["annex"]["sheet"]]
    labels = [ws.cell(row=r, column=1).value for ws in (annex, wb["別紙（№30～41）"]) for r in range(1, ws.max_row + 1)]
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
    assert pages >= 2 + 41 + 1  # the list, a page per 別紙, №29's 外部提供 table
    texts = [fold(subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(out), "-"],
                                 capture_output=True, text=True).stdout) for n in range(1, pages + 1)]
    first = next(n for n, t in enumerate(texts, start=1) if "（№１）" in t)
    assert "（別紙）" in texts[first - 1]
    # №1's flow diagram is drawn on its 別紙 (or the page after, when the table leaves no room)
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    on_pages = [int(line.split()[0]) for line in images.splitlines()[2:]]
    assert len(on_pages) == 1 and on_pages[0] in (first, first + 1)
    # №29's 外部提供 table starts a page after its 別紙, its header on each of its pages
    sheet29 = next(n for n, t in enumerate(texts, start=1) if "（№２９）" in t)
    table = next(n for n, t in enumerate(texts, start=1) if "外部提供について（10件）" in t)
    assert table > sheet29 and "（№２９）" not in texts[table - 1]
    sheet30 = next(n for n, t in enumerate(texts, start=1) if "（№３０）" in t)
    header = fold(schema.provision().header("reason"))
    assert sheet30 > table and all(header in texts[n - 1] for n in range(table, sheet30))
    # the 外部提供 pages are landscape, as the 資料 prints them; every other page is portrait
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(out)], capture_output=True, text=True).stdout
    wide = [int(n) for n, w, h in re.findall(r"Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)", sizes) if float(w) > float(h)]
    assert wide == list(range(table, sheet30))
    # the page numbers run on through the section breaks: - 1 - … - N -
    numbers = [re.findall(r"-(\d+)-", t) for t in texts]  # folded: 「- 12 -」 is 「-12-」
    assert [int(found[-1]) if found else None for found in numbers] == list(range(1, pages + 1))


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


# --- per-case wording of the 別紙 ------------------------------------------------------------

def _with(record, **values):
    """A copy of `record` with `values` typed into it (None blanks a cell)."""
    changed = dict(record.values, **values)
    return type(record)(record.sheet, record.row, {k: v for k, v in changed.items() if v is not None},
                        dict(record.raw), dict(record.letters))


def _annex_of(report, no: int):
    """(heading Para, 別紙 Table, the blocks up to the next case's heading) of case `no`."""
    blocks = annex_blocks(report)
    mark = f"（№{dates.full_width_digits(no)}）"
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Para) and b.text.replace("\n", "").endswith(mark))
    end = next((i for i in range(at + 1, len(blocks)) if isinstance(blocks[i], Para)
                and re.search(r"（№[０-９]+）$", blocks[i].text)), len(blocks))
    return blocks[at], blocks[at + 1], blocks[at + 2:end]


def test_annex_takes_its_own_title_divisions_and_item_label(book):
    case = next(c for c in book.cases if c.get("no") == 2)
    changed = _with(case, sheet_title="別紙だけの件名について", sheet_divisions=["税務課"], count_heading="対象者数")
    report = cases.build([changed], book.settings, FROM, TO, REPORT_DATE, layout.load())
    heading, table, _ = _annex_of(report, 2)
    assert heading.text == "別紙だけの件名について（№２）"
    values = {fold(r[0]): r[1] for r in table.rows}
    assert values["担当課"] == "税務課"
    assert "３　対象者数\n" in values["事業内容"]
    # the list keeps the list's wording
    assert report.sheets[0].blocks[8].rows[0][1:3] == [case.get("title"), "税務課、医療保険年金課"]
    # blank: the list's title and 課, and 「３　対象者」
    plain = _with(case, sheet_title=None, sheet_divisions=None, count_heading=None)
    heading, table, _ = _annex_of(cases.build([plain], book.settings, FROM, TO, REPORT_DATE, layout.load()), 2)
    values = {fold(r[0]): r[1] for r in table.rows}
    assert heading.text.replace("\n", "") == f"{case.get('title')}（№２）"
    assert values["担当課"] == "税務課、医療保険年金課" and "３　対象者\n" in values["事業内容"]
    # no 対象者数: no item ３, whatever its label
    none = _with(case, count_heading="対象者数", subject_count=None)
    _, table, _ = _annex_of(cases.build([none], book.settings, FROM, TO, REPORT_DATE, layout.load()), 2)
    assert "３　" not in {fold(r[0]): r[1] for r in table.rows}["事業内容"]


def test_other_note_prints_under_section_2(book):
    lay = layout.load()
    texts = [b.text for b in cases.build(book.cases, book.settings, FROM, TO, REPORT_DATE, lay).sheets[0].blocks
             if isinstance(b, Para)]
    assert texts[-1] == "２　その他"  # as published: the heading alone
    settings = dict(book.settings, other_note="次回の審議会は令和7年9月に開催予定です。\n資料は事前に送付します。")
    texts = [b.text for b in cases.build(book.cases, settings, FROM, TO, REPORT_DATE, lay).sheets[0].blocks
             if isinstance(b, Para)]
    assert texts[-3:] == ["２　その他", "　次回の審議会は令和7年9月に開催予定です。", "　資料は事前に送付します。"]


# --- 外部提供 ------------------------------------------------------------------------------------

def test_provision_table_orders_numbers_and_words_its_rows(book):
    case = next(c for c in book.cases if c.get("no") == 29)
    mine = [p for p in book.provisions if (p.get("fiscal_year"), p.get("case_no")) == (2025, 29)]
    assert len(mine) == 10
    shuffled = [_with(p) for p in reversed(mine)]
    for n, p in enumerate(shuffled):
        p.row = 100 + n  # typed in reverse order: the table still follows 外部提供の時期
    report = cases.build([case], book.settings, FROM, TO, REPORT_DATE, layout.load(), provisions=shuffled)
    _, _, after = _annex_of(report, 29)
    title, period, heading, table = after
    assert title.page_break_before and title.keep_with_next and period.keep_with_next and heading.keep_with_next
    assert heading.text == "１　　外部提供について（10件）"
    header = table.header[0]
    reg = schema.provision()
    assert [h.replace("\n", "") for h in header] == ["No."] + [reg.header(k) for k in
                                                            ("reason", "persons", "items", "method", "provided_on", "recipient")]
    # broken where the 資料 breaks them, not where the column ends
    assert header[2] == "外部提供を行った\n個人の範囲" and header[6] == "外部提供を\n受けたもの\nの名称"
    assert [r[0] for r in table.rows] == [str(n) for n in range(1, 11)]
    assert [r[5] for r in table.rows][:2] == ["令和6年6月5日", "令和6年7月18日"]
    # two provisions on one day keep their sheet order
    same_day = [r for r in table.rows if r[5] == "令和7年2月12日"]
    assert len(same_day) == 2 and [r[0] for r in same_day] == ["8", "9"]
    # on a landscape sheet of its own, as wide as its text width (A4 less 20 mm each side)
    sheet = next(sh for sh in report.sheets if table in sh.blocks)
    assert sheet.orientation == "landscape" and sheet.name == "外部提供（№29）"
    assert sum(c.width_mm for c in table.columns) == pytest.approx(297 - 40)
    # provisions of a case outside the period, or of another year's №29, are not printed
    other = [_with(p, fiscal_year=2024) for p in mine]
    report = cases.build([case], book.settings, FROM, TO, REPORT_DATE, layout.load(), provisions=other)
    assert not [b for b in _annex_of(report, 29)[2] if isinstance(b, Table)]


def test_provision_sheets_have_names_excel_accepts(book):
    """Two cases of one № (different 年度), each with its 外部提供: every worksheet name unique."""
    case = next(c for c in book.cases if c.get("no") == 29)
    earlier = _with(case, fiscal_year=2024)
    earlier.row = case.row + 1000
    mine = [p for p in book.provisions if (p.get("fiscal_year"), p.get("case_no")) == (2025, 29)]
    theirs = [_with(p, fiscal_year=2024) for p in mine]
    sheets = cases.annex_sheets([case, earlier], layout.load(), provisions=mine + theirs)
    assert [s.name for s in sheets] == ["別紙", "外部提供（№29）", "別紙（№29）", "外部提供（№29）（2）"]
    assert [s.orientation for s in sheets] == [None, "landscape", None, "landscape"]
    # a 別紙 sheet after a 外部提供 one names its cases, the last 外部提供 ends the run
    assert all(len(s.name) <= 31 for s in sheets)


def test_provision_title_and_period_default_from_the_dates(book):
    case = _with(next(c for c in book.cases if c.get("no") == 29), provision_title=None, provision_period=None)
    mine = [p for p in book.provisions if p.get("case_no") == 29]
    title, period, *_ = _annex_of(cases.build([case], book.settings, FROM, TO, REPORT_DATE, layout.load(),
                                              provisions=mine), 29)[2]
    assert title.text == f"令和６年度　{case.get('business_name')}"
    assert period.text == "令和６年４月１日から令和７年３月３１日まで"
    # provisions over two 年度: both named, the period spans them
    later = mine + [_with(mine[0], provided_on=dt.date(2025, 5, 1))]
    title, period, heading, _ = _annex_of(cases.build([case], book.settings, FROM, TO, REPORT_DATE, layout.load(),
                                                      provisions=later), 29)[2]
    assert title.text.startswith("令和６年度及び令和７年度　")
    assert period.text == "令和６年４月１日から令和８年３月３１日まで"
    assert heading.text == "１　　外部提供について（11件）"
    # typed ones win
    typed = _with(case, provision_title="令和６年度の外部提供", provision_period="通年")
    title, period, *_ = _annex_of(cases.build([typed], book.settings, FROM, TO, REPORT_DATE, layout.load(),
                                              provisions=mine), 29)[2]
    assert (title.text, period.text) == ("令和６年度の外部提供", "通年")


# --- 添付ファイル --------------------------------------------------------------------------------

@pytest.fixture()
def attached_register(tmp_path):
    """The sample in a folder of its own, its 添付ファイル folder holding 流れ図_№1.png."""
    import shutil

    shutil.copyfile(SAMPLE, tmp_path / "sample.xlsx")
    shutil.copytree(SAMPLE.parent / "添付ファイル", tmp_path / "添付ファイル")
    return tmp_path / "sample.xlsx"


def test_attached_picture_sits_under_its_annex_scaled_to_the_page(attached_register):
    book = load(attached_register)
    lay = layout.load()
    chosen = cases.in_period(book.cases, FROM, TO)
    attached = api._attached(chosen, book.path, lay, False, "資料")
    report = cases.build(book.cases, book.settings, FROM, TO, REPORT_DATE, lay, attached=attached)
    _, table, after = _annex_of(report, 1)
    assert len(after) == 1 and isinstance(after[0], Picture)
    picture = after[0]
    assert picture.name == "流れ図_№1.png" and picture.png[:8] == b"\x89PNG\r\n\x1a\n"
    box_w, box_h = cases.picture_box_mm(lay)
    assert box_w == 170 and 0 < box_h < 297 - 20 - 18
    assert picture.width_mm <= box_w + 1e-6 and picture.height_mm <= box_h + 1e-6
    assert max(picture.width_mm / box_w, picture.height_mm / box_h) == pytest.approx(1)  # as large as fits
    assert sum(isinstance(b, Picture) for b in annex_blocks(report)) == 1


def test_missing_attachment_refuses_the_export_listing_it(attached_register, tmp_path):
    (attached_register.parent / "添付ファイル" / "流れ図_№1.png").unlink()
    book = load(attached_register)
    with pytest.raises(XlkitError) as err:
        api.export_cases(book, FROM, TO, tmp_path / "out.docx", report_date=REPORT_DATE)
    message = said(err.value)
    case = next(c for c in book.cases if c.get("no") == 1)
    assert f"審議案件!{case.cell('attachment')}「流れ図_№1.png」" in message and "1 件" in message
    assert not (tmp_path / "out.docx").exists()
    # forced: a line says what could not be printed, in the picture's place
    chosen = cases.in_period(book.cases, FROM, TO)
    attached = api._attached(chosen, book.path, layout.load(), True, "資料")
    report = cases.build(book.cases, book.settings, FROM, TO, REPORT_DATE, layout.load(), attached=attached)
    _, _, after = _annex_of(report, 1)
    assert len(after) == 1 and isinstance(after[0], Para)
    assert after[0].text.startswith("（添付ファイル「流れ図_№1.png」を載せられませんでした：見つかりません")


def test_each_attachment_is_decoded_once_however_many_the_period_holds(attached_register, monkeypatch):
    """More pictures than xlkit.attachments remembers (32): checking all and then loading all would
    decode (render, for a PDF) each twice. The export reads each file once."""
    from support.images import image_bytes
    from xlkit import attachments
    folder = attached_register.parent / "添付ファイル"
    book = load(attached_register)
    chosen = cases.in_period(book.cases, FROM, TO)
    names = []
    for n, record in enumerate(chosen):
        record.values["attachment"] = f"図{n}_a.png\n図{n}_b.png"
        for name in (f"図{n}_a.png", f"図{n}_b.png"):
            (folder / name).write_bytes(image_bytes("PNG", (40 + n, 30)))
            names.append(name)
    assert len(names) > attachments._CACHED
    monkeypatch.setattr(attachments, "_cache", {})
    decoded = []
    real = attachments._read
    monkeypatch.setattr(attachments, "_read", lambda name, *a: decoded.append(name) or real(name, *a))
    attached = api._attached(chosen, book.path, layout.load(), False, "資料")
    assert sorted(decoded) == sorted(names)
    assert sum(isinstance(p, Picture) for pictures in attached.values() for _, p in pictures) == len(names)


def test_the_sample_picture_is_placed_in_word_and_excel(docx_path, xlsx_path):
    """workbooks/添付ファイル/流れ図_№1.png, named by №1's 添付ファイル, follows №1's 別紙 table."""
    doc = docx.Document(str(docx_path))
    body = list(doc.element.body.iterchildren())
    drawings = [i for i, child in enumerate(body) if child.find(".//" + qn("w:drawing")) is not None]
    assert len(drawings) == 1
    tables = [i for i, child in enumerate(body) if child.tag == qn("w:tbl")]
    assert tables[1] < drawings[0] < tables[2]  # after №1's 別紙, before №2's
    annex = openpyxl.load_workbook(xlsx_path)[layout.load()["cases"]["annex"]["sheet"]]
    assert len(annex._images) == 1


def test_provision_with_an_unreadable_date_is_printed_last_as_typed(book):
    case = next(c for c in book.cases if c.get("no") == 29)
    mine = [p for p in book.provisions if p.get("case_no") == 29]
    bad = _with(mine[0], provided_on=None)
    bad.raw["provided_on"] = "R6.13.1"
    bad.row = 1  # above the others on the sheet: still after every dated one
    table = _annex_of(cases.build([case], book.settings, FROM, TO, REPORT_DATE, layout.load(),
                                  provisions=[bad, *mine]), 29)[2][-1]
    assert [r[0] for r in table.rows] == [str(n) for n in range(1, 12)]
    assert table.rows[-1][5] == "R6.13.1" and table.rows[0][5] == "令和6年6月5日"


def test_forced_export_prints_a_line_in_place_of_a_missing_picture(attached_register, tmp_path):
    """Staff who go on past the refusal (--force, or 「はい」 in the dialog) get the 資料 with a line
    where the picture would be: never a silent gap."""
    (attached_register.parent / "添付ファイル" / "流れ図_№1.png").unlink()
    book = load(attached_register)
    asked = []
    written = tasks.export_cases(book, tmp_path / "out.docx", date_from=FROM, date_to=TO, report_date=REPORT_DATE,
                                 confirm=lambda question: asked.append(said(question)) or True)
    assert any("流れ図_№1.png" in q for q in asked)
    doc = docx.Document(str(written.path))
    texts = [p_text(p) for p in body_paragraphs(doc)]
    at = texts.index(next(t for t in texts if t.endswith("（№１）")))
    line = next(t for t in texts[at:] if t.startswith("（添付ファイル「流れ図_№1.png」"))
    assert "載せられませんでした" in line and texts.index(line) < texts.index(next(t for t in texts if t.endswith("（№２）")))
    assert not any(child.find(".//" + qn("w:drawing")) is not None for child in doc.element.body.iterchildren())
