"""使い方's button rows brought up to today's: a row for each button the register lacks, inserted
after the last button row, and everything below moved down with its cells, merges, names,
breaks, pictures, shapes and comments — so that the buttons drawn again (migrate.rebuild_buttons)
sit on their own rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from xlkit.workbook import design, sheet_xml
from xlkit.workbook.appender import KEEP_ROW_ATTRS
from xlkit.workbook.migrate import WORKBOOK, xml_text
from xlkit.workbook.package import Package


_REF_ATTRS = re.compile(rb'(\s(?:ref|sqref|activeCell|topLeftCell)=")([^"]*)(")')
_CELL_REF = re.compile(r"(\$?[A-Za-z]{1,3})?(\$?)(\d+)")


# help texts of 使い方's button rows as earlier xlkit worded them: when design.BUTTONS rewords one,
# its old text goes here, so that the upgrade still knows that row for a button's
FORMER_HELP: frozenset[str] = frozenset()


def update_howto_buttons(package: Package, buttons: Sequence[design.Button] | None = None) -> bool:
    """使い方's button rows brought up to date with `buttons` (design.BUTTONS, or the first of them:
    an upgrade step adds the rows of the buttons its format brings, design.buttons_until): one row
    per button under the subtitle design.HOWTO_BUTTONS, its help text in column C (and its caption
    in B where the rows above have one: an .xlsx, which has no buttons). The rows there are taken to
    be the first buttons (buttons are only ever added at the end); a row is inserted after them for
    each button they lack, formatted like the row above, and the rows below move down with everything anchored
    to them (cells, merged cells, row heights, the selection, names such as a print area, pictures
    and shapes, comments), as Excel moves them when rows are inserted. The buttons themselves are
    drawn again by rebuild_buttons, in these rows. Nothing changes (False) when every button has its
    row, or when the rows cannot be found (a 使い方 staff rewrote)."""
    part = package.sheet_parts().get(design.HOWTO)
    if not part or part not in package:
        return False
    sheet = sheet_xml.Sheet(package.read(part), package.path.name, design.HOWTO)
    strings = sheet_xml.SharedStrings(package)
    rows = sheet.rows_between(0, sheet_xml.LAST_ROW)
    row_cells = {number: dict(sheet.cells_of(found[3])) for number, found in rows.items()}

    def text(number: int, col: int) -> str:
        found = row_cells.get(number, {}).get(col)
        return (sheet_xml.cell_text(*found, strings) or "").strip() if found else ""

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
    at, by = listed[-1] + 1, len(missing)

    from xlkit.workbook.stylesheet import Stylesheet

    styles, epoch = Stylesheet(package), sheet_xml.epoch(package)
    above, above_attrs = row_cells[listed[-1]], rows[listed[-1]][2]
    with_caption = 2 in above and sheet_xml.has_value(*above[2])
    new_rows = []
    for i, button in enumerate(missing):
        attrs = {b"r": str(at + i).encode(), **{k: v for k, v in above_attrs.items() if k in KEEP_ROW_ATTRS}}
        new_cells = {col: ({b"s": found[0][b"s"]}, None) for col, found in above.items() if b"s" in found[0]}
        if with_caption:
            new_cells[2] = sheet_xml.text_cell(button.caption, above[2][0].get(b"s"), styles, epoch, sheet)
        new_cells[3] = sheet_xml.text_cell(button.help, above[3][0].get(b"s"), styles, epoch, sheet)
        new_rows.append(sheet.row_xml(attrs, new_cells))
    below = sheet.rows_between(at - 1, sheet_xml.LAST_ROW)
    edits = [sheet.rows_edit(at - 1, b"".join(new_rows), {})]
    edits += [(start, end, _shift_row(xml, at, by)) for start, end, _attrs, xml in below.values()]
    for segment_start, segment_end in ((0, sheet.start), (sheet.end, len(sheet.xml))):
        for m in _REF_ATTRS.finditer(sheet.xml, segment_start, segment_end):
            shifted = _shift_refs(m[2].decode(), at, by).encode()
            if shifted != m[2]:
                edits.append((m.start(2), m.end(2), shifted))
    edits += _shift_breaks(sheet.xml, sheet.end, at, by)
    package.write(part, sheet.splice(edits))
    styles.save()
    _shift_names(package, at, by)
    _shift_anchored(package, part, at, by)
    return True


def _shift_refs(refs: str, at: int, by: int) -> str:
    """Cell references (B12, $B$12:C14, 3:5, a space-separated list) with every row from `at` on
    moved `by` rows down."""
    return _CELL_REF.sub(lambda m: f"{m[1] or ''}{m[2]}{int(m[3]) + by if int(m[3]) >= at else m[3]}", refs)


def _shift_row(xml: bytes, at: int, by: int) -> bytes:
    """A <row> of the sheet, moved down: its r and its cells' r (and a shared formula's ref)."""
    head = re.match(rb"<(?:\w+:)?row\b[^>]*>", xml)
    if head is None:
        return xml
    start = re.sub(rb'(\sr=")(\d+)(")', lambda m: m[1] + str(int(m[2]) + by).encode() + m[3], head[0], count=1)
    rest = re.sub(rb'(<(?:\w+:)?(?:c|f)\b[^>]*?\s(?:r|ref)=")([^"]*)(")',
                  lambda m: m[1] + _shift_refs(m[2].decode(), at, by).encode() + m[3], xml[head.end():])
    return start + rest


def _shift_breaks(xml: bytes, after: int, at: int, by: int) -> list[tuple[int, int, bytes]]:
    """The edits that move the manual page breaks below row `at` - 1 down with their rows."""
    block = re.search(rb"<(?:\w+:)?rowBreaks\b.*?</(?:\w+:)?rowBreaks>", xml[after:], re.S)
    if block is None:
        return []
    edits = []
    for m in re.finditer(rb'<(?:\w+:)?brk\b[^>]*?\sid="(\d+)"', block[0]):
        if int(m[1]) >= at:
            edits.append((after + block.start() + m.start(1), after + block.start() + m.end(1),
                          str(int(m[1]) + by).encode()))
    return edits


def _shift_names(package: Package, at: int, by: int) -> None:
    """Workbook names that point at 使い方's rows (a print area …) follow them."""
    xml = package.read(WORKBOOK)
    sheet = re.escape(xml_text(design.HOWTO))
    qualified = re.compile(rb"((?:'|&apos;)?%s(?:'|&apos;)?!)(\$?[A-Za-z]{0,3}\$?\d*(?::\$?[A-Za-z]{0,3}\$?\d*)?)"
                           % sheet)

    def names(m: re.Match) -> bytes:
        return qualified.sub(lambda r: r[1] + _shift_refs(r[2].decode(), at, by).encode(), m[0])

    shifted = re.sub(rb"<(?:\w+:)?definedName\b[^>]*>[^<]*<", names, xml)
    if shifted != xml:
        package.write(WORKBOOK, shifted)


def _shift_anchored(package: Package, part: str, at: int, by: int) -> None:
    """The drawings (pictures, shapes, charts), legacy drawings (buttons, comments' boxes),
    comments and tables of 使い方 anchored at or below row `at` follow their rows down."""
    for kind, shift in (("drawing", _shift_drawing), ("vmlDrawing", _shift_vml), ("comments", _shift_ref_attrs),
                        ("threadedComment", _shift_ref_attrs), ("table", _shift_ref_attrs)):
        for target in package.related(part, kind):
            if target in package:
                old = package.read(target)
                new = shift(old, at, by)
                if new != old:
                    package.write(target, new)


def _shift_ref_attrs(xml: bytes, at: int, by: int) -> bytes:
    return re.sub(rb'(\sref=")([^"]*)(")', lambda m: m[1] + _shift_refs(m[2].decode(), at, by).encode() + m[3], xml)


def _shift_drawing(xml: bytes, at: int, by: int) -> bytes:
    """DrawingML anchors (rows counted from 0): a two-cell anchor's corners each move when at or
    below the inserted rows (a shape across them grows), a one-cell anchor moves whole, an absolute
    one stays, as in Excel."""
    first = at - 1  # row `at`, counted from 0

    def marker(m: re.Match, whole: bool) -> bytes:
        row = re.search(rb"<((?:\w+:)?)row>(\d+)</", m[0])
        if row is None:
            return m[0]
        offset = re.search(rb"<(?:\w+:)?rowOff>(\d+)</", m[0])
        number = int(row[2])
        at_top = m[1].endswith(b"to") and number == first and (offset is None or int(offset[1]) == 0)
        if whole is False and (number < first or at_top):
            return m[0]
        return m[0][:row.start(2)] + str(number + by).encode() + m[0][row.end(2):]

    def anchor(m: re.Match) -> bytes:
        if b'editAs="absolute"' in m[2]:
            return m[0]
        body = m[0]
        markers = list(re.finditer(rb"<((?:\w+:)?(?:from|to))>.*?</\1>", body, re.S))
        if not markers:
            return body
        from_row = re.search(rb"<(?:\w+:)?row>(\d+)</", markers[0][0])
        one_cell = m[1].endswith(b"oneCellAnchor") or b'editAs="oneCell"' in m[2]
        if one_cell:
            if from_row is None or int(from_row[1]) < first:
                return body
            pieces, pos = [], 0
            for found in markers:
                pieces += [body[pos:found.start()], marker(found, True)]
                pos = found.end()
            return b"".join(pieces) + body[pos:]
        pieces, pos = [], 0
        for found in markers:
            pieces += [body[pos:found.start()], marker(found, False)]
            pos = found.end()
        return b"".join(pieces) + body[pos:]

    return re.sub(rb"<((?:\w+:)?(?:twoCellAnchor|oneCellAnchor))\b([^>]*)>.*?</\1>", anchor, xml, flags=re.S)


def _shift_vml(xml: bytes, at: int, by: int) -> bytes:
    """A legacy drawing's anchors (LeftColumn, LeftOffset, TopRow, TopOffset, RightColumn,
    RightOffset, BottomRow, BottomOffset; rows counted from 0) and a comment box's cell."""
    first = at - 1

    def anchor(m: re.Match) -> bytes:
        parts = [p.strip() for p in m[2].decode().split(",")]
        if len(parts) != 8 or not all(p.lstrip("-").isdigit() for p in parts):
            return m[0]
        top, bottom, bottom_offset = int(parts[2]), int(parts[6]), int(parts[7])
        if top >= first:
            parts[2] = str(top + by)
        if bottom > first or (bottom == first and (top >= first or bottom_offset > 0)):
            parts[6] = str(bottom + by)
        return m[1] + ", ".join(parts).encode() + m[3]

    xml = re.sub(rb"(<x:Anchor>)([^<]*)(</x:Anchor>)", anchor, xml)
    return re.sub(rb"(<x:Row>)(\d+)(</x:Row>)",
                  lambda m: m[1] + (str(int(m[2]) + by).encode() if int(m[2]) >= first else m[2]) + m[3], xml)
