"""Writing a model Document as a print-ready Excel workbook (one worksheet per model Sheet).

The sheet is laid out to print as the Word report does, in the same type (9 pt tables), for the
program layout.json's excel.print_with names: Excel (the default: staff print from Excel) or
LibreOffice. The two measure differently, and one file cannot be exact in both:

- Columns. Both measure a column in digits of the workbook's default font, but Excel draws the
  digit of ＭＳ 明朝 10 pt as 7 px, LibreOffice that of IPAex明朝 (its stand-in) 17 % wider.
  Columns fill the printable width at 100 % in the program the sheet is made for. The sheet is
  also set to fit one page wide, which changes nothing there; in the other program it keeps the
  wider columns on the page (LibreOffice prints an Excel sheet at 85 %) instead of printing the
  last columns on pages of their own.
- Lines. Both programs break a wrapped cell anywhere (a line may start with 「）」). Every line
  is broken here instead (xlkit.linebreak, JIS X 4051 rules; a header at word boundaries), for
  the column as the program prints it; in a wider column the program shows the same lines.
- Rows. Excel does not grow a row when the file is opened, so each row's height is its lines at
  the program's line pitch (Excel sets ＭＳ 明朝 at 1.25 em, LibreOffice IPAex at 1.0 em) plus
  the cell padding (a cell has no top margin: the program's own leaves the text just off the
  top border, the padding is below it). A wide left-aligned column is indented off its border;
  the line width keeps text off the right one.
- Pages. A row is never split by a page break. One row is at most 409 pt: a record taller than
  that continues in the rows below it (the other cells merged across them), with a manual page
  break before it when it would not fit the rest of the page; only a record taller than a whole
  page runs on, split between lines. Paragraphs kept with the next block and a table's header
  move to the next page with the first row that does not fit. Excel repeats the header of a
  sheet's only table on every page; a table among others (the 外部提供 table on the 別紙) has
  its header written again after a page break.
- Sheets holding tables of different columns (the 別紙: a label/value table and the 外部提供
  table) share one grid: the union of the tables' column edges, a cell merged across the grid
  columns between its own edges.
- Pictures (the 別紙's flow diagrams) are placed from their bytes on a row as tall as they are
  (on rows, above 409 pt), scaled to the grid's width as Excel prints it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from xlsxwriter.image import Image

from xlkit import linebreak, widths
from xlkit.errors import XlkitError

from .model import Cell, Document, Para, Picture, Sheet, Table, text_area_mm

MAX_ROW_PT = 409
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Metrics:
    """How a spreadsheet program prints a sheet: one pixel of column width and the line pitch."""

    name: str
    pt_per_px: float
    line_em: float


# Excel with ＭＳ 明朝: a column unit of 7 px; a wrapped line 15 px at 9 pt (the font and 3 px)
EXCEL = Metrics("Excel", 0.75, 1.25)
# LibreOffice with the IPAex fonts in their place: IPAex's digit is 0.615 em, its lines 1.0 em
LIBREOFFICE = Metrics("LibreOffice", 6.148 / 7, 1.0)


def metrics_for(name: str) -> Metrics:
    """The program layout.json's excel.print_with names (Excel or LibreOffice)."""
    for m in (EXCEL, LIBREOFFICE):
        if name.lower() == m.name.lower():
            return m
    raise XlkitError(f"報告書の体裁ファイル（xlkit/data/layout.json）の excel.print_with が「{name}」です。"
                     "Excel か LibreOffice のどちらかを書いてください。")


_PAGE_SLACK_PT = 6  # the page as paginated here is this much shorter than the paper's
_FILL = 0.99  # of the printable width: a column's pixel rounding must not push one off the page
_INDENT_PT = 9.0  # one indent level (LibreOffice draws 8.7 pt, Excel about a character)
_RIGHT_PT = 2.0  # kept free at a cell's right border
_MIN_PAD_PT = 1.5  # above and below the text of every cell


def corner_text(cell: Cell, usable_em: float, room: int) -> str:
    """The split corner cell (「件数」 top right, 「実施機関」 bottom left, a diagonal between them) as
    the text of one Excel cell, which has one alignment: a right-aligned line pushed right with
    full-width spaces to `usable_em`, and empty lines between the first line and the last so that
    they sit in the corners of a cell `room` lines high, off the diagonal. For the reports and the
    集計 sheet alike."""
    lines = cell.text.split("\n")
    aligns = list(cell.line_aligns or ()) + ["left"] * len(lines)
    shown = ["\u3000" * max(int(usable_em - widths.EM.measure(text)), 0) + text if align == "right" else text
             for text, align in zip(lines, aligns)]
    gap = max(room - len(shown), 0)
    if len(shown) >= 2 and gap:
        shown = [*shown[:-1], *[""] * gap, shown[-1]]
    return "\n".join(shown)


class _Formats:
    def __init__(self, wb, font: str, heading_font: str):
        self.wb, self.font, self.heading_font = wb, font, heading_font
        self.cache: dict[tuple, object] = {}

    def get(self, *, size, align="left", valign="top", bold=False, fill=None, border="all",
            numeric=False, diagonal=False, indent=0, heading=False):
        key = (size, align, valign, bold, fill, border, numeric, diagonal, indent, heading)
        if key not in self.cache:
            # scheme "none": with xlsxwriter's "minor", Excel shows the theme's font instead
            props = {"font_name": self.heading_font if heading else self.font, "font_size": size, "valign": valign,
                     "text_wrap": True, "bold": bold, "font_scheme": "none"}
            props["align"] = {"distribute": "distributed"}.get(align, align)
            if indent:
                props["indent"] = indent
            if fill:
                props["bg_color"] = "#" + fill
            if border == "all":
                props["border"] = 1
            elif border:
                for side in border.split("+"):
                    props[side] = 1
            if numeric:
                props["num_format"] = "0"
            if diagonal:
                props.update(diag_type=2, diag_border=1)  # top left to bottom right
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def write(report: Document, path: Path, layout: dict) -> None:
    """Write the Document as a print-ready .xlsx at `path`, one worksheet per Sheet."""
    opts = layout["excel"]
    font = layout["fonts"]["east_asia"]
    # built in memory, then written in one go: a disk that fills up fails that one write, instead
    # of failing inside xlsxwriter's ZipFile, which then complains again when collected
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True,
        # staff's text is text: never a formula, a number or a link
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        # the default font is the unit of column widths (see the module docstring)
        "default_format_properties": {"font_name": font, "font_size": opts["font_pt"]},
    })
    wb.set_properties({"title": report.title, "author": report.author})
    formats = _Formats(wb, font, layout["fonts"].get("heading_east_asia", font))
    metrics = metrics_for(opts.get("print_with", "Excel"))
    for sheet in report.sheets:
        _SheetWriter(wb, sheet, report, layout, formats, metrics).write()
    wb.close()
    Path(path).write_bytes(buffer.getvalue())


def text_width_mm(report: Document, orientation: str | None = None) -> float:
    """The printable width: the paper (turned as `orientation`, else the document's) less the
    left and right margins."""
    return text_area_mm(report.margins_mm, orientation or report.orientation)[0]


def page_height_pt(report: Document, orientation: str | None = None) -> float:
    return text_area_mm(report.margins_mm, orientation or report.orientation)[1] * PT_PER_MM


def grid_edges(sheet: Sheet, width_mm: float) -> list[float]:
    """The column edges (mm from the left margin) every table of `sheet` needs, and the printable
    width's, so that a paragraph spans the page."""
    edges = {0.0, round(width_mm, 1)}
    if not any(isinstance(b, Table) for b in sheet.blocks):
        # no table: a grid of ordinary columns all the same, the text merged across them (one
        # column as wide as the page is cut off at its left by LibreOffice)
        edges |= {round(width_mm * n / 10, 1) for n in range(1, 10)}
    for block in sheet.blocks:
        if isinstance(block, Table):
            at = 0.0
            for column in block.columns:
                at += column.width_mm
                edges.add(round(min(at, width_mm), 1))
    return sorted(edges)


@dataclass
class _Span:
    """Where a cell goes: its first and last grid column, and the widths its text may take."""

    first: int
    last: int
    pt: float  # the span's width as the program the sheet is made for prints it


class _SheetWriter:
    def __init__(self, wb, sheet: Sheet, report: Document, layout: dict, formats: _Formats,
                 metrics: Metrics):
        self.sheet, self.layout, self.formats, self.metrics = sheet, layout, formats, metrics
        self.ws = wb.add_worksheet(sheet.name[:31])
        self.orientation = sheet.orientation or report.orientation
        self.edges = grid_edges(sheet, text_width_mm(report, self.orientation))
        self.px = [math.floor((b - a) * PT_PER_MM * _FILL / metrics.pt_per_px)
                   for a, b in zip(self.edges, self.edges[1:])]
        self.page_pt = page_height_pt(report, self.orientation)
        self.row = 0
        self.y = 0.0  # where on the current page the next row starts, in pt
        self.repeat_pt = 0.0  # the repeated header rows' height, on every page after the first
        self.breaks: list[int] = []
        self.kept: tuple[int, float] | None = None  # (row, y) where rows kept with the next ones start
        self.print_rows: tuple[int, int] | None = None
        # Excel repeats one run of rows on every page: the header of a sheet's only table. A
        # table among others (the 外部提供 table on the 別紙) has its header written again
        # after each page break instead
        tables = [b for b in sheet.blocks if isinstance(b, Table)]
        self.repeat_table = tables[0] if len(tables) == 1 and tables[0].header else None
        self._page_setup(report)

    def _page_setup(self, report: Document) -> None:
        ws = self.ws
        ws.set_paper(9)  # A4
        ws.set_landscape() if self.orientation == "landscape" else ws.set_portrait()
        m = {k: v / 25.4 for k, v in report.margins_mm.items()}
        ws.set_margins(left=m["left"], right=m["right"], top=m["top"], bottom=m["bottom"])
        # at 100 % the sheet fills the page in the program it is made for; the other program
        # (wider digits) shrinks it to the page instead of printing the last columns apart
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        footer = self.layout["page_number"].replace("&", "&&").replace("{page}", "&P")
        ws.set_footer("&C" + footer, {"margin": min(m["bottom"] / 2, 0.3)})
        for n, px in enumerate(self.px):
            ws.set_column_pixels(n, n, px)

    def write(self) -> None:
        for block in self.sheet.blocks:
            if isinstance(block, Table):
                self._table(block)
            elif isinstance(block, Picture):
                self._picture(block)
            else:
                self._para(block)
        if self.print_rows:
            self.ws.repeat_rows(*self.print_rows)
        if self.breaks:
            self.ws.set_h_pagebreaks(sorted(set(self.breaks)))

    # -- the grid ---------------------------------------------------------------------------
    def _span(self, left_mm: float, right_mm: float) -> _Span:
        first = self.edges.index(round(left_mm, 1))
        last = self.edges.index(round(min(right_mm, self.edges[-1]), 1)) - 1
        return _Span(first, last, sum(self.px[first:last + 1]) * self.metrics.pt_per_px)

    def _table_spans(self, table: Table) -> list[_Span]:
        spans, at = [], 0.0
        for column in table.columns:
            spans.append(self._span(at, at + column.width_mm))
            at += column.width_mm
        return spans

    def _put(self, row: int, last_row: int, span: _Span, text: str, fmt, numeric: bool = False) -> None:
        if last_row > row or span.last > span.first:
            self.ws.merge_range(row, span.first, last_row, span.last, "", fmt)
        if numeric and text.isdigit():
            self.ws.write_number(row, span.first, int(text), fmt)
        elif text:
            self.ws.write_string(row, span.first, text, fmt)
        else:
            self.ws.write_blank(row, span.first, None, fmt)

    # -- pages ------------------------------------------------------------------------------
    def _place(self, height: float, *, rows: int = 1, keep: bool = False) -> None:
        """Account for `height` pt of rows about to be written at self.row, as the pages will cut
        them. The program moves a single row that does not fit to the next page itself; a manual
        break goes before a record of several rows, or before the paragraphs and header rows
        kept with the rows that do not fit (keep), which move with them."""
        if self._breaks(height):
            moving = self.kept and self.kept[1] > self.repeat_pt + 0.01
            row, y = self.kept if moving else (self.row, self.y)
            if moving or rows > 1:
                self.breaks.append(row)
            self.y = self.repeat_pt + (self.y - y)
        start = (self.row, self.y)
        self.y += height
        while self.y > self.page_pt - _PAGE_SLACK_PT:  # taller than a page: see the docstring
            self.y -= self.page_pt - _PAGE_SLACK_PT - self.repeat_pt
        self.kept = (self.kept or start) if keep else None

    def _breaks(self, height: float) -> bool:
        """Whether rows `height` pt tall start a new page (see _place)."""
        return self.y + height > self.page_pt - _PAGE_SLACK_PT and self.y > self.repeat_pt + 0.01

    def _new_page(self) -> None:
        if self.row:
            self.breaks.append(self.row)
        self.y = self.repeat_pt
        self.kept = None

    # -- paragraphs: one row, merged across the page's width --------------------------------
    def _para(self, para: Para) -> None:
        if para.page_break_before:
            self._new_page()
        size = self.layout["sizes_pt"][para.size]
        span = self._span(self._para_left(para), self.edges[-1])
        pad = _RIGHT_PT + (_INDENT_PT if para.box else 0)
        lines = linebreak.lines(para.text, (span.pt - pad) / size)
        text = "\n".join(lines)
        before = para.space_before_pt if self.row else 0
        height = len(lines) * size * self.metrics.line_em + before + para.space_after_pt + 2 * _MIN_PAD_PT
        # the space before and after sits above and below the text: the row is as tall as both
        valign = "bottom" if before > para.space_after_pt else "top" if para.space_after_pt > before else "vcenter"
        fmt = self.formats.get(size=size, align=para.align, valign=valign, bold=para.bold, heading=para.heading_font,
                               border="all" if para.box else None,
                               indent=1 if para.box and para.align in ("left", "distribute") else 0)
        self._rows([height], keep=para.keep_with_next)
        self._put(self.row, self.row, span, text, fmt)
        self.row += 1

    def _para_left(self, para: Para) -> float:
        """Where a paragraph starts: the left margin, or for one of a set width (the header block)
        the grid edge that leaves the right-most columns closest to that width."""
        if para.width_mm is None:
            return 0.0
        right = self.edges[-1]
        return min(self.edges[:-1], key=lambda edge: (abs(right - edge - para.width_mm), edge))

    def _rows(self, heights: list[float], *, keep: bool = False) -> None:
        self._place(sum(heights), rows=len(heights), keep=keep)
        for k, h in enumerate(heights):
            self.ws.set_row(self.row + k, round(h, 2))

    # -- pictures ---------------------------------------------------------------------------
    def _picture(self, picture: Picture) -> None:
        if picture.page_break_before:
            self._new_page()
        image = Image(io.BytesIO(picture.png))
        width_pt = sum(self.px) * EXCEL.pt_per_px
        # scaled to the grid as Excel prints it (the narrower), never enlarged past the size asked
        w_mm, h_mm = picture.within(width_pt / PT_PER_MM, (self.page_pt - 2 * _MIN_PAD_PT) / PT_PER_MM)
        w_pt, h_pt = w_mm * PT_PER_MM, h_mm * PT_PER_MM
        # Excel holds a row at most 409 pt (a taller one is cut to that, and the picture with it):
        # a taller picture spans rows of equal height, which it moves and sizes with
        height = h_pt + 2 * _MIN_PAD_PT
        parts = math.ceil(height / MAX_ROW_PT)
        self._rows([height / parts] * parts)
        # xlsxwriter sizes an image as its pixels at its resolution: scale from that to the size asked
        native_w = image.width * 96 / (image.x_dpi or 96) * EXCEL.pt_per_px
        native_h = image.height * 96 / (image.y_dpi or 96) * EXCEL.pt_per_px
        self.ws.insert_image(self.row, 0, picture.name or "image.png", {
            "image_data": io.BytesIO(picture.png),
            "x_scale": w_pt / native_w, "y_scale": h_pt / native_h,
            "x_offset": max((width_pt - w_pt) / 2 / EXCEL.pt_per_px, 0), "y_offset": _MIN_PAD_PT / EXCEL.pt_per_px,
            "object_position": 1, "description": picture.name,
        })
        self.row += parts

    # -- tables -----------------------------------------------------------------------------
    def _table(self, table: Table) -> None:
        spans = self._table_spans(table)
        first = self.row
        header = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in table.header]
        if header:
            self._header(table, header, spans)
            if table is self.repeat_table:
                self.print_rows = (first, self.row - 1)
                self.repeat_pt = self._header_pt
                if len(self.sheet.blocks) <= 3:  # a sheet that is mostly this table
                    self.ws.freeze_panes(self.row, 0)
        for row in table.rows:
            self._record(table, [c if isinstance(c, Cell) else Cell(c) for c in row], spans, header)

    def _size(self, table: Table) -> float:
        return self.layout["sizes_pt"][table.size]

    def _pad(self, table: Table) -> float:
        return max(table.padding_mm * PT_PER_MM, _MIN_PAD_PT)

    def _indent(self, table: Table, col: int, align: str, span: _Span) -> int:
        # an indent costs a character's width: worth it in a wide column (the 別紙's values), not in
        # the narrow columns of a list, where Word's 1 mm is about the program's own margin
        return 1 if align in ("left", "distribute") and span.pt >= 30 * self._size(table) else 0

    def _lines(self, table: Table, col: int, cell: Cell, span: _Span, *, header: bool) -> list[str]:
        """The cell's lines, broken for its column (the program prints exactly these)."""
        size = self._size(table)
        pad = _RIGHT_PT + (_INDENT_PT if self._indent(table, col, table.align_of(cell, col, header=header), span) else 0)
        if header:  # the builder's breaks kept; a line still too wide broken at word boundaries
            return [ln for part in cell.text.split("\n")
                    for ln in linebreak.header(part, (span.pt - pad) / PT_PER_MM, size).split("\n")]
        return linebreak.lines(cell.text, (span.pt - pad) / size)

    def _format(self, table: Table, cell: Cell, col: int, span: _Span, *, header: bool, border="all",
                valign: str | None = None):
        column = table.columns[col]
        fill = table.fill_of(cell, col, header=header)
        align = table.align_of(cell, col, header=header)
        if valign is None:
            valign = "vcenter" if header or table.valign == "center" else "top"
            if col == 0 and table.label_fill and not header:
                valign = "vcenter"
        if cell.diagonal:
            align, valign = "left", "top"  # the corner's lines are placed by _corner_text
        return self.formats.get(size=self._size(table), align=align, valign=valign, bold=cell.bold,
                                fill=fill, border=border, numeric=column.numeric and not header,
                                diagonal=cell.diagonal, indent=self._indent(table, col, align, span))

    def _height(self, table: Table, lines: int) -> float:
        height = lines * self._size(table) * self.metrics.line_em + 2 * self._pad(table)
        if table.min_row_mm:
            height = max(height, table.min_row_mm * PT_PER_MM)
        return height

    def _header(self, table: Table, header: list[list[Cell]], spans: list[_Span]) -> None:
        """The header rows; a cell marked merge_up continues the one above it (the corner)."""
        measured = [[[] if c.merge_up or c.diagonal else self._lines(table, n, c, spans[n], header=True)
                     for n, c in enumerate(row)] for row in header]
        heights = [self._height(table, max([len(m) for m in row] + [1])) for row in measured]
        # a merged cell (the corner) must fit the rows it spans
        for n, row in enumerate(header):
            for col, cell in enumerate(row):
                down = self._down(header, n, col)
                if cell.merge_up or down == n + 1:
                    continue
                need = self._height(table, len(cell.text.split("\n")) + (2 if cell.diagonal else 0))
                have = sum(heights[n:down])
                if need > have:
                    heights[down - 1] += need - have
        self._header_pt = sum(heights)
        self._rows(heights, keep=True)  # never alone at the foot of a page
        top = self.row
        for n, row in enumerate(header):
            for col, cell in enumerate(row):
                if cell.merge_up:
                    continue
                down = self._down(header, n, col)
                fmt = self._format(table, cell, col, spans[col], header=True)
                if cell.diagonal:
                    text = self._corner_text(table, cell, spans[col], sum(heights[n:down]))
                else:
                    text = "\n".join(measured[n][col])
                self._put(top + n, top + down - 1, spans[col], text, fmt)
        self.row += len(header)

    @staticmethod
    def _down(header: list[list[Cell]], n: int, col: int) -> int:
        """The row after the last one the cell at (n, col) spans (merge_up cells below it)."""
        down = n + 1
        while down < len(header) and header[down][col].merge_up:
            down += 1
        return down

    def _corner_text(self, table: Table, cell: Cell, span: _Span, height: float) -> str:
        size = self._size(table)
        room = int((height - 2 * self._pad(table)) / (size * self.metrics.line_em))
        return corner_text(cell, (span.pt - _RIGHT_PT - 2) / size, room)

    def _record(self, table: Table, cells: list[Cell], spans: list[_Span], header: list[list[Cell]]) -> None:
        """One body row; taller than Excel's row limit, it continues in the rows below. On a new
        page, a table whose header Excel does not repeat gets it written again above the row."""
        texts = [self._lines(table, n, c, spans[n], header=False) for n, c in enumerate(cells)]
        pad = self._pad(table)
        line_pt = self._size(table) * self.metrics.line_em
        need = max(len(t) for t in texts)
        max_lines = max(1, int((MAX_ROW_PT - 2 * pad) // line_pt))
        chunks = max(1, math.ceil(need / max_lines))
        first_part = self._height(table, min(need, max_lines))
        if header and table is not self.repeat_table and self.kept is None and self._breaks(first_part):
            self._new_page()
            self._header(table, header, spans)
        if chunks == 1:
            self._rows([self._height(table, need)])
            for col, (cell, lines) in enumerate(zip(cells, texts)):
                fmt = self._format(table, cell, col, spans[col], header=False)
                self._put(self.row, self.row, spans[col], "\n".join(lines), fmt, table.columns[col].numeric)
            self.row += 1
            return
        per = math.ceil(need / chunks)
        heights = [per * line_pt for _ in range(chunks)]
        heights[0] += pad
        heights[-1] = (need - per * (chunks - 1)) * line_pt + pad
        self._rows(heights)
        last = self.row + chunks - 1
        for col, (cell, lines) in enumerate(zip(cells, texts)):
            if len(lines) <= per:  # fits the first row: one cell merged down the record
                fmt = self._format(table, cell, col, spans[col], header=False)
                self._put(self.row, last, spans[col], "\n".join(lines), fmt, table.columns[col].numeric)
                continue
            for k in range(chunks):
                sides = ["left", "right"] + (["top"] if k == 0 else []) + (["bottom"] if k == chunks - 1 else [])
                # the first part sits on the row's foot, so that the lines run on without a gap
                fmt = self._format(table, cell, col, spans[col], header=False, border="+".join(sides),
                                   valign="bottom" if k == 0 else "top")
                self._put(self.row + k, self.row + k, spans[col], "\n".join(lines[k * per:(k + 1) * per]), fmt)
        self.row += chunks
