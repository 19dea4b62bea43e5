"""The button 年度締め through xlwings' own remote engine: the same 確定 folder, 設定 and 変更履歴
as `xlkit close-year` on the same register.

The button writes into the open workbook: its actions are replayed on a copy of the file
(support.payload.apply_actions) and read back with the command line's reader. The remote engine
is xlwings PRO code used under its PolyForm Noncommercial license (XLWINGS_LICENSE_KEY=noncommercial).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import shutil
from pathlib import Path

import openpyxl
import pytest

from support.payload import alerts, apply_actions, office_js_payload, remote_book
from support import SAMPLE, run_cli
from support.closing import docx_cells, history_rows, set_settings
from xlkit import cli, macros, schema
from xlkit.workbook import reader

HISTORY_COLUMNS = ("操作", "元ファイル", "管理番号", "列", "変更前", "変更後")


def run(path: Path, answer: bool = True, book=None):
    book = book or remote_book(office_js_payload(path))
    asked: list[list[str]] = []
    macros.close_year(book, confirm=lambda plan, lines: asked.append(lines) or answer)
    return book.json()["actions"], asked


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A register in the current folder, which stands for a payload workbook's folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(SAMPLE, tmp_path / "登録簿.xlsx")
    return tmp_path


def test_the_button_closes_the_year_as_the_command_does(here, tmp_path_factory):
    register = here / "登録簿.xlsx"
    actions, asked = run(register)
    assert asked and asked[0][0].startswith("令和2年度を締めます")
    shown = alerts(actions)
    assert len(shown) == 1 and "令和2年度を締めました" in shown[0][0] and "上書き保存しました" in shown[0][0]
    assert "・ハッシュ値一覧.txt" in shown[0][0] and "・外部結合の状況_令和2年度.pdf" in shown[0][0]
    assert [a["func"] for a in actions][-2:] == ["save", "alert"]
    after = here / "after.xlsx"
    left = apply_actions(register, actions, after)
    assert [a["func"] for a in left] == ["save", "alert"]

    # the command line on another copy of the same register
    other = tmp_path_factory.mktemp("cli") / "登録簿.xlsx"
    shutil.copyfile(SAMPLE, other)
    assert cli.main(["close-year", str(other)]) == 0

    button_book, cli_book = reader.load(after), reader.load(other)
    assert button_book.settings == cli_book.settings
    assert button_book.settings["report_year"] == 2021 and button_book.settings["closed_years"] == [2020]
    assert button_book.settings["previous_published"] == {"区長": 80, "教育委員会": 8, "選挙管理委員会": 0,
                                                          "監査委員": 0, "議会": 0}
    assert [r.values for r in button_book.linkages] == [r.values for r in cli_book.linkages]

    def logged(path):
        return [tuple(r[k] for k in HISTORY_COLUMNS) for r in history_rows(path) if r["操作"] == "年度締め"]

    assert logged(after) == logged(other) and len(logged(after)) == 5

    # the same folder: the same files, the same report, the same register copy
    mine, theirs = here / "確定" / "2020", other.parent / "確定" / "2020"
    assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in theirs.iterdir())
    report = "外部結合の状況_令和2年度.docx"
    assert docx_cells(mine / report) == docx_cells(theirs / report)
    assert (mine / "登録簿.xlsx").read_bytes() == SAMPLE.read_bytes() == (theirs / "登録簿.xlsx").read_bytes()


def test_no_at_the_question_writes_nothing(here):
    actions, asked = run(here / "登録簿.xlsx", answer=False)
    assert asked
    assert actions == []
    assert not (here / "確定").exists()


def test_unsaved_changes_are_refused_before_anything_is_asked(here):
    register = here / "登録簿.xlsx"
    book = remote_book(office_js_payload(register))  # what Excel shows
    set_settings(register, report_date=None)  # the file on disk differs from it
    actions, asked = run(register, book=book)
    assert asked == []
    shown = alerts(actions)
    assert len(shown) == 1 and "保存されていない変更があります" in shown[0][0]
    assert [a["func"] for a in actions] == ["alert"]
    assert not (here / "確定").exists()


def test_a_refusal_reads_as_the_command_line_says_it(here):
    register = here / "登録簿.xlsx"
    set_settings(register, report_date=None)
    actions, asked = run(register)
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1
    assert "報告日が空欄" in shown[0][0] and "令和2年度" in shown[0][0]
    assert not (here / "確定").exists()


def test_a_history_sheet_that_cannot_be_written_leaves_no_folder(here, monkeypatch):
    from xlkit import macros_close

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(macros_close, "_write", broken)
    actions, _ = run(here / "登録簿.xlsx")
    shown = alerts(actions)
    assert len(shown) == 1 and "確定フォルダは削除しました" in shown[0][0] and "保存せずに閉じて" in shown[0][0]
    assert "save" not in [a["func"] for a in actions]
    assert list((here / "確定").iterdir()) == []


def test_an_older_register_is_sent_to_upgrade(here):
    import shutil as sh

    from support import REPO

    old = REPO / "tests" / "fixtures" / "format3_sample.xlsx"
    sh.copyfile(old, here / "登録簿.xlsx")
    actions, asked = run(here / "登録簿.xlsx")
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and "xlkit upgrade" in shown[0][0]
    assert not (here / "確定").exists()
    workbook = openpyxl.load_workbook(here / "登録簿.xlsx")
    assert schema.settings().sheet in workbook.sheetnames


def test_without_libreoffice_the_button_says_how_to_close_without_the_pdf(here, monkeypatch):
    """The button always makes the PDF; its hint names the command that closes without one."""
    monkeypatch.setenv("XLKIT_SOFFICE", str(here / "no-soffice"))
    actions, asked = run(here / "登録簿.xlsx")
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and "LibreOffice" in shown[0][0]
    assert f'xlkit close-year "{Path.cwd() / "登録簿.xlsx"}" --no-pdf' in shown[0][0] and "閉じて" in shown[0][0]
    assert not (here / "確定").exists()


def test_a_register_without_its_settings_sheet_is_refused_as_the_command_refuses_it(here, capsys):
    register = here / "登録簿.xlsx"
    workbook = openpyxl.load_workbook(register)
    del workbook[schema.settings().sheet]
    workbook.save(register)
    actions, asked = run(register)
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and not (here / "確定").exists()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2
    said = shown[0][0].splitlines()[0]
    assert "報告年度" in said and said in err  # the same words from both doors


def test_settings_rows_moved_in_the_open_workbook_are_unsaved_changes(here):
    """Closing writes 設定's cells where the saved file has them: the open workbook must have
    them there too, not only the same values."""
    register = here / "登録簿.xlsx"
    payload = office_js_payload(register)
    settings = next(s for s in payload["sheets"] if s["name"] == schema.settings().sheet)
    rows = settings["values"]
    first, second = (next(i for i, row in enumerate(rows) if row[0] == title)
                     for title in ("前年度公表値（区長）", "前年度公表値（教育委員会）"))
    rows[first], rows[second] = rows[second], rows[first]
    actions, asked = run(register, book=remote_book(payload))
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and "保存されていない変更があります" in shown[0][0]
    assert not (here / "確定").exists()


def _unsaved(register: Path, change) -> dict:
    """The payload of the open workbook after `change(workbook)` (openpyxl), which was never saved:
    the file on disk keeps its bytes."""
    saved = register.read_bytes()
    workbook = openpyxl.load_workbook(register)
    change(workbook)
    workbook.save(register)
    payload = office_js_payload(register)
    register.write_bytes(saved)
    return payload


def _end_a_division(workbook) -> None:
    """終了日 and 後継の課 typed for 行政管理課 on the 課 sheet (its 課 and 実施機関 unchanged)."""
    import datetime as dt

    sheet = workbook["課"]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "行政管理課")
    row[headers.index("終了日")].value = dt.datetime(2020, 3, 31)
    row[headers.index("後継の課")].value = "区政情報課"


def _edit_a_provision(workbook) -> None:
    sheet = workbook[schema.provision().sheet]
    sheet.cell(row=2, column=8).value = "新宿警察署"


def _unmark_a_category(workbook) -> None:
    """The ○ of the 区分 sheet taken off (what 入力チェック asks for changes)."""
    sheet = workbook["区分"]
    for row in sheet.iter_rows(min_row=2):
        if len(row) > 1 and row[1].value:
            row[1].value = None
            return
    raise AssertionError("the sample marks no 区分")


@pytest.mark.parametrize("change", [_end_a_division, _edit_a_provision, _unmark_a_category])
def test_unsaved_changes_beyond_the_register_rows_are_refused(here, change):
    """The 確定 copy is the saved file: an unsaved 課 period, 外部提供 row or ○ would make the
    register saved afterwards differ from it."""
    register = here / "登録簿.xlsx"
    actions, asked = run(register, book=remote_book(_unsaved(register, change)))
    shown = alerts(actions)
    assert asked == [] and len(shown) == 1 and "保存されていない変更があります" in shown[0][0]
    assert not (here / "確定").exists()
