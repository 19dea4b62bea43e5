"""PDF by converting a written .docx/.xlsx with LibreOffice headless.

Each conversion runs with its own throw-away LibreOffice profile
(-env:UserInstallation=...) so that parallel runs, and a LibreOffice the user has open,
do not collide on the profile lock. The profile is seeded with a font replacement table:
the documents name the Windows fonts staff have (ＭＳ 明朝 …); where those are missing,
LibreOffice would otherwise draw Japanese in whatever font fontconfig offers first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from xlkit.errors import XlkitError

TIMEOUT_S = 300
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


def convert(source: Path, out_dir: Path, *, substitutes: dict[str, str] | None = None,
            timeout: float = TIMEOUT_S) -> Path:
    """Convert `source` to PDF in `out_dir`; returns the PDF's path. Raises XlkitError."""
    soffice = find_soffice()
    if soffice is None:
        raise XlkitError(NOT_INSTALLED)
    with tempfile.TemporaryDirectory(prefix="xlkit-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(
            _profile_xcu(missing_substitutes(substitutes or {})), encoding="utf-8")
        cmd = [
            soffice, f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", "pdf", "--outdir", str(out_dir), str(source),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise XlkitError(
                f"LibreOffice による PDF 変換が {int(timeout)} 秒で終わりませんでした。"
                "LibreOffice を閉じてからもう一度実行してください。") from None
        except OSError as exc:
            raise XlkitError(f"LibreOffice を起動できませんでした（{exc.strerror or exc}）。") from None
    pdf = Path(out_dir) / (Path(source).stem + ".pdf")
    # soffice exits 0 even when it could not convert; the file is the only proof
    if not pdf.is_file() or pdf.stat().st_size == 0:
        detail = (done.stderr or done.stdout or b"").decode("utf-8", "replace").strip()
        raise XlkitError("LibreOffice で PDF に変換できませんでした。"
                         + (f"（{detail[:300]}）" if detail else ""))
    return pdf
