"""組織改正 through the buttons (xlwings' remote engine): on a reorganised register, 入力チェック gives
the same notices as `xlkit validate`, 照会票作成 sends the closed 課' linkages to their successors'
forms as `xlkit survey` does, and 年度締め stores the 令和2年度 report with the names of 令和2年度.

The remote engine is xlwings PRO code used under its PolyForm Noncommercial license
(XLWINGS_LICENSE_KEY=noncommercial).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import shutil
from pathlib import Path

import openpyxl
import pytest

from support import SAMPLE
from support.closing import docx_cells
from support.payload import alerts, office_js_payload, remote_book
from support.reorg import OLD_NAMES, reorganised
from xlkit import cli, inquiry, macros, tasks
from xlkit.issues import ERROR
from xlkit.workbook import reader


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """A reorganised copy of the sample in the current folder (a payload workbook's folder)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "登録簿.xlsx"
    shutil.copyfile(SAMPLE, path)
    return reorganised(path)


def press(macro, path: Path, **kwargs) -> list[dict]:
    book = remote_book(office_js_payload(path))
    macro(book, **kwargs)
    return book.json()["actions"]


def test_the_check_button_gives_the_notices_the_command_gives(here):
    expected = [i for i in tasks.validate(reader.load(here)).issues if i.code.startswith("division-")]
    assert expected and {i.code for i in expected} == {"division-renamed"}
    assert not [i for i in tasks.validate(reader.load(here)).issues if i.severity == ERROR]
    actions = press(macros.validate, here)
    written = [a for a in actions if a["func"] == "setValues" and a.get("sheet_position") is not None]
    cells = [str(v) for a in written for row in a["values"] for v in row]
    shown = [c for c in cells if c.startswith("組織改正前の課名です")]
    assert sorted(shown) == sorted(i.message for i in expected)
    [message] = [a["args"][0] for a in actions if a["func"] == "alert"]
    assert "エラー" in message and "警告" in message


def test_the_survey_button_sends_the_old_課_linkages_to_the_new_課(here):
    actions = press(macros.survey, here)
    [message] = alerts(actions)
    folder = here.parent / "exports" / "照会票"
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if any(old in n for old in OLD_NAMES)]
    form = next(folder.glob("照会票_*_戸籍課.xlsx"))
    listed = openpyxl.load_workbook(form)[inquiry.CONTINUING]
    ids = {row[0] for row in listed.iter_rows(min_row=2, values_only=True) if row[0]}
    book = reader.load(here)
    year = book.settings["report_year"]
    from xlkit import figures

    old_rows = {r.get("id") for r in book.linkages if r.get("division") == "戸籍住民課"
                and (figures.active_in(r, year) or figures.active_in(r, year - 1))}
    assert old_rows and old_rows <= ids
    # the command line makes the same forms
    other = here.parent / "cli"
    assert cli.main(["survey", str(here), "--out", str(other)]) in (0, 1)
    assert sorted(p.name for p in other.iterdir()) == names


def test_the_closing_button_stores_the_report_with_the_names_of_its_year(here):
    book = reader.load(here)
    assert book.settings["report_year"] == 2020
    actions = press(macros.close_year, here, confirm=lambda plan, lines: True)
    [message] = alerts(actions)
    assert "令和2年度を締めました" in message[0]
    stored = here.parent / "確定" / "2020" / "外部結合の状況_令和2年度.docx"
    text = "\n".join(c for table in docx_cells(stored) for row in table for c in row)
    assert "戸籍住民課" in text and "滞納対策課" not in text  # no 滞納対策課 row is new or ended in 令和2年度
    assert "戸籍課" not in text
