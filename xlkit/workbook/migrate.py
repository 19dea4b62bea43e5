"""Bringing a register of an older format up to the current one, one step per format.

`STEPS[n]` turns a register of format n into one of format n + 1, working on the parts of the
file (workbook/package.py) and writing the new format number itself. A later issue that adds a
sheet, a column or a 設定 key raises xlkit.formats.CURRENT and adds its step here, with a test
that upgrades tests/fixtures/format1_sample.xlsm through every step (the step to format 3 is
workbook/format3.py, to format 4 workbook/format4.py, to format 5 workbook/format5.py, to format 6
workbook/format6.py;
tests/fixtures/format3_sample.xlsx/.xlsm, format4_sample.xlsx/.xlsm and format5_sample.xlsx/.xlsm
are registers of formats 3, 4 and 5 as `xlkit new` and `xlkit import` wrote them).

Every upgrade of a macro-enabled register, also one already of the current format, rebuilds its
VBA project from the installed xlwings (so the workbook's VBA and the Python package match again:
how an office fixes the mismatch `xlkit doctor` reports) and checks that every button of 「使い方」
is there and bound to its macro.
"""

from __future__ import annotations

import importlib
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from xlkit import formats
from xlkit.errors import XlkitError
from xlkit.workbook import design
from xlkit.workbook.package import Package
from xlkit.workbook.xml_attrs import attributes, start_tag

WORKBOOK = "xl/workbook.xml"
VBA_PARTS = frozenset({"xl/vbaProject.bin"})  # what vba.install_module rewrites
DEFINED_NAME = start_tag(b"definedName")  # format3, format5 read the names with it too
_SHEET_PR = start_tag(b"sheetPr")


@dataclass(frozen=True)
class Step:
    title: str  # Japanese, shown to staff: what the step adds
    apply: Callable[[Package], None]


# what a step changed that staff did not ask for and should hear of (a hidden range shown, a
# validation trimmed): kept beside the package, not in it, since a step only returns when done
_NOTES: "weakref.WeakKeyDictionary[Package, list[str]]" = weakref.WeakKeyDictionary()


def note(package: Package, text: str) -> None:
    """Record a Japanese line for the output of `xlkit upgrade` and 変更履歴."""
    _NOTES.setdefault(package, []).append(text)


def notes(package: Package) -> list[str]:
    """The lines `note` recorded for `package`, in order."""
    return list(_NOTES.get(package, []))


def set_format(package: Package, version: int) -> None:
    """Record `version` in the workbook name xlkit.formats.NAME (added when missing)."""
    set_name(package, formats.NAME, str(version))


def set_name(package: Package, name: str, content: str) -> None:
    """Give the workbook-level name `name` the formula `content` (the name is added when missing).

    The <definedName>s are read by their attributes, in either quote: a search for name="…" missed
    a workbook.xml written with single quotes, and a second xlkit_format was added that the
    reader never saw (the register stayed at its old format, every upgrade logging again)."""
    from xlkit.workbook.scan import unescape

    xml = package.read(WORKBOOK)
    text = xml_text(content)
    for m in DEFINED_NAME.finditer(xml):
        attrs = attributes(m["attrs"])
        if b"localSheetId" in attrs or unescape(attrs.get(b"name", b"")) != name:
            continue
        if m["empty"]:  # <definedName name="…"/>
            p = m["p"] or b""
            xml = xml[:m.start()] + b"<%sdefinedName%s>%s</%sdefinedName>" % (p, m["attrs"], text, p) + xml[m.end():]
        else:
            end = xml.find(b"<", m.end())
            if end < 0:
                raise XlkitError(f"「{package.path.name}」の workbook.xml が壊れているため、更新できません。")
            xml = xml[:m.end()] + text + xml[end:]
        break
    else:
        xml = add_names(package, xml, [(b' name="%s"' % xml_attr(name), text)])
    package.write(WORKBOOK, xml)


def add_names(package: Package, xml: bytes, names: list[tuple[bytes, bytes]]) -> bytes:
    """workbook.xml with a <definedName{attributes}>{text}</definedName> for each of `names`,
    at the end of <definedNames> (which is created when missing)."""
    p = _prefix(xml, b"workbook")
    new = b"".join(b"<%sdefinedName%s>%s</%sdefinedName>" % (p, attrs, text, p) for attrs, text in names)
    closing = re.search(rb"</(?:\w+:)?definedNames>", xml)
    if closing:
        return xml[:closing.start()] + new + xml[closing.start():]
    empty = re.search(rb"<((?:\w+:)?definedNames)\b[^>]*/>", xml)
    if empty:
        return xml[:empty.start()] + b"<%s>%s</%s>" % (empty[1], new, empty[1]) + xml[empty.end():]
    # CT_Workbook order: definedNames follows sheets, functionGroups and externalReferences
    anchor = None
    for tag in (rb"externalReferences", rb"functionGroups", rb"sheets"):
        anchor = re.search(rb"</(?:\w+:)?%s>|<(?:\w+:)?%s\b[^>]*/>" % (tag, tag), xml)
        if anchor:
            break
    if anchor is None:
        raise XlkitError(f"「{package.path.name}」の workbook.xml にシートの一覧がないため、更新できません。")
    block = b"<%sdefinedNames>%s</%sdefinedNames>" % (p, new, p)
    return xml[:anchor.end()] + block + xml[anchor.end():]


def _prefix(xml: bytes, root: bytes) -> bytes:
    """The namespace prefix ("x:") the part writes its root element `root` with, or b""."""
    m = re.search(rb"<(\w+:)?%s\b" % root, xml)
    return (m[1] or b"") if m else b""


def xml_text(text: str) -> bytes:
    return escape(text).encode("utf-8")


def xml_attr(text: str) -> bytes:
    return escape(text, {'"': "&quot;"}).encode("utf-8")


def _record_format(package: Package) -> None:
    set_format(package, 2)


def _step(module: str, function: str) -> Callable[[Package], None]:
    """`function` of xlkit.workbook.`module`, imported when the step runs: the step modules import
    this one (set_format, add_names …)."""
    def apply(package: Package) -> None:
        getattr(importlib.import_module(f"xlkit.workbook.{module}"), function)(package)

    return apply


STEPS: dict[int, Step] = {
    1: Step("登録簿の形式（形式 2）を記録する", _record_format),
    2: Step("回答状況・変更履歴のシート、設定の回答期限、登録簿の番号、使い方の照会票作成・回答取込の行を加える",
            _step("format3", "add_logs_settings_and_id")),
    3: Step("設定の締めた年度、課の開始日・終了日・後継の課、年度締めボタンを加える",
            _step("format4", "add_closed_years_divisions_and_button")),
    4: Step("審議案件の別紙の件名・別紙の担当課・事業内容３の見出し・外部提供の表題・外部提供の期間、"
            "外部提供のシート、設定のその他の記載を加える",
            _step("format5", "add_case_columns_provisions_and_other_note")),
    5: Step("xlwings.conf の Interpreter_Win（xlkit の Python の場所）と ADD_WORKBOOK_TO_PYTHONPATH、"
            "診断のシート、使い方の診断ボタンの行、"
            "ボタンが Python の有無を確かめるための文言のシート（.xlsm のみ）を加える",
            _step("format6", "add_interpreter_diagnosis_and_texts")),
}


def steps_from(version: int) -> list[Step]:
    missing = [v for v in range(version, formats.CURRENT) if v not in STEPS]
    if missing:  # a defect of xlkit, caught by tests/test_upgrade.py
        raise XlkitError(f"形式 {missing[0]} から更新する手順がありません。")
    return [STEPS[v] for v in range(version, formats.CURRENT)]


def apply(package: Package, version: int) -> list[str]:
    """Run every step from `version` to the current format on `package`; their titles."""
    done = []
    for step in steps_from(version):
        step.apply(package)
        done.append(step.title)
    return done


# --------------------------------------------------------------------------- VBA and buttons


def sheet_code_names(package: Package) -> dict[str, str]:
    """Sheet name -> VBA code name (Sheet1 …) of every sheet that has one (its <sheetPr>, in
    either quote, near the top of the part)."""
    from xlkit.workbook.scan import unescape

    codes = {}
    for sheet, part in package.sheet_parts().items():
        m = _SHEET_PR.search(package.read(part)[:4096])
        code = attributes(m["attrs"]).get(b"codeName") if m else None
        if code:
            codes[sheet] = unescape(code)
    return codes


def prepare_vba(package: Package) -> dict[str, str]:
    """Put the installed xlwings' VBA project in place; returns the sheets' code names for
    `vba.install_module`, which adds our module and the sheets' document modules."""
    from xlkit.workbook import vba

    if vba.VBA_ENTRY not in package:
        raise XlkitError(f"「{package.path.name}」には VBA プロジェクトがないため、ボタンを作り直せません。"
                         "xlkit new でボタン付きの登録簿（.xlsm）を作成し、値を移してください。")
    package.write(vba.VBA_ENTRY, vba.template_bytes())
    return sheet_code_names(package)


@dataclass(frozen=True)
class DroppedModule:
    """A module of the register's VBA project, or the code in a document module, that the rebuild
    (prepare_vba, vba.install_module) does not carry over."""

    name: str
    sheet: str | None  # the sheet of a document module ("" the workbook's); None: a module staff added
    source: str
    code_page: int
    standard: bool

    @property
    def label(self) -> str:
        """How staff know it: the module's name, and for code in a document module whose code it is."""
        if self.sheet is None:
            return self.name
        return f"{self.name}（{'ブック' if not self.sheet else f'シート「{self.sheet}」'}のコード）"


def dropped_modules(package: Package) -> list[DroppedModule] | None:
    """What the rebuild of a macro-enabled register loses: every module that is not the installed
    xlwings' (its Module1 aside), ours (vba.MODULE_NAME) or a sheet's or the workbook's document
    module, and code staff wrote into a document module (the rebuild gives each an empty one).

    Read from the register as it is on disk, before prepare_vba replaces the project. The modules
    are named and written out rather than carried over: carried over, a staff Sub named like one of
    ours or xlwings' would stop every button (an ambiguous name is a compile error), a module saved
    in another code page would be garbled, and a UserForm cannot be rebuilt from its source.
    None when the old project cannot be read."""
    from pyopenvba import ExcelFile, PyOpenVBAError

    from xlkit.workbook import scan, vba

    codes = sheet_code_names(package)
    workbook_code = scan.workbook_property(package, "codeName") or "ThisWorkbook"
    documents = {code.casefold(): sheet for sheet, code in codes.items()}
    documents[workbook_code.casefold()] = ""
    try:
        with ExcelFile(vba.template_workbook()) as template:
            ours = {n.casefold() for n in template.vba_project().module_names()} - {vba.TEMPLATE_MODULE.casefold()}
        ours |= {vba.MODULE_NAME.casefold()}
        with ExcelFile(package.path) as book:
            project = book.vba_project()
            code_page = project.code_page
            found = []
            for name in project.module_names():
                module = project.get_module(name)
                source = module.source if isinstance(module.source, str) else ""
                standard = module.kind.name == "standard"
                if name.casefold() in documents:
                    if _has_code(source):
                        found.append(DroppedModule(name, documents[name.casefold()], source, code_page, standard))
                elif name.casefold() not in ours:
                    found.append(DroppedModule(name, None, source, code_page, standard))
            return found
    except (PyOpenVBAError, OSError, ValueError, KeyError):
        # the rebuild does not read the old project, so an upgrade never failed on one it cannot
        # read: it goes on, and the caller says the modules were not checked
        return None


def _has_code(source: str) -> bool:
    """Whether a module's source has more than its attributes and Option lines."""
    return any(line.strip() and not line.lstrip().startswith(("Attribute ", "Option ", "'"))
               for line in source.splitlines())


def export_modules(folder: Path, stem: str, modules: list[DroppedModule]) -> list[Path]:
    """Write each module's source beside the register as the VBA editor exports it (.bas for a
    standard module, .cls otherwise; the project's code page, CRLF), never over a file there."""
    written = []
    for module in modules:
        suffix = ".bas" if module.standard else ".cls"
        try:
            data = module.source.encode(f"cp{module.code_page}")
        except (LookupError, UnicodeEncodeError):
            data = module.source.encode("utf-8")
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        n = 1
        while True:
            target = folder / f"{stem}_{module.name}{'' if n == 1 else f'({n})'}{suffix}"
            try:
                with open(target, "xb") as out:
                    out.write(data)
                break
            except FileExistsError:
                n += 1
        written.append(target)
    return written


def unbound_buttons(package: Package) -> list[str]:
    """Captions of the buttons of 「使い方」 that are missing or call another macro."""
    macros: set[str] = set()
    part = package.sheet_part(design.HOWTO)
    for vml in package.related(part, "vmlDrawing"):
        macros |= {m.decode().strip() for m in re.findall(rb"<x:FmlaMacro>([^<]*)</x:FmlaMacro>", package.read(vml))}
    return [b.caption for b in design.BUTTONS if f"[0]!{b.sub}" not in macros and b.sub not in macros]


def rebuild_buttons(package: Package) -> None:
    """Replace the buttons' drawing of 「使い方」 with the one `xlkit new` writes today."""
    from xlkit.files import scratch
    from xlkit.workbook import builder

    ours = package.related(package.sheet_part(design.HOWTO), "vmlDrawing")
    if len(ours) != 1:
        raise XlkitError(f"「{package.path.name}」の「{design.HOWTO}」シートにボタンの図形がないため、ボタンを作り直せません。"
                         "xlkit new でボタン付きの登録簿を作成し、値を移してください。")
    from xlkit.workbook.howto_rows import update_howto_buttons

    update_howto_buttons(package)  # the fresh drawing puts each button on its row of today's 使い方
    with scratch(package.path.parent, ".xlsm", owner=package.path.name) as tmp:
        builder.write_buttons_source(tmp)
        with Package(tmp) as fresh:
            theirs = fresh.related(fresh.sheet_part(design.HOWTO), "vmlDrawing")
            package.write(ours[0], fresh.read(theirs[0]))


def vba_version_change(path: Path) -> tuple[str, str] | None:
    """(the XLWINGS_VERSION of the register's VBA, the installed xlwings') when they differ: what the
    rebuild changes, and what `xlkit doctor` reports until it is done. None when they agree or the
    register's project cannot be read."""
    from xlkit.workbook import vba

    old, new = vba.xlwings_version(path), vba.installed_xlwings_version()
    return (old, new) if old is not None and old != new else None


def finish_vba(sheet_codes: dict[str, str]) -> Callable[[Path, Path], None]:
    from xlkit.workbook import vba

    def finish(written: Path, final: Path) -> None:
        vba.install_module(written, final, sheet_codes)

    return finish
