"""The facts of a healthy office PC for the tests of `xlkit doctor` (a Windows PC's, on any
machine), one check read from them, and a register made by `xlkit new`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from support import japanese, run_cli
from xlkit import diagnosis as doctor, formats, installation
from xlkit.diagnosis import Conf, Facts

HOME = r"C:\Users\tanaka"
LOCAL = HOME + r"\AppData\Local"
BUNDLE_PYTHON = LOCAL + r"\xlkit\.venv\Scripts\python.exe"
REGISTER = HOME + r"\Documents\register\touroku.xlsm"
ENV = {"LOCALAPPDATA": LOCAL, "USERPROFILE": HOME, "OneDrive": HOME + r"\OneDrive - Minato City"}


def windows(**changes) -> Facts:
    """A healthy Windows PC with a register of this xlkit's format, its xlwings.conf sheet as
    `xlkit new` writes it; `changes` break one thing."""
    facts = Facts(
        windows=True, python=(3, 12, 4), executable=BUNDLE_PYTHON, xlkit_version="0.1.0",
        xlkit_place=LOCAL + r"\xlkit\.venv\Lib\site-packages\xlkit", xlwings="0.37.8", pywin32="",
        environ=ENV, exists={BUNDLE_PYTHON: True}, user_conf=Conf(HOME + r"\.xlwings\xlwings.conf"),
        soffice=r"C:\Program Files\LibreOffice\program\soffice.exe", word=True,
        register=REGISTER, macro=True, format=formats.CURRENT, vba_version="0.37.8",
        sheet_conf=doctor.sheet_conf([["Interpreter_Win", installation.INTERPRETER_WIN],
                                      ["ADD_WORKBOOK_TO_PYTHONPATH", False]], "xlwings.conf"),
        folder_conf=Conf(HOME + r"\Documents\register\xlwings.conf"),
        exports=HOME + r"\Documents\register\exports", exports_kind="folder")
    return dataclasses.replace(facts, **changes)


def line(facts: Facts, item: str) -> doctor.Check:
    """The one check of `facts` whose item starts with `item`, every word of it Japanese."""
    found = [c for c in doctor.diagnose(facts) if c.item.startswith(item)]
    assert len(found) == 1, [c.item for c in doctor.diagnose(facts)]
    check = found[0]
    assert check.result in doctor.RESULTS
    for text in (check.item, check.detail, check.fix):
        japanese(text)
    return check


def new_register(folder: Path, name: str = "登録簿.xlsm") -> Path:
    """A register `xlkit new` makes in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    code, _, err = run_cli(None, "new", path)
    assert code == 0, err
    return path
