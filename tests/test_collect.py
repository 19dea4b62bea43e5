"""照会票 and 回答取込 end to end: `xlkit survey`, forms filled as 課 staff fill them, `xlkit collect`.

The forms are filled with openpyxl the way staff type into Excel: dates in several spellings,
text in the unlocked cells, the 回答者 block. Every outcome the issue names has its test: a new
row, an end date, 変更内容, a form collected twice, two forms touching one row or one case, a
register row changed after the form was issued, a 課 that never answers, files that are not our
forms or belong to another register or 年度, locked cells changed, and all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlkit import answers, formats, inquiry, inquiry_tasks, schema
from xlkit.errors import XlkitError
from xlkit.workbook import reader
from xlkit.workbook.builder import build
from support import REPO, SAMPLE, run_cli
from support.forms import (LINK, YEAR, book, by_id, cite_a_case, edit_register, fill, form_of, headers,
                           history_rows, linkage, sheet_rows, status_rows, write_table2)
from support.forms import row_of as linkage_row


@pytest.fixture
def register(tmp_path) -> Path:
    path = tmp_path / "登録簿.xlsx"
    shutil.copyfile(SAMPLE, path)
    return cite_a_case(path)


@pytest.fixture
def forms(register, tmp_path, capsys) -> Path:
    folder = tmp_path / "照会票"
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", folder)
    assert code == 0, err
    return folder


# --------------------------------------------------------------------------- the whole year


def test_the_years_survey_and_answers_end_to_end(register, forms, tmp_path, capsys):
    answered = tmp_path / "回答"
    answered.mkdir()
    # 税務課 ends one linkage, completes an approved case and types dates four ways
    tax = fill(form_of(forms, "税務課"), answered / form_of(forms, "税務課").name,
               ends={"H19-001": "R3.9.30"},
               cases={"2024-3": linkage("税務課", "財産調査", "令和3年6月1日", my_number="○",
                                         partner="金融機関")})
    # 総務課 adds one linkage, with its own 課 mistyped
    general = fill(form_of(forms, "総務課"), answered / form_of(forms, "総務課").name,
                   new=[linkage("総務科", "電子申請", "2021/8/1")])
    # 介護保険課 asks for a change it cannot type itself
    fill(form_of(forms, "介護保険課"), answered / form_of(forms, "介護保険課").name,
                changes={"H12-001": "相手方の名称が変わりました（国保連合会）"})
    # 住宅課 changed a locked cell (the sheet's protection was taken off)
    def unlock_and_edit(wb):
        ws = wb[inquiry.CONTINUING]
        ws.cell(2, headers(ws)[LINK.header("business")]).value = "書き換えた業務名"

    housing = fill(form_of(forms, "住宅課"), answered / form_of(forms, "住宅課").name, edit=unlock_and_edit)
    before = register.read_bytes()

    # 1. all or nothing: two bad files, nothing is written
    code, out, err = run_cli(capsys, "collect", register, answered, "--year", YEAR)
    assert code == 1
    assert register.read_bytes() == before
    assert "取り込めない照会票が 2 件あるため、登録簿は変更していません。" in err
    assert "--skip-bad" in err
    assert f"{general.name} / {inquiry.NEW} / A4: 「総務科」は「課」シートの一覧にありません。「総務課」の誤りではありませんか。" in err
    assert "実施機関" not in err.split("■ 回答状況")[0]  # filled in from the 課: not the form's problem
    assert f"{housing.name}: " + "照会票の変更できない部分が変更されています（シート「継続中の外部結合」2行目）" in err

    # 2. --skip-bad: the good files are taken, the bad ones listed
    code, out, err = run_cli(capsys, "collect", register, answered, "--year", YEAR, "--skip-bad")
    assert code == 1, out + err
    rows = by_id(register)
    assert rows["H19-001"].get("end") == dt.date(2021, 9, 30)
    [new_case] = [r for r in rows.values() if r.get("case_ref") == "2024-3"]
    assert (new_case.get("id"), new_case.get("body"), new_case.get("fiscal_year"), new_case.get("start")) == \
        ("R3-001", "区長", YEAR, dt.date(2021, 6, 1))
    assert "相手方の名称が変わりました（国保連合会）" in out  # listed for staff …
    assert rows["H12-001"].raw == book(SAMPLE).linkages[0].raw  # … never applied
    status = status_rows(register)
    assert status["税務課"]["state"] == answers.STATE_DONE and status["税務課"]["new"] == 1
    assert status["税務課"]["ended"] == 1 and status["税務課"]["respondent"] == "山田 花子"
    assert status["介護保険課"]["state"] == answers.STATE_PARTLY and status["介護保険課"]["changed"] == 1
    assert status["総務課"]["state"] == answers.STATE_REFUSED
    assert status["住宅課"]["state"] == answers.STATE_REFUSED
    assert status["会計室"]["state"] == answers.STATE_NONE  # never answers: listed, not an error

    # 3. 総務課 fixes its 課 and sends the form again; 税務課's form comes a second time
    wb = openpyxl.load_workbook(general)
    ws = wb[inquiry.NEW]
    column = headers(ws)[LINK.header("division")]
    [typo] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, column).value == "総務科"]
    ws.cell(typo, column).value = "総務課"
    wb.save(general)
    housing.unlink()
    code, out, err = run_cli(capsys, "collect", register, general, tax, "--year", YEAR)
    assert code == 0, out + err
    assert "登録済み" in out and "管理番号 H19-001 の終了年月日 令和3年9月30日 は登録済みです" in out
    rows = by_id(register)
    assert rows["R3-002"].get("division") == "総務課" and rows["R3-002"].get("start") == dt.date(2021, 8, 1)
    assert "R3-003" not in rows  # 税務課's rows were not added again
    status = status_rows(register)
    assert status["総務課"]["state"] == answers.STATE_DONE and status["総務課"]["new"] == 1
    assert status["介護保険課"]["changed"] == 1  # answered in the earlier run: its line stays

    # validate: no error; the figures as worked out by hand
    code, out, err = run_cli(capsys, "validate", register)
    assert code == 0 and ": エラー 0 件" in out, out
    code, out, _ = run_cli(capsys, "summarize", register, "--year", YEAR, "--json")
    figures = {r["実施機関"]: r for r in json.loads(out)["rows"]}
    # 令和2年度: 区長 a 61 + b 19 − c 0 = 80 (the sample), so a of 令和3年度 is 80; b = the two new rows;
    # H19-001 ended on 30 September 2021: still active in 令和3年度, so no c; one new row has ○
    assert figures["区長"] == {"実施機関": "区長", "a": 80, "b": 2, "c": 0, "a+b-c": 82, "特定個人情報": 25}
    assert figures["教育委員会"]["a+b-c"] == 8
    code, out, _ = run_cli(capsys, "summarize", register, "--year", YEAR + 1, "--json")
    figures = {r["実施機関"]: r for r in json.loads(out)["rows"]}
    assert (figures["区長"]["a"], figures["区長"]["c"], figures["区長"]["a+b-c"]) == (82, 1, 81)  # H19-001 in c of 令和4年度

    # every new or changed cell has its 変更履歴 row
    logged = [h for h in history_rows(register) if h["action"] == "回答取込"]
    expected = {("H19-001", LINK.header("end"), "令和3年9月30日")}
    for id_ in ("R3-001", "R3-002"):
        for key, value in rows[id_].values.items():
            shown = inquiry.canonical(value)
            if isinstance(value, dt.date):
                from xlkit.dates import format_wareki

                shown = format_wareki(value)
            expected.add((id_, LINK.header(key), "○" if value is True else str(shown)))
    assert {(h["id"], h["column"], h["new"]) for h in logged} == expected
    assert all(h["user"] and h["source"] for h in logged)
    assert {h["respondent"] for h in logged if h["id"] == "H19-001"} == {"山田 花子（内線 2345）"}


# --------------------------------------------------------------------------- the forms


def test_survey_writes_one_form_per_division_and_a_list(register, forms):
    names = sorted(p.name for p in forms.iterdir())
    divisions = [d for d, _ in book(register).divisions]
    assert len(names) == len(divisions) + 1 and "照会一覧_令和3年度.xlsx" in names
    wb = openpyxl.load_workbook(form_of(forms, "税務課"))
    assert wb.sheetnames[:3] == [inquiry.HOWTO, inquiry.CONTINUING, inquiry.NEW]
    assert wb[inquiry.IDENTITY].sheet_state == "veryHidden" and wb[inquiry.IDENTITY].protection.sheet
    ws = wb[inquiry.CONTINUING]
    assert [c.value for c in ws[1]] == inquiry.continuing_headers()
    ids = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    # the 課's linkages active in 令和2年度 or 令和3年度; H19-003 ended in 平成29年度
    assert ids == ["H19-001", "H21-002", "H21-003", "H22-003", "H29-001", "R1-001", "R1-004", "R2-004"]
    assert ws.protection.sheet
    end = headers(ws)[LINK.header("end")]
    assert not ws.cell(2, end).protection.locked and ws.cell(2, 2).protection.locked
    new = wb[inquiry.NEW]
    assert [c.value for c in new[1]] == inquiry.new_headers()
    refs = [new.cell(r, headers(new)[LINK.header("case_ref")]).value for r in range(2, 7)]
    assert refs == ["2024-3", "2024-11", "2025-32", "2025-38", "2025-39"]
    assert new.data_validations.dataValidation  # the register's dropdowns and input messages
    identity = dict(inquiry._identity([[c.value for c in row] for row in wb[inquiry.IDENTITY].iter_rows()])[0])
    assert identity["register_id"] == book(register).register_id and identity["year"] == YEAR
    # a case with several 担当課 is on each of their forms
    for division in ("行政管理課", "情報システム課"):
        ws = openpyxl.load_workbook(form_of(forms, division))[inquiry.NEW]
        assert ws.cell(2, headers(ws)[LINK.header("case_ref")]).value == "2024-1"


def test_survey_never_replaces_a_form_and_knows_its_divisions(register, forms, capsys, tmp_path):
    before = form_of(forms, "税務課").read_bytes()
    code, _, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", forms)
    assert code == 2 and "同じ名前の照会票があります" in err and "Traceback" not in err
    assert form_of(forms, "税務課").read_bytes() == before
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "一課",
                             "--division", "税務課")
    assert code == 0 and [p.name for p in (tmp_path / "一課").iterdir()].count(form_of(forms, "税務課").name) == 1
    code, _, err = run_cli(capsys, "survey", register, "--out", tmp_path / "x", "--division", "税務科")
    assert code == 2 and "「課」シートにない課" in err and "税務科" in err


def test_survey_of_an_older_register_asks_for_the_upgrade(tmp_path, capsys):
    from support import REPO

    old = tmp_path / "old.xlsx"
    shutil.copyfile(REPO / "tests" / "fixtures" / "format1_sample.xlsx", old)
    code, _, err = run_cli(capsys, "survey", old, "--out", tmp_path / "f")
    assert code == 2 and "xlkit upgrade" in err and not (tmp_path / "f").exists()


# --------------------------------------------------------------------------- refusals


def test_files_that_are_not_our_forms_are_refused_with_their_reason(register, forms, tmp_path, capsys):
    other = tmp_path / "other.xlsx"  # another register: the sample's rows, another id
    wb = openpyxl.load_workbook(SAMPLE)
    wb.defined_names[formats.ID_NAME].attr_text = '"ffffffffffffffffffffffffffffffff"'
    wb.save(other)
    code, _, _ = run_cli(capsys, "survey", other, "--year", YEAR, "--out", tmp_path / "他")
    broken = tmp_path / "照会票_壊れた.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    foreign = fill(next((tmp_path / "他").glob("照会票_*_税務課.xlsx")), tmp_path / "foreign.xlsx")
    code, out, err = run_cli(capsys, "collect", register, broken, plain, foreign, register, "--year", YEAR)
    assert code == 1 and "Traceback" not in err
    assert "照会票_壊れた.xlsx: 照会票として読めません" in err
    assert "plain.xlsx: xlkit の照会票ではありません" in err
    assert "foreign.xlsx: 別の登録簿から作られた照会票です" in err
    assert "登録簿.xlsx: xlkit の照会票ではありません" in err


def test_a_form_of_another_year_is_refused(register, forms, capsys):
    path = fill(form_of(forms, "税務課"), ends={"H19-001": "R3.9.30"})
    code, _, err = run_cli(capsys, "collect", register, path, "--year", "2020")
    assert code == 1 and "令和3年度の照会票です（取り込む年度は令和2年度）" in err


@pytest.mark.parametrize("change,named", [
    (lambda ws: ws.delete_rows(3), "継続中の外部結合」3行目）"),  # row 4 moved up: not what row 3 was
    (lambda ws: ws.cell(12, 17, "メモ"), "継続中の外部結合」12行目（行が増えています）"),
])
def test_a_removed_or_added_row_of_the_locked_sheet_is_refused(register, forms, tmp_path, capsys, change, named):
    path = fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", edit=lambda wb: change(wb[inquiry.CONTINUING]))
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    assert code == 1 and f"照会票の変更できない部分が変更されています（シート「{named}" in err
    assert register.read_bytes() == before


def test_only_the_listed_rows_can_be_answered_and_the_new_rows_have_the_registers_inputs(forms):
    wb = openpyxl.load_workbook(form_of(forms, "税務課"))
    ws = wb[inquiry.CONTINUING]
    end, change = headers(ws)[LINK.header("end")], headers(ws)[inquiry.CHANGE_HEADER]
    listed = ws.max_row
    assert all(not ws.cell(r, c).protection.locked for r in range(2, listed + 1) for c in (end, change))
    # below the listed rows nothing can be typed: Excel keeps the column's locked format
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(end)].protection.locked is not False
    new = wb[inquiry.NEW]
    rules = {(v.type, v.formula1) for v in new.data_validations.dataValidation}
    assert ("list", "課一覧") in rules  # the 課 dropdown, fed by the form's hidden list
    assert any(kind == "date" for kind, _ in rules)
    division = headers(new)[LINK.header("division")]
    assert new.cell(7, division).value == "税務課" and not new.cell(7, division).protection.locked


def test_an_end_date_before_the_published_year_is_a_problem(register, forms, capsys):
    path = fill(form_of(forms, "税務課"), ends={"H19-001": "R1.9.30"})
    code, _, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    assert code == 1 and "令和2年度の報告で結合中として公表した後の日付ではありません" in err


def test_an_unreadable_date_points_at_the_forms_cell(register, forms, capsys):
    path = fill(form_of(forms, "税務課"), ends={"H19-001": "R3.13.1"})
    code, _, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    ws = openpyxl.load_workbook(path)[inquiry.CONTINUING]
    letter = openpyxl.utils.get_column_letter(headers(ws)[LINK.header("end")])
    assert code == 1 and f"{path.name} / {inquiry.CONTINUING} / {letter}2: 「R3.13.1」" in err


# --------------------------------------------------------------------------- conflicts


def test_two_answers_to_one_form_touching_one_row_are_a_conflict(register, forms, tmp_path, capsys):
    first = fill(form_of(forms, "税務課"), tmp_path / "first.xlsx", ends={"H19-001": "R3.9.30"})
    second = fill(form_of(forms, "税務課"), tmp_path / "second.xlsx", ends={"H19-001": "R3.10.31"})
    code, out, err = run_cli(capsys, "collect", register, first, second, "--year", YEAR)
    assert code == 1
    assert "管理番号 h19-001" in out.lower() and "令和3年9月30日" in out and "令和3年10月31日" in out
    assert by_id(register)["H19-001"].get("end") is None  # neither applied


def test_the_same_answer_sent_twice_counts_once(register, forms, tmp_path, capsys):
    first = fill(form_of(forms, "税務課"), tmp_path / "first.xlsx", ends={"H19-001": "R3.9.30"})
    again = tmp_path / "again.xlsx"
    shutil.copyfile(first, again)
    code, out, err = run_cli(capsys, "collect", register, first, again, "--year", YEAR)
    assert code == 0, out + err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)
    assert "同じ照会票・同じ回答のため" in out


def test_two_forms_completing_one_case_are_a_conflict(register, forms, capsys, tmp_path):
    a = fill(form_of(forms, "行政管理課"), tmp_path / "a.xlsx",
             cases={"2024-1": linkage("行政管理課", "共同利用", "R3.5.1")})
    b = fill(form_of(forms, "情報システム課"), tmp_path / "b.xlsx",
             cases={"2024-1": linkage("情報システム課", "共同利用", "R3.5.1")})
    code, out, err = run_cli(capsys, "collect", register, a, b, "--year", YEAR)
    assert code == 1 and "審議案件 2024-1" in out and "a.xlsx" in out and "b.xlsx" in out
    assert not [r for r in book(register).linkages if r.get("case_ref") == "2024-1"]


def test_a_register_row_changed_after_the_form_was_issued_is_a_conflict(register, forms, capsys):
    wb = openpyxl.load_workbook(register)
    ws = wb[LINK.sheet]
    col = headers(ws)
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col[LINK.header("id")]).value == "H19-001")
    ws.cell(row, col[LINK.header("partner")]).value = "収納代行事業者（新）"
    wb.save(register)
    path = fill(form_of(forms, "税務課"), ends={"H19-001": "R3.9.30"})
    code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    assert code == 1
    assert "照会票の発行後に登録簿の12行目が変わっています" in out
    assert "結合の相手方（照会票：収納代行事業者、登録簿：収納代行事業者（新））" in out
    assert by_id(register)["H19-001"].get("end") is None


# --------------------------------------------------------------------------- the register writer


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(register, forms, capsys):
    path = fill(form_of(forms, "税務課"), ends={"H19-001": "R3.9.30"},
                new=[linkage("税務課", "新しい業務", "R3.7.1")])
    before = register.read_bytes()
    code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR, "--dry-run")
    assert code == 0 and "確認のみ: 新規 1 件、終了 1 件を取り込めます" in out
    assert register.read_bytes() == before


def test_collect_changes_only_the_parts_it_must(register, forms, capsys):
    path = fill(form_of(forms, "税務課"), ends={"H19-001": "R3.9.30"})
    with zipfile.ZipFile(register) as z:
        before = {n: z.read(n) for n in z.namelist()}
    code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR)
    assert code == 0, err
    with zipfile.ZipFile(register) as z:
        after = {n: z.read(n) for n in z.namelist()}
    from xlkit.workbook.package import Package

    with Package(register) as package:
        sheets = {package.sheet_part(s) for s in (LINK.sheet, schema.history().sheet, schema.status().sheet)}
    changed = {n for n in before if before[n] != after[n]}
    assert sheets <= changed <= sheets | {"xl/workbook.xml", "xl/styles.xml", "xl/tables/table1.xml"}
    assert list(after) == list(before)


def test_the_register_id_comes_with_new_registers_and_stays(tmp_path):
    a, b = build(tmp_path / "a.xlsx"), build(tmp_path / "b.xlsx")
    ids = [reader.load(p).register_id for p in (a, b)]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    assert formats.parse_id('="%s"' % ids[0]) == ids[0]


def test_a_survey_that_fails_midway_leaves_no_half_set(register, tmp_path, monkeypatch):
    from xlkit.workbook import inquiry_form

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inquiry_form, "write_list", full_disk)
    with pytest.raises(OSError):
        inquiry_tasks.survey(book(register), tmp_path / "f", year=YEAR)
    assert list((tmp_path / "f").iterdir()) == []


def test_a_renamed_answer_in_the_folder_is_taken(register, forms, tmp_path, capsys):
    folder = tmp_path / "回答"
    folder.mkdir()
    fill(form_of(forms, "税務課"), folder / "税務課の回答（最終）.xlsx", ends={"H19-001": "R3.9.30"})
    shutil.copyfile(form_of(forms, "税務課").parent / "照会一覧_令和3年度.xlsx", folder / "照会一覧_令和3年度.xlsx")
    code, out, err = run_cli(capsys, "collect", register, folder, "--year", YEAR)
    assert code == 0, out + err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)


def test_a_form_corrected_and_sent_again_after_its_collect_is_a_conflict_not_a_second_row(
        register, forms, tmp_path, capsys):
    first = fill(form_of(forms, "総務課"), tmp_path / "第1版.xlsx", new=[linkage("総務課", "電子申講", "R3.9.1")])
    assert run_cli(capsys, "collect", register, first, "--year", YEAR)[0] == 0
    second = fill(form_of(forms, "総務課"), tmp_path / "第2版.xlsx", new=[linkage("総務課", "電子申請", "R3.9.1")])
    code, out, err = run_cli(capsys, "collect", register, second, "--year", YEAR)
    assert code == 1
    assert "管理番号 R3-001" in out and "前回、管理番号 R3-001" in out
    assert "業務名（照会票：電子申請、登録簿：電子申講）" in out
    assert [r.get("business") for r in book(register).linkages if r.get("fiscal_year") == YEAR] == ["電子申講"]
    # the first version once more: 登録済み, by the form row it came from
    code, out, err = run_cli(capsys, "collect", register, first, "--year", YEAR)
    assert code == 0 and "登録簿の97行目に登録済みです" in out


# --------------------------------------------------------------------------- the register as it is


def test_a_case_cited_as_2024_03_is_not_asked_for_again(register, tmp_path, capsys):
    def cite(wb):
        ws = wb[LINK.sheet]
        ws.cell(linkage_row(ws, "H19-001"), headers(ws)[LINK.header("case_ref")]).value = "2024-03"

    edit_register(register, cite)
    assert run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f")[0] == 0
    ws = openpyxl.load_workbook(form_of(tmp_path / "f", "税務課"))[inquiry.NEW]
    refs = [ws.cell(r, headers(ws)[LINK.header("case_ref")]).value for r in range(2, 8)]
    assert "2024-3" not in refs and "2024-11" in refs  # the rules read 2024-03 as the case 2024-3 too


def test_linkages_of_a_division_off_the_sheet_are_named_not_dropped(register, tmp_path, capsys):
    def rename(wb):
        ws = wb[LINK.sheet]
        ws.cell(linkage_row(ws, "H19-001"), headers(ws)[LINK.header("division")]).value = "旧税務課"

    edit_register(register, rename)
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f")
    assert code == 0 and "「課」シートにない課の外部結合 1 件は、どの照会票にも載せていません（外部結合!C12）" in err


def test_a_form_of_a_division_renamed_since_is_listed_in_the_status(register, forms, tmp_path, capsys):
    path = fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", ends={"H19-001": "R3.9.30"})

    def rename(wb):
        ws = wb["課"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "税務課")
        ws.cell(row, 1).value = "課税課"

    edit_register(register, rename)
    code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR, "--skip-bad")
    assert code == 1 and "照会票の課「税務課」が登録簿の「課」シートにありません" in out + err
    lines = status_rows(register)
    assert lines["税務課"]["state"] == answers.STATE_REFUSED and lines["課税課"]["state"] == answers.STATE_NONE


def test_a_new_row_typed_with_a_closed_課_is_refused_as_an_unknown_one_is(register, tmp_path, capsys):
    """組織改正: the form offers only the 課 of its day (its 課 dropdown); a new row typed with a
    closed 課 anyway is refused naming the form's cell and the 課 that took it over, not only warned."""
    from support.reorg import reorganised

    reorganised(register)  # 戸籍住民課 → 戸籍課, 滞納対策課 into 税務課, 2021-04-01
    folder = tmp_path / "照会票"
    done = inquiry_tasks.survey(book(register), folder, year=YEAR, on=dt.date(2022, 5, 1))
    choices = [row[0] for row in openpyxl.load_workbook(form_of(folder, "戸籍課"))["選択肢"].iter_rows(
        min_row=2, values_only=True) if row[0]]
    assert choices == [f.division for f in done.forms]  # each 課 of its day once, in chart order
    assert "戸籍課" in choices and "戸籍住民課" not in choices and choices.count("税務課") == 1
    before = register.read_bytes()
    answer = fill(form_of(folder, "戸籍課"), tmp_path / "回答" / form_of(folder, "戸籍課").name,
                  new=[linkage("戸籍課", "コンビニ交付", "R3.7.1"), linkage("戸籍住民課", "住民票の広域交付", "R3.8.1")])
    code, out, err = run_cli(capsys, "collect", register, answer, "--year", YEAR)
    assert code == 1 and register.read_bytes() == before
    ws = openpyxl.load_workbook(answer)[inquiry.NEW]
    column = headers(ws)[LINK.header("division")]
    [row] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, column).value == "戸籍住民課"]
    cell = f"{openpyxl.utils.get_column_letter(column)}{row}"
    said = [line for line in (out + err).splitlines() if f"{inquiry.NEW} / {cell}:" in line]
    assert len(said) == 1, out + err  # one message for the cell: not also 「組織改正前の課名です」
    assert "課「戸籍住民課」は、照会票を作った日（令和4年5月1日）には有効な課名ではありません" in said[0]
    assert "引き継いだ課は「戸籍課」です" in said[0]
    plan = inquiry_tasks.collect(register, [answer], year=YEAR, dry_run=True).plan
    assert [p.cell for p in plan.problems] == [cell] and not [w for w in plan.warnings if w.cell == cell]
    assert "戸籍課: 取り込めず" in out + err  # the whole form is held, as for an unknown 課 (--skip-bad takes the others)


@pytest.mark.parametrize("ids", [("H19-001", ""), ("H19-001", "H21-002")])
def test_a_survey_refuses_rows_it_could_not_match_back(register, tmp_path, capsys, ids):
    def clash(wb):
        ws = wb[LINK.sheet]
        ws.cell(linkage_row(ws, ids[0]), headers(ws)[LINK.header("id")]).value = ids[1] or None

    edit_register(register, clash)
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f")
    assert code == 2 and "管理番号が空欄か重複している行があります（外部結合!A12" in err
    assert not (tmp_path / "f").exists() or not list((tmp_path / "f").iterdir())


def test_a_copy_of_a_refused_answer_is_not_called_taken(register, forms, tmp_path, capsys):
    bad = fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", ends={"H19-001": "R1.9.30"})
    copy = tmp_path / "b.xlsx"
    shutil.copyfile(bad, copy)
    code, out, err = run_cli(capsys, "collect", register, bad, copy, "--year", YEAR, "--dry-run")
    taxes = [line for line in (out + err).splitlines() if line.strip().startswith("税務課:")]
    assert code == 1 and len(taxes) == 2 and all("取り込めず" in line for line in taxes)


def test_a_year_the_register_cannot_speak_for_is_refused(register, forms, tmp_path, capsys):
    code, _, err = run_cli(capsys, "survey", register, "--year", "2035", "--out", tmp_path / "f35")
    assert code == 2 and "令和17年度" in err and not (tmp_path / "f35").exists()
    code, _, err = run_cli(capsys, "collect", register, form_of(forms, "税務課"), "--year", "2035")
    assert code == 2 and "令和17年度" in err


def test_import_and_upgrade_record_their_changes(tmp_path, capsys):
    from support import REPO

    path = tmp_path / "old.xlsm"
    shutil.copyfile(REPO / "tests" / "fixtures" / "format1_sample.xlsm", path)
    assert run_cli(capsys, "upgrade", path)[0] == 0
    logged = history_rows(path)
    assert [(h["action"], h["column"], h.get("old"), h["new"].split("：")[0]) for h in logged[:2]] == [
        ("形式の更新", "登録簿の形式", "形式 1", "形式 2"), ("形式の更新", "登録簿の形式", "形式 2", "形式 3")]
    assert logged[-1]["column"] == "マクロ（VBA）" and all(h["user"] == logged[0]["user"] for h in logged)
    table = write_table2(tmp_path / "表2.txt", "総務課", "記録の業務", "R3.5.1")
    assert run_cli(capsys, "import", path, table, "--year", YEAR)[0] == 0
    added = [h for h in history_rows(path) if h["action"] == "取り込み"]
    assert {h["source"] for h in added} == {"表2.txt"} and {h["id"] for h in added} == {"R3-001"}
    assert {h["column"]: h["new"] for h in added}[LINK.header("start")] == "令和3年5月1日"
    assert len(added) == len([k for k in ("id", "body", "division", "business", "reason", "subjects", "items",
                                          "basis", "partner", "start", "fiscal_year")])


def test_a_form_sent_back_blank_is_no_answer_and_no_conflict(register, forms, tmp_path, capsys):
    # the forms folder as survey wrote it, with one 課's filled copy beside its blank original
    filled = fill(form_of(forms, "税務課"), forms / "税務課の回答.xlsx", ends={"H19-001": "R3.9.30"})
    code, out, err = run_cli(capsys, "collect", register, forms, "--year", YEAR)
    assert code == 0, out + err
    assert by_id(register)["H19-001"].get("end") == dt.date(2021, 9, 30)
    lines = status_rows(register)
    assert lines["税務課"]["state"] == answers.STATE_DONE and lines["税務課"]["file"] == filled.name
    assert lines["総務課"]["state"] == answers.STATE_NONE and "記入がありません" in lines["総務課"]["note"]
    assert "競合" not in out.split("■ 回答状況")[0]


def test_only_the_registers_own_table_grows_over_new_rows(register, forms, tmp_path, capsys):
    from openpyxl.worksheet.table import Table

    def staff_table(wb):
        ws = wb[LINK.sheet]
        ws["S1"], ws["T1"], ws["S2"], ws["T2"] = "メモ", "担当", "確認", "済"
        ws.add_table(Table(displayName="職員の表", ref="S1:T2"))

    edit_register(register, staff_table)
    path = fill(form_of(forms, "総務課"), tmp_path / "a.xlsx", new=[linkage("総務課", "電子申請", "R3.9.1")])
    assert run_cli(capsys, "collect", register, path, "--year", YEAR)[0] == 0
    tables = {t.displayName: t.ref for t in openpyxl.load_workbook(register)[LINK.sheet].tables.values()}
    assert tables["職員の表"] == "S1:T2" and tables["表_外部結合"].endswith("97")


def test_a_dry_run_refuses_a_column_the_answers_need_as_the_run_does(register, forms, tmp_path, capsys):
    def rename_note(wb):
        ws = wb[LINK.sheet]
        ws.cell(1, headers(ws)[LINK.header("note")]).value = "メモ欄"

    edit_register(register, rename_note)
    path = fill(form_of(forms, "総務課"), tmp_path / "a.xlsx",
                new=[linkage("総務課", "電子申請", "R3.9.1", note="記載漏れ")])
    before = register.read_bytes()
    for extra in (["--dry-run"], []):
        code, out, err = run_cli(capsys, "collect", register, path, "--year", YEAR, *extra)
        assert code == 2 and "列 備考 がありません" in err, extra
    assert register.read_bytes() == before


def test_a_later_broken_answer_keeps_what_an_earlier_run_took_on_record(register, forms, tmp_path, capsys):
    path = fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", ends={"H19-001": "R3.9.30"})
    assert run_cli(capsys, "collect", register, path, "--year", YEAR)[0] == 0
    broken = tmp_path / "b" / form_of(forms, "税務課").name
    broken.parent.mkdir()
    broken.write_bytes(b"PK\x03\x04 broken")
    other = fill(form_of(forms, "総務課"), tmp_path / "c.xlsx", new=[linkage("総務課", "電子申請", "R3.9.1")])
    assert run_cli(capsys, "collect", register, broken, other, "--year", YEAR, "--skip-bad")[0] == 1
    rows = [r for r in sheet_rows(register, schema.status()) if r.get("fiscal_year") == YEAR and r["division"] == "税務課"]
    assert [(r["state"], r.get("ended", 0)) for r in rows] == [(answers.STATE_DONE, 1), (answers.STATE_REFUSED, 0)]


def test_an_overwriting_survey_that_fails_midway_leaves_the_old_set(register, forms, monkeypatch):
    from xlkit.workbook import inquiry_form

    before = {p.name: p.read_bytes() for p in forms.iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(inquiry_form, "write_list", full_disk)
    with pytest.raises(OSError):
        inquiry_tasks.survey(book(register), forms, year=YEAR, overwrite=True)
    assert {p.name: p.read_bytes() for p in forms.iterdir()} == before  # the old forms, and nothing beside


def test_a_status_line_has_a_column_for_each_of_its_fields():
    import dataclasses

    fields = {f.name for f in dataclasses.fields(answers.Status)}
    assert fields <= {c.key for c in schema.status().columns}  # collect_log.status_values relies on it


# --------------------------------------------------------------------------- writers at once, decorations


RACER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from xlkit import cli
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
sys.exit(cli.main(sys.argv[2:]))
"""


def test_two_collects_and_an_import_started_together_lose_nothing(register, forms, tmp_path):
    import subprocess
    import sys

    from support import REPO

    script = tmp_path / "racer.py"
    script.write_text(RACER.format(repo=str(REPO)), encoding="utf-8")
    tax = fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", ends={"H19-001": "R3.9.30"})
    general = fill(form_of(forms, "総務課"), tmp_path / "b.xlsx", new=[linkage("総務課", "電子申請", "R3.9.1")])
    table = write_table2(tmp_path / "表2.txt", "住宅課", "取り込んだ業務", "R3.6.1")
    go = tmp_path / "go"
    runs = [["collect", str(register), str(tax), "--year", str(YEAR)],
            ["collect", str(register), str(general), "--year", str(YEAR)],
            ["import", str(register), str(table), "--year", str(YEAR)]]
    racers = [subprocess.Popen([sys.executable, str(script), str(go), *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8") for argv in runs]
    go.touch()
    results = [(p.wait(timeout=120), *p.communicate()) for p in racers]
    assert all(code == 0 for code, _, _ in results), results  # each waits for the lock (15 s), none is lost
    rows = by_id(register)
    assert rows["H19-001"].get("end") == dt.date(2021, 9, 30)
    assert sorted(r.get("business") for r in rows.values() if r.get("fiscal_year") == YEAR) == ["取り込んだ業務", "電子申請"]
    lines = status_rows(register)
    assert lines["税務課"]["state"] == lines["総務課"]["state"] == answers.STATE_DONE  # neither run's line lost
    assert len({h["source"].split("（")[0] for h in history_rows(register)} & {"a.xlsx", "b.xlsx", "表2.txt"}) == 3


def test_collect_into_a_decorated_register_keeps_every_object(register, forms, tmp_path, capsys):
    from support.decorate import decorate, missing

    decorated = tmp_path / "飾り" / "登録簿.xlsx"
    decorated.parent.mkdir()
    deco = decorate(register, decorated)
    path = fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", ends={"H19-001": "R3.9.30"},
                new=[linkage("税務課", "電子申告", "R3.10.1")])
    code, out, err = run_cli(capsys, "collect", decorated, path, "--year", YEAR)
    assert code == 0, out + err
    assert missing(decorated, deco) == []
    assert by_id(decorated)["H19-001"].get("end") == dt.date(2021, 9, 30)


# --------------------------------------------------------------------------- a whole set of forms or none


def test_an_overwriting_survey_that_cannot_replace_a_form_puts_the_old_ones_back(register, forms, monkeypatch):
    """A form open in Excel cannot be replaced (Windows refuses the rename): the forms replaced
    before it get their old file back, and no file of the attempt is left beside them."""
    before = {p.name: p.read_bytes() for p in forms.iterdir()}
    held = form_of(forms, "税務課")
    real = os.replace
    moved = []

    def replace(src, dst):
        if Path(src) == held:  # the old 税務課 form, open in Excel: it cannot be moved
            raise PermissionError(13, "Permission denied")
        moved.append(Path(dst).name)
        return real(src, dst)

    monkeypatch.setattr(inquiry_tasks.os, "replace", replace)
    with pytest.raises(XlkitError) as refused:
        inquiry_tasks.survey(book(register), forms, year=YEAR, overwrite=True)
    monkeypatch.undo()
    assert held.name in refused.value.message and "照会票は変えていません" in refused.value.message
    assert any(not name.startswith(".~") for name in moved)  # some forms had been replaced already
    assert {p.name: p.read_bytes() for p in forms.iterdir()} == before  # the old set, and nothing beside


_KILLED = """
import sys, time
from xlkit.workbook import inquiry_form
real, written = inquiry_form.write_form, []
def slow(*args, **kwargs):
    written.append(real(*args, **kwargs))
    if len(written) == 3:
        print("holding", flush=True)
        time.sleep(60)
    return written[-1]
inquiry_form.write_form = slow
from xlkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_survey_killed_while_writing_leaves_the_old_set_and_the_next_sweeps_its_files(register, forms):
    before = {p.name: p.read_bytes() for p in forms.iterdir()}
    child = subprocess.Popen([sys.executable, "-c", _KILLED, "survey", str(register), "--year", str(YEAR),
                              "--out", str(forms), "--overwrite"], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        assert child.stdout.readline().strip() == "holding"
        child.send_signal(signal.SIGKILL)  # no clean-up of any kind
        child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    left = {p.name: p.read_bytes() for p in forms.iterdir()}
    strays = sorted(set(left) - set(before))
    assert strays and all(name.startswith(".~xlkit-") for name in strays)  # the temporary files of the set
    assert {name: left[name] for name in before} == before  # every form as it was: the old set
    done = inquiry_tasks.survey(book(register), forms, year=YEAR, overwrite=True)
    assert sorted(p.name for p in forms.iterdir()) == sorted(before)  # the new set, and nothing beside
    assert {p.name for p in done.paths} | {done.listing.name} == set(before)
    assert all(form_of(forms, f.division).read_bytes() != before[f.name] for f in done.forms)


# --------------------------------------------------------------------------- what no form lists


def _refs(forms_: list) -> set[str]:
    return {case.ref for form in forms_ for case in form.cases}


@pytest.mark.parametrize("cited,asked", [
    (None, set()),  # the sample as shipped: no linkage cites a case, so none is missing its linkage
    ("2024-2", {"2024-1", "2024-3", "2025-32"}),  # cases from the first 年度 cited on
    ("2025-24", {"2025-23", "2025-32"}),  # a case of 2025 cited first: those of 2024 predate the practice
])
def test_the_survey_pre_lists_the_cases_validate_warns_of(tmp_path, cited, asked):
    """One decision (xlkit.rules.cases_without_linkage): 入力チェック's case-without-linkage and the
    survey's pre-listed cases are the same cases, a register that cites none included."""
    from xlkit import inquiry, tasks

    path = Path(shutil.copyfile(SAMPLE, tmp_path / "登録簿.xlsx"))
    if cited:
        def cite(wb):
            ws = wb[LINK.sheet]
            ws.cell(linkage_row(ws, "H13-001"), headers(ws)[LINK.header("case_ref")]).value = cited

        edit_register(path, cite)
    register = book(path)
    cases = {r.row: f"{r.get('fiscal_year')}-{r.get('no')}" for r in register.cases}
    warned = {cases[int(i.cell[1:])] for i in tasks.validate(register).issues if i.code == "case-without-linkage"}
    surveyed = inquiry.plan(register, YEAR, on=dt.date(2022, 5, 1))
    assert _refs(surveyed.forms) == warned
    assert asked <= warned and cited not in warned
    if cited == "2025-24":
        assert not [ref for ref in warned if ref.startswith("2024-")]
    assert surveyed.cases == []  # each of them on a form of its 担当課


def test_an_approved_case_no_form_can_list_is_named_not_dropped(register, tmp_path, capsys):
    """A pending case whose 担当課 is not on the 課 sheet, or was abolished with no 課 carrying its
    work on, is on no form: the survey names its cell, as it names such linkages."""
    def orphan(wb):
        ws = wb["課"]
        ws.append(["廃止課", "区長", None, dt.datetime(2021, 3, 31), None])  # abolished, no successor
        ws = wb[schema.case().sheet]
        col = headers(ws)
        for r in range(2, ws.max_row + 1):
            if (ws.cell(r, col["年度"]).value, ws.cell(r, col["№"]).value) == (2024, 3):
                ws.cell(r, col["担当課"]).value = "存在しない課"
            if (ws.cell(r, col["年度"]).value, ws.cell(r, col["№"]).value) == (2024, 11):
                ws.cell(r, col["担当課"]).value = "廃止課"

    edit_register(register, orphan)
    rows = {f"{r.get('fiscal_year')}-{r.get('no')}": r for r in book(register).cases}
    code, out, err = run_cli(capsys, "survey", register, "--year", YEAR, "--out", tmp_path / "f")
    assert code == 0, err
    places = "、".join(f"審議案件!{rows[ref].letters['divisions']}{rows[ref].row}" for ref in ("2024-3", "2024-11"))
    assert "承認済みでまだ外部結合のない審議案件 2 件は" in err and f"どの照会票にも載せていません（{places}）" in err
    listed = {ws.cell(r, headers(ws)[LINK.header("case_ref")]).value for p in (tmp_path / "f").glob("照会票_*.xlsx")
              for ws in [openpyxl.load_workbook(p)[inquiry.NEW]] for r in range(2, ws.max_row + 1)}
    assert not {"2024-3", "2024-11"} & listed and "2025-32" in listed  # the other cases are asked as ever


# --------------------------------------------------------------------------- the register's rules, on the rows written


def test_checking_only_the_rows_an_answer_writes_finds_what_checking_the_whole_register_did(
        register, forms, tmp_path, monkeypatch):
    """answers._validate runs the one-cell checks on the rows answers write only: each problem and
    warning is the one the whole register's check gave (the rules across rows still see it all)."""
    from xlkit import validation

    def staff_typos(wb):  # cells of the register itself that 入力チェック refuses, on rows nobody answers
        ws = wb[LINK.sheet]
        col = headers(ws)
        ws.cell(linkage_row(ws, "H21-002"), col[LINK.header("partner")]).value = "ｺｸﾐﾝｹﾝｺｳﾎｹﾝ"
        ws.cell(linkage_row(ws, "R1-001"), col[LINK.header("division")]).value = "税務科"

    edit_register(register, staff_typos)
    files = [fill(form_of(forms, "税務課"), tmp_path / "a.xlsx", ends={"H19-001": "R3.9.30", "H22-003": "R3.2.1"},
                  new=[linkage("税務科", "電子申告", "R3.10.1"), linkage("税務課", "逆順", "R3.9.1", end="R3.8.1"),
                       linkage("税務課", "ｶﾅの業務", "R5.9.1", note="　")]),
             fill(form_of(forms, "総務課"), tmp_path / "b.xlsx", new=[linkage("総務課", "電子申請", "R3.9.1", basis="")])]
    register_book = book(register)

    def planned():
        return inquiry_tasks.plan_collect(register_book, inquiry_tasks.read_answers(register_book, files), YEAR)

    fast = planned()
    whole = validation.validate_book
    monkeypatch.setattr(validation, "validate_book", lambda merged, rows=None: whole(merged))
    slow = planned()
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems] and len(fast.problems) >= 4
    assert [str(w) for w in fast.warnings] == [str(w) for w in slow.warnings] and fast.warnings
    # and on the register itself: the issues of the rows asked for are those of the whole check
    monkeypatch.undo()
    rows = {12, 19, 23, 69, 90}
    some = validation.validate_book(register_book, rows={LINK.sheet: rows}).issues
    every = validation.validate_book(register_book).issues
    on_rows = [i for i in every if i.sheet == LINK.sheet and _row_of_cell(i.cell) in rows]
    assert [i for i in some if i.sheet == LINK.sheet and _row_of_cell(i.cell) in rows] == on_rows and on_rows
    assert all(i in every for i in some)


def _row_of_cell(cell: str) -> int | None:
    from xlkit.addresses import split_cell

    parts = split_cell(cell)
    return parts[1] if parts else None


# --------------------------------------------------------------------------- forms staff decorated


def test_forms_staff_decorated_are_collected_as_any_other(register, forms, tmp_path, capsys):
    """A 課 adds a picture, a text box, a chart, a comment, a conditional format and a hyperlink to
    its answer (support.decorate): the answer is read as it would be without them."""
    from support.decorate import decorate

    filled = fill(form_of(forms, "税務課"), tmp_path / "記入.xlsx", ends={"H19-001": "R3.9.30"},
                  new=[linkage("税務課", "電子申告", "R3.10.1")])
    decorated = tmp_path / "回答" / form_of(forms, "税務課").name
    decorated.parent.mkdir()
    deco = decorate(filled, decorated, on=(inquiry.HOWTO, inquiry.CONTINUING))
    assert deco.added and deco.places["comment"] == f"{inquiry.CONTINUING}!B2"
    code, out, err = run_cli(capsys, "collect", register, decorated, "--year", YEAR)
    assert code == 0, out + err
    rows = by_id(register)
    assert rows["H19-001"].get("end") == dt.date(2021, 9, 30)
    assert [r.get("business") for r in rows.values() if r.get("fiscal_year") == YEAR] == ["電子申告"]
    assert status_rows(register)["税務課"]["state"] == answers.STATE_DONE
