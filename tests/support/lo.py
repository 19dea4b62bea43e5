"""Running our UNO script (tests/uno/lo_register.py) in LibreOffice, and a PDF page as a PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

SCRIPT = REPO / "tests" / "uno" / "lo_register.py"
DOCS = REPO / "docs"


def uno_python() -> str:
    for candidate in ("/usr/bin/python3", sys.executable, shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0:
            return candidate
    pytest.fail("LibreOffice is installed but no Python can import uno (install python3-uno)")


def lo(command: str, book: Path, out: Path) -> None:
    """`inspect` (a JSON report) or `render` (a PDF per sheet and sheets.json) of `book` into `out`."""
    done = subprocess.run([uno_python(), str(SCRIPT), command, str(book), str(out)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]


def pdftoppm(pdf: Path, png_base: Path) -> Path:
    """The first page of `pdf` as `png_base`.png at 70 dpi."""
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png_base)],
                   check=True, capture_output=True)
    return png_base.with_suffix(".png")


def inspect(book: Path, folder: Path) -> dict:
    """What LibreOffice reports of `book` (its sheets, buttons, modules, validations …)."""
    out = folder / f"{book.stem}.json"
    lo("inspect", book, out)
    return json.loads(out.read_text(encoding="utf-8"))
