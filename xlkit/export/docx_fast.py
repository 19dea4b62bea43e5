"""Word tables built as lxml elements, fast and with widths both Word and LibreOffice honour.

python-docx's `table.add_row()` + `row.cells` re-reads the whole table grid for every row,
so a 2,000-row table takes seconds and grows faster than the rows. Here one body row
(w:tr) is built once as a template; each data row is a deep copy with its texts filled in,
appended to the w:tbl element. Cost is linear in the number of cells.

Widths: a fixed layout (w:tblLayout fixed), a w:tblGrid and a w:tcW on every cell, all in
twentieths of a point (dxa). Word honours tcW, LibreOffice honours tblGrid; giving both the
same numbers makes the two agree.
"""

from __future__ import annotations

import copy
import re

from docx.oxml.ns import qn
from lxml import etree

from .model import Cell, Table

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 forbids (Excel cells can carry them, e.g. a vertical tab from a paste)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_JC = {"left": "left", "center": "center", "right": "right", "distribute": "distribute"}


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
    """w:rPr with the Latin and East Asian fonts named explicitly (kept when pasted elsewhere)."""
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
    """Writes one model Table into a w:tbl element."""

    def __init__(self, table: Table, fonts: dict, size_pt: float):
        self.table = table
        self.fonts = fonts
        self.size_pt = size_pt
        self.widths = [mm_to_twips(c.width_mm) for c in table.columns]
        self.aligns = [c.align for c in table.columns]

    # -- the table frame ------------------------------------------------------------------
    def build(self) -> etree._Element:
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
        self.append_rows(tbl, self.table.rows)
        return tbl

    def append_rows(self, tbl, rows) -> None:
        template = None
        for row in rows:
            if all(isinstance(v, str) for v in row):
                if template is None:
                    template = self._template_row()
                tbl.append(self._fill(copy.deepcopy(template), row))
            else:
                tbl.append(self._rich_row(row, header=False))

    # -- fast path: plain text rows ------------------------------------------------------
    def _row_props(self, tr, header: bool):
        trpr = el("trPr", tr)
        el("cantSplit", trpr)
        if self.table.min_row_mm and not header:
            el("trHeight", trpr, val=mm_to_twips(self.table.min_row_mm), hRule="atLeast")
        if header:
            el("tblHeader", trpr)
        return trpr

    def _template_row(self) -> etree._Element:
        tr = el("tr")
        self._row_props(tr, header=False)
        for i, width in enumerate(self.widths):
            fill = self.table.label_fill if i == 0 else None
            align = "distribute" if (i == 0 and self.table.label_distribute) else self.aligns[i]
            self._cell(tr, width, "", align=align, fill=fill)
        return tr

    def _fill(self, tr, values) -> etree._Element:
        # children: trPr, then one w:tc per column; each tc is tcPr + one w:p (pPr, r(rPr, t))
        for tc, value in zip(tr[1:], values):
            if not value:
                continue
            lines = clean_text(value).split("\n")
            p = tc[1]
            p[1][1].text = lines[0]
            for line in lines[1:]:
                extra = copy.deepcopy(p)
                extra[1][1].text = line
                tc.append(extra)
        return tr

    # -- slow path: header rows and cells with merges, fills, per-line alignment ----------
    def _rich_row(self, row, header: bool) -> etree._Element:
        tr = el("tr")
        self._row_props(tr, header)
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
        el("vAlign", tcpr, val="center" if merge or diagonal or fill else "top")
        lines = clean_text(text).split("\n")
        for n, line in enumerate(lines):
            line_align = line_aligns[n] if line_aligns and n < len(line_aligns) else align
            self._para(tc, line, line_align, bold)
        return tc

    def _para(self, tc, text, align, bold):
        p = el("p", tc)
        ppr = el("pPr", p)
        el("spacing", ppr, before=0, after=0, line=240, lineRule="auto")
        el("jc", ppr, val=_JC.get(align, "left"))
        r = el("r", p)
        run_props(r, self.fonts, self.size_pt, bold=bold)
        t = el("t", r)
        t.set(_XML_SPACE, "preserve")
        t.text = text
        return p


def mark_merge_starts(tbl) -> None:
    """Give each vertically merged cell's first cell w:vMerge restart.

    The model marks only the continuing cells (merge_up); the cell above them must say
    "restart" or Word ignores the merge.
    """
    rows = tbl.findall(qn("w:tr"))
    for above, below in zip(rows, rows[1:]):
        for tc_above, tc_below in zip(above.findall(qn("w:tc")), below.findall(qn("w:tc"))):
            below_pr = tc_below.find(qn("w:tcPr"))
            if below_pr.find(qn("w:vMerge")) is None:
                continue
            above_pr = tc_above.find(qn("w:tcPr"))
            if above_pr.find(qn("w:vMerge")) is None:
                merge = etree.Element(qn("w:vMerge"), {qn("w:val"): "restart"})
                above_pr.find(qn("w:tcW")).addnext(merge)


def build_table(table: Table, fonts: dict, size_pt: float) -> etree._Element:
    tbl = TableWriter(table, fonts, size_pt).build()  # size_pt: the table's own font size
    if any(isinstance(c, Cell) and c.merge_up for row in table.header for c in row):
        mark_merge_starts(tbl)
    return tbl
