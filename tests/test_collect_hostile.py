"""Hostile tests of `xlkit survey` / `xlkit collect`: forms edited where they must not be, odd
values, broken and hostile files, a register that moves or is busy, and the survey's own edges.

Each test states the promise it checks (README 「年度の流れ」「入力の安全」): bad input gets a
Japanese message naming file / sheet / cell and a non-zero exit, never a traceback or an English
exception name; the register is byte-identical after a held or failed run; no row is lost or
duplicated; a form of another register or 年度, or with its locked parts edited, is refused;
conflicts are listed and neither side applied; a 課 that never answers is not an error.

Tests marked xfail(strict=True) document a real defect: the reason says what is wrong, and the
engineer fixing it removes the mark.

Filling a form is tests/support/forms.py's, as in tests/test_collect.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlkit import cli, formats, inquiry, inquiry_tasks, lock, schema
from xlkit.files import leftovers
from xlkit.workbook import migrate, writer
from xlkit.workbook.package import Package
from support import REPO, SAMPLE, run_cli
from support.forms import (LINK, YEAR, book, by_id, cite_a_case, edit_register, fill, form_of, headers,
                           history_rows, linkage, status_lines)
from support.forms import row_of as register_row

TAX, GENERAL = "税務課", "総務課"

# --------------------------------------------------------------------------- helpers


_ENGLISH = re.compile(r"\b[A-Z]\w*(Error|Exception|Warning)\b|Traceback|予期しない問題")


def clean(text: str) -> str:
    """What staff read: no traceback, no English exception name, no 'unexpected problem'."""
    assert not _ENGLISH.search(text), text
    return text


def new_rows(path: Path) -> list:
    return [r for r in book(path).linkages if r.get("fiscal_year") == YEAR]


def identity_set(label: str, value):
    def edit(wb):
        for row in wb[inquiry.IDENTITY].iter_rows():
            if row[0].value == label:
                row[1].value = value
    return edit


def identity_drop(kind: str):
    def edit(wb):
        ws = wb[inquiry.IDENTITY]
        for r in range(ws.max_row, 0, -1):
            if ws.cell(r, 1).value == kind:
                ws.delete_rows(r)
    return edit


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> Path:
    """Every 課's form of 令和3年度, surveyed once from a copy of the sample (copies share its id)."""
    base = tmp_path_factory.mktemp("survey")
    register = cite_a_case(Path(shutil.copyfile(SAMPLE, base / "登録簿.xlsx")))
    folder = base / "照会票"
    assert cli.main(["survey", str(register), "--year", str(YEAR), "--out", str(folder)]) == 0
    return folder


@pytest.fixture
def register(tmp_path) -> Path:
    path = tmp_path / "reg" / "登録簿.xlsx"
    path.parent.mkdir()
    shutil.copyfile(SAMPLE, path)
    return cite_a_case(path)


@pytest.fixture
def answer(forms, tmp_path):
    """answer(name, division=税務課, **fill options) -> the filled copy in tmp_path/回答."""
    def make(name: str, division: str = TAX, **kw) -> Path:
        return fill(form_of(forms, division), tmp_path / "回答" / name, **kw)
    return make


def collect(capsys, register: Path, *files, year=YEAR, extra=()) -> tuple[int, str, str, bool]:
    """Run `xlkit collect`; also says whether the register's bytes are unchanged."""
    before = register.read_bytes()
    code, out, err = run_cli(capsys, "collect", register, *files, "--year", year, *extra)
    clean(out + err)
    return code, out, err, register.read_bytes() == before


def nothing_beside(register: Path) -> None:
    """No lock, temp copy or half-written file left next to the register."""
    assert sorted(p.name for p in register.parent.iterdir()) == [register.name]


# =========================================================================== the identity sheet


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_identity_sheet_deleted_or_renamed_is_refused(register, answer, capsys, how):
    def edit(wb):
        if how == "deleted":
            del wb[inquiry.IDENTITY]
        else:
            wb[inquiry.IDENTITY].title = "照会票情報（旧）"

    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=edit)
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert f"{path.name}: xlkit の照会票ではありません（シート「{inquiry.IDENTITY}」" in err
    nothing_beside(register)


def test_identity_version_typed_as_text_is_still_read(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_set("版", "1"))
    code, out, err, same = collect(capsys, register, path)
    assert code == 0 and not same, out + err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_identity_version_of_a_newer_xlkit_is_refused(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_set("版", 2))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "様式の版 2" in err and "xlkit を更新してください" in err


def test_identity_version_unreadable_is_not_called_a_newer_xlkit(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_set("版", "abc"))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    line = next(l for l in err.splitlines() if path.name in l)
    assert "新しい xlkit" not in line and "様式の版 、" not in line


def identity_row_number(value):
    """The 行 of the identity's first row of 継続中の外部結合 set to `value`."""
    def edit(wb):
        for row in wb[inquiry.IDENTITY].iter_rows():
            if row[0].value == inquiry.ROW_LINKAGE:
                row[2].value = value
                return
    return edit


@pytest.mark.parametrize("edit", [identity_set("版", "inf"), identity_set("版", "1e400"), identity_set("年度", "inf"),
                                  identity_set("年度", "1e400"), identity_row_number("1e400")],
                         ids=["version-inf", "version-1e400", "year-inf", "year-1e400", "row-1e400"])
def test_a_number_no_float_holds_in_the_identity_refuses_that_form_by_name_only(register, answer, capsys, edit):
    """「inf」 or 「1e400」 typed into the hidden sheet is no number of a form (Python's int() of
    such a float overflows): that form is refused by name, and the other files are read."""
    bad = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=edit)
    good = answer("b.xlsx", GENERAL, new=[linkage(GENERAL, "電子申請", "R3.9.1")])
    code, out, err, _ = collect(capsys, register, bad, good, extra=["--skip-bad"])
    assert code == 1, out + err  # not 3: nothing unexpected
    [said] = [line for line in (out + err).splitlines() if f"{bad.name}: " in line]
    assert "照会票" in said and "予期しない" not in said
    assert [r.get("business") for r in new_rows(register)] == ["電子申請"]
    assert by_id(register)["H19-001"].get("end") is None


def test_identity_year_unreadable_is_named_in_the_refusal(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_set("年度", "令和3年度"))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert f"{path.name}: の照会票です" not in err


@pytest.mark.parametrize("label,value,year", [("課", GENERAL, YEAR), ("年度", 2020, 2020)])
def test_identity_division_or_year_edited_is_refused(register, answer, capsys, label, value, year):
    end = "R3.9.30" if year == YEAR else "R2.9.30"
    path = answer("a.xlsx", ends={"H19-001": end}, edit=identity_set(label, value))
    code, out, err, same = collect(capsys, register, path, year=year)
    assert code == 1 and same, out + err


def test_identity_rows_of_the_continuing_sheet_removed_is_refused(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_drop(inquiry.ROW_LINKAGE))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert "照会票の変更できない部分が変更されています（シート「照会票情報」" in err  # the seal of the hidden sheet


def test_identity_header_rows_removed_is_refused(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_drop(inquiry.ROW_HEADERS))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "照会票の変更できない部分が変更されています（シート「照会票情報」" in err


def test_identity_case_rows_removed_writes_nothing(register, answer, capsys):
    # the pre-listed cases then read as half-typed new rows: refused, never appended
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_drop(inquiry.ROW_CASE))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same


def test_identity_register_id_edited_is_refused(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=identity_set("登録簿番号", "0" * 32))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "照会票の変更できない部分が変更されています（シート「照会票情報」" in err


# =========================================================================== the answer sheets


def _swap_headers(wb):
    ws = wb[inquiry.CONTINUING]
    a, b = ws.cell(1, 16).value, ws.cell(1, 17).value
    ws.cell(1, 16).value, ws.cell(1, 17).value = b, a


def _rename_header(wb):
    wb[inquiry.NEW].cell(1, 2).value = "業務の名前"


def _extra_column(wb):
    ws = wb[inquiry.CONTINUING]
    ws.cell(1, len(inquiry.continuing_headers()) + 1).value = "メモ"
    ws.cell(2, len(inquiry.continuing_headers()) + 1).value = "担当の覚え書き"


@pytest.mark.parametrize("edit,sheet", [(_swap_headers, inquiry.CONTINUING), (_rename_header, inquiry.NEW),
                                        (_extra_column, inquiry.CONTINUING)],
                         ids=["reordered", "renamed", "extra-column-after-変更内容"])
def test_headers_changed_are_refused_naming_the_sheet(register, answer, capsys, edit, sheet):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=edit)
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert f"（シート「{sheet}」1行目（見出し））" in err


def test_an_extra_sheet_is_harmless(register, answer, capsys):
    def extra(wb):
        wb.create_sheet("メモ")["A1"] = "課内の覚え書き"

    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=extra)
    code, out, err, same = collect(capsys, register, path)
    assert code == 0 and by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_a_row_inserted_in_the_middle_of_the_continuing_sheet_is_refused(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=lambda wb: wb[inquiry.CONTINUING].insert_rows(4))
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "照会票の変更できない部分が変更されています（シート「継続中の外部結合」" in err


def test_rows_sorted_in_the_continuing_sheet_are_refused(register, answer, capsys):
    def reverse(wb):
        ws = wb[inquiry.CONTINUING]
        last = max(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value)
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=last)][::-1]
        for i, row in enumerate(rows, start=2):
            for j, v in enumerate(row, start=1):
                ws.cell(i, j).value = v

    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=reverse)
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "照会票の変更できない部分が変更されています" in err


def _formula(wb):
    wb[inquiry.CONTINUING]["Q2"] = "=1+1"


def _error_value(wb):
    cell = wb[inquiry.NEW]["B10"]
    cell.value, cell.data_type = "#N/A", "e"


def _merged(wb):
    wb[inquiry.NEW].merge_cells("B10:C10")


@pytest.mark.parametrize("edit,where", [(_formula, "シート「継続中の外部結合」セル Q2: 数式"),
                                        (_error_value, "シート「新規の外部結合」セル B10: エラー値 #N/A"),
                                        (_merged, "シート「新規の外部結合」セル B10:C10: セルが結合")],
                         ids=["formula", "error-value", "merged"])
def test_formulas_error_values_and_merges_are_refused_naming_the_cell(register, answer, capsys, edit, where):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, edit=edit)
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and path.name in err and where in err


def test_text_that_looks_like_a_formula_is_written_as_text(register, answer, capsys):
    def as_text(wb):  # what Excel keeps for '=SUM(A1) typed with the apostrophe
        for ws in (wb[inquiry.NEW], wb[inquiry.HOWTO], wb[inquiry.CONTINUING]):
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")):
                        c.data_type = "s"

    path = answer("a.xlsx", new=[linkage(TAX, "=SUM(A1)", "R3.9.1", note="@cmd|' /C calc'!A0")],
                  changes={"H19-001": "=HYPERLINK(\"http://x\")"},
                  respondent=("=HYPERLINK(\"http://x\",\"y\")", "-1+1", "R4.5.10"), edit=as_text)
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0, out + err
    wb = openpyxl.load_workbook(register)
    formulas = [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    [row] = new_rows(register)
    assert row.get("business") == "=SUM(A1)"


# =========================================================================== dates


def test_an_end_date_as_an_excel_serial_number_is_a_date(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": 44469})  # 2021-09-30 in the 1900 system, no date format
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0 and by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_dates_with_a_time_are_days_and_a_second_collect_finds_them_present(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": dt.datetime(2021, 9, 30, 15, 30)},
                  new=[linkage(TAX, "時刻つき", dt.datetime(2021, 9, 1, 9, 0))])
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0, out + err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)
    [row] = new_rows(register)
    assert row.get("start") == dt.date(2021, 9, 1)
    code, out, err, same = collect(capsys, register, path)
    assert code == 0 and "登録済み（追加していません）（2 件）" in out and len(new_rows(register)) == 1


def test_a_form_saved_in_the_1904_date_system_keeps_its_dates(register, answer, capsys):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def mac(wb):
        wb.epoch = CALENDAR_MAC_1904

    path = answer("a.xlsx", ends={"H19-001": dt.date(2021, 9, 30)}, edit=mac)
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0, out + err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_an_end_date_typed_as_true_names_the_cell(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": True})
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and f"{path.name} / {inquiry.CONTINUING} / L2: 「TRUE」: 日付ではありません" in err


def test_an_unreadable_start_date_is_refused(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage(TAX, "存在しない日", "R3.13.1")])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "「R3.13.1」: 存在しない日付です" in err


def test_an_unreadable_start_date_is_not_also_called_blank(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage(TAX, "存在しない日", "R3.13.1")])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert "「結合の開始年月日」が空欄です" not in err


def test_end_before_start_and_start_outside_the_year_are_refused(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage(TAX, "逆順", "R3.9.1", end="R3.8.1"),
                                 linkage(TAX, "未来", "R5.9.1"),
                                 linkage(TAX, "過去", "H30.9.1")])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and not new_rows(register)
    assert "が開始年月日「R3.9.1」より前です" in err
    assert "開始年月日「R5.9.1」の年度（令和5年度＝2023）より前です" in err
    assert "開始年月日「H30.9.1」の年度（平成30年度）より後です" in err


def register_with_end(tmp_path: Path, capsys, end) -> Path:
    """A copy of the sample whose H19-001 has `end` in its end-date cell, and 税務課's form of it."""
    register = tmp_path / "reg" / "登録簿.xlsx"
    register.parent.mkdir()
    shutil.copyfile(SAMPLE, register)

    def typed(wb):
        ws = wb[LINK.sheet]
        ws.cell(register_row(ws, "H19-001"), headers(ws)[LINK.header("end")]).value = end

    edit_register(register, typed)
    assert run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f", "--division", TAX)[0] == 0
    return register


def test_an_end_date_replacing_an_earlier_one_is_listed_not_applied(tmp_path, capsys):
    register = register_with_end(tmp_path, capsys, dt.datetime(2021, 3, 31))
    path = fill(form_of(tmp_path / "f", TAX), tmp_path / "a.xlsx", ends={"H19-001": "R3.6.30"})
    code, out, err, _ = collect(capsys, register, path)
    # the end the register had moves the published figures: staff decide, collect does not
    assert code == 0, out + err
    assert "登録簿にある終了年月日（令和3年3月31日）が 令和3年6月30日 に変えられています" in out
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 3, 31)
    assert not [h for h in history_rows(register) if h.get("action") == "回答取込"]


def test_a_register_end_cell_holding_text_does_not_block_the_answer(tmp_path, capsys):
    register = register_with_end(tmp_path, capsys, "未定")
    path = fill(form_of(tmp_path / "f", TAX), tmp_path / "a.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err, _ = collect(capsys, register, path)
    assert "「未定」" not in err.split("■ 回答状況")[0], err
    assert code == 0 and by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)
    logged = [h for h in history_rows(register) if h.get("action") == "回答取込"]
    assert [(h["id"], h.get("old")) for h in logged] == [("H19-001", "未定")]


# =========================================================================== 課 names and rows


def test_division_with_full_and_half_width_spaces_is_the_division(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage("税務課　", "全角空白", "R3.9.1"), linkage(" 税務課", "半角空白", "R3.9.2")])
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0, out + err
    assert [(r.raw.get("division"), r.get("body")) for r in new_rows(register)] == [(TAX, "区長"), (TAX, "区長")]


def test_an_unknown_division_is_refused_naming_the_cell(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage("ｾﾞｲﾑ課", "半角カナ", "R3.9.1")])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert re.search(rf"{path.name} / {inquiry.NEW} / A\d+: 「ゼイム課」は「課」シートの一覧にありません", err)


def test_a_new_row_with_only_a_note_is_refused_never_appended(register, answer, capsys):
    path = answer("a.xlsx", new=[{LINK.header("note"): "メモだけ"}])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    assert f"{path.name} / {inquiry.NEW} / B7: 「業務名」が空欄です" in err


def test_a_new_row_already_in_the_register_is_present_not_added(register, answer, capsys):
    rec = next(r for r in book(register).linkages if r.get("division") == TAX)
    values = {LINK.header(k): v for k, v in rec.raw.items() if k not in inquiry.FILLED_BY_XLKIT}
    path = answer("a.xlsx", new=[values])
    count = len(book(register).linkages)
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0 and f"登録簿の{rec.row}行目に登録済みです" in out
    assert len(book(register).linkages) == count


def test_the_same_new_row_twice_in_one_form_is_refused_not_doubled(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage(TAX, "双子", "R3.9.1"), linkage(TAX, "双子", "R3.9.1", reason="別の理由")])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and not new_rows(register)
    assert f"{path.name} / {inquiry.NEW} / B7:" in err and f"{path.name} / {inquiry.NEW} / B8:" in err


def test_the_same_new_row_twice_names_the_forms_rows(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage(TAX, "双子", "R3.9.1"), linkage(TAX, "双子", "R3.9.1")])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same
    form_rows = openpyxl.load_workbook(path)[inquiry.NEW].max_row
    lines = [l for l in err.splitlines() if f"{path.name} / {inquiry.NEW}" in l]
    named = [int(n) for l in lines for n in re.findall(r"（(\d+)行目）", l)]
    assert named and all(n <= form_rows for n in named), lines


def test_one_new_linkage_in_two_forms_is_a_conflict_neither_added(register, answer, capsys):
    a = answer("a.xlsx", new=[linkage(TAX, "共同", "R3.9.1")])
    b = answer("b.xlsx", division=GENERAL, new=[linkage(TAX, "共同", "R3.9.1")])
    code, out, err, _ = collect(capsys, register, a, b)
    assert code == 1 and "競合（どちらも取り込んでいません）" in out and "a.xlsx" in out and "b.xlsx" in out
    assert not new_rows(register)


def test_a_corrected_resend_of_one_form_does_not_add_the_row_twice(register, answer, capsys):
    first = answer("第1版.xlsx", new=[linkage(TAX, "電子申講", "R3.9.1")])
    second = answer("第2版.xlsx", new=[linkage(TAX, "電子申請", "R3.9.1")])
    code, out, err, _ = collect(capsys, register, first, second)
    # which version is right only staff can say: neither is taken, both are shown
    assert code == 1 and not new_rows(register)
    assert "同じ照会票に違う回答が複数あります（第1版.xlsx、第2版.xlsx）" in out
    assert "電子申講" in out and "電子申請" in out


def test_a_division_that_never_answers_is_listed_not_an_error(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0 and "未回答（35 課）" in out
    states = {r["division"]: r["state"] for r in status_lines(register)}
    assert states[TAX] == "取込済み" and states[GENERAL] == "未回答" and len(states) == 36


# =========================================================================== sizes


def test_a_cell_beyond_the_limit_refuses_that_form_only(register, answer, capsys, monkeypatch):
    # the sample's longest cell is 194 characters: 1,000 lets the register be read
    monkeypatch.setenv("XLKIT_LIMITS", "cell_chars=1000")
    good = answer("good.xlsx", ends={"H19-001": "R3.9.30"})
    huge = answer("huge.xlsx", division=GENERAL, new=[linkage(GENERAL, "長" * 2000, "R3.9.1")])
    code, out, err, same = collect(capsys, register, good, huge)
    assert code == 1 and same and "huge.xlsx: 照会票のシート「新規の外部結合」セル B4 の文字数が 2,000 文字あります" in err
    code, out, err, _ = collect(capsys, register, good, huge, extra=["--skip-bad"])
    assert code == 1 and by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30) and not new_rows(register)


def test_a_cell_beyond_the_limit_names_the_forms_sheet(register, answer, capsys, monkeypatch):
    monkeypatch.setenv("XLKIT_LIMITS", "cell_chars=1000")
    huge = answer("huge.xlsx", division=GENERAL, new=[linkage(GENERAL, "長" * 2000, "R3.9.1")])
    code, out, err, same = collect(capsys, register, huge)
    line = next(l for l in err.splitlines() if "huge.xlsx" in l)
    assert f"シート「{inquiry.NEW}」" in line and "登録簿は読めません" not in line


def test_a_change_beyond_the_limit_names_the_forms_cell(register, answer, capsys, monkeypatch):
    monkeypatch.setenv("XLKIT_LIMITS", "cell_chars=1000")
    huge = answer("huge.xlsx", changes={"H19-001": "変" * 2000})
    code, out, err, same = collect(capsys, register, huge)
    letter = openpyxl.utils.get_column_letter(len(inquiry.continuing_headers()))
    assert code == 1 and same
    assert f"huge.xlsx: 照会票のシート「{inquiry.CONTINUING}」セル {letter}2 の文字数が 2,000 文字あります" in err


def test_a_huge_respondent_is_refused_naming_the_forms_cell(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, respondent=("長" * 32767, "2345", "R4.5.10"))
    code, out, err, same = collect(capsys, register, path)
    assert same and code in (1, 2)  # holds today too: the copy is refused on reading back
    nothing_beside(register)
    assert "この登録簿は読めません" not in err and inquiry.HOWTO in err


def test_thousands_of_new_rows_are_refused_by_the_sheet_limit(register, answer, capsys, monkeypatch):
    monkeypatch.setenv("XLKIT_LIMITS", "sheet_cells=20000")
    path = answer("a.xlsx", new=[linkage(TAX, f"業務{i}", "R3.9.1") for i in range(2000)])
    code, out, err, same = collect(capsys, register, path)
    assert code == 1 and same and "a.xlsx: 照会票として読めません" in err and "新規の外部結合" in err


def test_many_new_rows_get_distinct_ids_none_lost(register, answer, capsys):
    path = answer("a.xlsx", new=[linkage(TAX, f"業務{i}", "R3.9.1") for i in range(300)])
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0, err
    rows = new_rows(register)
    assert len(rows) == 300 and len({r.get("id") for r in rows}) == 300
    assert sorted(r.get("business") for r in rows) == sorted(f"業務{i}" for i in range(300))


# =========================================================================== files


def _bomb(src: Path, out: Path) -> Path:
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet3.xml"
    parts[sheet] = parts[sheet].replace(b"</sheetData>", b"</sheetData><!--" + b"A" * 5_000_000 + b"-->")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return out


def test_bombs_and_broken_zips_in_the_folder_are_refused_by_name(register, answer, forms, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setenv("XLKIT_LIMITS", "part_bytes=1000000,total_bytes=3000000")
    good = answer("照会票_令和3年度_税務課.xlsx", ends={"H19-001": "R3.9.30"})
    folder = good.parent
    _bomb(form_of(forms, GENERAL), folder / "照会票_令和3年度_総務課.xlsx")
    (folder / "照会票_令和3年度_住宅課.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(300))
    code, out, err, same = collect(capsys, register, folder)
    assert code == 1 and same
    assert "照会票_令和3年度_総務課.xlsx: 照会票として読めません" in err and "上限を超えています" in err
    assert "照会票_令和3年度_住宅課.xlsx: 照会票として読めません" in err
    code, out, err, _ = collect(capsys, register, folder, extra=["--skip-bad"])
    assert code == 1 and by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_an_xlsm_form_given_by_name_is_read(register, answer, capsys):
    path = answer("照会票_令和3年度_税務課.xlsm", ends={"H19-001": "R3.9.30"})
    code, out, err, _ = collect(capsys, register, path)
    assert code == 0 and by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_an_xlsm_answer_in_the_folder_is_not_passed_over(register, answer, capsys):
    taxed = answer("照会票_令和3年度_税務課.xlsm", ends={"H19-001": "R3.9.30"})
    answer("照会票_令和3年度_総務課.xlsx", division=GENERAL)
    code, out, err, _ = collect(capsys, register, taxed.parent)
    assert taxed.name in out + err


def test_the_register_in_the_answers_folder_is_not_an_answer(register, forms, capsys):
    fill(form_of(forms, TAX), register.parent / "照会票_令和3年度_税務課.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err, _ = collect(capsys, register, register.parent)
    assert code == 0, err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_the_same_file_given_twice_is_one_answer(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err, _ = collect(capsys, register, path, path.parent, path)
    assert code == 0
    assert [r["division"] for r in status_lines(register)].count(TAX) == 1
    assert "同じ照会票・同じ回答" not in out


def test_answers_with_the_same_name_in_two_folders_are_told_apart(register, forms, tmp_path, capsys):
    good = fill(form_of(forms, TAX), tmp_path / "回答" / TAX / "回答.xlsx", ends={"H19-001": "R3.9.30"})
    bad = fill(form_of(forms, GENERAL), tmp_path / "回答" / GENERAL / "回答.xlsx",
               new=[linkage(GENERAL, "誤り", "R3.13.1")])
    code, out, err, _ = collect(capsys, register, good, bad, extra=["--skip-bad"])
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)
    states = {r["division"]: r["state"] for r in status_lines(register)}
    assert states[TAX] == "取込済み" and states[GENERAL] == "取り込めず"


def test_a_file_that_disappears_after_listing_is_refused_by_name(register, answer, capsys, monkeypatch):
    good = answer("照会票_令和3年度_税務課.xlsx", ends={"H19-001": "R3.9.30"})
    gone = answer("照会票_令和3年度_総務課.xlsx", division=GENERAL)
    real = inquiry_tasks.answer_files

    def listed_then_removed(paths, **kwargs):
        found = real(paths, **kwargs)
        gone.unlink()
        return found

    monkeypatch.setattr(inquiry_tasks, "answer_files", listed_then_removed)
    code, out, err, same = collect(capsys, register, good.parent)
    assert code == 1 and same and f"{gone.name}: 照会票として読めません" in err and "見つかりません" in err
    nothing_beside(register)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_a_named_pipe_given_as_a_form_is_refused_without_waiting(register, answer, tmp_path, capsys):
    good = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    pipe = tmp_path / "照会票.xlsx"
    os.mkfifo(pipe)
    code, out, err, same = collect(capsys, register, good, pipe)
    assert code == 1 and same and "照会票.xlsx: 照会票として読めません" in err and "通常のファイルではありません" in err


def test_a_read_only_register_is_not_written(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    register.chmod(0o444)
    try:
        code, out, err, same = collect(capsys, register, path)
    finally:
        register.chmod(0o644)
    assert code == 2 and same and "読み取り専用" in err
    nothing_beside(register)


def test_a_register_open_in_excel_is_not_written(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    name = "suzuki"
    owner = bytes([len(name)]) + name.encode() + b" " * (54 - len(name)) + len(name).to_bytes(2, "little")
    owner = (owner + name.encode("utf-16-le")).ljust(165, b"\0")
    (register.parent / f"~${register.name}").write_bytes(owner)
    code, out, err, same = collect(capsys, register, path)
    assert code == 2 and same and "suzuki さんが Excel で開いています" in err


def test_a_register_locked_by_a_colleague_is_not_written(register, answer, capsys, monkeypatch):
    monkeypatch.setattr(writer, "LOCK_WAIT", 0.3)
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    lock.lock_path(register).write_text(json.dumps({
        "user": "suzuki", "host": "KUSEI-PC-07", "pid": 4242, "purpose": "回答取込", "token": "x",
        "started": dt.datetime.now().astimezone().isoformat()}), encoding="utf-8")
    code, out, err, same = collect(capsys, register, path)
    assert code == 2 and same and "suzuki" in err and "KUSEI-PC-07" in err


def _saved_meanwhile(monkeypatch, register: Path) -> Path:
    """While collect plans, a colleague saves the register in Excel (a copy renamed over it)."""
    real = inquiry_tasks.plan_collect
    colleague = register.parent.parent / "colleague.xlsx"

    def meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)
        shutil.copyfile(register, colleague)
        edit_register(colleague, lambda wb: wb[LINK.sheet].cell(2, 16, "同僚の編集"))
        shutil.copyfile(colleague, register.with_name("~tmp.xlsx"))
        os.replace(register.with_name("~tmp.xlsx"), register)
        return result

    monkeypatch.setattr(inquiry_tasks, "plan_collect", meanwhile)
    return colleague


def test_a_register_saved_by_a_colleague_during_the_collect_is_not_replaced(register, answer, capsys, monkeypatch):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    colleague = _saved_meanwhile(monkeypatch, register)
    code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    clean(out + err)
    assert code == 2
    assert register.read_bytes() == colleague.read_bytes()  # the colleague's save stands
    nothing_beside(register)


def test_a_register_saved_by_a_colleague_during_the_collect_asks_to_run_again(register, answer, capsys, monkeypatch):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    _saved_meanwhile(monkeypatch, register)
    code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    assert code == 2 and "もう一度実行してください" in err and "壊れている" not in err, err


@pytest.mark.parametrize("sheet,header", [("変更履歴", "管理番号"), ("回答状況", "内線")])
def test_a_register_whose_log_sheets_lost_a_column_is_not_half_written(register, answer, capsys, sheet, header):
    # the end date and the new row are spliced before the logs are found wanting: all or nothing
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, new=[linkage(TAX, "途中まで", "R3.9.1")])

    def lose(wb):
        ws = wb[sheet]
        next(c for c in ws[1] if c.value == header).value = "ＸＹＺ"

    edit_register(register, lose)
    code, out, err, same = collect(capsys, register, path)
    assert code == 2 and same and f"列 {header} がありません" in err
    nothing_beside(register)


def test_a_full_disk_while_writing_leaves_the_register_whole(register, answer, capsys, monkeypatch):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, new=[linkage(TAX, "満杯", "R3.9.1")])

    def full(self, dest):
        Path(dest).write_bytes(b"PK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Package, "save", full)
    code, out, err, same = collect(capsys, register, path)
    assert code == 2 and same and "ディスクの空きが足りません" in err, err
    nothing_beside(register)


_STOPPED = """
import sys, time
from xlkit.workbook import appender
real = appender.append
def slow(*args, **kwargs):
    print("holding", flush=True)
    time.sleep(30)
    return real(*args, **kwargs)
appender.append = slow
from xlkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_a_collect_killed_while_writing_leaves_the_register_whole(register, answer):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"}, new=[linkage(TAX, "止める", "R3.9.1")])
    before = register.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", _STOPPED, "collect", str(register), str(path), "--year", str(YEAR)],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        assert child.stdout.readline().strip() == "holding"
        assert lock.lock_path(register).exists()
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 128 + signal.SIGTERM and "中断しました" in clean(err)
    assert register.read_bytes() == before and not leftovers(register)
    nothing_beside(register)


# =========================================================================== the register moved on


def _delete_row(wb):
    wb[LINK.sheet].delete_rows(register_row(wb[LINK.sheet], "H19-001"))


def _rename_id(wb):
    ws = wb[LINK.sheet]
    ws.cell(register_row(ws, "H19-001"), headers(ws)[LINK.header("id")]).value = "H19-901"


@pytest.mark.parametrize("change", [_delete_row, _rename_id], ids=["row-deleted", "id-renamed"])
def test_an_end_date_for_a_row_gone_from_the_register_is_a_conflict(register, answer, capsys, change):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30", "H21-002": "R3.10.1"})
    edit_register(register, change)
    code, out, err, _ = collect(capsys, register, path)
    assert code == 1 and "管理番号 H19-001" in out and "登録簿に管理番号 H19-001 の行がありません" in out
    rows = by_id(register)
    assert rows["H21-002"].get("end") == dt.date(2021, 10, 1)  # the other answer stands
    assert all(r.get("end") != dt.date(2021, 9, 30) for r in rows.values())


def test_a_case_withdrawn_after_the_survey_is_a_conflict(register, answer, capsys):
    path = answer("a.xlsx", cases={"2024-3": linkage(TAX, "財産調査", "R3.6.1")})

    def withdrawn(wb):
        ws = wb[schema.case().sheet]
        col = headers(ws)
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, col["年度"]).value == 2024 and ws.cell(r, col["№"]).value == 3:
                ws.cell(r, col["審議結果"]).value = "取下げ"

    edit_register(register, withdrawn)
    code, out, err, _ = collect(capsys, register, path)
    assert code == 1 and "審議案件 2024-3" in out and "照会票の発行後に審議案件の行" in out
    assert not [r for r in book(register).linkages if r.get("case_ref") == "2024-3"]


# =========================================================================== formats and dry runs


def _format(register: Path, version: int) -> Path:
    out = register.with_name(f"形式{version}.xlsx")
    with Package(register) as package:
        migrate.set_format(package, version)
        package.save(out)
    register.unlink()
    return out


@pytest.mark.parametrize("version,said", [(2, "xlkit upgrade"), (formats.CURRENT + 1, "新しい xlkit")])
def test_a_register_of_another_format_is_not_written(register, answer, capsys, version, said):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    other = _format(register, version)
    code, out, err, same = collect(capsys, other, path)
    assert code == 2 and same and said in err
    nothing_beside(other)


def test_a_format_1_register_is_not_written(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    old = register.with_name("old.xlsx")
    shutil.copyfile(REPO / "tests" / "fixtures" / "format1_sample.xlsx", old)
    register.unlink()
    code, out, err, same = collect(capsys, old, path)
    assert code == 2 and same and "xlkit upgrade" in err


def _drop_sheet(name):
    def change(path: Path) -> Path:
        edit_register(path, lambda wb: wb.remove(wb[name]))
        return path
    return change


@pytest.mark.parametrize("change", [lambda p: _format(p, 2), _drop_sheet(schema.status().sheet),
                                    _drop_sheet(schema.history().sheet)],
                         ids=["format-2", "no-回答状況", "no-変更履歴"])
def test_a_dry_run_refuses_what_the_real_run_refuses(register, answer, capsys, change):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    target = change(register)
    real, _, real_err, same = collect(capsys, target, path)
    assert real == 2 and same, real_err
    dry, out, err, same = collect(capsys, target, path, extra=["--dry-run"])
    assert same and dry == real and "取り込めます" not in out + err


def test_a_dry_run_does_not_promise_rows_a_held_run_will_not_write(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"},
                  new=[linkage(TAX, "逆順", "R3.9.1", end="R3.8.1")])
    code, out, err, same = collect(capsys, register, path, extra=["--dry-run"])
    assert code == 1 and same
    assert "新規 1 件、終了 1 件を取り込めます" not in out + err


def test_a_dry_run_of_a_good_form_writes_nothing(register, answer, capsys):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err, same = collect(capsys, register, path, extra=["--dry-run"])
    assert code == 0 and same and "確認のみ: 新規 0 件、終了 1 件を取り込めます" in out
    nothing_beside(register)


@pytest.mark.parametrize("year", ["1988", "2101", "0", "-5", "R99", "令和100年度", "99999999999999999999"])
def test_collect_with_a_year_outside_the_bounds_is_refused(register, answer, capsys, year):
    path = answer("a.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err, same = collect(capsys, register, path, year=year)
    assert code == 2 and same and f"年度「{year}」を読めません" in err


# =========================================================================== survey


def test_survey_into_a_file_or_below_one_is_refused(register, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out in (blocker, blocker / "sub"):
        code, _, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", out)
        assert code == 2 and "を作れませんでした" in clean(err)
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("division", ["存在しない課", "", "税務科"])
def test_survey_of_an_unknown_division_writes_nothing(register, tmp_path, capsys, division):
    code, _, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f", "--division", division)
    assert code == 2 and "「課」シートにない課が指定されました" in clean(err)
    assert not (tmp_path / "f").exists() or not list((tmp_path / "f").iterdir())


def test_survey_of_a_register_with_an_empty_division_sheet_writes_nothing(register, tmp_path, capsys):
    edit_register(register, lambda wb: wb["課"].delete_rows(2, wb["課"].max_row))
    code, _, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f")
    assert code == 2 and "「課」シートに課がないため" in clean(err) and not (tmp_path / "f").exists()


@pytest.mark.parametrize("year", ["1988", "2101"])
def test_survey_of_a_year_outside_the_bounds_is_refused(register, tmp_path, capsys, year):
    code, _, err = run_cli(capsys, "survey", register, "--year", year, "--out", tmp_path / "f")
    assert code == 2 and "1989〜2100" in clean(err) and not (tmp_path / "f").exists()


def test_survey_of_a_division_too_long_for_a_file_name_leaves_no_half_set(register, tmp_path, capsys):
    def long_division(wb):
        ws = wb["課"]
        ws.cell(ws.max_row + 1, 1).value = "長" * 100
        ws.cell(ws.max_row, 2).value = "区長"

    edit_register(register, long_division)
    code, _, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f")
    assert code == 2 and "長すぎます" in clean(err)
    assert list((tmp_path / "f").iterdir()) == []


def test_survey_never_writes_two_divisions_to_one_file(register, tmp_path, capsys):
    def twins(wb):
        ws = wb["課"]
        for name in ("企画/調整課", "企画:調整課"):
            ws.cell(ws.max_row + 1, 1).value = name
            ws.cell(ws.max_row, 2).value = "区長"

    edit_register(register, twins)
    divisions = len(book(register).divisions)
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f", "--overwrite")
    clean(out + err)
    written = [p for p in (tmp_path / "f").iterdir() if p.name.startswith("照会票_")] if (tmp_path / "f").exists() else []
    assert (code == 2 and "企画" in err) or len(written) == divisions, (code, len(written), divisions)
