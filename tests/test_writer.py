"""The register writer (xlkit/workbook/writer.py): what a careful tester tried on `xlkit import`.

Two imports at once, a read-only file, a file changed between read and write, a killed import,
staff's pictures and text boxes, a formatted cell at P1048576, tricky text and the 1904 date
system. Each finding of the issue is one test here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlkit import files, lock, owner_files, schema, tasks
from xlkit.errors import XlkitError
from xlkit.workbook import appender, reader, writer
from xlkit.workbook.package import Package
from support import REPO, SAMPLE, run_cli, said
from support.decorate import decorate, missing

HEADER = "No.\t" + "\t".join(schema.linkage().header(k) for k in (
    "division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start"))


def table(names: list[str], division: str = "総務課") -> str:
    lines = [HEADER] + [f"{i}\t{division}\t{name}\t理由\t対象者\t項目\t\t令和3年度第1回審議会承認\t相手方\tR3.5.{1 + i % 28}"
                        for i, name in enumerate(names, start=1)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def register(tmp_path) -> Path:
    path = tmp_path / "登録簿.xlsx"
    shutil.copyfile(SAMPLE, path)
    return path


def untouched(register: Path, before: bytes) -> bool:
    """The register as it was, and nothing beside it: no copy, no temp file, no lock."""
    assert register.read_bytes() == before
    assert sorted(p.name for p in register.parent.iterdir()) == [register.name]
    return True


def businesses(path: Path) -> list[str]:
    return [r.values["business"] for r in reader.load(path).linkages]


# --------------------------------------------------------------------------- two writers at once


RACER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from xlkit import cli
    go = Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.001)
    sys.exit(cli.main(["import", sys.argv[2], sys.argv[3], "--year", "2021"]))
""")


@pytest.mark.parametrize("sizes", [(1, 1), (1, 200)])
def test_two_imports_started_together_lose_no_row(tmp_path, register, sizes):
    """Each round: both tables' rows are all there, or one import was refused with a message."""
    script = tmp_path / "racer.py"
    script.write_text(RACER.format(repo=str(REPO)), encoding="utf-8")
    before = businesses(register)
    for round_ in range(3):
        go = tmp_path / f"go{round_}"
        tables = []
        for who, size in zip("AB", sizes):
            t = tmp_path / f"{who}{round_}.txt"
            t.write_text(table([f"{who}{round_}-{i}" for i in range(size)]), encoding="utf-8")
            tables.append(t)
        racers = [subprocess.Popen([sys.executable, str(script), str(go), str(register), str(t)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
                  for t in tables]
        go.touch()
        results = [(p.wait(timeout=120), *p.communicate()) for p in racers]
        now = businesses(register)
        for (code, out, err), who, size in zip(results, "AB", sizes):
            mine = [f"{who}{round_}-{i}" for i in range(size)]
            if code == 0:
                assert all(name in now for name in mine), (who, err)
            else:
                assert code == 2 and "使用中" in err and "Traceback" not in err, err
                assert not any(name in now for name in mine)
        assert sum(code == 0 for code, _, _ in results) >= 1
        assert now[:len(before)] == before
        before = now
    assert not lock.lock_path(register).exists()


# --------------------------------------------------------------------------- files staff protect


def test_a_read_only_register_is_not_replaced(tmp_path, register, capsys):
    t = tmp_path / "t.txt"
    t.write_text(table(["読み取り専用"]), encoding="utf-8")
    before = register.read_bytes()
    register.chmod(0o444)
    try:
        code, _, err = run_cli(capsys, "import", register, t, "--year", "2021")
        assert code == 2
        assert "読み取り専用" in err and register.name in err and "Error" not in err
        assert register.read_bytes() == before
        assert (register.stat().st_mode & 0o777) == 0o444
    finally:
        register.chmod(0o644)


def test_a_folder_that_cannot_be_written_is_said_in_japanese(tmp_path, register, capsys, monkeypatch):
    """A read-only share: creating the lock is the first write, and it says so (no OSError text)."""
    t = tmp_path / "t.txt"
    t.write_text(table(["共有"]), encoding="utf-8")
    before = register.read_bytes()
    real_open = os.open

    def refused(path, flags, *args, **kwargs):
        if str(path).endswith(lock.LOCK_SUFFIX):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    code, _, err = run_cli(capsys, "import", register, t, "--year", "2021")
    assert code == 2 and "書き込む権限がない" in err and str(register.parent) in err, err
    assert "PermissionError" not in err and "予期しない" not in err
    assert register.read_bytes() == before


def test_a_register_changed_between_read_and_write_is_not_replaced(tmp_path, register, monkeypatch):
    """Someone saves the register in Excel while the import works: their save wins, the import asks to run again."""
    real_append = appender.append

    def append_while_someone_saves(package, *args, **kwargs):
        rows = real_append(package, *args, **kwargs)
        with open(register, "ab") as f:  # their save: same name, other bytes
            f.write(b"\0")
        return rows

    monkeypatch.setattr(appender, "append", append_while_someone_saves)
    saved = None
    with pytest.raises(XlkitError, match="読み込んだ後に.*変更されました.*もう一度実行してください") as caught:
        tasks.import_table(register, table(["競合"]), 2021)
    saved = register.read_bytes()
    assert saved.endswith(b"\0")  # their file, untouched by the import
    assert "Error" not in caught.value.message
    assert sorted(p.name for p in register.parent.iterdir()) == [register.name]


def test_excel_opening_the_register_during_the_write_stops_it(register, monkeypatch):
    real_append = appender.append

    def append_while_excel_opens(package, *args, **kwargs):
        rows = real_append(package, *args, **kwargs)
        owner_files.excel_lock_file(register).write_bytes(b"\x05yamad" + b" " * 49)
        return rows

    monkeypatch.setattr(appender, "append", append_while_excel_opens)
    before = register.read_bytes()
    with pytest.raises(XlkitError, match="Excel で開いています"):
        tasks.import_table(register, table(["開いた"]), 2021)
    assert register.read_bytes() == before


# --------------------------------------------------------------------------- a killed import


KILLED = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from xlkit import tasks
    from xlkit.workbook.package import Package

    def save_then_die(self, dest):
        Path(dest).write_bytes(b"PK half a register")
        os.kill(os.getpid(), signal.SIGKILL)

    Package.save = save_then_die
    tasks.import_table(sys.argv[1], Path(sys.argv[2]).read_text(encoding="utf-8"), 2021)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX kill -9")
def test_a_killed_import_leaves_the_register_and_the_next_run_clears_its_leftovers(tmp_path, register, capsys):
    script = tmp_path / "killed.py"
    script.write_text(KILLED.format(repo=str(REPO)), encoding="utf-8")
    t = tmp_path / "t.txt"
    t.write_text(table(["再実行"]), encoding="utf-8")
    before = register.read_bytes()
    done = subprocess.run([sys.executable, str(script), str(register), str(t)], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert register.read_bytes() == before
    leftovers = files.leftovers(register)
    assert len(leftovers) == 1 and leftovers[0].read_bytes() == b"PK half a register"
    assert lock.lock_path(register).exists()

    # the lock of a dead process on this PC: reported with its owner, cleared on request
    code, _, err = run_cli(capsys, "import", register, t, "--year", "2021")
    assert code == 2 and "--clear-lock" in err and "途中で終わった" in err, err
    assert register.read_bytes() == before
    code, out, err = run_cli(capsys, "import", register, t, "--year", "2021", "--clear-lock")
    assert code == 0, err
    assert "再実行" in businesses(register)
    assert sorted(p.name for p in register.parent.iterdir()) == sorted(["killed.py", "t.txt", register.name])


def test_a_young_lock_of_another_pc_is_said_with_its_owner(tmp_path, register, capsys, monkeypatch):
    monkeypatch.setattr(writer, "LOCK_WAIT", 0.3)
    lock.lock_path(register).write_text(json.dumps({
        "user": "suzuki", "host": "KUSEI-PC-07", "pid": 4242, "purpose": "取り込み", "token": "x",
        "started": dt.datetime.now().astimezone().isoformat()}), encoding="utf-8")
    t = tmp_path / "t.txt"
    t.write_text(table(["他のPC"]), encoding="utf-8")
    code, _, err = run_cli(capsys, "import", register, t, "--year", "2021")
    assert code == 2 and "suzuki" in err and "KUSEI-PC-07" in err and "使用中" in err, err
    assert socket.gethostname() != "KUSEI-PC-07"


def test_a_writer_waits_for_a_colleague_who_finishes(tmp_path, register):
    """A colleague's import holds the register for a moment: the second import waits, then reads
    the register as the first left it."""
    holding = threading.Event()

    def colleague():
        with lock.hold(register, "取り込み"):
            holding.set()
            time.sleep(0.8)

    other = threading.Thread(target=colleague)
    other.start()
    holding.wait(5)
    result = tasks.import_table(register, table(["待ってから"]), 2021)
    other.join()
    assert result.written and "待ってから" in businesses(register)


# --------------------------------------------------------------------------- what staff added stays


def test_every_object_staff_added_comes_through_byte_identical(tmp_path, register, capsys):
    decorated = tmp_path / "飾った登録簿.xlsx"
    deco = decorate(register, decorated)
    with zipfile.ZipFile(decorated) as z:
        before = {n: z.read(n) for n in z.namelist()}
    t = tmp_path / "t.txt"
    t.write_text(table(["図のある登録簿", "二行目"]), encoding="utf-8")
    code, out, err = run_cli(capsys, "import", decorated, t, "--year", "2021")
    assert code == 0, err
    with zipfile.ZipFile(decorated) as z:
        after = {n: z.read(n) for n in z.namelist()}
    assert list(after) == list(before)
    sheet, tables = "xl/worksheets/sheet2.xml", {"xl/tables/table1.xml"}
    # and the 変更履歴 rows of the import, whose filter grows in workbook.xml's hidden name
    assert {n for n in before if before[n] != after[n]} == {sheet, *tables, *logged(decorated)}
    assert missing(decorated, deco) == []
    for kind, (part, snippet) in deco.markers.items():
        assert snippet in after[part], kind
    # the sheet: the same bytes before the new rows and after them, but for its dimension
    def undimensioned(xml):
        return re.sub(rb'<dimension ref="[^"]*"/>', b"", xml)

    old_rows, old_tail = undimensioned(before[sheet]).split(b"</sheetData>")
    new = undimensioned(after[sheet])
    assert new.startswith(old_rows) and new.endswith(b"</sheetData>" + old_tail)
    assert "図のある登録簿".encode() in new[len(old_rows):]
    assert businesses(decorated)[-2:] == ["図のある登録簿", "二行目"]


def test_a_macro_register_keeps_its_vba_and_buttons_byte_identical(tmp_path, capsys):
    path = tmp_path / "登録簿.xlsm"
    shutil.copyfile(REPO / "workbooks" / "sample.xlsm", path)
    with zipfile.ZipFile(path) as z:
        before = {n: z.read(n) for n in z.namelist()}
    t = tmp_path / "t.txt"
    t.write_text(table(["マクロ付き"]), encoding="utf-8")
    code, _, err = run_cli(capsys, "import", path, t, "--year", "2021")
    assert code == 0, err
    with zipfile.ZipFile(path) as z:
        after = {n: z.read(n) for n in z.namelist()}
    assert {n for n in before if before[n] != after[n]} == {"xl/worksheets/sheet2.xml", "xl/tables/table1.xml",
                                                              *logged(path)}
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]


def logged(path: Path) -> set[str]:
    """The parts an import's 変更履歴 rows change: the sheet, and workbook.xml (its filter's range)."""
    with Package(path) as package:
        return {package.sheet_part(schema.history().sheet), "xl/workbook.xml"}


# --------------------------------------------------------------------------- formatting far below


@pytest.mark.parametrize("far", [5000, 1_048_576])
def test_a_formatted_cell_far_below_is_neither_data_nor_lost(tmp_path, register, far):
    wb = openpyxl.load_workbook(register)
    from openpyxl.styles import PatternFill

    wb["外部結合"][f"P{far}"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(register)
    last = max(r.row for r in reader.load(register).linkages)
    result = tasks.import_table(register, table(["書式の下"]), 2021)
    assert [row for row, _ in result.appended] == [last + 1]
    ws = openpyxl.load_workbook(register)["外部結合"]
    assert ws[f"P{far}"].fill.fgColor.rgb.endswith("FFFF00")
    assert ws.tables["表_外部結合"].ref.endswith(f"{last + 1}")
    assert ws.cell(last + 1, 4).value == "書式の下"


def test_rows_that_exist_below_with_formatting_are_filled_not_duplicated(tmp_path, register):
    """The row below the last already exists, formatted by staff (bold in C, a fill right of the
    table): the new row goes into it, keeping both formats, not into a second <row r=…>."""
    wb = openpyxl.load_workbook(register)
    ws = wb["外部結合"]
    from openpyxl.styles import Font, PatternFill

    last = max(r.row for r in reader.load(register).linkages)
    ws.cell(last + 1, 3).font = Font(bold=True)
    ws.cell(last + 1, 20).fill = PatternFill("solid", fgColor="FFCC00")
    wb.save(register)
    result = tasks.import_table(register, table(["既存の行へ"]), 2021)
    assert [row for row, _ in result.appended] == [last + 1]
    ws = openpyxl.load_workbook(register)["外部結合"]
    assert ws.cell(last + 1, 4).value == "既存の行へ"
    assert ws.cell(last + 1, 20).fill.fgColor.rgb.endswith("FFCC00")
    assert ws.cell(last + 1, 3).font.b and ws.cell(last + 1, 3).value == "総務課"
    with zipfile.ZipFile(register) as z:
        xml = z.read(Package(register).sheet_part("外部結合"))
    assert xml.count(b'<row r="%d"' % (last + 1)) == 1


# --------------------------------------------------------------------------- values as typed


TRICKY = ["_x0041_ は文字のまま", "A&B <タグ> \"引用\"", "=SUM(A1:A2)", "𠮷野家の業務", "改行\nあり", "タブ\tあり"]


def test_tricky_text_reads_back_exactly(tmp_path, register):
    path = register
    with Package(path) as package:
        book = reader.load(path)
        last = max(r.row for r in book.linkages)
        values = [{"id": f"T-{i}", "body": "区長", "division": "総務課", "business": text,
                   "start": dt.date(2021, 4, 1), "fiscal_year": 2021} for i, text in enumerate(TRICKY)]
        appender.append(package, schema.linkage(), book.columns["外部結合"], values, after=last)
        appender.check_appended(package, schema.linkage(), book, values, last)
        out = tmp_path / "out.xlsx"
        package.save(out)
    read = reader.load(out).linkages[-len(TRICKY):]
    assert [r.values["business"] for r in read] == TRICKY
    assert all(r.values["start"] == dt.date(2021, 4, 1) for r in read)
    ws = openpyxl.load_workbook(out)["外部結合"]
    assert ws.cell(last + 3, 4).data_type == "s"  # =SUM… stays text, never a formula


@pytest.mark.parametrize("quote", ['"', "'"])
def test_dates_in_a_1904_workbook(tmp_path, make_register, make_linkage, quote):
    """Either quote: date1904='1' was missed, and the imported dates were written 4 years off."""
    def mac(wb):
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        wb.epoch = CALENDAR_MAC_1904

    path = make_register(tmp_path / "mac.xlsx", [make_linkage(1)], edit=mac)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    workbook = parts["xl/workbook.xml"]
    assert b'date1904="1"' in workbook or b'date1904="true"' in workbook
    parts["xl/workbook.xml"] = workbook.replace(b'date1904="', b"date1904=" + quote.encode()).replace(
        b'date1904=' + quote.encode() + b'1"', b"date1904=" + quote.encode() + b"1" + quote.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    tasks.import_table(path, table(["1904年基準"]), 2021)
    new = reader.load(path).linkages[-1]
    assert new.values["business"] == "1904年基準" and new.values["start"] == dt.date(2021, 5, 2)


def test_a_verification_failure_leaves_the_register(register, monkeypatch):
    def wrong(*args, **kwargs):
        from xlkit.errors import Refusal

        raise Refusal("register.unverified", ファイル=register.name, 理由="テスト")

    monkeypatch.setattr(appender, "check_appended", wrong)
    before = register.read_bytes()
    with pytest.raises(XlkitError, match="書き込みを確認できなかった"):
        tasks.import_table(register, table(["確認失敗"]), 2021)
    assert untouched(register, before)


def test_the_written_copy_is_checked_against_the_parts(tmp_path, register, monkeypatch):
    """A copy whose unchanged part came out different (a bad disk, a defect) is never used."""
    real_save = Package.save

    def corrupting_save(self, dest):
        real_save(self, dest)
        with zipfile.ZipFile(dest) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b"<fonts", b"<fonts ", 1)
        with zipfile.ZipFile(dest, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)

    monkeypatch.setattr(Package, "save", corrupting_save)
    before = register.read_bytes()
    with pytest.raises(XlkitError, match="styles.xml"):
        tasks.import_table(register, table(["壊れた写し"]), 2021)
    assert register.read_bytes() == before


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux /proc")
@pytest.mark.parametrize("command", ["import", "upgrade"])
def test_nothing_holds_the_register_open_when_it_is_replaced(tmp_path, command, monkeypatch):
    """Windows refuses to replace a file a process has open: when the rename comes, neither the
    writer's package, nor calamine, nor the lock may still hold the register."""
    path = tmp_path / "登録簿.xlsm"
    shutil.copyfile(REPO / ("workbooks/sample.xlsm" if command == "import" else "tests/fixtures/format1_sample.xlsm"), path)
    real_replace = os.replace
    seen = []

    def replace(src, dst):
        if Path(dst) == path:
            held = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                    if os.path.exists(f"/proc/self/fd/{fd}")]
            seen.append([h for h in held if h == str(path)])
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    if command == "import":
        tasks.import_table(path, table(["開いたまま"]), 2021)
    else:
        tasks.upgrade(path)
    assert seen == [[]]


def test_a_register_reached_through_a_link_is_replaced_itself(tmp_path):
    real = tmp_path / "本物" / "登録簿.xlsx"
    real.parent.mkdir()
    shutil.copyfile(SAMPLE, real)
    link = tmp_path / "リンク.xlsx"
    link.symlink_to(real)
    tasks.import_table(link, table(["リンク経由"]), 2021)
    assert link.is_symlink() and "リンク経由" in businesses(real)


def test_a_sheet_filter_grows_over_the_new_rows(tmp_path, make_register, make_linkage):
    """A hand-made register with a filter on the sheet (no table): the filter and Excel's hidden
    name for it cover the new rows, as Excel itself would extend them."""
    def with_filter(wb):
        wb["外部結合"].auto_filter.ref = "A1:P3"

    path = make_register(tmp_path / "手作り.xlsx", [make_linkage(1), make_linkage(2)], edit=with_filter)
    with zipfile.ZipFile(path) as z:
        assert b"_xlnm._FilterDatabase" in z.read("xl/workbook.xml")
    tasks.import_table(path, table(["フィルタの中"]), 2021)
    with zipfile.ZipFile(path) as z:
        sheet = z.read(Package(path).sheet_part("外部結合"))
        names = z.read("xl/workbook.xml")
    assert b'<autoFilter ref="A1:P4"' in sheet
    assert re.search(rb"_xlnm\._FilterDatabase[^>]*>[^<]*\$A\$1:\$P\$4<", names), names
    assert businesses(path)[-1] == "フィルタの中"


def test_rows_that_read_back_otherwise_than_meant_are_never_written(register, monkeypatch):
    """A defect in the encoding (here: text written without its last character) is caught by the
    read-back check before the register is replaced."""
    from xlkit.workbook import sheet_xml

    real_encode = sheet_xml.encode

    def lossy(value, *args, **kwargs):
        return real_encode(value[:-1] if isinstance(value, str) and len(value) > 1 else value, *args, **kwargs)

    monkeypatch.setattr(sheet_xml, "encode", lossy)
    before = register.read_bytes()
    with pytest.raises(XlkitError, match="読み直した行が書いた行と違います"):
        tasks.import_table(register, table(["欠ける文字"]), 2021)
    assert untouched(register, before)


def test_a_full_disk_while_writing_leaves_the_register_and_says_so(register, monkeypatch, capfd):
    """The disk fills up half-way through the copy: a Japanese message, the register as it was,
    no half copy left behind and no Python noise on stderr (ZipFile's clean-up retrying the write)."""
    import builtins
    import errno

    from xlkit.workbook import package as package_module

    real_open = builtins.open

    class FullDisk:
        def __init__(self, f):
            self._f, self._room = f, 20_000

        def write(self, data):
            if len(data) > self._room:
                raise OSError(errno.ENOSPC, "No space left on device")
            self._room -= len(data)
            return self._f.write(data)

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    def opening(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return FullDisk(f) if "w" in mode else f

    monkeypatch.setattr(package_module, "open", opening, raising=False)
    before = register.read_bytes()
    capfd.readouterr()
    with pytest.raises(XlkitError, match="保存できませんでした") as refused:
        tasks.import_table(register, table(["満杯"]), 2021)
    import gc

    gc.collect()  # a ZipFile left half-closed would complain here, in its __del__
    assert "ディスクの空きが足りません" in said(refused.value) and "No space" not in refused.value.message
    assert untouched(register, before)
    assert "Exception ignored" not in capfd.readouterr().err


def test_a_sheet_name_written_as_character_references_is_found(tmp_path, register):
    """Some writers store every non-ASCII character of a sheet name as &#…; in workbook.xml."""
    with zipfile.ZipFile(register) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = "外部結合"
    referenced = "".join(f"&#{ord(c)};" for c in name).encode()
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(f'name="{name}"'.encode(), b'name="%s"' % referenced)
    assert referenced in parts["xl/workbook.xml"]
    with zipfile.ZipFile(register, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert Package(register).sheet_part(name) == "xl/worksheets/sheet2.xml"
    tasks.import_table(register, table(["文字参照のシート名"]), 2021)
    assert businesses(register)[-1] == "文字参照のシート名"


def test_a_damaged_part_of_the_register_itself_is_named_not_blamed_on_the_copy(tmp_path):
    """A picture or the VBA project damaged in the register is copied as its bytes; the read-back
    then failed with 「書いたファイルの部品が壊れています」 on every run, blaming xlkit's copy."""
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    with zipfile.ZipFile(register, "a") as z:
        z.writestr("xl/media/image1.png", b"\x89PNG" + b"\0" * 2000)
    raw = bytearray(register.read_bytes())
    at = raw.find(b"xl/media/image1.png") + len("xl/media/image1.png") + 10  # into the stored data
    raw[at] ^= 0xFF
    register.write_bytes(bytes(raw))
    before = register.read_bytes()
    with pytest.raises(XlkitError) as refused:
        tasks.import_table(register, table(["壊れた図"]), 2021)
    assert "xl/media/image1.png が壊れています" in said(refused.value) and "登録簿は変えていません" in refused.value.message
    assert untouched(register, before)


def test_an_import_into_a_sheet_written_with_single_quotes(register):
    """XML allows r='5' as well as r="5": the new row lands below the last, every row keeps its
    number and values, a blank row in between included."""
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(register) as z:
        parts = {n: z.read(n) for n in z.namelist()}
        part = sheet_parts(z)["外部結合"]
    before = [r.values for r in reader.load(register).linkages]
    # a blank row in between (row 50 taken out): numbering rows by their order goes wrong after it
    parts[part] = re.sub(rb'<row r="50".*?</row>', b"", parts[part], count=1, flags=re.S)
    parts[part] = re.sub(rb'(\s[\w:]+)="([^"\']*)"', rb"\1='\2'", parts[part])
    assert b"<row r='" in parts[part] and b'<row r="' not in parts[part]
    with zipfile.ZipFile(register, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    before = [(r.row, r.values) for r in reader.load(register).linkages]
    assert 50 not in [row for row, _ in before]
    tasks.import_table(register, table(["一重引用符"]), 2021)
    after = reader.load(register).linkages
    assert [(r.row, r.values) for r in after[:-1]] == before
    assert after[-1].values["business"] == "一重引用符" and after[-1].row == after[-2].row + 1


def test_a_stylesheet_with_look_alike_elements_is_read_once_and_right(register):
    """<xf-a> is not an <xf>: the pattern took it for one and searched the rest of the part for
    its end, once per element and once per date cell — minutes for 20,000 of them."""
    from xlkit.workbook.stylesheet import Stylesheet

    with zipfile.ZipFile(register) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    styles = parts["xl/styles.xml"]
    real = len(re.findall(rb"<xf\b[^-]", styles.split(b"<cellXfs")[1].split(b"</cellXfs>")[0]))
    parts["xl/styles.xml"] = styles.replace(b"</cellXfs>", b"<xf-a></xf-a>" * 2000 + b"</cellXfs>", 1)
    with zipfile.ZipFile(register, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    with Package(register) as package:
        sheet = Stylesheet(package)
        assert len(sheet._xfs()) == real and sheet._xfs() is sheet._xfs()
    tasks.import_table(register, table(["書式"]), 2021)
    assert reader.load(register).linkages[-1].values["start"] == dt.date(2021, 5, 2)


def test_a_sheet_with_two_row_blocks_is_not_written(register):
    """A second <sheetData>: the rows went into it, calamine (and every report) never saw them,
    each import said it had added its row, and the next import replaced it."""
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(register) as z:
        parts = {n: z.read(n) for n in z.namelist()}
        part = sheet_parts(z)["外部結合"]
    parts[part] = parts[part].replace(b"</sheetData>", b"</sheetData><sheetData></sheetData>", 1)
    with zipfile.ZipFile(register, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    before = register.read_bytes()
    with pytest.raises(XlkitError) as refused:
        tasks.import_table(register, table(["消える行"]), 2021)
    assert "sheetData" in said(refused.value) and "二つ" in refused.value.message
    assert untouched(register, before)


_STOPPED_IMPORT = """
import os, signal, sys, time
from xlkit.workbook import appender

real = appender.append

def slow(*args, **kwargs):
    print("holding", flush=True)
    time.sleep(30)  # the terminal is closed or `kill` is sent meanwhile
    return real(*args, **kwargs)

appender.append = slow
from xlkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM and SIGHUP are POSIX")
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_an_import_told_to_stop_releases_the_lock_as_ctrl_c_does(tmp_path, register, number):
    """Closing the terminal or `kill` left the lock, and the next import asked for --clear-lock."""
    t = tmp_path / "表" / "表.txt"
    t.parent.mkdir()
    t.write_text(table(["止められた取り込み"]), encoding="utf-8")
    before = register.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", _STOPPED_IMPORT, "import", str(register), str(t), "--year", "2021"],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "holding"
    assert lock.lock_path(register).exists()
    child.send_signal(number)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 128 + number and "中断しました" in err and "Traceback" not in err
    shutil.rmtree(t.parent)
    assert untouched(register, before)
