"""Word tables that stay fast at thousands of rows, with widths Word and LibreOffice both honour.

python-docx's `table.add_row()` + `row.cells` re-reads the whole table grid for every row,
so a 2,000-row table takes many seconds and grows faster than the rows. Building the rows
as lxml elements is better but still not linear: every element made outside the document
is re-homed into it when appended. Here the table's frame (properties, grid, header rows)
is an lxml element in the document, and its body rows are generated as w:tr XML text from
per-column templates: a placeholder comment inside the w:tbl marks where they go, and
docx_writer splices the text into word/document.xml when it saves. Cost: linear in the
size of the text.

Widths: a fixed layout (w:tblLayout fixed), a w:tblGrid and a w:tcW on every cell, all in
twentieths of a point (dxa). Word honours tcW, LibreOffice honours tblGrid; giving both the
same numbers makes the two agree.

Fonts: body cells name a paragraph style (see docx_writer.table_style) carrying the East
Asian and Latin fonts and the size, so each cell's XML is small.
"""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

from docx.oxml.ns import qn
from lxml import etree

from xlkit import widths

from .model import Cell, Table

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 forbids (Excel cells can carry them, e.g. a vertical tab from a paste)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_JC = {"left": "left", "center": "center", "right": "right", "distribute": "distribute"}
PLACEHOLDER = "xlkit-rows-{n}"
# Estimating a row's height (see TableWriter.splittable): text measured in em (xlkit.widths),
# a line as 1.3 times the font size, so the estimate errs on the tall side
_LINE_FACTOR = 1.3
_CELL_SIDE_TWIPS = 57  # the left and right cell margins (1 mm each)


def mm_to_twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def clean_text(text: str) -> str:
    text = _ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.replace("\t", " ")


def el(tag: str, parent=None, **attrs) -> etree._Element:
    """A w: element; attribute names are given without the prefix (val='x' -> w:val)."""
    qattrs = {qn(f"w:{k}"): str(v) for k, v in attrs.items()}
    if parent is None:
        return etree.Element(qn(f"w:{tag}"), qattrs, nsmap={"w": W_NS})
    return etree.SubElement(parent, qn(f"w:{tag}"), qattrs)


def run_props(parent, fonts: dict, size_pt: float, bold: bool = False, heading: bool = False):
    """w:rPr with the Latin and East Asian fonts named explicitly."""
    rpr = el("rPr", parent)
    latin = fonts["heading_latin" if heading else "latin"]
    east = fonts["heading_east_asia" if heading else "east_asia"]
    el("rFonts", rpr, ascii=latin, hAnsi=latin, eastAsia=east, cs=latin)
    if bold:
        el("b", rpr)
        el("bCs", rpr)
    half_points = round(size_pt * 2)
    el("sz", rpr, val=half_points)
    el("szCs", rpr, val=half_points)
    return rpr


def _borders(parent, tag: str, sides: tuple[str, ...]):
    box = el(tag, parent)
    for side in sides:
        el(side, box, val="single", sz=4, space=0, color="000000")
    return box


class TableWriter:
    """One model Table: `frame()` gives the w:tbl element, `body_xml()` its body rows as text."""

    def __init__(self, table: Table, fonts: dict, size_pt: float, style_id: str,
                 page_text_pt: float | None = None):
        """`page_text_pt`: the height of the page's text area. A body row estimated taller
        than that, less the repeated header rows, may continue on the next page (see
        splittable); every other row is kept whole (w:cantSplit)."""
        self.table = table
        self.fonts = fonts
        self.size_pt = size_pt
        self.style_id = style_id
        self.widths = [mm_to_twips(c.width_mm) for c in table.columns]
        self.aligns = [c.align for c in table.columns]
        # full-width characters that fit on one line of each column
        em_twips = size_pt * 20
        self.per_line = [max((w - 2 * _CELL_SIDE_TWIPS) / em_twips, 1) for w in self.widths]
        self.max_row_pt = None
        if page_text_pt is not None:
            header_pt = sum(self.row_height_pt([c.text if isinstance(c, Cell) else str(c) for c in row])
                            for row in table.header)
            self.max_row_pt = (page_text_pt - header_pt) * 0.95

    def row_height_pt(self, texts) -> float:
        """A generous estimate of the height a body row needs (its tallest cell)."""
        lines = 1
        for text, per_line in zip(texts, self.per_line):
            n = 0
            for para in text.split("\n"):
                n += max(1, math.ceil(widths.EM.measure(para) / per_line))
            lines = max(lines, n)
        return lines * self.size_pt * _LINE_FACTOR + 2 * self.table.padding_mm * 72 / 25.4

    def splittable(self, texts) -> bool:
        """True for a row that may be taller than a page. Word does not move such a row to
        the next page when it is marked w:cantSplit: it cuts the row off at the foot of the
        page and the rest of the text is never printed. So only rows that surely fit are
        kept whole."""
        return self.max_row_pt is not None and self.row_height_pt(texts) > self.max_row_pt

    # -- the frame: properties, grid, header rows (a handful of elements) ----------------
    def frame(self, placeholder: str) -> etree._Element:
        tbl = el("tbl")
        tblpr = el("tblPr", tbl)
        el("tblW", tblpr, w=sum(self.widths), type="dxa")
        el("jc", tblpr, val="center")
        _borders(tblpr, "tblBorders", ("top", "left", "bottom", "right", "insideH", "insideV"))
        el("tblLayout", tblpr, type="fixed")
        mar = el("tblCellMar", tblpr)
        pad = mm_to_twips(self.table.padding_mm)
        el("top", mar, w=pad, type="dxa")
        el("left", mar, w=57, type="dxa")  # 1 mm each side keeps text off the borders
        el("bottom", mar, w=pad, type="dxa")
        el("right", mar, w=57, type="dxa")
        el("tblLook", tblpr, val="0000", firstRow=0, lastRow=0, firstColumn=0, lastColumn=0,
           noHBand=1, noVBand=1)
        grid = el("tblGrid", tbl)
        for w in self.widths:
            el("gridCol", grid, w=w)
        for row in self.table.header:
            tbl.append(self._rich_row(row, header=True))
        if any(isinstance(c, Cell) and c.merge_up for row in self.table.header for c in row):
            mark_merge_starts(tbl)
        tbl.append(etree.Comment(placeholder))
        return tbl

    # -- the body rows, as XML text ------------------------------------------------------
    def body_xml(self) -> str:
        templates = [self._cell_template(i) for i in range(len(self.widths))]
        height = ""
        if self.table.min_row_mm:
            height = f'<w:trHeight w:val="{mm_to_twips(self.table.min_row_mm)}" w:hRule="atLeast"/>'
        row_open = f"<w:tr><w:trPr><w:cantSplit/>{height}</w:trPr>"
        row_open_split = f"<w:tr><w:trPr>{height}</w:trPr>" if height else "<w:tr>"
        parts: list[str] = []
        for row in self.table.rows:
            if not all(isinstance(v, str) for v in row):
                # a row with merges, fills or per-line alignment: built as an element
                parts.append(etree.tostring(self._rich_row(row, header=False), encoding="unicode"))
                continue
            parts.append(row_open_split if self.splittable(row) else row_open)
            for (opening, between, closing), value in zip(templates, row):
                parts.append(opening)
                if value:
                    lines = escape(clean_text(value)).split("\n")
                    parts.append(between.join(
                        f'<w:r><w:t xml:space="preserve">{line}</w:t></w:r>' if line else ""
                        for line in lines))
                parts.append(closing)
            parts.append("</w:tr>")
        return "".join(parts)

    def _cell_template(self, i: int) -> tuple[str, str, str]:
        """(opening, between two lines, closing) of a body cell of column i."""
        fill = self.table.label_fill if i == 0 else None
        align = "distribute" if (i == 0 and self.table.label_distribute) else self.aligns[i]
        tcpr = f'<w:tcPr><w:tcW w:w="{self.widths[i]}" w:type="dxa"/>'
        if fill:
            tcpr += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/><w:vAlign w:val="center"/>'
        elif self.table.valign != "top":
            tcpr += f'<w:vAlign w:val="{self.table.valign}"/>'
        tcpr += "</w:tcPr>"
        jc = f'<w:jc w:val="{_JC.get(align, "left")}"/>' if align != "left" else ""
        ppr = f'<w:pPr><w:pStyle w:val="{self.style_id}"/>{jc}</w:pPr>'
        return f"<w:tc>{tcpr}<w:p>{ppr}", f"</w:p><w:p>{ppr}", "</w:p></w:tc>"

    # -- rows as elements: header rows and cells with merges, fills, per-line alignment ---
    def _rich_row(self, row, header: bool) -> etree._Element:
        tr = el("tr")
        trpr = el("trPr", tr)
        texts = [c.text if isinstance(c, Cell) else str(c) for c in row]
        if header or not self.splittable(texts):
            el("cantSplit", trpr)
        if self.table.min_row_mm and not header:
            el("trHeight", trpr, val=mm_to_twips(self.table.min_row_mm), hRule="atLeast")
        if header:
            el("tblHeader", trpr)
        for i, (width, value) in enumerate(zip(self.widths, row)):
            cell = value if isinstance(value, Cell) else Cell(str(value))
            fill = cell.fill or (self.table.header_fill if header else None)
            if fill is None and i == 0 and not header:
                fill = self.table.label_fill
            align = cell.align or ("center" if header else self.aligns[i])
            if i == 0 and not header and self.table.label_distribute and cell.align is None:
                align = "distribute"
            self._cell(tr, width, cell.text if not cell.merge_up else "", align=align,
                       fill=fill, bold=cell.bold, merge=("continue" if cell.merge_up else None),
                       diagonal=cell.diagonal, line_aligns=cell.line_aligns)
        return tr

    def _cell(self, tr, width, text, *, align, fill=None, bold=False, merge=None,
              diagonal=False, line_aligns=None):
        tc = el("tc", tr)
        tcpr = el("tcPr", tc)
        el("tcW", tcpr, w=width, type="dxa")
        if merge == "continue":
            el("vMerge", tcpr)
        if diagonal:
            _borders(tcpr, "tcBorders", ("tl2br",))
        if fill:
            el("shd", tcpr, val="clear", color="auto", fill=fill)
        el("vAlign", tcpr, val="center" if merge or diagonal or fill else self.table.valign)
        lines = clean_text(text).split("\n")
        for n, line in enumerate(lines):
            line_align = line_aligns[n] if line_aligns and n < len(line_aligns) else align
            self._para(tc, line, line_align, bold)
        return tc

    def _para(self, tc, text, align, bold):
        p = el("p", tc)
        ppr = el("pPr", p)
        el("pStyle", ppr, val=self.style_id)
        el("jc", ppr, val=_JC.get(align, "left"))
        if text:
            r = el("r", p)
            run_props(r, self.fonts, self.size_pt, bold=bold)
            t = el("t", r)
            t.set(_XML_SPACE, "preserve")
            t.text = text
        return p


def mark_merge_starts(tbl) -> None:
    """Give each vertically merged cell's first cell w:vMerge restart.

    The model marks only the continuing cells (merge_up); the cell above them must say
    "restart" or Word ignores the merge. (Our tables have no horizontal merges, so cells
    line up by position.)
    """
    rows = tbl.findall(qn("w:tr"))
    for above, below in zip(rows, rows[1:]):
        for tc_above, tc_below in zip(above.findall(qn("w:tc")), below.findall(qn("w:tc"))):
            if tc_below.find(qn("w:tcPr")).find(qn("w:vMerge")) is None:
                continue
            above_pr = tc_above.find(qn("w:tcPr"))
            if above_pr.find(qn("w:vMerge")) is None:
                merge = etree.Element(qn("w:vMerge"), {qn("w:val"): "restart"})
                above_pr.find(qn("w:tcW")).addnext(merge)
