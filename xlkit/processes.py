"""Who runs where: the signed-in user, this PC's name, and whether a process still runs.

The lock (xlkit/lock.py) records them and asks them of a lock it finds; the atomic writer
(xlkit/files.py) marks its temporary files with them; the PDF conversion sweeps the folders of
conversions whose process is gone.
"""

from __future__ import annotations

import getpass
import os
import socket


def user() -> str:
    """The signed-in user's name, or "" where none is set."""
    try:
        return getpass.getuser()
    except Exception:  # KeyError, ImportError or OSError by Python version, when no name is set
        return os.environ.get("USERNAME") or os.environ.get("USER") or ""


def host() -> str:
    """This PC's name, or "" where it cannot be told."""
    try:
        return socket.gethostname()
    except OSError:
        return ""


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs on this PC. When that cannot be told, it is taken as running."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0 only asks; never used on Windows, where os.kill terminates
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    except OSError:
        return True
    return True


def _windows_pid_alive(pid: int) -> bool:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists; else it does not
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE; an ended process keeps its handle until closed
    finally:
        kernel32.CloseHandle(handle)
