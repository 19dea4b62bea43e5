"""年度締め under attack: `xlkit close-year` and the button 年度締め against what staff, colleagues,
Windows and the file system do to a register.

Every test here proves a promise of README 「年度の流れ」 item 7 holds. Thirteen of them first showed
a defect (a duplicated or deleted 設定 row, a dry run that promised too much, a folder lost or left
half made by a stop or a held file, a message naming a temporary copy, the button on a read-only
file); each was fixed and its test kept.

The promises: nothing is lost or half-written; a refusal is a Japanese message (exit 1 for
validation errors, else 2), never a traceback or an English exception name, and writes nothing;
確定/<年度>/ is never replaced and never left half-made.

The register is the shipped sample (令和2年度, workbooks/sample.xlsx, .xlsm for the macros test)
copied. Everything runs with --no-pdf, or with the PDF step stubbed for the button (which always
makes one): the PDF itself is test_close_year.py's business.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import datetime as dt
import errno
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import openpyxl
import pytest

from support import REPO, SAMPLE, japanese, run_cli
from support.closing import history_rows, register_copy, set_settings
from support.payload import alerts, apply_actions, office_js_payload, remote_book
from xlkit import closing_tasks, macros, schema, tasks
from xlkit.errors import XlkitError
from xlkit.workbook import reader, writer

SETTINGS = schema.settings().sheet
HISTORY = schema.history().sheet
SAMPLE_XLSM = REPO / "workbooks" / "sample.xlsm"


# --------------------------------------------------------------------------- helpers


def listing(folder: Path) -> list[str]:
    """Everything under `folder`, hidden files too, as relative paths."""
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def untouched(register: Path, before: bytes) -> None:
    """Nothing written: the register as it was, no 確定/2020 and no half-made folder, no lock."""
    assert register.read_bytes() == before
    root = register.parent / "確定"
    assert not root.exists() or list(root.iterdir()) == [], listing(root)
    assert not register.with_name(register.name + ".xlkit-lock").exists()
    assert not [p for p in register.parent.iterdir() if p.name.startswith(".~xlkit-")]


def close_refused(capsys, register: Path) -> tuple[int, str]:
    """`xlkit close-year REGISTER --no-pdf` refused: it must leave everything as it was
    (untouched, checked here); its exit status and what it said on stderr."""
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    untouched(register, before)
    return code, err


def setting_rows(path: Path) -> list[tuple]:
    workbook = openpyxl.load_workbook(path)
    return [(row[0].value, row[1].value) for row in workbook[SETTINGS].iter_rows()]


def add_setting_row(path: Path, title: str, value=None) -> int:
    """A row staff added at the bottom of 設定 (a copy of one that is there already, say): its row."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SETTINGS]
    row = sheet.max_row + 1
    sheet.cell(row, 1, title)
    sheet.cell(row, 2, value)
    workbook.save(path)
    return row


def delete_setting_row(path: Path, title: str) -> None:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SETTINGS]
    row = next(r[0].row for r in sheet.iter_rows() if r[0].value == title)
    sheet.delete_rows(row)
    workbook.save(path)


def manifest_ok(folder: Path) -> str:
    """`sha256sum -c` in the folder, as the README tells staff to check it."""
    done = subprocess.run(["sha256sum", "-c", "ハッシュ値一覧.txt"], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def raw_parts(path: Path) -> dict[str, tuple]:
    """Each zip member's stored (compressed) bytes with its method and CRC: a part copied as its
    bytes compares equal, a part rewritten does not."""
    found = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as f:
        for info in archive.infolist():
            f.seek(info.header_offset)
            header = f.read(30)
            skip = int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
            f.seek(info.header_offset + 30 + skip)
            found[info.filename] = (info.compress_type, info.CRC, f.read(info.compress_size))
    return found


def closed_rows(path: Path) -> list[dict]:
    return [r for r in history_rows(path) if r["操作"] == "年度締め"]


CHILD = """
import os, signal, sys
from xlkit import closing_tasks, tasks
from xlkit.workbook import writer
where = sys.argv[2]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if where == "freeze":  # killed after the report was written into the folder being made
    real = tasks.export_linkages
    def export(*args, **kwargs):
        done = real(*args, **kwargs)
        die()
    tasks.export_linkages = export
else:  # killed after the 確定 folder got its name, before the register was replaced
    writer.Edit.commit = die
closing_tasks.close_year(sys.argv[1], pdf=False)
"""


def killed(register: Path, where: str) -> None:
    """close-year killed (SIGKILL, a power cut) at `where`, in a process of its own."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(register), where], capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == -9, done.stderr


# --------------------------------------------------------------------------- the folder and its hashes


def test_a_register_in_a_folder_with_spaces_and_japanese_names_closes_and_its_hashes_verify(tmp_path, capsys):
    folder = tmp_path / "区政 情報課" / "令和2年度 登録簿"
    register = register_copy(folder, "外部結合 登録簿 (本番).xlsx")
    original = register.read_bytes()
    code, out, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 0, err
    year = folder / "確定" / "2020"
    assert f"確定フォルダ「{year}」" in out
    assert "・ハッシュ値一覧.txt" in out and f"・{register.name}" in out  # every file of the folder listed
    checked = manifest_ok(year)
    assert checked.count(": OK") == 3 and "外部結合 登録簿 (本番).xlsx: OK" in checked
    assert (year / "外部結合 登録簿 (本番).xlsx").read_bytes() == original
    data = json.loads((year / "集計_令和2年度.json").read_text(encoding="utf-8"))
    assert data["登録簿"] == register.name and data["登録簿のSHA-256"] == hashlib.sha256(original).hexdigest()
    assert {r["元ファイル"] for r in closed_rows(register)} == {"確定\\2020"}
    assert listing(folder / "確定") == ["2020", *(f"2020/{p.name}" for p in sorted(year.iterdir()))]


def test_the_frozen_copy_exports_the_same_figures_and_cannot_be_closed_again(tmp_path, capsys):
    register = register_copy(tmp_path)
    assert run_cli(capsys, "close-year", register, "--no-pdf")[0] == 0
    copy = tmp_path / "確定" / "2020" / "登録簿.xlsx"
    frozen = copy.read_bytes()
    code, out, _ = run_cli(capsys, "summarize", copy, "--json")
    assert code == 0
    stored = json.loads((copy.parent / "集計_令和2年度.json").read_text(encoding="utf-8"))["集計"]
    assert json.loads(out)["rows"] == stored["rows"]
    assert run_cli(capsys, "export", "linkages", copy, "--out", tmp_path / "再出力.docx")[0] == 0
    # closing the copy itself (a slip in the file dialog) is refused: it is read-only
    code, _, err = run_cli(capsys, "close-year", copy, "--no-pdf")
    assert code == 2 and "読み取り専用" in japanese(err)
    assert copy.read_bytes() == frozen and not (copy.parent / "確定").exists()
    manifest_ok(copy.parent)


def test_a_copy_frozen_by_an_earlier_format_still_exports(tmp_path, capsys):
    """A 確定 copy stays as it was frozen, read-only, while xlkit moves on to newer formats."""
    old = register_copy(tmp_path / "確定" / "2020", source=REPO / "tests" / "fixtures" / "format3_sample.xlsx")
    os.chmod(old, 0o444)
    code, _, err = run_cli(capsys, "export", "linkages", old, "--out", tmp_path / "再出力.docx")
    assert code == 0, err


def test_an_xlsm_keeps_its_macros_and_every_part_but_settings_and_history_byte_for_byte(tmp_path, capsys):
    register = register_copy(tmp_path, "登録簿.xlsm", SAMPLE_XLSM)
    before = raw_parts(register)
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 0, err
    after = raw_parts(register)
    from xlkit.workbook.package import Package

    with Package(register) as package:
        rewritten = {package.sheet_part(SETTINGS), package.sheet_part(HISTORY), "xl/workbook.xml"}
    assert "xl/vbaProject.bin" in before and set(after) == set(before)
    assert [name for name in before if name not in rewritten and after[name] != before[name]] == []
    # workbook.xml: only the 変更履歴 filter grew over the new rows
    with zipfile.ZipFile(SAMPLE_XLSM) as a, zipfile.ZipFile(register) as b:
        old, new = (z.read("xl/workbook.xml").decode() for z in (a, b))
    strip = lambda text: re.sub(r"変更履歴!\$A\$1:\$I\$\d+", "", text)  # noqa: E731
    assert old != new and strip(old) == strip(new)
    assert (tmp_path / "確定" / "2020" / "登録簿.xlsm").read_bytes() == SAMPLE_XLSM.read_bytes()


def test_a_decorated_register_keeps_every_object_staff_added(tmp_path, capsys):
    """A picture, a text box, a chart, a comment, a conditional format and a link (support.decorate):
    closing writes 設定 and 変更履歴 only, and the 確定 copy is the register as it was."""
    from support.decorate import decorate, missing

    register = tmp_path / "登録簿.xlsx"
    deco = decorate(SAMPLE, register)
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 0, err
    assert missing(register, deco) == []
    assert reader.load(register).settings["closed_years"] == [2020]
    assert (tmp_path / "確定" / "2020" / register.name).read_bytes() == before
    manifest_ok(tmp_path / "確定" / "2020")


# --------------------------------------------------------------------------- what staff type into 設定


@pytest.mark.parametrize("junk", ["二〇二〇", dt.datetime(2020, 4, 1), "2020,abc", "1988", "令和二年度"])
def test_junk_in_closed_years_is_a_validation_error_and_nothing_is_written(tmp_path, capsys, junk):
    register = register_copy(tmp_path)
    set_settings(register, closed_years=junk)
    code, err = close_refused(capsys, register)
    assert code == 1 and "設定!B16" in japanese(err) and "締めませんでした" in err


@pytest.mark.parametrize("typed", ["令和7年7月3日", "2025/7/3", "R7.7.3"])
def test_a_report_date_typed_as_text_is_read_and_cleared(tmp_path, capsys, typed):
    register = register_copy(tmp_path)
    set_settings(register, report_date=typed)
    code, out, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 0, err
    assert "報告日 令和7年7月3日" in out
    book = reader.load(register)
    assert "report_date" not in book.settings and book.settings["closed_years"] == [2020]


@pytest.mark.parametrize("typed", ["未定", "R7.13.1", "令和7年2月30日"])
def test_a_report_date_that_is_no_date_is_a_validation_error(tmp_path, capsys, typed):
    register = register_copy(tmp_path)
    set_settings(register, report_date=typed)
    code, err = close_refused(capsys, register)
    assert code == 1 and "設定!B3" in japanese(err)


@pytest.mark.parametrize("title", ["締めた年度", "前年度公表値（監査委員）", "前年度公表値（区長）"])
def test_a_deleted_setting_row_refuses_naming_it(tmp_path, capsys, title):
    register = register_copy(tmp_path)
    delete_setting_row(register, title)
    code, err = close_refused(capsys, register)
    assert code == 2 and f"「{title}」の行がない" in japanese(err)


def test_a_body_added_without_its_setting_row_refuses_naming_the_row(tmp_path, capsys):
    register = register_copy(tmp_path)
    workbook = openpyxl.load_workbook(register)
    bodies = workbook["実施機関"]
    bodies.cell(bodies.max_row + 1, 1, "農業委員会")
    workbook.save(register)
    code, err = close_refused(capsys, register)
    assert code == 2 and "「前年度公表値（農業委員会）」の行がない" in japanese(err)


def test_a_deleted_report_date_row_is_said_as_a_missing_row(tmp_path, capsys):
    register = register_copy(tmp_path)
    delete_setting_row(register, "報告日")
    code, err = close_refused(capsys, register)
    assert code == 2
    assert "「報告日」の行がない" in err


@pytest.mark.parametrize("how", ["deleted", "abc"])
def test_a_missing_report_year_is_not_answered_with_an_option_close_year_lacks(tmp_path, capsys, how):
    register = register_copy(tmp_path)
    if how == "deleted":
        delete_setting_row(register, "報告年度")
    else:
        set_settings(register, report_year=how)
    code, err = close_refused(capsys, register)
    assert code in (1, 2) and japanese(err)
    with pytest.raises(SystemExit) as refused:  # argparse: 「知らない指定があります: --year 2020」
        run_cli(capsys, "close-year", register, "--no-pdf", "--year", "2020")
    assert refused.value.code == 2 and "--year" in capsys.readouterr().err
    assert "--year" not in err


def test_a_duplicated_report_year_row_is_refused_not_half_updated(tmp_path, capsys):
    register = register_copy(tmp_path)
    add_setting_row(register, "報告年度")  # a second, blank 報告年度 row at the bottom
    code, err = close_refused(capsys, register)
    assert code == 2 and "報告年度" in err and "2行以上" in err  # refused, not half-updated: one row would go on saying 2020


def test_a_duplicated_report_date_row_is_refused_naming_the_rows(tmp_path, capsys):
    register = register_copy(tmp_path)
    added = add_setting_row(register, "報告日")
    code, err = close_refused(capsys, register)
    assert code == 2 and japanese(err)
    assert "報告日" in err and "B3" in err and f"B{added}" in err


def _shared_formula(path: Path, first: int, last: int) -> None:
    """設定's B cells of rows first..last as one shared formula (Excel writes a formula filled down
    that way: the first cell holds it, the others point at it by its si), each keeping its value."""
    from support.zips import rewrite_member
    from xlkit.workbook.package import Package

    with Package(path) as package:
        part = package.sheet_part(SETTINGS)

    def change(xml: bytes) -> bytes:
        for row in range(first, last + 1):
            def formula(m, row=row):
                shared = (b'<f t="shared" ref="B%d:B%d" si="0">0+ROW()*0+%s</f>' % (first, last, m[2])
                          if row == first else b'<f t="shared" si="0"/>')
                return b'<c r="B%d"%s>%s<v>%s</v></c>' % (row, m[1], shared, m[2])
            xml, found = re.subn(rb'<c r="B%d"([^>]*)><v>([^<]*)</v></c>' % row, formula, xml)
            assert found == 1, row
        return xml

    rewrite_member(path, part, change)


def test_a_formula_in_a_setting_cell_closing_writes_is_refused_naming_it(tmp_path, capsys):
    """前年度公表値 as a formula filled down B10:B14: writing 区長's value over B10 would leave B11:B14
    pointing at a formula that is gone (Excel then repairs the file). Refused, the dry run too."""
    register = register_copy(tmp_path)
    _shared_formula(register, 10, 14)
    assert reader.load(register).settings["previous_published"]["区長"] == 61  # read as its value
    before = register.read_bytes()
    for extra in (("--dry-run",), ()):
        code, out, err = run_cli(capsys, "close-year", register, "--no-pdf", *extra)
        assert code == 2 and "数式" in japanese(err) and f"「{SETTINGS}」シートの B10、B11 に" in err, err
        assert "締めます" not in out  # refused before it says what it would do
        untouched(register, before)


@pytest.mark.parametrize("how", ["deleted", "retyped"])
def test_a_broken_history_sheet_refuses_the_dry_run_as_it_refuses_the_close(tmp_path, capsys, how):
    """The 変更履歴 rows are made before anything is said or written: a dry run that passes is a
    close that passes."""
    register = register_copy(tmp_path)
    workbook = openpyxl.load_workbook(register)
    if how == "deleted":
        del workbook[HISTORY]
    else:
        workbook[HISTORY]["B1"] = "何か"  # 操作's header typed over
    workbook.save(register)
    before = register.read_bytes()
    said_ = []
    for extra in (("--dry-run",), ()):
        code, out, err = run_cli(capsys, "close-year", register, "--no-pdf", *extra)
        assert code == 2 and HISTORY in japanese(err)
        assert "締めます" not in out and "書いていません" not in out
        untouched(register, before)
        said_.append(err)
    assert said_[0] == said_[1]


# --------------------------------------------------------------------------- the PDF's characters


HIEROGLYPH = "\U00013000"  # a character no font here is made to have: the PDF draws a box


def _lost_in_pdf(monkeypatch, register: Path) -> None:
    """外部結合!D75 (業務名 of a linkage 令和2年度's report lists) with a character the PDF's fonts
    lack, as this PC's fonts are told to say (the coverage is given: no test of the fonts installed)."""
    from xlkit.export import pdf

    monkeypatch.setattr(pdf, "uncovered", lambda chars: {c for c in chars if c == HIEROGLYPH})
    workbook = openpyxl.load_workbook(register)
    sheet = workbook[schema.linkage().sheet]
    sheet["D75"] = f"{sheet['D75'].value}{HIEROGLYPH}"
    workbook.save(register)


def test_characters_the_pdf_would_lose_are_said_before_closing_and_kept_in_the_figures_file(tmp_path, capsys,
                                                                                          monkeypatch):
    register = register_copy(tmp_path)
    _lost_in_pdf(monkeypatch, register)
    monkeypatch.setattr(closing_tasks, "check_pdf_tool", lambda pdf, register: None)
    monkeypatch.setattr(closing_tasks, "export_pdf", lambda book, out, plan: _stub_pdf(out))
    code, out, err = run_cli(capsys, "close-year", register, "--dry-run")
    assert code == 0, err
    [line] = [x for x in out.splitlines() if "U+13000" in x]
    assert line.startswith("注意") and "外部結合!D75" in line  # said, not refused
    code, out, err = run_cli(capsys, "close-year", register)
    assert code == 0, err
    assert line in out.splitlines()
    data = json.loads((tmp_path / "確定" / "2020" / "集計_令和2年度.json").read_text(encoding="utf-8"))
    assert [n for n in data["注記"] if "U+13000" in n] == [line.removeprefix("注意: ")]
    # without a PDF nothing is lost: the .docx keeps every character
    other = register_copy(tmp_path / "PDFなし")
    _lost_in_pdf(monkeypatch, other)
    code, out, _ = run_cli(capsys, "close-year", other, "--no-pdf", "--dry-run")
    assert code == 0 and "U+13000" not in out


# --------------------------------------------------------------------------- the 確定 folder's place


def test_a_file_named_kakutei_is_refused_in_japanese_and_kept(tmp_path, capsys):
    register = register_copy(tmp_path)
    (tmp_path / "確定").write_bytes(b"staff's note")
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and "確定フォルダ" in japanese(err) and "登録簿は変えていません" in err
    assert register.read_bytes() == before and (tmp_path / "確定").read_bytes() == b"staff's note"
    assert listing(tmp_path) == sorted(["確定", "登録簿.xlsx"])


def test_dry_run_says_a_file_named_kakutei_stops_the_close(tmp_path, capsys):
    register = register_copy(tmp_path)
    (tmp_path / "確定").write_bytes(b"staff's note")
    assert run_cli(capsys, "close-year", register, "--no-pdf")[0] == 2
    assert run_cli(capsys, "close-year", register, "--no-pdf", "--dry-run")[0] == 2


def test_dry_run_without_libreoffice_says_the_pdf_cannot_be_made(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    monkeypatch.setenv("XLKIT_SOFFICE", str(tmp_path / "no-soffice"))
    assert run_cli(capsys, "close-year", register)[0] == 2
    code, out, err = run_cli(capsys, "close-year", register, "--dry-run")
    assert code == 2 and "LibreOffice" in err


def test_a_kakutei_link_loop_or_a_dangling_year_link_is_refused_in_japanese(tmp_path, capsys):
    loop = register_copy(tmp_path / "loop")
    os.symlink("確定", tmp_path / "loop" / "確定")
    dangling = register_copy(tmp_path / "dangling")
    (tmp_path / "dangling" / "確定").mkdir()
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling" / "確定" / "2020")
    for register in (loop, dangling):
        before = register.read_bytes()
        code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
        assert code == 2 and "確定フォルダ" in japanese(err)
        assert register.read_bytes() == before
    assert os.readlink(tmp_path / "dangling" / "確定" / "2020") == str(tmp_path / "nowhere")
    assert [p.name for p in (tmp_path / "dangling" / "確定").iterdir()] == ["2020"]


def test_a_register_reached_through_a_link_is_closed_beside_the_file_and_the_link_stays(tmp_path, capsys):
    register = register_copy(tmp_path / "本体")
    (tmp_path / "ショートカット").mkdir()
    link = tmp_path / "ショートカット" / "登録簿へのリンク.xlsx"
    os.symlink(register, link)
    code, out, err = run_cli(capsys, "close-year", link, "--no-pdf")
    assert code == 0, err
    assert os.path.islink(link) and reader.load(link).settings["closed_years"] == [2020]
    assert f"確定フォルダ：{tmp_path / '本体' / '確定' / '2020'}" in out
    assert (tmp_path / "本体" / "確定" / "2020" / "登録簿.xlsx").read_bytes() == SAMPLE.read_bytes()
    assert listing(tmp_path / "ショートカット") == ["登録簿へのリンク.xlsx"]


def test_permission_denied_on_the_kakutei_folder_writes_nothing(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    (tmp_path / "確定").mkdir()

    def denied(*args, **kwargs):  # root passes any chmod here: the OS's answer for a folder staff may not write
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "確定"))

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    code, err = close_refused(capsys, register)
    assert code == 2 and "アクセスする権限がありません" in japanese(err) and "登録簿は変えていません" in err


def test_a_full_disk_while_the_folder_is_made_writes_nothing(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith("集計_"):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code, err = close_refused(capsys, register)
    assert code == 2 and "ディスクの空きが足りません" in japanese(err)


def test_a_full_disk_while_the_register_is_written_removes_the_folder(tmp_path, capsys, monkeypatch):
    from xlkit.workbook.package import Package

    register = register_copy(tmp_path)

    def full(self, target):
        Path(target).write_bytes(b"PK\x03\x04 half")
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(Package, "save", full)
    code, err = close_refused(capsys, register)
    assert code == 2 and "ディスクの空きが足りません" in japanese(err)


# --------------------------------------------------------------------------- colleagues, Excel, locks


def test_a_read_only_register_is_refused_before_the_folder_is_made(tmp_path, capsys):
    register = register_copy(tmp_path)
    os.chmod(register, 0o444)
    code, err = close_refused(capsys, register)
    assert code == 2 and "読み取り専用" in japanese(err)


def _owner_file(register: Path, name: str = "佐藤花子") -> None:
    """Excel's 「~$」 owner file as Excel 2016 writes it (xlkit/owner_files.py)."""
    ansi = b"sato"
    data = bytes([len(ansi)]) + ansi + b" " * (54 - len(ansi)) + len(name).to_bytes(2, "little")
    data += name.encode("utf-16-le") + b"\0" * 60
    register.with_name("~$" + register.name).write_bytes(data)


def test_a_register_open_in_excel_is_refused_naming_who(tmp_path, capsys):
    register = register_copy(tmp_path)
    _owner_file(register)
    code, err = close_refused(capsys, register)
    assert code == 2 and "佐藤花子" in japanese(err) and "Excel" in err


def test_excel_opening_the_register_while_it_closes_removes_the_folder(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    real = tasks.export_linkages

    def export_then_open(*args, **kwargs):
        done = real(*args, **kwargs)
        _owner_file(register)
        return done

    monkeypatch.setattr(tasks, "export_linkages", export_then_open)
    code, err = close_refused(capsys, register)
    assert code == 2 and "佐藤花子" in japanese(err)
    register.with_name("~$" + register.name).unlink()


def test_a_colleagues_folder_made_just_before_ours_is_renamed_is_kept_and_said_as_existing(tmp_path, capsys,
                                                                                          monkeypatch):
    """A colleague's close-year of a copy of this register makes 確定/2020 after ours looked and
    before ours renames its folder into place: theirs is kept whole and ours refused as a folder
    that is there already, not as a file-system failure."""
    register = register_copy(tmp_path)
    final = tmp_path / "確定" / "2020"
    real = os.rename

    def colleague_first(src, dst, *args, **kwargs):
        if Path(dst) == final and not final.exists():
            final.mkdir()
            (final / "集計_令和2年度.json").write_text("theirs", encoding="utf-8")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", colleague_first)
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and "すでにあります" in japanese(err) and "2020" in err
    assert register.read_bytes() == before
    assert listing(tmp_path / "確定") == ["2020", "2020/集計_令和2年度.json"]
    assert (final / "集計_令和2年度.json").read_text(encoding="utf-8") == "theirs"


def test_a_lock_held_by_a_running_colleague_is_waited_for_then_refused_naming_them(tmp_path, capsys, monkeypatch):
    from xlkit import __version__, lock, processes

    register = register_copy(tmp_path)
    monkeypatch.setattr(writer, "LOCK_WAIT", 0.3)
    colleague = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        data = {"user": "suzuki", "host": processes.host(), "pid": colleague.pid,
                "started": dt.datetime.now().astimezone().isoformat(), "purpose": "取り込み", "token": "theirs",
                "xlkit": __version__}
        held = lock.lock_path(register)
        held.write_text(json.dumps(data), encoding="utf-8")
        before = register.read_bytes()
        for extra in ((), ("--clear-lock",)):  # a lock whose process still runs is never cleared
            code, _, err = run_cli(capsys, "close-year", register, "--no-pdf", *extra)
            assert code == 2 and "suzuki" in japanese(err) and "取り込み" in err
            assert register.read_bytes() == before and not (tmp_path / "確定").exists()
            assert json.loads(held.read_text(encoding="utf-8"))["token"] == "theirs"
    finally:
        colleague.kill()
        colleague.wait()


def test_two_close_years_at_once_in_threads_close_the_year_once(tmp_path):
    register = register_copy(tmp_path)
    said_: list[str] = []

    def close() -> None:
        try:
            closing_tasks.close_year(register, pdf=False)
            said_.append("closed")
        except XlkitError as e:
            said_.append(japanese(e.message))

    threads = [threading.Thread(target=close) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert said_.count("closed") == 1
    assert all("報告日が空欄" in s and "令和3年度" in s for s in said_ if s != "closed")
    assert reader.load(register).settings["closed_years"] == [2020] and len(closed_rows(register)) == 5
    assert listing(tmp_path / "確定")[0] == "2020" and all(p.startswith("2020") for p in listing(tmp_path / "確定"))
    manifest_ok(tmp_path / "確定" / "2020")


def test_two_copies_closed_at_once_in_one_folder_share_one_kakutei_folder_never_replaced(tmp_path):
    first = register_copy(tmp_path)
    second = register_copy(tmp_path, "登録簿のコピー.xlsx")
    runs = [subprocess.Popen([sys.executable, "-m", "xlkit.cli", "close-year", str(p), "--no-pdf"], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in (first, second)]
    results = [(run.wait(), run.stderr.read()) for run in runs]
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert sorted(code for code, _ in results) == [0, 2], results
    loser_err = next(err for code, err in results if code == 2)
    assert "確定フォルダ" in japanese(loser_err)
    winner = (first, second)[[code for code, _ in results].index(0)]
    loser = (first, second)[[code for code, _ in results].index(2)]
    assert reader.load(loser).settings.get("closed_years") is None  # the loser's register is not closed
    assert reader.load(winner).settings["closed_years"] == [2020]
    assert sorted(p.name for p in (tmp_path / "確定").iterdir()) == ["2020"]
    assert (tmp_path / "確定" / "2020" / winner.name).exists()
    manifest_ok(tmp_path / "確定" / "2020")


def test_a_register_replaced_by_a_colleague_meanwhile_is_not_closed(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    real = tasks.export_linkages

    def export_then_save_over(*args, **kwargs):  # as Excel saves: a new file renamed over the old
        done = real(*args, **kwargs)
        theirs = tmp_path / "theirs.xlsx"
        shutil.copyfile(register, theirs)
        set_settings(theirs, document_no="資料２")
        os.replace(theirs, register)
        return done

    monkeypatch.setattr(tasks, "export_linkages", export_then_save_over)
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and "変更されました" in japanese(err) and "もう一度実行" in err
    assert reader.load(register).settings["document_no"] == "資料２"  # the colleague's change is kept
    assert "closed_years" not in reader.load(register).settings
    untouched(register, register.read_bytes())


def test_a_register_rewritten_in_place_meanwhile_is_said_to_be_changed_not_broken(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    real = tasks.export_linkages

    def export_then_rewrite(*args, **kwargs):
        done = real(*args, **kwargs)
        set_settings(register, document_no="資料２")  # openpyxl truncates and rewrites the same file
        return done

    monkeypatch.setattr(tasks, "export_linkages", export_then_rewrite)
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and japanese(err)
    assert reader.load(register).settings["document_no"] == "資料２"
    untouched(register, register.read_bytes())
    assert "変更されました" in err and "壊れて" not in err


# --------------------------------------------------------------------------- stopped, killed, failing


def test_stopped_while_the_folder_is_made_leaves_nothing(tmp_path, capsys, monkeypatch):
    from xlkit.cli import Stopped

    register = register_copy(tmp_path)

    def stop(*args, **kwargs):  # what the SIGTERM/SIGHUP handler raises (Ctrl+C is its parent class)
        raise Stopped(15)

    monkeypatch.setattr(tasks, "export_linkages", stop)
    code, err = close_refused(capsys, register)
    assert code == 143 and "中断しました" in err


def test_killed_while_the_folder_is_made_leaves_no_year_folder_and_the_lock_says_so(tmp_path, capsys):
    register = register_copy(tmp_path)
    before = register.read_bytes()
    killed(register, "freeze")
    assert register.read_bytes() == before and not (tmp_path / "確定" / "2020").exists()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and "--clear-lock" in japanese(err) and "年度締め" in err
    assert register.read_bytes() == before
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf", "--clear-lock")
    assert code == 0, err
    manifest_ok(tmp_path / "確定" / "2020")


def test_a_half_made_folder_of_a_killed_close_is_removed_by_the_next_close(tmp_path, capsys):
    register = register_copy(tmp_path)
    killed(register, "freeze")
    assert [p.name for p in (tmp_path / "確定").iterdir() if p.name.startswith(".~xlkit-2020-")]  # what the kill left
    assert run_cli(capsys, "close-year", register, "--no-pdf", "--clear-lock")[0] == 0
    assert sorted(p.name for p in (tmp_path / "確定").iterdir()) == ["2020"]


def test_killed_after_the_folder_was_named_is_found_and_explained_by_the_next_run(tmp_path, capsys):
    """The one state a kill can leave (README: 前回の年度締めが登録簿に保存されなかった場合は…)."""
    register = register_copy(tmp_path)
    before = register.read_bytes()
    killed(register, "commit")
    year = tmp_path / "確定" / "2020"
    manifest_ok(year)  # whole, under its name: never half-made
    assert register.read_bytes() == before
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf", "--clear-lock")
    assert code == 2 and "すでにあります" in japanese(err) and "別の場所に移し" in err
    assert register.read_bytes() == before
    manifest_ok(year)


def test_a_stop_right_after_the_register_was_replaced_keeps_the_folder(tmp_path, capsys, monkeypatch):
    from xlkit import files
    from xlkit.cli import Stopped

    register = register_copy(tmp_path)
    real = files._move_into_place

    def moved_then_stopped(tmp, path, overwrite):
        real(tmp, path, overwrite)
        if Path(path) == register:
            raise Stopped(15)  # the signal handler runs between two bytecodes: here, say

    monkeypatch.setattr(files, "_move_into_place", moved_then_stopped)
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 143
    closed = reader.load(register).settings.get("closed_years") == [2020]
    assert closed == (tmp_path / "確定" / "2020").is_dir()  # the register and its folder agree


def test_a_folder_that_cannot_be_removed_whole_is_not_left_half_made(tmp_path, monkeypatch):
    register = register_copy(tmp_path)

    def refuse(self, **kwargs):
        raise XlkitError("書き込めません（試験）")

    monkeypatch.setattr(writer.Edit, "commit", refuse)
    real_unlink, real_discard = os.unlink, closing_tasks.discard

    def held(path, *args, **kwargs):
        if str(path).endswith(".docx"):
            raise PermissionError(errno.EACCES, "used by another process", str(path))
        return real_unlink(path, *args, **kwargs)

    def discard(folder):
        monkeypatch.setattr(os, "unlink", held)
        try:
            real_discard(folder)
        finally:
            monkeypatch.setattr(os, "unlink", real_unlink)

    monkeypatch.setattr(closing_tasks, "discard", discard)
    with pytest.raises(XlkitError):
        closing_tasks.close_year(register, pdf=False)
    assert register.read_bytes() == SAMPLE.read_bytes()  # the register is not closed, so no folder may say so
    assert not (tmp_path / "確定" / "2020").exists(), listing(tmp_path / "確定")


def test_history_columns_staff_broke_refuse_and_remove_the_folder(tmp_path, capsys):
    register = register_copy(tmp_path)
    workbook = openpyxl.load_workbook(register)
    workbook[HISTORY]["B1"] = "何か"  # 操作's header typed over
    workbook.save(register)
    code, err = close_refused(capsys, register)
    assert code in (1, 2) and japanese(err)


# --------------------------------------------------------------------------- limits


def test_a_register_over_the_limits_is_refused_before_anything(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    before = register.read_bytes()
    for limit in ("file_bytes=1000", "part_bytes=5000"):
        monkeypatch.setenv("XLKIT_LIMITS", limit)
        code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
        assert code == 2 and "上限" in japanese(err) and "登録簿.xlsx" in err
        untouched(register, before)


def _history_limit() -> int:
    """sheet_cells that the sample's 変更履歴 just fits (the guard counts at least 26 columns)."""
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(SAMPLE)).get_sheet_by_name(HISTORY).to_python()
    return len(rows) * 26


def test_a_register_the_close_would_grow_past_the_limits_is_left_as_it_was(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    monkeypatch.setenv("XLKIT_LIMITS", f"sheet_cells={_history_limit()}")
    assert run_cli(capsys, "validate", register)[0] == 0  # it reads today
    code, err = close_refused(capsys, register)
    assert code == 2 and "変更履歴" in japanese(err) and "上限" in err


def test_the_limit_refusal_names_the_register_not_a_temporary_copy(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    monkeypatch.setenv("XLKIT_LIMITS", f"sheet_cells={_history_limit()}")
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2
    assert ".~xlkit-" not in err and "「登録簿.xlsx」" in err


# --------------------------------------------------------------------------- the button


def _stub_pdf(target: Path) -> Path:
    target.write_bytes(b"%PDF-1.4 stub\n")
    return target


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A register in the current folder (a payload workbook's folder); the PDF step stubbed."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(closing_tasks, "export_pdf", lambda book, out, plan: _stub_pdf(out))
    monkeypatch.setattr(closing_tasks, "check_pdf_tool", lambda pdf, register: None)
    shutil.copyfile(SAMPLE, tmp_path / "登録簿.xlsx")
    return tmp_path


def press(path: Path, answer=True, book=None, payload=None):
    """The button on the workbook at `path` (as Excel shows it: `payload`, else the file)."""
    book = book or remote_book(payload or office_js_payload(path))
    asked: list[list[str]] = []

    def confirm(plan, lines):
        asked.append(lines)
        return answer(plan, lines) if callable(answer) else answer

    macros.close_year(book, confirm=confirm)
    return book.json()["actions"], asked


def test_the_button_refuses_a_workbook_never_saved(here):
    payload = office_js_payload(here / "登録簿.xlsx")
    payload["book"]["name"] = "Book1"
    actions, asked = press(here / "登録簿.xlsx", payload=payload)
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and "保存されていない" in japanese(shown[0][0])
    assert [a["func"] for a in actions] == ["alert"] and not (here / "確定").exists()


def test_the_button_refuses_a_workbook_without_its_history_sheet(here):
    payload = office_js_payload(here / "登録簿.xlsx")
    payload["sheets"] = [s for s in payload["sheets"] if s["name"] != HISTORY]
    actions, asked = press(here / "登録簿.xlsx", payload=payload)
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and HISTORY in japanese(shown[0][0])
    assert [a["func"] for a in actions] == ["alert"] and not (here / "確定").exists()


def test_the_button_with_a_password_on_the_history_sheet_removes_the_folder_and_saves_nothing(here, monkeypatch):
    from xlkit import macros_survey

    class Locked:  # Excel's Worksheet whose protection has a password staff set
        ProtectContents = True

        def Unprotect(self):
            raise RuntimeError("(-2147352567, 'パスワードが違います')")

        def Protect(self, **kwargs):  # pragma: no cover - never unprotected
            raise AssertionError

    monkeypatch.setattr(macros_survey, "_com", lambda sheet: Locked() if sheet.name == HISTORY else None)
    actions, asked = press(here / "登録簿.xlsx")
    shown = alerts(actions)
    assert asked and len(shown) == 1 and HISTORY in japanese(shown[0][0]) and "削除しました" in shown[0][0]
    assert [a["func"] for a in actions] == ["alert"]  # nothing written, nothing saved
    assert list((here / "確定").iterdir()) == []


def test_the_button_refuses_when_the_file_is_replaced_while_it_asks(here):
    register = here / "登録簿.xlsx"

    def colleague_saves(plan, lines):
        theirs = here / "theirs.xlsx"
        shutil.copyfile(register, theirs)
        set_settings(theirs, document_no="資料２")
        os.replace(theirs, register)
        return True

    actions, asked = press(register, answer=colleague_saves)
    shown = alerts(actions)
    assert asked and len(shown) == 1 and "変更されました" in japanese(shown[0][0])
    assert [a["func"] for a in actions] == ["alert"] and list((here / "確定").iterdir()) == []


def test_the_button_says_when_saving_failed_and_keeps_the_folder_for_the_save(here):
    register = here / "登録簿.xlsx"
    book = remote_book(office_js_payload(register))

    def refuse_save(*args, **kwargs):
        raise OSError(errno.EACCES, "Permission denied", str(register))

    book.save = refuse_save
    actions, _ = press(register, book=book)
    shown = alerts(actions)
    assert len(shown) == 1 and "保存できませんでした" in japanese(shown[0][0]) and "すぐに上書き保存" in shown[0][0]
    assert shown[0][3] == "critical"
    manifest_ok(here / "確定" / "2020")  # README: the folder is right once staff save


def test_the_button_refuses_a_read_only_register_before_making_the_folder(here):
    register = here / "登録簿.xlsx"
    os.chmod(register, 0o444)
    actions, _ = press(register)
    shown = alerts(actions)
    assert not (here / "確定" / "2020").exists()
    assert "save" not in [a["func"] for a in actions] and "読み取り専用" in shown[0][0]


def test_the_button_with_a_duplicated_report_date_row_leaves_no_date_for_next_year(here):
    register = here / "登録簿.xlsx"
    add_setting_row(register, "報告日")  # staff copied the row to the bottom and left it blank
    actions, _ = press(register)
    after = here / "after.xlsx"
    apply_actions(register, actions, after)
    book = reader.load(after)
    assert book.settings.get("report_year") != 2021 or "report_date" not in book.settings


def test_the_button_answered_no_after_a_refusal_free_check_writes_nothing(here):
    actions, asked = press(here / "登録簿.xlsx", answer=False)
    assert asked and asked[0][-1].startswith("確定フォルダ：") and actions == []
    assert not (here / "確定").exists()


def test_the_button_says_which_characters_the_pdf_loses_before_it_asks(here, monkeypatch):
    register = here / "登録簿.xlsx"
    _lost_in_pdf(monkeypatch, register)
    actions, asked = press(register)
    assert asked and [line for line in asked[0] if "U+13000" in line and "外部結合!D75" in line]
    shown = alerts(actions)
    assert len(shown) == 1 and "令和2年度を締めました" in shown[0][0]


def _lock_of(register: Path, pid: int) -> Path:
    """The lock `xlkit import` takes, held by process `pid` of this PC (suzuki's)."""
    from xlkit import __version__, lock, processes

    data = {"user": "suzuki", "host": processes.host(), "pid": pid, "started": dt.datetime.now().astimezone().isoformat(),
            "purpose": "取り込み", "token": "theirs", "xlkit": __version__}
    held = lock.lock_path(register)
    held.write_text(json.dumps(data), encoding="utf-8")
    return held


def test_the_button_refuses_while_an_xlkit_command_holds_the_register(here):
    """It copies the file and saves over it: not while `xlkit import` (say) is writing it."""
    register = here / "登録簿.xlsx"
    colleague = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        held = _lock_of(register, colleague.pid)
        actions, asked = press(register)
        shown = alerts(actions)
        assert asked == [] and len(shown) == 1
        assert "suzuki" in japanese(shown[0][0]) and "取り込み" in shown[0][0] and held.name in shown[0][0]
        assert [a["func"] for a in actions] == ["alert"] and not (here / "確定").exists()
        assert json.loads(held.read_text(encoding="utf-8"))["token"] == "theirs"  # never the button's to clear
        held.unlink()

        def colleague_starts(plan, lines):  # the command begins while the question waits
            _lock_of(register, colleague.pid)
            return True

        actions, asked = press(register, answer=colleague_starts)
        shown = alerts(actions)
        assert asked and len(shown) == 1 and "suzuki" in shown[0][0]
        assert "save" not in [a["func"] for a in actions] and not (here / "確定").exists()
    finally:
        colleague.kill()
        colleague.wait()
    # a lock whose process is gone (stale) is the command line's to report: the button closes
    actions, asked = press(register)
    assert asked and "令和2年度を締めました" in alerts(actions)[0][0]
