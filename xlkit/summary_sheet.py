"""「集計」 as the 集計 button writes it: table (1) of the linkage report, laid out as the report
prints it, then the comparison with last year, the notes and the time of the count.

The table is the report model's own (xlkit.export.linkages builds it from layout.json's
linkages.summary): the same labels, letters, merges, column widths, header fill and footnote,
so that 集計 and the report cannot drift apart. `plan` decides every value and format as plain
data; `lay` hands the plan to an open sheet through xlwings. The number of actions depends on
the table's shape, never on the number of linkages.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from xlkit import cells, messages, widths
from xlkit.export.model import Cell, Para, Table
from xlkit.macros import excel_text
from xlkit.workbook import styles

if TYPE_CHECKING:  # pragma: no cover
    from xlkit.tasks import Summary

TABLE_ROW = 3  # the table's first header row: the title above it, then one empty row
# one line of 游ゴシック takes 18.75 pt at 11 pt in Excel (its standard row height): 1.705 × the size
LINE_FACTOR = 18.75 / 11
INNER_PT = 2.0  # Excel's own space between a cell's border and its text, each side
SAFETY = 1.05  # measure text a little wide: a row slightly too tall is better than cut text
PT_PER_MM = 72 / 25.4
BORDER = {"line_style": "continuous", "weight": "thin"}


@dataclass(frozen=True)
class Block:
    """A rectangle of cells, 1-based and inclusive, as xlwings' sheet.range takes it."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def corners(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return (self.top, self.left), (self.bottom, self.right)


@dataclass
class Plan:
    """Everything the button writes to 「集計」."""

    values: list[list]  # from A1, every row as wide as the table
    widths_mm: list[float]  # the table's columns, A onwards
    table: Block  # borders on every cell
    header: Block  # filled, centred, wrapped
    body: Block
    merges: list[Block] = field(default_factory=list)
    diagonals: list[Block] = field(default_factory=list)  # a line from top-left to bottom-right
    heights: dict[int, float] = field(default_factory=dict)  # row -> points, the table's rows
    fill: str | None = None  # the header's fill, RRGGBB
    table_pt: float = styles.FONT_SIZE  # the table's type size
    body_aligns: list[str] = field(default_factory=list)  # horizontal alignment per column

    @property
    def width(self) -> int:
        return len(self.widths_mm)


def report_table(figures, layout: dict) -> tuple[Table, str]:
    """Table (1) of the linkage report and the footnote printed under it, from the report model."""
    from xlkit.export import linkages

    blocks = linkages.build(figures, layout).sheets[0].blocks
    at = next(i for i, block in enumerate(blocks) if isinstance(block, Table))
    after = blocks[at + 1] if at + 1 < len(blocks) else None
    return blocks[at], after.text if isinstance(after, Para) else ""


def plan(result: Summary, bodies: list[str], layout: dict, now: dt.datetime) -> Plan:
    """The 集計 sheet of `result`: title, table (1), footnote, comparison, notes, time."""
    from xlkit.dates import nendo
    from xlkit.export.layout import fill
    from xlkit.export.linkages import names

    table, footnote = report_table(result.figures, layout)
    width = len(table.columns)

    def line(*values) -> list:
        return [*values, *[""] * (width - len(values))]

    # the report's type size for its tables: the labels' line breaks were chosen for it
    laid = _lay_out(table, TABLE_ROW, font_pt=layout["sizes_pt"][table.size])
    year = result.year
    rows: list[list] = [line(fill(layout["linkages"]["summary"]["plain"]["sheet_title"], **names(year))), line()]
    rows += laid.values
    rows.append(line(footnote))
    rows.append(line())
    rows.append(line(messages.text("sheet.compare_heading", 年度=nendo(year), 前年度=nendo(year - 1))))
    if not result.previous:
        rows.append(line(messages.text("sheet.no_previous")))
    else:
        for body in bodies:
            if body in result.previous:
                published, a = result.previous[body], result.figures.row(body).a
                rows.append(line(body, messages.text("sheet.published", 件数=published),
                                 messages.text("sheet.counted", 件数=a),
                                 messages.text("sheet.same" if published == a else "sheet.different")))
    if result.notes:
        rows += [line(), line(messages.text("sheet.check_heading"))]
        rows += [line(excel_text(cells.display(n.text))) for n in result.notes]
    rows += [line(), line(messages.text("sheet.stamp", 日時=f"{now:%Y/%m/%d %H:%M}"))]
    laid.values = rows
    return laid


# --------------------------------------------------------------------------- the table, as cells


def _lay_out(table: Table, top: int, *, font_pt: float) -> Plan:
    """`table` from row `top`: its values, merges, diagonals and the row heights its text needs."""
    widths_pt = [c.width_mm * PT_PER_MM for c in table.columns]
    pad_pt = table.padding_mm * PT_PER_MM
    min_pt = (table.min_row_mm or 0) * PT_PER_MM
    grid = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in (*table.header, *table.rows)]
    n_header = len(table.header)

    # a cell with merge_up continues the one above it: one merge per run
    spans: dict[tuple[int, int], int] = {}  # (row, col) of a merge's first cell -> rows it spans
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell.merge_up and r:
                first = next(k for k in range(r - 1, -1, -1) if not grid[k][c].merge_up)
                spans[(first, c)] = r - first + 1

    def need(cell: Cell, col: int) -> float:
        return _lines(cell.text, widths_pt[col], font_pt) * font_pt * LINE_FACTOR + 2 * pad_pt

    heights = [max(min_pt, max((need(cell, c) for c, cell in enumerate(row)
                                if not cell.merge_up and (r, c) not in spans), default=0))
               for r, row in enumerate(grid)]
    for (r, c), count in spans.items():  # a merged cell's text must fit the rows it spans
        short = need(grid[r][c], c) - sum(heights[r:r + count])
        if short > 0:
            heights[r] += short
    heights = [math.ceil(h * 4) / 4 for h in heights]  # Excel keeps row heights in quarter points

    values = []
    for r, row in enumerate(grid):
        line = []
        for c, cell in enumerate(row):
            if cell.merge_up:
                line.append("")
            elif cell.diagonal and cell.line_aligns:
                span = sum(heights[r:r + spans.get((r, c), 1)])
                line.append(corner_text(cell, widths_pt[c], span, font_pt))
            elif r >= n_header and table.columns[c].numeric and cell.text.isdigit():
                line.append(int(cell.text))  # a number Excel can add up, as the report writes it
            elif r >= n_header:
                line.append(excel_text(cell.text))  # a name from the 実施機関 sheet, kept as typed
            else:
                line.append(cell.text)
        values.append(line)

    last = len(table.columns)
    bottom = top + len(grid) - 1
    return Plan(
        values=values,
        widths_mm=[c.width_mm for c in table.columns],
        table=Block(top, 1, bottom, last),
        header=Block(top, 1, top + n_header - 1, last),
        body=Block(top + n_header, 1, bottom, last),
        merges=[Block(top + r, c + 1, top + r + count - 1, c + 1) for (r, c), count in sorted(spans.items())],
        diagonals=[Block(top + r, c + 1, top + r + spans.get((r, c), 1) - 1, c + 1)
                   for r, row in enumerate(grid) for c, cell in enumerate(row) if cell.diagonal],
        heights={top + r: h for r, h in enumerate(heights)},
        fill=table.header_fill,
        table_pt=font_pt,
        body_aligns=[_column_align(table, c, grid[n_header:]) for c in range(len(table.columns))],
    )


def _column_align(table: Table, col: int, body: list[list[Cell]]) -> str:
    """The body's alignment in column `col`: the cells' own when they all give the same one (the
    report centres the 実施機関 names), else the column's."""
    given = {row[col].align for row in body}
    return given.pop() if len(given) == 1 and None not in given else table.columns[col].align


def _lines(text: str, width_pt: float, font_pt: float) -> int:
    """How many lines `text` takes in a wrapped cell `width_pt` wide (Excel breaks Japanese
    anywhere, so character by character)."""
    usable = max((width_pt - 2 * INNER_PT) / font_pt / SAFETY, 1.0)  # in em
    count = 0
    for para in text.split("\n"):
        lines, used = 1, 0.0
        for ch in para:
            w = widths.EM.units(ch)
            if used + w > usable and used:
                lines, used = lines + 1, 0.0
            used += w
        count += lines
    return count


def corner_text(cell: Cell, width_pt: float, height_pt: float, font_pt: float) -> str:
    """The corner cell as the reports' Excel writer lays it out (xlsx_writer.corner_text), one em
    short of the border on the right: the face Excel picks may be wider and must not wrap the line."""
    from xlkit.export.xlsx_writer import corner_text as laid_out

    usable_em = (width_pt - 2 * INNER_PT) / font_pt - 1
    room = int((height_pt - 2 * INNER_PT) // (font_pt * LINE_FACTOR))  # the lines the cell holds
    return laid_out(cell, usable_em, room)


# --------------------------------------------------------------------------- onto the open sheet


def lay(sheet, laid: Plan, *, points: bool, mm_per_char: float) -> None:
    """Write `laid` onto `sheet` (xlwings), replacing whatever a previous 集計 left there.

    `points`: the engine takes column widths in points (xlwings Server and Lite, the tests'
    remote engine); else in characters (Excel on the desktop), `mm_per_char` wide each, the
    conversion the Excel report uses.
    """
    # the sheet is 集計's alone: a previous, longer table's borders, fill and merges go with
    # its values, and every row returns to its standard height before this one's are set
    sheet.clear_contents()
    sheet.clear_formats()
    sheet.range((1, 1)).value = laid.values
    written = sheet.range((1, 1), (len(laid.values), laid.width))
    written.font.name = styles.FONT  # clearing the formats left the workbook's default font
    written.font.size = styles.FONT_SIZE
    sheet.range((1, 1)).font.bold = True
    sheet.autofit("rows")
    for col, mm in enumerate(laid.widths_mm, start=1):
        sheet.range((1, col)).column_width = round(mm * PT_PER_MM if points else mm / mm_per_char, 2)

    table = sheet.range(*laid.table.corners)
    table.font.size = laid.table_pt
    table.borders.set("all", **BORDER)
    table.vertical_alignment = "center"
    header = sheet.range(*laid.header.corners)
    if laid.fill:
        header.color = "#" + laid.fill
    header.horizontal_alignment = "center"
    header.wrap_text = True
    for first, last, align in _runs(dict(enumerate(laid.body_aligns, start=laid.body.left))):
        sheet.range((laid.body.top, first), (laid.body.bottom, last)).horizontal_alignment = align
    for block in laid.merges:
        sheet.range(*block.corners).merge()
    for block in laid.diagonals:
        corner = sheet.range(*block.corners)
        corner.horizontal_alignment = "left"  # corner_text has placed its lines
        corner.borders.set("diagonal_down", **BORDER)
    for first, last, height in _runs(laid.heights):
        sheet.range((first, 1), (last, 1)).row_height = height


def _runs(by_index: dict) -> list[tuple]:
    """(first, last, value) of each run of consecutive rows (or columns) of one value: one action
    per run."""
    runs: list[tuple] = []
    for at in sorted(by_index):
        if runs and runs[-1][1] == at - 1 and runs[-1][2] == by_index[at]:
            runs[-1] = (runs[-1][0], at, by_index[at])
        else:
            runs.append((at, at, by_index[at]))
    return runs
