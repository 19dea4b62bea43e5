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
from pathlib import Path

from xlkit.errors import XlkitError
from xlkit.workbook import guard

_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb"<Relationship\b[^>]*>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_CELL = re.compile(rb'<c\b[^>]*?r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?ref="([^"]+)"')
# a formula element (<f>, <f t="shared" …/>), not <formula1> of a data validation
_FORMULA = re.compile(rb"<f[\s>/]")


def unescape(text: bytes) -> str:
    """An XML attribute's or text's value: the five entities and numeric references (&#22806;),
    which some writers use for every non-ASCII character of a sheet name."""
    return html.unescape(text.decode("utf-8"))


def relationships(archive, part: str) -> list[tuple[bytes, str, str]]:
    """(id, type's last word, target part) of each relationship of `part` to another part of the
    package (links to outside it left out); `archive` is anything with read(name)."""
    folder, name = posixpath.split(part)
    try:
        rels = archive.read(posixpath.join(folder, "_rels", name + ".rels"))
    except KeyError:
        return []
    found = []
    for m in _REL.finditer(rels):
        attrs = dict(_ATTR.findall(m[0]))
        if attrs.get(b"TargetMode") == b"External":
            continue
        target = unescape(attrs.get(b"Target", b""))
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found.append((attrs.get(b"Id", b""), attrs.get(b"Type", b"").decode().rsplit("/", 1)[-1], target))
    return found


def sheet_parts(archive) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the archive (anything with read(name))."""
    workbook = archive.read("xl/workbook.xml")
    targets = {rid: target for rid, _, target in relationships(archive, "xl/workbook.xml")}
    return {unescape(m[1]): targets.get(m[2], "") for m in _SHEET.finditer(workbook)}


def format_version(archive, file_name: str) -> int:
    """The register's format (xlkit.formats) from its workbook name; format 1 when it has none."""
    from xlkit import formats

    workbook = archive.read("xl/workbook.xml")
    m = re.search(rb'<(?:\w+:)?definedName\b(?![^>]*localSheetId)[^>]*\bname="%s"[^>]*>([^<]*)<' % formats.NAME.encode(), workbook)
    return formats.parse(unescape(m[1]) if m else None)


@dataclass
class Inspection:
    """What `inspect` found of a register file before calamine reads it."""

    version: int  # its format (xlkit.formats)
    problems: list[str]  # formula, error-value and merged cells of the watched sheets, in Japanese
    sheets: list[str]  # its sheet names, in workbook order


_WORKBOOK = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")


def inspect(path: Path, watched: set[str], limits=None, *, errors_in: set[str] = frozenset(),
            read: set[str] = frozenset()) -> Inspection:
    """Everything xlkit checks of a register file before reading its values, in one pass over
    the zip: its parts against the limits (xlkit.workbook.guard), its format (a newer one is
    refused), the cells of the `watched` sheets that are not values, and the error values of
    the `errors_in` sheets (calamine reads an error cell as blank). The sheets calamine will
    `read` (and the watched ones) are measured against the limits too."""
    from xlkit import formats, limits as limits_

    limits = limits or limits_.current()
    try:
        with zipfile.ZipFile(path) as archive:
            guard.check_members(archive.infolist(), path.name, limits)
            guard.check_parts(archive, path.name, limits, only=_WORKBOOK)
            parts = sheet_parts(archive)
            version = format_version(archive, path.name)
            formats.check_readable(version, path.name)
            mine = {name: parts[name] for name in sorted((watched | errors_in) & parts.keys())}
            measured = {parts[name]: name for name in (read | watched) & parts.keys()}
            whole = guard.check_parts(archive, path.name, limits, keep=mine.values(), skip=_WORKBOOK, sheets=measured)
            problems = []
            for name, part in mine.items():
                if part not in whole:
                    raise KeyError(part)
                problems += _scan_sheet(name, whole.pop(part), errors_only=name not in watched)
            return Inspection(version, problems, list(parts))
    except UnicodeDecodeError:
        raise XlkitError(f"「{path.name}」の部品 xl/workbook.xml が UTF-8 の文字として読めません"
                         "（壊れているか、Excel 以外で作られたファイルです）。Excel で開いて保存し直してください。") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, EOFError):
        raise XlkitError(f"「{path.name}」をExcelファイルとして読めません（壊れているか、Excel以外のファイルです）。") from None


def _scan_sheet(name: str, xml: bytes, errors_only: bool = False) -> list[str]:
    problems = []
    if (not errors_only and _FORMULA.search(xml)) or b't="e"' in xml:
        for m in _CELL.finditer(xml):
            body = m[2] or b""
            tag = xml[m.start():m.start() + 200].split(b">", 1)[0]
            if b't="e"' in tag:
                value = re.search(rb"<v>(.*?)</v>", body)
                shown = value[1].decode() if value else "エラー"
                problems.append(f"シート「{name}」セル {m[1].decode()}: エラー値 {shown} が入っています")
            elif not errors_only and _FORMULA.search(body):
                problems.append(f"シート「{name}」セル {m[1].decode()}: 数式が入っています（値を入力してください）")
    if errors_only:
        return problems
    for m in _MERGE.finditer(xml):
        problems.append(f"シート「{name}」セル {m[1].decode()}: セルが結合されています（結合を解除してください）")
    return problems
