"""資料１「審議案件について」 as a model Document: the header block, the list of cases
deliberated in a period, and one detail sheet (別紙) per case (docs/DOMAIN.md §5.2)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from xlkit import cells, dates, schema, widths
from xlkit.records import Record

from .layout import fill
from .model import Para, Picture, Document, Sheet, Table, TableColumn, text_area_mm

# what export_cases hands in for one case: each name in 添付ファイル with its Picture, already
# scaled by xlkit.attachments (see picture_box_mm), or the reason it could not be loaded
Attached = list[tuple[str, "Picture | str"]]


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
          report_date: dt.date, layout: dict, *, provisions: list[Record] = (),
          attached: dict[int, Attached] | None = None) -> Document:
    """The 資料 of the period. `provisions`: the 外部提供 rows (printed on their case's 別紙);
    `attached`: case row -> its 添付ファイル (export_cases loads them; this module reads no file)."""
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
    # the 資料's header block: three lines at the right margin spread evenly (均等割付) — the boxed
    # council line over header_width_mm, the date and 所管課 with the same space between characters,
    # as the 資料 prints them; the document number between them keeps to the right
    council, dated = fill(lay["council_line"], **values), dates.format_wareki(report_date)
    council_mm, dated_mm, department_mm = _spread_widths([council, dated, values["所管課"]],
                                                         lay["header_width_mm"], layout)
    blocks = [
        Para(council, box=True, align="distribute", width_mm=council_mm),
        Para(fill(lay["document_no"], **values), align="right", space_before_pt=6),
        Para(dated, align="distribute", width_mm=dated_mm),
        Para(values["所管課"], align="distribute", width_mm=department_mm),
        Para(fill(lay["title"], **values), align="center", size="title", bold=True,
             heading_font=True, space_before_pt=18, space_after_pt=18),
        Para(fill(sentence, **values)),
        Para(lay["ki"], align="center", space_before_pt=10, space_after_pt=10),
        Para(lay["section_1"], keep_with_next=True, space_after_pt=4),
        _list_table(chosen, layout),
        *(Para(note) for note in lay["notes"]),
        Para(lay["section_2"], space_before_pt=12),
        *_other_note(setting(settings, "other_note"), lay["annex"]["indent"]),
    ]
    return Document(
        title=fill(lay["document_title"], **values),
        orientation=lay["orientation"],
        margins_mm=lay["margins_mm"],
        sheets=[Sheet(lay["list"]["sheet"], blocks), *annex_sheets(chosen, layout, provisions, attached)],
        author=values["所管課"],
    )


def annex_sheets(chosen: list[Record], layout: dict, provisions=(), attached: dict[int, Attached] | None = None
                 ) -> list[Sheet]:
    """The 別紙 of the cases, one after another, in portrait. A case's 外部提供 table is wide:
    it goes on a landscape sheet of its own (「外部提供（№29）」), as the 資料 prints it, and the
    next cases' 別紙 on a portrait sheet again, named for them (「別紙（№30～41）」)."""
    lay = layout["cases"]
    by_case = provisions_by_case(provisions)
    sheets: list[Sheet] = []
    annex = Sheet(lay["annex"]["sheet"], [Para(lay["annex"]["label"], align="right")], new_page=True)
    on_annex: list[Record] = []
    for n, record in enumerate(chosen):
        annex.blocks.extend(_detail_sheet(record, layout, first=n == 0))
        annex.blocks.extend(_attachments((attached or {}).get(record.row, []), layout))
        on_annex.append(record)
        mine = by_case.get((record.get("fiscal_year"), record.get("no")))
        if not mine:
            continue
        sheets.append(_named(annex, on_annex, lay, continued=bool(sheets)))
        sheets.append(Sheet(fill(lay["provisions"]["sheet"], 番号=_sheet_no(record)),
                            provision_blocks(record, mine, layout), new_page=True,
                            orientation=lay["provisions"]["orientation"]))
        annex, on_annex = Sheet("", new_page=True), []
    if on_annex or not sheets:
        sheets.append(_named(annex, on_annex, lay, continued=bool(sheets)))
    return _unique_names(sheets)


def _sheet_no(record: Record) -> str:
    return str(record.get("no") or "")


def _named(annex: Sheet, on_it: list[Record], lay: dict, *, continued: bool) -> Sheet:
    """The first 別紙 sheet keeps its name; one after a 外部提供 sheet is named for its cases."""
    if continued:
        first, last = _sheet_no(on_it[0]), _sheet_no(on_it[-1])
        annex.name = fill(lay["annex"]["continued"], 番号=first if first == last else f"{first}～{last}")
    return annex


# Excel refuses a worksheet name over 31 characters, with any of []:*?/\, or used twice (in any case)
_MAX_SHEET_NAME = 31
_NOT_IN_SHEET_NAME = str.maketrans({c: "＿" for c in "[]:*?/\\"})


def _unique_names(sheets: list[Sheet]) -> list[Sheet]:
    """Sheet names Excel accepts: two cases of one № in different 年度 get （2）, （3） … added."""
    seen: set[str] = set()
    for sheet in sheets:
        base = sheet.name.translate(_NOT_IN_SHEET_NAME)[:_MAX_SHEET_NAME]
        name, k = base, 1
        while name.casefold() in seen:
            k += 1
            suffix = f"（{k}）"
            name = base[:_MAX_SHEET_NAME - len(suffix)] + suffix
        seen.add(name.casefold())
        sheet.name = name
    return sheets


def _spread_widths(lines: list[str], first_mm: float, layout: dict) -> list[float]:
    """The width each line is spread over, in order, so that all have the first line's space
    between characters, the first `first_mm` wide (never narrower than its own text). By position,
    not by text: two lines may read alike (a 所管課 typed as the council's name)."""
    em_mm = layout["sizes_pt"]["body"] * 25.4 / 72
    natural = [widths.EM.measure(line) * em_mm for line in lines]
    gap = max(first_mm - natural[0], 0) / max(len(lines[0]) - 1, 1)
    return [max(first_mm, natural[0])] + [mm + gap * max(len(line) - 1, 0)
                                          for mm, line in zip(natural[1:], lines[1:])]


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
    title = record.get("sheet_title") or record.get("title") or ""
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
    return _text_width_mm(layout) / (layout["sizes_pt"]["body"] * 25.4 / 72)


def _detail_sheet(record: Record, layout: dict, *, first: bool) -> list:
    lay = layout["cases"]["annex"]
    reg = schema.case()
    rows = []
    for key in lay["rows"]:
        if key == "content":
            rows.append([lay["content_label"], content(record, layout)])
        elif key == "divisions" and record.get("sheet_divisions"):
            # the 別紙 may name the 課 otherwise than the list (別紙の担当課); the label stays 担当課
            rows.append([reg.header(key), cells.printed(record.get("sheet_divisions"), reg.column("sheet_divisions"))])
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
        (record.get("count_heading") or lay["count_heading"], record.get("subject_count")),
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


def _other_note(text: str, indent: str) -> list[Para]:
    """設定 その他の記載: printed under 「２　その他」, one paragraph per line."""
    return [Para(_indent(line, indent)) for line in text.strip().split("\n") if line.strip()] if text else []


# -- 添付ファイル --------------------------------------------------------------------------------

# room kept on a page for the lines around a picture (its paragraph spacing): a picture exactly
# as tall as the text area would be pushed to a page of its own and overflow it
_PICTURE_RESERVE_MM = 12


def picture_box_mm(layout: dict) -> tuple[float, float]:
    """The box an attached picture is scaled into: the page's text area."""
    width, height = _text_area_mm(layout)
    return width, height - _PICTURE_RESERVE_MM


def _text_width_mm(layout: dict) -> float:
    return _text_area_mm(layout)[0]


def _text_area_mm(layout: dict) -> tuple[float, float]:
    lay = layout["cases"]
    return text_area_mm(lay["margins_mm"], lay["orientation"])


def _attachments(attached: Attached, layout: dict) -> list:
    """Each attached picture under the 別紙 table (個人情報の流れ及び情報保護対策 says 「別紙のとおり」);
    one that could not be loaded (an export forced past it) leaves a line saying so, never a gap."""
    lay = layout["cases"]["annex"]
    blocks: list = []
    for name, picture in attached:
        if isinstance(picture, Picture):
            blocks.append(picture)
        else:
            blocks.append(Para(fill(lay["attachment_missing"], 名前=name, 理由=picture), space_before_pt=6))
    return blocks


# -- 外部提供 ----------------------------------------------------------------------------------

def provisions_by_case(provisions) -> dict[tuple, list[Record]]:
    """(年度, №) of a case -> its 外部提供 rows, in the table's order: 外部提供の時期, then sheet row
    (a row without a date last, where a reader notices it)."""
    out: dict[tuple, list[Record]] = {}
    for p in provisions:
        out.setdefault((p.get("fiscal_year"), p.get("case_no")), []).append(p)
    for rows in out.values():
        rows.sort(key=lambda p: (not isinstance(p.get("provided_on"), dt.date),
                                 p.get("provided_on") if isinstance(p.get("provided_on"), dt.date) else dt.date.min,
                                 p.row))
    return out


def provision_blocks(record: Record, provisions: list[Record], layout: dict) -> list:
    """The 外部提供 table of a case, on a page of its own after the 別紙: its title, its period,
    「１　　外部提供について（10件）」 and the table, whose header repeats on every page."""
    lay = layout["cases"]["provisions"]
    on = [p.get("provided_on") for p in provisions if isinstance(p.get("provided_on"), dt.date)]
    title = record.get("provision_title") or _default_title(record, on, layout)
    period = record.get("provision_period") or _default_period(on, lay)
    blocks = [Para(title, align="center", bold=True, heading_font=True, page_break_before=True, keep_with_next=True)]
    if period:
        blocks.append(Para(period, align="center", keep_with_next=True, space_after_pt=6))
    blocks.append(Para(fill(lay["heading"], 件数=str(len(provisions))), keep_with_next=True, space_after_pt=4))
    blocks.append(provision_table(provisions, layout))
    return blocks


def _default_title(record: Record, on: list[dt.date], layout: dict) -> str:
    lay = layout["cases"]
    name = record.get("business_name") or record.get("sheet_title") or record.get("title") or ""
    if not on:
        return name
    return fill(lay["provisions"]["title"], 年度=years_text(min(on), max(on), lay["years_joiner"]), 事業名=name)


def _default_period(on: list[dt.date], lay: dict) -> str:
    """The whole 年度 the provisions fall in: 令和６年４月１日から令和７年３月３１日まで."""
    if not on:
        return ""
    first, last = dates.fiscal_year(min(on)), dates.fiscal_year(max(on))
    return fill(lay["period"], 開始=dates.format_wareki(dates.year_start(first), full_width=True),
                終了=dates.format_wareki(dates.year_end(last), full_width=True))


def provision_table(provisions: list[Record], layout: dict) -> Table:
    lay = layout["cases"]["provisions"]
    reg = schema.provision()
    columns = lay["columns"]
    header = [lay["number_header"]] + [_header_lines(reg.header(c["key"]), c.get("break_after", []))
                                       for c in columns]
    rows = []
    for n, p in enumerate(provisions, start=1):
        row = [str(n)]
        for c in columns:
            value = p.get(c["key"])
            if isinstance(value, dt.date):
                row.append(dates.format_wareki(value))
            elif value is None and not cells.is_blank(p.raw.get(c["key"])):
                # a cell 入力チェック rejects (a date it cannot read) is printed as typed, not left blank
                row.append(cells.display(p.raw.get(c["key"])))
            else:
                row.append(cells.printed(value, reg.column(c["key"])))
        rows.append(row)
    return Table(
        columns=[TableColumn(lay["number_width_mm"], "center", numeric=True)]
        + [TableColumn(c["width_mm"], c["align"]) for c in columns],
        header=[header],
        rows=rows,
        header_fill=layout["header_fill"],
        padding_mm=layout["cell_padding_mm"],
        valign="center",
    )


def _header_lines(header: str, break_after: list[str]) -> str:
    """A header broken where the 資料 breaks it (外部提供を行った／個人の範囲), not mid-word where
    the column happens to end; layout.json names the words a line ends with."""
    for words in break_after:
        end = header.find(words) + len(words)
        if end >= len(words) and end < len(header) and header[end] != "\n":
            header = header[:end] + "\n" + header[end:]
    return header
