"""A register's zip members, read and rewritten one at a time (tests that tamper with a part)."""

from __future__ import annotations

import zipfile
from pathlib import Path


def members(path: Path) -> dict[str, bytes]:
    """Member name -> its (uncompressed) bytes, in the zip's order."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def rewrite_member(path: Path, name: str, change) -> None:
    """Replace one member of the zip at `path` by change(its bytes), every other member as it was."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    assert name in {info.filename for info, _ in items}, name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info, change(data) if info.filename == name else data)


def patched(src: Path, dst: Path, name: str, change) -> Path:
    """A copy of `src` at `dst` with one member rewritten by change(its bytes), which must change
    it (a patch that finds nothing to change proves nothing)."""
    import shutil

    def checked(data: bytes) -> bytes:
        new = change(data)
        assert new != data, "the patch found nothing to change"
        return new

    shutil.copyfile(src, dst)
    rewrite_member(dst, name, checked)
    return dst
