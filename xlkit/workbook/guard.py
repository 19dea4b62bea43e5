"""What a register file may hold before xlkit, or calamine on its behalf, inflates any of it.

A hostile or broken file is refused here, in Japanese, naming the part:
- too many parts, or a part (or all of them) that would inflate past xlkit.limits;
- parts that are encrypted or compressed in a way Excel never uses (AES, bzip2 …);
- XML with a document type (DTD): Excel never writes one, and it is how entity attacks
  (billion laughs, external entities) begin;
- XML in an encoding other than UTF-8 (a workbook.xml saved as Shift_JIS);
- a part whose data does not match its directory entry (a size that lies, a bad CRC);
- a text of 1 MB or more: no cell holds one.

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
from xlkit.errors import XlkitError

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
_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 99: "AES 暗号化"}
_READ_BY_CALAMINE = (".xml", ".rels")


def check_members(infos: list[zipfile.ZipInfo], file_name: str, limits: limits_.Limits) -> None:
    """Refuse what the zip's directory already shows: too many or too large parts, encryption."""
    if len(infos) > limits.members:
        raise _over(file_name, "members", f"{len(infos):,} 個", f"{limits.members:,} 個")
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
                        part=info.filename)
        total += info.file_size
    if total > limits.total_bytes:
        raise _over(file_name, "total_bytes", limits_.size(total), limits_.size(limits.total_bytes))


def check_parts(archive: zipfile.ZipFile, file_name: str, limits: limits_.Limits, *,
                keep: Iterable[str] = (), only: Iterable[str] | None = None,
                skip: Iterable[str] = ()) -> dict[str, bytes]:
    """Stream every XML part (or those in `only`) once, refusing what the module docstring lists;
    the parts named in `keep` are returned whole (the register sheets, which the structure scan
    reads anyway). The parts in `skip` were checked already."""
    keep, skip = set(keep), set(skip)
    only = None if only is None else set(only)
    kept = {}
    for info in archive.infolist():
        if info.filename in skip or (only is not None and info.filename not in only):
            continue
        if not info.filename.lower().endswith(_READ_BY_CALAMINE) and info.filename not in keep:
            continue
        chunks = [] if info.filename in keep else None
        _stream(archive, info, file_name, limits, chunks)
        if chunks is not None:
            kept[info.filename] = b"".join(chunks)
    return kept


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file_name: str, limits: limits_.Limits,
            chunks: list | None) -> None:
    part = info.filename
    strings = 0
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
                                    f"{limits.cell_chars:,} 文字", part=part)
                if part == _SHARED:
                    # "<si>" or "<si " never spans more than the 3 bytes kept from the last chunk
                    strings += window.count(b"<si>") + window.count(b"<si ") - tail.count(b"<si>") - tail.count(b"<si ")
                    if strings > limits.shared_strings:
                        raise _over(file_name, "shared_strings", f"{strings:,} 個を超えています",
                                    f"{limits.shared_strings:,} 個", part=part)
                tail = window[-9:]
                if chunks is not None:
                    chunks.append(chunk)
    except XlkitError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
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


def _over(file_name: str, limit: str, found: str, allowed: str, *, part: str = "") -> XlkitError:
    where = f"の部品 {part} " if part else ""
    return XlkitError(
        f"「{file_name}」{where}は{limits_.NAMES[limit]}が上限を超えています（{found}、上限 {allowed}）。"
        "登録簿ではないファイルか、壊れたファイルです。本当に必要な大きさなら、システム担当が"
        f"環境変数 {limits_.ENVIRONMENT} で上限を変えられます（README「入力の安全」）。")
