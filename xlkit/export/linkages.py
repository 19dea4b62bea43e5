"""「外部電子計算機との結合の状況」 as a model Document: tables (1), (2) and (3) of the annual report.

Counting is xlkit.figures' job; this module only turns its Figures into the official text
(docs/DOMAIN.md §5.1).
"""

from __future__ import annotations

from xlkit import cells, dates, linebreak, schema
from xlkit.figures import name_key
from xlkit.records import Record

from .layout import fill
from .model import CELL_SIDE_MM, Cell, TableColumn, Para, Document, Sheet, Table


def names(year: int) -> dict[str, str]:
    """The placeholders layout.json may use in the linkage report."""
    return {"年度": dates.nendo(year), "前年度": dates.nendo(year - 1)}


def build(figures, layout: dict, *, author: str = "") -> Document:
    """The report of `figures`; a row's 課 is printed as `figures.names` says (the name valid in
    the report's year, after a 組織改正: xlkit.figures.year_names), else as typed."""
    lay = layout["linkages"]
    printed = getattr(figures, "names", None) or {}
    values = names(figures.year)
    heading = Para(lay["heading"], size="heading", bold=True, heading_font=True,
                   space_after_pt=6, keep_with_next=True)
    summary = Sheet(lay["summary"]["sheet"], [heading, *_summary(figures, layout, values)])
    new = Sheet(lay["new"]["sheet"], [
        _title(lay["new"]["title"]),
        _detail_table(figures.new, layout, date_key="start", names=printed) if figures.new else Para(lay["new"]["none"]),
    ])
    ended_blocks = [_title(lay["ended"]["title"]),
                    Para(fill(lay["ended"]["note"], **values), space_after_pt=4, keep_with_next=True)]
    if figures.ended:
        ended_blocks.append(_detail_table(figures.ended, layout, date_key=lay["ended_date_column"], names=printed))
    else:
        ended_blocks.append(Para(lay["ended"]["none"]))
    ended = Sheet(lay["ended"]["sheet"], ended_blocks)
    return Document(
        title=fill(lay["document_title"], **values),
        orientation=lay["orientation"],
        margins_mm=lay["margins_mm"],
        sheets=[summary, new, ended],
        author=author,
    )


def _title(text: str) -> Para:
    return Para(text, bold=True, heading_font=True, space_before_pt=10, space_after_pt=4,
                keep_with_next=True)


def _summary(figures, layout: dict, values: dict) -> list:
    lay = layout["linkages"]["summary"]
    widths = lay["widths_mm"]
    labels = [header_text(fill(t, **values), w, layout) for t, w in zip(lay["labels"], widths[1:])]
    corner = Cell("\n".join(lay["corner"]), line_aligns=("right", "left"), diagonal=True)
    header = [
        [corner, *labels],
        [Cell(merge_up=True), *lay["letters"], Cell(merge_up=True)],
    ]
    rows = [
        [Cell(r.body, align="center"), str(r.a), str(r.b), str(r.c), str(r.total), str(r.my_number)]
        for r in figures.rows
    ]
    table = Table(
        columns=[TableColumn(widths[0], "center"), *(TableColumn(w, "center", numeric=True) for w in widths[1:])],
        header=header,
        rows=rows,
        header_fill=layout["header_fill"],
        min_row_mm=lay["min_row_mm"],
        padding_mm=layout["cell_padding_mm"],
        valign="center",
    )
    return [_title(lay["title"]), table, Para(lay["footnote"], space_before_pt=2)]


def header_text(text: str, width_mm: float, layout: dict) -> str:
    """A column header with its line breaks where a reader expects them (結合を／行った課, never
    結合を行っ／た課): Word then has nothing left to wrap, and the Excel writer keeps them."""
    return linebreak.header(text, width_mm - 2 * CELL_SIDE_MM, layout["sizes_pt"]["table"])


def detail_columns(layout: dict, date_key: str) -> list[dict]:
    """The 10 columns of tables (2)/(3); (3) shows the end date where (2) shows the start."""
    columns = [dict(c) for c in layout["linkages"]["columns"]]
    columns[-1]["key"] = date_key
    return columns


def detail_header(layout: dict, date_key: str) -> list[str]:
    reg = schema.linkage()
    number = layout["linkages"]["number_header"]
    return [number if c["key"] == "no" else reg.header(c["key"])
            for c in detail_columns(layout, date_key)]


def detail_row(record: Record, number: int, keys: list[str], omission: str, division: str | None = None) -> list[str]:
    """One row of table (2) or (3); `division` the 課 printed in place of the one typed (the name of
    the report's year, after a 組織改正)."""
    reg = schema.linkage()
    row = []
    for key in keys:
        if key == "no":
            row.append(str(number))
            continue
        value = record.get(key)
        if key == "division" and division is not None and isinstance(value, str) and value:
            value = division  # the 課 name of the report's year (組織改正)
        value = cells.printed(value, reg.column(key))
        # A linkage counted late keeps its remark beside the start date, as the report prints it
        if key == "start" and omission and omission in (record.values.get("note") or ""):
            value = f"{value} {omission}".strip()
        row.append(value)
    return row


def _detail_table(records: list[Record], layout: dict, *, date_key: str, names: dict | None = None) -> Table:
    columns = detail_columns(layout, date_key)
    keys = [c["key"] for c in columns]
    omission = layout["linkages"]["omission_remark"]
    return Table(
        columns=[TableColumn(c["width_mm"], c["align"], numeric=c["key"] == "no") for c in columns],
        header=[[header_text(h, c["width_mm"], layout)
                 for h, c in zip(detail_header(layout, date_key), columns)]],
        rows=[detail_row(r, n, keys, omission, (names or {}).get(name_key(r))) for n, r in enumerate(records, 1)],
        header_fill=layout["header_fill"],
        padding_mm=layout["cell_padding_mm"],
    )
