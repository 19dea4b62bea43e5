"""The guardian of one LibreOffice conversion: LibreOffice never outlives xlkit, nor its profile.

xlkit (export/pdf.py) starts this file by its path with sys.executable, in a session of its
own, and holds the write end of a pipe that is this process's stdin; it never writes to it::

    python soffice_guard.py --profile DIR [--scratch DIR]... -- soffice ARGS...

The guardian starts LibreOffice in a session (Windows: a process group) of its own and waits
for whichever comes first:

- LibreOffice ends: whatever it left behind (the gpg helpers it starts to look for
  signatures, an agent) is killed, the profile is removed, and the guardian exits with
  LibreOffice's exit code, after relaying its output on stderr.
- EOF on stdin: xlkit went away (killed, even by SIGKILL, which it cannot handle itself) or
  gave up (timeout, Ctrl+C). LibreOffice's whole group is killed, the profile and the
  --scratch folders are removed, and the guardian exits with ABANDONED.

It imports only the standard library: it runs beside every PDF export and must start fast,
and it must not depend on anything of xlkit's that could fail to load.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

ABANDONED = 125
LAUNCH_FAILED = 127  # stderr's first line is then "errno:<n>"
WINDOWS = sys.platform == "win32"
_LOG = "soffice.log"
_RELAYED = 4000  # bytes of LibreOffice's output handed back; its last words are what matter


def _become_subreaper() -> bool:
    """Linux: orphans below us are re-parented to us, not to init.

    LibreOffice's gpg library double-forks its helpers (gpgconf, gpg --version, gpgsm …) and
    gpg-agent daemonises with a session of its own: without this they escape LibreOffice's
    process group, and linger (as zombies until init reaps them, or alive for an agent).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _descendants(root: int) -> list[int]:
    """Every process below `root`, from /proc (empty where there is none)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        # the command name may hold spaces and parentheses: ppid is the 2nd field after the last ")"
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def _reap() -> None:
    """Collect every exited child (orphans we adopted as subreaper included), without blocking."""
    if WINDOWS:
        return
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_group(proc: subprocess.Popen) -> None:
    if WINDOWS:
        # Untested here: /T follows parent ids, so it reaches what LibreOffice started as long as
        # the chain is intact; a Windows job object would be airtight but is far more code
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # start_new_session: its group id is its pid
    except (ProcessLookupError, PermissionError):
        pass


def _kill_descendants(deadline: float) -> None:
    """Kill and reap all below us; repeat, as a killed process's orphans come to us in turn."""
    while time.monotonic() < deadline:
        below = _descendants(os.getpid())
        if not below:
            return
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)
        _reap()


def _stop_gpg_agents(gnupghome: str) -> None:
    """Agents started for LibreOffice's private GNUPGHOME, where no subreaper catches them (macOS)."""
    gpgconf = shutil.which("gpgconf")
    try:
        used = bool(os.listdir(gnupghome))  # an agent, or gpg at work, leaves files there
    except OSError:
        used = False
    if WINDOWS or gpgconf is None or not used:
        return
    for action in ("--kill", "--remove-socketdir"):
        try:
            subprocess.run([gpgconf, "--homedir", gnupghome, action, *(["all"] if action == "--kill" else [])],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass


def _remove(path: str) -> None:
    # Windows keeps a killed process's files locked for a moment
    for _ in range(20):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            return
        time.sleep(0.1)


def _parse(argv: list[str]) -> tuple[str, list[str], list[str]]:
    profile, scratch = None, []
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--profile":
            profile = argv[i + 1]
        elif argv[i] == "--scratch":
            scratch.append(argv[i + 1])
        else:
            raise SystemExit(f"soffice_guard: unknown argument {argv[i]!r}")
        i += 2
    command = argv[i + 1:]
    if profile is None or not command:
        raise SystemExit("usage: soffice_guard.py --profile DIR [--scratch DIR]... -- COMMAND...")
    return profile, scratch, command


def _environment(profile: str) -> dict[str, str]:
    """LibreOffice's environment: its temporary files and its gpg home inside the profile, so that
    what a killed LibreOffice leaves there goes with the profile and any agent is ours alone
    (never the user's own gpg-agent)."""
    env = dict(os.environ)
    tmp = os.path.join(profile, "tmp")
    gnupg = os.path.join(profile, "gnupg")
    os.makedirs(tmp, exist_ok=True)
    os.makedirs(gnupg, mode=0o700, exist_ok=True)
    env["GNUPGHOME"] = gnupg
    for name in ("TMPDIR", "TMP", "TEMP"):
        env[name] = tmp
    return env


def main(argv: list[str]) -> int:
    profile, scratch, command = _parse(argv)
    stop = threading.Event()
    gone = threading.Event()  # EOF on the lifeline

    def watch_lifeline() -> None:
        # os.read, not sys.stdin: a daemon thread blocked inside the buffered reader holds its
        # lock, and the interpreter's shutdown then waits for it and aborts
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        gone.set()
        stop.set()

    def on_signal(signum, frame) -> None:
        gone.set()
        stop.set()

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)
    _become_subreaper()
    threading.Thread(target=watch_lifeline, daemon=True).start()

    log_path = os.path.join(profile, _LOG)
    try:
        env = _environment(profile)
        with open(log_path, "wb") as log:
            if WINDOWS:
                flags = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "CREATE_NO_WINDOW", 0)
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=env, creationflags=flags)
            else:
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
    except OSError as exc:
        _remove(profile)
        sys.stderr.write(f"errno:{exc.errno or 0}\n")
        return LAUNCH_FAILED

    def wait_soffice() -> None:
        proc.wait()
        stop.set()

    threading.Thread(target=wait_soffice, daemon=True).start()
    while not stop.wait(0.5):  # a timed wait lets the signal handlers run
        pass
    abandoned = gone.is_set() and proc.poll() is None

    _kill_group(proc)
    proc.wait()
    _kill_descendants(time.monotonic() + 5)
    _stop_gpg_agents(env["GNUPGHOME"])
    _reap()
    if not abandoned:
        try:
            with open(log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - _RELAYED))
                sys.stderr.buffer.write(log.read())
                sys.stderr.flush()
        except (OSError, ValueError):
            pass  # xlkit is gone, or the log is: the output is only a hint
    _remove(profile)
    if abandoned:
        for path in scratch:
            _remove(path)
        return ABANDONED
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
