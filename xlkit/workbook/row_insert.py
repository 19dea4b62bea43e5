"""Inserting rows in the middle of a sheet by splicing its XML (組織改正: a new 課 goes right below
its predecessor on the 課 sheet, so that the sheet's order stays the organisation chart's).

The rows below move down whole, renumbered but otherwise their bytes, with what points at them
(merges, links, notes …); `insert_rows` says what it moves and what it refuses. New rows are
written as xlkit.workbook.appender writes appended ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from xlkit import schema
from xlkit.addresses import column_index, column_letter
from xlkit.errors import XlkitError
from xlkit.workbook import sheet_xml
from xlkit.workbook.appender import grow_dimension, grow_filter_name, grow_table, holds_register, ref_bounds, row_xml
from xlkit.workbook.package import Package
from xlkit.workbook.stylesheet import Stylesheet

def insert_rows(package: Package, register: schema.Register, letters: dict[str, str],
                below: dict[int, list[dict[str, Any]]], *, no_formulas: Iterable[str] = ()) -> sheet_xml.RowShift:
    """Insert new rows (schema key -> value) right below rows of the register's sheet: `below`
    maps an Excel row to the rows that go under it, in order. Each new row is formatted like the
    row it goes under. Every row beneath moves down whole, as Excel's 「行の挿入」 moves it: its
    attributes (hidden, height, format) and every cell of every column — a memo column between
    the register's columns too — with its format and value, renumbered. What points at those
    rows moves with them: merged cells, hyperlinks, conditional formats, data validations, the
    sheet's filter and the register's table (both grown over the new rows), page breaks, names
    such as a print area, and notes (their cells and their boxes).

    Refused before anything changes, naming the sheet and what is in the way: a formula in a row
    that moves (an insert in Excel adjusts the references; moving the row here would not), a
    value pushed past the sheet's last row, and what is anchored to the rows below but not moved
    here (pictures and shapes, threaded comments, another table, a pivot table, controls), and a
    formula anywhere in the workbook that points at those rows (it would keep pointing at the row
    numbers, now other rows). The sheets in `no_formulas` are known to hold none (the reader
    refuses formulas there) and are not read again. Returns where each old row went."""
    shift = sheet_xml.RowShift({row: len(rows) for row, rows in below.items()})
    if not shift.points:
        return shift
    part = package.sheet_part(register.sheet)
    sheet = sheet_xml.Sheet(package.read(part), package.path.name, register.sheet)
    where = f"「{register.sheet}」シート"
    moving = sheet.rows_between(shift.top, sheet_xml.LAST_ROW)
    new_rows = {row: [shift(row) + 1 + i for i in range(len(rows))] for row, rows in below.items() if rows}
    _check_moving(sheet, moving, shift, where, max(max(rows) for rows in new_rows.values()))
    _check_pointing(package, register.sheet, sheet, shift, set(no_formulas))
    last = max([max(rows) for rows in new_rows.values()]
               + [shift(n) for n in moving if shift(n) <= sheet_xml.LAST_ROW])
    columns = {column_index(x) + 1 for x in letters.values()}
    anchored = _moved_anchored(package, part, shift, where, last, columns)

    styles, epoch = Stylesheet(package), sheet_xml.epoch(package)
    fmt = (styles, epoch, sheet.column_styles())
    edits = [grow_dimension(sheet.xml, last, max(columns))]
    for number, (start, end, _attrs, xml) in moving.items():
        # a formatted row without a value pushed past the last row is dropped, as Excel drops it
        new = shift(number)
        edits.append((start, end, sheet_xml.renumbered(xml, new) if new <= sheet_xml.LAST_ROW else b""))
    for row, numbers in sorted(new_rows.items()):
        above, above_attrs = sheet.cells(row), sheet.row_attrs(row)
        pieces = [row_xml(sheet, register, letters, values, r, None, above, above_attrs, fmt)
                  for values, r in zip(below[row], numbers)]
        edits.append(sheet.rows_edit(row, b"".join(pieces), {}))
    sheet_filter = _move_filter(sheet, shift, last)
    edits += _moved_refs(sheet, shift, skip=sheet_filter[0][0] if sheet_filter else None)
    edits += _moved_breaks(sheet, shift)
    if sheet_filter:
        edits.append(sheet_filter[0])
    package.write(part, sheet.splice(edits))
    _move_names(package, register.sheet, shift)
    if sheet_filter:
        grow_filter_name(package, register.sheet, sheet_filter[1], sheet_filter[2])
    for target, xml in anchored.items():
        package.write(target, xml)
    styles.save()
    return shift


def _check_moving(sheet: sheet_xml.Sheet, moving: dict, shift: sheet_xml.RowShift, where: str, last_new: int) -> None:
    """Refuse rows that cannot move: formulas (moved as they are, their references would point
    at other rows than after an insert in Excel), values pushed past the last row."""
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
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]*)</(?:\w+:)?f>")


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
    above them, or on another sheet (=課!A30)."""
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


def _in_the_way(where: str, top: int, thing: str) -> XlkitError:
    return XlkitError(f"{where}の{top}行目より下に{thing}があるため、行をずらせません。{thing}を{top}行目より上に"
                      "移すか削除してから、もう一度実行してください。登録簿は変えていません。")


_ANCHOR_ROW = re.compile(rb"<(?:\w+:)?row>\s*(\d+)\s*</")  # a DrawingML anchor's row, counted from 0
_REF_ATTR = re.compile(rb'(\s(?:ref|sqref)=")([^"]*)(")')
_SQREF_TEXT = re.compile(rb"(<((?:\w+:)?sqref)>)([^<]*)(</\2>)")  # x14 validations and formats


def _moved_refs(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift, skip: int | None) -> list[tuple[int, int, bytes]]:
    """The edits that move the references after the rows (merged cells, hyperlinks, conditional
    formats, validations …) with their rows; a range across the rows inserted grows, as in Excel."""
    edits = []
    for pattern, group in ((_REF_ATTR, 2), (_SQREF_TEXT, 3)):
        for m in pattern.finditer(sheet.xml, sheet.end):
            if m.start(group) == skip:
                continue
            moved = shift.refs(m[group].decode()).encode()
            if moved != m[group]:
                edits.append((m.start(group), m.end(group), moved))
    return edits


def _moved_breaks(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift) -> list[tuple[int, int, bytes]]:
    """Manual page breaks (a break after row N) move with the row below them."""
    block = re.search(rb"<(?:\w+:)?rowBreaks\b.*?</(?:\w+:)?rowBreaks>", sheet.xml[sheet.end:], re.S)
    if block is None:
        return []
    base = sheet.end + block.start()
    edits = []
    for m in re.finditer(rb'<(?:\w+:)?brk\b[^>]*?\sid="(\d+)"', block[0]):
        moved = min(shift(int(m[1]) + 1) - 1, sheet_xml.LAST_ROW)
        if moved != int(m[1]):
            edits.append((base + m.start(1), base + m.end(1), str(moved).encode()))
    return edits


def _move_filter(sheet: sheet_xml.Sheet, shift: sheet_xml.RowShift, last: int):
    """The edit that moves the sheet's own filter with its rows and grows it down to `last`, and
    its ref before (as the names now say it, moved) and after."""
    m = re.compile(rb'<(?:\w+:)?autoFilter\b[^>]*?ref="([^"]*)"').search(sheet.xml, sheet.end)
    if m is None:
        return None
    moved = shift.refs(m[1].decode())
    bounds = ref_bounds(moved)
    new = f"{bounds[0]}{bounds[1]}:{bounds[2]}{last}" if bounds and bounds[3] < last else moved
    return (m.start(1), m.end(1), new.encode()), moved.encode(), new.encode()


def _move_names(package: Package, sheet: str, shift: sheet_xml.RowShift) -> None:
    """Workbook names that point at the sheet's rows below (a print area, the filter's hidden
    name) follow them."""
    from xml.sax.saxutils import escape

    workbook = package.read("xl/workbook.xml")
    name = re.escape(escape(sheet).encode("utf-8"))
    # the sheet's name, quoted or not, and not the end of a longer name (別課!A1): a byte of a
    # UTF-8 letter before it is \x80–\xff
    qualified = re.compile(rb"((?:(?:'|&apos;)%s(?:'|&apos;)|(?<![\w.\x80-\xff'])%s)!)"
                           rb"(\$?[A-Za-z]{0,3}\$?\d*(?::\$?[A-Za-z]{0,3}\$?\d*)?)" % (name, name))

    def names(m: re.Match) -> bytes:
        return qualified.sub(lambda r: r[1] + shift.refs(r[2].decode()).encode(), m[0])

    moved = re.sub(rb"<(?:\w+:)?definedName\b[^>]*>[^<]*<", names, workbook)
    if moved != workbook:
        package.write("xl/workbook.xml", moved)


_COMMENT_REF = re.compile(rb'(<(?:\w+:)?comment\b[^>]*?\sref=")([^"]*)(")')
_SHAPE = re.compile(rb"<((?:\w+:)?shape)\b[^>]*>.*?</\1>", re.S)
_NOTE = re.compile(rb"""ObjectType\s*=\s*["']Note["']""")
_VML_ROW = re.compile(rb"<((?:\w+:)?Row)>\s*(\d+)\s*</\1>")
_VML_ANCHOR = re.compile(rb"<((?:\w+:)?Anchor)>([^<]*)</\1>")


def _moved_anchored(package: Package, part: str, shift: sheet_xml.RowShift, where: str, last: int,
                    columns: set[int]) -> dict[str, bytes]:
    """The parts anchored to the sheet's rows, as they become when the rows move (notes, the
    register's table); refuses what is anchored below the rows that stay but is not moved here."""
    top = shift.top
    changed = {}
    things = {"drawing": "図・画像・グラフ", "threadedComment": "スレッド形式のコメント", "pivotTable": "ピボットテーブル"}
    for kind in ("comments", "vmlDrawing", "table", *things):
        for target in (t for t in package.related(part, kind) if t in package):
            xml = package.read(target)
            if kind == "comments":
                new = _COMMENT_REF.sub(lambda m: m[1] + shift.refs(m[2].decode()).encode() + m[3], xml)
            elif kind == "vmlDrawing":
                new = _move_notes(xml, shift, where)
            elif kind == "table":
                new = _move_table(xml, shift, last, package.path.name, columns, where)
            else:
                if kind == "drawing":  # rows counted from 0
                    below = any(int(r) >= top for r in _ANCHOR_ROW.findall(xml))
                else:
                    below = any(int(r) > top for ref in _REF_ATTR.findall(xml)
                                for r in re.findall(rb"\d+", ref[1]))
                if below:
                    raise _in_the_way(where, top, things[kind])
                continue
            if new != xml:
                changed[target] = new
    return changed


def _move_notes(xml: bytes, shift: sheet_xml.RowShift, where: str) -> bytes:
    """A legacy drawing's notes (the box of each comment) moved with their cells: its row and its
    anchor (LeftColumn, LeftOffset, TopRow, TopOffset, RightColumn, RightOffset, BottomRow,
    BottomOffset; rows counted from 0) by as many rows as its cell. Other shapes there (a form
    button) anchored to the rows below are refused."""
    def shape(m: re.Match) -> bytes:
        body = m[0]
        anchor = _VML_ANCHOR.search(body)
        parts = [p.strip() for p in anchor[2].decode().split(",")] if anchor else []
        if len(parts) != 8 or not all(p.lstrip("-").isdigit() for p in parts):
            parts = []
        if not _NOTE.search(body):
            if parts and max(int(parts[2]), int(parts[6])) >= shift.top:
                raise _in_the_way(where, shift.top, "ボタンなどのコントロール")
            return body
        row = _VML_ROW.search(body)
        if row is None:
            return body
        by = shift(int(row[2]) + 1) - (int(row[2]) + 1)
        if not by:
            return body
        if parts:
            parts[2], parts[6] = str(int(parts[2]) + by), str(int(parts[6]) + by)
            body = body[:anchor.start(2)] + ", ".join(parts).encode() + body[anchor.end(2):]
            row = _VML_ROW.search(body)
        return body[:row.start(2)] + str(int(row[2]) + by).encode() + body[row.end(2):]

    return _SHAPE.sub(shape, xml)


def _move_table(xml: bytes, shift: sheet_xml.RowShift, last: int, file_name: str, columns: set[int],
                where: str) -> bytes:
    """The register's table moved over its rows and grown over the new ones; a table of staff's
    beside the register that reaches the rows below is refused (it would not cover them right)."""
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
    moved = _REF_ATTR.sub(lambda m: m[1] + shift.refs(m[2].decode()).encode() + m[3], xml)
    if ref_bounds(shift.refs(attrs[b"ref"].decode()))[3] >= last:  # a totals row below is fine then
        return moved
    return grow_table(moved, last, file_name, columns)


def rehearsal(path) -> Package:
    """The register at `path` as a package whose changes are never saved: a dry run makes the
    same splice as the run, and so meets the same refusals (a formula, a note it cannot move)."""
    return Package(path)
