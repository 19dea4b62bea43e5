"""The step from register format 3 to 4 (xlkit.workbook.migrate.STEPS[3]), done on the parts:
設定's row 締めた年度 (format3.add_settings_row), the 課 columns 開始日, 終了日 and 後継の課
(schemas/division.schema.json) after 課 and 実施機関, and 使い方's row of the button 年度締め
(workbook/howto_rows.py; an .xlsm's buttons and VBA are drawn and rebuilt by `xlkit upgrade`
itself, migrate.rebuild_buttons). Every other part stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlkit import cells, formats, schema
from xlkit.addresses import column_letter
from xlkit.errors import XlkitError
from xlkit.workbook import design, sheet_xml, xml_attrs
from xlkit.workbook.format3 import add_settings_row, column_width, options_xml, validation_edits
from xlkit.workbook.migrate import set_format
from xlkit.workbook.package import Package

VERSION = 4
# the first column of 課 this step adds (1-based): 開始日, the first of formats.ADDED[4]'s headers,
# after 課 and 実施機関
FIRST_NEW = schema.division().headers.index(formats.ADDED[VERSION][schema.division().sheet][0]) + 1


def add_closed_years_divisions_and_button(package: Package) -> None:
    """Format 4: the 設定 row 締めた年度, the 課 columns 開始日, 終了日 and 後継の課 (their headers,
    widths, formats and validations; 課's note moved out of their way) and 使い方's row of the button
    年度締め. A 課 sheet whose new columns staff already use is refused before anything changes."""
    plan = division_plan(package)
    add_settings_row(package, "closed_years")
    if plan is not None:
        add_division_columns(package, plan)
    from xlkit.workbook.howto_rows import update_howto_buttons

    update_howto_buttons(package, design.buttons_until(VERSION))
    set_format(package, VERSION)


# --------------------------------------------------------------------------- 課


@dataclass
class DivisionPlan:
    """What the step writes into 課: the part, the header columns (1-based) to write and whether
    xlkit's note moves from the column after the old headers to the one after the new (when that
    cell is staff's, the note is not moved: its old cell becomes a new header all the same)."""

    part: str
    write: list[int] = field(default_factory=list)
    move_note: bool = False


def division_plan(package: Package) -> DivisionPlan | None:
    """Check 課 before anything is written: its new header cells (C1:E1) blank, holding their own
    header already, or (D1) xlkit's note of format 3, and no value below a header cell that is
    blank (sheet_xml.holds_value: a cell of spaces only is blank, as format5 takes it). Anything
    else is staff's and is refused (XlkitError naming the cell), for the step would
    make it a 開始日, 終了日 or 後継の課. None when the register has no 課 sheet."""
    division = schema.division()
    opened = sheet_xml.open_sheet(package, division.sheet)
    if opened is None:
        return None
    part, sheet = opened
    strings = sheet_xml.SharedStrings(package)
    header = sheet.cells(1)
    old_note_col = FIRST_NEW + 1  # D: one blank column after 課 and 実施機関
    new_note_col = design.master_note_column(division.sheet) + 1
    note = cells.fold(design.master_note(division.sheet))
    plan = DivisionPlan(part)

    def refuse(col: int, row: int, shown: str, title: str) -> XlkitError:
        return XlkitError(
            f"「{package.path.name}」の「{division.sheet}」シートのセル {column_letter(col - 1)}{row} に"
            f"「{shown}」が入力されています。この列は、形式 {VERSION} から「{title}」の列になります。"
            f"値を {column_letter(new_note_col - 1)} 列より右の列に移すか消してから、xlkit upgrade を実行してください。")

    for col, column in enumerate(division.columns[FIRST_NEW - 1:], start=FIRST_NEW):
        found = header.get(col)
        text = sheet_xml.cell_text(*found, strings) if found else None
        if found is None or not sheet_xml.holds_value(found, strings):
            plan.write.append(col)  # blank, or text of spaces only: nothing of staff's is lost
        elif text is not None and cells.fold(text) == cells.fold(column.header):
            continue  # staff added this column already
        elif col == old_note_col and text is not None and cells.fold(text) == note:
            plan.write.append(col)
            target = header.get(new_note_col)
            plan.move_note = target is None or not sheet_xml.holds_value(target, strings)
        else:
            raise refuse(col, 1, sheet_xml.shown(found, strings), column.header)
    # a value below a blank header would be read as a 開始日 … from now on
    titles = {col: division.columns[col - 1].header for col in plan.write}
    for number, found in sheet.rows_between(1, sheet_xml.LAST_ROW).items():
        for col, cell in sheet.cells_of(found[3]):
            if col in titles and sheet_xml.holds_value(cell, strings):
                raise refuse(col, number, sheet_xml.shown(cell, strings), titles[col])
    return plan


def add_division_columns(package: Package, plan: DivisionPlan) -> None:
    """Write the plan: the header cells (formatted like A1), the note moved, the columns' widths and
    formats (開始日 and 終了日 show dates, as in a new register) where the sheet has a <cols>, and each
    new column's data validation (builder.division_validations) where it has a <dataValidations>."""
    from xlkit.workbook import appender
    from xlkit.workbook.builder import division_validations
    from xlkit.workbook.stylesheet import Stylesheet

    division = schema.division()
    sheet = sheet_xml.Sheet(package.read(plan.part), package.path.name, division.sheet)
    styles, epoch = Stylesheet(package), sheet_xml.epoch(package)  # a date column's format and limits
    rows = sheet.rows_between(0, 1)
    header = dict(sheet.cells_of(rows[1][3])) if 1 in rows else {}
    style = header.get(1, ({}, None))[0].get(b"s")
    old_note_col = FIRST_NEW + 1
    new_note_col = design.master_note_column(division.sheet) + 1
    new_cells = dict(header)
    note = new_cells.pop(old_note_col, None) if plan.move_note else None
    if note is not None:
        new_cells[new_note_col] = note
    for col in plan.write:
        new_cells[col] = sheet_xml.text_cell(division.columns[col - 1].header, style, sheet)
    attrs = {k: v for k, v in rows[1][2].items() if k != b"spans"} if 1 in rows else {b"ht": b"24", b"customHeight": b"1"}
    attrs = {b"r": b"1", **{k: v for k, v in attrs.items() if k != b"r"}}
    width = max(new_cells, default=1)
    edits = [appender.grow_dimension(sheet.xml, 1, width),
             sheet.rows_edit(0, sheet.row_xml(attrs, new_cells), {1: rows[1]} if 1 in rows else {})]
    edits += _columns_edit(sheet, styles, plan, old_note_col, new_note_col)

    checks = division_validations()  # what `xlkit new` gives each column of 課
    entries = [options_xml(sheet.p, f"{column_letter(col - 1)}2:{column_letter(col - 1)}{sheet_xml.LAST_ROW}",
                           checks[col - 1], epoch)
               for col in plan.write if checks[col - 1]]
    edits += validation_edits(sheet, entries)
    package.write(plan.part, sheet.splice(edits))
    styles.save()


def _columns_edit(sheet: sheet_xml.Sheet, styles, plan: DivisionPlan, old_note_col: int,
                  new_note_col: int) -> list:
    """The edit of <cols>: each new column its schema width (as XlsxWriter stores it) and the
    format of the column it was, a date format for 開始日 and 終了日; the note's column width goes
    with the note. Nothing when the sheet has no <cols> (Excel's default widths) or one not read simply."""
    found = sheet.col_entries()
    if found is None:
        return []  # no <cols>, or not one read simply: widths stay as they are
    block = found[0]
    entries = [(low, high, {k: v for k, v in attrs.items() if k not in (b"min", b"max")})
               for low, high, attrs, _ in found[1]]

    def at(col: int) -> dict:
        return dict(next((a for low, high, a in entries if low <= col <= high), {}))

    overrides: dict[int, dict] = {}
    for col in plan.write:
        column = schema.division().columns[col - 1]
        new = at(FIRST_NEW)  # the format of the first column after the old headers (unlocked)
        new[b"width"] = repr(column_width(column.width)).encode()
        if column.kind == "date":
            base = new.get(b"style")
            new[b"style"] = str(styles.date_style(int(base) if base and base.isdigit() else None)).encode()
        new.pop(b"customWidth", None)
        new[b"customWidth"] = b"1"
        overrides[col] = new
    if plan.move_note and at(old_note_col):
        overrides[new_note_col] = at(old_note_col)
    if not overrides:
        return []
    spans: list[tuple[int, int, dict]] = []
    for low, high, attrs in entries:
        col = low
        for o in sorted(k for k in overrides if low <= k <= high):
            if col < o:
                spans.append((col, o - 1, attrs))
            col = o + 1
        if col <= high:
            spans.append((col, high, attrs))
    spans += [(o, o, a) for o, a in overrides.items()]
    spans.sort(key=lambda s: s[0])
    merged: list[tuple[int, int, dict]] = []
    for low, high, attrs in spans:  # 開始日 and 終了日 alike: one <col min="3" max="4">, as XlsxWriter writes
        if merged and low in overrides and merged[-1][0] in overrides and merged[-1][1] + 1 == low \
                and merged[-1][2] == attrs:
            merged[-1] = (merged[-1][0], high, attrs)
        else:
            merged.append((low, high, attrs))
    body = b"".join(b'<%scol min="%d" max="%d"%s/>' % (sheet.p, low, high, xml_attrs.attrs_xml(attrs))
                    for low, high, attrs in merged)
    return [(block.start(1), block.end(1), body)]
