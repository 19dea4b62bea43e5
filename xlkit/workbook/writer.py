"""The register writer: the one way xlkit changes a register file.

Import, upgrade and every later command that writes a register go through `editing`:

    with writer.editing(path, "取り込み", clear_lock=args.clear_lock) as edit:
        book = reader.load(edit.path)           # read under the lock
        appender.append(edit.package, …)        # change a few parts
        edit.commit(verify=…)                   # check the copy, then replace the file

What it guarantees, in order:
1. the file is a register of the current format (a newer one is refused untouched; an older
   one only by `xlkit upgrade`), it is not read-only, and neither Excel nor LibreOffice has it open;
2. no other xlkit writes it meanwhile: an exclusive-create lock file beside it (xlkit.lock);
3. temporary copies that earlier, killed writes of this register left behind are removed;
4. every changed part but a sheet (workbook.xml, styles.xml, relationships, tables) parses as
   XML; the changed parts are spliced into a copy; every other part is carried over byte for byte
   (workbook/package.py), and the copy is read back before it is used;
5. the file on disk is still the one that was read (size, time and SHA-256), else nothing is
   replaced and the user is asked to run again — also when the work failed on the way because
   the file was rewritten in place under it (a part that no longer reads is then not "broken");
6. the copy replaces the register with one rename, keeping its permissions.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from xlkit import formats, lock, owner_files
from xlkit.errors import Refusal, XlkitError
from xlkit.files import atomic_write, leftovers
from xlkit.workbook import reader, scan
from xlkit.workbook.package import Package


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return cls(st.st_size, st.st_mtime_ns, digest.hexdigest())


class Edit:
    """One change of a register under its lock: the parts to change, then `commit`."""

    def __init__(self, path: Path, package: Package, fingerprint: Fingerprint, version: int):
        self.path = path
        self.package = package
        self.fingerprint = fingerprint
        self.version = version  # the format the file had when it was read

    def commit(self, *, verify: Callable[[Path], None] | None = None,
               finish: Callable[[Path, Path], None] | None = None, finishes: frozenset[str] = frozenset()) -> None:
        """Write the changed parts, check the copy, then replace the register with it.

        `finish(written, final)` may turn the written package into the final copy, changing only
        the parts named in `finishes` (the upgrade rebuilds the VBA project that way);
        `verify(final)` may refuse the copy by raising.
        """
        from xlkit.files import scratch

        package, name = self.package, self.path.name
        contents = {part: package.read(part) for part in package.changed}
        _check_well_formed(contents, self.path)
        unchanged = {i.filename: (i.CRC, i.file_size) for i in package.infos if i.filename not in contents}

        def write(tmp: Path) -> None:
            if finish is None:
                package.save(tmp)
                package.close()  # Windows cannot replace a file this process still has open
                _check_copy(tmp, self.path, unchanged, contents, fingerprint=self.fingerprint)
                return
            with scratch(self.path.parent, self.path.suffix, owner=name) as parts:
                package.save(parts)
                package.close()
                saved = _check_copy(parts, self.path, unchanged, contents, fingerprint=self.fingerprint)
                finish(parts, tmp)
                _check_copy(tmp, self.path, saved, {}, finishes, fingerprint=self.fingerprint)

        def check(tmp: Path) -> None:
            if verify is not None:
                try:
                    verify(tmp)
                except Refusal:
                    raise
                except XlkitError as e:  # said of the temporary copy (its size, its parts): say it of the register
                    raise Refusal("register.unverified", ファイル=self.path.name,
                                  理由=e.message.replace(tmp.name, f"書き込んだ後の{self.path.name}")) from None
            owner_files.check_not_open(self.path)  # Excel may have opened the register meanwhile
            if Fingerprint.of(self.path) != self.fingerprint:
                raise Refusal("register.changed_meanwhile", ファイル=self.path.name)

        atomic_write(self.path, write, overwrite=True, verify=check, mode=stat.S_IMODE(os.stat(self.path).st_mode))


@contextmanager
def editing(path: str | Path, purpose: str, *, clear_lock: bool = False, upgrade: bool = False) -> Iterator[Edit]:
    """Hold the register at `path` for one change; see the module docstring for what is checked.

    `purpose` is the Japanese name of the work (「取り込み」), shown to anyone the lock refuses.
    Only `upgrade` may open a register of an older format.
    """
    path = Path(path)
    reader.check_file(path)
    # through a link, the file itself is replaced (and locked), not the link
    path = path.resolve()
    check_writable(path)
    owner_files.check_not_open(path)
    with ExitStack() as held:
        _wait_for_lock(held, path, purpose, clear_lock)
        for leftover in leftovers(path):
            with suppress(OSError):  # one a virus scanner still reads goes next time
                leftover.unlink(missing_ok=True)
        fingerprint = Fingerprint.of(path)
        with Package(path) as package:
            version = scan.format_version(package)
            if upgrade:
                formats.check_readable(version, path.name)
            else:
                formats.check_current(version, path.name, str(path))
            try:
                yield Edit(path, package, fingerprint, version)
            except (XlkitError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
                if _broken_by_change(e) and _changed(path, fingerprint):
                    # the open package read bytes a script wrote in place meanwhile (openpyxl
                    # truncates and rewrites the file): changed, not broken
                    raise Refusal("register.changed_meanwhile", ファイル=path.name) from None
                raise


def _broken_by_change(e: BaseException) -> bool:
    """Whether `e` may come from reading a register rewritten in place while it was held: a part
    that no longer reads, a copy that does not read back. A refusal for a reason of its own (a
    validation error, a 確定 folder there already) stays what it is."""
    return not isinstance(e, Refusal) or e.key == "register.unverified"


def _changed(path: Path, fingerprint: Fingerprint) -> bool:
    try:
        return Fingerprint.of(path) != fingerprint
    except OSError:  # gone, or not readable any more: not the file that was read
        return True


LOCK_WAIT = 15.0  # seconds a writer waits for a colleague's import to finish before saying who has it


def _wait_for_lock(held: ExitStack, path: Path, purpose: str, clear: bool) -> None:
    """Take the register's lock; while a live colleague holds it, wait up to LOCK_WAIT seconds
    (an import takes seconds), then refuse naming them. A stale lock is reported at once."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            held.enter_context(lock.hold(path, purpose, clear=clear))
            return
        except lock.LockHeld as refused:
            if refused.stale or time.monotonic() >= deadline:
                raise
        time.sleep(0.1)


def check_writable(path: Path) -> None:
    """Refuse a register file that is read-only (its write bits, or the OS says so)."""
    mode = path.stat().st_mode
    # the write bits, not os.access: an administrator's os.access says yes to a read-only file
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise Refusal("register.read_only", ファイル=path.name)


def _check_copy(copy: Path, register: Path, expected: dict[str, tuple[int, int]],
                contents: dict[str, bytes], free: frozenset[str] = frozenset(), *,
                fingerprint: Fingerprint | None = None) -> dict[str, tuple[int, int]]:
    """`copy` reads back whole (every member against its checksum) and holds exactly the parts
    meant: those in `contents` with that content, the others with the (CRC, size) in `expected`.
    Parts in `free` may differ or be absent (what a finishing step rewrites). Returns the
    (CRC, size) of every part of the copy. A copy that does not read back while the register
    no longer has its `fingerprint` was copied from bytes rewritten meanwhile: said so, never
    as a damaged register."""
    def unverified(reason: str) -> XlkitError:
        return Refusal("register.unverified", ファイル=register.name, 理由=reason)

    found = {}
    member = ""
    try:
        with zipfile.ZipFile(copy) as written:
            for info in written.infolist():
                member = info.filename
                data = written.read(info.filename)
                if info.filename in contents and data != contents[info.filename]:
                    raise unverified(f"部品 {info.filename} の内容が違います")
                found[info.filename] = (info.CRC, info.file_size)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        if fingerprint is not None and _changed(register, fingerprint):
            raise Refusal("register.changed_meanwhile", ファイル=register.name) from None
        if member in expected and not _reads_back(register, member):
            # copied as its bytes: the register's own part is damaged, not the copy
            raise XlkitError(f"登録簿「{register.name}」の部品 {member} が壊れています（検査値が合いません）。"
                             "登録簿は変えていません。Excel で開いて保存し直すか、バックアップから戻してください。") from None
        raise unverified(f"書いたファイルの部品 {member} が壊れています") from None
    for name in sorted((expected.keys() | contents.keys() | found.keys()) - free):
        if name not in found:
            raise unverified(f"部品 {name} がありません")
        if name not in expected and name not in contents:
            raise unverified(f"部品 {name} は元にありません")
        if name in expected and found[name] != expected[name]:
            raise unverified(f"部品 {name} が元と違います")
    return found


def _check_well_formed(contents: dict[str, bytes], register: Path) -> None:
    """Every changed XML part but a sheet (workbook.xml, styles.xml, relationships, content types,
    tables: small parts, edited as text) parses with ElementTree, or nothing is written: a part
    Excel cannot open makes the whole register one it repairs or refuses. A sheet can be 50 MB
    and is not parsed here; the rows written into it are read back (appender.check_rows)."""
    import re
    from xml.etree import ElementTree

    for name, data in sorted(contents.items()):
        if not name.endswith((".xml", ".rels")) or (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        reason = None
        if re.search(rb"<!(?:DOCTYPE|ENTITY)", data, re.I):
            reason = f"部品 {name} に文書型宣言があります"  # never expanded: Excel writes none
        else:
            try:
                ElementTree.fromstring(data)
            except ElementTree.ParseError:
                reason = f"書き換えた部品 {name} が XML として正しくありません"
        if reason:
            raise Refusal("register.unverified", ファイル=register.name, 理由=reason)


def _reads_back(path: Path, member: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            archive.read(member)
        return True
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, KeyError):
        return False
