"""The controlled .xlsm: the VBA read back from the file, buttons bound to existing subs, edits kept."""

from __future__ import annotations

import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET

import olefile
import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser
from pyopenvba import ExcelFile

from xlkit import macros
from support.buttons import BUTTONS
from xlkit.workbook import design
from xlkit.workbook.builder import build

# sub -> (caption, its VBA line): tests/support/buttons.py writes them out
EXPECTED = {sub: (caption, f'RunPython "{line}"') for caption, sub, line in BUTTONS}


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory):
    return build(tmp_path_factory.mktemp("xlsm") / "登録簿.xlsm")


def _olevba_modules(path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def _subs(code: str) -> dict[str, list[str]]:
    """sub name -> the statements of its body."""
    out = {}
    for m in re.finditer(r"(?ims)^\s*(?:public\s+)?sub\s+(\w+)\s*\(\s*\)\s*$(.*?)^\s*end\s+sub", code):
        out[m[1]] = [line.strip() for line in m[2].splitlines() if line.strip()]
    return out


def test_each_sub_is_one_exact_runpython_line(xlsm):
    modules = _olevba_modules(xlsm)
    assert "xlkit" in modules
    subs = _subs(modules["xlkit"])
    # each sub first checks that the interpreter exists (format 6), then hands RunPython its one line
    assert subs == {sub: ["If Not XlkitInterpreterReady() Then Exit Sub", line] for sub, (_, line) in EXPECTED.items()}
    for sub, (_, line) in EXPECTED.items():
        function = re.search(r"m\.(\w+)\(\)", line)[1]
        assert callable(getattr(macros, function))
    modules["xlkit"].encode("ascii")


def test_project_is_the_installed_xlwings_standalone_one(xlsm):
    modules = _olevba_modules(xlsm)
    assert "Module1" not in modules  # the template's sample module is gone
    assert "Dictionary" in modules
    version = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', modules["xlwings"])[1]
    assert version == xlwings.__version__
    assert "Public Function RunPython(PythonCommand As String)" in modules["xlwings"]


def test_every_sheet_has_its_document_module(xlsm):
    with zipfile.ZipFile(xlsm) as z:
        workbook = z.read("xl/workbook.xml").decode()
        codes = [re.search(r'<sheetPr[^>]*codeName="([^"]+)"', z.read(n).decode())[1]
                 for n in sorted(x for x in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", x))]
        project = olefile.OleFileIO(z.read("xl/vbaProject.bin")).openstream("PROJECT").read().decode("latin-1")
    assert 'codeName="ThisWorkbook"' in workbook
    assert len(codes) == len(design.macro_sheet_order())  # with the very hidden ボタンの文言
    declared = re.findall(r"^Document=(\w+)/", project, re.M)
    assert set(declared) == {"ThisWorkbook", *codes}
    assert re.findall(r"^Module=(\w+)", project, re.M) == ["xlwings", "xlkit"]
    with ExcelFile(xlsm) as book:
        assert book.validate() == []


_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _part(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels(z, part: str) -> dict[str, str]:
    name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if name not in z.namelist():
        return {}
    return {r.get("Id"): _part(part, r.get("Target")) for r in ET.fromstring(z.read(name)).iter(_REL)}


def _buttons(path) -> list[tuple[str, str, str]]:
    """(sheet, caption, macro) of every form button in the file's VML drawings, in sheet order."""
    out = []
    with zipfile.ZipFile(path) as z:
        book_rels = _rels(z, "xl/workbook.xml")
        for sheet in ET.fromstring(z.read("xl/workbook.xml")).iter(f"{_MAIN}sheet"):
            part = book_rels[sheet.get(_R)]
            root = ET.fromstring(z.read(part))
            drawing = root.find(f"{_MAIN}legacyDrawing")
            if drawing is None:
                continue
            vml = z.read(_rels(z, part)[drawing.get(_R)]).decode()
            for shape in re.findall(r"<v:shape .*?</v:shape>", vml, re.S):
                if 'ObjectType="Button"' not in shape:
                    continue
                caption = re.sub(r"<[^>]+>", "", re.search(r"<v:textbox.*?</v:textbox>", shape, re.S)[0])
                macro = re.search(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>", shape)[1]
                out.append((sheet.get("name"), caption.strip(), macro))
    return out


def test_every_button_is_bound_to_an_existing_sub(xlsm):
    subs = _subs(_olevba_modules(xlsm)["xlkit"])
    buttons = _buttons(xlsm)
    assert [(caption, macro) for _, caption, macro in buttons] == \
        [(caption, f"[0]!{sub}") for sub, (caption, _) in EXPECTED.items()]
    assert {sheet for sheet, _, _ in buttons} == {"使い方"}
    howto = openpyxl.load_workbook(xlsm)["使い方"]
    assert howto.protection.sheet and howto.protection.objects  # the buttons cannot be moved or edited
    for _, _, macro in buttons:
        assert macro.removeprefix("[0]!") in subs


def test_plain_xlsx_has_no_project_and_no_buttons(tmp_path):
    path = build(tmp_path / "r.xlsx")
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" not in z.namelist()
    assert _buttons(path) == []
    # the same sheets, but for the texts of the VBA the .xlsx has no use for
    assert openpyxl.load_workbook(path).sheetnames == list(design.sheet_order())
    assert openpyxl.load_workbook(build(tmp_path / "r.xlsm")).sheetnames == [*design.sheet_order(), design.MACRO_TEXTS]


def test_openpyxl_edit_with_keep_vba_keeps_project_and_buttons(xlsm, tmp_path):
    edited = tmp_path / "edited.xlsm"
    wb = openpyxl.load_workbook(xlsm, keep_vba=True)
    wb["外部結合"]["A2"] = "R7-001"
    wb.save(edited)
    with zipfile.ZipFile(xlsm) as a, zipfile.ZipFile(edited) as b:
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")
    assert [(c, m) for _, c, m in _buttons(edited)] == [(c, m) for _, c, m in _buttons(xlsm)]
    assert _subs(_olevba_modules(edited)["xlkit"]) == _subs(_olevba_modules(xlsm)["xlkit"])
    back = openpyxl.load_workbook(edited)
    assert back["外部結合"]["A2"].value == "R7-001"
    assert "表_外部結合" in back["外部結合"].tables
    assert back["課"].protection.sheet
    assert len(back["外部結合"].data_validations.dataValidation) == \
        len(openpyxl.load_workbook(xlsm)["外部結合"].data_validations.dataValidation)


def test_xlsm_failure_leaves_no_file(tmp_path, monkeypatch):
    from xlkit.workbook import vba

    def boom(*args, **kwargs):
        raise RuntimeError("pyOpenVBA failed")

    monkeypatch.setattr(vba, "install_module", boom)
    with pytest.raises(RuntimeError):
        build(tmp_path / "r.xlsm")
    assert list(tmp_path.iterdir()) == []


def test_shipped_template_is_built_by_this_builder(xlsm):
    """workbooks/登録簿.xlsm must be rebuilt (scripts/build_template.py) when the builder changes."""
    from pathlib import Path

    shipped = Path(__file__).resolve().parent.parent / "workbooks" / "登録簿.xlsm"
    assert shipped.is_file()
    assert _subs(_olevba_modules(shipped)["xlkit"]) == _subs(_olevba_modules(xlsm)["xlkit"])
    assert _buttons(shipped) == _buttons(xlsm)
    fresh, old = openpyxl.load_workbook(xlsm), openpyxl.load_workbook(shipped)
    assert old.sheetnames == fresh.sheetnames
    for name in fresh.sheetnames:
        assert [[c.value for c in row] for row in old[name].iter_rows()] == \
            [[c.value for c in row] for row in fresh[name].iter_rows()], name
        assert len(old[name].data_validations.dataValidation) == len(fresh[name].data_validations.dataValidation)
    from xlkit import formats

    def names(book):  # the register id is each register's own
        return {n: d.attr_text for n, d in book.defined_names.items() if n != formats.ID_NAME}

    assert names(old) == names(fresh)
    ids = [formats.parse_id(book.defined_names[formats.ID_NAME].attr_text) for book in (old, fresh)]
    assert all(i and len(i) == 32 for i in ids) and ids[0] != ids[1]


def test_new_command_writes_the_controlled_register(tmp_path):
    import argparse

    from xlkit.commands import new

    parser = argparse.ArgumentParser()
    new.add_parser(parser.add_subparsers()).set_defaults(run=new.run)
    args = parser.parse_args(["new", str(tmp_path / "登録簿.xlsm")])
    assert args.run(args) == 0
    assert [(c, m) for _, c, m in _buttons(tmp_path / "登録簿.xlsm")] == \
        [(caption, f"[0]!{sub}") for sub, (caption, _) in EXPECTED.items()]
