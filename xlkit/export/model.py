"""A tiny document model shared by the Word and Excel writers.

The report builders (linkages.py, cases.py) decide *what* is printed — every string, in
order — and the writers (docx_writer.py, xlsx_writer.py) decide only *how*. Tests read the
model or the written files; neither writer invents text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every report prints on A4. The text area is decided here once: the Word and Excel writers
# lay out pages by it, and the 資料's builder scales pictures and breaks headings to it.
A4_MM = (210.0, 297.0)  # portrait width, height
# the left and right margin inside a table cell (the Word writer's; a builder breaking a header
# for its column subtracts both)
CELL_SIDE_MM = 1.0


def paper_mm(orientation: str) -> tuple[float, float]:
    """A4's width and height, turned as `orientation` (portrait | landscape)."""
    width, height = A4_MM
    return (height, width) if orientation == "landscape" else (width, height)


def text_area_mm(margins_mm: dict[str, float], orientation: str) -> tuple[float, float]:
    """The width and height left inside the margins of an A4 page turned as `orientation`."""
    width, height = paper_mm(orientation)
    return (width - margins_mm["left"] - margins_mm["right"],
            height - margins_mm["top"] - margins_mm["bottom"])


@dataclass
class Cell:
    """A table cell with more than plain text. Lines are separated by "\\n"."""

    text: str = ""
    align: str | None = None  # None: the column's alignment
    line_aligns: tuple[str, ...] | None = None  # one alignment per line (the split corner cell)
    merge_up: bool = False  # continues the cell above (vertical merge); its own text is ignored
    diagonal: bool = False  # a line from top-left to bottom-right (the corner cell)
    fill: str | None = None  # background colour, RRGGBB
    bold: bool = False


@dataclass(frozen=True)
class TableColumn:
    width_mm: float
    align: str = "left"  # left | center | right
    numeric: bool = False  # digits are written to Excel as numbers, not as text


@dataclass
class Table:
    columns: list[TableColumn]
    header: list[list[Cell | str]]  # repeated at the top of every page
    rows: list[list[Cell | str]]  # plain str rows take the fast path in the Word writer
    header_fill: str | None = None
    label_fill: str | None = None  # shade the first column (label/value sheets)
    label_distribute: bool = False  # 均等割り付け of the first column's labels
    size: str = "table"  # key into layout sizes_pt
    padding_mm: float = 0  # space above and below the text in every cell
    min_row_mm: float | None = None  # rows are at least this high
    valign: str = "top"  # top | center: where body text sits in a row taller than it

    # Where a cell's text sits and its background, decided here once for the Word and Excel writers
    def align_of(self, cell: Cell, col: int, *, header: bool) -> str:
        """The cell's own alignment, else centred in a header, else its column's; the labels of a
        label/value table (label_distribute) spread evenly (均等割付)."""
        if cell.align is not None:
            return cell.align
        if header:
            return "center"
        if col == 0 and self.label_distribute:
            return "distribute"
        return self.columns[col].align

    def fill_of(self, cell: Cell, col: int, *, header: bool) -> str | None:
        """The cell's own fill, else the header's, else the label column's (RRGGBB or None)."""
        if cell.fill:
            return cell.fill
        if header:
            return self.header_fill
        return self.label_fill if col == 0 else None


@dataclass
class Para:
    text: str  # "\n" breaks the line inside the paragraph
    align: str = "left"  # left | center | right | distribute
    bold: bool = False
    size: str = "body"  # key into layout sizes_pt: body | table | heading | title
    heading_font: bool = False
    space_before_pt: float = 0
    space_after_pt: float = 0
    page_break_before: bool = False
    keep_with_next: bool = False
    box: bool = False  # a border around the paragraph
    # a line of this width set against the right margin (the header block of the 資料); with
    # align "distribute" its characters are spread evenly over it (均等割付). None: the text width
    width_mm: float | None = None


@dataclass
class Picture:
    """An attached image (a flow diagram), placed on its own lines at `width_mm` × `height_mm`.

    `png` is the image as PNG or JPEG bytes, already rendered (a PDF's first page) and checked by
    xlkit.attachments; the writers only place it. `name` is the file name staff typed, for alt text."""

    png: bytes
    width_mm: float
    height_mm: float
    name: str = ""
    page_break_before: bool = False

    def within(self, width_mm: float, height_mm: float) -> tuple[float, float]:
        """Its size, scaled down (never up) to fit `width_mm` × `height_mm`, aspect kept: the
        writers' one rule for a picture larger than the page (a picture Word or Excel cannot
        place spills off it). A size of 0 counts as 1 mm, so that no writer divides by it."""
        width, height = max(self.width_mm, 1.0), max(self.height_mm, 1.0)
        scale = min(1.0, width_mm / width, height_mm / height)
        return width * scale, height * scale


@dataclass
class Sheet:
    """A run of blocks; one worksheet in Excel, a continuous stretch of pages in Word."""

    name: str  # the worksheet name (≤ 31 characters, no []:*?/\)
    blocks: list[Para | Table | Picture] = field(default_factory=list)
    new_page: bool = False  # in Word, start this sheet on a new page
    # portrait | landscape; None: the document's. In Word a sheet that turns the page starts a
    # section of its own (the page numbers run on); in Excel it is its worksheet's page setup
    orientation: str | None = None


@dataclass
class Document:
    title: str  # document title (file properties)
    orientation: str  # portrait | landscape
    margins_mm: dict[str, float]
    sheets: list[Sheet]
    author: str = ""
