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

from .model import CELL_SIDE_MM, Cell, Table

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 forbids (Excel cells can carry them, e.g. a vertical tab from a paste)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
JC = {"left": "left", "center": "center", "right": "right", "distribute": "distribute"}
PLACEHOLDER = "xlkit-rows-{n}"
# Estimating a row's height (see TableWriter.splittable): text measured in em (xlkit.widths),
# a line as 1.3 times the font size, so the estimate errs on the tall side
_LINE_FACTOR = 1.3
_CELL_SIDE_TWIPS = round(CELL_SIDE_MM * 1440 / 25.4)  # the left and right cell margins
# LibreOffice sets a line of IPAex at about 1.4 times the font size (Word's ＭＳ fonts less): the
# header rows under a drawn diagonal are held at a height this generous, so that the line's
# length, fixed when the file is written, is the cell's real height
_DIAGONAL_LINE_FACTOR = 1.45
_EMU_PER_TWIP = 635
_LINE_EMU = 6350  # 0.5 pt, the width of the table's borders (w:sz 4 = 4/8 pt)
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"


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
                 page_text_pt: float | None = None, drawn_diagonal_id: int | None = None):
        """`page_text_pt`: the height of the page's text area. A body row estimated taller
        than that, less the repeated header rows, may continue on the next page (see
        splittable); every other row is kept whole (w:cantSplit).

        `drawn_diagonal_id`: draw a header cell's diagonal as a line shape (this id and up)
        instead of the tl2br border, which LibreOffice does not draw (see diagonal_line)."""
        self.table = table
        self.drawn_diagonal_id = drawn_diagonal_id
        self.drawn = 0
        self.fonts = fonts
        self.size_pt = size_pt
        self.style_id = style_id
        self.widths = [mm_to_twips(c.width_mm) for c in table.columns]
        # full-width characters that fit on one line of each column
        em_twips = size_pt * 20
        self.per_line = [max((w - 2 * _CELL_SIDE_TWIPS) / em_twips, 1) for w in self.widths]
        self.max_row_pt = None
        if page_text_pt is not None:
            header_pt = sum(self.row_height_pt([c.text if isinstance(c, Cell) else str(c) for c in row])
                            for row in table.header)
            self.max_row_pt = (page_text_pt - header_pt) * 0.95

    def lines(self, texts) -> int:
        """The most lines a cell of a row with `texts` (one per column; None: skipped) wraps to."""
        most = 1
        for text, per_line in zip(texts, self.per_line):
            if text is not None:
                most = max(most, sum(max(1, math.ceil(widths.EM.measure(para) / per_line))
                                     for para in text.split("\n")))
        return most

    def row_height_pt(self, texts) -> float:
        """A generous estimate of the height a body row needs (its tallest cell)."""
        return self.lines(texts) * self.size_pt * _LINE_FACTOR + 2 * self.table.padding_mm * 72 / 25.4

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
        el("left", mar, w=_CELL_SIDE_TWIPS, type="dxa")  # keeps text off the borders
        el("bottom", mar, w=pad, type="dxa")
        el("right", mar, w=_CELL_SIDE_TWIPS, type="dxa")
        el("tblLook", tblpr, val="0000", firstRow=0, lastRow=0, firstColumn=0, lastColumn=0,
           noHBand=1, noVBand=1)
        grid = el("tblGrid", tbl)
        for w in self.widths:
            el("gridCol", grid, w=w)
        heights = self._drawn_header_heights()
        for n, row in enumerate(self.table.header):
            tbl.append(self._rich_row(row, header=True, heights=heights, index=n))
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
        plain = Cell()
        fill = self.table.fill_of(plain, i, header=False)
        align = self.table.align_of(plain, i, header=False)
        tcpr = f'<w:tcPr><w:tcW w:w="{self.widths[i]}" w:type="dxa"/>'
        if fill:
            tcpr += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/><w:vAlign w:val="center"/>'
        elif self.table.valign != "top":
            tcpr += f'<w:vAlign w:val="{self.table.valign}"/>'
        tcpr += "</w:tcPr>"
        jc = f'<w:jc w:val="{JC.get(align, "left")}"/>' if align != "left" else ""
        ppr = f'<w:pPr><w:pStyle w:val="{self.style_id}"/>{jc}</w:pPr>'
        return f"<w:tc>{tcpr}<w:p>{ppr}", f"</w:p><w:p>{ppr}", "</w:p></w:tc>"

    def _drawn_header_heights(self) -> list[int] | None:
        """The header rows' heights in twips when a diagonal is drawn as a shape, else None.

        The shape's size is fixed in the file while the row's height is LibreOffice's to find:
        each header row is given a height (w:trHeight atLeast) its text surely fits in, and is
        then exactly that high."""
        if self.drawn_diagonal_id is None or not any(
                isinstance(c, Cell) and c.diagonal for row in self.table.header for c in row):
            return None

        def height(lines: int) -> int:
            return round(lines * self.size_pt * 20 * _DIAGONAL_LINE_FACTOR) + 2 * mm_to_twips(self.table.padding_mm)

        # a merged cell's text, and the diagonal cell's, are spread over the rows they span
        heights = [height(self.lines([None if isinstance(c, Cell) and (c.merge_up or c.diagonal)
                                      else (c.text if isinstance(c, Cell) else str(c)) for c in row]))
                   for row in self.table.header]
        for index, row in enumerate(self.table.header):
            for column, cell in enumerate(row):
                if isinstance(cell, Cell) and cell.diagonal and not cell.merge_up:
                    spanned = self._spanned(index, column)
                    short = height(len(clean_text(cell.text).split("\n"))) - sum(heights[k] for k in spanned)
                    heights[spanned[-1]] += max(short, 0)
        return heights

    def _spanned(self, index: int, column: int) -> list[int]:
        """The header rows the cell at (index, column) covers: its own and those merged below it."""
        rows = [index]
        while rows[-1] + 1 < len(self.table.header):
            below = self.table.header[rows[-1] + 1][column]
            if not (isinstance(below, Cell) and below.merge_up):
                break
            rows.append(rows[-1] + 1)
        return rows

    # -- rows as elements: header rows and cells with merges, fills, per-line alignment ---
    def _rich_row(self, row, header: bool, heights: list[int] | None = None, index: int = 0) -> etree._Element:
        tr = el("tr")
        trpr = el("trPr", tr)
        texts = [c.text if isinstance(c, Cell) else str(c) for c in row]
        if header or not self.splittable(texts):
            el("cantSplit", trpr)
        if self.table.min_row_mm and not header:
            el("trHeight", trpr, val=mm_to_twips(self.table.min_row_mm), hRule="atLeast")
        if header and heights:
            el("trHeight", trpr, val=heights[index], hRule="atLeast")
        if header:
            el("tblHeader", trpr)
        for i, (width, value) in enumerate(zip(self.widths, row)):
            cell = value if isinstance(value, Cell) else Cell(str(value))
            fill = self.table.fill_of(cell, i, header=header)
            align = self.table.align_of(cell, i, header=header)
            drawn = None
            if heights and cell.diagonal and not cell.merge_up:
                drawn = sum(heights[k] for k in self._spanned(index, i))
            self._cell(tr, width, cell.text if not cell.merge_up else "", align=align,
                       fill=fill, bold=cell.bold, merge=("continue" if cell.merge_up else None),
                       diagonal=cell.diagonal, line_aligns=cell.line_aligns, drawn_height=drawn)
        return tr

    def _cell(self, tr, width, text, *, align, fill=None, bold=False, merge=None,
              diagonal=False, line_aligns=None, drawn_height=None):
        """`drawn_height`: the cell's height in twips when its diagonal is drawn as a shape."""
        tc = el("tc", tr)
        tcpr = el("tcPr", tc)
        el("tcW", tcpr, w=width, type="dxa")
        if merge == "continue":
            el("vMerge", tcpr)
        if diagonal and drawn_height is None:
            _borders(tcpr, "tcBorders", ("tl2br",))
        if fill:
            el("shd", tcpr, val="clear", color="auto", fill=fill)
        valign = "center" if merge or diagonal or fill else self.table.valign
        # a drawn line starts at the first line's paragraph: it must sit at the cell's top
        el("vAlign", tcpr, val="top" if drawn_height is not None else valign)
        lines = clean_text(text).split("\n")
        for n, line in enumerate(lines):
            line_align = line_aligns[n] if line_aligns and n < len(line_aligns) else align
            p = self._para(tc, line, line_align, bold)
            if drawn_height is None:
                continue
            if n == 0:
                p.insert(1, self._diagonal_run(width, drawn_height))
            elif n == len(lines) - 1:
                # the last line (実施機関) at the foot of the cell, below the line's left end, as
                # the first (件数) is at the top right, above it
                pad = mm_to_twips(self.table.padding_mm)
                line_twips = self.size_pt * 20 * _DIAGONAL_LINE_FACTOR
                before = drawn_height - 2 * pad - len(lines) * line_twips
                if before > 0:  # w:spacing comes before w:jc in w:pPr (the schema's order)
                    p.find(qn("w:pPr")).find(qn("w:jc")).addprevious(
                        el("spacing", None, before=round(before), after=0))
        return tc

    def _diagonal_run(self, width: int, height: int) -> etree._Element:
        r = el("r")
        r.append(diagonal_line(width, height, -_CELL_SIDE_TWIPS, -mm_to_twips(self.table.padding_mm),
                               self.drawn_diagonal_id + self.drawn))
        self.drawn += 1
        return r

    def _para(self, tc, text, align, bold):
        p = el("p", tc)
        ppr = el("pPr", p)
        el("pStyle", ppr, val=self.style_id)
        el("jc", ppr, val=JC.get(align, "left"))
        if text:
            r = el("r", p)
            run_props(r, self.fonts, self.size_pt, bold=bold)
            t = el("t", r)
            t.set(_XML_SPACE, "preserve")
            t.text = text
        return p


def diagonal_line(width: int, height: int, left: int, top: int, shape_id: int) -> etree._Element:
    """A w:drawing: a line from the top-left to the bottom-right of a `width` × `height` box (twips)
    placed `left`, `top` twips from its paragraph's column and top, behind the text.

    LibreOffice does not draw a cell's tl2br border, but draws this shape (a DrawingML line
    anchored in the cell), in its PDF as a real line."""
    cx, cy = width * _EMU_PER_TWIP, height * _EMU_PER_TWIP
    xml = (
        f'<w:drawing xmlns:w="{W_NS}" xmlns:wp="{_WP}" xmlns:a="{_A}" xmlns:wps="{_WPS}">'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" '
        'behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="column"><wp:posOffset>{left * _EMU_PER_TWIP}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{top * _EMU_PER_TWIP}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        f'<wp:docPr id="{shape_id}" name="diagonal {shape_id}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic><a:graphicData uri="{_WPS}"><wps:wsp><wps:cNvCnPr/>'
        f'<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="line"><a:avLst/></a:prstGeom>'
        f'<a:ln w="{_LINE_EMU}"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></wps:spPr>'
        '<wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>'
    )
    return etree.fromstring(xml)


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
