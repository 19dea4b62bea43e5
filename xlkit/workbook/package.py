"""A register file as the zip package it is: read its parts, replace a few, carry the rest over.

The register writer changes two or three parts of a register (a sheet, its table, workbook.xml).
Everything else — pictures, text boxes, charts, comments, the VBA project, the buttons — must
reach the new file exactly as it was. So an unchanged member is copied as its compressed bytes:
never decompressed, never recompressed, byte-identical, and a 50 MB register costs no deflate
time. Only the parts the writer replaced are compressed again.
"""

from __future__ import annotations

import copy
import struct
import zipfile
import zlib
from pathlib import Path

from xlkit import limits
from xlkit.errors import XlkitError
from xlkit.workbook import guard

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_FAST = 1 << 20  # parts above 1 MB (a big sheet) are deflated at level 1: 4x faster, 1.5x larger


class MissingPart(XlkitError, KeyError):
    """A part the package lacks: a KeyError like zipfile's, so that code reading either kind of
    archive (xlkit.workbook.scan) treats an optional part alike, and a Japanese message where a
    part was needed."""


class Package:
    """The parts of one .xlsx/.xlsm file; `save` writes them with the changes made through `write`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise XlkitError(f"「{self.path.name}」をExcelファイルとして読めません（壊れているか、Excel以外のファイルです）。") from None
        self.infos = self._zip.infolist()
        try:
            # and two parts of one name; every read below is bounded by the declared sizes checked
            # here (zipfile never inflates more)
            guard.check_members(self.infos, self.path.name, limits.current())
        except XlkitError:
            self._zip.close()
            raise
        self._changed: dict[str, bytes] = {}

    def close(self) -> None:
        """Let go of the file; the changed parts and the member list stay readable."""
        self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ parts

    def _names(self) -> set[str]:
        return {i.filename for i in self.infos}

    def __contains__(self, name: str) -> bool:
        return name in self._changed or name in self._names()

    def read(self, name: str) -> bytes:
        if name in self._changed:
            return self._changed[name]
        try:
            return self._zip.read(name)
        except KeyError:
            raise MissingPart(f"「{self.path.name}」に部品 {name} がありません（Excelの登録簿として壊れています）。") from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError):
            raise XlkitError(f"「{self.path.name}」の部品 {name} が壊れているため読めません。") from None

    def write(self, name: str, data: bytes) -> None:
        """Replace (or add) a part; written by the next `save`."""
        self._changed[name] = data

    @property
    def changed(self) -> set[str]:
        return set(self._changed)

    # ------------------------------------------------------------------ navigation

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> its part, in workbook order."""
        from xlkit.workbook.scan import sheet_parts

        return sheet_parts(self)  # read through this package, so a changed workbook.xml counts

    def sheet_part(self, sheet: str) -> str:
        part = self.sheet_parts().get(sheet)
        if not part or part not in self:
            raise XlkitError(f"「{self.path.name}」に「{sheet}」シートがありません。")
        return part

    def related(self, part: str, kind: str) -> list[str]:
        """The parts `part` points at with relationships of type …/`kind` (e.g. "table")."""
        from xlkit.workbook.scan import relationships

        return [target for _, found, target in relationships(self, part) if found == kind]

    # ------------------------------------------------------------------ writing

    def save(self, dest: str | Path) -> None:
        """Write the package to `dest`: changed parts deflated, every other member copied raw."""
        # the members are copied from the file this package opened, not from the path again: Excel
        # saving the register meanwhile renames a new file over it, whose bytes lie elsewhere
        source = self._zip.fp
        if source is None:
            raise XlkitError(f"「{self.path.name}」はもう閉じられているため、書き込めません。")
        with open(dest, "wb") as raw_out, zipfile.ZipFile(raw_out, "w", zipfile.ZIP_DEFLATED) as out:
            for info in self.infos:
                if info.filename in self._changed:
                    _write_part(out, info.filename, self._changed[info.filename], info.date_time)
                else:
                    _copy_member(source, out, info)
            names = self._names()
            for name in [n for n in self._changed if n not in names]:  # in the order they were added
                _write_part(out, name, self._changed[name], self.infos[0].date_time if self.infos else None)


def _write_part(out: zipfile.ZipFile, name: str, data: bytes, date_time) -> None:
    info = zipfile.ZipInfo(name, date_time=date_time or (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    out.writestr(info, data, compresslevel=1 if len(data) > _FAST else 6)


def _copy_member(source, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Append `info`'s compressed bytes to `out` as they are, with a fresh local header."""
    source.seek(info.header_offset)
    header = _LOCAL_HEADER.unpack(source.read(_LOCAL_HEADER.size))
    if header[0] != b"PK\x03\x04":
        raise XlkitError(f"「{Path(source.name).name}」の部品 {info.filename} が壊れているため、書き込めません。")
    source.seek(header[10] + header[11], 1)  # the member's own name and extra field
    data = source.read(info.compress_size)
    if len(data) != info.compress_size:
        raise XlkitError(f"「{Path(source.name).name}」の部品 {info.filename} が途中で切れているため、書き込めません。")
    member = copy.copy(info)
    member.flag_bits &= ~0x08  # sizes go in the local header, so no data descriptor follows
    member.extra = _without_zip64(info.extra)
    member.header_offset = out.fp.tell()
    out._writecheck(member)
    out._didModify = True
    out.fp.write(member.FileHeader())
    out.fp.write(data)
    out.filelist.append(member)
    out.NameToInfo[member.filename] = member
    out.start_dir = out.fp.tell()


def _without_zip64(extra: bytes) -> bytes:
    """The extra field less a zip64 block; FileHeader adds its own when the sizes need one."""
    kept, i = b"", 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i:i + 4])
        if tag != 0x0001:
            kept += extra[i:i + 4 + size]
        i += 4 + size
    return kept
