"""The register lock (xlkit.lock): one writer at a time, across processes and PCs."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import REPO, said
from xlkit import __version__, lock, processes
from xlkit.errors import XlkitError

def _register(tmp_path: Path) -> Path:
    register = tmp_path / "登録簿.xlsm"
    register.write_bytes(b"PK register")
    return register


def _plant(register: Path, *, user="sato", host="PC-99", pid=4321, started=None, purpose="取り込み",
           token="theirs") -> None:
    """A lock file as another xlkit writes it."""
    started = started or dt.datetime.now().astimezone()
    data = {"user": user, "host": host, "pid": pid, "started": started.isoformat(), "purpose": purpose,
            "token": token, "xlkit": __version__}
    lock.lock_path(register).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- holding --------------------------------------------------------------------------------

def test_the_lock_file_says_who_holds_the_register(tmp_path):
    register = _register(tmp_path)
    with lock.hold(register, "取り込み") as me:
        path = lock.lock_path(register)
        assert path == tmp_path / "登録簿.xlsm.xlkit-lock"
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["pid"] == os.getpid() and data["host"] == socket.gethostname()
        assert data["user"] == me.user and me.user and data["purpose"] == "取り込み"
        assert len(data["token"]) == 32 and data["xlkit"] == __version__
        assert dt.datetime.fromisoformat(data["started"]).utcoffset() is not None
        assert lock.read_owner(path) == me
    assert _left(tmp_path) == ["登録簿.xlsm"]


def test_a_second_hold_is_refused_until_the_first_ends(tmp_path):
    register = _register(tmp_path)
    with lock.hold(register, "取り込み") as me:
        with pytest.raises(lock.LockHeld) as refused:
            with lock.hold(register, "入力チェック"):
                pytest.fail("two holders")
        message = said(refused.value)
        assert "「登録簿.xlsm」は、" in message and me.user in message and "「取り込み」で使用中です" in message
        assert "終わるのを待って" in message and not refused.value.stale
    with lock.hold(register, "入力チェック"):
        pass
    assert _left(tmp_path) == ["登録簿.xlsm"]


def test_the_lock_goes_when_the_block_raises(tmp_path):
    register = _register(tmp_path)
    with pytest.raises(ZeroDivisionError):
        with lock.hold(register, "取り込み"):
            1 / 0
    assert _left(tmp_path) == ["登録簿.xlsm"]


def test_a_lock_someone_else_took_meanwhile_is_left_to_them(tmp_path):
    """Our exit removes the lock only while it carries our token."""
    register = _register(tmp_path)
    with lock.hold(register, "取り込み"):
        _plant(register, token="a colleague's")
    assert lock.read_owner(lock.lock_path(register)).token == "a colleague's"


WORKER = r"""
import json, os, sys, time
from pathlib import Path
from xlkit import lock

register, log, ready, go = map(Path, sys.argv[1:5])
ready.write_text("")
while not go.exists():
    time.sleep(0.001)
refusals, entered = [], False
deadline = time.monotonic() + 30
while not entered and time.monotonic() < deadline:
    try:
        with lock.hold(register, "取り込み"):
            entered = True
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"enter {os.getpid()}\n")
            time.sleep(0.05)
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"leave {os.getpid()}\n")
    except lock.LockHeld as exc:
        refusals.append(exc.message)
        time.sleep(0.005)
print(json.dumps({"pid": os.getpid(), "entered": entered, "refusals": refusals}, ensure_ascii=False))
"""


def test_processes_racing_for_the_register_enter_one_at_a_time(tmp_path):
    register = _register(tmp_path)
    log, go = tmp_path / "log.txt", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    n = 8
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(register), str(log), str(tmp_path / f"ready{i}"),
                                 str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for i in range(n)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready*"))) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    go.write_text("")  # all start at once
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0 and err == "", err
        results.append(json.loads(out))

    lines = log.read_text(encoding="utf-8").split()
    events = list(zip(lines[0::2], lines[1::2]))
    # enter a, leave a, enter b, leave b ...: nobody entered while another was inside
    assert [kind for kind, _ in events] == ["enter", "leave"] * n
    assert all(events[i][1] == events[i + 1][1] for i in range(0, 2 * n, 2))
    assert sorted(int(events[i][1]) for i in range(0, 2 * n, 2)) == sorted(r["pid"] for r in results)
    assert all(r["entered"] for r in results)
    refusals = [m for r in results for m in r["refusals"]]
    assert refusals, "the processes never met: the test proved nothing"
    for message in refusals:
        assert "「登録簿.xlsm」は、" in message and "使用中です" in message and "Error" not in message
        assert "途中で終わった" not in message  # a lock being written is someone's, not a leftover
    assert _left(tmp_path) == sorted(["登録簿.xlsm", "log.txt", "go", *(f"ready{i}" for i in range(n))])


# --- left behind ----------------------------------------------------------------------------

def test_a_lock_of_a_dead_process_here_is_stale_and_clearable(tmp_path):
    register = _register(tmp_path)
    _plant(register, host=socket.gethostname(), pid=_dead_pid())
    with pytest.raises(lock.LockHeld) as refused:
        with lock.hold(register, "取り込み"):
            pass
    message = said(refused.value) + refused.value.hint("cli")  # as the command line says it
    assert refused.value.stale
    assert "前回の xlkit が途中で終わったため、使用中の印（登録簿.xlsm.xlkit-lock）が残っています" in message
    assert "記録では、sato（" in message and "--clear-lock" in message
    # the buttons have no --clear-lock: they say which file to delete
    assert "「登録簿.xlsm.xlkit-lock」を削除してください" in refused.value.hint("button")
    with lock.hold(register, "取り込み", clear=True) as me:
        assert lock.read_owner(lock.lock_path(register)).token == me.token
    assert _left(tmp_path) == ["登録簿.xlsm"]


def test_a_fresh_lock_of_another_pc_is_in_use_and_clearable_when_asked(tmp_path):
    # pid 1 runs here, but the lock is from PC-99, where that number says nothing
    register = _register(tmp_path)
    _plant(register, host="PC-99", pid=1)
    with pytest.raises(lock.LockHeld) as refused:
        with lock.hold(register, "取り込み"):
            pass
    message = said(refused.value) + refused.value.hint("cli")
    assert not refused.value.stale
    assert "「登録簿.xlsm」は、sato（PC-99、プロセス 1）が " in message and "使用中です。終わるのを待って" in message
    assert "本人に確かめてから --clear-lock を付けて実行してください。" in message
    with lock.hold(register, "取り込み", clear=True):
        assert lock.read_owner(lock.lock_path(register)).user != "sato"
    assert _left(tmp_path) == ["登録簿.xlsm"]


def test_a_running_process_here_keeps_its_lock_even_with_clear(tmp_path):
    register = _register(tmp_path)
    _plant(register, host=socket.gethostname().upper(), pid=os.getpid())
    with pytest.raises(lock.LockHeld) as refused:
        with lock.hold(register, "取り込み", clear=True):
            pass
    message = said(refused.value)
    assert "まだ動いているため、使用中の印（登録簿.xlsm.xlkit-lock）は消せません" in message
    assert not refused.value.stale and "終わるのを待って" in message
    assert lock.read_owner(lock.lock_path(register)).token == "theirs"


def test_an_old_lock_is_stale(tmp_path, monkeypatch):
    register = _register(tmp_path)
    _plant(register, started=dt.datetime.now().astimezone() - lock.STALE_AFTER - dt.timedelta(minutes=1))
    with pytest.raises(lock.LockHeld, match="途中で終わった") as refused:
        with lock.hold(register, "取り込み"):
            pass
    said(refused.value)

    _plant(register, started=dt.datetime.now().astimezone() - dt.timedelta(seconds=5))
    with pytest.raises(lock.LockHeld, match="終わるのを待って"):
        with lock.hold(register, "取り込み"):
            pass
    monkeypatch.setattr(lock, "STALE_AFTER", dt.timedelta(seconds=1))
    with pytest.raises(lock.LockHeld, match="途中で終わった"):
        with lock.hold(register, "取り込み"):
            pass


def test_an_hour_old_lock_is_stale_even_if_its_process_number_runs_here(tmp_path):
    """Windows soon gives a dead process's number to another: after STALE_AFTER it proves nothing."""
    register = _register(tmp_path)
    _plant(register, host=socket.gethostname(), pid=os.getpid(),
           started=dt.datetime.now().astimezone() - dt.timedelta(hours=2))
    with pytest.raises(lock.LockHeld, match="途中で終わった"):
        with lock.hold(register, "取り込み"):
            pass
    with lock.hold(register, "取り込み", clear=True):
        pass


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe\x80junk", b'{"user": "yam', b"[1, 2]",
                                     b'{"user": 5, "pid": "x", "started": 7, "host": null}'],
                         ids=["empty", "binary", "cut short", "a list", "wrong types"])
def test_an_unreadable_lock_is_said_in_japanese_and_clearable(tmp_path, content):
    register = _register(tmp_path)
    path = lock.lock_path(register)
    path.write_bytes(content)
    owner = lock.read_owner(path)
    assert (owner.user, owner.host, owner.pid, owner.token) == ("", "", None, "")
    assert abs(owner.started.timestamp() - path.stat().st_mtime) < 1  # the file's time stands in
    with pytest.raises(lock.LockHeld) as refused:  # fresh: maybe another xlkit still writing it
        with lock.hold(register, "取り込み"):
            pass
    assert "「登録簿.xlsm」は、だれかが " in said(refused.value) and not refused.value.stale

    old = time.time() - 2 * 3600
    os.utime(path, (old, old))
    with pytest.raises(lock.LockHeld, match="途中で終わった") as refused:
        with lock.hold(register, "取り込み"):
            pass
    said(refused.value)
    with lock.hold(register, "取り込み", clear=True):
        pass
    assert _left(tmp_path) == ["登録簿.xlsm"]


def test_a_vanished_lock_has_no_owner(tmp_path):
    assert lock.read_owner(tmp_path / "x.xlkit-lock") is None


def test_a_clearer_that_loses_the_rename_tries_once_more(tmp_path, monkeypatch):
    register = _register(tmp_path)
    path = lock.lock_path(register)
    _plant(register)

    def another_clearer_won(src, dst):
        path.unlink()
        raise FileNotFoundError(errno.ENOENT, "gone", str(src))

    monkeypatch.setattr(os, "rename", another_clearer_won)
    with lock.hold(register, "取り込み", clear=True) as me:
        assert lock.read_owner(path) == me

    _plant(register)

    def another_clearer_won_and_took_it(src, dst):
        path.unlink()
        _plant(register, user="suzuki", host="PC-07", token="suzuki's")
        raise FileNotFoundError(errno.ENOENT, "gone", str(src))

    monkeypatch.setattr(os, "rename", another_clearer_won_and_took_it)
    with pytest.raises(lock.LockHeld) as refused:
        with lock.hold(register, "取り込み", clear=True):
            pass
    assert "suzuki（PC-07" in said(refused.value) and "終わるのを待って" in refused.value.message
    assert lock.read_owner(path).token == "suzuki's"


def test_a_lock_that_changed_hands_before_the_rename_is_put_back(tmp_path, monkeypatch):
    """We read a leftover, but another clearer removed it and took the register before our rename:
    the lock we moved aside is theirs and goes back."""
    register = _register(tmp_path)
    path = lock.lock_path(register)
    _plant(register, user="suzuki", host="PC-07", token="suzuki's")
    leftover = lock.Owner("sato", "PC-99", 4321, dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), "取り込み", "old")
    real_read = lock.read_owner
    reads = []

    def first_read_sees_the_leftover(p):
        reads.append(p)
        return leftover if len(reads) == 1 else real_read(p)

    monkeypatch.setattr(lock, "read_owner", first_read_sees_the_leftover)
    with pytest.raises(lock.LockHeld) as refused:
        with lock.hold(register, "取り込み", clear=True):
            pass
    assert "suzuki（PC-07" in said(refused.value)
    assert real_read(path).token == "suzuki's" and _left(tmp_path) == ["登録簿.xlsm", "登録簿.xlsm.xlkit-lock"]


# --- the folder -----------------------------------------------------------------------------

def _refuse_lock_files(monkeypatch, exc: OSError) -> None:
    real = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(lock.LOCK_SUFFIX):
            raise exc
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)


def test_a_read_only_folder_is_named(tmp_path, monkeypatch):
    folder = tmp_path / "共有"
    folder.mkdir()
    register = _register(folder)
    if os.name == "nt" or os.geteuid() == 0:  # chmod does not stop Windows or root
        _refuse_lock_files(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(XlkitError) as refused:
            with lock.hold(register, "取り込み"):
                pass
    finally:
        folder.chmod(0o755)
    assert said(refused.value) == f"フォルダ「{folder}」に書き込む権限がないため、登録簿「登録簿.xlsm」を変更できません。"
    assert _left(folder) == ["登録簿.xlsm"]


def test_a_read_only_share_is_named(tmp_path, monkeypatch):
    register = _register(tmp_path)
    _refuse_lock_files(monkeypatch, OSError(errno.EROFS, "Read-only file system"))
    with pytest.raises(XlkitError, match="書き込む権限がない") as refused:
        with lock.hold(register, "取り込み"):
            pass
    assert f"フォルダ「{tmp_path}」" in said(refused.value)


def test_another_os_problem_is_said_with_its_reason(tmp_path, monkeypatch):
    register = _register(tmp_path)
    _refuse_lock_files(monkeypatch, OSError(errno.EIO, "入出力に失敗しました"))
    with pytest.raises(XlkitError) as refused:
        with lock.hold(register, "取り込み"):
            pass
    assert said(refused.value) == ("登録簿「登録簿.xlsm」の使用中の印（登録簿.xlsm.xlkit-lock）を作れませんでした"
                                    f"（ディスクの読み書きに失敗しました）。フォルダ「{tmp_path}」に書き込めるか確かめてください。")


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(XlkitError, match="が見つかりません") as refused:
        with lock.hold(tmp_path / "ない" / "登録簿.xlsm", "取り込み"):
            pass
    assert f"「{tmp_path / 'ない'}」" in said(refused.value)


def test_a_lock_that_cannot_be_written_whole_is_removed(tmp_path, monkeypatch):
    register = _register(tmp_path)

    def full(fd):
        raise OSError(errno.ENOSPC, "ディスクに十分な空き領域がありません")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(XlkitError) as refused:
        with lock.hold(register, "取り込み"):
            pytest.fail("held without a lock")
    assert said(refused.value) == ("使用中の印（登録簿.xlsm.xlkit-lock）を書き込めなかったため、登録簿「登録簿.xlsm」を"
                                    "変更しませんでした（ディスクの空きが足りません）。")
    assert _left(tmp_path) == ["登録簿.xlsm"]


@pytest.mark.parametrize("step", ["_write_all", "fsync"])
def test_an_interrupt_between_the_create_and_the_write_leaves_no_lock(tmp_path, monkeypatch, step):
    """Ctrl+C (or a signal's exception) after the exclusive create: the empty lock would have
    refused everyone for an hour, naming nobody; it goes, and the interrupt goes on."""
    register = _register(tmp_path)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(*((lock, "_write_all") if step == "_write_all" else (os, "fsync")), interrupted)
    with pytest.raises(KeyboardInterrupt):
        with lock.hold(register, "取り込み"):
            pytest.fail("held without a lock")
    assert _left(tmp_path) == ["登録簿.xlsm"]
    monkeypatch.undo()
    with lock.hold(register, "取り込み"):  # the next run takes the register at once
        assert lock.read_owner(lock.lock_path(register)).purpose == "取り込み"


def test_an_interrupt_just_after_the_lock_is_taken_removes_it(tmp_path, monkeypatch):
    """Between taking the lock and entering the with block, a lock of ours is ours to remove;
    one that refused us is left to its holder."""
    register = _register(tmp_path)
    real = lock._acquire

    def taken_then_interrupted(*args):
        real(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(lock, "_acquire", taken_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with lock.hold(register, "取り込み"):
            pytest.fail("held")
    assert _left(tmp_path) == ["登録簿.xlsm"]
    monkeypatch.undo()
    _plant(register)
    with pytest.raises(lock.LockHeld):
        with lock.hold(register, "取り込み"):
            pytest.fail("held")
    assert lock.read_owner(lock.lock_path(register)).token == "theirs"


# --- the owner, in words --------------------------------------------------------------------

def test_the_owner_is_described_in_japanese():
    started = dt.datetime(2026, 11, 30, 10, 15).astimezone()
    assert lock.Owner("yamada", "PC-01", 1234, started, "取り込み", "t").describe() == (
        "yamada（PC-01、プロセス 1234）が 2026年11月30日 10:15 から「取り込み」で使用中")
    assert lock.Owner("yamada", "", None, None, "", "").describe() == "yamadaが使用中"
    assert lock.Owner("", "", None, started, "", "").describe() == "だれかが 2026年11月30日 10:15 から使用中"


def test_pid_alive():
    assert processes.pid_alive(os.getpid())
    assert not processes.pid_alive(_dead_pid())
    assert not processes.pid_alive(0) and not processes.pid_alive(-5)
