"""What a register file may hold before xlkit, or calamine on its behalf, inflates any of it.

A hostile or broken file is refused here, in Japanese, naming the part:
- too many parts, two parts of one name, or a part (or all of them) that would inflate past
  xlkit.limits;
- parts that are encrypted or compressed in a way Excel never uses (AES, bzip2 …);
- XML with a document type (DTD): Excel never writes one, and it is how entity attacks
  (billion laughs, external entities) begin;
- XML in an encoding other than UTF-8 (a workbook.xml saved as Shift_JIS);
- a part whose data does not match its directory entry (a size that lies, a bad CRC);
- a text of 1 MB or more: no cell holds one;
- a sheet calamine will read whose last cell is so far from A1 that filling the rectangle
  would exhaust the memory (a value typed in XFD1048576).

The directory is checked from the sizes it declares. Python's zipfile never inflates more than
the declared size, but calamine (Rust) does, so each XML part calamine will read is streamed
through zipfile once: a part that lies about its size fails its CRC there and is refused.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable

from xlkit import limits as limits_
from xlkit.addresses import column_index, column_letter
from xlkit.errors import XlkitError, os_reason

_CHUNK = 1 << 20
# XML text never holds a raw "<": a run this long without one is a single text far beyond what a
# cell holds (32,767 characters are at most ~330 KB even written as &#24180; references). Every
# run of 1 MB contains one such block, aligned within a chunk, so it is refused before calamine
# inflates it; a shorter overlong text is refused by the cell length when the sheet is read.
_TEXT_BLOCK = 1 << 19
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
_DECLARATION = re.compile(rb'^\s*<\?xml[^>]*?encoding\s*=\s*["\']([^"\']+)["\']')
_UTF8 = {"utf-8", "utf8"}
_SHARED = "xl/sharedStrings.xml"
_STRING = re.compile(rb"<(?:[\w.-]+:)?si[\s>/]")  # a shared string, <x:si> as the Open XML SDK writes it
_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}  # AES (99) is said as encryption
_READ_BY_CALAMINE = (".xml", ".rels")


def check_members(infos: list[zipfile.ZipInfo], file_name: str, limits: limits_.Limits, what: str = "登録簿") -> None:
    """Refuse what the zip's directory already shows: too many or too large parts, encryption.
    `what` names the file wanted (登録簿, 照会票, 組織改正の表) where a part too large says it is not one."""
    if len(infos) > limits.members:
        raise _over(file_name, "members", f"{len(infos):,} 個", f"{limits.members:,} 個", what=what)
    names = [info.filename.casefold() for info in infos]
    if len(set(names)) != len(names):
        # zipfile reads the last of two same-named parts, calamine the first, and calamine finds
        # a part whatever the case of its name: what xlkit checks would not be what calamine reads
        seen: set[str] = set()
        twice = []
        for info in infos:
            if info.filename.casefold() in seen:
                twice.append(info.filename)
            seen.add(info.filename.casefold())
        raise XlkitError(f"「{file_name}」には同じ名前の部品が二つあります（{'、'.join(twice[:3])}）。"
                         "壊れたファイルです。Excel で開いて保存し直してください。")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1 or info.compress_type == 99:
            raise XlkitError(
                f"「{file_name}」の部品 {info.filename} は暗号化されているため読めません。"
                "パスワード付きのファイルは、Excel で開いてパスワードを外して保存し直してください。")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _METHODS.get(info.compress_type, f"方式 {info.compress_type}")
            raise XlkitError(
                f"「{file_name}」の部品 {info.filename} は Excel が使わない圧縮形式（{method}）のため読めません。"
                "Excel で開いて保存し直してください。")
        if info.file_size > limits.part_bytes:
            raise _over(file_name, "part_bytes", limits_.size(info.file_size), limits_.size(limits.part_bytes),
                        part=info.filename, what=what)
        total += info.file_size
    if total > limits.total_bytes:
        raise _over(file_name, "total_bytes", limits_.size(total), limits_.size(limits.total_bytes), what=what)


def check_parts(archive: zipfile.ZipFile, file_name: str, limits: limits_.Limits, *,
                keep: Iterable[str] = (), only: Iterable[str] | None = None,
                skip: Iterable[str] = (), sheets: dict[str, str] | None = None, what: str = "登録簿") -> dict[str, bytes]:
    """Stream every XML part (or those in `only`) once, refusing what the module docstring lists;
    the parts named in `keep` are returned whole (the register sheets, which the structure scan
    reads anyway). The parts in `skip` were checked already. The sheets calamine will read
    (`sheets`: part -> sheet name) are measured too; `what` as in check_members."""
    keep, skip, sheets = set(keep), set(skip), sheets or {}
    only = None if only is None else set(only)
    kept = {}
    for info in archive.infolist():
        if info.filename in skip or (only is not None and info.filename not in only):
            continue
        if not info.filename.lower().endswith(_READ_BY_CALAMINE) and info.filename not in keep:
            continue
        chunks = [] if info.filename in keep else None
        extent = _Extent(sheets[info.filename]) if info.filename in sheets else None
        _stream(archive, info, file_name, limits, chunks, extent, what)
        if chunks is not None:
            kept[info.filename] = b"".join(chunks)
    return kept


class _Extent:
    """How far a sheet reaches: calamine allocates every cell from its first value to its last
    row and rightmost column, so one value typed in XFD1048576 asks for 17 billion cells and
    aborts the process.

    For a sheet written as Excel writes it (<row r="…">, <c r="…">, no prefix, double quotes),
    the estimate takes the last row from the rows and a column beyond Z by its letters, while
    the part streams: cheap, and enough for nearly every sheet. A sheet the estimate finds too
    large is counted exactly, only the cells that hold something (staff format cells down to
    row 1048576, which calamine skips). A sheet written any other way (a prefix on every
    element, as the Open XML SDK writes, single quotes, cells or rows without r, whose place is
    their order) is always counted exactly: the patterns of the estimate would not see it."""

    _ROW = re.compile(rb'<row\b[^>]*?\sr="([0-9]{1,7})"')
    # what the estimate's patterns would not see: r not first after one space, r='…'
    _UNUSUAL = re.compile(rb'<(?:c(?: (?!r=")|[>/\t\r\n])|row(?: (?!r=")|[>/\t\r\n]))')
    # the spreadsheet namespace bound to a prefix (<x:c>), transitional or strict: cheaper to find
    # than every prefixed tag, and present wherever one is
    _PREFIXED = re.compile(rb'xmlns:[\w.-]+\s*=\s*["\'](?:http://schemas\.openxmlformats\.org/spreadsheetml/2006/main'
                           rb'|http://purl\.oclc\.org/ooxml/spreadsheetml/main)["\']')
    # one scan of the references: a column beyond Z (its letters and row), or a reference not as
    # Excel writes it (xfd1048576, A99999999), which calamine places all the same; " r=" is a
    # literal start, 6x faster than \sr=
    _REFS = re.compile(rb' r="(?:([A-Z]{2,3})([0-9]{1,7})"|(?![A-Z]?[1-9][0-9]{0,6}"))')
    _TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)\b([^>]*?)(/?)>")
    _REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{0,3})([0-9]+)["']""")

    def __init__(self, sheet: str):
        self.sheet = sheet
        self.rows, self.columns, self.rightmost = 0, 26, ""
        self.exact = False  # written in a way the estimate does not read

    def estimate(self, window: bytes) -> None:
        if self.exact:
            return
        # a match in the window's last bytes may be a tag cut short (「<c 」): it is whole in the
        # next window, which begins 32 bytes earlier
        end = len(window) - 16
        m = self._UNUSUAL.search(window)  # starts with "<": a fast scan (an alternative that did not took 0.5 s)
        if (m is not None and m.start() < end) or b"r='" in window or self._PREFIXED.search(window):
            self.exact = True
            return
        for ref in self._REFS.finditer(window):
            if ref[1] is None:
                if ref.start() < end:
                    self.exact = True
                    return
                continue
            self._reach(int(ref[2]), column_index(ref[1].decode()) + 1, ref[1].decode())
        rows = self._ROW.findall(window)
        if rows:
            self.rows = max(self.rows, max(map(int, rows)))

    def _reach(self, row: int, column: int, letters: str = "") -> None:
        self.rows = max(self.rows, row)
        if column > self.columns:
            self.columns, self.rightmost = column, f"{letters or column_letter(column - 1)}{row}"

    def needs_count(self, limits: limits_.Limits) -> bool:
        return self.exact or self.rows * self.columns > limits.sheet_cells

    def count(self, xml: bytes) -> None:
        """The exact extent of the cells holding something, placed as calamine places them: by
        their r, else next to the cell (or below the row) before."""
        self.rows, self.columns, self.rightmost = 0, 26, ""
        row = column = 0
        for m in self._TAG.finditer(xml):
            kind, attrs, empty = m.groups()
            ref = self._REF.search(attrs)
            if kind == b"row":
                row, column = (int(ref[2]) if ref else row + 1), 0
                continue
            if ref and ref[1]:
                row, column = int(ref[2]), column_index(ref[1].decode().upper()) + 1
            else:
                column += 1
            if not empty and not xml.startswith(b"</", m.end()):  # <c …/> and <c …></c> hold nothing
                self._reach(row, column)

    def check(self, file_name: str, limits: limits_.Limits) -> None:
        limits_.check_extent(self.sheet, self.rows, self.columns, self.rightmost, limits=limits, file_name=file_name)


class _Strings:
    """The shared strings while they stream: how many, and how far apart. One string is one
    cell's text, at most cell_chars characters; even split into thousands of formatted runs it
    stays within about ten bytes a character, so a longer stretch from one <si> to the next is
    refused before calamine holds it (250 runs of 150,000 characters took 430 MB)."""

    def __init__(self):
        self.count = 0
        self.last = 0  # where the last <si> began, from the start of the part

    def add(self, window: bytes, at: int, file_name: str, part: str, limits: limits_.Limits, what: str) -> None:
        longest = limits.cell_chars * 10 + (1 << 20)
        new = max(0, self.last - at + 1)  # what the window before has seen ends there
        first = _STRING.search(window, new)
        if first is not None:
            # two <si> within one window are never too far apart (a window is 1 MB, `longest` more)
            if at + first.start() - self.last > longest:
                raise self._too_long(file_name, part, limits, what)
            self.count += len(_STRING.findall(window, new))
            last = None
            for last in _STRING.finditer(window, max(first.start(), len(window) - 65536)):
                pass
            if last is None:  # none in the window's last 64 KB: look through all of it
                for last in _STRING.finditer(window, first.start()):
                    pass
            self.last = at + last.start()
        if at + len(window) - self.last > longest:
            raise self._too_long(file_name, part, limits, what)
        if self.count > limits.shared_strings:
            raise _over(file_name, "shared_strings", f"{self.count:,} 個を超えています",
                        f"{limits.shared_strings:,} 個", part=part, what=what)

    @staticmethod
    def _too_long(file_name: str, part: str, limits: limits_.Limits, what: str) -> XlkitError:
        return _over(file_name, "cell_chars", "1つの文字列が長すぎます", f"{limits.cell_chars:,} 文字", part=part,
                     what=what)


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, limits: limits_.Limits,
            chunks: list | None, extent: _Extent | None = None, what: str = "登録簿") -> None:
    part = info.filename
    strings = _Strings() if part.casefold() == _SHARED.casefold() else None  # found whatever its case
    consumed = 0
    tail = b""
    first = True
    try:
        with archive.open(info) as data:
            while chunk := data.read(_CHUNK):
                if first:
                    _check_encoding(chunk, file_name, part)
                    first = False
                window = tail + chunk
                if _DTD.search(window):
                    raise XlkitError(
                        f"「{file_name}」の部品 {part} に文書型宣言（DOCTYPE・ENTITY）があります。Excel が作るファイルには"
                        "ないもので、安全のため読みません。Excel で開いて保存し直したファイルを使ってください。")
                for start in range(0, len(chunk) - _TEXT_BLOCK + 1, _TEXT_BLOCK):
                    if chunk.find(b"<", start, start + _TEXT_BLOCK) < 0:
                        raise _over(file_name, "cell_chars", "1つの文字列が 512 KB 以上",
                                    f"{limits.cell_chars:,} 文字", part=part, what=what)
                if strings is not None:
                    strings.add(window, consumed - len(tail), file_name, part, limits, what)
                consumed += len(chunk)
                if extent is not None:
                    extent.estimate(window)
                tail = window[-32:]  # the longest thing looked for across chunks: <row … r="1048576"
                if chunks is not None:
                    chunks.append(chunk)
        if extent is not None and extent.needs_count(limits):
            extent.count(b"".join(chunks) if chunks is not None else archive.read(info))
            extent.check(file_name, limits)
    except XlkitError:
        raise
    except OSError as exc:  # the disk or the share, not the file (a network drive gone)
        raise XlkitError(f"「{file_name}」の部品 {part} を読めませんでした（{os_reason(exc)}）。") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise XlkitError(f"「{file_name}」の部品 {part} が壊れているため読めません"
                         "（記録された大きさや検査値と中身が合いません）。") from None


def _check_encoding(start: bytes, file_name: str, part: str) -> None:
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        named = "UTF-16"
    else:
        m = _DECLARATION.match(start)
        named = m[1].decode("ascii", "replace") if m else None
        if named is None or named.lower() in _UTF8:
            return
    raise XlkitError(f"「{file_name}」の部品 {part} は文字コード {named} で書かれているため読めません"
                     "（Excel のファイルは UTF-8 です）。Excel で開いて保存し直してください。")


def _over(file_name: str, limit: str, found: str, allowed: str, *, part: str = "", what: str = "登録簿") -> XlkitError:
    where = f"の部品 {part} " if part else ""
    return XlkitError(
        f"「{file_name}」{where}は{limits_.NAMES[limit]}が上限を超えています（{found}、上限 {allowed}）。"
        f"{what}ではないファイルか、壊れたファイルです。本当に必要な大きさなら、システム担当が"
        f"環境変数 {limits_.ENVIRONMENT} で上限を変えられます（README「入力の安全」）。")
