"""Writing a file without ever losing data: the one atomic writer of xlkit.

Every file xlkit writes — reports, new registers, the sample registers, rows imported into a
register — is written to a temporary name in the target folder and moved into place with one
rename, so a crash or a full disk never leaves half a file under the real name. An existing
file is never replaced unless the caller asked for it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from xlkit.errors import XlkitError, os_reason

# beside the register: where the buttons save reports and 照会票 (the command line is told --out),
# and where `xlkit doctor` checks that a file can be made
EXPORT_DIR = "exports"
TEMP_PREFIX = ".~xlkit-"  # hidden beside the target; a leftover is recognisable as ours
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}  # a full disk, a used-up quota
_OWNER_CHARS = 40  # of the target's name in a temp name: 40 kanji are 120 bytes, well under 255
FORMATS = {".docx": "docx", ".xlsx": "xlsx", ".pdf": "pdf"}
HELD_OPEN = ("「{name}」に書き込めませんでした。Word や Excel などで開いている場合は閉じてから、"
             "もう一度実行してください。")


def output_format(path: Path) -> str:
    """docx, xlsx or pdf from the file name; any other ending is refused in Japanese."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise XlkitError(
            f"出力ファイル名「{path.name}」の拡張子が対応していません。"
            "末尾を .docx（Word）、.xlsx（Excel）、.pdf（PDF）のいずれかにしてください。")
    return fmt


def check_target(path: Path, overwrite: bool) -> None:
    """Refuse early, before any work: a missing folder, or a file that exists."""
    folder = path.parent
    try:
        if not folder.is_dir():
            raise XlkitError(f"保存先のフォルダ「{folder}」がありません。フォルダを作成するか、保存先を確認してください。")
        if path.is_dir():
            raise XlkitError(f"「{path}」はフォルダです。ファイル名を指定してください。")
        exists = path.exists()
    except OSError as exc:  # a name too long for the file system, a share gone
        raise XlkitError(f"出力ファイル「{path.name}」を使えません（{os_reason(exc)}）。") from None
    if exists and not overwrite:
        raise XlkitError(_exists_message(path))


def same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file, however spelt: ./sub/../x, a link, another case of the
    name on a case-insensitive file system (Windows, a Mac, most shares) all resolve to it."""
    try:
        return Path(a).exists() and Path(b).exists() and os.path.samefile(a, b)
    except OSError:  # a name too long to be anything: not the same file
        return False


def head(path: Path, size: int) -> bytes:
    """At most `size` bytes of the regular file at `path` (FileNotFoundError when nothing is there).

    Anything else is b"": a FIFO would hold the read for ever, a device never end, and a file that
    cannot be read says nothing either. The check is made on the file opened, not on its name.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, size)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _exists_message(path: Path) -> str:
    return (f"「{path.name}」は既にあります（{path.parent}）。上書きしてよい場合は --overwrite を付けて"
            "実行するか、別のファイル名を指定してください。")


def free_path(path: str | Path) -> Path:
    """`path` if nothing is there, else the first free 「name (2).ext」, 「name (3).ext」 …"""
    path = Path(path)
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def atomic_write(path: Path, write: Callable[[Path], None], *, overwrite: bool,
                 verify: Callable[[Path], None] | None = None, mode: int | None = None,
                 free: bool = False) -> Path:
    """Call write(temp_path) for a temp file beside `path`, then move it into place; returns
    the path written.

    `verify(temp_path)` may refuse the written copy (by raising) before anything is replaced.
    The file gets `mode`, else the mode any newly created file would have. With `free`, a name
    taken by then (a colleague's report of the same second) makes it 「name (2)」, not a refusal.
    """
    path = Path(path)
    check_target(path, overwrite or free)
    for leftover in abandoned(path):  # a killed export's copy: no process will finish it
        with suppress(OSError):
            leftover.unlink(missing_ok=True)
    with scratch(path.parent, path.suffix, owner=path.name) as tmp:
        try:
            write(tmp)
            if verify is not None:
                verify(tmp)
            # mkstemp makes the file readable by its owner only; a report or a register is for
            # colleagues too (a shared folder)
            os.chmod(tmp, _new_file_mode() if mode is None else mode)
            if free:
                path = _move_to_free_name(tmp, path)
            else:
                _move_into_place(tmp, path, overwrite)
        except OSError as exc:
            if isinstance(exc, PermissionError):
                raise XlkitError(HELD_OPEN.format(name=path.name)) from None
            if exc.errno in _FULL:  # the OS says it in English on Linux: say it in Japanese
                raise XlkitError(f"「{path.name}」を保存できませんでした。保存先「{path.parent}」のディスクの空きが"
                                 "足りません。空きを作ってから、もう一度実行してください。元のファイルは変わっていません。") from None
            raise XlkitError(f"「{path.name}」を保存できませんでした（{os_reason(exc)}）。") from None
    return path


@contextmanager
def scratch(folder: Path, suffix: str, *, owner: str) -> Iterator[Path]:
    """A temporary file name in `folder` (same file system, so a rename is atomic), removed after.

    `owner` (the target's file name) goes into the name with this PC and process, so that a copy
    a killed process left behind is found and removed by the next write (see `abandoned`); a
    temp file without it would stay for ever.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=temp_prefix(owner), suffix=suffix, dir=folder)
    except PermissionError:
        raise XlkitError(f"保存先のフォルダ「{folder}」に書き込む権限がありません。") from None
    except OSError as exc:
        raise XlkitError(f"保存先のフォルダ「{folder}」に書き込めません（{os_reason(exc)}）。") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def scratch_folder(folder: Path, owner: str) -> Path:
    """A new temporary folder in `folder`, named as `scratch` names files (owner, PC, process), so
    that one a killed process left behind is among `abandoned(folder / owner)`. The caller
    removes it, or renames it into place. OSError as mkdtemp raises it."""
    return Path(tempfile.mkdtemp(prefix=temp_prefix(owner), dir=folder))


def _prefix(owner: str) -> str:
    return TEMP_PREFIX + owner[:_OWNER_CHARS] + "-"


def temp_prefix(owner: str) -> str:
    """The start of the name of a temporary file made for `owner` by this process (for a caller
    that makes its own with tempfile): `abandoned(folder / owner)` finds it once this process is gone."""
    return _prefix(owner) + _writer_mark()


def _writer_mark() -> str:
    """Which PC and process writes a temp file (a short hash of the PC's name, the process id):
    enough for `abandoned` to ask whether that process still runs."""
    return f"{_host_tag()}.{os.getpid()}-"


def _host_tag() -> str:
    import hashlib

    from xlkit.processes import host

    return hashlib.sha1(host().casefold().encode("utf-8", "replace")).hexdigest()[:6]


def _pattern(path: Path) -> re.Pattern:
    return re.compile(re.escape(_prefix(path.name)) + r"(?:(?P<host>[0-9a-f]{6})\.(?P<pid>[0-9]+)-)?"
                      r"[A-Za-z0-9_]{8}" + re.escape(path.suffix))


def leftovers(path: Path) -> list[Path]:
    """Temporary copies of `path` that earlier writes left behind (a killed process, a power cut),
    and any a write running now is making.

    Only a caller that knows nobody else is writing `path` may remove them all: the register
    writer does, under its lock. Others remove only the `abandoned` ones.
    """
    path = Path(path)
    pattern = _pattern(path)
    try:
        return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))
    except OSError:
        return []


def abandoned(path: Path, now: float | None = None) -> list[Path]:
    """The `leftovers` of `path` whose writer is gone: a process of this PC that no longer runs,
    or, for another PC's (or an older xlkit's), a file untouched for longer than any write takes."""
    import time

    from xlkit.lock import STALE_AFTER
    from xlkit.processes import pid_alive

    path = Path(path)
    pattern, here = _pattern(path), _host_tag()
    now = time.time() if now is None else now
    gone = []
    for leftover in leftovers(path):
        m = pattern.fullmatch(leftover.name)
        if m and m["host"] == here:
            if not pid_alive(int(m["pid"])):
                gone.append(leftover)
            continue
        try:
            if now - leftover.stat().st_mtime > STALE_AFTER.total_seconds():
                gone.append(leftover)
        except OSError:
            continue
    return gone


def _new_file_mode() -> int:
    return 0o666 & ~_umask()


def new_folder_mode() -> int:
    """The mode a folder made with mkdir would have (mkdtemp makes them for their owner only)."""
    return 0o777 & ~_umask()


_UMASK_LOCK = threading.Lock()
_umask_read: list[int] = []  # the umask, once read by setting it (where the OS cannot tell it otherwise)


def _umask() -> int:
    """The process's umask. Linux tells it (/proc/self/status), so it is read as it is now, without
    changing it. Elsewhere the only way is to set it and put it back: a file another thread makes
    in between would get no mask at all, so that is done once per process, under a lock, and
    kept (xlkit never changes its umask)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        if not _umask_read:
            mask = os.umask(0o077)  # for that moment, a file made by another thread is its owner's only
            os.umask(mask)
            _umask_read.append(mask)
        return _umask_read[0]


def _move_to_free_name(tmp: Path, path: Path) -> Path:
    for _ in range(100):
        candidate = free_path(path)
        try:
            _move_into_place(tmp, candidate, overwrite=False)
            return candidate
        except XlkitError:  # taken since free_path looked: the next one
            continue
    raise XlkitError(_exists_message(path))


def _move_into_place(tmp: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    # A hard link fails if `path` has appeared meanwhile, so nobody's file is replaced
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise XlkitError(_exists_message(path)) from None
    except PermissionError:
        raise
    except OSError:  # file systems without hard links (some network shares, FAT)
        if path.exists():
            raise XlkitError(_exists_message(path)) from None
        os.replace(tmp, path)
