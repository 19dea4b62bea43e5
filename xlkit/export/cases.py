"""資料１「審議案件について」 as a model Document: the header block, the list of cases
deliberated in a period, and one detail sheet (別紙) per case (docs/DOMAIN.md §5.2)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from xlkit import cells, dates, schema, widths
from xlkit.records import Record

from .layout import fill
from .model import TableColumn, Para, Document, Sheet, Table


def setting(settings: dict, key: str) -> str:
    """A 設定 value, or the schema's default when the sheet leaves it blank."""
    value = settings.get(key)
    if value in (None, ""):
        value = schema.settings().column(key).default
    return "" if value is None else str(value)


def in_period(cases: list[Record], date_from: dt.date, date_to: dt.date) -> list[Record]:
    """The cases whose 付議日 falls in the period, in the order of the 資料: date, then №."""
    chosen = [c for c in cases
              if isinstance(c.get("submitted_on"), dt.date) and date_from <= c.get("submitted_on") <= date_to]
    return sorted(chosen, key=lambda c: (c.get("submitted_on"), c.get("no") or 0, c.row))


def years_text(date_from: dt.date, date_to: dt.date, joiner: str) -> str:
    """令和６年度及び令和７年度: the 年度 the period touches, digits full width as in the title."""
    first, last = dates.fiscal_year(date_from), dates.fiscal_year(date_to)
    names = [dates.nendo(y, full_width=True) for y in range(first, last + 1)]
    if len(names) <= 2:
        return joiner.join(names)
    return "、".join(names[:-1]) + joiner + names[-1]


def period_name(date_from: dt.date, date_to: dt.date) -> str:
    start, end = dates.format_year_month(date_from), dates.format_year_month(date_to)
    return start if start == end else f"{start}～{end}"


def build(cases: list[Record], settings: dict, date_from: dt.date, date_to: dt.date,
          report_date: dt.date, layout: dict) -> Document:
    lay = layout["cases"]
    chosen = in_period(cases, date_from, date_to)
    values = {
        "審議会名": setting(settings, "council_name"),
        "運営会議名": setting(settings, "committee_name"),
        "資料番号": setting(settings, "document_no"),
        "所管課": setting(settings, "department"),
        "年度": years_text(date_from, date_to, lay["years_joiner"]),
        "開始月": dates.format_year_month(date_from),
        "終了月": dates.format_year_month(date_to),
        "期間": period_name(date_from, date_to),
    }
    one_month = values["開始月"] == values["終了月"]
    sentence = lay["sentence_one_month"] if one_month else lay["sentence"]
    blocks = [
        Para(fill(lay["council_line"], **values), align="right", box=True),
        Para(fill(lay["document_no"], **values), align="right", space_before_pt=6),
        Para(dates.format_wareki(report_date), align="right"),
        Para(values["所管課"], align="right"),
        Para(fill(lay["title"], **values), align="center", size="title", bold=True,
             heading_font=True, space_before_pt=18, space_after_pt=18),
        Para(fill(sentence, **values)),
        Para(lay["ki"], align="center", space_before_pt=10, space_after_pt=10),
        Para(lay["section_1"], keep_with_next=True, space_after_pt=4),
        _list_table(chosen, layout),
        *(Para(note) for note in lay["notes"]),
        Para(lay["section_2"], space_before_pt=12),
    ]
    annex = Sheet(lay["annex"]["sheet"], [Para(lay["annex"]["label"], align="right")], new_page=True)
    for n, record in enumerate(chosen):
        annex.blocks.extend(_detail_sheet(record, layout, first=n == 0))
    return Document(
        title=fill(lay["document_title"], **values),
        orientation=lay["orientation"],
        margins_mm=lay["margins_mm"],
        sheets=[Sheet(lay["list"]["sheet"], blocks), annex],
        author=values["所管課"],
    )


def list_header(layout: dict) -> list[str]:
    reg = schema.case()
    lay = layout["cases"]["list"]
    return [lay["number_header"] if c["key"] == "no" else reg.header(c["key"]) for c in lay["columns"]]


def list_row(record: Record, keys: list[str]) -> list[str]:
    reg = schema.case()
    row = []
    for key in keys:
        value = record.get(key)
        if key == "submitted_on" and isinstance(value, dt.date):
            row.append(dates.format_month_day(value))
        elif key == "categories" and isinstance(value, list):
            row.append("、\n".join(value))  # one 区分 per line, as the 資料 prints them
        else:
            row.append(cells.printed(record.get(key), reg.column(key)))
    return row


def _list_table(chosen: list[Record], layout: dict) -> Table:
    columns = layout["cases"]["list"]["columns"]
    keys = [c["key"] for c in columns]
    return Table(
        columns=[TableColumn(c["width_mm"], c["align"], numeric=c["key"] == "no") for c in columns],
        header=[list_header(layout)],
        rows=[list_row(r, keys) for r in chosen],
        header_fill=layout["header_fill"],
        padding_mm=layout["cell_padding_mm"],
    )


def heading(record: Record, layout: dict) -> str:
    """「〈title〉（№１２）」. When the title fills the line so that the （№…） part would be
    split across two lines (「…について（№２」「１）」), the part starts a line of its own, as
    the 資料 prints it (「…中間処理ユニットの利用に係る外部結合について」「（№３）」)."""
    template = layout["cases"]["annex"]["heading"]
    title = record.get("title") or ""
    number = dates.full_width_digits(record.get("no") or "")
    text = fill(template, 審議案件=title, 番号=number)
    if not template.startswith("{審議案件}") or not title:
        return text
    suffix = text[len(title):]
    per_line = _heading_chars_per_line(layout)
    at = widths.EM.measure(title.split("\n")[-1]) % per_line  # where the suffix starts on the title's last line
    if at and at + widths.EM.measure(suffix) > per_line - _HEADING_SLACK_EM:
        return title + "\n" + suffix
    return text


# Word and LibreOffice may fit a character more or less than the estimate (line-breaking
# rules move 「、」 and 「）」 with the character before them): break a little early
_HEADING_SLACK_EM = 1.5


def _heading_chars_per_line(layout: dict) -> float:
    lay = layout["cases"]
    page_mm = 297 if lay["orientation"] == "landscape" else 210
    text_mm = page_mm - lay["margins_mm"]["left"] - lay["margins_mm"]["right"]
    return text_mm / (layout["sizes_pt"]["body"] * 25.4 / 72)


def _detail_sheet(record: Record, layout: dict, *, first: bool) -> list:
    lay = layout["cases"]["annex"]
    reg = schema.case()
    rows = []
    for key in lay["rows"]:
        if key == "content":
            rows.append([lay["content_label"], content(record, layout)])
        else:
            rows.append([reg.header(key), cells.printed(record.get(key), reg.column(key))])
    table = Table(
        columns=[TableColumn(lay["label_width_mm"], "left"), TableColumn(lay["value_width_mm"], "left")],
        header=[],
        rows=rows,
        label_fill=layout["label_fill"],
        label_distribute=True,
        size="body",
        padding_mm=lay["padding_mm"],
        min_row_mm=lay["min_row_mm"],
    )
    title = Para(heading(record, layout), bold=True, heading_font=True, space_before_pt=6,
                 space_after_pt=10, page_break_before=not first, keep_with_next=True)
    return [title, table]


def content(record: Record, layout: dict) -> str:
    """事業内容: numbered parts (概要, 〈区分〉の付議内容, 対象者); a blank part is left out."""
    lay = layout["cases"]["annex"]
    categories = cells.printed(record.get("categories"), schema.case().column("categories"))
    parts = [
        (lay["overview_heading"], record.get("overview")),
        (fill(lay["proposal_heading"], 区分=categories), record.get("proposal")),
        (lay["count_heading"], record.get("subject_count")),
    ]
    out = []
    for heading_text, body in parts:
        if not body or not str(body).strip():
            continue
        number = dates.full_width_digits(len(out) + 1)
        lines = [_indent(line, lay["indent"]) for line in str(body).strip().split("\n")]
        out.append(fill(lay["section"], 番号=number, 見出し=heading_text) + "\n" + "\n".join(lines))
    return "\n\n".join(out)


def _indent(line: str, indent: str) -> str:
    """Japanese paragraphs start one full-width space in; lists (・（１）①) stay as typed."""
    line = line.rstrip()
    if line and unicodedata.category(line[0]).startswith("L"):
        return indent + line
    return line
