"""Registers whose parts write attributes in single quotes (name='v'), as XML allows and some
writers do: every edit xlkit makes as text finds what it looks for, whichever quote is used.

A search that spelled out name="…" found nothing in such a part and skipped its edit quietly, or
made it twice: the upgrade added a second xlkit_format that the reader never saw (the register
stayed at format 3, each run logging again), the date format was added under a taken id with an
<xf> holding numFmtId twice (a styles.xml no XML parser reads), a taken VBA code name was handed
out again, counts and ranges stayed short. Each test here converts real registers' parts with
`single_quoted` and checks the result with an XML parser; the register writer itself refuses a
changed part that does not parse, and an upgrade whose copy does not read back at the current
format.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from support import REPO, SAMPLE, said
from support.zips import members, rewrite_member
from xlkit import formats, schema, tasks
from xlkit.addresses import column_index, split_cell
from xlkit.errors import Refusal, XlkitError
from xlkit.workbook import appender, design, format3, format6, migrate, reader, scan, sheet_xml, writer
from xlkit.workbook.package import Package
from xlkit.workbook.stylesheet import Stylesheet

FIXTURES = REPO / "tests" / "fixtures"
FORMAT3 = {".xlsx": FIXTURES / "format3_sample.xlsx", ".xlsm": FIXTURES / "format3_sample.xlsm"}
FORMAT1_XLSM = FIXTURES / "format1_sample.xlsm"
WORKBOOK, STYLES = "xl/workbook.xml", "xl/styles.xml"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# the parts the tests rewrite, by sheet name (found through workbook.xml, not guessed)
SHEETS = (design.settings_sheet(), design.DIVISIONS, schema.linkage().sheet, schema.history().sheet)

HEADER = "No.\t" + "\t".join(schema.linkage().header(k) for k in (
    "division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start"))


# --------------------------------------------------------------------------- helpers

_TAG = re.compile(rb"<[^>]+>")
_DOUBLE = re.compile(rb"""([\w:.-]+)="([^"']*)\"""")


def single_quoted(xml: bytes) -> bytes:
    """`xml` with every attribute inside a tag written name='v' (text between tags untouched:
    the register id's "…" stays as it is)."""
    return _TAG.sub(lambda tag: _DOUBLE.sub(rb"\1='\2'", tag[0]), xml)


def quote_singly(path: Path, *, sheets=SHEETS) -> list[str]:
    """Rewrite workbook.xml, styles.xml, the `sheets` and every table part of the register at
    `path` with single quotes; the parts rewritten."""
    with Package(path) as package:
        parts = package.sheet_parts()
        tables = [name for name in (i.filename for i in package.infos) if name.startswith("xl/tables/")]
    names = [WORKBOOK, STYLES, *(parts[s] for s in sheets if s in parts), *tables]
    for name in names:
        rewrite_member(path, name, single_quoted)
    found = members(path)
    for name in names:
        assert b'="' not in b"".join(_TAG.findall(found[name])), name
        ElementTree.fromstring(found[name])  # still XML
    return names


def copy_of(source: Path, tmp_path: Path, name: str = "登録簿") -> Path:
    path = tmp_path / f"{name}{source.suffix}"
    shutil.copyfile(source, path)
    return path


def table(names: list[str]) -> str:
    lines = [HEADER] + [f"{i}\t総務課\t{name}\t理由\t対象者\t項目\t\t令和3年度第1回審議会承認\t相手方\tR3.5.{i}"
                        for i, name in enumerate(names, start=1)]
    return "\n".join(lines) + "\n"


def tree(path: Path, part: str) -> ElementTree.Element:
    return ElementTree.fromstring(members(path)[part])


def sheet_tree(path: Path, sheet: str) -> ElementTree.Element:
    with Package(path) as package:
        part = package.sheet_part(sheet)
    return tree(path, part)


def workbook_names(path: Path) -> list[tuple[str, str | None, str]]:
    """(name, localSheetId, content) of every <definedName> of workbook.xml."""
    return [(n.get("name"), n.get("localSheetId"), n.text or "") for n in tree(path, WORKBOOK).iter(f"{MAIN}definedName")]


def assert_stylesheet_sound(path: Path) -> None:
    """styles.xml parses, no numFmtId is given twice, and each count says how many there are."""
    styles = tree(path, STYLES)
    numfmts = styles.find(f"{MAIN}numFmts")
    ids = [f.get("numFmtId") for f in numfmts.iter(f"{MAIN}numFmt")]
    assert len(ids) == len(set(ids)) == int(numfmts.get("count")), ids
    xfs = styles.find(f"{MAIN}cellXfs")
    assert len(xfs) == int(xfs.get("count"))


def assert_counted_and_covered(sheet: ElementTree.Element) -> None:
    """The sheet's dimension covers every cell, its validations' count is theirs."""
    ref = sheet.find(f"{MAIN}dimension").get("ref")
    first, last = ref.split(":")
    last_col, last_row = split_cell(last)
    for c in sheet.iter(f"{MAIN}c"):
        col, row = split_cell(c.get("r"))
        assert row <= last_row and column_index(col) <= column_index(last_col), (c.get("r"), ref)
    validations = sheet.find(f"{MAIN}dataValidations")
    if validations is not None:
        assert int(validations.get("count")) == len(validations)


def history_rows(path: Path) -> int:
    return len(list(reader.stream(reader.load(path), schema.history(), keys=())))


# --------------------------------------------------------------------------- 1. the upgrade


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_a_single_quoted_register_of_format_3_is_upgraded_once_and_reads_back_at_format_4(tmp_path, suffix):
    path = copy_of(FORMAT3[suffix], tmp_path)
    plain = copy_of(FORMAT3[suffix], tmp_path, "二重引用符")
    quote_singly(path)
    assert reader.load(path).format == 3

    done = tasks.upgrade(path)
    tasks.upgrade(plain)
    assert (done.before, done.after, done.written) == (3, formats.CURRENT, True)
    book = reader.load(path)
    assert book.format == formats.CURRENT
    names = workbook_names(path)
    for name in (formats.NAME, formats.ID_NAME):  # changed where it was, never added twice
        assert [n for n in names if n[0] == name and n[1] is None] == [
            n for n in workbook_names(plain) if n[0] == name and n[1] is None]
    assert [n for n in names if n[0] == formats.NAME] == [(formats.NAME, None, str(formats.CURRENT))]
    assert len(names) == len(set(names)) == len(workbook_names(plain))

    # the same register as the one written with double quotes: 締めた年度, the 課 columns
    other = reader.load(plain)
    assert book.settings == other.settings and book.divisions == other.divisions
    assert_stylesheet_sound(path)
    with Package(path) as package:
        styles = Stylesheet(package)
        division = package.read(package.sheet_part(design.DIVISIONS))
        cols = sheet_xml.Sheet(division, path.name, design.DIVISIONS).column_styles()
        assert styles.is_date(cols(3)) and styles.is_date(cols(4)) and not styles.is_date(cols(5))
    for sheet in (design.settings_sheet(), design.DIVISIONS):
        assert_counted_and_covered(sheet_tree(path, sheet))

    # upgraded, it stays so: nothing more to do, 変更履歴 no longer grows by a step each run
    logged = history_rows(path)
    again = tasks.upgrade(path)
    assert again.steps == [] and reader.load(path).format == formats.CURRENT
    if suffix == ".xlsx":
        assert not again.written and history_rows(path) == logged


def test_a_taken_code_name_in_single_quotes_is_never_handed_out_again(tmp_path):
    """format3._free_code_names skipped codeName='Sheet12' (not found by codeName="…") and gave a
    new sheet a code name another sheet had: VBA has two modules of one name."""
    path = copy_of(FORMAT1_XLSM, tmp_path)
    with Package(path) as package:
        part = package.sheet_part(design.DIVISIONS)
    rewrite_member(path, part, lambda xml: xml.replace(b'<sheetPr codeName="Sheet8"', b"<sheetPr codeName='Sheet12'", 1))
    with Package(path) as package:
        codes = migrate.sheet_code_names(package)
        assert codes[design.DIVISIONS] == "Sheet12" and len(codes) == len(package.sheet_parts())
        free = format3._free_code_names(package, 2)
    assert "Sheet12" not in free and len(set(free)) == 2
    assert not {c.casefold() for c in free} & {c.casefold() for c in codes.values()}


def test_the_format_and_any_name_are_found_in_either_quote(tmp_path):
    """set_name changes the name where it is, in either quote; a sheet's own name of that name
    (localSheetId) is not the workbook's, and a missing name is added once."""
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    rewrite_member(path, WORKBOOK, lambda xml: single_quoted(xml).replace(
        b"<definedName name='xlkit_format'>",
        b"<definedName name='xlkit_format' localSheetId='0'>1</definedName><definedName  name = 'xlkit_format' >", 1))
    with Package(path) as package:
        migrate.set_format(package, 4)
        migrate.set_name(package, "新しい名前", "1")
        migrate.set_name(package, "新しい名前", "2")
        xml = package.read(WORKBOOK)
    root = ElementTree.fromstring(xml)
    names = [(n.get("name"), n.get("localSheetId"), n.text) for n in root.iter(f"{MAIN}definedName")]
    assert [n for n in names if n[0] == formats.NAME] == [(formats.NAME, "0", "1"), (formats.NAME, None, "4")]
    assert [n for n in names if n[0] == "新しい名前"] == [("新しい名前", None, "2")]


# --------------------------------------------------------------------------- 2. an import


def test_an_import_into_a_single_quoted_register_writes_sound_styles_and_a_date(tmp_path):
    path = copy_of(SAMPLE, tmp_path)
    quote_singly(path)
    before = reader.load(path)
    history_before = history_rows(path)
    tasks.import_table(path, table(["一重引用符の登録簿"]), 2021)

    book = reader.load(path)
    new = book.linkages[-1]
    assert new.values["business"] == "一重引用符の登録簿" and new.values["start"] == dt.date(2021, 5, 1)
    assert len(book.linkages) == len(before.linkages) + 1
    assert_stylesheet_sound(path)
    with Package(path) as package:
        part = package.sheet_part(schema.linkage().sheet)
        sheet = sheet_xml.Sheet(package.read(part), path.name, schema.linkage().sheet)
        letter = before.columns[schema.linkage().sheet]["start"]
        attrs, _ = sheet.cells(new.row)[column_index(letter) + 1]
        assert Stylesheet(package).is_date(int(attrs[b"s"]))  # shown as R3.5.1, not 44317
        table_part = package.related(part, "table")[0]
    assert_counted_and_covered(sheet_tree(path, schema.linkage().sheet))
    # the table, its filter, 変更履歴's filter and its hidden name all reach the new rows
    grown = tree(path, table_part)
    assert grown.get("ref").endswith(str(new.row)) and grown.find(f"{MAIN}autoFilter").get("ref") == grown.get("ref")
    history = sheet_tree(path, schema.history().sheet)
    last = max(int(r.get("r")) for r in history.iter(f"{MAIN}row"))
    assert last > history_before
    assert history.find(f"{MAIN}autoFilter").get("ref").endswith(f"{last}")
    index = list(scan.sheet_parts(zipfile.ZipFile(path))).index(schema.history().sheet)
    hidden = [n for n in workbook_names(path) if n[0] == "_xlnm._FilterDatabase" and n[1] == str(index)]
    assert len(hidden) == 1 and hidden[0][2].endswith(f"${last}")
    assert_counted_and_covered(history)


# --------------------------------------------------------------------------- 3. each edit, in either quote


@pytest.mark.parametrize("quote", ['"', "'"])
def test_each_edit_finds_its_attribute_in_either_quote(quote):
    def q(xml: bytes) -> bytes:
        return xml.replace(b'"', quote.encode())

    sheet = q(b'<worksheet><dimension ref="A1:C5"/><sheetData></sheetData><autoFilter ref="A1:C5"/></worksheet>')
    start, end, ref = appender.grow_dimension(sheet, 9, 4)
    assert sheet[start:end] == b"A1:C5" and ref == b"A1:D9"
    edit, old, new = appender._grow_filter(sheet, sheet.index(b"</sheetData>"), 9)
    assert sheet[edit[0]:edit[1]] == old == b"A1:C5" and new == edit[2] == b"A1:C9"

    table_xml = q(b'<table id="1" ref="A1:C5" totalsRowShown="0"><autoFilter ref="A1:C5"/></table>')
    assert appender.grow_table(table_xml, 9, "登録簿.xlsx", {1}) == q(
        b'<table id="1" ref="A1:C9" totalsRowShown="0"><autoFilter ref="A1:C9"/></table>')
    with pytest.raises(XlkitError, match="集計行"):
        appender.grow_table(q(b'<table ref="A1:C5" totalsRowCount="1"/>'), 9, "登録簿.xlsx", {1})

    validations = q(b'<worksheet><sheetData></sheetData><dataValidations count="2"><dataValidation sqref="A1"/>'
                    b'<dataValidation sqref="A2"/></dataValidations></worksheet>')
    found = sheet_xml.Sheet(validations, "登録簿.xlsx", "設定")
    spliced = found.splice(format3.validation_edits(found, [b'<dataValidation sqref="B3"/>']))
    assert ElementTree.fromstring(spliced).find("dataValidations").get("count") == "3"


def test_the_date_format_is_added_once_under_a_free_id_in_either_quote(tmp_path):
    """styles.xml in single quotes: is_date saw no format and date_style added numFmtId 164 again
    (taken by the fixture's own 和暦 format) and an <xf> with two numFmtId attributes."""
    for i, change in enumerate((lambda x: x, single_quoted)):
        path = copy_of(SAMPLE, tmp_path, f"登録簿{i}")
        rewrite_member(path, STYLES, lambda xml: change(xml.replace(b'formatCode="[$-411]ge.m.d;@"', b'formatCode="0.00"')))
        with Package(path) as package:
            styles = Stylesheet(package)
            plain = next(i for i in range(len(styles._xfs())) if not styles.is_date(i))
            date = styles.date_style(plain)
            assert styles.is_date(date) and styles.date_style(plain) == date and styles.date_style(date) == date
            styles.save()
            xml = package.read(STYLES)
        root = ElementTree.fromstring(xml)  # an <xf> with numFmtId twice would not parse
        ids = [f.get("numFmtId") for f in root.iter(f"{MAIN}numFmt")]
        assert len(ids) == len(set(ids)) == int(root.find(f"{MAIN}numFmts").get("count")) and "165" in ids
        assert len(root.find(f"{MAIN}cellXfs")) == int(root.find(f"{MAIN}cellXfs").get("count"))


# --------------------------------------------------------------------------- 4. the safety net


def test_the_writer_refuses_a_changed_part_that_is_not_xml(tmp_path):
    """Whatever edit went wrong, a workbook.xml no parser reads never replaces the register."""
    path = copy_of(SAMPLE, tmp_path)
    before = path.read_bytes()
    with pytest.raises(Refusal) as refused:
        with writer.editing(path, "確認") as edit:
            xml = edit.package.read(WORKBOOK)
            edit.package.write(WORKBOOK, xml.replace(b"<definedName ", b'<definedName name="a" ', 1))
            edit.commit()
    assert refused.value.key == "register.unverified"
    assert "xl/workbook.xml" in said(refused.value) and "登録簿は変更していません" in refused.value.message
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_the_writer_refuses_a_styles_part_with_a_document_type(tmp_path):
    path = copy_of(SAMPLE, tmp_path)
    before = path.read_bytes()
    with pytest.raises(Refusal) as refused:
        with writer.editing(path, "確認") as edit:
            edit.package.write(STYLES, b"<!DOCTYPE x [<!ENTITY a 'b'>]>" + edit.package.read(STYLES).split(b"?>", 1)[1])
            edit.commit()
    assert "文書型宣言" in said(refused.value) and path.read_bytes() == before


def test_an_upgrade_that_does_not_read_back_at_the_current_format_is_refused(tmp_path, monkeypatch):
    """A last step that meant to record the current format but did not (the second xlkit_format
    the reader never sees) is refused before the register is replaced."""
    path = copy_of(FORMAT3[".xlsx"], tmp_path)
    before = path.read_bytes()
    monkeypatch.setattr(format6, "set_format", lambda package, version: None)
    with pytest.raises(Refusal) as refused:
        tasks.upgrade(path)
    assert refused.value.key == "register.unverified"
    assert "形式が 5 で、形式 6 になっていません" in said(refused.value)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
