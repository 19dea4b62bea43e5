"""What `xlkit doctor` knows of this PC and of a register file, gathered into xlkit.diagnosis.Facts.

Every question put to the operating system goes through `System` (the platform, the
environment, this Python, whether a file exists, the :Zone.Identifier stream, the registry,
pywin32, LibreOffice), so a test can give the answers of a Windows PC on any machine. The
register file is read with the readers every command uses (xlkit.workbook.reader and scan), so
the doctor refuses and words a broken file as they do; its VBA project is read with pyOpenVBA,
as `xlkit upgrade` reads it (xlkit.workbook.migrate.dropped_modules).
"""

from __future__ import annotations

import codecs
import errno
import os
import sys
import tempfile
from contextlib import suppress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from xlkit import formats, installation
from xlkit.diagnosis import (INTERPRETER_KEY, LEGACY_KEY, WORKBOOK_PATH_KEY, Conf, Facts, expand, file_settings,
                             sheet_conf)
from xlkit.errors import Refusal, XlkitError, os_reason
from xlkit.files import EXPORT_DIR
from xlkit.register import misnamed
from xlkit.workbook import design, vba

CONF_FILE = "xlwings.conf"


def _read_zone(path: str) -> str | None:
    """The :Zone.Identifier stream NTFS keeps beside a downloaded file; None when there is none.
    Browsers write it in ASCII, some tools (PowerShell's Set-Content, archivers) in UTF-16."""
    try:
        data = Path(path + ":Zone.Identifier").read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        # FAT/exFAT (USB sticks, the usual way through the gateway) has no streams, so no mark:
        # Windows refuses the name itself (ERROR_INVALID_NAME, EINVAL)
        if exc.errno == errno.EINVAL or getattr(exc, "winerror", None) == 123:
            return None
        raise
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if data[1::2].count(0) > len(data) // 4:  # UTF-16 LE without its mark: every other byte NUL
        return data.decode("utf-16-le", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _word_installed() -> bool | None:
    """Whether Word is registered for automation (Word.Application); None where there is no registry."""
    try:
        import winreg
    except ImportError:
        return None
    try:
        with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, r"Word.Application\CLSID"):
            return True
    except OSError:
        return False


def _pywin32_problem() -> str:
    """"" when win32com imports; else why not, in Japanese (its own error is English)."""
    import importlib

    try:
        importlib.import_module("win32com.client")
    except ImportError:
        return "入っていないか、DLL を読み込めません"
    except Exception:  # a half-finished install fails inside its own DLL loading
        return "読み込みの途中で失敗しました"
    return ""


def _xlwings_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def _soffice() -> str | None:
    from xlkit.export import pdf

    return pdf.find_soffice()


@dataclass
class System:
    """The answers of the machine xlkit runs on; tests replace any of them."""

    windows: bool = field(default_factory=lambda: sys.platform == "win32")
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    executable: str = sys.executable
    python: tuple[int, int, int] = tuple(sys.version_info[:3])  # type: ignore[assignment]
    is_file: Callable[[str], bool] = os.path.isfile
    read_zone: Callable[[str], str | None] = _read_zone
    word: Callable[[], bool | None] = _word_installed
    pywin32: Callable[[], str] = _pywin32_problem
    soffice: Callable[[], str | None] = _soffice
    xlwings: Callable[[], str | None] = _xlwings_version


_UNSET = object()


def gather(register: str | Path | None, system: System | None = None, *, conf_grid=_UNSET) -> Facts:
    """The facts of this PC and of `register` (None: the PC only). `conf_grid`: the xlwings.conf
    sheet as the open workbook holds it (the button passes it: the VBA reads that, not the
    file); None when the open workbook has no such sheet."""
    import xlkit

    system = system or System()
    facts = Facts(
        windows=system.windows, python=system.python, executable=system.executable,
        xlkit_version=xlkit.__version__, xlkit_place=str(Path(xlkit.__file__).resolve().parent),
        xlwings=system.xlwings(), environ=dict(system.environ), soffice=system.soffice())
    if system.windows:
        facts.pywin32 = system.pywin32()
        facts.word = system.word()
    facts.user_conf = _file_conf(_user_conf_path(system))
    if register is not None:
        _register(facts, str(register), system, conf_grid)
    if system.windows:
        confs = [c for c in (facts.sheet_conf, facts.folder_conf, facts.user_conf) if c is not None]
        candidates = [installation.INTERPRETER_WIN] + [v for c in confs for v in (c.value, c.legacy) if v]
        facts.exists = {place: system.is_file(place) for place in (expand(c, facts.environ) for c in candidates)}
    return facts


def _user_conf_path(system: System) -> Path:
    """%USERPROFILE%\\.xlwings\\xlwings.conf, where xlwings' VBA and Python look for the user's settings."""
    home = system.environ.get("USERPROFILE") if system.windows else None
    return Path(home or Path.home()) / ".xlwings" / CONF_FILE


def _file_conf(path: Path) -> Conf:
    conf = Conf(str(path))
    try:
        if not path.is_file():
            return conf
        data = path.read_bytes()
    except OSError as exc:
        conf.found, conf.problem = True, os_reason(exc)
        return conf
    conf.found = True
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # VBA writes in the PC's code page
        text = data.decode("cp932", errors="replace")
    found = file_settings(text)
    conf.value, conf.legacy = found.get(INTERPRETER_KEY), found.get(LEGACY_KEY)
    conf.add_workbook = found.get(WORKBOOK_PATH_KEY)
    return conf


def _register(facts: Facts, given: str, system: System, conf_grid) -> None:
    if "://" in given:  # a workbook opened from OneDrive/SharePoint: no file of ours to read
        facts.register = given
        facts.problem = f"登録簿がこのパソコンのフォルダにありません（{given}）。"
        return
    path = Path(os.path.abspath(given))  # "..\\登録簿.xlsm" shown and measured as the folder it names
    facts.register = str(path)
    facts.macro = path.suffix.lower() == ".xlsm"
    grid = _read(facts, path)
    if facts.problem:
        return
    # the xlwings.conf sheet is judged only in a register whose sheets this xlkit knows: the
    # command and the button (which hands the open sheet in) say the same of a newer one
    known = facts.format is not None and not facts.format_problem and facts.format <= formats.CURRENT
    if not known:
        conf_grid = _UNSET
    elif conf_grid is _UNSET:
        conf_grid = grid
    if conf_grid is not _UNSET:
        facts.sheet_conf = sheet_conf(conf_grid, design.CONF)
        if conf_grid is None:
            facts.sheet_conf.near = misnamed(design.CONF, facts.sheets) or ""
    if facts.macro:
        facts.vba_version, facts.vba_problem, facts.vba_project = _vba_version(path)
    facts.folder_conf = _file_conf(path.parent / CONF_FILE)
    _exports(facts, path)
    if system.windows:
        try:
            facts.zone = system.read_zone(str(path))
        except OSError as exc:
            facts.zone_problem = os_reason(exc)


def _read(facts: Facts, path: Path):
    """The register checked as every command checks it (one pass: xlkit.workbook.reader), its format
    into `facts`, and its xlwings.conf sheet's values (None: it has none; _UNSET: not read)."""
    from xlkit.workbook import reader

    def format_of(found) -> None:
        facts.format, facts.sheets = found.version, found.sheets

    try:
        return reader.read_sheets(path, [design.CONF], what="登録簿", vet=format_of).get(design.CONF)
    except Refusal as refusal:
        if refusal.key == "format.newer":  # this xlkit does not know its sheets: read no further
            facts.format = refusal.values["形式"]
        elif refusal.key == "format.unreadable":
            facts.format_problem = refusal.message
        else:
            facts.problem = refusal.message
    except XlkitError as exc:
        if facts.format is None:  # the file itself could not be read
            facts.problem = exc.message
        else:  # its xlwings.conf sheet could not (a bomb, a sheet past the limits): said on that line
            facts.sheet_conf = Conf(design.CONF, found=True, problem=exc.message)
    return _UNSET


def _vba_version(path: Path) -> tuple[str | None, str, bool]:
    """XLWINGS_VERSION of the register's xlwings module, or why it cannot be read (Japanese), and
    whether the file has a VBA project at all (xlkit.workbook.vba reads it, as the upgrade does)."""
    version, why = vba.read_xlwings_version(path)
    return version, _VBA_PROBLEMS.get(why, ""), why != vba.NO_PROJECT


_VBA_PROBLEMS = {
    vba.NO_PROJECT: "ボタン付きの登録簿（.xlsm）ですが、マクロ（VBA）が入っていません。ボタンが動きません。",
    vba.NO_MODULE: "登録簿のマクロに xlwings のモジュールがありません。ボタンが動きません。",
    vba.UNREADABLE: "登録簿のマクロ（VBA）を読めません。壊れているおそれがあります。",
    vba.NO_CONSTANT: "登録簿のマクロの xlwings モジュールに版（XLWINGS_VERSION）がありません。",
}


def _exports(facts: Facts, path: Path) -> None:
    """Whether a file can be made in exports\\ (or, before it exists, in the register's folder):
    one made and removed at once, so that nothing is left behind."""
    exports = path.parent / EXPORT_DIR
    facts.exports = str(exports)
    if exports.is_dir():
        facts.exports_kind, facts.exports_problem = "folder", _probe(exports)
    elif exports.exists():
        facts.exports_kind = "file"
    elif path.parent.is_dir():
        facts.exports_kind, facts.exports_problem = "missing", _probe(path.parent)


# the probe's file is named as xlkit names its temporary files (files.scratch: this PC and process),
# so that one a killed doctor left behind is found and removed by the next (files.abandoned)
_PROBE = "xlkit-doctor.tmp"


def _probe(folder: Path) -> str:
    """"" when a file could be created in `folder` and removed again; else why not, in Japanese."""
    from xlkit import files

    for leftover in files.abandoned(folder / _PROBE):
        with suppress(OSError):
            leftover.unlink()
    try:
        handle, name = tempfile.mkstemp(prefix=files.temp_prefix(_PROBE), suffix=".tmp", dir=folder)
    except OSError as exc:
        return os_reason(exc)
    os.close(handle)
    try:
        os.unlink(name)
    except OSError as exc:
        return f"作ったファイル {Path(name).name} を消せません（{os_reason(exc)}）"
    return ""
