"""The button 診断 through xlwings' own remote engine: the rows `xlkit doctor` prints for the same
register, written to the sheet 診断 (old rows cleared, 要対応 and 注意 coloured as 入力チェック colours).

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

from support import REPO, japanese, run_cli
from support.doctor import new_register
from support.payload import alerts, apply_actions, cell_writes, office_js_payload, remote_book
from xlkit import diagnosis as doctor, installation, macros_doctor
from xlkit.workbook import design


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return new_register(tmp_path_factory.mktemp("made"))


def in_folder(monkeypatch, made: Path, folder: Path) -> Path:
    """A copy of the register in `folder`, made the current folder: a payload book's folder."""
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    return Path(shutil.copyfile(made, folder / made.name))


def press(path: Path, payload: dict | None = None) -> list[dict]:
    book = remote_book(payload or office_js_payload(path))
    macros_doctor.doctor(book)
    return book.json()["actions"]


def printed_rows(out: str) -> list[list[str]]:
    """`xlkit doctor`'s blocks back as rows of 確認項目, 結果, 内容, 対処."""
    rows = []
    for block in out.strip().split("\n\n")[:-1]:
        lines = block.splitlines()
        assert [line.strip().split(": ", 1)[0] for line in lines] == list(design.DIAGNOSIS_HEADERS)
        rows.append([line.strip().split(": ", 1)[1] for line in lines])
    return rows


def sheet_rows(path: Path) -> tuple[list[list[str]], list[str | None]]:
    """The 診断 sheet's rows under its header, and the fill of each row's 結果 cell."""
    ws = openpyxl.load_workbook(path)[design.DIAGNOSIS]
    assert [c.value for c in ws[1][:4]] == list(design.DIAGNOSIS_HEADERS)
    rows, fills = [], []
    for row in ws.iter_rows(min_row=2, max_col=4):
        if all(c.value is None for c in row):
            continue
        rows.append([c.value for c in row])
        fill = row[1].fill
        fills.append("#" + fill.fgColor.rgb[-6:] if fill is not None and fill.fill_type == "solid" else None)
    return rows, fills


def test_the_button_writes_what_the_command_prints(made, tmp_path, monkeypatch, capsys):
    register = in_folder(monkeypatch, made, tmp_path / "区政 情報課")  # one 注意: the folder's name
    actions = press(register)
    after = tmp_path / "after.xlsm"
    left = apply_actions(register, actions, after)
    assert [a["func"] for a in left] == ["activateSheet", "alert"]

    code, out, err = run_cli(capsys, "doctor", register)
    assert err == ""
    rows, fills = sheet_rows(after)
    assert rows == printed_rows(out)  # one answer, two doors
    assert [r[1] for r in rows].count(doctor.NOTE) >= 1
    wanted = {doctor.ACTION: design.ERROR_FILL, doctor.NOTE: design.WARNING_FILL}
    assert fills == [wanted.get(r[1]) for r in rows]

    sheets = [s.name for s in remote_book(office_js_payload(register)).sheets]
    assert left[0]["args"] == [sheets.index(design.DIAGNOSIS)]
    (message, title, *_), = alerts(actions)
    japanese(message)
    assert message.startswith(doctor.summary(doctor.diagnose(_facts(register))))
    assert "「診断」シート" in message and title.endswith("診断")
    assert code == doctor.exit_code(doctor.diagnose(_facts(register)))


def _facts(register: Path):
    from xlkit import doctor_facts

    return doctor_facts.gather(register)


def test_the_open_workbook_setting_counts_and_old_rows_go(made, tmp_path, monkeypatch):
    register = in_folder(monkeypatch, made, tmp_path / "plain")
    payload = office_js_payload(register)
    sheets = {s["name"]: s for s in payload["sheets"]}
    # what Excel shows: Interpreter_Win emptied but not saved, and a previous run's 40 rows
    conf = sheets[design.CONF]["values"]
    assert conf[0][:2] == ["Interpreter_Win", installation.INTERPRETER_WIN]
    conf[0][1] = ""
    old = [list(design.DIAGNOSIS_HEADERS)] + [[f"古い行{i}", doctor.ACTION, "前の結果", "前の対処"] for i in range(40)]
    sheets[design.DIAGNOSIS]["values"] = old
    actions = press(register, payload)

    clear = [a for a in cell_writes(actions) if a["func"] == "rangeClearContents"]
    assert clear and clear[0]["start_row"] == 1 and clear[0]["row_count"] == 40 and clear[0]["column_count"] == 4
    uncoloured = [a for a in actions if a["func"] == "setRangeColor" and a["args"] == [None]]
    assert uncoloured and uncoloured[0]["row_count"] == 40
    after = tmp_path / "after.xlsm"
    apply_actions(register, actions, after)
    rows, fills = sheet_rows(after)
    assert not any(str(r[0]).startswith("古い行") for r in rows)
    line = next(r for r in rows if r[0] == "ボタンが使う Python")
    assert line[1] == doctor.ACTION and "空欄" in line[2] and "B1" in line[3]
    assert fills[rows.index(line)] == design.ERROR_FILL
    (message, *_), = alerts(actions)
    assert "要対応が 1 件" in message


def test_a_register_before_the_diagnosis_sheet_is_told_to_upgrade(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    register = Path(shutil.copyfile(REPO / "tests" / "fixtures" / "format5_sample.xlsm", tmp_path / "登録簿.xlsm"))
    assert design.DIAGNOSIS not in openpyxl.load_workbook(register, read_only=True).sheetnames
    actions = press(register)
    assert cell_writes(actions) == [] and [a["func"] for a in actions] == ["alert"]
    (message, *_), = alerts(actions)
    japanese(message)
    assert "「診断」シートがありません" in message and f'xlkit upgrade "{register}"' in message
    assert f'xlkit doctor "{register}"' in message


def test_a_failure_is_a_japanese_alert(made, tmp_path, monkeypatch):
    from xlkit import doctor_facts

    register = in_folder(monkeypatch, made, tmp_path / "broken")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor_facts, "gather", broken)
    actions = press(register)
    assert cell_writes(actions) == []
    (message, *_), = alerts(actions)
    assert "予期しない問題" in message and "診断" in message
