"""`xlkit upgrade`: registers of format 1 (tests/fixtures/format1_sample.xlsm/.xlsx, as the
previous xlkit wrote them) carried to the current format, every value, part and object kept;
registers of a newer format refused untouched by every command.

Every test works on copies in tmp_path; the fixtures themselves are only read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import REPO, needs_soffice
from support.decorate import decorate, missing
from xlkit import cli, formats, lock, messages, schema, tasks
from xlkit.workbook import design, migrate, reader, scan
from xlkit.workbook.package import Package

FIXTURES = REPO / "tests" / "fixtures"
FIXTURE = {".xlsm": FIXTURES / "format1_sample.xlsm", ".xlsx": FIXTURES / "format1_sample.xlsx"}
WORKBOOK = "xl/workbook.xml"
VBA = "xl/vbaProject.bin"
MARKER = b'<definedName name="xlkit_format">%d</definedName>'
NEWER = "この登録簿は新しい xlkit で作られています。xlkit を更新してください"
SCRIPT = REPO / "tests" / "uno" / "lo_register.py"

# caption -> (sub, the line its button hands RunPython), as tests/test_workbook_lo.py expects
EXPECTED = {
    "入力チェック": ("XlkitValidate", "import xlkit.macros as m; m.validate()"),
    "集計": ("XlkitSummarize", "import xlkit.macros as m; m.summarize()"),
    "Word出力": ("XlkitExportWord", "import xlkit.macros as m; m.export_word()"),
    "Excel出力": ("XlkitExportExcel", "import xlkit.macros as m; m.export_excel()"),
}

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


def members(path: Path) -> dict[str, bytes]:
    """Member name -> its (uncompressed) bytes, in the zip's order."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def rewrite_member(path: Path, name: str, change) -> None:
    """Replace one member of the zip at `path` by change(its bytes), every other member as it was."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    assert name in {info.filename for info, _ in items}, name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info, change(data) if info.filename == name else data)


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
    assert "形式 1" in out and "形式 2" in out
    assert "  ・ボタンのマクロを、入っている xlwings に合わせて作り直しました" in lines
    assert err == ""

    book = reader.load(path)
    assert book.format == formats.CURRENT == 2
    after = book_values(path)
    assert after["linkages"] and after["cases"]  # the sample register is not empty
    for key in before:
        assert after[key] == before[key], key

    # validate: the fixture itself says format-old as a warning (exit 0: no errors), the upgraded copy does not
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


def test_upgrade_changes_only_the_workbook_part_and_the_vba_project(tmp_path, capsys):
    path = copy_fixture(tmp_path)
    assert run_cli(capsys, "upgrade", path)[0] == 0
    old, new = members(FIXTURE[".xlsm"]), members(path)
    assert list(new) == list(old)
    changed = sorted(n for n in old if old[n] != new[n])
    assert set(changed) <= {WORKBOOK, VBA}, changed
    assert WORKBOOK in changed
    for name in old:
        if name not in (WORKBOOK, VBA):
            assert new[name] == old[name], name

    marker = MARKER % formats.CURRENT
    assert new[WORKBOOK].count(b'name="xlkit_format"') == 1
    assert new[WORKBOOK].count(marker) == 1
    assert new[WORKBOOK].replace(marker, b"", 1) == old[WORKBOOK]
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert scan.format_version(z) == formats.CURRENT


# --------------------------------------------------------------------------- 3. xlsx, and again


def test_xlsx_upgrade_changes_only_workbook_xml_and_a_second_upgrade_writes_nothing(tmp_path, capsys):
    path = copy_fixture(tmp_path, ".xlsx")
    result = tasks.upgrade(path)
    assert (result.before, result.after, result.vba, result.buttons, result.written) == (
        1, formats.CURRENT, False, False, True)
    assert result.steps == [step.title for step in migrate.steps_from(1)]
    old, new = members(FIXTURE[".xlsx"]), members(path)
    assert list(new) == list(old)
    assert [n for n in old if old[n] != new[n]] == [WORKBOOK]
    assert new[WORKBOOK].replace(MARKER % formats.CURRENT, b"", 1) == old[WORKBOOK]
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
    for name in first:
        if name != VBA:
            assert second[name] == first[name], name
    assert VBA in second and second[VBA]
    assert book_values(path) == book_values(FIXTURE[".xlsm"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no lock, no temporary copy

    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert f"登録簿はすでに今の形式（形式 {formats.CURRENT}）です" in out
    assert "ボタンのマクロを、入っている xlwings に合わせて作り直しました" in out


# --------------------------------------------------------------------------- 4. buttons in LibreOffice


def _uno_python() -> str:
    for candidate in ("/usr/bin/python3", sys.executable, shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0:
            return candidate
    pytest.fail("LibreOffice is installed but no Python can import uno (install python3-uno)")


def _inspect(book: Path, tmp_path: Path) -> dict:
    out = tmp_path / f"{book.stem}.json"
    done = subprocess.run([_uno_python(), str(SCRIPT), "inspect", str(book), str(out)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


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
    assert result.written and result.vba and result.buttons is unbound

    report = _inspect(path, tmp_path)
    assert {"xlkit", "xlwings"} <= set(report["libraries"]["VBAProject"])
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
    ours = {WORKBOOK, VBA} if suffix == ".xlsm" else {WORKBOOK}
    if unbound:  # the buttons are drawn again beside the objects staff added
        _unbind_summarize(decorated)
        ours.add(howto_vml(decorated))
    dressed = members(decorated)

    result = tasks.upgrade(decorated)
    assert result.written and result.before == 1 and result.buttons is unbound
    assert missing(decorated, deco) == []

    upgraded, original = members(decorated), members(FIXTURE[suffix])
    assert list(upgraded) == list(dressed)
    for name in dressed:  # what decorate wrote, added or changed, is carried over as it is
        if name not in ours:
            assert upgraded[name] == dressed[name], name
    untouched = [n for n in original if n not in deco.changed | deco.added | ours]
    assert untouched
    for name in untouched:  # and every part neither meant to touch is still the old xlkit's
        assert upgraded[name] == original[name], name
    assert upgraded[WORKBOOK].replace(MARKER % formats.CURRENT, b"", 1) == dressed[WORKBOOK]


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
        assert migrate.unbound_buttons(package) == ["集計"]
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
    assert list(repaired) == list(broken)
    for name in broken:
        if name not in (vml, WORKBOOK, VBA):
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

    path = with_marker(tmp_path, 3)
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
