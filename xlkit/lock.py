"""The lock every write of a register takes.

A register lives in a shared folder, often on an SMB share, and two PCs may run xlkit on it at
once. Before writing, xlkit creates 「<register>.xlkit-lock」 beside it with an exclusive create
(os.O_EXCL): the one operation that is atomic on local disks and SMB shares alike, where
fcntl/msvcrt byte-range locks are not dependable. The file says, in JSON, who holds the
register, so the one who is refused is told by whom, since when and for what.

A lock outlives its holder when xlkit is killed or the PC stops. Such a lock is *stale* (see
is_stale); staff clear it with --clear-lock (hold(clear=True)), never silently, because a lock
from another PC cannot be proven dead.

Whether Excel or LibreOffice has the register open is xlkit/owner_files.py's question.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from xlkit.errors import Refusal, XlkitError, os_reason
from xlkit.files import head
from xlkit.processes import host, pid_alive, user

LOCK_SUFFIX = ".xlkit-lock"
# Read at each call (tests change it). No xlkit write takes minutes, let alone an hour; a lock
# that old is left over even when its PC is out of our sight.
STALE_AFTER = datetime.timedelta(hours=1)

_EXCLUSIVE = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
_CLEARING = ".clearing-"  # the lock's name + this + a random part, while a clearer removes it
# Windows refuses to open, rename or delete a file another process is reading or deleting at
# that moment (a sharing violation, raised as PermissionError); it passes in milliseconds. On
# POSIX a PermissionError is a real one.
_ATTEMPTS = 5 if os.name == "nt" else 1


class LockHeld(Refusal):
    """Someone else holds the register's lock; `stale` when they seem to be gone. Worded in
    messages.json (lock.*); how to clear a lock is each door's own hint (--clear-lock)."""

    def __init__(self, key: str, owner: Owner, stale: bool, **values):
        super().__init__(key, **values)
        self.owner = owner
        self.stale = stale



def lock_path(register: Path) -> Path:
    register = Path(register)
    return register.with_name(register.name + LOCK_SUFFIX)


@dataclass(frozen=True)
class Owner:
    """Who holds a lock, as its file says; what the file does not say is "" or None.

    `started` is aware. For a lock whose content cannot be read (empty, cut short, not ours)
    it is the file's modification time, so that such a lock too becomes stale with age, and one
    whose holder is still writing it counts as fresh.
    """

    user: str
    host: str
    pid: int | None
    started: datetime.datetime | None
    purpose: str
    token: str

    def describe(self) -> str:
        """「yamada（PC-01、プロセス 1234）が 2026年11月30日 10:15 から「取り込み」で使用中」"""
        where = "、".join(p for p in (self.host, f"プロセス {self.pid}" if self.pid else "") if p)
        text = f"{self.user or 'だれか'}（{where}）が" if where else f"{self.user or 'だれか'}が"
        if self.started is not None:
            s = self.started.astimezone()
            text += f" {s.year}年{s.month}月{s.day}日 {s:%H:%M} から"
        if self.purpose:
            text += f"「{self.purpose}」で"
        return text + "使用中"


def read_owner(lock: Path) -> Owner | None:
    """The owner a lock file names; None when there is no such file. Never raises."""
    lock = Path(lock)
    try:
        mtime = lock.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError:
        mtime = None
    try:
        raw = head(lock, 64 * 1024)
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:  # also UnicodeDecodeError
        data = None
    if not isinstance(data, dict):
        data = {}

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    pid = data.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        pid = None
    started = _parse_time(data.get("started"))
    if started is None and mtime is not None:
        started = datetime.datetime.fromtimestamp(mtime).astimezone()
    return Owner(text("user"), text("host"), pid, started, text("purpose"), text("token"))


def _parse_time(value) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.astimezone()


def is_stale(owner: Owner, now: datetime.datetime | None = None) -> bool:
    """Whether the holder seems gone: a process of this PC that no longer runs, or a lock older
    than STALE_AFTER (by its start time, or by the file's time when the content is unreadable).

    Age counts even on this PC: Windows soon reuses a dead process's number, so a live process
    under that number proves nothing after an hour. A lock with no time at all is not stale.
    """
    if owner.pid is not None and _here(owner) and not pid_alive(owner.pid):
        return True
    if owner.started is None:
        return False
    now = datetime.datetime.now(datetime.timezone.utc) if now is None else now
    if now.tzinfo is None:
        now = now.astimezone()
    return now - owner.started > STALE_AFTER


@contextmanager
def hold(register: Path, purpose: str, *, clear: bool = False) -> Iterator[Owner]:
    """Hold `register`'s lock for the with block, or raise LockHeld naming its holder.

    With `clear`, a lock left by someone else is removed first, unless its holder is a process
    of this PC that still runs. On leaving, the lock is removed only if it is still ours: a
    colleague may have cleared it and taken the register meanwhile.
    """
    register = Path(register)
    lock = lock_path(register)
    me = Owner(user(), host(), os.getpid(), datetime.datetime.now().astimezone().replace(microsecond=0),
               purpose, uuid.uuid4().hex)
    try:
        # inside the try: an interrupt just after the lock is taken still removes it (_release
        # removes only a lock with our token, never the one that refused us)
        _acquire(register, lock, me, clear)
        yield me
    finally:
        _release(lock, me.token)


def _acquire(register: Path, lock: Path, me: Owner, clear: bool) -> None:
    content = _content(me)
    cleared = False
    owner = None
    # a few rounds: the holder may leave between our create and our read of its lock
    for _ in range(3):
        if _create(register, lock, content):
            return
        owner = read_owner(lock)
        if owner is None:
            continue
        stale = is_stale(owner)
        if not clear or cleared:
            raise _held(register, lock, owner, stale)
        if owner.pid is not None and _here(owner) and not stale:  # its process runs
            raise LockHeld("lock.running", owner, stale, ファイル=register.name, 使用者=owner.describe(), 印=lock.name)
        _clear(register, lock, owner)
        cleared = True  # whoever cleared it, we try once more and then refuse as usual
    owner = owner or Owner("", "", None, None, "", "")
    raise _held(register, lock, owner, False)


def _held(register: Path, lock: Path, owner: Owner, stale: bool) -> LockHeld:
    return LockHeld("lock.stale" if stale else "lock.held", owner, stale,
                    ファイル=register.name, 使用者=owner.describe(), 印=lock.name)


def _content(me: Owner) -> bytes:
    from xlkit import __version__

    return json.dumps({"user": me.user, "host": me.host, "pid": me.pid, "started": me.started.isoformat(),
                       "purpose": me.purpose, "token": me.token, "xlkit": __version__},
                      ensure_ascii=False, indent=1).encode("utf-8")


def _create(register: Path, lock: Path, content: bytes) -> bool:
    """Create the lock with `content`; False when a lock is already there."""
    try:
        fd = _retry(lambda: os.open(lock, _EXCLUSIVE, 0o666))
    except FileExistsError:
        return False
    except PermissionError as exc:
        if os.path.lexists(lock):  # a lock we may not open (a share's rights) is someone's still
            return False
        raise _os_problem(register, lock, exc) from None
    except OSError as exc:
        raise _os_problem(register, lock, exc) from None
    try:
        try:
            _write_all(fd, content)
            os.fsync(fd)  # the lock is the promise to other PCs: it must be on the share, not in a cache
        finally:
            os.close(fd)
    except OSError as exc:
        # a half-written lock would refuse everyone for an hour, with nobody named
        _remove(lock)
        raise XlkitError(f"使用中の印（{lock.name}）を書き込めなかったため、登録簿「{register.name}」を"
                         f"変更しませんでした（{os_reason(exc)}）。") from None
    except BaseException:
        # Ctrl+C or a signal between the create and the write: the same empty lock, so it goes too
        _remove(lock)
        raise
    return True


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]


def _clear(register: Path, lock: Path, owner: Owner) -> None:
    """Remove a lock left behind. Renaming first means only one clearer can win; a loser finds
    the lock gone and simply tries again."""
    aside = lock.with_name(f"{lock.name}{_CLEARING}{uuid.uuid4().hex[:12]}")
    try:
        _retry(lambda: os.rename(lock, aside))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _os_problem(register, lock, exc) from None
    try:
        if read_owner(aside) != owner:
            # another clearer removed the old lock and took the register between our read and
            # our rename: what we moved is theirs, so it goes back
            _put_back(aside, lock)
    finally:
        _remove(aside)


def _put_back(aside: Path, lock: Path) -> None:
    try:
        content = head(aside, 64 * 1024)
        fd = os.open(lock, _EXCLUSIVE, 0o666)
    except OSError:
        return  # a newer lock is there already, which keeps everyone else out just as well
    try:
        _write_all(fd, content)
    except OSError:
        pass
    finally:
        os.close(fd)


def _release(lock: Path, token: str) -> None:
    # Between this read and the removal only a clearer could take the lock, and a clearer takes
    # only a stale lock or one staff chose to clear: a window not worth a second rename.
    owner = read_owner(lock)
    if owner is not None and owner.token == token:
        _remove(lock)


def _remove(path: Path) -> None:
    try:
        _retry(lambda: os.unlink(path))
    except OSError:
        pass  # a lock that stays becomes stale; failing the finished write over it would mislead


def _retry(action):
    for attempt in range(_ATTEMPTS):
        try:
            return action()
        except PermissionError:
            if attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _os_problem(register: Path, lock: Path, exc: OSError) -> XlkitError:
    folder = register.parent
    if isinstance(exc, PermissionError) or exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return XlkitError(f"フォルダ「{folder}」に書き込む権限がないため、登録簿「{register.name}」を変更できません。")
    if isinstance(exc, FileNotFoundError):
        return XlkitError(f"登録簿「{register.name}」のフォルダ「{folder}」が見つかりません。")
    return XlkitError(f"登録簿「{register.name}」の使用中の印（{lock.name}）を作れませんでした（{os_reason(exc)}）。"
                      f"フォルダ「{folder}」に書き込めるか確かめてください。")


def _here(owner: Owner) -> bool:
    """Whether the lock was taken on this PC, where its process can be asked about."""
    here = host()
    return bool(owner.host) and bool(here) and owner.host.casefold() == here.casefold()
