"""The VBA project of a controlled register.

The project is the one xlwings ships in ``quickstart_standalone.xlsm`` (the BSD-licensed
``xlwings`` module and its ``Dictionary`` class, so no add-in is needed and the VBA matches the
installed xlwings). XlsxWriter embeds it; pyOpenVBA then removes the template's ``Module1``,
adds a document module for every sheet the template does not have, and adds our module
``xlkit``: one sub per button, each checking that the interpreter exists before its RunPython line.

pyOpenVBA writes module source only (the compiled performance cache is dropped), so Excel
compiles the project from source the first time the workbook is opened.
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import cache
from pathlib import Path

from xlkit.errors import SetupError
from xlkit.workbook import design

MODULE_NAME = "xlkit"
TEMPLATE_MODULE = "Module1"
VBA_ENTRY = "xl/vbaProject.bin"


def template_workbook() -> Path:
    try:
        import xlwings
    except ImportError:
        raise SetupError("xlwings が入っていないため、ボタン付きの登録簿（.xlsm）を作成できません。"
                         "xlkit を入れ直すか、ボタンのない登録簿（.xlsx）を作成してください。") from None
    path = Path(xlwings.__file__).resolve().parent / "quickstart_standalone.xlsm"
    if not path.is_file():
        raise SetupError(f"xlwings {xlwings.__version__} に、ボタン付きの登録簿（.xlsm）の元になる quickstart_standalone.xlsm "
                         "がありません。xlwings を入れ直すか、ボタンのない登録簿（.xlsx）を作成してください。")
    return path


@cache
def template_bytes() -> bytes:
    with zipfile.ZipFile(template_workbook()) as z:
        return z.read(VBA_ENTRY)


_VERSION = re.compile(r'^\s*Public\s+Const\s+XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]*)"', re.I | re.M)


def installed_xlwings_version() -> str:
    """The XLWINGS_VERSION of the VBA the installed xlwings ships: what `xlkit new` and `xlkit
    upgrade` put into a register."""
    import xlwings

    return xlwings.__version__


# why read_xlwings_version found no version (xlkit doctor words each for staff)
NO_PROJECT, NO_MODULE, UNREADABLE, NO_CONSTANT = "no-project", "no-module", "unreadable", "no-constant"


def read_xlwings_version(path: str | Path) -> tuple[str | None, str]:
    """(the XLWINGS_VERSION constant of the xlwings module in the register's VBA project — the
    xlwings the buttons' VBA was made for —, "") or (None, why not: NO_PROJECT, NO_MODULE,
    UNREADABLE or NO_CONSTANT). A register whose version differs from installed_xlwings_version()
    is put right by `xlkit upgrade`, which rebuilds the project."""
    from pyopenvba import ExcelFile, NoVBAProjectError, PyOpenVBAError

    try:
        with ExcelFile(Path(path)) as book:
            project = book.vba_project()
            name = next((n for n in project.module_names() if n.casefold() == "xlwings"), None)
            if name is None:
                return None, NO_MODULE
            source = project.get_module(name).source
    except NoVBAProjectError:
        return None, NO_PROJECT
    except (PyOpenVBAError, OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None, UNREADABLE  # not a workbook pyOpenVBA reads
    found = _VERSION.search(source) if isinstance(source, str) else None
    return (found[1], "") if found else (None, NO_CONSTANT)


def xlwings_version(path: str | Path) -> str | None:
    """read_xlwings_version's version; None when there is none to compare."""
    return read_xlwings_version(path)[0]


def template_project() -> io.BytesIO:
    """The xlwings standalone VBA project, for XlsxWriter's add_vba_project(is_stream=True)."""
    return io.BytesIO(template_bytes())


# The message when design.MACRO_TEXTS cannot be found (a sheet deleted, a register made by hand):
# ASCII, as the module must be, and still naming the path and the fix rather than doing nothing.
FALLBACK_TEXTS = {
    "interpreter_missing_title": "xlkit: Python not found",
    "interpreter_missing": ("The Python that runs the buttons of xlkit was not found:" + "\n" + "{path}" + "\n\n"
                            "Run the setup (.bat) of the xlkit install folder, or ask the system staff." + "\n"
                            "To see the cause, run: xlkit doctor"),
}


def _vba_string(text: str) -> str:
    """`text` as a VBA expression: a quoted literal, its line breaks as vbLf."""
    tokens: list[str] = []
    for i, part in enumerate(text.split("\n")):
        if i:
            tokens.append("vbLf")
        if part:
            tokens.append('"' + part.replace('"', '""') + '"')
    return " & ".join(tokens)


def module_source() -> str:
    """Our standard module. ASCII only.

    Each button's sub first checks that the Python xlwings' RunPython will start exists, and only
    then hands RunPython its single line (design.Button.vba): without the check, a register opened on
    a PC where the bundle is not installed shows xlwings' English "Could not find Interpreter!" or
    nothing at all. The interpreter is found as RunPython finds it (GetConfig of INTERPRETER_WIN,
    else the legacy INTERPRETER, else "python"); "python" and "pythonw" are looked up on PATH by
    cmd.exe and cannot be checked here, so they pass, as does a Mac (RunPython reads INTERPRETER_MAC
    there, and xlkit's install is for Windows). The message is read from the very hidden sheet
    design.MACRO_TEXTS, found by the ASCII key in its A1, so the module carries no Japanese."""
    texts = _vba_string(FALLBACK_TEXTS["interpreter_missing"])
    title = _vba_string(FALLBACK_TEXTS["interpreter_missing_title"])
    lines = [
        f'Attribute VB_Name = "{MODULE_NAME}"',
        "Option Explicit",
        "",
        f'Private Const TEXTS_KEY As String = "{design.MACRO_TEXTS_KEY}"',
        f'Private Const PATH_PLACEHOLDER As String = "{design.PATH_PLACEHOLDER}"',
        "",
    ]
    for button in design.BUTTONS:
        lines += [f"Public Sub {button.sub}()", "    If Not XlkitInterpreterReady() Then Exit Sub",
                  f"    {button.vba}", "End Sub", ""]
    lines += [
        "' The interpreter RunPython will start, found the way RunPython finds it. xlwings' functions are",
        "' called by their module's name: a FileExists or GetConfig of another module (or LibreOffice's",
        "' own FileExists) is never taken for them.",
        "Public Function XlkitInterpreter() As String",
        "    Dim found As String",
        '    If InStr(1, Application.OperatingSystem, "Mac", vbTextCompare) > 0 Then Exit Function',
        '    found = xlwings.GetConfig("INTERPRETER_WIN", "")',
        '    If found = "" Then found = xlwings.GetConfig("INTERPRETER", "python")',
        "    XlkitInterpreter = found",
        "End Function",
        "",
        "' The message to show when that interpreter is missing; empty when the buttons may run.",
        "Public Function XlkitMissingInterpreter() As String",
        "    Dim found As String",
        "    found = XlkitInterpreter()",
        '    If found = "" Or found = "python" Or found = "pythonw" Then Exit Function',
        "    If xlwings.FileExists(found) Then Exit Function",
        '    XlkitMissingInterpreter = Replace(XlkitText("interpreter_missing"), PATH_PLACEHOLDER, found)',
        "End Function",
        "",
        "Private Function XlkitInterpreterReady() As Boolean",
        "    Dim message As String",
        "    message = XlkitMissingInterpreter()",
        '    If message = "" Then',
        "        XlkitInterpreterReady = True",
        "    Else",
        '        MsgBox message, vbCritical, XlkitText("interpreter_missing_title")',
        "    End If",
        "End Function",
        "",
        "' A text of the hidden sheet whose A1 is TEXTS_KEY (key in A, text in B), its line breaks as",
        "' the message box shows them; the ASCII fallback when the sheet or the key is missing.",
        "Public Function XlkitText(key As String) As String",
        "    Dim sheet As Object, row As Long, found As String",
        "    For Each sheet In ThisWorkbook.Worksheets",
        "        If XlkitCellText(sheet.Cells(1, 1)) = TEXTS_KEY Then",
        "            row = 2",
        '            Do While XlkitCellText(sheet.Cells(row, 1)) <> ""',
        "                If XlkitCellText(sheet.Cells(row, 1)) = key Then found = XlkitCellText(sheet.Cells(row, 2))",
        "                row = row + 1",
        "            Loop",
        "            Exit For",
        "        End If",
        "    Next sheet",
        '    If found = "" Then',
        '        If key = "interpreter_missing_title" Then',
        f"            found = {title}",
        "        Else",
        f"            found = {texts}",
        "        End If",
        "    End If",
        '    XlkitText = Replace(Replace(found, vbCr, ""), vbLf, vbCrLf)',
        "End Function",
        "",
        "' Every sheet's A1 is read to find the texts: an error value there (#N/A of a staff formula)",
        "' would stop CStr, and so every button, with Excel's English type-mismatch error.",
        "Private Function XlkitCellText(ByVal cell As Object) As String",
        "    If Not IsError(cell.Value) Then XlkitCellText = CStr(cell.Value)",
        "End Function",
        "",
    ]
    source = "\r\n".join(lines)
    source.encode("ascii")  # the module is read with the project's code page: keep it ASCII
    return source


def _document_header(code_name: str) -> str:
    from pyopenvba._new_project import document_header

    return document_header(code_name, "0{00020820-0000-0000-C000-000000000046}")


def install_module(source: Path, dest: Path, sheet_codes: dict[str, str]) -> None:
    """Write ``dest``: ``source`` with Module1 replaced by our module, every sheet with its document module."""
    from pyopenvba import ExcelFile, VBAModuleKind

    with ExcelFile(source) as book:
        project = book.vba_project()
        present = {name.casefold() for name in project.module_names()}
        missing = [code for code in sheet_codes.values() if code.casefold() not in present]
        # A module added here is declared "Document" in the PROJECT stream only when pyOpenVBA
        # knows it as one; that is how its add_vba_project declares the sheets it creates.
        book._document_names = set(book._document_names) | {code.casefold() for code in missing}
        for code in missing:
            project.add_module(code, _document_header(code), kind=VBAModuleKind.other)
        if TEMPLATE_MODULE in project.module_names():
            project.delete_module(TEMPLATE_MODULE)
        project.add_module(MODULE_NAME, module_source())
        book.save(dest)
