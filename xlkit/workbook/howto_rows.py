"""使い方's rows brought up to today's: a row for each button the register lacks, inserted after the
last button row, and a line of 入力のしかた for a sheet a format brought. Which rows and what they
say is this module's; the insert itself —
everything below moved down with its cells, merges, names, breaks, pictures, shapes and comments,
as Excel moves them, so that the buttons drawn again (migrate.rebuild_buttons) sit on their own
rows — is xlkit.workbook.row_insert's, the engine 組織改正 uses too.
"""

from __future__ import annotations

from collections.abc import Sequence

from xlkit import schema
from xlkit.errors import XlkitError
from xlkit.workbook import design, row_insert, sheet_xml
from xlkit.workbook.appender import KEEP_ROW_ATTRS
from xlkit.workbook.package import Package


# help texts of 使い方's button rows as earlier xlkit worded them: when design.BUTTONS rewords one,
# its old text goes here, so that the upgrade still knows that row for a button's
FORMER_HELP: frozenset[str] = frozenset()


def _howto(package: Package):
    """使い方 read for editing: the sheet, its rows, each row's cells, and text(row, col) — the
    shown text of a cell, trimmed; None when the register has no 使い方."""
    opened = sheet_xml.open_sheet(package, design.HOWTO)
    if opened is None:
        return None
    sheet = opened[1]
    strings = sheet_xml.SharedStrings(package)
    rows = sheet.rows_between(0, sheet_xml.LAST_ROW)
    row_cells = {number: dict(sheet.cells_of(found[3])) for number, found in rows.items()}

    def text(number: int, col: int) -> str:
        found = row_cells.get(number, {}).get(col)
        return (sheet_xml.cell_text(*found, strings) or "").strip() if found else ""

    return sheet, rows, row_cells, text


def update_howto_buttons(package: Package, buttons: Sequence[design.Button] | None = None) -> bool:
    """使い方's button rows brought up to date with `buttons` (design.BUTTONS, or the first of them:
    an upgrade step adds the rows of the buttons its format brings, design.buttons_until): one row
    per button under the subtitle design.HOWTO_BUTTONS, its help text in column C (and its caption
    in B where the rows above have one: an .xlsx, which has no buttons). The rows there are taken to
    be the first buttons (buttons are only ever added at the end); a row is inserted after them for
    each button they lack, formatted like the row above, and the rows below move down with everything anchored
    to them (cells, merged cells, row heights, the selection, names such as a print area, pictures
    and shapes, comments), as Excel moves them when rows are inserted: xlkit.workbook.row_insert's
    `insert`, which refuses (XlkitError) what it cannot move, such as a formula pointing at those rows. The buttons themselves are
    drawn again by rebuild_buttons, in these rows. Nothing changes (False) when every button has its
    row, or when the rows cannot be found (a 使い方 staff rewrote)."""
    found = _howto(package)
    if found is None:
        return False
    sheet, rows, row_cells, text = found

    buttons = tuple(design.BUTTONS if buttons is None else buttons)
    title = next((n for n in sorted(row_cells) if text(n, 2) == design.HOWTO_BUTTONS), None)
    if title is None:
        return False
    # every button xlkit knows marks a row as a button's, also when `buttons` is fewer of them
    helps, captions = {b.help for b in design.BUTTONS}, {b.caption for b in design.BUTTONS}

    def button_row(number: int) -> bool:
        """A row of a button: a help text of today's or of an earlier xlkit (FORMER_HELP), or a
        caption in B. A note staff typed below the buttons is neither, however tall its row."""
        return text(number, 3) in helps | FORMER_HELP or text(number, 2) in captions

    listed: list[int] = []
    while button_row(title + 1 + len(listed)):
        listed.append(title + 1 + len(listed))
    if not listed or len(listed) >= len(buttons):
        return False
    missing = buttons[len(listed):]
    above, above_attrs = row_cells[listed[-1]], rows[listed[-1]][2]
    with_caption = 2 in above and sheet_xml.has_value(*above[2])

    def build(sheet: sheet_xml.Sheet, _row: int, numbers: list[int]) -> bytes:
        """The missing buttons' rows, formatted like the last button row (`_row`, above them)."""
        new_rows = []
        for button, r in zip(missing, numbers):
            attrs = {b"r": str(r).encode(), **{k: v for k, v in above_attrs.items() if k in KEEP_ROW_ATTRS}}
            new_cells = {col: ({b"s": found[0][b"s"]}, None) for col, found in above.items() if b"s" in found[0]}
            if with_caption:
                new_cells[2] = sheet_xml.text_cell(button.caption, above[2][0].get(b"s"), sheet)
            new_cells[3] = sheet_xml.text_cell(button.help, above.get(3, ({}, None))[0].get(b"s"), sheet)
            new_rows.append(sheet.row_xml(attrs, new_cells))
        return b"".join(new_rows)

    # the reader refuses formulas on 外部結合 and 審議案件: no need to read them for one here
    row_insert.insert(package, design.HOWTO, {listed[-1]: len(missing)}, build, sheet=sheet,
                      no_formulas=(schema.linkage().sheet, schema.case().sheet))
    return True


def add_howto_line(package: Package, after: str, line: tuple[str, str]) -> bool:
    """使い方's line `line` (label in B, text in C) right below the line labelled `after` (審議案件),
    formatted like it, the rows below moved down as for the button rows. Nothing changes (False)
    when a line of that label is there, when `after`'s line is not found (a 使い方 staff rewrote), or
    when row_insert cannot move the rows below (a formula pointing at them …): a line of help is
    not worth refusing an upgrade for."""
    found = _howto(package)
    if found is None:
        return False
    sheet, rows, row_cells, text = found

    label, help_text = line
    if any(text(n, 2) == label for n in row_cells):
        return False
    # the line of `after` has its text beside it (a button's caption never equals a sheet's name)
    anchor = next((n for n in sorted(row_cells) if text(n, 2) == after and text(n, 3)), None)
    if anchor is None:
        return False
    above, above_attrs = row_cells[anchor], rows[anchor][2]

    def build(sheet: sheet_xml.Sheet, _row: int, numbers: list[int]) -> bytes:
        attrs = {b"r": str(numbers[0]).encode(), **{k: v for k, v in above_attrs.items() if k in KEEP_ROW_ATTRS}}
        new_cells = {col: ({b"s": found[0][b"s"]}, None) for col, found in above.items() if b"s" in found[0]}
        new_cells[2] = sheet_xml.text_cell(label, above.get(2, ({}, None))[0].get(b"s"), sheet)
        new_cells[3] = sheet_xml.text_cell(help_text, above.get(3, ({}, None))[0].get(b"s"), sheet)
        return sheet.row_xml(attrs, new_cells)

    try:
        row_insert.insert(package, design.HOWTO, {anchor: 1}, build, sheet=sheet,
                          no_formulas=(schema.linkage().sheet, schema.case().sheet))
    except XlkitError:
        return False  # refused before anything changed
    return True
