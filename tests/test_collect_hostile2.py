"""Hostile tests, second round: the buttons 照会票作成 / 回答取込 on xlwings' remote engine, `xlkit
upgrade` from formats 1 and 2, and the 変更履歴 that import, collect and upgrade write.

The promises checked (README 「年度の流れ」「登録簿を書くときの約束」「登録簿の形式と更新」):

- a button never changes a value staff typed: it appends rows below the last one, fills the end
  dates the plan allows and writes its own two sheets; it gives what `xlkit collect` gives on the
  same register and files; it speaks Japanese; it writes nothing when the plan is held, the chooser
  is cancelled or the confirmation declined;
- `xlkit upgrade` keeps every value, adds 回答状況 / 変更履歴 / 回答期限 / the register id once,
  refuses a register with a hand-made sheet of those names, is all or nothing, and records itself;
- every register cell xlkit changes has its 変更履歴 row.

The register is the shipped sample with 報告年度 令和3年度 (as tests/test_macros_survey.py makes
it); its forms are made once per module. A button's actions are replayed on a copy of the file
(support.payload.apply_actions) and read back with the command line's reader.

Tests marked xfail(strict=True) document a real defect; the reason says what is wrong.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import datetime as dt
import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from support import JAPANESE, REPO, run_cli
from support.zips import rewrite_member
from support.forms import (LINK, YEAR, cite_a_case, fill, folder_state, form_of, headers, linkage, press, row_of,
                           sample_of_year, write_table2)
from support.forms import edit_register as edit
from support.forms import logged as history
from support.forms import statuses as status
from support.payload import alerts, apply_actions, cell_writes, office_js_payload, remote_book
from xlkit import formats, inquiry_tasks, macros, schema, tasks
from xlkit.workbook import design, reader

TAX, FAMILY, GENERAL = "税務課", "戸籍住民課", "総務課"
ENDED = "H29-001"  # a 税務課 linkage every 令和3年度 form of 税務課 lists as continuing
FIXTURES = REPO / "tests" / "fixtures"
HISTORY, STATUS = schema.history(), schema.status()
_ENGLISH = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b")


# --------------------------------------------------------------------------- helpers


def japanese(text: str) -> str:
    """A message staff read: Japanese, without a traceback or an English exception name."""
    assert JAPANESE.search(text) and not _ENGLISH.search(text), text
    return text


def sheet_index(name: str) -> int:
    return list(design.sheet_order()).index(name)


def replay(path: Path, actions, out: Path) -> Path:
    left = apply_actions(path, actions, out)
    assert [a["func"] for a in left] == ["alert"] * len(left)
    return out


def both(register: Path, files, tmp: Path):
    """The button on one copy (its actions replayed), `xlkit collect` on another, same answers."""
    (tmp / "button").mkdir(parents=True)
    (tmp / "command").mkdir()
    button = Path(shutil.copy2(register, tmp / "button" / register.name))
    command = Path(shutil.copy2(register, tmp / "command" / register.name))
    actions, _, asked = press(button, files)
    after = replay(button, actions, tmp / "button" / "after.xlsx")
    done = inquiry_tasks.collect(command, list(files))
    return after, command, actions, done


def same_result(mine: Path, theirs: Path) -> None:
    a, b = reader.load(mine), reader.load(theirs)
    assert [(r.row, r.values) for r in a.linkages] == [(r.row, r.values) for r in b.linkages]
    assert history(mine) == history(theirs)
    assert status(mine) == status(theirs)


def grid(path: Path, sheet: str) -> list[list]:
    import python_calamine

    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, Path]:
    """A 令和3年度 register (the sample, 報告年度 2021, 前年度公表値 blank) and its forms."""
    base = tmp_path_factory.mktemp("world")
    path = cite_a_case(sample_of_year(base / "登録簿.xlsx", YEAR))
    forms = base / "照会票"
    inquiry_tasks.survey(reader.load(path), forms)
    return path, forms


@pytest.fixture
def reg(world, tmp_path) -> Path:
    (tmp_path / "reg").mkdir()
    return Path(shutil.copy2(world[0], tmp_path / "reg" / "登録簿.xlsx"))


@pytest.fixture
def forms(world) -> Path:
    return world[1]


@pytest.fixture
def answered(forms, tmp_path) -> list[Path]:
    """税務課 ends H29-001 on R3.9.30; 戸籍住民課 reports a new linkage (with ○ and a note)."""
    tax = fill(form_of(forms, TAX), tmp_path / "回答" / "税務課.xlsx", ends={ENDED: "R3.9.30"})
    family = fill(form_of(forms, FAMILY), tmp_path / "回答" / "戸籍住民課.xlsx",
                  new=[linkage(FAMILY, "住民票の写しの広域交付", dt.datetime(2021, 7, 1), my_number="○",
                               note="001")])
    return [tax, family]


# =========================================================================== (a) the open workbook


def test_rows_below_a_blank_gap_and_hidden_rows_the_new_row_goes_below_all_of_them_as_the_command(
        reg, answered, tmp_path):
    def gap(wb):
        ws = wb[LINK.sheet]
        last = ws.max_row
        for c in range(1, ws.max_column + 1):
            ws.cell(last + 4, c).value = ws.cell(last, c).value
        ws.cell(last + 4, headers(ws)[LINK.header("id")]).value = "R2-999"
        ws.cell(last + 4, headers(ws)[LINK.header("business")]).value = "空行の下に書いた業務"
        ws.row_dimensions[5].hidden = True
        ws.row_dimensions[last].hidden = True

    edit(reg, gap)
    last = reader.load(reg).linkages[-1].row
    after, command, actions, done = both(reg, answered, tmp_path / "out")
    same_result(after, command)
    [new] = [r for r in reader.load(after).linkages if r.get("fiscal_year") == YEAR]
    assert new.row == last + 1 and done.plan.after + 1 == last + 1
    assert next(r for r in reader.load(after).linkages if r.get("id") == "R2-999").get("business") == "空行の下に書いた業務"


def _table_entry(ref: str) -> dict:
    """A table of the payload, as the Office.js client sends it (xlwings' remote engine)."""
    return {"name": "表_外部結合", "range_address": ref, "row_count": 0, "column_count": 16,
            "header_row_range_address": None, "data_body_range_address": None, "total_row_range_address": None,
            "show_headers": True, "show_totals": False, "table_style": "", "show_autofilter": True}


def _table_ref(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.startswith("xl/tables/")]
        refs = {re.search(rb'<table\b[^>]*\bname="([^"]*)"', z.read(n))[1].decode():
                re.search(rb'<table\b[^>]*\bref="([^"]*)"', z.read(n))[1].decode() for n in names}
    return refs["表_外部結合"]


@pytest.mark.parametrize("ends_at", [
    "last-row",
    "above-last-row",
])
def test_the_table_takes_in_the_new_row_as_the_command_grows_it(reg, answered, tmp_path, ends_at):
    last = reader.load(reg).linkages[-1].row
    start = _table_ref(reg)
    assert start == f"A1:P{last}"
    if ends_at == "above-last-row":
        rewrite_member(reg, "xl/tables/table1.xml", lambda d: d.replace(f'ref="{start}"'.encode(), b'ref="A1:P50"'))
    table_ref = _table_ref(reg)
    payload = office_js_payload(reg)
    payload["sheets"][sheet_index(LINK.sheet)]["tables"] = [_table_entry(table_ref)]
    actions, _, _ = press(reg, answered, payload=payload)
    resized = [a["args"][1].replace("$", "") for a in actions if a["func"] == "resizeTable"]

    command = Path(shutil.copy2(reg, tmp_path / "command.xlsx"))
    assert inquiry_tasks.collect(command, answered).written
    assert _table_ref(command) == f"A1:P{last + 1}"
    assert resized == [_table_ref(command)]


def _sort_history_with_gaps(wb):
    ws = wb[HISTORY.sheet]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    for r in range(2, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            ws.cell(r, c).value = None
    rows.reverse()  # newest first, as staff sort by 日時
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            ws.cell(2 + i + (i // 40) * 2, j + 1).value = v  # two blank lines every 40 rows


def test_a_history_staff_sorted_newest_first_with_blank_lines_gets_the_same_rows_from_both_doors(
        reg, answered, tmp_path):
    edit(reg, _sort_history_with_gaps)
    earlier = history(reg)
    after, command, actions, _ = both(reg, answered, tmp_path / "out")
    same_result(after, command)
    assert history(after)[:len(earlier)] == earlier  # nothing staff sorted is moved or lost
    assert len(history(after)) > len(earlier)


def test_a_history_whose_header_row_was_moved_is_refused_by_both_doors_before_anything(reg, answered, capsys):
    def title_above(wb):
        ws = wb[HISTORY.sheet]
        ws.insert_rows(1)
        ws.cell(1, 1).value = "変更履歴（令和3年度分）"

    edit(reg, title_above)
    before = reg.read_bytes()
    actions, chosen, asked = press(reg, answered)
    [alert] = alerts(actions)
    assert "変更履歴" in japanese(alert[0]) and alert[3] == "critical"
    assert cell_writes(actions) == [] and chosen == [] and asked == []  # said before staff pick files
    code, out, err = run_cli(capsys, "collect", reg, *answered)
    assert code == 2 and "変更履歴" in japanese(err)
    assert reg.read_bytes() == before and sorted(p.name for p in reg.parent.iterdir()) == [reg.name]


def test_a_status_with_rows_of_other_years_and_blank_lines_keeps_them_in_both_doors(reg, answered, tmp_path):
    def others(wb):
        ws = wb[STATUS.sheet]
        ws.cell(2, 1).value, ws.cell(2, 2).value, ws.cell(2, 3).value, ws.cell(2, 8).value = 2020, TAX, "取込済み", 1
        ws.cell(5, 1).value, ws.cell(5, 2).value, ws.cell(5, 3).value = 2019, GENERAL, "未回答"
        ws.cell(7, 1).value, ws.cell(7, 2).value, ws.cell(7, 3).value, ws.cell(7, 8).value = YEAR, "住宅課", "取込済み", 3

    edit(reg, others)
    after, command, actions, _ = both(reg, answered, tmp_path / "out")
    same_result(after, command)
    lines = status(after)
    assert lines[:2] == [
        {"fiscal_year": 2020, "division": TAX, "state": "取込済み", "new": 1},
        {"fiscal_year": 2019, "division": GENERAL, "state": "未回答"},
    ]
    housing = [s for s in lines if s["division"] == "住宅課" and s["fiscal_year"] == YEAR]
    assert housing == [{"fiscal_year": YEAR, "division": "住宅課", "state": "取込済み", "new": 3}]  # answered before


def test_a_divisions_line_from_an_earlier_collect_is_kept_after_the_division_is_renamed(reg, forms, tmp_path):
    tax = fill(form_of(forms, TAX), tmp_path / "a" / "税務課.xlsx", ends={ENDED: "R3.9.30"})
    assert inquiry_tasks.collect(reg, [tax]).written

    def rename(wb):
        ws = wb["課"]
        ws.cell(next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == TAX), 1).value = "課税課"

    edit(reg, rename)
    general = fill(form_of(forms, GENERAL), tmp_path / "b" / "総務課.xlsx",
                   new=[linkage(GENERAL, "電子申請", dt.datetime(2021, 8, 1))])
    assert inquiry_tasks.collect(reg, [general]).written
    lines = {s["division"]: s for s in status(reg) if s["fiscal_year"] == YEAR}
    assert lines[GENERAL]["state"] == "取込済み"
    assert lines.get(TAX, {}).get("state") == "取込済み"



def _history_column_first(wb):
    ws = wb[HISTORY.sheet]
    ws.insert_cols(1)
    ws.cell(1, 1).value = "確認"
    for r in range(2, 30):
        ws.cell(r, 1).value = "済"


def _status_column_inside(wb):
    ws = wb[STATUS.sheet]
    ws.insert_cols(3)
    ws.cell(1, 3).value = "メモ"
    ws.cell(2, 1).value, ws.cell(2, 2).value, ws.cell(2, 3).value, ws.cell(2, 4).value = 2020, TAX, "電話で確認", "取込済み"


def _linkage_column_first(wb):
    ws = wb[LINK.sheet]
    ws.insert_cols(1)
    ws.cell(1, 1).value = "通し番号"
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 1).value = r - 1


def _history_old_new_swapped(wb):
    ws = wb[HISTORY.sheet]
    for r in range(1, ws.max_row + 1):
        ws.cell(r, 8).value, ws.cell(r, 9).value = ws.cell(r, 9).value, ws.cell(r, 8).value


@pytest.mark.parametrize("change", [_history_column_first, _status_column_inside, _linkage_column_first,
                                    _history_old_new_swapped],
                         ids=["history-column-added-first", "status-column-inside", "linkage-column-added-first",
                              "history-columns-swapped"])
def test_columns_staff_added_or_moved_give_the_same_result_through_both_doors(reg, answered, tmp_path, change):
    edit(reg, change)
    after, command, actions, _ = both(reg, answered, tmp_path / "out")
    same_result(after, command)
    if change is _history_column_first:  # staff's column: no new row fills it, the old rows keep theirs
        column = [row[0] for row in grid(after, HISTORY.sheet)]
        assert column[:29] == ["確認", *["済"] * 28] and set(column[29:]) <= {""}


def test_a_write_failing_midway_leaves_no_linkage_cell_without_its_history_and_says_close_unsaved(
        reg, answered, monkeypatch):
    from xlkit import macros_survey

    def broken(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(macros_survey, "_grow_tables", broken)  # after the new rows' block was sent
    actions, _, _ = press(reg, answered)
    sheets = [a["sheet_position"] for a in cell_writes(actions)]
    assert sheets and sheets[0] == sheet_index(HISTORY.sheet)  # 変更履歴 first
    assert sheet_index(LINK.sheet) in sheets and sheet_index(STATUS.sheet) not in sheets
    [alert] = alerts(actions)
    assert "保存せずに閉じて" in alert[0] and "回答取込" in alert[0] and alert[3] == "critical"

# --------------------------------------------------------------------------- 設定's 報告年度 when pressing


def _payload_with_report_year(path: Path, value) -> dict:
    payload = office_js_payload(path)
    values = payload["sheets"][sheet_index(design.settings_sheet())]["values"]
    row = next(r for r in values if r and r[0] == schema.settings().header("report_year"))
    row[1] = value
    return payload


@pytest.mark.parametrize("value", ["", "令和三年度", "2021-04-01T00:00:00.000Z", "#N/A", 2021.5, True],
                         ids=["blank", "kanji", "iso-date", "error-value", "fraction", "boolean"])
def test_a_blank_or_unreadable_report_year_is_said_before_the_chooser_opens(reg, answered, value):
    actions, chosen, asked = press(reg, answered, payload=_payload_with_report_year(reg, value))
    [alert] = alerts(actions)
    assert "報告年度" in japanese(alert[0]) and alert[3] == "critical"
    assert chosen == [] and asked == [] and cell_writes(actions) == []


def test_the_report_year_error_value_message_is_well_formed(reg, answered):
    actions, _, _ = press(reg, answered, payload=_payload_with_report_year(reg, "#N/A"))
    [alert] = alerts(actions)
    assert "#N/A" in alert[0] and "。。" not in alert[0]


# --------------------------------------------------------------------------- the chooser


def test_a_chosen_file_that_does_not_exist_is_refused_by_name_and_nothing_is_written(reg, answered, tmp_path):
    ghost = tmp_path / "回答" / "照会票_令和3年度_総務課.xlsx"
    actions, _, asked = press(reg, [*answered, ghost])
    assert cell_writes(actions) == [] and asked == []
    [alert] = alerts(actions)
    assert f"{ghost.name}: " in japanese(alert[0]) and "見つかりません" in alert[0] and alert[3] == "critical"


def test_the_same_form_chosen_several_ways_counts_once(reg, answered, tmp_path):
    tax = answered[0]
    again = [tax, Path(str(tax)), tax.parent / "." / tax.name, tax.parent.parent / "回答" / tax.name]
    actions, _, asked = press(reg, again)
    [(plan, _)] = asked
    assert len(plan.ends) == 1 and not plan.held
    after = replay(reg, actions, tmp_path / "after.xlsx")
    assert [h["id"] for h in history(after)[len(history(reg)):]] == [ENDED]


def test_the_workbook_itself_chosen_among_the_forms_holds_everything_as_the_command_does(reg, answered, tmp_path):
    actions, _, asked = press(reg, [*answered, reg])
    assert cell_writes(actions) == [] and asked == []
    [alert] = alerts(actions)
    assert f"{reg.name}: " in japanese(alert[0]) and "照会票ではありません" in alert[0]
    command = Path(shutil.copy2(reg, tmp_path / "登録簿.xlsx"))
    before = command.read_bytes()
    done = inquiry_tasks.collect(command, [*answered, command])
    assert done.plan.held and not done.written and command.read_bytes() == before


def test_a_chosen_folder_holding_the_workbook_takes_the_answers_as_the_command_does(reg, answered, monkeypatch):
    shutil.copy2(answered[0], reg.parent / answered[0].name)
    monkeypatch.chdir(reg.parent)  # the remote engine's workbook lives in the current folder
    dry = inquiry_tasks.collect(reg, [reg.parent], dry_run=True)
    assert not dry.plan.held and len(dry.plan.ends) == 1
    actions, _, asked = press(reg, [reg.parent])
    assert asked and not asked[0][0].held


def test_forms_of_another_year_through_the_button_are_refused_and_nothing_is_written(reg, tmp_path):
    folder = tmp_path / "令和2年度"
    inquiry_tasks.survey(reader.load(reg), folder, year=2020, divisions=[TAX])
    old = fill(folder / next(p.name for p in folder.iterdir() if p.name.startswith("照会票_")),
               tmp_path / "回答" / "old.xlsx", ends={ENDED: "R3.9.30"})
    actions, _, asked = press(reg, [old])
    assert cell_writes(actions) == [] and asked == []
    [alert] = alerts(actions)
    assert "old.xlsx: " in japanese(alert[0]) and "令和2年度" in alert[0] and alert[3] == "critical"


def test_a_confirmation_that_fails_writes_nothing_and_alerts(reg, answered):
    def broken(plan, lines):
        raise RuntimeError("the dialog broke")

    actions, _, asked = press(reg, answered, confirm=broken)
    assert len(asked) == 1 and cell_writes(actions) == []
    [alert] = alerts(actions)
    assert JAPANESE.search(alert[0]) and "Traceback" not in alert[0] and alert[3] == "critical"


def test_declining_with_nothing_but_status_to_write_writes_nothing(reg, forms, tmp_path):
    untouched = fill(form_of(forms, GENERAL), tmp_path / "回答" / "総務課.xlsx")  # answered: nothing to add
    actions, _, asked = press(reg, [untouched], confirm=False)
    assert len(asked) == 1 and actions == []


# --------------------------------------------------------------------------- values both doors read alike


ODD = {  # a continuing 税務課 row -> what staff typed into it before the forms went out
    "H19-001": {"note": 12},
    "H21-002": {"note": 1.5},
    "H21-003": {"partner": "国 "},
    "H22-003": {"start": dt.datetime(2010, 4, 1, 9, 30)},
    "H29-001": {"consent": False},
    "R1-001": {"fiscal_year": 2019.0},
    "R1-004": {"items": "氏名\n住所"},
    "R2-004": {"note": dt.datetime(2020, 1, 1)},
}


def test_odd_typed_values_read_alike_by_the_button_and_the_command(reg, tmp_path):
    def odd(wb):
        ws = wb[LINK.sheet]
        col = headers(ws)
        for id_, changes in ODD.items():
            for key, value in changes.items():
                ws.cell(row_of(ws, id_), col[LINK.header(key)]).value = value

    edit(reg, odd)
    folder = tmp_path / "照会票"
    inquiry_tasks.survey(reader.load(reg), folder, divisions=[TAX])
    answer = fill(form_of(folder, TAX), tmp_path / "回答" / "税務課.xlsx", ends={i: "R3.9.30" for i in ODD})
    after, command, actions, done = both(reg, [answer], tmp_path / "out")
    assert sorted(e.record.get("id") for e in done.plan.ends) == sorted(ODD) and not done.plan.conflicts
    same_result(after, command)


def test_an_end_cell_showing_an_error_value_is_not_overwritten_by_the_button(reg, answered):
    payload = office_js_payload(reg)
    values = payload["sheets"][sheet_index(LINK.sheet)]["values"]
    end = values[0].index(LINK.header("end"))
    row = next(i for i, r in enumerate(values) if r[0] == ENDED)
    values[row][end] = "#N/A"
    actions, _, _ = press(reg, answered[:1], payload=payload)
    touched = [a for a in cell_writes(actions) if a["sheet_position"] == sheet_index(LINK.sheet)
               and a["start_row"] <= row < a["start_row"] + a.get("row_count", len(a.get("values", [[]])))
               and a["start_column"] <= end < a["start_column"] + max(len(v) for v in a.get("values", [[None]]))]
    assert [(a["start_row"], a["start_column"], a["values"]) for a in touched] == []


# --------------------------------------------------------------------------- every written cell has its 変更履歴


def _cells(path: Path) -> dict[tuple[str, str], object]:
    """(管理番号, header) -> value of every filled cell of 外部結合, as calamine reads the file."""
    rows = grid(path, LINK.sheet)
    head = rows[0]
    id_col = head.index(LINK.header("id"))
    return {(str(r[id_col]), h): v for r in rows[1:] if r and r[id_col] not in ("", None)
            for h, v in zip(head, r) if h and v not in ("", None)}


def _changed(before: Path, after: Path) -> Counter:
    old, new = _cells(before), _cells(after)
    return Counter(key for key in set(old) | set(new) if old.get(key) != new.get(key))


@pytest.mark.parametrize("door", ["button", "collect", "import"])
def test_every_cell_xlkit_changes_in_the_linkages_has_exactly_one_history_row(reg, answered, tmp_path, door, capsys):
    original = Path(shutil.copy2(reg, tmp_path / "original.xlsx"))
    if door == "button":
        actions, _, _ = press(reg, answered)
        linkage_rows = {a["start_row"] + i for a in cell_writes(actions) if a["sheet_position"] == sheet_index(LINK.sheet)
                        for i in range(len(a.get("values", [])))}
        last = reader.load(reg).linkages[-1].row
        ended = row_of(openpyxl.load_workbook(reg)[LINK.sheet], ENDED)
        assert linkage_rows <= {last, ended - 1}  # 0-based: the new row below the last, the ended row
        after = replay(reg, actions, tmp_path / "after.xlsx")
    elif door == "collect":
        assert inquiry_tasks.collect(reg, answered).written
        after = reg
    else:
        table = tmp_path / "表2.tsv"
        keys = ("division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start")
        table.write_text("No.\t" + "\t".join(LINK.header(k) for k in keys) + "\n"
                         "1\t総務課\t取り込む業務\t理由\t対象者\t項目\t○\t令和3年度第1回審議会承認\t相手方\tR3.6.1\n",
                         encoding="utf-8")
        code, out, err = run_cli(capsys, "import", reg, table, "--year", YEAR)
        assert code == 0, err
        after = reg
    logged = Counter((h["id"], h["column"]) for h in history(after)[len(history(original)):])
    assert logged == _changed(original, after)
    assert logged  # something was written


# =========================================================================== limits: a history "too big"


def _far_value(sheet: str):
    def far(wb):
        wb[sheet]["Z5000"] = "x"
    return far


def test_the_button_holds_a_far_stray_value_in_its_sheets_to_the_cell_limit(reg, answered, monkeypatch):
    edit(reg, _far_value(HISTORY.sheet))
    monkeypatch.setenv("XLKIT_LIMITS", "sheet_cells=100000")
    actions, chosen, _ = press(reg, answered)
    [alert] = alerts(actions)
    assert "「変更履歴」" in japanese(alert[0]) and "広すぎます" in alert[0]
    assert cell_writes(actions) == [] and chosen == []


@pytest.mark.parametrize("sheet, command", [(HISTORY.sheet, "import"), (HISTORY.sheet, "collect"),
                                            (STATUS.sheet, "collect")])
def test_the_command_holds_a_far_stray_value_in_its_sheets_to_the_cell_limit(reg, answered, monkeypatch, capsys,
                                                                               tmp_path, sheet, command):
    edit(reg, _far_value(sheet))
    monkeypatch.setenv("XLKIT_LIMITS", "sheet_cells=100000")
    before = reg.read_bytes()
    if command == "import":
        table = write_table2(tmp_path / "表2.tsv", "総務課", "取り込む業務", "R3.6.1")
        code, out, err = run_cli(capsys, "import", reg, table, "--year", YEAR)
    else:
        code, out, err = run_cli(capsys, "collect", reg, *answered)
    assert code == 2 and f"「{sheet}」" in japanese(err) and "広すぎます" in err
    assert reg.read_bytes() == before


@pytest.mark.parametrize("command", ["import", "collect", "upgrade"])
def test_a_history_part_over_the_part_limit_is_refused_unchanged(reg, answered, monkeypatch, capsys, tmp_path,
                                                                  command):
    def long_history(wb):
        ws = wb[HISTORY.sheet]
        for i in range(1500):
            ws.append(["2021/01/01 00:00:00", "取り込み", "職員", "表.txt", "", f"X-{i}", "業務名", "", f"値{i}"])

    edit(reg, long_history)
    with zipfile.ZipFile(reg) as z:
        sizes = sorted(((i.file_size, i.filename) for i in z.infolist()), reverse=True)
    part = next(name for _, name in sizes)
    assert sizes[0][0] > sizes[1][0] * 2
    monkeypatch.setenv("XLKIT_LIMITS", f"part_bytes={sizes[1][0] + 1000}")
    state = folder_state(reg.parent)
    table = tmp_path / "表2.tsv"
    table.write_text("No.\t" + LINK.header("division") + "\n1\t総務課\n", encoding="utf-8")
    args = {"import": ["import", reg, table, "--year", YEAR], "collect": ["collect", reg, *answered],
            "upgrade": ["upgrade", reg]}[command]
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and part in japanese(err)
    assert folder_state(reg.parent) == state


# =========================================================================== (b) xlkit upgrade


def _fixture(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"登録簿{suffix}"
    shutil.copyfile(FIXTURES / f"format1_sample{suffix}", path)
    return path


def _values(path: Path):
    book = reader.load(path)
    return ([(r.row, r.values, r.raw) for r in book.linkages], [(r.row, r.values, r.raw) for r in book.cases],
            book.settings, book.divisions, book.bodies, book.categories, book.results, book.marked)


def _full(*_a, **_k):
    raise OSError(28, "No space left on device")


def _boom(*_a, **_k):
    raise RuntimeError("boom")


_STEPS = [("xlkit.workbook.format3", "_add_log_sheet"), ("xlkit.workbook.format3", "add_settings_row"),
          ("xlkit.workbook.format4", "add_division_columns"),
          ("xlkit.workbook.howto_rows", "update_howto_buttons"), ("xlkit.tasks", "log_changes"),
          ("xlkit.tasks", "_verify_upgrade"), ("xlkit.workbook.migrate", "rebuild_buttons"),
          ("xlkit.workbook.vba", "install_module")]


@pytest.mark.parametrize("where", [f"{m}.{f}" for m, f in _STEPS])
@pytest.mark.parametrize("failure", [_full, _boom], ids=["disk-full", "unexpected"])
def test_an_upgrade_failing_midway_leaves_the_register_byte_identical(tmp_path, capsys, monkeypatch, where,
                                                                       failure):
    import importlib

    module, name = where.rsplit(".", 1)
    path = _fixture(tmp_path, ".xlsm")
    state = folder_state(tmp_path)
    monkeypatch.setattr(importlib.import_module(module), name, failure)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code in (2, 3) and JAPANESE.search(err) and "Traceback" not in err
    if failure is _full:
        japanese(err)
    assert folder_state(tmp_path) == state  # the register as it was; no lock, no temporary copy
    assert reader.load(path).format == 1


def test_upgrading_twice_adds_each_thing_once_and_both_runs_are_in_the_history(tmp_path):
    path = _fixture(tmp_path, ".xlsm")
    before = _values(FIXTURES / "format1_sample.xlsm")
    first, second = tasks.upgrade(path), tasks.upgrade(path)
    assert first.written and second.written and second.steps == []
    workbook = openpyxl.load_workbook(path, keep_vba=True)
    assert workbook.sheetnames.count(HISTORY.sheet) == workbook.sheetnames.count(STATUS.sheet) == 1
    # the last two visible to staff (an .xlsm ends with the very hidden ボタンの文言 since format 6)
    assert [s for s in workbook.sheetnames if s != design.MACRO_TEXTS][-2:] == [STATUS.sheet, HISTORY.sheet]
    due = schema.settings().header("survey_due")
    assert [r[0].value for r in workbook[design.settings_sheet()].iter_rows()].count(due) == 1
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/workbook.xml").count(b'name="xlkit_register_id"') == 1
    assert _values(path) == before
    log = history(path)
    steps = formats.CURRENT - 1  # one row per step, then the buttons and the VBA
    assert [h["action"] for h in log] == ["形式の更新"] * (steps + 3)
    assert [h.get("old") for h in log[:steps]] == [f"形式 {n}" for n in range(1, formats.CURRENT)]
    assert [h["column"] for h in log[steps:]] == ["使い方のボタン", "マクロ（VBA）", "マクロ（VBA）"]


def test_a_staff_note_under_the_buttons_in_a_row_as_tall_as_theirs_is_not_taken_for_a_button(tmp_path):
    path = _fixture(tmp_path, ".xlsm")
    note = "職員のメモ：照会は毎年4月に行う"
    with zipfile.ZipFile(path) as z:
        howto = z.read("xl/worksheets/sheet1.xml")
    assert b'<row r="8" ht="39.75" customHeight="1">' in howto and b'<row r="9"' not in howto
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b'<row r="11">', (
        '<row r="9" ht="39.75" customHeight="1"><c r="C9" s="2" t="inlineStr"><is><t>'
        f'{note}</t></is></c></row><row r="11">').encode(), 1))
    assert tasks.upgrade(path).written
    texts = [row[2] if len(row) > 2 else None
             for row in ([c.value for c in r] for r in openpyxl.load_workbook(path)[design.HOWTO].iter_rows())]
    assert texts.count(note) == 1
    for button in design.BUTTONS:
        assert texts.count(button.help) == 1, button.caption


def test_a_hidden_hand_made_sheet_of_that_name_is_refused_untouched(tmp_path, capsys):
    path = _fixture(tmp_path, ".xlsx")

    def hidden(wb):
        ws = wb.create_sheet(HISTORY.sheet)
        ws["A1"] = "職員の記録"
        ws.sheet_state = "hidden"

    edit(path, hidden)
    state = folder_state(tmp_path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2 and f"「{HISTORY.sheet}」" in japanese(err) and "名前を変えて" in err
    assert folder_state(tmp_path) == state


def test_a_due_row_staff_typed_with_a_full_width_space_is_not_added_again(tmp_path):
    path = _fixture(tmp_path, ".xlsx")
    due = schema.settings().header("survey_due")
    spaced = due[:2] + "\u3000" + due[2:]

    def typed(wb):
        ws = wb[design.settings_sheet()]
        ws.cell(ws.max_row + 3, 1).value = spaced  # below a blank gap
        ws.cell(ws.max_row, 2).value = dt.datetime(2022, 5, 13)

    edit(path, typed)
    assert tasks.upgrade(path).written
    titles = [row[0] for row in grid(path, design.settings_sheet())]
    assert titles.count(spaced) == 1 and due not in titles
    assert reader.load(path).settings.get("survey_due") == dt.date(2022, 5, 13)


def test_an_upgrade_of_an_xlsm_whose_history_lost_a_column_is_refused_untouched(tmp_path, capsys):
    path = _fixture(tmp_path, ".xlsm")
    assert tasks.upgrade(path).written

    def lose(wb):
        wb[HISTORY.sheet].delete_cols(6)  # 管理番号

    edit(path, lose)
    state = folder_state(tmp_path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 2 and "管理番号" in japanese(err) and "変更履歴" in err
    assert folder_state(tmp_path) == state


# =========================================================================== (c) 変更履歴 whole or nothing


@pytest.mark.parametrize("command", ["import", "collect"])
def test_a_write_into_a_register_whose_history_lost_a_column_is_refused_untouched(reg, answered, tmp_path, capsys,
                                                                                   command):
    def lose(wb):
        wb[HISTORY.sheet].delete_cols(8)  # 変更前

    edit(reg, lose)
    state = folder_state(reg.parent)
    if command == "import":
        table = write_table2(tmp_path / "表2.tsv", "総務課", "取り込む業務", "R3.6.1")
        code, out, err = run_cli(capsys, "import", reg, table, "--year", YEAR)
    else:
        code, out, err = run_cli(capsys, "collect", reg, *answered)
    assert code == 2 and "変更前" in japanese(err)
    assert folder_state(reg.parent) == state
    actions, chosen, _ = press(reg, answered)
    assert cell_writes(actions) == [] and chosen == [] and "変更前" in japanese(alerts(actions)[0][0])


# =========================================================================== 照会票作成


def _survey(path: Path, payload: dict | None = None) -> list[dict]:
    book = remote_book(payload or office_js_payload(path))
    macros.survey(book)
    return book.json()["actions"]


def test_the_survey_button_with_a_file_where_the_forms_folder_goes_says_so_and_writes_nothing(reg, monkeypatch):
    monkeypatch.chdir(reg.parent)
    (reg.parent / "exports").mkdir()
    (reg.parent / "exports" / "照会票").write_text("職員のメモ", encoding="utf-8")
    state = folder_state(reg.parent / "exports")
    [alert] = alerts(_survey(reg))
    assert "照会票" in japanese(alert[0]) and alert[3] == "critical"
    assert folder_state(reg.parent / "exports") == state


def test_the_survey_button_with_one_form_there_already_writes_no_other_form(reg, monkeypatch):
    monkeypatch.chdir(reg.parent)
    folder = reg.parent / "exports" / "照会票"
    folder.mkdir(parents=True)
    (folder / "照会票_令和3年度_会計室.xlsx").write_bytes(b"sent last week")
    [alert] = alerts(_survey(reg))
    assert "照会票_令和3年度_会計室.xlsx" in japanese(alert[0]) and "上書きしません" in alert[0]
    assert [p.name for p in folder.iterdir()] == ["照会票_令和3年度_会計室.xlsx"]
    assert (folder / "照会票_令和3年度_会計室.xlsx").read_bytes() == b"sent last week"


@pytest.mark.parametrize("value", ["", "令和三年度"], ids=["blank", "unreadable"])
def test_the_survey_button_without_a_report_year_makes_no_folder(reg, monkeypatch, value):
    monkeypatch.chdir(reg.parent)
    [alert] = alerts(_survey(reg, _payload_with_report_year(reg, value)))
    assert "報告年度" in japanese(alert[0])
    assert not (reg.parent / "exports").exists()


def test_the_survey_button_on_a_workbook_opened_from_the_cloud_says_so_in_japanese(reg, monkeypatch):
    monkeypatch.chdir(reg.parent)
    payload = office_js_payload(reg)
    payload["book"]["name"] = "https://example.sharepoint.com/sites/kusei/登録簿.xlsx"
    [alert] = alerts(_survey(reg, payload))
    assert "OneDrive" in japanese(alert[0])
    assert not (reg.parent / "exports").exists()
