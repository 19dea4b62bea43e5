"""A PDF of a long register: its tables cut into chunks LibreOffice lays out in time linear in
the rows, printed as one table; and a timeout that grows with the document, whose message
says what to do. At small scale, with the limits of layout.json's "pdf" section turned down
(benchmarks/bench_pdf.py times the real sizes)."""

from __future__ import annotations

import copy
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from xlkit.errors import XlkitError
from xlkit.export import api, docx_writer, layout as layout_file, linkages, pdf
from xlkit.export.model import Cell, Document, Para, Sheet, Table, TableColumn
from support import needs_soffice, said

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
ROWS = 23


def layout(**pdf_settings) -> dict:
    lay = copy.deepcopy(layout_file.load())
    lay.setdefault("pdf", {}).update(pdf_settings)
    return lay


def long_report(lay: dict, rows: int = ROWS) -> Document:
    columns = [TableColumn(c["width_mm"], c["align"], numeric=c["key"] == "no")
               for c in linkages.detail_columns(lay, "start")]
    body = [[str(n), "総務課", f"業務{n}", "理由", "対象者", "氏名", "", "根拠", "相手方", "R2. 6. 1"]
            for n in range(1, rows + 1)]
    table = Table(columns=columns, header=[linkages.detail_header(lay, "start")], rows=body,
                  header_fill=lay["header_fill"], padding_mm=lay["cell_padding_mm"])
    return Document(title="試験", orientation="landscape", margins_mm=lay["linkages"]["margins_mm"],
                    sheets=[Sheet("内訳", [Para("(2) 内訳"), table, Para("以上")])])


def document_xml(path: Path) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(path).read("word/document.xml"))


def cell_texts(tr) -> list[str]:
    return ["".join(tc.itertext()) for tc in tr.findall("w:tc", NS)]


# --- chunks ---------------------------------------------------------------------------------------

def test_a_long_table_is_cut_into_chunks_each_with_the_header():
    lay = layout()
    table = long_report(lay).sheets[0].blocks[1]
    pieces = docx_writer.chunks(table, 5)
    assert [len(p.rows) for p in pieces] == [5, 5, 5, 5, 3]
    assert [row for p in pieces for row in p.rows] == table.rows  # every row once, in order
    assert all(p.header == table.header and p.columns == table.columns for p in pieces)
    assert docx_writer.chunks(table, ROWS) == [table]  # a table short enough stays whole
    # one row over the size (101 rows at chunk_rows 100): the last chunk is that row with the header
    last = docx_writer.chunks(table, ROWS - 1)
    assert [len(p.rows) for p in last] == [ROWS - 1, 1] and last[1].header == table.header


def test_a_cut_never_separates_a_merged_cell_from_the_row_it_continues():
    columns = [TableColumn(20), TableColumn(20)]
    rows = [[str(n), "x"] for n in range(1, 11)]
    rows[5] = [Cell(merge_up=True), "continues row 5"]  # row 6 continues row 5's first cell
    rows[6] = [Cell(merge_up=True), "continues again"]
    table = Table(columns=columns, header=[["番号", "内容"]], rows=rows)
    pieces = docx_writer.chunks(table, 5)
    assert [len(p.rows) for p in pieces] == [7, 3]
    assert not any(isinstance(c, Cell) and c.merge_up for p in pieces for c in p.rows[0])


def test_the_pdf_copy_holds_the_chunks_joined_by_a_hidden_paragraph_and_word_one_table(tmp_path):
    lay = layout(chunk_rows=5)
    report = long_report(lay)
    docx_writer.write(report, tmp_path / "pdf.docx", lay, for_pdf=True)
    docx_writer.write(report, tmp_path / "word.docx", lay)

    word = document_xml(tmp_path / "word.docx")
    assert len(word.findall(".//w:tbl", NS)) == 1

    root = document_xml(tmp_path / "pdf.docx")
    body = root.find("w:body", NS)
    tables = body.findall("w:tbl", NS)
    assert len(tables) == 5
    numbers = []
    for tbl in tables:
        first, *rest = tbl.findall("w:tr", NS)
        assert first.find("w:trPr/w:tblHeader", NS) is not None  # repeated on its pages, too
        assert cell_texts(first) == linkages.detail_header(lay, "start")
        numbers += [int(cell_texts(tr)[0]) for tr in rest]
    assert numbers == list(range(1, ROWS + 1))  # the numbering runs on across the chunks
    # between two chunks: one paragraph, hidden, of no height and no text
    children = list(body)
    for tbl in tables[:-1]:
        seam = children[children.index(tbl) + 1]
        assert seam.tag == f"{{{W}}}p" and "".join(seam.itertext()) == ""
        assert seam.find("w:pPr/w:rPr/w:vanish", NS) is not None
        spacing = seam.find("w:pPr/w:spacing", NS)
        assert spacing.get(f"{{{W}}}lineRule") == "exact" and int(spacing.get(f"{{{W}}}line")) <= 20
        assert children[children.index(tbl) + 2] is tables[tables.index(tbl) + 1]


def _horizontal_rules(pdf_path: Path, tmp_path: Path) -> list[float]:
    """The y (points, from the top) of the full-width horizontal strokes of page 1: table borders."""
    svg = tmp_path / "page.svg"
    subprocess.run(["pdftocairo", "-svg", "-f", "1", "-l", "1", str(pdf_path), str(svg)], check=True,
                   capture_output=True)
    found = []
    for m in re.finditer(r'<path [^>]*d="M ([-\d.]+) ([-\d.]+) L ([-\d.]+) ([-\d.]+) "([^>]*)/?>', svg.read_text()):
        x0, y0, x1, y1 = map(float, m.groups()[:4])
        matrix = re.search(r'transform="matrix\(([^)]*)\)"', m.group(5))
        a, b, c, d, e, f = map(float, matrix.group(1).split(",")) if matrix else (1, 0, 0, 1, 0, 0)
        if abs(y1 - y0) < 0.01 and abs(x1 - x0) * abs(a) > 500:
            found.append(b * x0 + d * y0 + f)
    rules: list[float] = []
    for y in sorted(found):  # a border drawn twice, or by two touching tables, is one rule
        if not rules or y - rules[-1] > 1:
            rules.append(y)
    return rules


@needs_soffice
def test_the_chunks_print_as_one_table_with_no_gap_and_every_row_in_order(tmp_path):
    lay = layout(chunk_rows=5)
    out = tmp_path / "長い表.pdf"
    api.render(long_report(lay), out, lay)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    numbers = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+総務課", text, re.M)]
    assert numbers == list(range(1, ROWS + 1))
    assert text.count("結合の相手方") == 5  # each chunk shows the header
    # where two chunks meet, the bottom border of one is the top border of the next: no blank
    # line between them (a visible empty paragraph would leave a band of ≥ 10 pt)
    rules = _horizontal_rules(out, tmp_path)
    gaps = [b - a for a, b in zip(rules, rules[1:])]
    assert gaps and min(gaps) >= 5, gaps
    rows_and_headers = ROWS + 5 + 1  # a rule below each row and header, and the top one
    assert len(rules) == rows_and_headers, (len(rules), rules)


# --- how long LibreOffice is given --------------------------------------------------------------

def test_the_timeout_grows_with_the_rows():
    settings = {"timeout_s": 300, "timeout_per_row_s": 0.05}
    assert pdf.timeout_for(0, settings) == 300
    assert pdf.timeout_for(4000, settings) == 500
    assert pdf.timeout_for(8000, settings) == 2 * pdf.timeout_for(4000, settings) - 300
    assert pdf.timeout_for(100) == pdf.TIMEOUT_S + 100 * pdf.TIMEOUT_PER_ROW_S  # no settings: defaults


def test_rows_are_counted_in_the_written_docx(tmp_path):
    lay = layout(chunk_rows=5)
    docx_writer.write(long_report(lay), tmp_path / "pdf.docx", lay, for_pdf=True)
    docx_writer.write(long_report(lay), tmp_path / "word.docx", lay)
    assert pdf.docx_rows(tmp_path / "word.docx") == ROWS + 1
    assert pdf.docx_rows(tmp_path / "pdf.docx") == ROWS + 5  # a header per chunk
    assert pdf.docx_rows(tmp_path / "missing.docx") == 0


def test_the_export_gives_libreoffice_time_for_its_rows(tmp_path, monkeypatch):
    seen = {}

    def fake_convert(source, out_dir, *, substitutes=None, timeout=pdf.TIMEOUT_S, scratch=(), rows=None):
        seen.update(timeout=timeout, rows=rows)
        made = Path(out_dir) / (Path(source).stem + ".pdf")
        made.write_bytes(b"%PDF-1.4\n%%EOF\n")
        return made

    monkeypatch.setattr(pdf, "convert", fake_convert)
    monkeypatch.setattr(pdf, "available", lambda: True)
    lay = layout(chunk_rows=1000, timeout_s=10, timeout_per_row_s=0.5)
    api.render(long_report(lay, rows=200), tmp_path / "r.pdf", lay)
    assert seen == {"timeout": 10 + 0.5 * 201, "rows": 201}


@needs_soffice
def test_a_conversion_out_of_time_says_how_big_it_was_and_what_to_do(tmp_path):
    lay = layout(timeout_s=0.2, timeout_per_row_s=0.001, chunk_rows=1000)
    with pytest.raises(XlkitError) as err:
        api.render(long_report(lay, rows=300), tmp_path / "r.pdf", lay)
    message = said(err.value)
    assert "0.2 秒で終わりませんでした" not in message  # scaled: 0.2 + 301 × 0.001
    assert "0.501 秒で終わりませんでした" in message
    assert "表の行数 301 行" in message
    assert "Word 形式（.docx）で出力" in message and "期間" in message
    assert not (tmp_path / "r.pdf").exists()
