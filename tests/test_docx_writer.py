"""The Word writer: pictures (attached flow diagrams) and the diagonal of table (1)'s corner cell,
in the Word XML and, through LibreOffice, on the PDF's page."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from xlkit.export import api, docx_writer, layout as layout_file, linkages
from xlkit.export.docx_fast import mm_to_twips
from xlkit.export.model import Cell, Document, Para, Picture, Sheet, Table, TableColumn
from support import SAMPLE, needs_soffice
from support.images import image_bytes

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
EMU_PER_MM = 36000


def report(blocks, orientation="portrait") -> Document:
    return Document(title="試験", orientation=orientation,
                    margins_mm={"top": 20, "bottom": 20, "left": 20, "right": 20},
                    sheets=[Sheet("別紙", blocks)])


def written(doc: Document, tmp_path: Path, name="r.docx", **kwargs) -> tuple[etree._Element, zipfile.ZipFile]:
    path = tmp_path / name
    docx_writer.write(doc, path, layout_file.load(), **kwargs)
    package = zipfile.ZipFile(path)
    return etree.fromstring(package.read("word/document.xml")), package


# --- pictures ------------------------------------------------------------------------------------

def test_a_picture_is_an_inline_image_in_its_own_paragraph_at_its_size_with_its_name(tmp_path):
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG", colour=(30, 30, 200))
    doc = report([Para("個人情報の流れ及び情報保護対策"),
                  Picture(png, 150, 112.5, name="流れ図.png"),
                  Picture(jpeg, 80, 60, name="別紙２.jpg", page_break_before=True),
                  Para("以上")])
    root, package = written(doc, tmp_path)
    body = root.find("w:body", NS)
    paragraphs = body.findall("w:p", NS)
    assert [p.find(".//w:drawing", NS) is not None for p in paragraphs] == [False, True, True, False]
    first, second = paragraphs[1], paragraphs[2]
    for p in (first, second):
        # its own paragraph: the drawing is the only run, no text beside it
        assert "".join(p.itertext()) == ""
        assert p.find(".//wp:inline", NS) is not None and p.find(".//wp:anchor", NS) is None
    extents = [p.find(".//wp:extent", NS) for p in (first, second)]
    assert [(int(e.get("cx")), int(e.get("cy"))) for e in extents] == [
        (150 * EMU_PER_MM, round(112.5 * EMU_PER_MM)), (80 * EMU_PER_MM, 60 * EMU_PER_MM)]
    assert [p.find(".//wp:docPr", NS).get("descr") for p in (first, second)] == ["流れ図.png", "別紙２.jpg"]
    assert first.find("w:pPr/w:pageBreakBefore", NS) is None
    assert second.find("w:pPr/w:pageBreakBefore", NS) is not None
    # the bytes themselves are in the package, each named by its relationship
    rels = etree.fromstring(package.read("word/_rels/document.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    blips = [p.find(".//a:blip", NS).get(f"{{{NS['r']}}}embed") for p in (first, second)]
    assert package.read("word/" + targets[blips[0]]) == png
    assert package.read("word/" + targets[blips[1]]) == jpeg
    ids = [int(x) for x in root.xpath("//wp:docPr/@id", namespaces=NS)]
    assert len(ids) == len(set(ids))


@needs_soffice
def test_a_picture_appears_on_the_pdf_page(tmp_path):
    out = tmp_path / "別紙.pdf"
    doc = report([Para("個人情報の流れ及び情報保護対策：別紙のとおり"),
                  Picture(image_bytes("PNG", colour=(220, 20, 20)), 120, 90, name="流れ図.png")])
    api.render(doc, out, layout_file.load())
    listed = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    images = [line.split() for line in listed.splitlines()[2:] if line.strip()]
    assert len(images) == 1 and images[0][0] == "1"  # one image, on page 1
    assert (images[0][3], images[0][4]) == ("400", "300")  # the picture's own pixels, not a redraw
    # and it is drawn at 120 mm wide: a red band of that width across the page at 100 dpi
    png = _page_png(out, tmp_path / "page")
    with Image.open(png) as page:
        rgb = page.convert("RGB")
    pixels = rgb.load()

    def red(x, y):
        r, g, _ = pixels[x, y]
        return r > 180 and g < 80

    middle = max(range(rgb.height), key=lambda y: sum(red(x, y) for x in range(0, rgb.width, 8)))
    assert abs(sum(red(x, middle) for x in range(rgb.width)) - 120 / 25.4 * 100) < 6


def _page_png(pdf: Path, base: Path, page: int = 1) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(base)], check=True, capture_output=True)
    return base.with_suffix(".png")


# --- the diagonal of table (1) -----------------------------------------------------------------

def _corner_table() -> Table:
    corner = Cell("件数\n実施機関", line_aligns=("right", "left"), diagonal=True)
    return Table(columns=[TableColumn(42, "center"), TableColumn(45, "center"), TableColumn(45, "center")],
                 header=[[corner, "令和元年度外部電子計算機との結合数", "新たな外部電子計算機との結合数"],
                         [Cell(merge_up=True), "a", "b"]],
                 rows=[[Cell("区長", align="center"), "61", "19"]],
                 header_fill="D9D9D9", padding_mm=0.5, min_row_mm=7, valign="center")


def test_word_draws_the_corner_diagonal_as_a_border_and_the_pdf_copy_as_a_line(tmp_path):
    word, _ = written(report([_corner_table()], "landscape"), tmp_path, "word.docx")
    assert len(word.xpath("//w:tcBorders/w:tl2br", namespaces=NS)) == 1
    assert word.xpath("//wps:wsp", namespaces=NS) == []  # never a second line over Word's own

    for_pdf, _ = written(report([_corner_table()], "landscape"), tmp_path, "pdf.docx", for_pdf=True)
    assert for_pdf.xpath("//w:tl2br", namespaces=NS) == []
    lines = for_pdf.xpath("//wps:wsp[wps:spPr/a:prstGeom/@prst='line']", namespaces=NS)
    assert len(lines) == 1
    anchor = lines[0].xpath("ancestor::wp:anchor", namespaces=NS)[0]
    # in the corner cell, across its width and down both header rows it spans
    cell = anchor.xpath("ancestor::w:tc", namespaces=NS)[0]
    assert "実施機関" in "".join(cell.itertext())
    rows = for_pdf.xpath("//w:tbl/w:tr[w:trPr/w:tblHeader]", namespaces=NS)
    heights = [int(r.find("w:trPr/w:trHeight", NS).get(f"{{{NS['w']}}}val")) for r in rows]
    extent = anchor.find("wp:extent", NS)
    assert int(extent.get("cx")) == mm_to_twips(42) * 635
    assert int(extent.get("cy")) == sum(heights) * 635
    assert anchor.get("layoutInCell") == "1" and anchor.get("behindDoc") == "0"


def _diagonals(pdf: Path, tmp_path: Path) -> list[tuple[float, float, float, float]]:
    """The straight strokes of page 1 that are neither horizontal nor vertical, as (x0, y0, x1, y1)
    in points from the top left (pdftocairo's SVG of the page)."""
    svg = tmp_path / "page.svg"
    subprocess.run(["pdftocairo", "-svg", "-f", "1", "-l", "1", str(pdf), str(svg)], check=True, capture_output=True)
    found = []
    for match in re.finditer(r'<path [^>]*d="M ([-\d.]+) ([-\d.]+) L ([-\d.]+) ([-\d.]+) "([^>]*)/?>', svg.read_text()):
        x0, y0, x1, y1 = map(float, match.groups()[:4])
        matrix = re.search(r'transform="matrix\(([^)]*)\)"', match.group(5))
        a, b, c, d, e, f = map(float, matrix.group(1).split(",")) if matrix else (1, 0, 0, 1, 0, 0)
        (x0, y0), (x1, y1) = ((a * x + c * y + e, b * x + d * y + f) for x, y in ((x0, y0), (x1, y1)))
        if "stroke:" in match.group(0) and abs(x1 - x0) > 1 and abs(y1 - y0) > 1:
            if x1 < x0:
                x0, y0, x1, y1 = x1, y1, x0, y0
            found.append((x0, y0, x1, y1))
    return found


@needs_soffice
def test_the_pdf_of_the_linkage_report_shows_the_corner_diagonal(tmp_path):
    from xlkit.workbook.reader import load

    layout = layout_file.load()
    doc = api._linkages_document(load(SAMPLE), 2020, None, layout)
    out = tmp_path / "外部結合.pdf"
    api.render(doc, out, layout)
    lines = _diagonals(out, tmp_path)
    assert len(lines) == 1, lines
    x0, y0, x1, y1 = lines[0]
    # from top-left to bottom-right, as wide as the corner column (42 mm)
    assert x1 > x0 and y1 > y0
    assert abs((x1 - x0) - 42 * 72 / 25.4) < 2
    # the corner's words are not crossed: 件数 above the line at its right, 実施機関 below it at its left
    words = _word_boxes(out, tmp_path)
    slope = (y1 - y0) / (x1 - x0)
    (kx0, _, _, ky1), (_, jy0, jx1, _) = words["件数"], words["実施機関"]
    assert ky1 <= y0 + slope * (kx0 - x0)  # 件数's bottom above the line where 件数 begins
    assert jy0 >= y0 + slope * (jx1 - x0)  # 実施機関's top below the line where it ends
    # and on the page, the pixels along the line are dark
    png = _page_png(out, tmp_path / "p")
    with Image.open(png) as page:
        grey = page.convert("L")
        scale = 100 / 72
        dark = 0
        for k in range(1, 20):
            x = (x0 + (x1 - x0) * k / 20) * scale
            y = (y0 + (y1 - y0) * k / 20) * scale
            dark += min(grey.getpixel((round(x) + dx, round(y) + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)) < 120
    assert dark >= 17


def _word_boxes(pdf: Path, tmp_path: Path) -> dict[str, tuple[float, float, float, float]]:
    html = tmp_path / "words.html"
    subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), str(html)], check=True, capture_output=True)
    boxes = {}
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>',
                         html.read_text(encoding="utf-8")):
        boxes.setdefault(m.group(5), tuple(map(float, m.groups()[:4])))
    return boxes


def test_word_keeps_the_linkage_report_as_one_table_per_block(tmp_path):
    layout = layout_file.load()
    rows = [[str(n), "総務課", f"業務{n}", "理由", "対象者", "氏名", "", "根拠", "相手方", "R2. 6. 1"] for n in range(1, 8)]
    columns = [TableColumn(c["width_mm"], c["align"]) for c in linkages.detail_columns(layout, "start")]
    table = Table(columns=columns, header=[linkages.detail_header(layout, "start")], rows=rows)
    big = dict(layout, pdf={**layout.get("pdf", {}), "chunk_rows": 3})
    path = tmp_path / "w.docx"
    docx_writer.write(report([table], "landscape"), path, big)
    root = etree.fromstring(zipfile.ZipFile(path).read("word/document.xml"))
    assert len(root.findall(".//w:tbl", NS)) == 1  # chunks are for LibreOffice only


def test_a_one_row_header_is_made_tall_enough_for_the_corner_words(tmp_path):
    corner = Cell("件数\n実施機関", line_aligns=("right", "left"), diagonal=True)
    table = Table(columns=[TableColumn(42), TableColumn(30)], header=[[corner, "a"]], rows=[["区長", "1"]])
    root, _ = written(report([table]), tmp_path, for_pdf=True)
    height = int(root.find(".//w:tr/w:trPr/w:trHeight", NS).get(f"{{{NS['w']}}}val"))
    assert height >= 2 * 9 * 20 * 1.4  # two lines of 9 pt, as LibreOffice sets them (IPAex: ~1.1 em)
    extent = root.find(".//wp:anchor/wp:extent", NS)
    assert int(extent.get("cy")) == height * 635


def test_a_picture_larger_than_the_page_is_scaled_down_to_its_text_area(tmp_path):
    # A4 portrait with 20 mm margins: 170 × 257 mm of text area
    root, _ = written(report([Picture(image_bytes("PNG"), 340, 255, name="大きい図.png"),
                              Picture(image_bytes("PNG", (100, 400)), 50, 514, name="縦長.png")]), tmp_path)
    extents = [(int(e.get("cx")) / EMU_PER_MM, int(e.get("cy")) / EMU_PER_MM)
               for e in root.findall(".//wp:inline/wp:extent", NS)]
    assert extents[0] == pytest.approx((170, 127.5), abs=0.01)  # the width halved, the shape kept
    assert extents[1] == pytest.approx((25, 257), abs=0.01)


def test_word_and_excel_place_a_picture_of_no_size_alike(tmp_path):
    """One rule for a picture's size in both writers (model.Picture.within): one given as 0 mm
    (a caller's slip) is placed at 1 mm in Word and in Excel, where Excel's writer divided by it."""
    import openpyxl

    from xlkit.export import xlsx_writer
    doc = report([Para("図"), Picture(image_bytes("PNG"), 0, 0, name="空.png")])
    root, _ = written(doc, tmp_path)
    extent = root.find(".//wp:inline/wp:extent", NS)
    assert (int(extent.get("cx")), int(extent.get("cy"))) == (EMU_PER_MM, EMU_PER_MM)
    xlsx_writer.write(doc, tmp_path / "r.xlsx", layout_file.load())
    assert len(openpyxl.load_workbook(tmp_path / "r.xlsx").active._images) == 1


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"not an image at all"])
def test_bytes_that_are_no_image_are_refused_in_japanese_naming_the_file(tmp_path, data):
    from xlkit.errors import XlkitError
    from support import said

    with pytest.raises(XlkitError) as err:
        written(report([Picture(data, 100, 75, name="流れ図.png")]), tmp_path)
    assert "流れ図.png" in said(err.value)
    assert not (tmp_path / "r.docx").exists()  # refused before anything is written


# --- page orientation per sheet and lines of a set width -------------------------------------------

def test_a_sheet_that_turns_the_page_is_a_section_of_its_own_and_the_numbers_run_on(tmp_path):
    wide = Table(columns=[TableColumn(120), TableColumn(137)], header=[["見出し", "内容"]], rows=[["1", "横向き"]])
    doc = Document(title="試験", orientation="portrait", margins_mm={"top": 20, "bottom": 18, "left": 20, "right": 20},
                   sheets=[Sheet("一覧", [Para("縦の１")]),
                           Sheet("横", [Para("横の表題", page_break_before=True), wide], new_page=True,
                                 orientation="landscape"),
                           Sheet("横の続き", [Picture(image_bytes("PNG"), 200, 150, page_break_before=True)],
                                 new_page=True, orientation="landscape"),
                           Sheet("縦に戻る", [Para("縦の２", page_break_before=True)], new_page=True)])
    root, _ = written(doc, tmp_path)
    body = root.find("w:body", NS)
    ended = [p for p in body.findall("w:p", NS) if p.find("w:pPr/w:sectPr", NS) is not None]
    sections = [p.find("w:pPr/w:sectPr", NS) for p in ended] + [body.find("w:sectPr", NS)]
    w = f"{{{NS['w']}}}"

    def shape(sect_pr):
        size = sect_pr.find("w:pgSz", NS)
        return size.get(w + "orient"), round(int(size.get(w + "w")) / 56.7), round(int(size.get(w + "h")) / 56.7)

    # two landscape sheets in a row share one section
    assert [shape(s) for s in sections] == [(None, 210, 297), ("landscape", 297, 210), (None, 210, 297)]
    for sect_pr in sections:
        # every section shows the same page-number footer, and none starts the count again
        assert sect_pr.find("w:footerReference", NS).get(f"{{{NS['r']}}}id") == \
            sections[-1].find("w:footerReference", NS).get(f"{{{NS['r']}}}id")
        number = sect_pr.find("w:pgNumType", NS)
        assert number is None or number.get(w + "start") is None
        assert sect_pr.find("w:pgMar", NS).get(w + "bottom") == str(mm_to_twips(18))
    # the section break starts the page: the first block after it has no page break of its own,
    # while a sheet of the same orientation still starts with one
    paragraphs = body.findall("w:p", NS)
    texts = ["".join(t.text for t in p.iter(w + "t")) for p in paragraphs]
    for text in ("横の表題", "縦の２"):
        assert paragraphs[texts.index(text)].find("w:pPr/w:pageBreakBefore", NS) is None
    picture = next(p for p in paragraphs if p.find(".//w:drawing", NS) is not None)
    assert picture.find("w:pPr/w:pageBreakBefore", NS) is not None
    # a picture on the landscape page may take its wider text area (257 mm), not the portrait's 170
    extent = picture.find(".//wp:inline/wp:extent", NS)
    assert int(extent.get("cx")) / EMU_PER_MM == pytest.approx(200, abs=0.01)


def test_a_line_of_a_set_width_is_indented_to_it_and_spread(tmp_path):
    root, _ = written(report([Para("新宿区情報公開・個人情報保護審議会資料", align="distribute", box=True, width_mm=105),
                              Para("令和7年7月3日", align="distribute", width_mm=105),
                              Para("（資料１）", align="right")]), tmp_path)
    w = f"{{{NS['w']}}}"
    paragraphs = root.findall("w:body/w:p", NS)
    for p in paragraphs[:2]:
        assert p.find("w:pPr/w:jc", NS).get(w + "val") == "distribute"
        assert p.find("w:pPr/w:ind", NS).get(w + "left") == str(mm_to_twips(170 - 105))
    assert paragraphs[0].find("w:pPr/w:pBdr", NS) is not None
    assert paragraphs[2].find("w:pPr/w:ind", NS) is None and paragraphs[2].find("w:pPr/w:jc", NS).get(w + "val") == "right"
