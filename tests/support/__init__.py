"""What several test files share: where things are, LibreOffice, text folding for comparisons, and
what a message staff read must be (said, japanese)."""

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


ENGLISH = re.compile(r"Traceback|Error\b|Exception|errno|\b[A-Z][a-z]+Error")


def japanese(text: str) -> str:
    """A message staff read (stderr, an alert): Japanese, no traceback, no English exception name."""
    assert JAPANESE.search(text), text
    assert not ENGLISH.search(text), text
    return text


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """`xlkit ARGS…` in this process: (exit code, stdout, stderr). `capsys` None (a fixture of a
    module's scope has none): the output is caught here."""
    import contextlib
    import io

    from xlkit import cli

    if capsys is None:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run_cli_said(capsys, *args) -> tuple[int, str, str]:
    """run_cli, with what staff read checked on the way (as `said` checks a message): no Python
    words in it (a traceback, an exception's English name), and a refusal said in Japanese."""
    code, out, err = run_cli(capsys, *args)
    for english in ("Traceback", "Error", "Exception"):
        assert english not in out + err, out + err
    if code:
        assert JAPANESE.search(err), err
    return code, out, err


def digest(path) -> str:
    """A file's SHA-256: whether a refused command left it byte for byte."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
