"""The offline bundle's own files: the .bat scripts and the text for IT, filled in from the
templates in xlkit/data/bundle, the lock, and the SHA-256 list of everything.

Encodings are those of a Japanese Windows, where the files are used:
- .bat: cp932 with CRLF. cmd.exe reads a batch file in the console's code page (932 on a
  Japanese Windows) and loses its place at a label when lines end in LF alone.
- はじめにお読みください.txt: UTF-8 with a BOM and CRLF. Notepad opens a file with the BOM as
  UTF-8 on every Windows version, where a file without it is read as cp932 by the Notepad of
  Windows 10 before 1903; CRLF, as that Notepad shows a file of LF lines as one line.
- requirements.lock and SHA256SUMS.txt: UTF-8 without BOM, LF, as pip and `sha256sum -c` read them.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from xlkit import bundle_lock, bundle_pip, installation
from xlkit.closing import manifest, sha256_of
from xlkit.errors import SetupError

SETUP = "セットアップ.bat"
UNINSTALL = "アンインストール.bat"
CHECK = "確認.bat"
README = "はじめにお読みください.txt"
SUMS = "SHA256SUMS.txt"
WHEELS, LOCK = bundle_pip.WHEELS, bundle_pip.LOCK
SCRIPTS = (SETUP, UNINSTALL, CHECK)
BAT_HERE = "%~dp0"  # the folder of the running .bat, with its trailing backslash


def write(folder: Path, lock: bundle_lock.Lock, xlkit: bundle_lock.Wheel) -> list[str]:
    """Every file of the bundle into `folder` (empty); returns their names, relative, "/"-separated."""
    values = _values(lock, xlkit)
    wheels = folder / WHEELS
    wheels.mkdir()
    for path in lock.files():
        if not (wheels / path.name).exists():
            shutil.copyfile(path, wheels / path.name)
    (folder / LOCK).write_text(bundle_lock.lock_text(lock, lock_header(lock, xlkit)), encoding="utf-8", newline="\n")
    for name in SCRIPTS:
        (folder / name).write_bytes(bat_bytes(fill(template(name), values), name))
    (folder / README).write_bytes(b"\xef\xbb\xbf" + _crlf(fill(template(README), values)).encode("utf-8"))
    listed = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    digests = {name: sha256_of((folder / name).read_bytes()) for name in listed}
    (folder / SUMS).write_text(manifest(digests), encoding="utf-8", newline="\n")
    return sorted([*listed, SUMS])


def install_line() -> str:
    """What セットアップ.bat hands the venv's python.exe: bundle_pip.install_args with the
    bundle's parts relative to the .bat, each quoted (the bundle may lie in a folder with
    spaces or Japanese in its name)."""
    return " ".join(_quoted(arg) for arg in bundle_pip.install_args(lambda name: BAT_HERE + name))


def pip_environment_lines() -> str:
    """bundle_pip.install_environment as `set` lines of cmd.exe (nul: Windows' null device)."""
    return "\r\n".join(f'set "{name}={value or ""}"' for name, value in bundle_pip.install_environment("nul").items())


def _quoted(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in ' %&()^;,=') or not arg.isascii() else arg


def lock_header(lock: bundle_lock.Lock, xlkit: bundle_lock.Wheel) -> list[str]:
    return [
        "xlkit のオフライン用バンドルの固定版一覧（requirements.lock）。xlkit bundle が作りました。手で直さないでください。",
        f"xlkit {xlkit.version} と、それが使うすべてのパッケージの版と、各 wheel の SHA-256 です。",
        f"xlwings {_xlwings(lock)}: 登録簿のボタンのマクロ（VBA）は、PC で xlkit new・xlkit upgrade を実行したときに、",
        "  ここで固定した xlwings から作られます。この固定が、登録簿のマクロと入っている Python の側の版をそろえます。",
        f"対象: {'、'.join(t.label for t in lock.targets)}",
        "セットアップ.bat が、この一覧に従って wheels フォルダだけから入れます（pip install --no-index --require-hashes）。",
    ]


def _xlwings(lock: bundle_lock.Lock) -> str:
    version = lock.version_of("xlwings")
    if version is None:
        raise SetupError("固定した版の一覧に xlwings がありません。pyproject.toml の依存を確かめてください。")
    return str(version)


def _values(lock: bundle_lock.Lock, xlkit: bundle_lock.Wheel) -> dict[str, str]:
    pythons = [t.python for t in lock.targets]
    newest_first = sorted(pythons, key=lambda p: tuple(map(int, p.split("."))), reverse=True)
    return {
        "XLKIT_VERSION": str(xlkit.version), "XLWINGS_VERSION": _xlwings(lock),
        "HOME": installation.HOME_WIN, "VENV": installation.VENV_WIN, "INTERPRETER": installation.INTERPRETER_WIN,
        "PYTHONS_NEWEST_FIRST": " ".join(newest_first), "PYTHONS_NEWEST_LISTED": "・".join(newest_first),
        "PYTHONS_LISTED": "・".join(pythons),
        "TARGET": f"{lock.targets[0].platform}、Python {'・'.join(pythons)}",
        "PYTHON_CHECK": _python_check(pythons),
        "INSTALL_ARGS": install_line(), "PIP_ENVIRONMENT": pip_environment_lines(),
        "LOCK": LOCK, "WHEELS": WHEELS, "SUMS": SUMS, "WHEEL_COUNT": str(len({p.name for p in lock.files()})),
    }


def _python_check(pythons: list[str]) -> str:
    """The one-liner セットアップ.bat asks a Python found on the PC: exit 0 if it may make the venv
    (a version of `pythons`, 64-bit, not the Microsoft Store's, which the read-me excludes)."""
    versions = ", ".join(f"({p.replace('.', ', ')})" for p in pythons) + ","
    return (f"import sys; sys.exit(0 if sys.version_info[:2] in ({versions}) and sys.maxsize > 2**32"
            " and 'WindowsApps' not in sys.executable else 1)")


def template(name: str) -> str:
    """A template of xlkit/data/bundle, as text; missing from the installed package is said."""
    try:
        return resources.files("xlkit").joinpath("data", "bundle", name).read_text(encoding="utf-8")
    except OSError:
        raise SetupError(f"xlkit のインストールに「data/bundle/{name}」がありません。xlkit を入れ直してください。") from None


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        left = text[text.index("{{"):text.index("{{") + 40].splitlines()[0]
        raise SetupError(f"バンドルのひな形に埋められない箇所があります: {left}")
    return text


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def bat_bytes(text: str, name: str) -> bytes:
    """A .bat as cmd.exe on a Japanese Windows reads it: cp932, CRLF."""
    try:
        return _crlf(text).encode("cp932")
    except UnicodeEncodeError as exc:
        raise SetupError(f"「{name}」に Shift_JIS（cp932）で書けない文字「{exc.object[exc.start:exc.end]}」があります。"
                         "ひな形（xlkit/data/bundle）のその文字を直してください。") from None
