"""What several test files share: where things are, LibreOffice, text folding for comparisons, and
what a message staff read must be."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "workbooks" / "sample.xlsx"

# Found here, not by xlkit's own pdf.available() (code under test); in CI (CI set, as .ci/run
# does) LibreOffice tests never skip: a LibreOffice that is missing or not found fails them.
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None and not os.environ.get("CI"),
                                   reason="LibreOffice (soffice) is not installed")

_WS = re.compile(r"\s+")


def fold(text) -> str:
    """Text compared after folding whitespace, as the reference's extraction broke its lines."""
    return _WS.sub("", str(text or ""))


def folded(rows) -> list[list[str]]:
    return [[fold(c) for c in row] for row in rows]


def check_file(path):
    """入力チェック of a register file, as `xlkit validate` does it: read, then validate."""
    from xlkit.validation import validate_book
    from xlkit.workbook.reader import load

    return validate_book(load(path))


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def said(exc: BaseException) -> str:
    """The message staff read from `exc`: Japanese, with no exception name of Python's in it."""
    from xlkit.errors import XlkitError

    message = exc.message if isinstance(exc, XlkitError) else str(exc)
    assert JAPANESE.search(message), message
    for english in ("Error", "Exception", "Traceback"):
        assert english not in message, message
    return message


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """`xlkit ARGS…` in this process: (exit code, stdout, stderr)."""
    from xlkit import cli

    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err
