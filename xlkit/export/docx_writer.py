"""Writing a model Document as a Word document (A4, Japanese fonts, page numbers)."""

from __future__ import annotations

import copy
import dataclasses
import io
import re
import struct
import zipfile
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.image.exceptions import InvalidImageStreamError, UnexpectedEndOfFileError, UnrecognizedImageError
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt

from xlkit.errors import XlkitError

from .docx_fast import JC, PLACEHOLDER, TableWriter, clean_text, el, mm_to_twips, run_props
from .model import Cell, Para, Picture, Document, Table, paper_mm, text_area_mm

_PLACEHOLDER_MARK = re.compile(b"<!--(" + re.escape(PLACEHOLDER.split("{")[0].encode()) + rb"\d+)-->")


# The .docx made only to be converted to PDF by LibreOffice differs from the one staff open in
# Word in two ways (layout.json "pdf"):
# - a table longer than chunk_rows body rows is written as several tables of at most that many
#   rows, each with the header rows, joined by a hidden paragraph of no height. LibreOffice's
#   time for one table grows with the square of its rows, most of it in reading the .docx
#   (1,000 rows: 8 s, 2,000: 33 s, of which 20 s reading), while a run of short tables costs the
#   sum of their rows (4,000 rows in 100-row tables: 12 s, in proportion to the pages). The
#   numbering is the data's own and runs on; where a chunk starts mid-page its header shows
#   there too (once in about 100 rows), the price of a PDF made in time.
# - a diagonal corner cell is drawn as a line shape (docx_fast.diagonal_line): LibreOffice
#   ignores the tl2br border that Word draws.
DEFAULT_CHUNK_ROWS = 100


def write(report: Document, path: Path, layout: dict, *, for_pdf: bool = False) -> None:
    """Write the Document as a .docx at `path` (the caller makes it atomic: xlkit.files).

    `for_pdf`: the file is only for LibreOffice to convert (see above)."""
    doc, rows = document(report, layout, for_pdf=for_pdf)
    buffer = io.BytesIO()
    doc.save(buffer)
    _splice_rows(buffer, Path(path), rows)


def _splice_rows(buffer: io.BytesIO, path: Path, rows: dict[str, str]) -> None:
    """Copy the saved package to `path`, putting each table's body rows in place of its
    placeholder comment in word/document.xml (see docx_fast)."""
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = _spliced(data, rows)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _spliced(data: bytes, rows: dict[str, str]) -> bytes:
    """document.xml with every placeholder replaced, in one pass (a PDF's .docx has a table per
    chunk: a replace per table would copy the whole text once for each)."""
    parts = _PLACEHOLDER_MARK.split(data)  # text, name, text, name, … text
    names = [name.decode() for name in parts[1::2]]
    if sorted(names) != sorted(rows):
        raise RuntimeError(f"table placeholders {sorted(set(rows) ^ set(names))} not found once in document.xml")
    parts[1::2] = [rows[name].encode("utf-8") for name in names]
    return b"".join(parts)


def table_style(doc, fonts: dict, size_pt: float) -> str:
    """A paragraph style for table cells of one size: fonts (East Asian too), size, no spacing."""
    style_id = f"XlkitTable{round(size_pt * 10)}"
    styles = doc.styles.element
    if styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']") is None:
        style = el("style", styles, type="paragraph", customStyle=1, styleId=style_id)
        el("name", style, val=f"xlkit 表 {size_pt:g}pt")
        el("basedOn", style, val="Normal")
        el("qFormat", style)
        ppr = el("pPr", style)
        el("spacing", ppr, before=0, after=0, line=240, lineRule="auto")
        run_props(style, fonts, size_pt)
    return style_id


def chunk_rows(layout: dict) -> int:
    """The most body rows one table of the PDF's .docx holds (layout.json pdf.chunk_rows)."""
    return max(int(layout.get("pdf", {}).get("chunk_rows", DEFAULT_CHUNK_ROWS)), 1)


def chunks(table: Table, size: int) -> list[Table]:
    """`table` cut into tables of at most `size` body rows, each with the header; a cut never
    falls on a row that continues a merged cell of the row above."""
    if len(table.rows) <= size:
        return [table]
    pieces, start = [], 0
    while start < len(table.rows):
        end = min(start + size, len(table.rows))
        while end < len(table.rows) and _continues(table.rows[end]):
            end += 1
        pieces.append(dataclasses.replace(table, rows=table.rows[start:end]))
        start = end
    return pieces


def _continues(row) -> bool:
    return any(isinstance(c, Cell) and c.merge_up for c in row)


def document(report: Document, layout: dict, *, for_pdf: bool = False
             ) -> tuple[docx.document.Document, dict[str, str]]:
    """The document with each table's body rows left out, and those rows as XML text."""
    doc = docx.Document()
    rows: dict[str, str] = {}
    fonts, sizes = layout["fonts"], layout["sizes_pt"]
    _set_styles(doc, fonts, sizes["body"])
    _set_page(doc.sections[0], report, report.orientation)
    _page_number_footer(doc.sections[0], layout["page_number"], fonts, sizes["table"])
    doc.core_properties.title = report.title
    doc.core_properties.author = report.author
    doc.core_properties.language = "ja-JP"

    body = doc.element.body
    sect_pr = body[-1]  # python-docx's template ends the body with the section properties
    for p in list(body.iterchildren(qn("w:p"))):  # the template's empty first paragraph
        body.remove(p)
    first = True
    current = None  # the orientation of the section being written
    for sheet in report.sheets:
        page = _Page(report, sheet.orientation or report.orientation)
        turned = current is not None and page.orientation != current
        if turned:
            _end_section(doc, sect_pr, report, current)
        current = page.orientation
        for n, block in enumerate(sheet.blocks):
            brk = sheet.new_page and n == 0 and not first and not turned
            if turned and n == 0 and not isinstance(block, Table) and block.page_break_before:
                # a new section starts a new page already: a break as well may leave one blank
                block = dataclasses.replace(block, page_break_before=False)
            if isinstance(block, Table):
                pieces = chunks(block, chunk_rows(layout)) if for_pdf else [block]
                for k, piece in enumerate(pieces):
                    if k:
                        sect_pr.addprevious(_seam())
                    sect_pr.addprevious(_table(doc, piece, fonts, sizes, page, rows, draw_diagonal=for_pdf))
                # Word needs a paragraph between two tables or it joins them into one
                element = _paragraph(Para(""), fonts, sizes)
            elif isinstance(block, Picture):
                element = _picture(doc, block, page, page_break=brk)
            else:
                element = _paragraph(block, fonts, sizes, page_break=brk, text_width_mm=page.text_width_mm)
            sect_pr.addprevious(element)
            first = False
    _set_page(Section(sect_pr, doc.part), report, current or report.orientation)
    return doc, rows


@dataclasses.dataclass(frozen=True)
class _Page:
    """The page a sheet is printed on: the document's margins, the sheet's orientation."""

    report: Document
    orientation: str

    @property
    def text_width_mm(self) -> float:
        return text_area_mm(self.report.margins_mm, self.orientation)[0]

    @property
    def text_height_pt(self) -> float:
        """The height of the text area (between the top and bottom margins), in points."""
        return text_area_mm(self.report.margins_mm, self.orientation)[1] * 72 / 25.4


def _end_section(doc, sect_pr, report: Document, orientation: str) -> None:
    """Close the section printed so far (its pages `orientation`) before a sheet that turns the
    page: Word keeps a section's properties in its last paragraph. They are a copy of the
    document's, footer included, so the page numbers run on (no w:pgNumType restart)."""
    last = sect_pr.getprevious()
    if last is None or last.tag != qn("w:p"):
        last = el("p")
        sect_pr.addprevious(last)
    ppr = last.find(qn("w:pPr"))
    if ppr is None:
        ppr = el("pPr")
        last.insert(0, ppr)
    ended = copy.deepcopy(sect_pr)
    ppr.append(ended)  # after the paragraph's own properties, as the schema orders them
    _set_page(Section(ended, doc.part), report, orientation)


def _table(doc, table: Table, fonts: dict, sizes: dict, page: _Page, rows: dict[str, str],
           draw_diagonal: bool = False):
    """The table's frame (its body rows go into `rows`, by the frame's placeholder name)."""
    size = sizes[table.size]
    # the ids python-docx numbers pictures from see the shapes once the frame is in the body
    drawn = doc.part.next_id if draw_diagonal else None
    writer = TableWriter(table, fonts, size, table_style(doc, fonts, size),
                         page_text_pt=page.text_height_pt, drawn_diagonal_id=drawn)
    name = PLACEHOLDER.format(n=len(rows))
    element = writer.frame(name)
    rows[name] = writer.body_xml()
    return element


def _seam():
    """The paragraph between two chunks of one table: Word and LibreOffice join two tables
    that touch, and LibreOffice's cost is that of the joined table. Hidden and of no height, the
    chunks print as one table."""
    p = el("p")
    ppr = el("pPr", p)
    el("spacing", ppr, before=0, after=0, line=2, lineRule="exact")
    rpr = el("rPr", ppr)
    el("vanish", rpr)
    el("sz", rpr, val=2)
    el("szCs", rpr, val=2)
    return p


def _picture(doc, picture: Picture, page: _Page, page_break: bool = False):
    """An inline picture in a paragraph of its own, at the block's size but never wider or taller
    than the page's text area (a picture Word cannot place spills off the page); its name is the
    alt text."""
    width, height = picture.within(page.text_width_mm, page.text_height_pt * 25.4 / 72)
    try:
        inline = doc.part.new_pic_inline(io.BytesIO(picture.png), Mm(width), Mm(height))
    except (UnrecognizedImageError, UnexpectedEndOfFileError, InvalidImageStreamError, ValueError,
            struct.error):
        # xlkit.attachments checks the files before; these are bytes it let through all the same
        raise XlkitError(f"添付ファイル「{picture.name}」を画像として読み込めませんでした。"
                         "PNG・JPEG の画像か PDF を指定してください。") from None
    doc_pr = inline.find(qn("wp:docPr"))
    if picture.name:
        doc_pr.set("descr", clean_text(picture.name))
        doc_pr.set("title", clean_text(picture.name))
    p = el("p")
    ppr = el("pPr", p)
    if page_break or picture.page_break_before:
        el("pageBreakBefore", ppr)
    el("spacing", ppr, before=0, after=0)
    el("jc", ppr, val="center")
    drawing = el("drawing", el("r", p))
    drawing.append(inline)
    return p


def _set_styles(doc, fonts: dict, body_pt: float) -> None:
    """East Asian font names in the document defaults and the Normal style, language ja-JP.

    Without w:eastAsia Word falls back to its own Japanese font and LibreOffice to whatever
    fontconfig offers, and the two then break lines differently.
    """
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    rpr_default.remove(rpr)
    rpr = run_props(rpr_default, fonts, body_pt)
    el("lang", rpr, val="en-US", eastAsia="ja-JP", bidi="ar-SA")
    for style_id in ("Normal", "TableGrid"):
        style = doc.styles.element.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']")
        if style is None:
            continue
        old = style.find(qn("w:rPr"))
        if old is not None:
            style.remove(old)
        run_props(style, fonts, body_pt)
    normal = doc.styles["Normal"]
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)


def _set_page(section, report: Document, orientation: str) -> None:
    landscape = orientation == "landscape"
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = paper_mm(orientation)
    section.page_width, section.page_height = Mm(width), Mm(height)
    m = report.margins_mm
    section.top_margin, section.bottom_margin = Mm(m["top"]), Mm(m["bottom"])
    section.left_margin, section.right_margin = Mm(m["left"]), Mm(m["right"])
    section.header_distance = Mm(max(m["top"] / 2, 5))
    section.footer_distance = Mm(max(m["bottom"] / 2, 5))


def _page_number_footer(section, template: str, fonts: dict, size_pt: float) -> None:
    """A centred page number; `template` like "- {page} -" from layout.json."""
    p = section.footer.paragraphs[0]._p
    for child in list(p):
        p.remove(child)
    ppr = el("pPr", p)
    el("jc", ppr, val="center")
    before, _, after = template.partition("{page}")

    def run(parent):
        r = el("r", parent)
        run_props(r, fonts, size_pt)
        return r

    if before:
        _text(run(p), before)
    el("fldChar", run(p), fldCharType="begin")
    instr = el("instrText", run(p))
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    el("fldChar", run(p), fldCharType="separate")
    _text(run(p), "1")
    el("fldChar", run(p), fldCharType="end")
    if after:
        _text(run(p), after)


def _text(r, text: str):
    t = el("t", r)
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    t.text = text
    return t


def _box_indent(para: Para, sizes: dict, text_width_mm: float | None) -> int:
    """A right-aligned boxed line: indent it so the box hugs the text, not the whole width."""
    if para.align != "right" or not text_width_mm:
        return 0
    longest = max(len(line) for line in para.text.split("\n"))
    text_mm = longest * sizes[para.size] * 25.4 / 72 + 4  # full-width characters, plus padding
    return max(mm_to_twips(text_width_mm - text_mm), 0)


def _paragraph(para: Para, fonts: dict, sizes: dict, page_break: bool = False,
               text_width_mm: float | None = None):
    p = el("p")
    ppr = el("pPr", p)
    if para.keep_with_next:
        el("keepNext", ppr)
    if page_break or para.page_break_before:
        el("pageBreakBefore", ppr)
    if para.box:
        bdr = el("pBdr", ppr)
        for side in ("top", "left", "bottom", "right"):
            el(side, bdr, val="single", sz=6, space=4, color="000000")
    if para.width_mm is not None and text_width_mm:
        # a line of its own width against the right margin; a box is drawn around that width
        indent = max(mm_to_twips(text_width_mm - para.width_mm), 0)
    else:
        indent = _box_indent(para, sizes, text_width_mm) if para.box else 0
    el("spacing", ppr, before=round(para.space_before_pt * 20), after=round(para.space_after_pt * 20))
    if indent:
        el("ind", ppr, left=indent)
    el("jc", ppr, val=JC.get(para.align, "left"))
    lines = clean_text(para.text).split("\n")
    r = el("r", p)
    run_props(r, fonts, sizes[para.size], bold=para.bold, heading=para.heading_font)
    for n, line in enumerate(lines):
        if n:
            el("br", r)
        if line:
            _text(r, line)
    return p
