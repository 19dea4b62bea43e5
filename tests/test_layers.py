"""The layers of xlkit, as the tree shows them (the map is in xlkit/__init__.py and the README).

The core is plain Python over plain data: it never imports an Excel, Word or XML library. The
doors (buttons, command line, notebook) and the adapters (workbook files, report writers) do.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from support import REPO

PACKAGE = REPO / "xlkit"

# The core, named one by one: a new module is a decision about its layer, not a default.
CORE = ("addresses", "cells", "answers", "closing", "closing_tasks", "collect_log", "datafiles", "dates", "diagnosis", "errors", "figures", "files", "formats", "history", "inquiry_tasks", "installation", "issues", "onedrive", "limits", "linebreak", "lock",
        "owner_files", "processes", "messages", "org", "pasted_table", "records", "register", "reorg", "reorg_tasks", "rules", "schema", "inquiry", "tasks", "validation",
        "widths")
# The report builders decide every string of a report and are as pure as the core.
REPORT_MODEL = ("export.model", "export.layout", "export.linkages", "export.cases")
# The adapters: reading and writing register files, writing reports
ADAPTERS = ("workbook.reader", "workbook.scan", "workbook.guard", "workbook.package", "workbook.writer", "workbook.appender", "workbook.row_insert", "workbook.sheet_xml",
            "workbook.stylesheet", "workbook.xml_attrs", "workbook.migrate", "workbook.format3", "workbook.format4", "workbook.format5", "workbook.format6", "workbook.howto_rows", "workbook.builder", "workbook.design", "workbook.inquiry_form",
            "workbook.styles", "workbook.vba", "attachments", "doctor_facts", "bundle_build", "bundle_lock", "bundle_pip", "bundle_files", "export.api", "export.docx_writer", "export.docx_fast",
            "export.xlsx_writer", "export.pdf", "export.soffice_guard")
DOORS = ("cli", "macros", "macros_close", "macros_survey", "macros_doctor", "summary_sheet", "notebook", "commands.demo", "commands.new", "commands.validate",
         "commands.summarize", "commands.import_table", "commands.export", "commands.upgrade", "commands.survey",
         "commands.collect", "commands.close_year", "commands.reorganise", "commands.doctor", "commands.bundle")

FORBIDDEN = {"openpyxl", "xlsxwriter", "xlwings", "python_calamine", "docx", "lxml", "pandas", "pyopenvba", "PIL",
             "pypdfium2"}
# What the core may reach outside itself, and only inside a function (loaded when that use case
# runs): the file reader, the register writer and the row appender for `import`, the writer and
# the format steps for `upgrade`, the report writers for exports, and the workbook's tab order
# (plain names) for sorting issues.
LAZY_EDGES = {
    "tasks": {"xlkit.attachments", "xlkit.export.api", "xlkit.export.cases", "xlkit.workbook.reader", "xlkit.workbook.appender", "xlkit.workbook.format6",
              "xlkit.workbook.writer", "xlkit.workbook.migrate"},
    "inquiry_tasks": {"xlkit.workbook.reader", "xlkit.workbook.writer", "xlkit.workbook.appender",
                      "xlkit.workbook.inquiry_form"},
    "issues": {"xlkit.workbook.design"},
    "reorg_tasks": {"xlkit.workbook.reader", "xlkit.workbook.scan", "xlkit.workbook.writer", "xlkit.workbook.appender", "xlkit.workbook.row_insert"},
    "closing_tasks": {"xlkit.workbook.reader", "xlkit.workbook.writer", "xlkit.workbook.appender",
                      "xlkit.export.api", "xlkit.export.layout", "xlkit.export.pdf"},
}


def _path(module: str) -> Path:
    return PACKAGE.joinpath(*module.split(".")).with_suffix(".py")


def _imports(module: str) -> list[tuple[str, bool]]:
    """(absolute module name, at module level?) for every import statement of `module`."""
    tree = ast.parse(_path(module).read_text(encoding="utf-8"))
    package = ["xlkit", *module.split(".")[:-1]]
    top = {id(node) for node in tree.body} | {id(n) for node in tree.body if isinstance(node, ast.If)
                                              for n in node.body}  # `if TYPE_CHECKING:` counts as top
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] if base in ("xlkit", "xlkit.export", "xlkit.workbook") else [base]
            found += [(name, id(node) in top) for name in names]
    return found


def _is_module(name: str) -> bool:
    return name.startswith("xlkit") and _path(name.removeprefix("xlkit.")).is_file() if name != "xlkit" else False


def test_every_module_has_a_layer():
    named = {*CORE, *REPORT_MODEL, *ADAPTERS, *DOORS}
    present = {".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py")
               if p.name != "__init__.py"}
    assert present == named, f"unplaced: {sorted(present - named)}, gone: {sorted(named - present)}"


@pytest.mark.parametrize("module", CORE + REPORT_MODEL)
def test_the_core_imports_no_excel_word_or_xml_library(module):
    bad = [name for name, _ in _imports(module) if name.split(".")[0] in FORBIDDEN]
    assert bad == [], f"xlkit.{module} imports {bad}"


@pytest.mark.parametrize("module", CORE + REPORT_MODEL)
def test_the_core_reaches_outside_itself_only_where_named_and_lazily(module):
    inside = {f"xlkit.{m}" for m in CORE + REPORT_MODEL} | {"xlkit"}
    for name, at_top in _imports(module):
        if not name.startswith("xlkit") or not _is_module(name) or name in inside:
            continue
        assert name in LAZY_EDGES.get(module, set()), f"xlkit.{module} imports {name}"
        assert not at_top, f"xlkit.{module} imports {name} at module level: load it where it is used"


def test_the_import_reader_sees_top_level_lazy_and_relative_imports():
    """The checks above would pass vacuously if the reader missed imports: it must see these."""
    assert ("docx", True) in _imports("export.docx_writer")
    assert ("xlwings", False) in _imports("macros")  # inside a function
    assert ("xlkit.workbook.reader", False) in _imports("tasks")  # `from .workbook import reader`
    assert ("xlkit.records", True) in _imports("register")  # `from .records import …`


def test_importing_the_core_loads_no_excel_word_or_xml_library():
    modules = ", ".join(f"xlkit.{m}" for m in CORE + REPORT_MODEL)
    code = (f"import sys, {modules}\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(FORBIDDEN)!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_no_two_modules_share_a_file_name():
    names = Counter(p.name for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")
    assert [n for n, count in names.items() if count > 1] == []


def test_the_layer_map_and_the_readme_name_every_module():
    """xlkit/__init__.py's map and the README's 構成 section name each module, and no module that is gone."""
    doc = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 構成", 1)[1].split("\n## ", 1)[0]
    modules = {*CORE, *REPORT_MODEL, *ADAPTERS, *DOORS}
    for text, where in ((doc, "xlkit/__init__.py"), (section, "README 構成")):
        named = set(re.findall(r"`((?:export/|workbook/|commands/)?[a-z_0-9]+)\.py`", text))
        named = {n.replace("/", ".") for n in named}
        assert named == modules, f"{where}: missing {sorted(modules - named)}, stale {sorted(named - modules)}"


def test_tests_import_the_payload_harness_from_tests_support():
    """The remote-engine harness is test code: it does not ship in the package."""
    assert not (PACKAGE / "workbook" / "payload.py").exists()
    assert (REPO / "tests" / "support" / "payload.py").is_file()
