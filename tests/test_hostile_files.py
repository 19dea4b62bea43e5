"""Hostile and broken files, built here byte by byte: each gets a Japanese message naming what
is wrong, exit code 2, and no traceback — never 「予期しない問題」 or an English exception name.

The limits of xlkit.limits are set small through XLKIT_LIMITS, so that a bomb is proved
refused at a few kilobytes; the full-size runs are benchmarks' business.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from support import REPO, SAMPLE, said
from xlkit import files, limits
from xlkit.cli import main
from xlkit.errors import XlkitError, os_reason
from xlkit.workbook.reader import load

SHARED = "xl/sharedStrings.xml"


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "予期しない問題" not in out.err, out.err
    return code, out.err


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def changed(tmp_path: Path, replace: dict[str, bytes] | None = None, name: str = "登録簿.xlsx") -> Path:
    """The sample register with the parts in `replace` replaced (or added)."""
    return rezip(tmp_path / name, {**parts_of(SAMPLE), **(replace or {})})


def patch_member(path: Path, name: str, *, method: int | None = None, flags: int | None = None,
                 size: int | None = None) -> None:
    """Rewrite fields of one member's local and central headers in place, as a forger would."""
    raw = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, method_at, flags_at, size_at, name_at in ((b"PK\x03\x04", 8, 6, 22, 30),
                                                            (b"PK\x01\x02", 10, 8, 24, 46)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            if raw[start + name_at:start + name_at + len(encoded)] == encoded:
                if method is not None:
                    struct.pack_into("<H", raw, start + method_at, method)
                if flags is not None:
                    struct.pack_into("<H", raw, start + flags_at, flags)
                if size is not None:
                    struct.pack_into("<L", raw, start + size_at, size)
            start += 4
    path.write_bytes(bytes(raw))


@pytest.fixture
def small(monkeypatch):
    def set_limits(**values):
        monkeypatch.setenv(limits.ENVIRONMENT, ",".join(f"{k}={v}" for k, v in values.items()))
    return set_limits


# --------------------------------------------------------------------------- limits


def test_the_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(limits.ENVIRONMENT, "part_bytes=1000, cell_chars=50")
    assert limits.current().part_bytes == 1000 and limits.current().cell_chars == 50
    assert limits.current().members == limits.Limits().members
    for wrong in ("part_bytes=-1", "part_bytes=lots", "cells=3", "part_bytes"):
        monkeypatch.setenv(limits.ENVIRONMENT, wrong)
        with pytest.raises(XlkitError) as refused:
            limits.current()
        assert limits.ENVIRONMENT in said(refused.value)


def test_the_real_registers_are_far_below_the_limits():
    sample = load(SAMPLE)
    assert sample.linkages
    with zipfile.ZipFile(SAMPLE) as z:
        largest = max(i.file_size for i in z.infolist())
    assert largest * 100 < limits.Limits().part_bytes


def test_a_shared_strings_bomb_is_refused_by_its_inflated_size_before_it_is_inflated(tmp_path, small, capsys):
    """1 KB of zip that inflates to 20 MB: refused from the directory, naming the part."""
    bomb = b"<sst>" + b"<si><t>" + b"A" * 20_000_000 + b"</t></si></sst>"
    path = changed(tmp_path, {SHARED: bomb})
    assert path.stat().st_size < 200_000
    small(part_bytes=10_000_000)
    code, err = run(capsys, "validate", path)
    assert code == 2 and SHARED in err and "部品1つの展開後の大きさ" in err and "上限" in err


def test_a_part_that_lies_about_its_size_is_refused_before_calamine_inflates_it(tmp_path, small, capsys):
    """The directory says 1,000 bytes; the data inflates to 2 MB. Python's zipfile stops at the
    declared size, calamine would not: the CRC check on the way refuses the part."""
    strings = b"<sst>" + b"<si><t>a</t></si>" * 120_000 + b"</sst>"
    path = changed(tmp_path, {SHARED: strings})
    patch_member(path, SHARED, size=1000)
    code, err = run(capsys, "validate", path)
    assert code == 2 and SHARED in err and "壊れている" in err


def test_too_many_shared_strings_are_refused_while_streaming(tmp_path, small, capsys):
    path = changed(tmp_path, {SHARED: b"<sst>" + b"<si><t>a</t></si>" * 5_000 + b"</sst>"})
    small(shared_strings=3_000)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "共有文字列の数" in err and "3,000" in err


def test_all_parts_together_and_the_number_of_parts_are_limited(tmp_path, small, capsys):
    path = changed(tmp_path, {f"xl/media/pad{i}.bin": b"\0" * 50_000 for i in range(20)})
    small(total_bytes=500_000)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "部品全体の展開後の大きさ" in err
    small(members=10)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "部品の数" in err


def test_a_cell_longer_than_excel_allows_is_refused_naming_the_cell(tmp_path, small, capsys, make_register,
                                                                  make_linkage):
    path = make_register(tmp_path / "長い.xlsx", [make_linkage(1, business="業" * 500)])
    small(cell_chars=400)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "外部結合" in err and "500 文字" in err and "400 文字" in err
    cell = [w for w in err.split() if w.startswith("D") or w.startswith("E")]
    assert cell, err


def test_the_default_cell_limit_is_excels_own(tmp_path, capsys, make_register, make_linkage):
    """openpyxl cuts text at 32,767 characters, so the longer cell is put into the part itself."""
    def with_business(name: str, length: int) -> Path:
        path = make_register(tmp_path / name, [make_linkage(1, business="MARKER-BUSINESS")])
        parts = {name: data.replace(b"MARKER-BUSINESS", ("業" * length).encode())
                 for name, data in parts_of(path).items()}
        return rezip(path, parts)

    assert run(capsys, "validate", with_business("ok.xlsx", 32_767))[0] in (0, 1)
    code, err = run(capsys, "validate", with_business("長い.xlsx", 32_768))
    assert code == 2 and "32,768 文字" in err and "32,767 文字" in err


@pytest.mark.parametrize("where", ["shared", "inline"])
def test_a_text_of_a_megabyte_is_refused_before_calamine_reads_it(tmp_path, capsys, make_register, make_linkage,
                                                                   where):
    """The tester's 1.1 GB 業務名 took 37 s and passed; a text no cell can hold is refused while
    its part streams by, whether in the shared strings or written inline in the sheet."""
    path = make_register(tmp_path / "長い.xlsx", [make_linkage(1, business="MARKER-BUSINESS")])
    parts = parts_of(path)  # openpyxl writes inline strings: move the marker to sharedStrings if asked
    huge = ("業" * 400_000).encode()  # 1.2 MB of UTF-8
    if where == "shared":
        sheet = next(n for n, d in parts.items() if b"MARKER-BUSINESS" in d)
        parts[sheet] = parts[sheet].replace(b't="inlineStr"><is><t>MARKER-BUSINESS</t></is>', b't="s"><v>0</v>')
        parts[SHARED] = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>' + huge + b"</t></si></sst>"
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                         b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
                                 b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        part = SHARED
    else:
        part = next(n for n, d in parts.items() if b"MARKER-BUSINESS" in d)
        parts[part] = parts[part].replace(b"MARKER-BUSINESS", huge)
    rezip(path, parts)
    code, err = run(capsys, "validate", path)
    assert code == 2 and part in err and "1セルの文字数" in err


# --------------------------------------------------------------------------- encryption, encodings, DTDs


@pytest.mark.parametrize("method, flags, expected", [
    (None, 0x1, "暗号化"),  # the traditional PKWARE encryption flag
    (99, None, "暗号化"),  # WinZip AES
    (12, None, "bzip2"),
    (14, None, "LZMA"),
])
def test_encrypted_and_foreign_compression_are_refused_in_japanese(tmp_path, capsys, method, flags, expected):
    path = changed(tmp_path)
    patch_member(path, "xl/workbook.xml", method=method, flags=flags)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "xl/workbook.xml" in err and expected in err
    code, err = run(capsys, "export", "linkages", path, "--out", tmp_path / "報告.docx")
    assert code == 2 and expected in err and not (tmp_path / "報告.docx").exists()


def test_an_encrypted_member_is_refused_before_the_register_is_written(tmp_path, capsys):
    """The writer opens the package itself; it refuses by the same rule, and writes nothing."""
    from xlkit import tasks

    path = changed(tmp_path)
    patch_member(path, "xl/styles.xml", method=99)
    before = path.read_bytes()
    with pytest.raises(XlkitError) as refused:
        tasks.import_table(path, "No.\t結合を行った課\n", 2021)
    assert "暗号化" in said(refused.value) and path.read_bytes() == before


def test_a_workbook_xml_in_shift_jis_is_refused_naming_the_encoding(tmp_path, capsys):
    workbook = parts_of(SAMPLE)["xl/workbook.xml"].decode("utf-8")
    sjis = workbook.replace('encoding="UTF-8"', 'encoding="Shift_JIS"', 1)
    assert sjis != workbook
    path = changed(tmp_path, {"xl/workbook.xml": sjis.encode("cp932")})
    code, err = run(capsys, "validate", path)
    assert code == 2 and "Shift_JIS" in err and "xl/workbook.xml" in err


def test_a_workbook_xml_in_utf16_and_one_with_broken_utf8_are_refused(tmp_path, capsys):
    workbook = parts_of(SAMPLE)["xl/workbook.xml"].decode("utf-8")
    path = changed(tmp_path, {"xl/workbook.xml": workbook.replace("UTF-8", "UTF-16").encode("utf-16")})
    code, err = run(capsys, "validate", path)
    assert code == 2 and "UTF-16" in err
    broken = workbook.encode("utf-8").replace("外部結合".encode(), "外部結合".encode("cp932"), 1)
    path = changed(tmp_path, {"xl/workbook.xml": broken}, "壊れ.xlsx")
    code, err = run(capsys, "validate", path)
    assert code == 2 and "UTF-8" in err


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(8))
          + b']><sst><si><t>&i;</t></si></sst>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<sst><si><t>&x;</t></si></sst>")


@pytest.mark.parametrize("attack", [LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize("part", [SHARED, "xl/workbook.xml", "xl/styles.xml"])
def test_entity_attacks_are_refused_without_an_english_name(tmp_path, capsys, attack, part):
    path = changed(tmp_path, {part: attack})
    code, err = run(capsys, "validate", path)
    assert code == 2 and part in err and "DOCTYPE" in err and "XmlError" not in err and "root:" not in err


def test_an_entity_attack_in_a_register_sheet_is_refused_too(tmp_path, capsys):
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["外部結合"]
    sheet = parts_of(SAMPLE)[part]
    attacked = sheet.replace(b"?>", b'?><!DOCTYPE worksheet [<!ENTITY a "b">]>', 1)
    path = changed(tmp_path, {part: attacked})
    code, err = run(capsys, "validate", path)
    assert code == 2 and part in err and "DOCTYPE" in err


def test_broken_xml_that_calamine_rejects_is_said_without_its_english_name(tmp_path, capsys):
    path = changed(tmp_path, {SHARED: b"<sst><si><t>a</t></si><si><t>b</sst>"})
    code, err = run(capsys, "validate", path)
    assert code == 2 and "読めません" in err
    for english in ("XmlError", "Error", "Exception"):
        assert english not in err


# --------------------------------------------------------------------------- the import table


def test_invisible_characters_in_an_import_table_are_refused_by_line_and_column(tmp_path, capsys):
    from xlkit import tasks

    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    header = "\t".join(["No.", "結合を行った課", "業務名", "外部結合を行った理由", "外部結合による処理対象者",
                        "外部結合に係る個人情報記録の項目", "条例根拠", "結合の相手方", "結合の開始年月日"])
    rows = ["1\t税務課\t固定\x01資産\t理由\t住民\t氏名\t条例\t国\tR3.4.1",
            "2\t税務課\t住民\x0b税\t理由\t住民\t氏名\t条例\t国\tR3.4.1",
            "3\t税務課\t軽自動車税\t理由\t住民\t氏名\t条例\t株式会社\u202eスビーサ\tR3.4.1"]
    table = tmp_path / "表.txt"
    table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    before = register.read_bytes()
    code, err = run(capsys, "import", register, table, "--year", "2021")
    assert code != 0 and code != 3
    assert "2行目" in err and "U+0001" in err and "3行目" in err and "U+000B" in err and "業務名" in err
    assert "4行目" in err and "U+202E（右から左への上書き）" in err and "結合の相手方" in err
    assert register.read_bytes() == before
    parsed = tasks.pasted_table.parse("\n".join([header, *rows]), year=2021, divisions=[("税務課", "区長")])
    assert not parsed.rows and len(parsed.problems) == 3


def test_an_import_table_too_large_is_refused_before_it_is_read(tmp_path, small, capsys):
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    table = tmp_path / "表.txt"
    table.write_bytes(b"x" * 5_000)
    small(table_bytes=1_000)
    code, err = run(capsys, "import", register, table, "--year", "2021")
    assert code == 2 and "大きすぎます" in err


# --------------------------------------------------------------------------- names and the OS


LONG = "あ" * 90  # 270 bytes: more than a Linux file name may have


@pytest.mark.parametrize("argv", [
    ("export", "linkages", "{reg}", "--out", "{tmp}/" + LONG + ".docx"),
    ("export", "linkages", "{reg}", "--out", "{tmp}/" + LONG + ".xlsx", "--overwrite"),
    ("export", "cases", "{reg}", "--out", "{tmp}/" + LONG + ".docx"),
    ("new", "{tmp}/" + LONG + ".xlsx"),
    ("validate", "{tmp}/" + LONG + ".xlsx"),
    ("summarize", "{tmp}/" + LONG + ".xlsm"),
])
def test_a_name_longer_than_the_file_system_allows_is_said_in_japanese(tmp_path, capsys, argv):
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    code, err = run(capsys, *(a.format(reg=register, tmp=tmp_path) for a in argv))
    assert code == 2 and "長すぎます" in err and "Errno" not in err


def test_every_os_error_reason_is_japanese():
    import errno

    for number in (errno.ENOSPC, errno.ENAMETOOLONG, errno.EACCES, errno.EROFS, errno.EIO, errno.EFBIG, 9999):
        reason = os_reason(OSError(number, "English text"))
        assert "English" not in reason and said(XlkitError(reason))
    # a folder renamed onto a colleague's, made meanwhile (年度締め's 確定\<N>): said, not numbered
    assert "エラー番号" not in os_reason(OSError(errno.ENOTEMPTY, "Directory not empty"))


def test_an_os_error_no_use_case_expected_is_exit_2_in_japanese(tmp_path, capsys, monkeypatch):
    from xlkit import tasks

    def failing(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x"))

    monkeypatch.setattr(tasks, "validate", failing)
    code, err = run(capsys, "validate", SAMPLE)
    assert code == 2 and "権限" in err and "Permission" not in err


_LIMITED_WRITE = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, 8_000))
from xlkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("argv", [
    ("new", "{tmp}/新しい登録簿.xlsx"),
    ("export", "linkages", "{reg}", "--out", "{tmp}/報告.xlsx"),
    ("export", "linkages", "{reg}", "--out", "{tmp}/報告.docx"),
])
def test_a_write_the_system_cuts_short_leaves_nothing_and_no_python_noise(tmp_path, argv):
    """The operating system refuses the write half-way (here a file-size limit, as a full disk
    would): a Japanese message, exit 2, no half file, no temp file, nothing from ZipFile's __del__."""
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    before = sorted(p.name for p in tmp_path.iterdir())
    done = subprocess.run([sys.executable, "-c", _LIMITED_WRITE, *(a.format(reg=register, tmp=tmp_path) for a in argv)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "保存できませんでした" in done.stderr
    for noise in ("Traceback", "Exception ignored", "Errno", "File too large"):
        assert noise not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --------------------------------------------------------------------------- exports: inputs and leftovers


def test_a_report_never_replaces_the_register_through_a_hard_link(tmp_path, capsys):
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    os.link(register, tmp_path / "報告.xlsx")
    before = register.read_bytes()
    code, err = run(capsys, "export", "linkages", register, "--out", tmp_path / "報告.xlsx", "--overwrite")
    assert code == 2 and "登録簿そのもの" in err and register.read_bytes() == before


_KILLED_EXPORT = """
import os, signal, sys
from pathlib import Path
from xlkit import files

def write(tmp):
    Path(tmp).write_bytes(b"half a report")
    os.kill(os.getpid(), signal.SIGKILL)

files.atomic_write(Path(sys.argv[1]), write, overwrite=False)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_export_leaves_a_temp_file_the_next_export_removes(tmp_path, capsys):
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    report = tmp_path / "報告.docx"
    done = subprocess.run([sys.executable, "-c", _KILLED_EXPORT, str(report)], cwd=REPO, timeout=60)
    assert done.returncode == -signal.SIGKILL
    [leftover] = files.leftovers(report)
    assert leftover.read_bytes() == b"half a report" and files.abandoned(report) == [leftover]
    code, _ = run(capsys, "export", "linkages", register, "--out", report)
    assert code == 0 and report.is_file()
    assert files.leftovers(report) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["報告.docx", "登録簿.xlsx"]


def test_a_temp_file_of_a_write_still_running_is_left_alone(tmp_path):
    report = tmp_path / "報告.docx"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mark = f"{files._host_tag()}.{sleeper.pid}-"
        running = tmp_path / f"{files._prefix(report.name)}{mark}abcdEFGH.docx"
        running.write_bytes(b"being written")
        other_pc = tmp_path / f"{files._prefix(report.name)}0000ff.{sleeper.pid}-abcdEFGH.docx"
        other_pc.write_bytes(b"another PC's")
        old_style = tmp_path / f"{files._prefix(report.name)}abcdEFGH.docx"
        old_style.write_bytes(b"an older xlkit's")
        assert set(files.leftovers(report)) == {running, other_pc, old_style}
        assert files.abandoned(report) == []
        hours_ago = time.time() - 2 * 3600
        for p in (other_pc, old_style):
            os.utime(p, (hours_ago, hours_ago))
        assert set(files.abandoned(report)) == {other_pc, old_style}
    finally:
        sleeper.kill()
        sleeper.wait()
    assert set(files.abandoned(report)) == {running, other_pc, old_style}


def test_the_temp_name_stays_short_enough_for_a_long_report_name(tmp_path):
    name = "外" * 80 + ".docx"  # 245 bytes: a legal name
    with files.scratch(tmp_path, ".docx", owner=name) as tmp:
        assert len(tmp.name.encode()) <= 255 and files._pattern(tmp_path / name).fullmatch(tmp.name)


def test_a_button_export_whose_name_a_colleague_takes_meanwhile_is_saved_under_the_next_name(tmp_path, monkeypatch):
    """Two staff press Word出力 for the same year in the same second: the later one gets
    「name (2)」 instead of an error that speaks of --overwrite, and nobody's report is replaced."""
    from xlkit import tasks
    from xlkit.export import docx_writer

    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    book = load(register)
    real_write = docx_writer.write

    outbox = tasks.Outbox(tmp_path / "出力", ".docx")
    outbox.folder.mkdir()
    wanted = outbox.folder / "外部結合の状況_令和2年度.docx"

    def colleague_first(report, tmp, layout):
        real_write(report, tmp, layout)
        wanted.write_bytes(b"a colleague's report")

    monkeypatch.setattr(docx_writer, "write", colleague_first)
    written = tasks.export_linkages(book, outbox, year=2020, confirm=lambda refusal: True)
    assert written.wanted == wanted and written.path == wanted.with_name("外部結合の状況_令和2年度 (2).docx")
    assert wanted.read_bytes() == b"a colleague's report" and written.path.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in outbox.folder.iterdir()) == sorted([wanted.name, written.path.name])


def test_an_error_value_in_the_settings_sheet_of_a_file_is_named_not_read_as_blank(tmp_path, capsys, make_register,
                                                                                    make_linkage):
    """calamine reads an error cell as blank: 報告年度 #REF! was reported as 空欄. A formula in 設定
    is still allowed (its value is read)."""
    from xlkit.workbook.scan import sheet_parts

    path = make_register(tmp_path / "設定.xlsx", [make_linkage(1)], settings=[["報告年度", "MARKER"]])
    parts = parts_of(path)
    with zipfile.ZipFile(path) as z:
        part = sheet_parts(z)["設定"]
    cell = re.search(rb'<c r="(B\d+)"[^>]*t="inlineStr"><is><t>MARKER</t></is></c>', parts[part])
    parts[part] = parts[part].replace(cell[0], b'<c r="%s" t="e"><f>1/0</f><v>#REF!</v></c>' % cell[1])
    rezip(path, parts)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "設定" in err and cell[1].decode() in err and "#REF!" in err and "空欄" not in err


def test_a_value_typed_in_xfd1048576_is_refused_not_a_crash(tmp_path, capsys):
    """calamine fills the rectangle from A1 to a sheet's last cell: one value in XFD1048576 asked
    for 550 GB and aborted the process with a Rust backtrace. A far <dimension> alone is harmless."""
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["設定"]
    far = parts_of(SAMPLE)[part].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    code, err = run(capsys, "validate", changed(tmp_path, {part: far}))
    assert code == 2 and "「設定」" in err and "XFD1048576" in err and "1,048,576 行目" in err
    wide = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', parts_of(SAMPLE)[part])
    assert run(capsys, "validate", changed(tmp_path, {part: wide}, "範囲.xlsx"))[0] == 0


def test_the_extent_limit_is_proved_at_small_scale(tmp_path, capsys, small):
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["外部結合"]
    sheet = parts_of(SAMPLE)[part]
    deep = sheet.replace(b"</sheetData>", b'<row r="2000"><c r="B2000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    small(sheet_cells=20 * 1000)
    assert run(capsys, "validate", SAMPLE)[0] == 0  # 96 rows up to Z: 2,496 cells
    code, err = run(capsys, "validate", changed(tmp_path, {part: deep}))
    assert code == 2 and "「外部結合」" in err and "2,000 行目" in err and "上限 20,000 セル" in err
    # a column beyond Z counts by its letters, wherever the cell is
    wide = sheet.replace(b"</sheetData>", b'<row r="3"><c r="ZZ3" t="inlineStr"><is><t>x</t></is></c></row></sheetData>', 1)
    small(sheet_cells=50 * 702)  # the sample's 96 rows as wide as ZZ: 67,392 cells
    code, err = run(capsys, "validate", changed(tmp_path, {part: wide}, "横.xlsx"))
    assert code == 2 and "ZZ3" in err


def test_a_far_cell_holding_only_a_format_passes_and_a_tab_does_not_hide_a_far_value(tmp_path, capsys):
    """Staff format cells down to row 1048576: calamine skips cells without a value, so must the
    limit. And attributes split by a tab or a line break are still attributes."""
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["設定"]
    sheet = parts_of(SAMPLE)[part]
    formatted = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
    assert run(capsys, "validate", changed(tmp_path, {part: formatted}))[0] == 0
    empty = sheet.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"></c></row></sheetData>')
    assert run(capsys, "validate", changed(tmp_path, {part: empty}, "空.xlsx"))[0] == 0
    tabbed = sheet.replace(b"</sheetData>", b'<row\tr="1048576"><c\tr="XFD1048576"\tt="inlineStr"><is><t>x</t></is></c></row>'
                                            b"</sheetData>")
    code, err = run(capsys, "validate", changed(tmp_path, {part: tabbed}, "タブ.xlsx"))
    assert code == 2 and "XFD1048576" in err


def test_two_parts_of_one_name_are_refused(tmp_path, capsys):
    """zipfile reads the last of two same-named parts, calamine the first: a formula or a bomb
    could hide in the one xlkit does not check."""
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["外部結合"]
    path = tmp_path / "二重.xlsx"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts_of(SAMPLE).items():
            if name == part:
                out.writestr(name, data.replace(b"<v>", b"<f>1/0</f><v>", 1))
            out.writestr(name, data)
    code, err = run(capsys, "validate", path)
    assert code == 2 and "同じ名前の部品" in err and part in err


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def prefixed(parts: dict[str, bytes], prefix: str = "x") -> dict[str, bytes]:
    """Every spreadsheet part written as the Open XML SDK writes it: <x:row>, <x:c>, <x:sheet> …"""
    from xml.etree import ElementTree

    ElementTree.register_namespace(prefix, MAIN)
    ElementTree.register_namespace("r", "http://schemas.openxmlformats.org/officeDocument/2006/relationships")
    out = dict(parts)
    for name, data in parts.items():
        if name.startswith("xl/") and name.endswith(".xml") and MAIN.encode() in data:
            out[name] = ElementTree.tostring(ElementTree.fromstring(data), encoding="UTF-8", xml_declaration=True)
    return out


def test_a_register_written_with_prefixes_reads_as_the_same_register(tmp_path, capsys):
    """The Open XML SDK's <x:c> is as valid as Excel's <c>: the same answer, not an unchecked read."""
    path = rezip(tmp_path / "接頭辞.xlsx", prefixed(parts_of(SAMPLE)))
    assert b"<x:row" in parts_of(path)["xl/worksheets/sheet2.xml"]
    assert run(capsys, "validate", path)[0] == run(capsys, "validate", SAMPLE)[0] == 0
    from xlkit.figures import compute

    assert [r.total for r in compute(load(path).linkages, 2020, list(load(path).bodies), []).rows] == \
           [r.total for r in compute(load(SAMPLE).linkages, 2020, list(load(SAMPLE).bodies), []).rows]


@pytest.mark.parametrize("far", [
    b'<x:row r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>',  # prefixed
    b"<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>",  # single quotes
    b'<row r="3"><c t="inlineStr"><is><t>a</t></is></c></row>'  # cells placed by their order, no r
    + b'<row>' + b'<c/>' * 16383 + b'<c t="inlineStr"><is><t>x</t></is></c></row>'
    + b'<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>',
], ids=["prefixed", "single-quotes", "no-r"])
def test_a_far_value_written_any_valid_way_is_refused_not_a_crash(tmp_path, capsys, far):
    """Reviewers bypassed the extent check with a prefix on every element: calamine aborted."""
    from xlkit.workbook.scan import sheet_parts

    parts = parts_of(SAMPLE)
    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["設定"]
    if far.startswith(b"<x:"):
        parts = prefixed(parts)
        parts[part] = parts[part].replace(b"</x:sheetData>", far + b"</x:sheetData>")
    else:
        parts[part] = parts[part].replace(b"</sheetData>", far + b"</sheetData>")
    code, err = run(capsys, "validate", rezip(tmp_path / "遠い.xlsx", parts))
    assert code == 2 and "「設定」" in err and "範囲が広すぎます" in err


def test_a_formula_written_with_a_prefix_is_found(tmp_path, capsys):
    parts = prefixed(parts_of(SAMPLE))
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["外部結合"]
    parts[part] = parts[part].replace(b"<x:v>", b"<x:f>1+1</x:f><x:v>", 1)
    code, err = run(capsys, "validate", rezip(tmp_path / "数式.xlsx", parts))
    assert code == 2 and "数式が入っています" in err


def test_a_sheet_the_scan_cannot_find_is_not_read_unchecked(tmp_path, capsys, monkeypatch):
    """If calamine ever lists a sheet the structure scan did not find, its cells and extent went
    unchecked: refused, not read."""
    from xlkit.workbook import scan

    real = scan.sheet_parts
    monkeypatch.setattr(scan, "sheet_parts", lambda archive: {k: v for k, v in real(archive).items() if k != "設定"})
    code, err = run(capsys, "validate", SAMPLE)
    assert code == 2 and "「設定」の構造を確かめられない" in err


_KILLED_NEW = """
import os, signal, sys
from pathlib import Path
from xlkit.workbook import builder, vba

def killed(source, target, codes):
    os.kill(os.getpid(), signal.SIGKILL)

vba.install_module = killed
builder.build(Path(sys.argv[1]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_new_register_leaves_temp_files_the_next_new_removes(tmp_path, capsys):
    """The .xlsm is built in two steps; the first step's file had no owner in its name, so
    nothing ever recognised it as left over."""
    target = tmp_path / "登録簿.xlsm"
    done = subprocess.run([sys.executable, "-c", _KILLED_NEW, str(target)], cwd=REPO, timeout=120)
    assert done.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert left and all(name.startswith(".~xlkit-登録簿.xlsm-") for name in left), left
    assert run(capsys, "new", target)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["登録簿.xlsm"]


def test_a_part_whose_name_differs_only_in_case_is_refused(tmp_path, capsys):
    """calamine finds XL/worksheets/sheet2.xml for xl/worksheets/sheet2.xml: the far value in the
    copy xlkit did not check aborted the process."""
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["設定"]
    parts = parts_of(SAMPLE)
    parts[part.upper()] = parts[part].replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    code, err = run(capsys, "validate", rezip(tmp_path / "大文字.xlsx", parts))
    assert code == 2 and "同じ名前の部品" in err and part.upper() in err


def test_two_sheets_of_one_name_are_refused(tmp_path, capsys):
    workbook = parts_of(SAMPLE)["xl/workbook.xml"].decode("utf-8")
    twice = re.sub(r'(<sheet [^>]*name="設定"[^>]*/>)', lambda m: m[1] + m[1].replace('sheetId="', 'sheetId="9'),
                   workbook, count=1).encode("utf-8")
    assert twice.count('name="設定"'.encode()) == 2
    code, err = run(capsys, "validate", changed(tmp_path, {"xl/workbook.xml": twice}))
    assert code == 2 and "シート名「設定」が二つあります" in err


@pytest.mark.parametrize("ref", [b"xfd1048576", b"XfD1048576", b"A99999999"])
def test_a_reference_not_as_excel_writes_it_is_counted_as_calamine_places_it(tmp_path, capsys, ref):
    from xlkit.workbook.scan import sheet_parts

    with zipfile.ZipFile(SAMPLE) as z:
        part = sheet_parts(z)["設定"]
    far = parts_of(SAMPLE)[part].replace(b"</sheetData>", b'<row><c r="%s"><v>1</v></c></row></sheetData>' % ref)
    code, err = run(capsys, "validate", changed(tmp_path, {part: far}))
    assert code == 2 and "範囲が広すぎます" in err


def test_shared_strings_named_in_another_case_are_counted(tmp_path, capsys, small):
    parts = parts_of(SAMPLE)
    parts["xl/SharedStrings.xml"] = parts.pop(SHARED)
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"sharedStrings.xml", b"SharedStrings.xml")
    small(shared_strings=100)
    code, err = run(capsys, "validate", rezip(tmp_path / "大文字.xlsx", parts))
    assert code == 2 and "共有文字列の数" in err


def test_an_unclosed_quote_or_a_huge_cell_in_an_import_table_is_said_by_line(tmp_path, capsys):
    """csv's own limit (131,072 characters per cell) ended in its English error, exit 3."""
    register = tmp_path / "登録簿.xlsx"
    shutil.copy(SAMPLE, register)
    header = "\t".join(["No.", "結合を行った課", "業務名", "外部結合を行った理由", "外部結合による処理対象者",
                        "外部結合に係る個人情報記録の項目", "条例根拠", "結合の相手方", "結合の開始年月日"])
    row = "1\t税務課\t{}\t理由\t住民\t氏名\t条例\t国\tR3.4.1"
    unclosed = tmp_path / "引用符.txt"
    unclosed.write_text("\n".join([header, row.format('"固定資産'), *[row.format("税") for _ in range(3000)]]) + "\n",
                        encoding="utf-8")
    code, err = run(capsys, "import", register, unclosed, "--year", "2021")
    assert code == 1 and "2行目" in err and "引用符" in err and "閉じていない" in err
    long = tmp_path / "長い.txt"
    long.write_text("\n".join([header, row.format("あ" * 140_000)]) + "\n", encoding="utf-8")
    code, err = run(capsys, "import", register, long, "--year", "2021")
    assert code == 1 and "2行目" in err and "140,000 文字" in err


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
@pytest.mark.parametrize("where", ["register", "lock", "excel-owner", "table", "device"])
def test_a_pipe_or_a_device_in_place_of_a_file_never_hangs(tmp_path, where):
    """A FIFO as the register, its lock, Excel's ~$ file or the table held the command for ever;
    /dev/zero read until the memory ran out (exit 3)."""
    register, table = tmp_path / "登録簿.xlsx", tmp_path / "表.txt"
    pipe = {"register": register, "lock": tmp_path / "登録簿.xlsx.xlkit-lock", "excel-owner": tmp_path / "~$登録簿.xlsx",
            "table": table}.get(where)
    if where == "device":
        register.symlink_to("/dev/zero")
    elif where != "register":
        shutil.copy(SAMPLE, register)
    if where != "table":
        table.write_text("No.\t結合を行った課\n", encoding="utf-8")
    if pipe is not None:
        os.mkfifo(pipe)
    quick = "import sys; from xlkit.workbook import writer; writer.LOCK_WAIT = 0.5; from xlkit.cli import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", quick, "import", str(register), str(table), "--year", "2021"],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "予期しない問題" not in done.stderr


def test_one_shared_string_of_many_formatted_runs_is_refused_while_it_streams(tmp_path, capsys):
    """Each run under the 512 KB text check, together 4.8 MB of one cell: calamine held it all
    (430 MB for the tester's) before the cell length refused it."""
    runs = b"".join(b"<r><rPr><b/></rPr><t>" + ("業" * 40_000).encode() + b"</t></r>" for _ in range(40))
    strings = parts_of(SAMPLE)[SHARED]
    head, rest = strings.split(b"<si>", 1)
    path = changed(tmp_path, {SHARED: head + b"<si>" + runs + b"</si><si>" + rest})
    code, err = run(capsys, "validate", path)
    assert code == 2 and SHARED in err and "1つの文字列が長すぎます" in err
