"""PDF by converting a written .docx/.xlsx with LibreOffice headless.

Each conversion runs with its own throw-away LibreOffice profile
(-env:UserInstallation=...) so that parallel runs, and a LibreOffice the user has open,
do not collide on the profile lock. The profile is seeded with a font replacement table:
the documents name the Windows fonts staff have (ＭＳ 明朝 …); where those are missing,
LibreOffice would otherwise draw Japanese in whatever font fontconfig offers first.

LibreOffice runs under a guardian process (soffice_guard.py) so that it, the helpers it starts
and its profile never outlive xlkit, even when xlkit is killed outright. The temporary folders
carry xlkit's process id (xlkit-lo-<pid>-…, xlkit-pdf-<pid>-…): those a dead process left behind
(a power cut, a killed guardian) are swept at the next conversion.

A character no installed font has is drawn as an empty box (the font's .notdef glyph), while
its text stays in the PDF: uncovered() tells which, before the conversion.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from xlkit.errors import XlkitError, os_reason
from xlkit.processes import pid_alive

from . import soffice_guard

TIMEOUT_S = 300  # the least a conversion is given; more for a long document (timeout_for)
TIMEOUT_PER_ROW_S = 0.05
NOT_INSTALLED = (
    "PDF を作成するには LibreOffice が必要ですが、このパソコンには見つかりませんでした。"
    "LibreOffice をインストールするか、Word 形式（.docx）で出力してから Word の"
    "「名前を付けて保存」で PDF を選んでください。"
    "（LibreOffice の場所は環境変数 XLKIT_SOFFICE で指定することもできます）"
)

_WINDOWS_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)
_MAC_PLACE = "/Applications/LibreOffice.app/Contents/MacOS/soffice"


def find_soffice() -> str | None:
    """LibreOffice's soffice: $XLKIT_SOFFICE when set, else the first on PATH (or the usual install folders)."""
    configured = os.environ.get("XLKIT_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    places = _WINDOWS_PLACES if sys.platform == "win32" else (_MAC_PLACE,)
    return next((p for p in places if Path(p).is_file()), None)


def available() -> bool:
    """Whether a PDF can be made on this PC."""
    return find_soffice() is not None


def installed_families() -> set[str] | None:
    """Font family names fontconfig knows, or None where it cannot be asked."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {name.strip() for line in out.decode("utf-8", "replace").splitlines()
            for name in line.split(",")}


def missing_substitutes(substitutes: dict[str, str]) -> dict[str, str]:
    """The replacements worth applying: those whose font is not installed here."""
    if sys.platform == "win32":
        return {}  # Windows has the fonts the documents name
    families = installed_families()
    if families is None:
        return dict(substitutes)
    return {font: sub for font, sub in substitutes.items() if font not in families}


def _profile_xcu(substitutes: dict[str, str]) -> str:
    items = [
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>'
    ]
    for n, (font, substitute) in enumerate(substitutes.items()):
        items.append(
            '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
            f'<node oor:name="_{n}" oor:op="replace">'
            # Always: LibreOffice counts a font fontconfig can stand in for as installed, so
            # "replace only when missing" never fires; only missing fonts are listed instead
            '<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
            '<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
            f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{escape(font)}</value></prop>'
            f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{escape(substitute)}</value></prop>'
            "</node></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        + "\n".join(items) + "\n</oor:items>\n"
    )


# --- fonts: which characters no installed font can draw ------------------------------------

def parse_charsets(text: str) -> list[tuple[int, int]]:
    """fontconfig's %{charset} lines ("20-7e a0-17f 2c6 …", hex) as sorted, merged (first, last) ranges."""
    ranges = []
    for item in text.split():
        first, _, last = item.partition("-")
        try:
            ranges.append((int(first, 16), int(last or first, 16)))
        except ValueError:
            continue  # not a range: fontconfig printed something else
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _fontconfig(*args: str) -> str | None:
    try:
        done = subprocess.run(list(args), capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("ascii", "replace") if done.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def _coverage() -> tuple[list[int], list[int]] | None:
    """(starts, ends) of the code points some installed font has, or None where fontconfig is not
    what LibreOffice draws with (Windows, macOS) or cannot be asked. Once per process: fonts are
    not installed while xlkit runs, and fc-list reads every font's table."""
    if sys.platform in ("win32", "darwin"):
        return None
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = _fontconfig(fc_list, "--format", "%{charset}\n")
    if not listed:
        return None
    # LibreOffice's own fonts (share/fonts of an installation from libreoffice.org) are not known
    # to fontconfig, yet LibreOffice draws with them
    soffice, fc_scan = find_soffice(), shutil.which("fc-scan")
    bundled = Path(os.path.realpath(soffice)).parent.parent / "share" / "fonts" if soffice else None
    if bundled is not None and fc_scan is not None and bundled.is_dir():
        listed += _fontconfig(fc_scan, "--format", "%{charset}\n", str(bundled)) or ""
    ranges = parse_charsets(listed)
    if not ranges:
        return None
    return [first for first, _ in ranges], [last for _, last in ranges]


def uncovered(chars: Iterable[str]) -> set[str] | None:
    """The characters of `chars` that no installed font has, or None when this PC cannot tell.

    LibreOffice falls back to any installed font for a glyph the chosen font lacks, so a
    character is lost only when no font at all has it. Line breaks, tabs and other control
    characters are not drawn and never reported.
    """
    coverage = _coverage()
    if coverage is None:
        return None
    starts, ends = coverage
    lost = set()
    for ch in set(chars):
        if ch.isspace() or unicodedata.category(ch) == "Cc":
            continue
        i = bisect_right(starts, ord(ch)) - 1
        if i < 0 or ord(ch) > ends[i]:
            lost.add(ch)
    return lost


# --- temporary folders ------------------------------------------------------------------------

_LEFTOVER = re.compile(r"^xlkit-(?:lo|pdf)-(\d+)-")


def _temp_prefix(kind: str) -> str:
    return f"xlkit-{kind}-{os.getpid()}-"


def work_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder for a conversion's files, named so that a later run can tell it is ours."""
    return tempfile.TemporaryDirectory(prefix=_temp_prefix("pdf"))


def sweep_leftovers(folder: Path | None = None) -> list[Path]:
    """Remove the xlkit-lo-<pid>-… / xlkit-pdf-<pid>-… folders of processes that no longer run.

    What the guardian could not remove (the power went, the guardian itself was killed). A folder
    whose process still runs, or whose process cannot be told dead (another user's), stays.
    """
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid() or pid_alive(int(match.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    return removed


# --- the conversion ---------------------------------------------------------------------------

def docx_rows(source: Path) -> int:
    """The table rows of a written .docx (its size, for timeout_for); 0 when it cannot be read,
    which LibreOffice will then say."""
    try:
        with zipfile.ZipFile(source) as package:
            with package.open("word/document.xml") as xml:
                count, tail = 0, b""
                while chunk := xml.read(1 << 20):
                    # the last 5 bytes, shorter than a tag, carry a tag cut between two reads over
                    data = tail + chunk
                    count += data.count(b"<w:tr>") + data.count(b"<w:tr ")
                    tail = data[-5:]
                return count
    except (OSError, KeyError, zipfile.BadZipFile):
        return 0

_GUARD = Path(soffice_guard.__file__)
_STOP_S = 30  # the guardian's cleanup after a stop: a kill, and removing a profile


def timeout_for(rows: int, settings: dict | None = None) -> float:
    """Seconds a conversion of a document with `rows` table rows is given: a base, and a share per
    row, so that a long register on a slow PC is not cut off at a fixed limit. `settings`: the
    "pdf" section of layout.json (timeout_s, timeout_per_row_s)."""
    settings = settings or {}
    base = float(settings.get("timeout_s", TIMEOUT_S))
    per_row = float(settings.get("timeout_per_row_s", TIMEOUT_PER_ROW_S))
    return base + per_row * max(rows, 0)


def _timed_out(timeout: float, rows: int | None = None) -> XlkitError:
    # each conversion has a profile of its own: a LibreOffice staff have open is not the cause
    size = f"（表の行数 {rows:,} 行）" if rows else ""
    return XlkitError(f"LibreOffice による PDF 変換が {timeout:g} 秒で終わりませんでした{size}。変換は中止しました。"
                      "ほかのソフトを閉じてもう一度実行するか、Word 形式（.docx）で出力して Word の"
                      "「名前を付けて保存」で PDF にしてください。審議案件なら、期間を短く区切って"
                      "分けて出力することもできます。")


def _could_not_start(exc: OSError) -> XlkitError:
    return XlkitError(f"LibreOffice を起動できませんでした（{os_reason(exc)}）。")


def _guarded(cmd: list[str], profile: Path, scratch: Iterable[Path], timeout: float,
             rows: int | None = None) -> int:
    """Run `cmd` under the guardian; LibreOffice's exit code."""
    guard = [sys.executable, "-I", str(_GUARD), "--profile", str(profile)]
    for path in scratch:
        guard += ["--scratch", str(path)]
    # The lifeline: the guardian reads this pipe, whose write end only this process holds
    # (os.pipe's ends are not inherited). Whatever ends xlkit, even SIGKILL, the kernel closes it
    # and the guardian sees EOF. Not Popen's stdin=PIPE: communicate() would close it at once.
    lifeline, hold = os.pipe()
    try:
        if sys.platform == "win32":
            flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
            proc = subprocess.Popen(guard + ["--", *cmd], stdin=lifeline, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, creationflags=flags)
        else:
            # a session of its own: a Ctrl+C or a kill of xlkit's process group does not reach
            # it, and it stays to clean up after xlkit
            proc = subprocess.Popen(guard + ["--", *cmd], stdin=lifeline, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        os.close(hold)
        raise _could_not_start(exc) from None
    finally:
        os.close(lifeline)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc, hold)
        raise _timed_out(timeout, rows) from None
    except BaseException:  # Ctrl+C (KeyboardInterrupt), or a defect: LibreOffice goes with us
        _stop(proc, hold)
        raise
    os.close(hold)
    if proc.returncode == soffice_guard.LAUNCH_FAILED and err.startswith(b"errno:"):
        number = int(err[6:].split(b"\n", 1)[0] or 0)
        raise _could_not_start(OSError(number, "")) from None
    return proc.returncode


def _stop(proc: subprocess.Popen, hold: int) -> None:
    """Close the lifeline and wait while the guardian kills LibreOffice and removes the folders."""
    os.close(hold)
    try:
        proc.communicate(timeout=_STOP_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def convert(source: Path, out_dir: Path, *, substitutes: dict[str, str] | None = None,
            timeout: float = TIMEOUT_S, scratch: Iterable[Path] = (), rows: int | None = None) -> Path:
    """Convert `source` to PDF in `out_dir`; returns the PDF's path. Raises XlkitError.

    `scratch`: the caller's temporary folders, removed by the guardian too should xlkit die
    while LibreOffice runs (a folder from work_folder(), which a later sweep would also remove).
    `rows`: the document's table rows, named in the message when the time runs out (the
    caller scales `timeout` with them: timeout_for).
    """
    soffice = find_soffice()
    if soffice is None:
        raise XlkitError(NOT_INSTALLED)
    sweep_leftovers()
    profile = Path(tempfile.mkdtemp(prefix=_temp_prefix("lo")))
    try:
        user = profile / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(
            _profile_xcu(missing_substitutes(substitutes or {})), encoding="utf-8")
        cmd = [
            soffice, f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", "pdf", "--outdir", str(out_dir), str(source),
        ]
        code = _guarded(cmd, profile, scratch, timeout, rows)
    finally:
        # the guardian's to remove; this is for when it could not start, or was killed
        shutil.rmtree(profile, ignore_errors=True)
    pdf = Path(out_dir) / (Path(source).stem + ".pdf")
    # soffice exits 0 even when it could not convert; the file is the only proof. Its own
    # words are English and are not shown
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise XlkitError("LibreOffice で PDF に変換できませんでした。"
                         + (f"（LibreOffice の終了コード {code}）" if code else ""))
    return pdf
