"""Inserting rows in the middle of a sheet by splicing its XML, as Excel's 「行の挿入」 does: the
one engine of both callers —

- 組織改正 (`insert_rows`): a new 課 goes right below its predecessor on the 課 sheet, so that the
  sheet's order stays the organisation chart's;
- `xlkit upgrade` (xlkit.workbook.howto_rows): 使い方 gets a row for each new button.

`insert` takes where new rows go (sheet_xml.RowShift: several insertion points at once) and a
function that writes them; the rows below move down whole, renumbered but otherwise their bytes,
with what points at them or is anchored to them. What it cannot move it refuses before anything
changes. Attributes are read in either quote, as XML allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from xlkit import schema
from xlkit.addresses import column_index, column_letter
from xlkit.errors import XlkitError
from xlkit.workbook import sheet_xml
from xlkit.workbook.appender import grow_filter_name, grow_table, holds_register, ref_bounds, row_xml
from xlkit.workbook.package import Package
from xlkit.workbook.stylesheet import Stylesheet

# the XML of the new rows that go right below `row`, numbered `numbers`, written on `sheet`
Build = Callable[[sheet_xml.Sheet, int, list[int]], bytes]


def insert_rows(package: Package, register: schema.Register, letters: dict[str, str],
                below: dict[int, list[dict[str, Any]]], *, no_formulas: Iterable[str] = ()) -> sheet_xml.RowShift:
    """Insert new rows (schema key -> value) right below rows of the register's sheet: `below`
    maps an Excel row to the rows that go under it, in order. Each new row is formatted like the
    row it goes under, as xlkit.workbook.appender writes appended rows; the register's table and
    the sheet's filter grow over the new rows. Everything else is `insert`'s: what moves, what is
    refused. The sheets in `no_formulas` are known to hold no formula (the reader refuses them
    there) and are not read again. Returns where each old row went."""
    columns = {column_index(x) + 1 for x in letters.values()}
    styles, epoch = Stylesheet(package), sheet_xml.epoch(package)

    def build(sheet: sheet_xml.Sheet, row: int, numbers: list[int]) -> bytes:
        fmt = (styles, epoch, sheet.column_styles())
        above, above_attrs = sheet.cells(row), sheet.row_attrs(row)
        return b"".join(row_xml(sheet, register, letters, values, r, None, above, above_attrs, fmt)
                        for values, r in zip(below[row], numbers))

    shift = insert(package, register.sheet, {row: len(rows) for row, rows in below.items()}, build,
                   register_columns=columns, no_formulas=no_formulas)
    styles.save()
    return shift


def insert(package: Package, sheet_name: str, counts: dict[int, int], build: Build, *,
           sheet: sheet_xml.Sheet | None = None, register_columns: Iterable[int] = (),
           no_formulas: Iterable[str] = ()) -> sheet_xml.RowShift:
    """Insert `counts[row]` new rows right below each `row` of the sheet `sheet_name` (already
    read as `sheet`, if given), written by `build`. Every row beneath moves down whole, as Excel's
    「行の挿入」 moves it: its attributes (hidden, height, format) and every cell with its format and
    value, renumbered. What points at those rows moves with them: merged cells, hyperlinks,
    conditional formats and data validations (x14's too), the selection and the top left cell
    shown, the sheet's filter, page breaks (a break after row n moves with row n), the workbook's
    names on this very sheet (a print area; a name on '旧使い方'!A1 is another sheet's), notes (their
    cells and boxes), threaded comments, and pictures, shapes and charts as Excel moves them (a
    one-cell anchor moves whole, an absolute one stays, a two-cell anchor's corners each move
    with their row, so that a shape across the new rows grows). `register_columns`: the
    register's columns (numbered from 1), whose table — headed on row 1 over them — and the
    sheet's filter grow over the new rows too.

    Refused before anything changes, naming the sheet and what is in the way: a formula in a row
    that moves (an insert in Excel adjusts the references; moving the row here would not), a
    formula anywhere in the workbook (or a chart's series) that points at the rows that move (it
    would keep pointing at the row numbers, now other rows), a value pushed past the sheet's last
    row, and what is anchored to the rows below but not moved here (another table, a pivot table,
    controls and embedded objects of the sheet). The sheets in `no_formulas` are known to hold
    no formula and are not read. Returns where each old row went."""
    shift = sheet_xml.RowShift(counts)
    if not shift.points:
        return shift
    part = package.sheet_part(sheet_name)
    if sheet is None:
        sheet = sheet_xml.Sheet(package.read(part), package.path.name, sheet_name)
    where = f"「{sheet_name}」シート"
    moving = sheet.rows_between(shift.top, sheet_xml.LAST_ROW)
    new_rows = {row: [shift(row) + 1 + i for i in range(count)] for row, count in shift.points}
    _check_moving(sheet, moving, shift, where, max(max(rows) for rows in new_rows.values()))
    _check_pointing(package, sheet_name, sheet, shift, set(no_formulas))
    last = max([max(rows) for rows in new_rows.values()]
               + [shift(n) for n in moving if shift(n) <= sheet_xml.LAST_ROW])
    columns = set(register_columns)
    anchored = _moved_anchored(package, part, shift, where, last, columns)

    edits = []
    for number, (start, end, _attrs, xml) in moving.items():
        # a formatted row without a value pushed past the last row is dropped, as Excel drops it
        new = shift(number)
        edits.append((start, end, sheet_xml.renumbered(xml, new) if new <= sheet_xml.LAST_ROW else b""))
    for row, numbers in sorted(new_rows.items()):
        edits.append(sheet.rows_edit(row, build(sheet, row, numbers), {}))
    dimension = _moved_dimension(sheet, shift, last, max(columns, default=0))
    sheet_filter = _grown_filter(sheet, shift, last) if columns else None
    skip = {e[0] for e in (dimension, sheet_filter and sheet_filter[0]) if e}
    edits += [e for e in _moved_refs(sheet, shift) if e[0] not in skip]
    edits += _moved_breaks(sheet, shift)
    edits += [e for e in (dimension, sheet_filter and sheet_filter[0]) if e]
    package.write(part, sheet.splice(edits))
    _move_names(package, sheet_name, shift)
    if sheet_filter:
        grow_filter_name(package, sheet_name, sheet_filter[1], sheet_filter[2])
    for target, xml in anchored.items():
        package.write(target, xml)
    return shift


# --------------------------------------------------------------------------- refusals


def _check_moving(sheet: sheet_xml.Sheet, moving: dict, shift: sheet_xml.RowShift, where: str, last_new: int) -> None:
    """Refuse rows that cannot move: formulas (moved as they are, their references would point
    at other rows than after an insert in Excel), values pushed past the last row; and controls
    or embedded objects of the sheet anchored below (their anchors are not moved here)."""
    formulas = [cell for number, found in moving.items() for cell in sheet_xml.formula_cells(sheet, found[3], number)]
    if formulas:
        shown = "、".join(formulas[:5]) + ("など" if len(formulas) > 5 else "")
        raise XlkitError(f"{where}の {shown} に数式があるため、{shift.top}行目より下の行をずらせません"
                         "（ずらすと、Excel で行を挿入したときと違い、数式の参照がずれます）。"
                         "数式を値に直してから、もう一度実行してください。登録簿は変えていません。")
    pushed = [number for number, found in moving.items()
              if shift(number) > sheet_xml.LAST_ROW and sheet_xml.row_has_value(found[3])]
    if pushed or last_new > sheet_xml.LAST_ROW:
        raise XlkitError(f"{where}に行を加えると、値のある行がシートの最後の行（{sheet_xml.LAST_ROW}行目）より下に"
                         "出てしまうため、書き込めません。シートの下のほうの使っていない行を削除してから、"
                         "もう一度実行してください。登録簿は変えていません。")
    tail = sheet.xml[sheet.end:]
    for block in re.finditer(rb"<((?:\w+:)?(?:controls|oleObjects))\b.*?</\1>", tail, re.S):
        if any(int(r) >= shift.top for r in _ANCHOR_ROW.findall(block[0])):
            raise _in_the_way(where, shift.top, "ボタンなどのコントロールや埋め込みオブジェクト")


# a cell reference in a formula, with its sheet when it has one ('課'!A30, 課!$A$2:$A$9, A30);
# not a function's name (LOG10(), ATAN2())
_FORMULA_REF = re.compile(r"(?:('(?:[^']|'')+'|[^\s!'(),=+\-*/&^<>:;{}\"]+)!)?"
                          r"\$?[A-Za-z]{1,3}\$?(\d{1,7})(?::\$?[A-Za-z]{1,3}\$?(\d{1,7}))?(?![\w(])")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]*)</(?:\w+:)?f>")  # a cell's <f>, a chart's <c:f>, x14's <xm:f>
_CHART = re.compile(r"xl/charts/chart[^/]*\.xml")


def _rows_named(formula: str, sheet: str, own: bool) -> list[int]:
    """The rows of `sheet` a formula's references name; a reference without a sheet counts when
    the formula is on `sheet` itself (`own`). Text in quotes counts too: a refusal too many is safe."""
    rows = []
    for m in _FORMULA_REF.finditer(formula):
        named = m[1].strip("'").replace("''", "'") if m[1] else None
        if (named is None and own) or named == sheet:
            rows += [int(r) for r in (m[2], m[3]) if r]
    return rows


def _check_pointing(package: Package, name: str, sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift,
                    no_formulas: set[str]) -> None:
    """Refuse formulas that stay where they are but point at the rows that move: on the sheet
    above them, on another sheet (=課!A30), or a chart's series."""
    from xlkit.workbook.scan import unescape

    top = shift.top

    def points_below(xml: bytes, own: bool) -> bool:
        return any(r > top for f in _FORMULA_TEXT.findall(xml) for r in _rows_named(unescape(f), name, own))

    def refuse(where: str) -> XlkitError:
        return XlkitError(f"{where}に「{name}」シートの{top}行目より下の行を指す数式があるため、行をずらせません"
                          "（Excel で行を挿入したときと違い、数式の参照は変わりません）。"
                          "その数式を値に直してから、もう一度実行してください。登録簿は変えていません。")

    for number, found in sheet.rows_between(0, top).items():
        if sheet_xml.formula_cells(sheet, found[3], number):
            for col, (_attrs, body) in sheet.cells_of(found[3]):
                if body and points_below(body, True):
                    raise refuse(f"「{name}」シートのセル {column_letter(col - 1)}{number} ")
    for other, part in package.sheet_parts().items():
        if other == name or other in no_formulas or not part or part not in package:
            continue
        # the sheet's name may be written as character references (&#35506;): no quick test for it
        if points_below(package.read(part), False):
            raise refuse(f"「{other}」シート")
    for chart in sorted(i.filename for i in package.infos if _CHART.fullmatch(i.filename)):
        if points_below(package.read(chart), False):
            raise refuse("グラフ")


def _in_the_way(where: str, top: int, thing: str) -> XlkitError:
    return XlkitError(f"{where}の{top}行目より下に{thing}があるため、行をずらせません。{thing}を{top}行目より上に"
                      "移すか削除してから、もう一度実行してください。登録簿は変えていません。")


# --------------------------------------------------------------------------- the sheet's own references


_ANCHOR_ROW = re.compile(rb"<(?:\w+:)?row>\s*(\d+)\s*</")  # a DrawingML anchor's row, counted from 0
# an attribute naming cells, in either quote: groups 1 (the name) and 2 or 3 (the value)
_REF_ATTR = re.compile(rb"""\s(ref|sqref|activeCell|topLeftCell)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SQREF_TEXT = re.compile(rb"(<((?:\w+:)?sqref)>)([^<]*)(</\2>)")  # x14 validations and formats
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*>")
_FILTER = re.compile(rb"<(?:\w+:)?autoFilter\b[^>]*>")


def _ref_attrs(xml: bytes, start: int = 0, end: int | None = None, names: tuple[bytes, ...] | None = None):
    """(start, end, value) of each attribute naming cells between `start` and `end`."""
    for m in _REF_ATTR.finditer(xml, start, len(xml) if end is None else end):
        if names is None or m[1] in names:
            group = 2 if m[2] is not None else 3
            yield m.start(group), m.end(group), m[group]


def _moved_refs(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift) -> list[tuple[int, int, bytes]]:
    """The edits that move the references after the rows with their rows — merged cells,
    hyperlinks, conditional formats, validations (x14's <xm:sqref> too), the filter — and before
    them: the selection and the top left cell shown. A range across the rows inserted grows, as
    in Excel."""
    edits = []
    found = [*_ref_attrs(sheet.xml, 0, sheet.start), *_ref_attrs(sheet.xml, sheet.end)]
    found += [(m.start(3), m.end(3), m[3]) for m in _SQREF_TEXT.finditer(sheet.xml, sheet.end)]
    for start, end, value in found:
        moved = shift.refs(value.decode()).encode()
        if moved != value:
            edits.append((start, end, moved))
    return edits


def _moved_dimension(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift, last: int,
                     width: int) -> tuple[int, int, bytes] | None:
    """The edit that makes the sheet's dimension (its used range) cover the rows moved and added,
    and the register's columns (`width`, numbered from 1)."""
    m = _DIMENSION.search(sheet.xml, 0, sheet.start)
    if m is None:
        return None
    found = next(_ref_attrs(m[0], names=(b"ref",)), None)
    if found is None:
        return None
    moved = shift.refs(found[2].decode())
    bounds = ref_bounds(moved)
    if bounds:
        right = max(bounds[2], column_letter(width - 1) if width else "A", key=lambda c: (len(c), c))
        moved = f"{bounds[0]}{bounds[1]}:{right}{max(bounds[3], last)}"
    return m.start() + found[0], m.start() + found[1], moved.encode()


def _grown_filter(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift, last: int):
    """The edit that moves the register sheet's own filter with its rows and grows it down to
    `last`, and its ref before (as the names now say it, moved) and after."""
    m = _FILTER.search(sheet.xml, sheet.end)
    found = next(_ref_attrs(m[0], names=(b"ref",)), None) if m else None
    if found is None:
        return None
    moved = shift.refs(found[2].decode())
    bounds = ref_bounds(moved)
    new = f"{bounds[0]}{bounds[1]}:{bounds[2]}{last}" if bounds and bounds[3] < last else moved
    return (m.start() + found[0], m.start() + found[1], new.encode()), moved.encode(), new.encode()


_BREAKS = re.compile(rb"<((?:\w+:)?rowBreaks)\b.*?</\1>", re.S)
_BREAK_ID = re.compile(rb"""<(?:\w+:)?brk\b[^>]*?\sid\s*=\s*["'](\d+)["']""")


def _moved_breaks(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift) -> list[tuple[int, int, bytes]]:
    """Manual page breaks, as Excel keeps them: a break after row n (id n) moves with row n, so a
    break right above the new rows stays above them."""
    edits = []
    for block in _BREAKS.finditer(sheet.xml, sheet.end):  # the sheet's, and each custom view's
        for m in _BREAK_ID.finditer(block[0]):
            moved = min(shift(int(m[1])), sheet_xml.LAST_ROW - 1)
            if moved != int(m[1]):
                edits.append((block.start() + m.start(1), block.start() + m.end(1), str(moved).encode()))
    return edits


def _sheet_pattern(sheet: str) -> bytes:
    """A regular expression of the sheet's name before the ! of a reference in workbook.xml,
    quoted or not, and never the end of another sheet's name ('旧使い方'!A1, 入力の使い方!B12,
    [1]使い方!A1 of another workbook): the name whole, as XML text."""
    from xml.sax.saxutils import escape

    apostrophe = rb"(?:'|&apos;)"
    name = re.escape(escape(sheet).encode("utf-8"))
    quoted = name.replace(b"'", apostrophe * 2)  # a ' in a quoted name is written twice
    # unquoted only when nothing of a longer name comes before: a byte of a UTF-8 letter is \x80–\xff
    return rb"(?:%s%s%s|(?<![\w.\x80-\xff'\]])%s)!" % (apostrophe, quoted, apostrophe, name)


def _move_names(package: Package, sheet: str, shift: sheet_xml.RowShift) -> None:
    """Workbook names that point at the sheet's rows below (a print area, the filter's hidden
    name) follow them; a name on another sheet, however its name ends, stays."""
    workbook = package.read("xl/workbook.xml")
    qualified = re.compile(rb"(%s)(\$?[A-Za-z]{0,3}\$?\d*(?::\$?[A-Za-z]{0,3}\$?\d*)?)" % _sheet_pattern(sheet))

    def names(m: re.Match) -> bytes:
        return qualified.sub(lambda r: r[1] + shift.refs(r[2].decode()).encode(), m[0])

    moved = re.sub(rb"<(?:\w+:)?definedName\b[^>]*>[^<]*<", names, workbook)
    if moved != workbook:
        package.write("xl/workbook.xml", moved)


# --------------------------------------------------------------------------- parts anchored to the rows


def _moved_ref_attrs(xml: bytes, shift: sheet_xml.RowShift, *, double_quoted: bool = False) -> bytes:
    """`xml` with the cells its `ref` attributes name moved; `double_quoted`: every one of them
    written back in double quotes (as appender.grow_table looks for them)."""
    def moved(m: re.Match) -> bytes:
        if m[1] != b"ref":
            return m[0]
        group = 2 if m[2] is not None else 3
        value = shift.refs(m[group].decode()).encode()
        if double_quoted:
            return m[0][:m.start(group) - m.start() - 1] + b'"%s"' % value
        return m[0][:m.start(group) - m.start()] + value + m[0][m.end(group) - m.start():]

    return _REF_ATTR.sub(moved, xml)


def _moved_anchored(package: Package, part: str, shift: sheet_xml.RowShift, where: str, last: int,
                    columns: set[int]) -> dict[str, bytes]:
    """The parts anchored to the sheet's rows, as they become when the rows move: notes and
    their boxes, threaded comments, drawings, tables; refuses what is anchored below the rows
    that stay but is not moved here (a pivot table, a table other than the register's)."""
    top = shift.top
    changed = {}
    for kind in ("comments", "threadedComment", "vmlDrawing", "drawing", "table", "pivotTable"):
        for target in (t for t in package.related(part, kind) if t in package):
            xml = package.read(target)
            if kind in ("comments", "threadedComment"):
                new = _moved_ref_attrs(xml, shift)
            elif kind == "vmlDrawing":
                new = _moved_vml(xml, shift)
            elif kind == "drawing":
                new = _moved_drawing(xml, shift)
            elif kind == "table":
                new = _move_table(xml, shift, last, package.path.name, columns, where)
            else:
                if any(int(r) > top for _, _, ref in _ref_attrs(xml) for r in re.findall(rb"\d+", ref)):
                    raise _in_the_way(where, top, "ピボットテーブル")
                continue
            if new != xml:
                changed[target] = new
    return changed


def _corner(shift: sheet_xml.RowShift, row: int, offset: int, bottom_edge: bool) -> int:
    """Where a drawing's corner on row `row` (counted from 0) goes: with the row it lies in, or,
    on a row's top edge that ends a shape (`bottom_edge`), with the row above it — a shape that
    ends right above the new rows does not grow over them."""
    if bottom_edge and offset == 0:
        return min(shift(row), sheet_xml.LAST_ROW - 1)
    return min(shift(row + 1) - 1, sheet_xml.LAST_ROW - 1)


_DRAWING_ANCHOR = re.compile(rb"<((?:\w+:)?(?:twoCellAnchor|oneCellAnchor|absoluteAnchor))\b([^>]*)>.*?</\1>", re.S)
_MARKER = re.compile(rb"<((?:\w+:)?(from|to))>(.*?)</\1>", re.S)
_MARKER_ROW = re.compile(rb"(<(?:\w+:)?row>)\s*(\d+)\s*(</)")
_MARKER_ROW_OFFSET = re.compile(rb"<(?:\w+:)?rowOff>\s*(-?\d+)\s*</")


def _moved_drawing(xml: bytes, shift: sheet_xml.RowShift) -> bytes:
    """DrawingML anchors (pictures, shapes, charts; rows counted from 0) moved as in Excel: a
    one-cell anchor (or editAs="oneCell": move but don't size) moves whole with its top row, an
    absolute one stays, a two-cell anchor's corners each move with their row, so that a shape
    across the new rows grows."""
    def anchor(m: re.Match) -> bytes:
        kind = m[1].rsplit(b":", 1)[-1]
        edit_as = sheet_xml.attributes(m[2]).get(b"editAs", b"twoCell")
        if kind == b"absoluteAnchor" or edit_as == b"absolute":
            return m[0]
        body = m[0]
        corners = []
        for marker in _MARKER.finditer(body):
            row = _MARKER_ROW.search(marker[0])
            if row is None:
                continue
            offset = _MARKER_ROW_OFFSET.search(marker[0])
            corners.append((marker.start() + row.start(2), marker.start() + row.end(2), marker[2] == b"to",
                            int(row[2]), int(offset[1]) if offset else 0))
        if not corners:
            return body
        start = next(((r, o) for _, _, to, r, o in corners if not to), None)
        if kind == b"oneCellAnchor" or edit_as == b"oneCell":
            if start is None:
                return body
            by = _corner(shift, *start, False) - start[0]
            moved = [(s, e, r + by) for s, e, _to, r, _o in corners]
        else:
            moved = [(s, e, _corner(shift, r, o, to and (start is None or (r, o) > start))) for s, e, to, r, o in corners]
        for s, e, r in sorted(moved, reverse=True):
            body = body[:s] + str(r).encode() + body[e:]
        return body

    return _DRAWING_ANCHOR.sub(anchor, xml)


_CLIENT_DATA = re.compile(rb"<((?:\w+:)?ClientData)\b([^>]*)>(.*?)</\1>", re.S)
_VML_ROW = re.compile(rb"(<((?:\w+:)?Row)>)\s*(\d+)\s*(</\2>)")
_VML_ANCHOR = re.compile(rb"(<((?:\w+:)?Anchor)>)([^<]*)(</\2>)")


def _moved_vml(xml: bytes, shift: sheet_xml.RowShift) -> bytes:
    """A legacy drawing moved with its rows: a note (a comment's box) with its cell — its Row
    and its whole anchor, by as many rows as its cell — and any other shape (a form button)
    anchored as a two-cell drawing is. An anchor is LeftColumn, LeftOffset, TopRow, TopOffset,
    RightColumn, RightOffset, BottomRow, BottomOffset, rows counted from 0."""
    def client_data(m: re.Match) -> bytes:
        body = m[0]
        anchor = _VML_ANCHOR.search(body)
        parts = [p.strip() for p in anchor[3].decode().split(",")] if anchor else []
        if len(parts) != 8 or not all(p.lstrip("-").isdigit() for p in parts):
            parts = []
        numbers = [int(p) for p in parts]
        note = sheet_xml.attributes(m[2]).get(b"ObjectType") == b"Note"
        row = _VML_ROW.search(body)
        if note and row is not None:
            by = shift(int(row[3]) + 1) - (int(row[3]) + 1)
            if not by:
                return body
            body = body[:row.start(3)] + str(int(row[3]) + by).encode() + body[row.end(3):]
            if not numbers:
                return body
            numbers[2], numbers[6] = numbers[2] + by, numbers[6] + by
        elif numbers:
            top, bottom = (numbers[2], numbers[3]), (numbers[6], numbers[7])
            numbers[2] = _corner(shift, *top, False)
            numbers[6] = _corner(shift, *bottom, bottom > top)
        else:
            return body
        anchor = _VML_ANCHOR.search(body)
        return body[:anchor.start(3)] + ", ".join(map(str, numbers)).encode() + body[anchor.end(3):]

    return _CLIENT_DATA.sub(client_data, xml)


def _move_table(xml: bytes, shift: sheet_xml.RowShift, last: int, file_name: str, columns: set[int],
                where: str) -> bytes:
    """The register's table moved over its rows and grown over the new ones; another table (a
    table of staff's beside the register, any table of a sheet that is no register) that reaches
    the rows below is refused (it would not cover them right)."""
    root = re.search(rb"<(?:\w+:)?table\b[^>]*>", xml)
    if root is None:
        return xml
    attrs = sheet_xml.attributes(root[0])
    bounds = ref_bounds(attrs.get(b"ref", b"").decode())
    if bounds is None:
        return xml
    if not holds_register(bounds[1], column_index(bounds[0]) + 1, column_index(bounds[2]) + 1, columns):
        if bounds[3] > shift.top:
            name = attrs.get(b"displayName") or attrs.get(b"name") or b""
            raise _in_the_way(where, shift.top, f"テーブル「{name.decode(errors='replace')}」")
        return xml
    moved = _moved_ref_attrs(xml, shift, double_quoted=True)
    if ref_bounds(shift.refs(attrs[b"ref"].decode()))[3] >= last:  # a totals row below is fine then
        return moved
    return grow_table(moved, last, file_name, columns)


def rehearsal(path) -> Package:
    """The register at `path` as a package whose changes are never saved: a dry run makes the
    same splice as the run, and so meets the same refusals (a formula, a note it cannot move)."""
    return Package(path)
