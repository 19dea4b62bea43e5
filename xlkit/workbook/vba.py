"""The VBA project of a controlled register.

The project is the one xlwings ships in ``quickstart_standalone.xlsm`` (the BSD-licensed
``xlwings`` module and its ``Dictionary`` class, so no add-in is needed and the VBA matches the
installed xlwings). XlsxWriter embeds it; pyOpenVBA then removes the template's ``Module1``,
adds a document module for every sheet the template does not have, and adds our module
``xlkit`` of one-line subs, one per button.

pyOpenVBA writes module source only (the compiled performance cache is dropped), so Excel
compiles the project from source the first time the workbook is opened.
"""

from __future__ import annotations

import io
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


def template_project() -> io.BytesIO:
    """The xlwings standalone VBA project, for XlsxWriter's add_vba_project(is_stream=True)."""
    return io.BytesIO(template_bytes())


def module_source() -> str:
    """Our standard module: one sub per button, each a single RunPython line. ASCII only."""
    lines = [f'Attribute VB_Name = "{MODULE_NAME}"', "Option Explicit", ""]
    for button in design.BUTTONS:
        lines += [f"Public Sub {button.sub}()", f"    {button.vba}", "End Sub", ""]
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
