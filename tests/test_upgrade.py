"""`xlkit upgrade`: registers of format 1 (tests/fixtures/format1_sample.xlsm/.xlsx, as the
previous xlkit wrote them) and of format 2 carried to the current format, every value, part and
object kept; registers of a newer format refused untouched by every command. (The step to format 4
on registers of format 3, tests/fixtures/format3_sample.*, is tried in tests/test_format4.py.)

A register of format 2 is made here two ways: the format 1 fixture with only the step to format 2
applied (what `xlkit upgrade` made of staff's registers), and the format 3 fixture (a register
`xlkit new` and `xlkit import` wrote) taken back to format 2 part by part (`downgraded`:
XlsxWriter's XML, 設定's titles as shared strings, as in a register Excel has saved).

Every test works on copies in tmp_path; the fixtures themselves are only read.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import os
import posixpath
import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest

from support.forms import sheet_rows
from support.zips import members, rewrite_member
from support.buttons import BY_CAPTION
from support.lo import inspect
from support import REPO, needs_soffice
from support.decorate import decorate, missing
from xlkit import cli, formats, lock, messages, schema, tasks
from xlkit.errors import XlkitError
from xlkit.installation import INTERPRETER_WIN
from xlkit.workbook import builder, design, migrate, reader, row_insert, scan, sheet_xml
from xlkit.workbook.package import Package

FIXTURES = REPO / "tests" / "fixtures"
FIXTURE = {".xlsm": FIXTURES / "format1_sample.xlsm", ".xlsx": FIXTURES / "format1_sample.xlsx"}
FIXTURE3 = {".xlsm": FIXTURES / "format3_sample.xlsm", ".xlsx": FIXTURES / "format3_sample.xlsx"}
WORKBOOK = "xl/workbook.xml"
VBA = "xl/vbaProject.bin"
CONTENT_TYPES = "[Content_Types].xml"
RELS = "xl/_rels/workbook.xml.rels"
SETTINGS = "xl/worksheets/sheet6.xml"  # 設定 of both fixtures
HOWTO = "xl/worksheets/sheet1.xml"  # 使い方 of both fixtures
DIVISIONS = "xl/worksheets/sheet8.xml"  # 課 of both fixtures
STYLES = "xl/styles.xml"  # 課's 開始日 and 終了日 get a date format (format 4)
CONF = "xl/worksheets/sheet11.xml"  # xlwings.conf of both fixtures: Interpreter_Win set (format 6)
BUTTONS_VML = "xl/drawings/vmlDrawing1.vml"  # the buttons of the .xlsm fixture's 使い方
NEW_SHEETS = ["xl/worksheets/sheet12.xml", "xl/worksheets/sheet13.xml",  # 回答状況, 変更履歴 (format 3)
              # 外部提供, its relationships and its table (format 5)
              "xl/worksheets/sheet14.xml", "xl/worksheets/_rels/sheet14.xml.rels", "xl/tables/table3.xml",
              "xl/worksheets/sheet15.xml"]  # 診断 (format 6)
TEXTS_SHEET = "xl/worksheets/sheet16.xml"  # ボタンの文言 (format 6), in an .xlsm only


def new_parts(suffix: str) -> list[str]:
    """The parts the steps add to a format 1 fixture of `suffix`."""
    return NEW_SHEETS + ([TEXTS_SHEET] if suffix == ".xlsm" else [])
CASES = "xl/worksheets/sheet3.xml"  # 審議案件 of both fixtures: format 5 adds five columns
CASES_TABLE = "xl/tables/table2.xml"  # its table, widened over them
# what the steps to formats 3 and 4 change in a fixture, besides the VBA project of an .xlsm and
# its buttons (drawn again: the fixture has four, today's registers seven)
UPGRADE_PARTS = {WORKBOOK, CONTENT_TYPES, RELS, SETTINGS, HOWTO, DIVISIONS, STYLES, CASES, CASES_TABLE, CONF}
# 照会票作成, 回答取込, 年度締め and 診断, which came after the format 1 fixture
NEW_BUTTONS = design.BUTTONS[4:]
HOWTO_LINES = 1  # 使い方's line about 外部提供 (format 5), below 審議案件's: the rows under it move one more
LOGS = (schema.status(), schema.history())  # the sheets format 3 adds, in tab order
DUE = schema.settings().header("survey_due")  # 回答期限
CLOSED = schema.settings().header("closed_years")  # 締めた年度 (format 4)
OTHER_NOTE = schema.settings().header("other_note")  # その他の記載 (format 5)
NEW_CASE_HEADERS = formats.ADDED[5][schema.case().sheet]  # 別紙の件名 … (format 5)
PROVISIONS = schema.provision().sheet  # 外部提供 (format 5), after 審議案件
NEW_DIVISION_HEADERS = schema.division().headers[2:]  # 開始日, 終了日, 後継の課 (format 4)
MARKER = b'<definedName name="xlkit_format">%d</definedName>'
NEWER = "この登録簿は新しい xlkit で作られています。xlkit を更新してください"

# caption -> (sub, the line its button hands RunPython)
EXPECTED = BY_CAPTION

# one new 令和2年度 linkage, in the published table (2)'s layout (tests/test_import.py)
TABLE_HEADER = "No.\t" + "\t".join(schema.linkage().header(k) for k in (
    "division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start"))
TABLE_ROW = "1\t総務課\t形式更新後に追加する業務\t理由\t対象者\t項目\t\t令和2年度第2回審議会承認\t相手方\tR2.4.1"


# --------------------------------------------------------------------------- helpers


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def copy_fixture(tmp_path: Path, suffix: str = ".xlsm", name: str = "登録簿") -> Path:
    path = tmp_path / f"{name}{suffix}"
    shutil.copyfile(FIXTURE[suffix], path)
    return path






def book_values(path: Path):
    """Everything `xlkit upgrade` promises to keep, as the reader gives it."""
    book = reader.load(path)
    return dict(
        linkages=[(r.row, r.values, r.raw) for r in book.linkages],
        cases=[(r.row, r.values, r.raw) for r in book.cases],
        settings=book.settings, divisions=book.divisions, bodies=book.bodies,
        categories=book.categories, results=book.results, marked=book.marked,
    )


def howto_vml(path: Path) -> str:
    with Package(path) as package:
        (vml,) = package.related(package.sheet_part(design.HOWTO), "vmlDrawing")
        return vml


def folder_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file of `folder`: (SHA-256, mtime_ns): a refused command leaves all of them alone."""
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def write_table(tmp_path: Path) -> Path:
    table = tmp_path / "表2.tsv"
    table.write_text(f"{TABLE_HEADER}\n{TABLE_ROW}\n", encoding="utf-8")
    return table


def with_marker(tmp_path: Path, version: int, name: str = "newer") -> Path:
    """A copy of the .xlsm fixture whose workbook name xlkit_format says `version`."""
    source = copy_fixture(tmp_path, name=f"{name}-source")
    path = tmp_path / f"{name}.xlsm"
    with Package(source) as package:
        migrate.set_format(package, version)
        package.save(path)
    source.unlink()
    return path


def format2(tmp_path: Path, suffix: str = ".xlsm", name: str = "形式2") -> Path:
    """The fixture with only the step to format 2 applied: a register as `xlkit upgrade` left it at format 2."""
    path = tmp_path / f"{name}{suffix}"
    with Package(FIXTURE[suffix]) as package:
        migrate.STEPS[1].apply(package)
        package.save(path)
    return path


def _cut(pattern: bytes, data: bytes, **kw) -> bytes:
    cut, n = re.subn(pattern, b"", data, **kw)
    assert n, pattern
    return cut


def downgraded(source: Path, dest: Path, *, keep_due: bool = False) -> Path:
    """A register of format 3 `xlkit new` wrote (`source`: the format 3 fixture), taken back to
    format 2 part by part: without 回答状況 and 変更履歴 (their parts, relationships, content types
    and names) and the register id, and, unless `keep_due`, without 設定's last row 回答期限 and its
    validation."""
    with zipfile.ZipFile(source) as z:
        parts = scan.sheet_parts(z)
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    logs = [parts[log.sheet] for log in LOGS]
    indices = [list(parts).index(log.sheet) for log in LOGS]

    def change(name: str, data: bytes) -> bytes:
        if name == WORKBOOK:
            for log, index in zip(LOGS, indices):
                data = _cut(rb'<sheet name="%s"[^>]*/>' % log.sheet.encode(), data)
                data = _cut(rb'<definedName name="[^"]*" localSheetId="%d"[^>]*>[^<]*</definedName>' % index, data)
            data = _cut(rb'<definedName name="%s">[^<]*</definedName>' % formats.ID_NAME.encode(), data)
            assert data.count(MARKER % 3) == 1
            return data.replace(MARKER % 3, MARKER % 2)
        if name == RELS:
            for part in logs:
                data = _cut(rb'<Relationship [^>]*Target="%s"/>' % posixpath.relpath(part, "xl").encode(), data)
        elif name == CONTENT_TYPES:
            for part in logs:
                data = _cut(rb'<Override PartName="/%s"[^>]*/>' % part.encode(), data)
        elif name == parts[design.settings_sheet()] and not keep_due:
            last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', data))
            data = _cut(rb'<row r="%d".*?</row>' % last, data, count=1, flags=re.S)
            data = _cut(rb'<dataValidation\b[^>]*sqref="B%d"[^>]*>.*?</dataValidation>' % last, data, count=1, flags=re.S)
            data = re.sub(rb'<dataValidations count="(\d+)"',
                          lambda m: b'<dataValidations count="%d"' % (int(m[1]) - 1), data)
        return data

    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename not in logs:
                out.writestr(info, change(info.filename, data))
    book = reader.load(dest)
    assert book.format == 2 and book.register_id is None
    assert (DUE in [row[0] for row in grid(dest, design.settings_sheet())]) is keep_due
    return dest


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> dict[str, Path]:
    """Registers `xlkit new` writes today, with a few settings (only read): what an upgraded
    register must look like."""
    folder = tmp_path_factory.mktemp("fresh")
    settings = {"report_year": 2021, "document_no": "資料２", "report_date": dt.date(2021, 7, 1)}
    return {suffix: builder.build(folder / f"新規{suffix}", settings=settings) for suffix in (".xlsx", ".xlsm")}


SOURCES = ["format1", "format2", "new-format2"]


def source_register(kind: str, suffix: str, tmp_path: Path, fresh: dict[str, Path]) -> Path:
    if kind == "format1":
        return copy_fixture(tmp_path, suffix)
    if kind == "format2":
        return format2(tmp_path, suffix, name="登録簿")
    return downgraded(FIXTURE3[suffix], tmp_path / f"登録簿{suffix}")


def grid(path: Path, sheet: str) -> list[list]:
    """One sheet's values as calamine reads them (as the reader does)."""
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def findings(path: Path) -> set[tuple]:
    return {(i.code, i.sheet, i.cell, i.message) for i in tasks.validate(reader.load(path)).issues}


def look(cell) -> tuple:
    """How an openpyxl cell looks: font, fill, border, alignment, protection, number format."""
    return (*(copy.copy(getattr(cell, a)) for a in ("font", "fill", "border", "alignment", "protection")),
            cell.number_format)


def columns(ws) -> dict[int, tuple]:
    """Column number -> (width, format) of an openpyxl sheet, each <col min max> spread out."""
    return {i: (d.width, d.style) for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)}


def edits(old: bytes, new: bytes) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    """How `new` differs from `old`, tag by tag: the runs inserted and the (old, new) runs
    replaced. Nothing may have been deleted."""
    a, b = (re.findall(rb"<[^>]*>|[^<]+", x) for x in (old, new))
    inserted, replaced = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        assert op != "delete", b"".join(a[i1:i2])
        if op == "insert":
            inserted.append(b"".join(b[j1:j2]))
        elif op == "replace":
            replaced.append((b"".join(a[i1:i2]), b"".join(b[j1:j2])))
    return inserted, replaced


def assert_members(new: dict[str, bytes], old: dict[str, bytes], added: list[str]) -> None:
    """`new` has the members of `old` in their order, then the `added` ones (in any order:
    Package.save writes new parts after the others)."""
    assert list(new)[:len(old)] == list(old)
    assert sorted(list(new)[len(old):]) == sorted(added)


def assert_only_added(old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """The steps to formats 3, 4 and 5 only added to the parts they changed: every element of them
    is still there as it was, but for 設定's dimension and the count of its validations, 使い方's
    rows below the new button rows, which moved down three rows, 課's header row, columns and
    validations (assert_division_columns_added), 審議案件's (assert_case_columns_added), and the
    names local to the sheets after 外部提供, which moved one place on with their sheets; styles.xml
    gained the date format of 課's dates."""
    local = rb'<definedName name="[^"]+" localSheetId="(\d+)"( hidden="1")?>'
    for name in (WORKBOOK, CONTENT_TYPES, RELS, STYLES):
        inserted, replaced = edits(old[name], new[name])
        for was, now in replaced:
            counts = re.fullmatch(rb'<(cellXfs|numFmts) count="\d+">', was)
            moved = re.fullmatch(local, was) and re.fullmatch(local, now)
            # one place on for 外部提供 (format 5), two for the sheets after 診断 (format 6) too
            assert counts or (moved and int(re.fullmatch(local, now)[1]) - int(re.fullmatch(local, was)[1]) in (1, 2)), (
                name, was, now)
        assert inserted, name
    inserted, replaced = edits(old[SETTINGS], new[SETTINGS])
    assert DUE.encode() in b"".join(inserted) and CLOSED.encode() in b"".join(inserted)
    for was, now in replaced:
        assert any(re.fullmatch(pattern, was) and re.fullmatch(pattern, now) for pattern in (
            rb'<dimension ref="A1:C\d+"/>', rb'<dataValidations count="\d+">')), (was, now)
    assert_howto_rows_added(old[HOWTO], new[HOWTO])
    assert_division_columns_added(old[DIVISIONS], new[DIVISIONS])
    assert_case_columns_added(old[CASES], new[CASES])
    assert_interpreter_set(old[CONF], new[CONF])


def assert_interpreter_set(old: bytes, new: bytes) -> None:
    """xlwings.conf of a register xlkit made before format 6: its blank Interpreter_Win (B1, no cell)
    given the bundle's Python, and a row ADD_WORKBOOK_TO_PYTHONPATH (FALSE) inserted below the last
    key, the blank row and the notes under it moved down one. Taken back (the row removed, the rows
    below renumbered), only row 1 was rewritten (its tag: the spans hint dropped) and the dimension
    may have grown."""
    added = re.search(rb'<row r="(\d+)"[^>]*>(?:(?!</row>).)*%s(?:(?!</row>).)*</row>'
                      % design.CONF_WORKBOOK_PATH.encode(), new, re.S)
    at = int(added[1])
    assert re.search(rb'<c r="B%d"[^>]*t="b"[^>]*><v>0</v></c>' % at, added[0]), added[0]
    assert re.search(rb'<row r="%d"' % at, old) is None or b"<v>" not in re.search(
        rb'<row r="%d"[^>]*>.*?</row>' % at, old, re.S)[0]  # xlwings' blank row was there: nothing typed over

    def up(m: re.Match) -> bytes:
        number = int(m[2])
        return m[1] + b"%d" % (number - 1 if number > at else number)

    cells = rb'((?:<row r="|<c r="[A-Z]+|ref="[A-Z]+\d+:[A-Z]+))(\d+)'
    taken_back = re.sub(cells, up, new[:added.start()] + new[added.end():])
    inserted, replaced = edits(old, taken_back)
    assert escape(INTERPRETER_WIN).encode() in b"".join(inserted + [now for _, now in replaced])
    for was, now in replaced:
        assert any(re.fullmatch(pattern, was) and re.fullmatch(pattern, now) for pattern in (
            rb'<dimension ref="A1(:[A-Z]+\d+)?"/>', rb'<row r="1"[^>]*>')), (was, now)


def assert_case_columns_added(old: bytes, new: bytes) -> None:
    """審議案件 of a register xlkit made before format 5: its header row gained the five headers
    of format 5, its <cols> their widths, its validations theirs; what was replaced is only the
    dimension, the header row's start tag (its spans hint dropped), the count of validations and
    添付ファイル's input message (the files are printed since format 5: the message says where they go)."""
    inserted, replaced = edits(old, new)
    added = b"".join(inserted)
    for header in NEW_CASE_HEADERS:
        assert escape(header).encode() in added, header
    assert added.count(b"<dataValidation ") == len(NEW_CASE_HEADERS)
    attachment = escape(schema.case().column("attachment").input_message).encode()
    for was, now in replaced:
        if attachment in now:
            assert re.sub(rb' prompt="[^"]*"', b"", was) == re.sub(rb' prompt="[^"]*"', b"", now)
            continue
        assert any(re.fullmatch(pattern, was) and re.fullmatch(pattern, now) for pattern in (
            rb'<dimension ref="A1:[A-Z]+\d+"/>', rb'<dataValidations count="\d+">', rb'<row r="1"[^>]*>')), (was, now)


def assert_howto_rows_added(old: bytes, new: bytes) -> None:
    """使い方 of a format 1 fixture (rows 5-8 its four buttons): a row inserted for each new button
    (照会票作成, 回答取込, 年度締め: rows 9 to 11), its help in C formatted like row 8's, and every row
    below moved down as many rows; nothing else changed (taken back, the part is the old one byte
    for byte)."""
    added = len(NEW_BUTTONS)
    numbers = "|".join(str(9 + i) for i in range(added))
    row = re.compile(rb'<row r="(%s)"[^>]*>.*?</row>' % numbers.encode(), re.S)
    inserted = [m[0] for m in row.finditer(new)]
    assert len(inserted) == added
    style = re.search(rb'<c r="C8"[^>]*?( s="\d+")', old)[1]
    for line, button in zip(inserted, NEW_BUTTONS):
        assert escape(button.help).encode() in line and style in line and b' ht="39.75" customHeight="1"' in line
    new = row.sub(b"", new)
    # format 5: the line about 外部提供 below 審議案件's (where: tests/test_format5.py), formatted like it
    label, text = design.provision_howto()
    line = re.search(rb'<row r="(\d+)"[^>]*>(?:(?!</row>).)*?%s(?:(?!</row>).)*</row>' % escape(text).encode(),
                     new, re.S)
    at = int(line[1])
    assert escape(label).encode() in line[0]
    case_row = re.search(rb'<row r="%d"[^>]*>.*?</row>' % (at - 1), new, re.S)
    assert re.findall(rb' s="\d+"', line[0]) == re.findall(rb' s="\d+"', case_row[0])
    new = new[:line.start()] + new[line.end():]

    def back(m: re.Match) -> bytes:
        number = int(m[2])
        return m[1] + b"%d" % (number - added if number >= 9 + added else number)

    def up(m: re.Match) -> bytes:
        number = int(m[2])
        return m[1] + b"%d" % (number - 1 if number > at else number)

    cells = rb'((?:<row r="|<c r="[A-Z]+|ref="[A-Z]+\d+:[A-Z]+))(\d+)'
    assert re.sub(cells, back, re.sub(cells, up, new)) == old


def assert_division_columns_added(old: bytes, new: bytes) -> None:
    """課 of a register xlkit made before format 4: its header row gained 開始日, 終了日 and 後継の
    課 in C1:E1, formatted like A1, and xlkit's note moved from D1 to G1; its <cols> the new columns'
    widths; three validations were added (C, D dates, E the 課 list). Taken back, nothing else
    changed: the part is the old one byte for byte."""
    header = re.compile(rb'<row r="1"[ >].*?</row>', re.S)
    cols = re.compile(rb"<cols>.*?</cols>", re.S)
    dimension = re.compile(rb'<dimension ref="[^"]*"/>')
    new_row, old_row = header.search(new)[0], header.search(old)[0]
    style = re.search(rb'<c r="A1"[^>]*?( s="\d+")', old_row)[1]
    for letter, title in zip("CDE", NEW_DIVISION_HEADERS):
        cell = re.search(rb'<c r="%s1"[^>]*>.*?</c>' % letter.encode(), new_row)[0]
        assert title.encode() in cell and style in cell
    note = re.search(rb'<c r="D1"([^>]*)>(.*?)</c>', old_row)
    assert re.search(rb'<c r="G1"%s>%s</c>' % (re.escape(note[1]), re.escape(note[2])), new_row)
    back = header.sub(lambda m: old_row, new, count=1)
    back = cols.sub(lambda m: cols.search(old)[0], back, count=1)
    back = dimension.sub(lambda m: dimension.search(old)[0], back, count=1)
    validation = re.compile(rb'<dataValidation [^>]*sqref="(?P<c>[CDE])2:(?P=c)1048576".*?</dataValidation>', re.S)
    assert sorted(validation.findall(back)) == [b"C", b"D", b"E"]
    back = validation.sub(b"", back)
    back = re.sub(rb'<dataValidations count="(\d+)"', lambda m: b'<dataValidations count="%d"' % (int(m[1]) - 3), back)
    assert back == old


@pytest.fixture(scope="module", autouse=True)
def fixtures_untouched():
    """No test here may change the fixtures (they stand for files an older xlkit made)."""
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in FIXTURE.values()}
    yield
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in FIXTURE.values()} == before


# --------------------------------------------------------------------------- 1. values


def test_cli_upgrade_keeps_every_value_and_validate_stops_saying_format_old(tmp_path, capsys):
    path = copy_fixture(tmp_path)
    before = book_values(FIXTURE[".xlsm"])
    assert reader.load(FIXTURE[".xlsm"]).format == 1

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"登録簿を形式 1 から形式 {formats.CURRENT} に更新しました: {path}"
    titles = [step.title for step in migrate.steps_from(1)]
    assert titles and all(f"  ・{t}" in lines for t in titles)
    assert "形式 1" in out and f"形式 {formats.CURRENT}" in out
    assert "  ・ボタンのマクロを、入っている xlwings に合わせて作り直しました" in lines
    assert err == ""

    book = reader.load(path)
    assert book.format == formats.CURRENT == 6
    after = book_values(path)
    assert after["linkages"] and after["cases"]  # the sample register is not empty
    for key in before:
        assert after[key] == before[key], key

    # validate: the fixture itself says format-old as a warning (exit 0: what it lacks, such as
    # format 5's optional 審議案件 columns, is no error), the upgraded copy does not
    code, out, err = run_cli(capsys, "validate", FIXTURE[".xlsm"], "--json")
    assert code == 0, err
    old = json.loads(out)
    assert old["errors"] == 0
    flagged = [i for i in old["issues"] if i["code"] == "format-old"]
    assert len(flagged) == 1
    assert flagged[0]["severity"] == "warning"
    assert "xlkit upgrade" in flagged[0]["message"]

    code, out, err = run_cli(capsys, "validate", path, "--json")
    assert code == 0, err
    new = json.loads(out)
    assert not [i for i in new["issues"] if i["code"] == "format-old"]
    # every other finding is the same: the upgrade changed no value
    assert new["issues"] == [i for i in old["issues"] if i["code"] != "format-old"]
    assert (new["errors"], new["warnings"]) == (old["errors"], old["warnings"] - 1)

    code, out, _ = run_cli(capsys, "validate", FIXTURE[".xlsm"])
    assert code == 0
    assert messages.text("format.old_register", 形式=1, 対応=formats.CURRENT) in out


# --------------------------------------------------------------------------- 2. parts


def test_upgrade_changes_only_the_parts_its_steps_need_and_the_vba_project(tmp_path, capsys):
    path = copy_fixture(tmp_path)
    assert run_cli(capsys, "upgrade", path)[0] == 0
    old, new = members(FIXTURE[".xlsm"]), members(path)
    assert_members(new, old, new_parts(".xlsm"))
    changed = sorted(n for n in old if old[n] != new[n])
    assert set(changed) == UPGRADE_PARTS | {VBA, BUTTONS_VML}, changed
    for name in old:
        if name not in UPGRADE_PARTS | {VBA, BUTTONS_VML}:
            assert new[name] == old[name], name
    assert_only_added(old, new)

    marker = MARKER % formats.CURRENT
    assert new[WORKBOOK].count(b'name="xlkit_format"') == 1
    assert new[WORKBOOK].count(marker) == 1
    assert new[WORKBOOK].count(b'name="%s"' % formats.ID_NAME.encode()) == 1
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert scan.format_version(z) == formats.CURRENT


# --------------------------------------------------------------------------- 3. xlsx, and again


def test_xlsx_upgrade_changes_only_the_parts_its_steps_need_and_a_second_upgrade_writes_nothing(tmp_path, capsys):
    path = copy_fixture(tmp_path, ".xlsx")
    result = tasks.upgrade(path)
    assert (result.before, result.after, result.vba, result.buttons, result.written) == (
        1, formats.CURRENT, False, False, True)
    assert result.steps == [step.title for step in migrate.steps_from(1)]
    old, new = members(FIXTURE[".xlsx"]), members(path)
    assert_members(new, old, new_parts(".xlsx"))
    assert {n for n in old if old[n] != new[n]} == UPGRADE_PARTS
    assert_only_added(old, new)
    assert book_values(path) == book_values(FIXTURE[".xlsx"])

    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))  # an mtime a rewrite would change
    state = folder_state(tmp_path)
    again = tasks.upgrade(path)
    assert again.written is False
    assert (again.before, again.after, again.steps, again.vba, again.buttons) == (
        formats.CURRENT, formats.CURRENT, [], False, False)
    assert folder_state(tmp_path) == state  # same bytes, same mtime, no lock or copy left behind

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert "すでに今の形式" in out and "変更していません" in out
    assert folder_state(tmp_path) == state


def test_a_second_upgrade_of_an_xlsm_reinstalls_the_vba_and_keeps_every_other_part(tmp_path, capsys):
    path = copy_fixture(tmp_path)
    assert tasks.upgrade(path).written
    first = members(path)
    again = tasks.upgrade(path)
    assert again.written is True
    assert (again.before, again.after, again.steps, again.vba, again.buttons) == (
        formats.CURRENT, formats.CURRENT, [], True, False)
    second = members(path)
    assert list(second) == list(first)
    # the VBA project, and the 変更履歴 row that says so (its filter's range grows in workbook.xml)
    logged = {VBA, NEW_SHEETS[1], WORKBOOK}
    changed = {name for name in first if second[name] != first[name]}
    assert NEW_SHEETS[1] in changed and changed <= logged
    assert VBA in second and second[VBA]
    history = [r for r in sheet_rows(path, schema.history()) if r.get("column") == "マクロ（VBA）"]
    assert len(history) == 2 and {r["action"] for r in history} == {"形式の更新"}
    assert book_values(path) == book_values(FIXTURE[".xlsm"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no lock, no temporary copy

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert f"登録簿はすでに今の形式（形式 {formats.CURRENT}）です" in out
    assert "ボタンのマクロを、入っている xlwings に合わせて作り直しました" in out


# --------------------------------------------------------------------------- 4. buttons in LibreOffice


def _unbind_summarize(path: Path) -> None:
    """The 集計 button calling a macro that is not ours, as after staff re-assigned it in Excel."""
    rewrite_member(path, howto_vml(path), lambda d: d.replace(
        b"<x:FmlaMacro>[0]!XlkitSummarize</x:FmlaMacro>", b"<x:FmlaMacro>[0]!Macro1</x:FmlaMacro>"))


@needs_soffice
@pytest.mark.parametrize("unbound", [False, True], ids=["format1", "format1-unbound"])
def test_the_upgraded_registers_buttons_are_bound_and_hand_runpython_their_line(tmp_path, unbound):
    path = copy_fixture(tmp_path)
    if unbound:
        _unbind_summarize(path)
    result = tasks.upgrade(path)
    assert result.written and result.vba and result.buttons  # the fixture lacks 照会票作成, 回答取込, 年度締め

    report = inspect(path, tmp_path)
    assert report["sheets"] == list(design.macro_sheet_order())  # 回答状況 and 変更履歴 last, then ボタンの文言
    assert all(report["protected"][log.sheet] for log in LOGS)
    modules = set(report["libraries"]["VBAProject"])
    assert {"xlkit", "xlwings"} <= modules
    with Package(path) as package:
        codes = migrate.sheet_code_names(package)
    assert {codes[log.sheet] for log in LOGS} <= modules  # the new sheets' document modules
    controls = report["controls"]
    assert [c["label"] for c in controls] == list(EXPECTED)
    for control in controls:
        sub, _ = EXPECTED[control["label"]]
        assert control["sheet"] == design.HOWTO
        clicks = [e for e in control["events"] if e["method"] == "actionPerformed"]
        assert [e["code"] for e in clicks] == [
            f"vnd.sun.star.script:VBAProject.xlkit.{sub}?language=Basic&location=document"]
    assert [(r["label"], r["received"], r["error"]) for r in report["button_runs"]] == [
        (label, [line], None) for label, (_, line) in EXPECTED.items()]


# --------------------------------------------------------------------------- 5. what staff added


@pytest.mark.parametrize("suffix, unbound", [(".xlsm", False), (".xlsx", False), (".xlsm", True)],
                         ids=["xlsm", "xlsx", "xlsm-unbound"])
def test_an_upgrade_keeps_everything_staff_added(tmp_path, suffix, unbound):
    source = copy_fixture(tmp_path, suffix, name="元")
    decorated = tmp_path / f"登録簿{suffix}"
    deco = decorate(source, decorated)
    assert deco.added and deco.changed
    assert missing(decorated, deco) == []
    # the buttons of an .xlsm are drawn again (the fixture lacks three) beside the objects staff added
    ours = UPGRADE_PARTS | ({VBA, BUTTONS_VML} if suffix == ".xlsm" else set())
    if unbound:
        _unbind_summarize(decorated)
    with Package(decorated) as package:
        (picture,) = package.related(HOWTO, "drawing")  # staff's picture on 使い方, at B29
        ours.add(picture)
    dressed = members(decorated)

    result = tasks.upgrade(decorated)
    assert result.written and result.before == 1 and result.buttons is (suffix == ".xlsm")
    # the picture moved down with its row, as in Excel when rows are inserted above it: that alone changed
    assert missing(decorated, deco) == [f"picture: marker not in {picture}"]
    assert members(decorated)[picture] == dressed[picture].replace(
        b"<xdr:row>28</xdr:row>", b"<xdr:row>%d</xdr:row>" % (28 + len(NEW_BUTTONS) + HOWTO_LINES))

    upgraded, original = members(decorated), members(FIXTURE[suffix])
    assert_members(upgraded, dressed, new_parts(suffix))
    for name in dressed:  # what decorate wrote, added or changed, is carried over as it is
        if name not in ours:
            assert upgraded[name] == dressed[name], name
    untouched = [n for n in original if n not in deco.changed | deco.added | ours]
    assert untouched
    for name in untouched:  # and every part neither meant to touch is still the old xlkit's
        assert upgraded[name] == original[name], name
    assert_only_added(dressed, upgraded)  # staff's content types and relationships among them


# --------------------------------------------------------------------------- 5b. 使い方's button rows


def howto_cells(path: Path) -> list[list]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)[design.HOWTO].iter_rows()]


def button_rows(path: Path) -> dict[str, int]:
    """Caption -> the row (1-based) its button's anchor starts on, from 使い方's VML drawing."""
    with Package(path) as package:
        vml = package.read(howto_vml(path)).decode()
    subs = {sub: caption for caption, (sub, _) in EXPECTED.items()}
    rows = {}
    for shape in re.findall(r"<v:shape .*?</v:shape>", vml, re.S):
        macro = re.search(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape)
        anchor = [int(x) for x in re.search(r"<x:Anchor>([^<]*)</x:Anchor>", shape)[1].split(",")]
        assert anchor[2] == anchor[6]  # within one row
        rows[subs[macro[1]]] = anchor[2] + 1
    return rows


def assert_lists_every_button(path: Path, fresh_path: Path) -> None:
    """使い方 as `xlkit new` writes it today (its values, its rows' heights and looks), and in an
    .xlsm each of the seven buttons bound and drawn on the row that says what it does."""
    assert howto_cells(path) == howto_cells(fresh_path)
    ours, theirs = (openpyxl.load_workbook(p)[design.HOWTO] for p in (path, fresh_path))
    for r in range(1, theirs.max_row + 1):
        assert ours.row_dimensions[r].height == theirs.row_dimensions[r].height, r
    grid = howto_cells(path)
    helps = {row[2]: r for r, row in enumerate(grid, start=1) if len(row) > 2 and row[2]}
    for button in design.BUTTONS:
        row = helps[button.help]
        assert look(ours.cell(row, 3)) == look(ours.cell(helps[design.BUTTONS[0].help], 3))
        if path.suffix == ".xlsx":  # no buttons: the caption is the row's text
            assert grid[row - 1][1] == button.caption
    if path.suffix == ".xlsm":
        with Package(path) as package:
            assert migrate.unbound_buttons(package) == []
        assert button_rows(path) == {b.caption: helps[b.help] for b in design.BUTTONS}


@pytest.mark.parametrize("suffix", [".xlsm", ".xlsx"])
def test_the_upgraded_howto_lists_every_button_like_a_new_register(tmp_path, fresh, suffix):
    path = copy_fixture(tmp_path, suffix)
    assert len([row for row in howto_cells(path) if len(row) > 2 and row[2] in
                {b.help for b in design.BUTTONS}]) == 4
    result = tasks.upgrade(path)
    assert result.buttons is (suffix == ".xlsm")
    assert_lists_every_button(path, fresh[suffix])
    # the upgrade is done: a second one adds no row, and an .xlsm's buttons are left as they are
    before = members(path)[HOWTO]
    again = tasks.upgrade(path)
    assert again.buttons is False and members(path)[HOWTO] == before


def test_a_register_made_with_four_buttons_gets_the_rows_of_the_new_ones_when_they_are_drawn(tmp_path, fresh,
                                                                                          monkeypatch):
    """A register of today's format made before 照会票作成, 回答取込 and 年度締め existed: its buttons
    are drawn again by `xlkit upgrade`, which first gives 使い方 their rows (else three buttons would
    cover the text of 入力のしかた)."""
    with monkeypatch.context() as patched:
        patched.setattr(design, "BUTTONS", design.BUTTONS[:4])
        path = builder.build(tmp_path / "登録簿.xlsm", settings={"report_year": 2021})
    with Package(path) as package:
        assert migrate.unbound_buttons(package) == [b.caption for b in NEW_BUTTONS]
    result = tasks.upgrade(path)
    assert (result.steps, result.buttons, result.written) == ([], True, True)
    assert_lists_every_button(path, fresh[".xlsm"])


def test_what_is_anchored_below_the_button_rows_moves_down_with_them(tmp_path):
    """A print area, a merged cell, the selection and a page break of 使い方 follow their rows (four
    rows inserted at row 9 — 照会票作成, 回答取込, 年度締め, 診断 — and format 5's line about 外部提供 at
    row 18), as in Excel when rows are inserted; what is above the new rows stays."""
    path = format2(tmp_path, ".xlsx")
    rewrite_member(path, WORKBOOK, lambda d: d.replace(b"<definedNames>", (
        "<definedNames><definedName name=\"_xlnm.Print_Area\" localSheetId=\"0\">'使い方'!$A$1:$C$26</definedName>"
    ).encode(), 1))
    rewrite_member(path, HOWTO, lambda d: d.replace(
        b'<selection activeCell="A1" sqref="A1"/>', b'<selection activeCell="C20" sqref="C20 B5:C6"/>').replace(
        b'<mergeCells count="1"><mergeCell ref="B2:C2"/></mergeCells>',
        b'<mergeCells count="2"><mergeCell ref="B2:C2"/><mergeCell ref="B25:C25"/></mergeCells>').replace(
        b"</headerFooter>", b'</headerFooter><rowBreaks count="2" manualBreakCount="2"><brk id="8" max="16383" man="1"/>'
                            b'<brk id="19" max="16383" man="1"/></rowBreaks>'))
    assert tasks.upgrade(path).written
    after = members(path)
    moved = len(NEW_BUTTONS) + HOWTO_LINES  # rows below 審議案件's line move this far
    assert re.search(rb'<definedName name="_xlnm.Print_Area" localSheetId="0">\'\xe4\xbd\xbf\xe3\x81\x84\xe6\x96\xb9\''
                     rb"!\$A\$1:\$C\$%d</definedName>" % (26 + moved), after[WORKBOOK])
    assert b'<selection activeCell="C%d" sqref="C%d B5:C6"/>' % (20 + moved, 20 + moved) in after[HOWTO]
    assert b'<mergeCell ref="B2:C2"/><mergeCell ref="B%d:C%d"/>' % (25 + moved, 25 + moved) in after[HOWTO]
    assert b'<brk id="8" max="16383" man="1"/><brk id="%d" max="16383" man="1"/>' % (19 + moved) in after[HOWTO]
    workbook = openpyxl.load_workbook(path)
    assert workbook[design.HOWTO].print_area == f"'使い方'!$A$1:$C${26 + moved}"
    assert workbook[design.HOWTO][f"B{26 + moved}"].value == "マクロの有効化"  # row 26 of the .xlsx fixture


def test_a_note_staff_typed_under_the_buttons_is_not_taken_for_one(tmp_path):
    path = copy_fixture(tmp_path)
    note = "職員のメモ：照会は毎年4月"
    rewrite_member(path, HOWTO, lambda d: d.replace(b'<row r="11">', (
        f'<row r="9"><c r="C9" t="inlineStr"><is><t>{note}</t></is></c></row><row r="11">').encode(), 1))
    assert tasks.upgrade(path).buttons
    grid = howto_cells(path)
    assert [row[2] for row in grid[8:9 + len(NEW_BUTTONS)]] == [*(b.help for b in NEW_BUTTONS), note]
    assert button_rows(path) == {b.caption: r for r, b in enumerate(design.BUTTONS, start=5)}


def test_a_legacy_drawing_below_the_new_rows_moves_with_them():
    vml = (b"<x:ClientData ObjectType=\"Button\"><x:Anchor>1, 4, 7, 3, 1, 154, 7, 37</x:Anchor></x:ClientData>"
           b"<x:ClientData ObjectType=\"Note\"><x:Anchor>3, 15, 11, 10, 5, 15, 15, 4</x:Anchor>"
           b"<x:Row>11</x:Row><x:Column>2</x:Column></x:ClientData>")
    # two rows inserted at row 9, below row 8 (rows counted from 0 in the drawing: 8 is row 9)
    shifted = row_insert._moved_vml(vml, sheet_xml.RowShift({8: 2}))
    assert b"<x:Anchor>1, 4, 7, 3, 1, 154, 7, 37</x:Anchor>" in shifted  # the button above stays
    assert b"<x:Anchor>3, 15, 13, 10, 5, 15, 17, 4</x:Anchor>" in shifted and b"<x:Row>13</x:Row>" in shifted


def single_quoted(xml: bytes) -> bytes:
    """A part with every attribute in single quotes, as XML allows and some writers write them."""
    return re.sub(rb'(\s[\w:.-]+)="([^"\']*)"', rb"\1='\2'", xml)


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_a_howto_written_with_single_quotes_gets_its_rows_below_renumbered(tmp_path, fresh, suffix):
    """The rows below the new button rows move down also when 使い方 quotes its attributes with ':
    no two rows of one number (Excel would refuse the file), every row where a new register has it."""
    path = copy_fixture(tmp_path, suffix)
    rewrite_member(path, HOWTO, single_quoted)

    def rows() -> list[int]:
        return [int(n) for n in re.findall(rb"""<row\b[^>]*?\sr=["'](\d+)["']""", members(path)[HOWTO])]

    before = rows()
    assert b' r="' not in members(path)[HOWTO] and before == sorted(set(before))
    assert tasks.upgrade(path).written
    numbers = rows()
    assert numbers == sorted(set(numbers)) and max(numbers) == max(before) + len(NEW_BUTTONS) + HOWTO_LINES
    assert_lists_every_button(path, fresh[suffix])


def test_a_name_on_another_sheet_whose_name_ends_in_the_howtos_stays(tmp_path):
    """Only names on 使い方 itself follow its rows: '旧使い方'!… and 入力の使い方!… name other sheets."""
    path = format2(tmp_path, ".xlsx")
    others = ("<definedName name=\"旧一覧\">'旧使い方'!$A$1:$C$30</definedName>"
              "<definedName name=\"入力欄\">入力の使い方!$B$12</definedName>"
              "<definedName name=\"外部の使い方\">[1]使い方!$B$12</definedName>")
    rewrite_member(path, WORKBOOK, lambda d: d.replace(b"<definedNames>", (
        "<definedNames><definedName name=\"_xlnm.Print_Area\" localSheetId=\"0\">'使い方'!$A$1:$C$26</definedName>"
        "<definedName name=\"使い方の欄\">使い方!$B$12,使い方!$B$2</definedName>" + others).encode(), 1))
    assert tasks.upgrade(path).written
    names = members(path)[WORKBOOK].decode()
    assert others in names  # byte for byte
    # B12 is above 審議案件's line: only the four button rows move it; the print area's end moves one more
    assert f"'使い方'!$A$1:$C${26 + len(NEW_BUTTONS) + HOWTO_LINES}</definedName>" in names
    assert f">使い方!$B${12 + len(NEW_BUTTONS)},使い方!$B$2</definedName>" in names


# --------------------------------------------------------------------------- 6. unbound buttons


@pytest.mark.parametrize("change", [
    lambda d: d.replace(b"<x:FmlaMacro>[0]!XlkitSummarize</x:FmlaMacro>", b"<x:FmlaMacro>[0]!Macro1</x:FmlaMacro>"),
    lambda d: d.replace(b"<x:FmlaMacro>[0]!XlkitSummarize</x:FmlaMacro>", b""),
], ids=["another-macro", "no-macro"])
@pytest.mark.parametrize("current", [False, True], ids=["format1", "current"])
def test_upgrade_binds_unbound_buttons_again(tmp_path, capsys, change, current):
    path = copy_fixture(tmp_path)
    if current:
        assert tasks.upgrade(path).written
    vml = howto_vml(path)
    rewrite_member(path, vml, change)
    with Package(path) as package:
        # the format 1 fixture has no buttons for 照会票作成, 回答取込 and 年度締め yet
        assert migrate.unbound_buttons(package) == ["集計", *([] if current else [b.caption for b in NEW_BUTTONS])]
    broken = members(path)

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert "  ・「使い方」シートのボタンを作り直しました" in out.splitlines()

    with Package(path) as package:
        assert migrate.unbound_buttons(package) == []
        macros = package.read(vml)
    for caption, (sub, _) in EXPECTED.items():
        assert macros.count(f"<x:FmlaMacro>[0]!{sub}</x:FmlaMacro>".encode()) == 1, caption
    repaired = members(path)
    assert_members(repaired, broken, [] if current else new_parts(".xlsm"))
    ours = {vml, WORKBOOK, VBA, NEW_SHEETS[1]} | (set() if current else UPGRADE_PARTS)  # NEW_SHEETS[1]: 変更履歴
    for name in broken:
        if name not in ours:
            assert repaired[name] == broken[name], name
    assert book_values(path) == book_values(FIXTURE[".xlsm"])


def test_upgraded_buttons_report_through_the_task(tmp_path):
    path = copy_fixture(tmp_path)
    _unbind_summarize(path)
    result = tasks.upgrade(path)
    assert result.buttons is True and result.vba is True and result.written is True
    with Package(path) as package:
        assert migrate.unbound_buttons(package) == []
    # a register whose buttons are all bound is not redrawn
    assert tasks.upgrade(path).buttons is False


# --------------------------------------------------------------------------- 7. a newer format


def _every_command(path: Path, table: Path) -> list[list]:
    return [["upgrade", path], ["validate", path], ["import", path, table, "--year", "2020"],
            ["summarize", path]]


@pytest.mark.parametrize("command", ["upgrade", "validate", "import", "summarize"])
def test_a_register_of_a_newer_format_is_refused_untouched(tmp_path, capsys, command):
    path = with_marker(tmp_path, formats.CURRENT + 1)
    with zipfile.ZipFile(path) as z:
        assert z.read(WORKBOOK).count(b'name="xlkit_format"') == 1
        assert scan.format_version(z) == formats.CURRENT + 1
    table = write_table(tmp_path)
    state = folder_state(tmp_path)
    args = next(a for a in _every_command(path, table) if a[0] == command)

    code, out, err = run_cli(capsys, *args)
    assert code == 2, (out, err)
    assert NEWER in err
    assert f"形式は {formats.CURRENT + 1}" in err and path.name in err
    assert "Traceback" not in err and "Error" not in err
    assert folder_state(tmp_path) == state  # bytes, mtime; no lock or copy left behind


def test_a_newer_register_is_refused_by_the_reader_and_the_task(tmp_path):
    from xlkit.errors import Refusal

    path = with_marker(tmp_path, formats.CURRENT + 1)
    before = path.read_bytes()
    with pytest.raises(Refusal) as e:
        reader.load(path)
    assert NEWER in e.value.message
    with pytest.raises(Refusal) as e:
        tasks.upgrade(path)
    assert NEWER in e.value.message and e.value.exit_code == 2
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["upgrade", "validate", "import", "summarize"])
def test_an_unreadable_format_marker_is_said_in_japanese(tmp_path, capsys, command):
    path = with_marker(tmp_path, formats.CURRENT, name="abc")
    rewrite_member(path, WORKBOOK, lambda d: d.replace(
        MARKER % formats.CURRENT, b'<definedName name="xlkit_format">abc</definedName>', 1))
    with zipfile.ZipFile(path) as z:
        assert b'<definedName name="xlkit_format">abc</definedName>' in z.read(WORKBOOK)
    table = write_table(tmp_path)
    state = folder_state(tmp_path)
    args = next(a for a in _every_command(path, table) if a[0] == command)

    code, out, err = run_cli(capsys, *args)
    assert code == 2, (out, err)
    assert "xlkit_format" in err and "「abc」" in err
    assert err.strip() == messages.text("cli.error", 内容=messages.text(
        "format.unreadable", 値="abc", 名前=formats.NAME))
    assert folder_state(tmp_path) == state


# --------------------------------------------------------------------------- 8. import waits for the upgrade


def test_import_into_a_format_1_register_is_refused_until_it_is_upgraded(tmp_path, capsys):
    path = copy_fixture(tmp_path)
    table = write_table(tmp_path)
    count = len(reader.load(path).linkages)
    state = folder_state(tmp_path)

    code, out, err = run_cli(capsys, "import", path, table, "--year", "2020")
    assert code == 2, (out, err)
    assert "xlkit upgrade で更新してください" in err
    assert f'xlkit upgrade "{path}"' in err  # the command line's hint, naming the path
    assert path.name in err and "形式 1" in err
    assert folder_state(tmp_path) == state

    assert run_cli(capsys, "upgrade", path)[0] == 0
    code, out, err = run_cli(capsys, "import", path, table, "--year", "2020")
    assert code == 0, err
    assert "1 件を追加しました" in out
    book = reader.load(path)
    assert len(book.linkages) == count + 1
    assert book.linkages[-1].values["business"] == "形式更新後に追加する業務"
    assert book.format == formats.CURRENT


# --------------------------------------------------------------------------- 9. a step for every format


def test_every_format_has_a_step_and_the_steps_reach_the_current_format(tmp_path):
    assert formats.FIRST < formats.CURRENT
    for version in range(formats.FIRST, formats.CURRENT):
        assert version in migrate.STEPS, f"no upgrade step from format {version}"
        assert migrate.STEPS[version].title
    assert set(migrate.STEPS) == set(range(formats.FIRST, formats.CURRENT))
    assert migrate.steps_from(formats.CURRENT) == []

    path = copy_fixture(tmp_path)
    with Package(path) as package:
        assert scan.format_version(package) == formats.FIRST
        done = migrate.apply(package, formats.FIRST)
        assert done == [migrate.STEPS[v].title for v in range(formats.FIRST, formats.CURRENT)]
        assert scan.format_version(package) == formats.CURRENT
        # applied again from the current format: nothing to do, and one marker only
        assert migrate.apply(package, formats.CURRENT) == []
        migrate.set_format(package, formats.CURRENT)
        assert package.read(WORKBOOK).count(b'name="xlkit_format"') == 1
    assert path.read_bytes() == FIXTURE[".xlsm"].read_bytes()  # the package was not saved


# --------------------------------------------------------------------------- 10. the lock


def _foreign_lock(path: Path) -> Path:
    held = lock.lock_path(path)
    held.write_text(json.dumps({
        "user": "suzuki", "host": "他のPC", "pid": 4321,
        "started": dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
        "purpose": "取り込み", "token": "0123456789abcdef0123456789abcdef", "xlkit": "0.0.0",
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    return held


def test_upgrade_waits_for_the_lock_of_another_pc_unless_cleared(tmp_path, capsys, monkeypatch):
    from xlkit.workbook import writer

    # the writer waits a while for a live colleague's lock before refusing; not here
    monkeypatch.setattr(writer, "LOCK_WAIT", 0.0)
    path = copy_fixture(tmp_path)
    held = _foreign_lock(path)
    state = folder_state(tmp_path)

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2, (out, err)
    assert "suzuki" in err and "他のPC" in err and "「取り込み」で使用中" in err
    assert "--clear-lock" in err
    assert folder_state(tmp_path) == state  # the register and the other PC's lock as they were

    code, out, err = run_cli(capsys, "upgrade", path, "--clear-lock")
    assert code == 0, err
    assert f"形式 1 から形式 {formats.CURRENT}" in out
    assert not held.exists()
    assert reader.load(path).format == formats.CURRENT
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


# --------------------------------------------------------------------------- 11. read-only


@pytest.fixture
def read_only(tmp_path):
    path = copy_fixture(tmp_path)
    path.chmod(0o444)
    yield path
    path.chmod(0o644)


def test_a_read_only_register_is_refused_and_left_alone(tmp_path, read_only, capsys):
    state = folder_state(tmp_path)
    code, out, err = run_cli(capsys, "upgrade", read_only)
    assert code == 2, (out, err)
    assert messages.text("register.read_only", ファイル=read_only.name) in err
    assert folder_state(tmp_path) == state
    assert read_only.stat().st_mode & 0o777 == 0o444
    assert reader.load(read_only).format == 1


# --------------------------------------------------------------------------- 12. format 3: 回答状況, 変更履歴, 回答期限, the id


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
@pytest.mark.parametrize("kind", SOURCES)
def test_the_step_to_format_3_adds_the_two_sheets_the_due_row_and_the_id(tmp_path, fresh, kind, suffix):
    path = source_register(kind, suffix, tmp_path, fresh)
    with zipfile.ZipFile(path) as z:
        sheets_before = list(scan.sheet_parts(z))
    settings_before = grid(path, design.settings_sheet())
    assert DUE not in [row[0] for row in settings_before]
    values_before, found_before = book_values(path), findings(path)

    result = tasks.upgrade(path)
    assert result.written and result.after == formats.CURRENT
    assert result.steps[-4:] == [migrate.STEPS[v].title for v in (2, 3, 4, 5)]

    # the two sheets after every sheet there was, in the order of a new register (format 5's
    # 外部提供 after 審議案件, format 6's 診断 after 集計 and, in an .xlsm, ボタンの文言 last)
    later = {PROVISIONS, design.DIAGNOSIS, design.MACRO_TEXTS}
    with zipfile.ZipFile(path) as z:
        sheets = list(scan.sheet_parts(z))
        assert [s for s in sheets if s not in later] == [*sheets_before, *(log.sheet for log in LOGS)]
        assert sheets == list(design.macro_sheet_order() if suffix == ".xlsm" else design.sheet_order())
        assert sheets.index(PROVISIONS) == sheets.index(design.case_sheet()) + 1
        register_id = scan.register_id(z)
    assert re.fullmatch("[0-9a-f]{32}", register_id)
    book = reader.load(path)
    assert (book.format, book.register_id) == (formats.CURRENT, register_id)

    # their header rows as the schemas say, read by openpyxl and by calamine; protected, filtered
    workbook = openpyxl.load_workbook(path)
    shown = [n for n in workbook.sheetnames if n != design.MACRO_TEXTS]  # an .xlsm's hidden texts are last
    assert shown[-2:] == [log.sheet for log in LOGS]
    for log in LOGS:
        ws = workbook[log.sheet]
        assert [c.value for c in ws[1]] == log.headers
        assert grid(path, log.sheet)[0] == log.headers
        assert ws.protection.sheet is True
        # "0" in the file: filtering, sorting and widening columns are allowed on the protected sheet
        assert (ws.protection.autoFilter, ws.protection.sort, ws.protection.formatColumns) == (False, False, False)
        assert ws.freeze_panes == "A2"
        # over the header and the rows written since (the upgrade itself is written to 変更履歴)
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(log.columns)).column_letter}{ws.max_row}"
        widths = [columns(ws)[i][0] for i in range(1, len(log.columns) + 1)]
        assert widths == pytest.approx([c.width + 0.71 for c in log.columns], abs=0.01)  # as Excel stores them

    # 設定: one row 回答期限 below the rows there were, which are as they were (then format 4's 締めた年度
    # and format 5's その他の記載)
    settings_after = grid(path, design.settings_sheet())
    assert [row[0] for row in settings_after].count(DUE) == 1
    assert settings_after[:len(settings_before)] == settings_before
    assert settings_after[len(settings_before):] == [
        [DUE, "", schema.settings().column("survey_due").input_message],
        [CLOSED, "", schema.settings().column("closed_years").input_message],
        [OTHER_NOTE, "", schema.settings().column("other_note").input_message]]
    assert "survey_due" not in book.settings and "closed_years" not in book.settings
    assert book_values(path) == values_before

    # 入力チェック finds nothing new (and no longer asks for the upgrade)
    found_after = findings(path)
    assert "format-old" in {f[0] for f in found_before}
    assert found_after == {f for f in found_before if f[0] != "format-old"}

    if suffix == ".xlsm":  # each new sheet has a code name of its own and its document module
        from pyopenvba import ExcelFile

        with Package(path) as package:
            codes = migrate.sheet_code_names(package)
        # 回答状況 and 変更履歴, then format 5's 外部提供, then format 6's 診断 and ボタンの文言
        assert len(codes) == len(sheets_before) + 5 == len({c.casefold() for c in codes.values()})
        with ExcelFile(path) as excel:
            project = excel.vba_project()
            for sheet in (*(log.sheet for log in LOGS), PROVISIONS, design.DIAGNOSIS, design.MACRO_TEXTS):
                module = project.get_module(codes[sheet])
                assert module is not None, codes[log.sheet]
                assert 'VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in module.source
    else:
        assert tasks.upgrade(path).written is False  # a second upgrade writes nothing


def test_the_new_sheets_look_like_those_of_a_new_register(tmp_path, fresh):
    path = source_register("new-format2", ".xlsx", tmp_path, fresh)
    tasks.upgrade(path)
    new, upgraded = openpyxl.load_workbook(fresh[".xlsx"]), openpyxl.load_workbook(path)
    for log in LOGS:
        theirs, ours = new[log.sheet], upgraded[log.sheet]
        assert [look(c) for c in ours[1]] == [look(c) for c in theirs[1]]  # 設定's green header
        assert columns(ours) == columns(theirs)  # widths and format (XlsxWriter groups equal ones)
        assert ours.row_dimensions[1].height == theirs.row_dimensions[1].height == 24
        assert ours.page_setup.orientation == theirs.page_setup.orientation == "landscape"
        assert ours.print_title_rows == theirs.print_title_rows == "$1:$1"
        assert vars(ours.protection) == vars(theirs.protection)


@pytest.mark.parametrize("kind", ["format1", "new-format2"])
def test_a_date_typed_into_the_due_row_is_the_due_date(tmp_path, fresh, kind):
    path = source_register(kind, ".xlsx", tmp_path, fresh)
    tasks.upgrade(path)
    workbook = openpyxl.load_workbook(path)
    ws = workbook[design.settings_sheet()]
    rows = {r[0].value: r for r in ws.iter_rows(min_col=1, max_col=3) if r[0].value}
    title, value, help_text = rows[DUE]
    report_date = rows[schema.settings().header("report_date")][1]
    # the value cell of the other date settings: unlocked on the protected sheet, shaded, a date
    assert value.value is None and value.protection.locked is False
    assert look(value) == look(report_date)
    assert openpyxl.styles.numbers.is_date_format(value.number_format)
    assert help_text.value == schema.settings().column("survey_due").input_message
    above = rows[schema.settings().header("report_year")]
    assert (look(title), look(help_text)) == (look(above[0]), look(above[2]))
    value.value = dt.date(2022, 5, 13)
    workbook.save(path)
    book = reader.load(path)
    assert book.settings["survey_due"] == dt.date(2022, 5, 13)
    assert not [i for i in tasks.validate(book).issues if i.sheet == design.settings_sheet()]


@pytest.mark.parametrize("how", ["as-xlkit-new-wrote-it", "typed-by-staff"])
def test_a_due_row_that_is_there_is_not_added_again(tmp_path, fresh, how):
    if how == "as-xlkit-new-wrote-it":  # its title a shared string, as in a register Excel saved
        path = downgraded(FIXTURE3[".xlsx"], tmp_path / "登録簿.xlsx", keep_due=True)
        title = f"<si><t>{DUE}</t></si>".encode()
        # with the reading Excel adds to a Japanese string (furigana), which is not its text
        rewrite_member(path, "xl/sharedStrings.xml", lambda d: d.replace(title, title.replace(
            b"</t>", "</t><rPh sb=\"0\" eb=\"2\"><t>カイトウ</t></rPh><phoneticPr fontId=\"1\"/>".encode(), 1), 1))
        assert b"<rPh " in members(path)["xl/sharedStrings.xml"]
        due = None
    else:
        path = format2(tmp_path, ".xlsx")
        workbook = openpyxl.load_workbook(path)
        ws = workbook[design.settings_sheet()]
        ws["A20"], ws["B20"], ws["E3"] = DUE, dt.date(2022, 5, 13), "職員のメモ"
        workbook.save(path)
        due = dt.date(2022, 5, 13)
    settings = design.settings_sheet()
    with Package(path) as package:
        part = package.sheet_part(settings)
    before = members(path)
    rows = grid(path, settings)
    assert reader.load(path).settings.get("survey_due") == due

    assert tasks.upgrade(path).written
    # 設定: no second 回答期限; only format 4's row 締めた年度 and format 5's その他の記載 added below
    # the last row in use
    after = grid(path, settings)
    assert after[:len(rows)] == rows
    assert [row[0] for row in after[len(rows):] if any(row)] == [CLOSED, OTHER_NOTE]
    assert [row[0] for row in after].count(DUE) == 1
    assert reader.load(path).settings.get("survey_due") == due
    with Package(path) as package:
        assert package.read(part) != before[part]


@pytest.mark.parametrize("sheet", [log.sheet for log in LOGS])
def test_a_register_with_a_sheet_of_that_name_is_refused_in_japanese(tmp_path, capsys, sheet):
    path = format2(tmp_path, ".xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet(sheet)["A1"] = "職員が作った表"
    workbook.save(path)
    assert reader.load(path).format == 2
    state = folder_state(tmp_path)

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2, (out, err)
    assert f"シート「{sheet}」がすでにあります。名前を変えてから xlkit upgrade を実行してください。" in err
    assert path.name in err
    assert "Traceback" not in err and "Error" not in err
    assert folder_state(tmp_path) == state  # nothing written, no lock left

    with Package(path) as package, pytest.raises(XlkitError) as refused:
        migrate.STEPS[2].apply(package)
    assert sheet in refused.value.message
    assert package.changed == set()


def test_a_workbook_xml_written_with_a_prefix_gets_prefixed_sheets_and_names(tmp_path):
    """The Open XML SDK writes <x:workbook>, <x:sheet> …: what the step adds is written alike."""
    path = format2(tmp_path, ".xlsx")
    main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'

    def prefixed(data: bytes) -> bytes:
        assert main in data
        data = data.replace(main, main.replace(b"xmlns=", b"xmlns:x="), 1)
        return re.sub(rb"<(/?)(\w+)([\s>/])", rb"<\1x:\2\3", data)

    rewrite_member(path, WORKBOOK, prefixed)
    assert reader.load(path).format == 2

    assert tasks.upgrade(path).written
    with zipfile.ZipFile(path) as z:
        workbook = z.read(WORKBOOK)
        assert list(scan.sheet_parts(z))[-2:] == [log.sheet for log in LOGS]
        assert re.fullmatch("[0-9a-f]{32}", scan.register_id(z))
    assert re.search(rb"<(?:sheet|definedName)\b", workbook) is None  # every element with its x:
    assert workbook.count(b"<x:sheet ") == len(design.sheet_order())
    book = reader.load(path)
    assert book.format == formats.CURRENT
    for log in LOGS:
        assert grid(path, log.sheet)[0] == log.headers


def test_a_format_3_step_keeps_an_id_the_register_has(tmp_path):
    path = format2(tmp_path, ".xlsx")
    with Package(path) as package:
        migrate.set_name(package, formats.ID_NAME, '"0123456789abcdef0123456789abcdef"')
        migrate.STEPS[2].apply(package)
        assert scan.register_id(package) == "0123456789abcdef0123456789abcdef"
        assert package.read(WORKBOOK).count(formats.ID_NAME.encode()) == 1


@needs_soffice
def test_libreoffice_opens_the_upgraded_xlsx_with_every_sheet(tmp_path):
    """The .xlsm is opened by LibreOffice in the buttons' test above."""
    path = copy_fixture(tmp_path, ".xlsx")
    assert tasks.upgrade(path).written
    report = inspect(path, tmp_path)
    assert report["sheets"] == list(design.sheet_order())
    assert all(report["protected"][log.sheet] for log in LOGS)
    assert report["protected"][design.settings_sheet()]
