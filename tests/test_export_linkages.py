"""「外部電子計算機との結合の状況」 export: the reference's tables reproduced cell for cell,
the Word structure (landscape, repeated header, rows not split, East Asian fonts), the
Excel version, and the LibreOffice round trip."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from xlkit import schema, tasks
from xlkit.errors import XlkitError
from xlkit.export import api, layout, linkages, pdf
from support import SAMPLE, fold, folded, needs_soffice
from xlkit.records import Book
from xlkit.workbook.reader import load

REFERENCE = Path(__file__).resolve().parent / "reference" / "003_36beb941d6b64d21.txt"
LINKAGE = schema.linkage()



# --- the reference, as expected values ------------------------------------------------

def reference_text() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def reference_summary() -> list[list[str]]:
    """Table (1): the long-label header, the letters row, 5 bodies and 合計."""
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("件数 実施機関\t"))
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(line.split("\t"))
    return rows


def reference_new() -> tuple[list[str], list[list[str]]]:
    """Table (2): its header (printed again on every page) and the 22 rows."""
    lines = reference_text().splitlines()
    header = next(line.split("\t") for line in lines if line.startswith("No.\t"))
    rows = [line.split("\t") for line in lines if re.match(r"^\d+\t", line)]
    return header, rows


@pytest.fixture(scope="module")
def book() -> Book:
    """The sample register: the issue's proof is that it reproduces the reference."""
    return load(SAMPLE)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("linkages")


@pytest.fixture(scope="module")
def docx_path(book, out_dir) -> Path:
    return api.export_linkages(book, 2020, out_dir / "linkages.docx")


@pytest.fixture(scope="module")
def xlsx_path(book, out_dir) -> Path:
    return api.export_linkages(book, 2020, out_dir / "linkages.xlsx")


# --- reading the Word file back -------------------------------------------------------

def cell_text(tc) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))


def grid(table) -> list[list[str]]:
    """Each w:tc's own text (a vertically merged continuation cell reads as empty)."""
    return [[cell_text(tc) for tc in tr.iter(qn("w:tc"))] for tr in table._tbl.iter(qn("w:tr"))]


# --- (1), (2), (3) reproduced ------------------------------------------------------------

def test_summary_table_reproduces_the_reference(docx_path):
    doc = docx.Document(str(docx_path))
    expected = reference_summary()
    # the extraction drops the letters row's empty edge cells: pad to the table's 6 columns
    expected = [row + [""] * (6 - len(row)) for row in expected]
    assert folded(grid(doc.tables[0])) == folded(expected)
    paragraphs = [fold(p.text) for p in doc.paragraphs]
    assert fold("※本人同意に基づく外部結合を除く。") in paragraphs
    assert fold("(1) 実施機関別外部電子計算機との結合件数") in paragraphs


def test_new_linkages_table_reproduces_the_reference(docx_path):
    doc = docx.Document(str(docx_path))
    header, rows = reference_new()
    table = grid(doc.tables[1])
    assert folded(table[:1]) == folded([header])
    assert len(table) - 1 == 22
    # every row as printed (numbers aside), then their order
    assert sorted(map(tuple, folded(r[1:] for r in table[1:]))) == sorted(map(tuple, folded(r[1:] for r in rows)))
    assert folded(table[1:]) == folded(rows)
    # spot checks that folding cannot blur: the ○ marks, a padded date and the late one
    assert [r[0] for r in table[1:] if r[6] == "○"] == ["4", "8", "9", "13", "16"]
    assert table[3][9] == "R2. 8. 1"
    assert table[17][9] == "H18. 6. 1 記載漏れ"
    assert fold("(2)新たに外部計算機との結合を行った外部結合の内訳") in [fold(p.text) for p in doc.paragraphs]


def test_no_ended_linkages_says_so_under_the_parenthetical(docx_path):
    doc = docx.Document(str(docx_path))
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    i = texts.index("(3) 外部計算機との結合を終了した外部結合の内訳")
    assert texts[i + 1:i + 3] == ["(令和元年度まで外部結合を行い、令和2年度中は外部結合を行わなかったもの)",
                                  "実績はありません。"]
    assert len(doc.tables) == 2


def _fake_figures(year, new=(), ended=()):
    rows = [SimpleNamespace(body=b, a=0, b=0, c=0, total=0, my_number=0)
            for b in [*schema.masters()["実施機関"], "合計"]]
    return SimpleNamespace(year=year, rows=rows, new=list(new), ended=list(ended))


def test_ended_linkages_are_listed_with_their_end_date(book, tmp_path):
    ended = [r for r in book.linkages if r.get("division") == "総務課"][:2]
    for n, r in enumerate(ended):
        r = ended[n] = type(r)(r.sheet, r.row, dict(r.values), r.raw, r.letters)
        r.values["end"] = dt.date(2020, 3, 31 - n)
    # one new linkage too, so that table (2) is printed and (3) can be compared with it
    report = linkages.build(_fake_figures(2020, new=ended[:1], ended=ended), layout.load())
    out = tmp_path / "ended.docx"
    api.render(report, out, layout.load())
    table = grid(docx.Document(str(out)).tables[2])
    # the header carries its deliberate line break (結合の／終了年月日), never one mid-word
    assert table[0][-1] == "結合の\n終了年月日" and fold(table[0][-1]) == LINKAGE.header("end")
    assert table[0][:-1] == grid(docx.Document(str(out)).tables[1])[0][:-1]
    assert [r[0] for r in table[1:]] == ["1", "2"]
    assert [r[-1] for r in table[1:]] == ["R2. 3.31", "R2. 3.30"]


def test_year_names_in_the_long_labels_follow_the_year():
    report = linkages.build(_fake_figures(2019), layout.load())
    table = report.sheets[0].blocks[2]
    labels = [fold(label) for label in table.header[0][1:]]  # folded: the labels carry line breaks
    assert labels[0] == "平成30年度外部電子計算機との結合数"
    assert "(平成30年度まで外部結合を行い、令和元年度中は外部結合を行わなかったもの)" in labels[2]
    assert labels[3] == "令和元年度外部電子計算機との結合数"
    # broken between words, as a reader expects: the year whole, 外部電子計算機との whole
    assert table.header[0][1].split("\n") == ["平成30年度", "外部電子計算機との結合数"]


# --- Word structure -------------------------------------------------------------------

def test_word_page_is_a4_landscape_with_page_numbers(docx_path):
    doc = docx.Document(str(docx_path))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    assert section.orientation == 1  # WD_ORIENT.LANDSCAPE
    instr = [i.text for i in section.footer._element.iter(qn("w:instrText"))]
    assert any("PAGE" in t for t in instr)


def test_word_header_rows_repeat_and_no_row_splits(docx_path):
    doc = docx.Document(str(docx_path))
    assert len(doc.tables) == 2  # zip below must not stop short
    for table, header_rows, rows in zip(doc.tables, (2, 1), (2 + 6, 1 + 22)):
        trs = list(table._tbl.iter(qn("w:tr")))
        assert len(trs) == rows
        for n, tr in enumerate(trs):
            trpr = tr.find(qn("w:trPr"))
            assert trpr.find(qn("w:cantSplit")) is not None
            assert (trpr.find(qn("w:tblHeader")) is not None) == (n < header_rows)


def test_word_widths_are_fixed_and_agree_between_grid_and_cells(docx_path):
    doc = docx.Document(str(docx_path))
    for table in doc.tables:
        tbl = table._tbl
        assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        grid_w = [int(g.get(qn("w:w"))) for g in tbl.find(qn("w:tblGrid")).iter(qn("w:gridCol"))]
        assert int(tbl.tblPr.find(qn("w:tblW")).get(qn("w:w"))) == sum(grid_w)
        for tr in tbl.iter(qn("w:tr")):
            cells = [int(tc.find(qn("w:tcPr")).find(qn("w:tcW")).get(qn("w:w"))) for tc in tr.iter(qn("w:tc"))]
            assert cells == grid_w
        borders = tbl.tblPr.find(qn("w:tblBorders"))
        assert {b.tag.split("}")[1] for b in borders} >= {"top", "left", "bottom", "right", "insideH", "insideV"}
    # the 10 detail columns fit the landscape text width (297 − 2 × 15 mm)
    assert sum(grid_w) <= round((297 - 30) * 1440 / 25.4)


def test_word_names_east_asian_fonts_in_styles_and_runs(docx_path):
    doc = docx.Document(str(docx_path))
    fonts = layout.load()["fonts"]
    styles = doc.styles.element
    default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    assert default.get(qn("w:eastAsia")) == fonts["east_asia"]
    normal = doc.styles["Normal"].element.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == fonts["east_asia"]
    lang = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "ja-JP"
    # every run names its fonts itself or through its paragraph's style
    styles_with_fonts = {
        st.get(qn("w:styleId")) for st in styles.iter(qn("w:style"))
        for rfonts in st.iter(qn("w:rFonts")) if rfonts.get(qn("w:eastAsia")) == fonts["east_asia"]
    }
    runs = 0
    for p in doc.element.body.iter(qn("w:p")):
        ppr = p.find(qn("w:pPr"))
        style = ppr.find(qn("w:pStyle")) if ppr is not None else None
        for r in p.iter(qn("w:r")):
            runs += 1
            rpr = r.find(qn("w:rPr"))
            own = rpr is not None and rpr.find(qn("w:rFonts")) is not None
            assert own or (style is not None and style.get(qn("w:val")) in styles_with_fonts)
    assert runs > 22 * 10


# --- Excel ----------------------------------------------------------------------------

def sheet_rows(ws, join_continued: bool = True) -> list[list[str]]:
    """Rows as printed: a long cell continued in the rows below (see xlsx_writer) is joined back."""
    merged_first = {}
    for rng in ws.merged_cells.ranges:
        for row in range(rng.min_row + 1, rng.max_row + 1):
            merged_first[(row, rng.min_col)] = rng.min_row
    rows: list[list[str]] = []
    starts: list[int] = []
    for r in range(1, ws.max_row + 1):
        values = ["" if c.value is None else str(c.value) for c in ws[r]]
        if join_continued and (r, 1) in merged_first and starts and merged_first[(r, 1)] == starts[-1]:
            rows[-1] = [a + b for a, b in zip(rows[-1], values)]
        else:
            rows.append(values)
            starts.append(r)
    return rows


def test_excel_has_the_same_tables_print_ready(xlsx_path, docx_path):
    wb = openpyxl.load_workbook(xlsx_path)
    doc = docx.Document(str(docx_path))
    lay = layout.load()["linkages"]
    summary, new, ended = (wb[lay[k]["sheet"]] for k in ("summary", "new", "ended"))
    new_rows = [r for r in sheet_rows(new) if any(r)]
    assert new_rows[0][0] == lay["new"]["title"]
    table = [r[:10] for r in new_rows[1:]]
    assert folded(table) == folded(grid(doc.tables[1]))
    header, rows = reference_new()  # and the published table itself, not only the Word file
    assert folded(table) == folded([header, *rows])
    summary_rows = [r[:6] for r in sheet_rows(summary, join_continued=False) if any(r)]
    expected = folded(grid(doc.tables[0]))
    assert expected == folded(row + [""] * (6 - len(row)) for row in reference_summary())
    start = next(i for i, r in enumerate(summary_rows) if fold(r[0]) == expected[0][0])
    assert folded(summary_rows[start:start + len(expected)]) == expected
    assert "実績はありません。" in [r[0] for r in sheet_rows(ended)]
    for ws in (summary, new, ended):
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9
        # fit to one page wide (1 is the file format's default, left out), any number of pages down
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        assert ws.page_setup.fitToHeight == 0
    assert new.print_title_rows.replace("$", "") == "2:2"
    body = new.cell(row=3, column=4)
    assert body.alignment.wrap_text and body.border.left.style == "thin"
    assert new.column_dimensions["F"].width > new.column_dimensions["A"].width


def test_excel_row_tall_text_continues_below_instead_of_being_cut(xlsx_path):
    ws = openpyxl.load_workbook(xlsx_path)[layout.load()["linkages"]["new"]["sheet"]]
    heights = [d.height for d in ws.row_dimensions.values() if d.height]
    assert heights and max(heights) <= 409
    _, rows = reference_new()
    longest = max(rows, key=lambda r: len(r[5]))
    found = [r for r in sheet_rows(ws) if r[0] == longest[0]]
    assert found and fold(found[0][5]) == fold(longest[5])


# --- LibreOffice ----------------------------------------------------------------------

@needs_soffice
@pytest.mark.parametrize("name", ["linkages.docx", "linkages.xlsx"])
def test_libreoffice_converts_the_export(name, docx_path, xlsx_path, tmp_path):
    source = {"linkages.docx": docx_path, "linkages.xlsx": xlsx_path}[name]
    made = pdf.convert(source, tmp_path)
    assert made.read_bytes()[:5] == b"%PDF-" and made.stat().st_size > 10_000
    text = pdf_text(made)  # the report's own words, not just a file of some size
    for words in ("外部電子計算機との結合の状況", "(1)実施機関別外部電子計算機との結合件数",
                  "※本人同意に基づく外部結合を除く。", "(2)新たに外部計算機との結合を行った外部結合の内訳",
                  "実績はありません。"):
        assert words in text, words


def pdf_text(path: Path) -> str:
    """The PDF's text (pdftotext) with all white space removed."""
    return fold(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)


def page_words(pdf_path: Path, page: int) -> list[tuple[float, str]]:
    """(top y, word) of every word on one PDF page, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf_path), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(float(y), w) for y, w in re.findall(r'<word [^>]*yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)]


@needs_soffice
def test_page_two_of_a_long_table_starts_with_the_header_row(book, tmp_path):
    out = api.export_linkages(book, 2020, tmp_path / "long.pdf")
    words = page_words(out, 2)
    top = min(y for y, _ in words)
    header = "".join(linkages.detail_header(layout.load(), "start"))
    first_line = [w for y, w in words if y < top + 2]
    assert first_line and all(w in header for w in first_line)
    at = {w: y for y, w in reversed(words)}
    assert at["No."] < top + 20 and at["条例根拠"] < top + 20
    # the first data row comes after the whole header
    numbers = [y for y, w in words if w.isdigit() and y > top]
    assert numbers and min(numbers) > max(at["No."], at["条例根拠"])


@needs_soffice
def test_pdf_export_via_libreoffice_uses_the_japanese_fonts(book, tmp_path):
    out = api.export_linkages(book, 2020, tmp_path / "r2.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()]
    # the named font or its configured stand-in; never a Latin fallback (DejaVu, Liberation …) drawing kanji
    assert names and all(re.match(r"(IPAex|MS)", n) for n in names), names


def test_pdf_without_libreoffice_says_so_in_japanese(book, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "find_soffice", lambda: None)
    with pytest.raises(XlkitError) as err:
        api.export_linkages(book, 2020, tmp_path / "r2.pdf")
    assert "LibreOffice" in err.value.message and "見つかりません" in err.value.message
    assert not list(tmp_path.iterdir())


# --- bad input ------------------------------------------------------------------------

def test_unknown_year_is_refused_in_japanese(book, tmp_path):
    # the year is checked by the use case that both the button and the CLI call (xlkit.tasks)
    with pytest.raises(XlkitError) as err:
        tasks.export_linkages(book, tmp_path / "x.docx", year=2030)
    assert err.value.exit_code == 2
    assert "令和12年度" in err.value.message and "ありません" in err.value.message
    with pytest.raises(XlkitError) as err:
        tasks.export_linkages(book, tmp_path / "x.docx", year=1990)
    assert err.value.exit_code == 2
    assert "平成2年度（1990年度）の外部結合のデータは登録簿にありません" in err.value.message
    # the sample counts from 平成12年度; 報告年度 令和2年度 may roll forward one year
    assert "集計できるのは平成12年度から令和3年度まで" in err.value.message
    assert not list(tmp_path.iterdir())


def test_default_name_is_japanese():
    assert api.default_linkages_name(2020) == "外部結合の状況_令和2年度"
    assert api.default_linkages_name(2019) == "外部結合の状況_令和元年度"


@needs_soffice
def test_parallel_conversions_do_not_collide(docx_path, tmp_path):
    """Each conversion has its own LibreOffice profile, so two at once both succeed."""
    from concurrent.futures import ThreadPoolExecutor

    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        d.mkdir()
    with ThreadPoolExecutor(2) as pool:
        made = list(pool.map(lambda d: pdf.convert(docx_path, d), dirs))
    assert [p.parent for p in made] == dirs
    for p in made:
        assert p.read_bytes()[:5] == b"%PDF-" and "外部電子計算機との結合の状況" in pdf_text(p)
