"""A register file's zip read directly, before calamine: its sheets, its format, its parts
against the limits (xlkit.workbook.guard), and what calamine reads as blank though the cell is
not: formulas, error values, merges.

A register must hold values. Reading the sheet XML directly is the only cheap way to see
these, and a clean file (no `<f`, no `t="e"`, no `<mergeCell`) costs one substring search.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree
from pathlib import Path

from xlkit.errors import XlkitError
from xlkit.workbook import guard

# with or without a prefix (the Open XML SDK writes <x:c>), in either quote
_CELL = re.compile(rb"""<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)""", re.S)
_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Z]+[0-9]+)["']""")
_ERROR = re.compile(rb"""(?:^|\s)t\s*=\s*["']e["']""")
_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?ref\s*=\s*["']([^"']+)["']""")
# a formula element (<f>, <f t="shared" …/>), not <formula1> of a data validation
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s>/]")
_PLAIN_FORMULA = re.compile(rb"<f[\s>/]")  # a literal start: a fast scan; _FORMULA only where ":f" is
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>(.*?)</", re.S)


def unescape(text: bytes) -> str:
    """An XML attribute's or text's value: the five entities and numeric references (&#22806;),
    which some writers use for every non-ASCII character of a sheet name."""
    return html.unescape(text.decode("utf-8"))


def _tree(archive, part: str):
    """The root of an XML part, parsed whole (the small parts: workbook.xml, relationships).

    ElementTree reads what regular expressions would miss: a prefix on every element (the Open
    XML SDK writes <x:sheet>), attributes in any order and either quote. The guard has refused
    a DTD in these parts already, so no entity is expanded.
    """
    data = archive.read(part)
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        try:
            data.decode("utf-8")
            why = "XML として壊れている"
        except UnicodeDecodeError:
            why = "UTF-8 の文字として読めない"
        raise XlkitError(f"部品 {part} が{why}ため読めません（Excel 以外で作られたか、壊れたファイルです）。"
                         "Excel で開いて保存し直してください。") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def relationships(archive, part: str) -> list[tuple[str, str, str]]:
    """(id, type's last word, target part) of each relationship of `part` to another part of the
    package (links to outside it left out); `archive` is anything with read(name)."""
    folder, name = posixpath.split(part)
    try:
        root = _tree(archive, posixpath.join(folder, "_rels", name + ".rels"))
    except KeyError:
        return []
    found = []
    for rel in root.iter():
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found.append((rel.get("Id", ""), rel.get("Type", "").rsplit("/", 1)[-1], target))
    return found


def sheet_parts(archive) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the archive (anything with read(name))."""
    targets = {rid: target for rid, _, target in relationships(archive, "xl/workbook.xml")}
    parts = {}
    for sheet in _tree(archive, "xl/workbook.xml").iter():
        if _local(sheet.tag) == "sheet":
            # r:id, whatever the prefix and whichever namespace (transitional or strict) it has
            rid = next((v for k, v in sheet.attrib.items() if k.startswith("{") and _local(k) == "id"), "")
            name = sheet.get("name", "")
            if name.casefold() in {n.casefold() for n in parts}:
                # Excel never has two; calamine would read the first, and which one xlkit checked
                # would be a guess
                raise XlkitError(f"シート名「{name}」が二つあります（Excel が作るファイルにはありません）。"
                                 "壊れたファイルです。Excel で開いて保存し直してください。")
            parts[name] = targets.get(rid, "")
    return parts


def workbook_property(archive, name: str) -> str | None:
    """An attribute of workbook.xml's <workbookPr> (date1904 …), or None."""
    for pr in _tree(archive, "xl/workbook.xml").iter():
        if _local(pr.tag) == "workbookPr":
            return pr.get(name)
    return None


def defined_name(archive, wanted: str) -> str | None:
    """The content of the workbook-level name `wanted` as written ("3", '="…"'), or None."""
    for name in _tree(archive, "xl/workbook.xml").iter():
        if _local(name.tag) == "definedName" and name.get("name") == wanted and "localSheetId" not in name.attrib:
            return name.text or ""
    return None


def format_version(archive) -> int:
    """The register's format (xlkit.formats) from its workbook name; format 1 when it has none."""
    from xlkit import formats

    return formats.parse(defined_name(archive, formats.NAME))


def register_id(archive) -> str | None:
    """The register's id (xlkit.formats.ID_NAME), None before format 3."""
    from xlkit import formats

    return formats.parse_id(defined_name(archive, formats.ID_NAME))


@dataclass
class Inspection:
    """What `inspect` found of a register file before calamine reads it."""

    version: int  # its format (xlkit.formats)
    problems: list[str]  # formula, error-value and merged cells of the watched sheets, in Japanese
    sheets: list[str]  # its sheet names, in workbook order
    register_id: str | None = None  # xlkit.formats.ID_NAME


_WORKBOOK = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")


def inspect(path: Path, watched: set[str], *, errors_in: set[str] = frozenset(),
            read: set[str] = frozenset(), first: bool = False, what: str = "登録簿") -> Inspection:
    """Everything xlkit checks of a register file before reading its values, in one pass over
    the zip: its parts against the limits (xlkit.workbook.guard), its format (a newer one is
    refused), the cells of the `watched` sheets that are not values, and the error values of
    the `errors_in` sheets (calamine reads an error cell as blank). The sheets calamine will
    `read` (and the watched ones) are measured against the limits too. `first`: the workbook's
    first sheet, whatever its name, is watched too (a table given as an .xlsx). `what` names the
    file wanted where a part too large says it is not one (xlkit.workbook.guard)."""
    from xlkit import formats, limits as limits_

    limits = limits_.current()
    try:
        with zipfile.ZipFile(path) as archive:
            guard.check_members(archive.infolist(), path.name, limits, what)
            guard.check_parts(archive, path.name, limits, only=_WORKBOOK, what=what)
            parts = sheet_parts(archive)
            version = format_version(archive)
            formats.check_readable(version, path.name)
            if first and parts:
                watched = watched | {next(iter(parts))}
            mine = {name: parts[name] for name in sorted((watched | errors_in) & parts.keys())}
            measured = {parts[name]: name for name in (read | watched) & parts.keys()}
            whole = guard.check_parts(archive, path.name, limits, keep=mine.values(), skip=_WORKBOOK, sheets=measured,
                                      what=what)
            problems = []
            for name, part in mine.items():
                if part not in whole:
                    raise KeyError(part)
                problems += _scan_sheet(name, whole.pop(part), errors_only=name not in watched)
            return Inspection(version, problems, list(parts), register_id(archive))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, EOFError):
        raise XlkitError(f"「{path.name}」をExcelファイルとして読めません（壊れているか、Excel以外のファイルです）。") from None


def _scan_sheet(name: str, xml: bytes, errors_only: bool = False) -> list[str]:
    problems = []
    # most sheets have none of these: a few plain searches (regular expressions over a 46 MB
    # sheet took 0.15 s each), and no cell is looked at
    errors = (b'"e"' in xml or b"'e'" in xml) and _ERROR.search(xml) is not None
    formulas = not errors_only and (_PLAIN_FORMULA.search(xml) is not None
                                    or (b":f" in xml and _FORMULA.search(xml) is not None))
    if errors or formulas:
        for m in _CELL.finditer(xml):
            attrs, body = m[1], m[2] or b""
            ref = _REF.search(attrs)
            where = f"シート「{name}」セル {ref[1].decode() if ref else '（番地の書かれていないセル）'}"
            if _ERROR.search(attrs):
                value = _VALUE.search(body)
                problems.append(f"{where}: エラー値 {value[1].decode() if value else 'エラー'} が入っています")
            elif not errors_only and _FORMULA.search(body):
                problems.append(f"{where}: 数式が入っています（値を入力してください）")
    if errors_only:
        return problems
    for m in _MERGE.finditer(xml) if b"mergeCell" in xml else ():
        problems.append(f"シート「{name}」セル {m[1].decode()}: セルが結合されています（結合を解除してください）")
    return problems
