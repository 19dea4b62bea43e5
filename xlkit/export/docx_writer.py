"""Writing a model Document as a Word document (A4, Japanese fonts, page numbers)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .docx_fast import PLACEHOLDER, TableWriter, clean_text, el, mm_to_twips, run_props
from .model import Para, Document, Table

_A4 = (Mm(210), Mm(297))
_JC = {"left": "left", "center": "center", "right": "right", "distribute": "distribute"}


def write(report: Document, path: Path, layout: dict) -> None:
    """Write the Document as a .docx at `path` (the caller makes it atomic: xlkit.files)."""
    doc, rows = document(report, layout)
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
                for name, xml in rows.items():
                    mark = f"<!--{name}-->".encode()
                    if data.count(mark) != 1:
                        raise RuntimeError(f"table placeholder {name} not found once in document.xml")
                    data = data.replace(mark, xml.encode("utf-8"))
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


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


def document(report: Document, layout: dict) -> tuple[docx.document.Document, dict[str, str]]:
    """The document with each table's body rows left out, and those rows as XML text."""
    doc = docx.Document()
    rows: dict[str, str] = {}
    fonts, sizes = layout["fonts"], layout["sizes_pt"]
    _set_styles(doc, fonts, sizes["body"])
    _set_page(doc.sections[0], report)
    _page_number_footer(doc.sections[0], layout["page_number"], fonts, sizes["table"])
    doc.core_properties.title = report.title
    doc.core_properties.author = report.author
    doc.core_properties.language = "ja-JP"

    body = doc.element.body
    sect_pr = body[-1]  # python-docx's template ends the body with the section properties
    for p in list(body.iterchildren(qn("w:p"))):  # the template's empty first paragraph
        body.remove(p)
    first = True
    for sheet in report.sheets:
        for n, block in enumerate(sheet.blocks):
            if isinstance(block, Table):
                size = sizes[block.size]
                writer = TableWriter(block, fonts, size, table_style(doc, fonts, size),
                                     page_text_pt=_page_text_pt(report))
                name = PLACEHOLDER.format(n=len(rows))
                element = writer.frame(name)
                rows[name] = writer.body_xml()
            else:
                brk = block.page_break_before or (sheet.new_page and n == 0 and not first)
                element = _paragraph(block, fonts, sizes, page_break=brk, text_width_mm=_text_width(report))
            sect_pr.addprevious(element)
            # Word needs a paragraph between two tables or it joins them into one
            if isinstance(block, Table):
                sect_pr.addprevious(_paragraph(Para(""), fonts, sizes))
            first = False
    return doc, rows


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


def _set_page(section, report: Document) -> None:
    landscape = report.orientation == "landscape"
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = _A4
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
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


def _page_text_pt(report: Document) -> float:
    """The height of the text area (between the top and bottom margins), in points."""
    height = _A4[0].mm if report.orientation == "landscape" else _A4[1].mm
    return (height - report.margins_mm["top"] - report.margins_mm["bottom"]) * 72 / 25.4


def _text_width(report: Document) -> float:
    width = _A4[1].mm if report.orientation == "landscape" else _A4[0].mm
    return width - report.margins_mm["left"] - report.margins_mm["right"]


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
    indent = _box_indent(para, sizes, text_width_mm) if para.box else 0
    el("spacing", ppr, before=round(para.space_before_pt * 20), after=round(para.space_after_pt * 20))
    if indent:
        el("ind", ppr, left=indent)
    el("jc", ppr, val=_JC.get(para.align, "left"))
    lines = clean_text(para.text).split("\n")
    r = el("r", p)
    run_props(r, fonts, sizes[para.size], bold=para.bold, heading=para.heading_font)
    for n, line in enumerate(lines):
        if n:
            el("br", r)
        if line:
            _text(r, line)
    return p
