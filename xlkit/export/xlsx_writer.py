"""Writing a model Document as a print-ready Excel workbook (one worksheet per model Sheet).

Excel does not grow a row to fit wrapped text when the file is opened, and one row is at
most 409 points high, so row heights are estimated here from the text's display width
(full-width characters count two). A cell whose text would need a taller row continues in
the rows below it; the row's other cells are merged across those rows. Nothing is ever
cut off on paper.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import xlsxwriter

from xlkit import widths

from .model import Cell, Para, Document, Sheet, Table

MAX_ROW_PT = 409
_PAD_UNITS = 0.7  # a cell's inner margins
_SAFETY = 1.05  # estimate text a little wide: a row slightly too tall is better than cut text
_LINE_FACTOR = 1.3  # line height / font size


def wrap(text: str, width_units: float) -> list[tuple[str, bool]]:
    """Visual lines as Excel would wrap them: (line, ends_paragraph)."""
    usable = max((width_units - _PAD_UNITS) / _SAFETY, 2)
    lines: list[tuple[str, bool]] = []
    for para in text.split("\n"):
        current, used = "", 0.0
        for ch in para:
            w = widths.EXCEL.units(ch)
            if used + w > usable and current:
                lines.append((current, False))
                current, used = "", 0.0
            current += ch
            used += w
        lines.append((current, True))
    return lines


def join_lines(lines: list[tuple[str, bool]]) -> str:
    """The lines of `wrap` as one cell text, a line break only where a paragraph ends."""
    out = []
    for n, (line, ends) in enumerate(lines):
        out.append(line)
        if ends and n < len(lines) - 1:
            out.append("\n")
    return "".join(out)


class _Formats:
    def __init__(self, wb, font: str, size: float, layout: dict):
        self.wb, self.font, self.size, self.layout = wb, font, size, layout
        self.cache: dict[tuple, object] = {}

    def get(self, *, align="left", valign="top", bold=False, fill=None, border="all",
            size=None, wrap=True, numeric=False, diagonal=False):
        key = (align, valign, bold, fill, border, size, wrap, numeric, diagonal)
        if key not in self.cache:
            props = {"font_name": self.font, "font_size": size or self.size, "valign": valign,
                     "text_wrap": wrap, "bold": bold}
            props["align"] = {"distribute": "distributed"}.get(align, align)
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
                props.update(diag_type=2, diag_border=1)
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
        "default_format_properties": {"font_name": font, "font_size": opts["font_pt"]},
    })
    wb.set_properties({"title": report.title, "author": report.author})
    formats = _Formats(wb, font, opts["font_pt"], layout)
    for sheet in report.sheets:
        _SheetWriter(wb, sheet, report, layout, formats).write()
    wb.close()
    Path(path).write_bytes(buffer.getvalue())


class _SheetWriter:
    def __init__(self, wb, sheet: Sheet, report: Document, layout: dict, formats: _Formats):
        self.sheet, self.layout, self.formats = sheet, layout, formats
        self.ws = wb.add_worksheet(sheet.name[:31])
        self.font_pt = layout["excel"]["font_pt"]
        self.line_pt = self.font_pt * _LINE_FACTOR
        tables = [b for b in sheet.blocks if isinstance(b, Table)]
        mm_per_char = layout["excel"]["mm_per_char"]
        columns = max((t.columns for t in tables), key=len) if tables else []
        self.widths = [c.width_mm / mm_per_char for c in columns] or [90.0]
        self.row = 0
        self.breaks: list[int] = []
        self.print_rows: tuple[int, int] | None = None
        self._page_setup(report)

    def _page_setup(self, report: Document) -> None:
        ws = self.ws
        ws.set_paper(9)  # A4
        ws.set_landscape() if report.orientation == "landscape" else ws.set_portrait()
        m = {k: v / 25.4 for k, v in report.margins_mm.items()}
        ws.set_margins(left=m["left"], right=m["right"], top=m["top"], bottom=m["bottom"])
        ws.fit_to_pages(1, 0)  # fit to the page width; as many pages down as needed
        ws.center_horizontally()
        footer = self.layout["page_number"].replace("&", "&&").replace("{page}", "&P")
        ws.set_footer("&C" + footer)
        for n, width in enumerate(self.widths):
            ws.set_column(n, n, width)

    def write(self) -> None:
        for block in self.sheet.blocks:
            if isinstance(block, Table):
                self._table(block)
            else:
                self._para(block)
        if self.print_rows:
            self.ws.repeat_rows(*self.print_rows)
        if self.breaks:
            self.ws.set_h_pagebreaks(self.breaks)

    # -- paragraphs: one row, merged across the table's width ----------------------------
    def _para(self, para: Para) -> None:
        if para.page_break_before and self.row:
            self.breaks.append(self.row)
        if para.space_before_pt and self.row:
            self.row += 1
        size = self.layout["sizes_pt"][para.size] * self.font_pt / self.layout["sizes_pt"]["body"]
        fmt = self.formats.get(align=para.align, valign="vcenter", bold=para.bold,
                               border="all" if para.box else None, size=round(size, 1))
        total = sum(self.widths) * self.font_pt / size
        lines = len(wrap(para.text, total))
        self.ws.set_row(self.row, max(lines, 1) * size * _LINE_FACTOR + 2)
        last = len(self.widths) - 1
        if last:
            self.ws.merge_range(self.row, 0, self.row, last, para.text, fmt)
        else:
            self.ws.write_string(self.row, 0, para.text, fmt)
        self.row += 1

    # -- tables ----------------------------------------------------------------------------
    def _table(self, table: Table) -> None:
        widths = [c.width_mm / self.layout["excel"]["mm_per_char"] for c in table.columns]
        first = self.row
        merges_up: dict[int, int] = {}  # column -> row where its vertical merge started
        for n, row in enumerate(table.header):
            cells = [c if isinstance(c, Cell) else Cell(c) for c in row]
            for col, cell in enumerate(cells):
                if cell.merge_up:
                    start = merges_up.get(col, self.row - 1)
                    merges_up[col] = start
            self._row(table, cells, widths, header=True, skip={c for c, x in enumerate(cells) if x.merge_up})
        for col, start in merges_up.items():
            top = table.header[start - first][col]
            top = top if isinstance(top, Cell) else Cell(top)
            fmt = self._cell_format(table, top, col, header=True)
            self.ws.merge_range(start, col, self.row - 1, col, self._corner_text(top, widths[col]), fmt)
        if table.header and self.print_rows is None:
            self.print_rows = (first, self.row - 1)
            if len(self.sheet.blocks) <= 3:  # a sheet that is mostly this table
                self.ws.freeze_panes(self.row, 0)
        for row in table.rows:
            self._row(table, [c if isinstance(c, Cell) else Cell(c) for c in row], widths, header=False)

    def _corner_text(self, cell: Cell, width: float) -> str:
        # Excel cannot align two lines of one cell differently: push the first line right
        if cell.line_aligns and cell.line_aligns[0] == "right":
            first, *rest = cell.text.split("\n")
            pad = max(int((width - _PAD_UNITS - widths.EXCEL.measure(first)) / 2) - 1, 0)
            return "\n".join(["\u3000" * pad + first, *rest])
        return cell.text

    def _cell_format(self, table: Table, cell: Cell, col: int, *, header: bool, border="all"):
        column = table.columns[col]
        fill = cell.fill or (table.header_fill if header else None)
        if fill is None and col == 0 and not header:
            fill = table.label_fill
        align = cell.align or ("center" if header else column.align)
        if col == 0 and not header and table.label_distribute and cell.align is None:
            align = "distribute"
        valign = "vcenter" if header or cell.diagonal or table.valign == "center" else "top"
        if col == 0 and table.label_fill and not header:
            valign = "vcenter"
        return self.formats.get(align=align, valign=valign, bold=cell.bold, fill=fill,
                                border=border, numeric=column.numeric and not header,
                                diagonal=cell.diagonal)

    def _row(self, table: Table, cells: list[Cell], widths: list[float], *, header: bool,
             skip: set[int] = frozenset()) -> None:
        wrapped = [wrap(c.text, w) for c, w in zip(cells, widths)]
        max_lines = max(1, int((MAX_ROW_PT - 4) // self.line_pt))
        need = max(len(w) for w in wrapped)
        chunks = max(1, math.ceil(need / max_lines))
        per_chunk = math.ceil(need / chunks)
        for k in range(chunks):
            lines_here = max(min(len(w) - k * per_chunk, per_chunk) for w in wrapped)
            self.ws.set_row(self.row + k, max(lines_here, 1) * self.line_pt + 4)
        for col, (cell, lines) in enumerate(zip(cells, wrapped)):
            if col in skip:
                continue
            if len(lines) <= per_chunk:
                fmt = self._cell_format(table, cell, col, header=header)
                text = self._corner_text(cell, widths[col]) if cell.diagonal else cell.text
                if chunks > 1:
                    self.ws.merge_range(self.row, col, self.row + chunks - 1, col, "", fmt)
                self._write(self.row, col, text, fmt, table.columns[col].numeric and not header)
                continue
            for k in range(chunks):
                sides = ["left", "right"] + (["top"] if k == 0 else []) + (["bottom"] if k == chunks - 1 else [])
                fmt = self._cell_format(table, cell, col, header=header, border="+".join(sides))
                part = join_lines(lines[k * per_chunk:(k + 1) * per_chunk])
                self._write(self.row + k, col, part, fmt, False)
        self.row += chunks

    def _write(self, row: int, col: int, text: str, fmt, numeric: bool) -> None:
        if numeric and text.isdigit():
            self.ws.write_number(row, col, int(text), fmt)
        elif text:
            self.ws.write_string(row, col, text, fmt)
        else:
            self.ws.write_blank(row, col, None, fmt)
