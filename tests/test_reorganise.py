"""組織改正 end to end: `xlkit reorganise` on a copy of the sample, then the reports, the survey,
collecting an answer, validation and 変更履歴 of the register it wrote; and every refusal.

The acceptance case: on 2021-04-01 戸籍住民課 is renamed 戸籍課 and 滞納対策課 is merged into 税務課
(both of 区長, both with linkages in the sample). Two linkages of the old names found late (記載漏れ,
counted in 令和3年度) are imported first, so that the 令和3年度 report has rows to print.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlkit import history, inquiry, inquiry_tasks, reorg, schema
from xlkit.export import api
from xlkit.issues import ERROR, WARNING
from xlkit.org import Division
from xlkit.workbook import reader
from support import SAMPLE, check_file, digest, forms, needs_soffice, run_cli, said
from support.reorg import CHANGES, OLD_NAMES, detail_divisions, with_late_linkages

D = dt.date
DAY = D(2021, 4, 1)
LINKAGE, DIVISION = schema.linkage(), schema.division()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reorganise")


@pytest.fixture(scope="module")
def base(folder) -> Path:
    """The sample at the current format, with the two late linkages: the register before the change."""
    return with_late_linkages(SAMPLE, folder / "base.xlsx")


@pytest.fixture(scope="module")
def changes(folder) -> Path:
    path = folder / "changes.txt"
    path.write_text(CHANGES, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def after(base, changes, folder):
    """A copy of `base` reorganised by the command; (its path, what the command printed)."""
    path = folder / "after.xlsx"
    shutil.copyfile(base, path)
    code, out, err = run_cli(None, "reorganise", path, changes, "--from", "2021-04-01")
    assert (code, err) == (0, ""), err
    return path, out


def report_cells(path: Path) -> dict[str, list[list]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)] for ws in wb}


# --- the 課 sheet -----------------------------------------------------------------------------

def test_the_old_names_end_and_the_new_ones_sit_below_their_predecessor(after):
    path, out = after
    book = reader.load(path)
    names = [(d.row, d.name, d.valid_from, d.valid_to, d.successors) for d in book.org]
    assert names[7:13] == [
        (9, "税務課", None, D(2021, 3, 31), ("税務課",)),
        (10, "滞納対策課", None, D(2021, 3, 31), ("税務課",)),
        (11, "税務課", DAY, None, ()),  # below the last of the merged 課
        (12, "戸籍住民課", None, D(2021, 3, 31), ("戸籍課",)),
        (13, "戸籍課", DAY, None, ()),
        (14, "男女共同参画課", None, None, ()),
    ]
    assert len(book.org) == len(reader.load(SAMPLE).org) + 2
    assert [d.name for d in book.org][-1] == "議会事務局"
    assert all(d.body == "区長" for d in book.org[7:13])
    assert [i for i in book.issues if i.sheet == DIVISION.sheet] == []
    assert "令和3年4月1日" in out and "「戸籍課」（名称変更）" in out and "変更履歴に" in out


def test_the_sheets_other_columns_stay_where_they_were(after):
    path, _ = after
    before = reader.read_grids(SAMPLE)["課"]
    now = reader.read_grids(path)["課"]
    assert now[0] == before[0]  # the headers and the note beside them
    width = len(DIVISION.columns)
    assert all(row[width:] == [""] * len(row[width:]) or not any(row[width:]) for row in now[1:])


def test_history_records_every_change_in_the_same_write(after, changes):
    path, _ = after
    rows = [r for r in forms.sheet_rows(path, schema.history()) if r.get("action") == history.REORGANISE]
    said_of = {r["column"]: r for r in rows}
    assert said_of["課・戸籍住民課・終了日"]["new"] == "令和3年3月31日"
    assert said_of["課・戸籍住民課・後継の課"]["new"] == "戸籍課"
    assert said_of["課・滞納対策課・後継の課"]["new"] == "税務課"
    assert said_of["課・戸籍課・課"]["new"] == "戸籍課"
    assert said_of["課・戸籍課・実施機関"]["new"] == "区長"
    assert said_of["課・戸籍課・開始日"]["new"] == "令和3年4月1日"
    assert said_of["課・男女共同参画課・行"]["old"] == "12行目" and said_of["課・男女共同参画課・行"]["new"] == "14行目"
    assert said_of["課・戸籍住民課・行"]["new"] == "12行目"
    assert len([r for r in rows if r["column"].endswith("・行")]) == 27  # rows 11–37 move down
    assert len(rows) == 3 * 2 + 2 * 3 + 27
    assert {r["source"] for r in rows} == {changes.name}


# --- the reports ------------------------------------------------------------------------------

def test_the_2020_report_still_prints_the_old_names_unchanged(base, after, folder):
    path, _ = after
    old = api.export_linkages(reader.load(base), 2020, folder / "2020_before.xlsx")
    new = api.export_linkages(reader.load(path), 2020, folder / "2020_after.xlsx")
    assert report_cells(new) == report_cells(old)
    assert "戸籍住民課" in detail_divisions(new, 1) and "戸籍課" not in detail_divisions(new, 1)


def test_a_2021_report_prints_the_names_of_2021(base, after, folder):
    path, _ = after
    before = api.export_linkages(reader.load(base), 2021, folder / "2021_before.xlsx")
    assert detail_divisions(before, 1) == ["滞納対策課", "戸籍住民課"]
    report = api.export_linkages(reader.load(path), 2021, folder / "2021_after.xlsx")
    assert detail_divisions(report, 1) == ["税務課", "戸籍課"]  # in the chart order of the names printed
    text = str(report_cells(report))
    assert not any(name in text for name in OLD_NAMES)


def test_the_register_keeps_the_names_its_rows_were_typed_with(after):
    path, _ = after
    book = reader.load(path)
    assert sum(1 for r in book.linkages if r.get("division") == "戸籍住民課") == 8


# --- validation ----------------------------------------------------------------------------

def test_continuing_rows_under_the_old_names_are_warnings_not_errors(after):
    path, _ = after
    book = reader.load(path)
    issues = [i for i in check_file(path).issues if i.code.startswith("division-")]
    linkage = [i for i in issues if i.sheet == LINKAGE.sheet]
    going_on = {r.cell("division") for r in book.linkages if r.get("division") in OLD_NAMES
                and (r.get("end") is None or r.get("end") > D(2021, 3, 31))}
    assert {i.cell for i in linkage} == going_on and len(going_on) == 9
    assert {(i.code, i.severity) for i in linkage} == {("division-renamed", WARNING)}
    assert all(i.message.startswith("組織改正前の課名です") for i in linkage)
    # the sample's 令和7年度 case of 戸籍住民課 names a 課 renamed before its 付議日: the 課 sheet says
    # which name that day had, so this is a notice too, not an error
    [case] = [i for i in issues if i.sheet == schema.case().sheet]
    assert (case.cell, case.code, case.severity) == ("D13", "division-renamed", WARNING)
    assert case.message.startswith("組織改正前の課名です") and "「戸籍課」" in case.message
    assert not [i for i in check_file(path).issues if i.severity == ERROR]


# --- the survey and its answers ------------------------------------------------------------

@pytest.fixture(scope="module")
def surveyed(after, folder):
    path, _ = after
    out = folder / "照会票"
    done = inquiry_tasks.survey(reader.load(path), out, year=2021, on=D(2022, 5, 1))
    return out, done


def test_the_survey_asks_only_the_課_of_its_day_and_the_new_課_get_the_old_ones_linkages(after, surveyed):
    path, _ = after
    out, done = surveyed
    book = reader.load(path)
    names = {form.division for form in done.forms}
    assert "戸籍課" in names and "税務課" in names
    assert not names & set(OLD_NAMES)
    assert not any(forms.form_of(out, name).exists() for name in OLD_NAMES)
    by_form = {form.division: {v["id"] for v in form.continuing} for form in done.forms}
    asked = {r.get("id"): r.get("division") for r in inquiry.asked(book, 2021)}
    assert by_form["戸籍課"] == {i for i, d in asked.items() if d == "戸籍住民課"}
    assert by_form["税務課"] == {i for i, d in asked.items() if d in ("税務課", "滞納対策課")}
    assert "H30-004" in by_form["税務課"]  # 滞納対策課's
    [tax] = [f for f in done.forms if f.division == "税務課"]
    assert tax.inherited == {"滞納対策課": 2}
    howto = openpyxl.load_workbook(forms.form_of(out, "戸籍課"))[inquiry.HOWTO]
    text = "\n".join(str(c.value) for row in howto.iter_rows() for c in row if c.value)
    assert "組織改正前の課名（戸籍住民課（7 件））" in text


def test_a_survey_made_before_the_change_asks_the_old_課(after, folder):
    path, _ = after
    done = inquiry_tasks.survey(reader.load(path), folder / "照会票_前", year=2020, on=D(2021, 2, 1))
    names = {form.division for form in done.forms}
    assert set(OLD_NAMES) <= names and "戸籍課" not in names


def test_a_survey_naming_a_closed_課_is_refused(after, folder):
    path, _ = after
    with pytest.raises(Exception) as refused:
        inquiry_tasks.survey(reader.load(path), folder / "照会票_x", year=2021, divisions=["戸籍住民課"],
                             on=D(2022, 5, 1))
    assert "戸籍住民課" in said(refused.value) and "有効な課名ではありません" in said(refused.value)


def test_collecting_a_successors_answer_ends_old_rows_and_adds_rows_of_the_new_課(after, surveyed, folder):
    path, _ = after
    out, _ = surveyed
    register = folder / "collect.xlsx"
    shutil.copyfile(path, register)
    answer = forms.fill(forms.form_of(out, "戸籍課"), folder / "回答" / forms.form_of(out, "戸籍課").name,
                        ends={"H27-007": "R3.9.30"},
                        new=[forms.linkage("戸籍課", "マイナンバーカード交付予約", "R3.7.1")])
    done = inquiry_tasks.collect(register, [answer], year=2021)
    assert done.written and not done.plan.problems and not done.plan.conflicts
    book = reader.load(register)
    [ended] = [r for r in book.linkages if r.get("id") == "H27-007"]
    assert ended.get("end") == D(2021, 9, 30) and ended.get("division") == "戸籍住民課"
    [added] = [r for r in book.linkages if r.get("business") == "マイナンバーカード交付予約"]
    assert (added.get("division"), added.get("body"), added.get("fiscal_year")) == ("戸籍課", "区長", 2021)
    status = {r["division"]: r for r in forms.sheet_rows(register, schema.status())}
    assert not set(OLD_NAMES) & set(status)  # a closed 課 was not asked: no 未回答 line
    assert status["戸籍課"]["state"] == "取込済み"


# --- refusals ------------------------------------------------------------------------------

REFUSED = [
    ("旧課名\t新課名\t種別\n存在しない課\t新しい課\t名称変更\n", ["2行目の「旧課名」", "存在しない課", "ありません"]),
    ("旧課名\t新課名\t種別\n税務課\t税政課\t名称変更\n税務課\t収納課\t名称変更\n", ["名称変更は1つの課", "3行目"]),
    ("旧課名\t新課名\t種別\n税務課\t税政課\t統合\n", ["2行目の「種別」", "統合は", "2行以上"]),
    ("旧課名\t新課名\t種別\n税務課\t税政課\t分割\n", ["分割は", "2行以上"]),
    ("旧課名\t新課名\t種別\n税務課\t税政課\t統合\n滞納対策課\t税政課\t名称変更\n", ["種別がそろっていません"]),
    ("旧課名\t新課名\t種別\n税務課\t税政課\t廃止\n", ["種別「廃止」は使えません", "名称変更・統合・分割"]),
    ("旧課名\t新課名\t種別\n税務課\t総務課\t名称変更\n", ["新課名「総務課」", "6行目", "新課名に使えません"]),
    ("旧課名\t新課名\t種別\n総務課\t総合管理課\t統合\n教育支援課\t総合管理課\t統合\n",
     ["統合する課の実施機関が違います", "区長・教育委員会", "「実施機関」の列"]),
    ("旧課名\t新課名\t種別\t実施機関\n税務課\t税政課\t名称変更\t区議会\n", ["実施機関「区議会」", "ありません"]),
    ("旧課名\t新課名\t種別\n税務課\t\t名称変更\n", ["2行目の「新課名」が空欄です"]),
    ("旧課\t新課名\t種別\n税務課\t税政課\t名称変更\n", ["1行目（見出し）に列「旧課名」がありません"]),
    ("旧課名\t新課名\t種別\n", ["変更の行がありません"]),
    ("", ["変更の行がありません"]),
]


@pytest.mark.parametrize("table, words", REFUSED)
def test_every_refusal_names_the_table_cell_and_writes_nothing(base, folder, table, words, capsys):
    path = folder / "refused.xlsx"
    if not path.exists():
        shutil.copyfile(base, path)
    before = digest(path)
    changes = folder / "refused.txt"
    changes.write_text(table, encoding="utf-8")
    code, out, err = run_cli(capsys, "reorganise", path, changes, "--from", "2021-04-01")
    assert code == 2, out + err
    for word in words:
        assert word in err, err
    assert "登録簿は変えていません" in err and "エラー" in err
    assert digest(path) == before


def test_an_old_name_that_ended_already_is_refused(after, folder, capsys):
    path, _ = after
    changes = folder / "again.txt"
    changes.write_text("旧課名\t新課名\t種別\n戸籍住民課\t戸籍二課\t名称変更\n", encoding="utf-8")
    before = digest(path)
    code, _, err = run_cli(capsys, "reorganise", path, changes, "--from", "2022-04-01")
    assert code == 2 and "令和3年3月31日で終わっている課名です" in err and "2行目の「旧課名」" in err
    changes.write_text("旧課名\t新課名\t種別\n戸籍課\t戸籍二課\t名称変更\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "reorganise", path, changes, "--from", "2021-03-01")  # 戸籍課 not yet begun
    assert code == 2 and "令和3年4月1日からの課名です" in err
    assert digest(path) == before


def test_a_merge_of_two_bodies_goes_with_the_body_given(base, folder, capsys):
    path = folder / "bodies.xlsx"
    shutil.copyfile(base, path)
    changes = folder / "bodies.txt"
    changes.write_text("旧課名\t新課名\t種別\t実施機関\n総務課\t総合管理課\t統合\t区長\n教育支援課\t総合管理課\t統合\t\n",
                       encoding="utf-8")
    code, out, _ = run_cli(capsys, "reorganise", path, changes, "--from", "2021-04-01", "--dry-run")
    assert code == 0 and "実施機関 区長" in out and "「教育支援課」の下に加えます" in out


def test_a_dry_run_shows_the_plan_and_writes_nothing(base, changes, capsys):
    before = digest(base)
    code, out, _ = run_cli(capsys, "reorganise", base, changes, "--from", "R3.4.1", "--dry-run")
    assert code == 0
    assert "「戸籍住民課」（11行目）：終了日 令和3年3月31日、後継の課 戸籍課" in out
    assert "11行目から下の 27 行" in out and "確かめただけです" in out
    assert digest(base) == before


def test_a_bad_from_date_is_refused(base, changes, capsys):
    code, _, err = run_cli(capsys, "reorganise", base, changes, "--from", "2021-13-01")
    assert code == 2 and "--from" in err


def test_the_table_may_be_the_first_sheet_of_an_xlsx_and_its_cells_are_named(base, folder, capsys):
    table = folder / "組織改正.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "令和3年4月"
    for row in (["旧課名", "新課名", "種別"], ["存在しない課", "戸籍課", "名称変更"]):
        ws.append(row)
    wb.create_sheet("メモ").append(["旧課名", "新課名", "種別"])
    wb.save(table)
    code, _, err = run_cli(capsys, "reorganise", base, table, "--from", "2021-04-01", "--dry-run")
    assert code == 2 and "A2（旧課名）" in err and "令和3年4月" in err
    ws["A2"] = "戸籍住民課"
    wb.save(table)
    code, out, _ = run_cli(capsys, "reorganise", base, table, "--from", "2021-04-01", "--dry-run")
    assert code == 0 and "後継の課 戸籍課" in out


# --- registers of other shapes ----------------------------------------------------------------

def test_an_old_format_課_sheet_of_two_columns_is_read_and_must_be_upgraded_before_a_change(folder, changes, capsys):
    old = Path(__file__).resolve().parent / "fixtures" / "format3_sample.xlsx"
    book = reader.load(old)
    assert book.format == 3 and book.missing["課"] == {"valid_from", "valid_to", "successor"}
    assert all(d.valid_from is None and d.valid_to is None for d in book.org)
    assert [(d.name, d.body) for d in book.org] == book.divisions
    assert [i for i in book.issues if i.sheet == "課"] == []
    copy = folder / "format3.xlsx"
    shutil.copyfile(old, copy)
    code, _, err = run_cli(capsys, "reorganise", copy, changes, "--from", "2021-04-01")
    assert code == 2 and "xlkit upgrade" in err


def test_a_課_sheet_without_the_period_columns_is_refused_by_name(folder, changes, make_register, capsys):
    path = make_register(folder / "bare.xlsx")  # the current format, but a 課 sheet of two columns
    code, _, err = run_cli(capsys, "reorganise", path, changes, "--from", "2021-04-01")
    assert code == 2 and "開始日" in err and "後継の課" in err
    assert "xlkit upgrade" not in err and "1行目（見出し）" in err  # the register is of the current format


def test_a_split_inserts_each_new_課_in_table_order_and_other_columns_move_with_their_row(folder, make_register,
                                                                                       capsys):
    rows = [[*DIVISION.headers, "メモ"], ["総務課", "区長", None, None, None, "メモ1"],
            ["税務課", "区長", None, None, None, "メモ2"], ["会計室", "区長", None, None, None, "メモ3"],
            ["教育支援課", "教育委員会", dt.datetime(2015, 4, 1), None, None, "メモ4"]]
    path = make_register(folder / "split.xlsx", sheets={"課": rows})
    changes = folder / "split.txt"
    changes.write_text("旧課名\t新課名\t種別\n税務課\t課税課\t分割\n税務課\t納税課\t分割\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "reorganise", path, changes, "--from", "2021-04-01")
    assert code == 0, err
    book = reader.load(path)
    assert [(d.name, d.valid_from, d.valid_to, d.successors) for d in book.org] == [
        ("総務課", None, None, ()), ("税務課", None, D(2021, 3, 31), ("課税課", "納税課")),
        ("課税課", DAY, None, ()), ("納税課", DAY, None, ()), ("会計室", None, None, ()),
        ("教育支援課", D(2015, 4, 1), None, ())]
    grid = reader.read_grids(path)["課"]
    # staff's memo beside each 課 moves down with its row; the new 課 have none
    assert [row[5] for row in grid[1:]] == ["メモ1", "メモ2", "", "", "メモ3", "メモ4"]
    assert grid[6][2] == dt.datetime(2015, 4, 1) or grid[6][2] == D(2015, 4, 1)  # a date moves as a date
    assert [i for i in book.issues if i.sheet == "課"] == []


def test_a_planned_sheet_keeps_every_row_once(base):
    book = reader.load(base)
    table = reorg.parse_text(CHANGES, "changes.txt")
    plan = reorg.plan(book.org, book.bodies, table, DAY)
    sheet = plan.sheet(book.org)
    assert len(sheet) == len(book.org) + 2
    assert [d.row for d in sheet if d.row] == [d.row for d in book.org]
    assert Division("戸籍課", "区長", DAY) in sheet


def test_a_survey_names_the_linkages_of_an_abolished_課_that_no_form_lists(folder, make_register, make_linkage):
    rows = [DIVISION.headers, *([name, body] for name, body in schema.masters()["課"]),
            ["廃止課", "区長", None, dt.datetime(2021, 3, 31), None]]
    path = make_register(folder / "abolished.xlsx", [make_linkage(2, division="廃止課", start=D(2020, 6, 1))],
                         sheets={"課": rows})
    done = inquiry_tasks.survey(reader.load(path), folder / "照会票_廃止", year=2021, on=D(2022, 5, 1))
    assert "廃止課" not in {form.division for form in done.forms}
    [note] = done.notes
    assert "外部結合!C2" in note and "後継の課" in note and "令和4年5月1日" in note


# --- rows that move down whole -------------------------------------------------------------------

RENAME = "旧課名\t新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n"  # a new row below 11: rows 12–37 move down one


def _staff_marked(path: Path) -> Path:
    """The sample with what staff put on the 課 sheet below 戸籍住民課 (row 11): a memo column G with
    a merged memo (G20:H20) and a link (G25), a yellow rule over A25:E30, a list for G2:G30, a print
    area and a page break after row 30."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.pagebreak import Break

    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb[DIVISION.sheet]
    for r in range(2, 38):
        ws.cell(r, 7).value = f"{ws.cell(r, 1).value}のメモ"
    ws.merge_cells("G20:H20")
    ws["G25"].hyperlink = "https://example.invalid/kourei"
    ws.conditional_formatting.add("A25:E30", FormulaRule(formula=["TRUE"], fill=PatternFill("solid", bgColor="FFFF00")))
    memo_list = DataValidation(type="list", formula1='"要確認,確認済み"', allow_blank=True)
    memo_list.add("G2:G30")
    ws.add_data_validation(memo_list)
    ws.print_area = "A1:G37"
    ws.row_breaks.append(Break(id=30))
    wb.save(path)
    return path


def test_what_points_at_the_rows_below_moves_with_them(folder, capsys):
    path = _staff_marked(folder / "marked.xlsx")
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, RENAME), "--from", "2021-04-01")
    assert code == 0, err
    ws = openpyxl.load_workbook(path)[DIVISION.sheet]
    names = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    assert all(ws.cell(r, 7).value == f"{name}のメモ" for name, r in names.items() if name != "戸籍課")
    assert ws.cell(names["戸籍課"], 7).value is None
    assert [str(m) for m in ws.merged_cells.ranges] == ["G21:H21"]
    assert ws["G26"].hyperlink.target == "https://example.invalid/kourei"
    assert [str(c.sqref) for c in ws.conditional_formatting] == ["A26:E31"]
    assert [str(v.sqref) for v in ws.data_validations.dataValidation if "G" in str(v.sqref)] == ["G2:G31"]  # grew
    assert ws.print_area == "'課'!$A$1:$G$38"
    assert [b.id for b in ws.row_breaks.brk] == [31]
    assert [i for i in reader.load(path).issues if i.sheet == DIVISION.sheet] == []


def _table(folder: Path, text: str, name: str = "rows.txt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _with_parts(src: Path, dst: Path, sheet_tail: bytes, extra: dict[str, bytes], content_type: bytes) -> Path:
    """`src` with the 課 sheet given `sheet_tail` before </worksheet> and `extra` parts added."""
    import zipfile

    from xlkit.workbook.package import Package

    with Package(src) as package:
        part = package.sheet_part(DIVISION.sheet)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = data.replace(b"</worksheet>", sheet_tail + b"</worksheet>")
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", content_type + b"</Types>")
            zout.writestr(info, data)
        folder, name = part.rsplit("/", 1)
        for extra_part, data in extra.items():
            zout.writestr(extra_part.replace("{rels}", f"{folder}/_rels/{name}.rels"), data)
    return dst


def _shape_anchor(row: int, edit_as: str | None = None, number: int = 1) -> str:
    """A rectangle anchored from Excel row `row` down to row `row` + 2 (G to I), as Excel writes it;
    `edit_as`: its placement (absolute: 「セルに合わせて移動やサイズ変更をしない」)."""
    placement = f' editAs="{edit_as}"' if edit_as else ""
    return (f'<xdr:twoCellAnchor{placement}>'
            f'<xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
            f'<xdr:to><xdr:col>8</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row + 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
            f'<xdr:sp><xdr:nvSpPr><xdr:cNvPr id="{number + 1}" name="四角形 {number}"/><xdr:cNvSpPr/></xdr:nvSpPr><xdr:spPr>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:sp><xdr:clientData/>'
            '</xdr:twoCellAnchor>')


def _picture(path: Path, *anchors: tuple[int, str | None]) -> Path:
    """The sample with shapes on the 課 sheet, each anchored at Excel row `row` with its placement."""
    drawing = ('<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
               'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
               + "".join(_shape_anchor(row, edit_as, i) for i, (row, edit_as) in enumerate(anchors, start=1))
               + '</xdr:wsDr>').encode()
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            b'Id="rIdPic" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" '
            b'Target="../drawings/drawing9.xml"/></Relationships>')
    return _with_parts(SAMPLE, path, b'<drawing r:id="rIdPic"/>', {"{rels}": rels, "xl/drawings/drawing9.xml": drawing},
                       b'<Override PartName="/xl/drawings/drawing9.xml" '
                       b'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>')


def _shape_rows(path: Path) -> list[tuple[int, int]]:
    """(from, to) Excel rows of each shape of the 課 sheet's drawing, in order."""
    import re
    import zipfile

    drawing = zipfile.ZipFile(path).read("xl/drawings/drawing9.xml")
    rows = [int(r) + 1 for r in re.findall(rb"<xdr:row>(\d+)</xdr:row>", drawing)]
    return list(zip(rows[::2], rows[1::2]))


def test_a_shape_on_the_rows_below_moves_with_them_and_an_absolute_one_or_one_above_stays(folder, capsys):
    """Pictures and shapes move as Excel moves them when rows are inserted (this once asserted a
    refusal; the engine shared with `xlkit upgrade` moves them now): a shape anchored to the rows
    below the new 課 moves down with them, one placed absolutely and one above stay where they are."""
    path = _picture(folder / "shape_below.xlsx", (30, None), (32, "absolute"), (5, None))
    before = digest(path)
    code, out, err = run_cli(capsys, "reorganise", path, _table(folder, RENAME), "--from", "2021-04-01", "--dry-run")
    assert code == 0 and "図・画像・グラフ" not in out + err, err
    assert digest(path) == before  # a dry run writes nothing
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, RENAME), "--from", "2021-04-01")
    assert code == 0, err
    assert _shape_rows(path) == [(31, 33), (32, 34), (5, 7)]
    ws = openpyxl.load_workbook(path)[DIVISION.sheet]
    assert (ws["A12"].value, ws["A31"].value) == ("戸籍課", "建築指導課")  # the rows the shape was on moved as far


def test_a_formula_in_a_row_that_moves_is_refused_in_the_dry_run_too(folder, capsys):
    wb = openpyxl.load_workbook(SAMPLE)
    wb[DIVISION.sheet]["G30"] = '=A30&"のメモ"'  # beside the 課, where the register does not look
    path = folder / "formula_beside.xlsx"
    wb.save(path)
    before = digest(path)
    for dry in ((), ("--dry-run",)):
        code, _, err = run_cli(capsys, "reorganise", path, _table(folder, RENAME), "--from", "2021-04-01", *dry)
        assert code == 2 and "「課」シートの G30 に数式がある" in err and "値に直して" in err, err
    assert digest(path) == before
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, "旧課名\t新課名\t種別\n建築指導課\t建築課\t名称変更\n"),
                           "--from", "2021-04-01")
    assert code == 0, err  # a change below it leaves the formula's row where it is


@pytest.mark.parametrize("sheet, cell, formula, refused", [
    ("課", "G5", "=A30", "「課」シートのセル G5 に「課」シートの11行目より下の行を指す数式"),
    ("集計", "H1", "=課!A30", "「集計」シートに「課」シートの11行目より下の行を指す数式"),
    ("集計", "H1", "=COUNTA(課!A:A)&課!A5", None),  # a whole column, a row that stays
], ids=["same-sheet", "other-sheet", "not-below"])
def test_a_formula_pointing_at_the_rows_that_move_is_refused(folder, sheet, cell, formula, refused, capsys):
    wb = openpyxl.load_workbook(SAMPLE)
    wb[sheet][cell] = formula
    path = folder / f"pointing_{sheet}_{cell}.xlsx"
    wb.save(path)
    before = digest(path)
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, RENAME), "--from", "2021-04-01")
    if refused is None:
        assert code == 0, err
        return
    assert code == 2 and refused in err and digest(path) == before, err


def test_a_note_and_its_box_move_with_their_cell(folder, capsys):
    import re
    import zipfile

    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(SAMPLE)
    wb[DIVISION.sheet]["A30"].comment = Comment("令和4年度に廃止予定", "区政情報課")
    wb[DIVISION.sheet]["A5"].comment = Comment("上のメモ", "区政情報課")
    path = folder / "note.xlsx"
    wb.save(path)
    # as Excel writes a note's box: anchored to rows (LeftColumn, offset, TopRow, offset, …, BottomRow, offset)
    vml = next(n for n in zipfile.ZipFile(path).namelist() if n.endswith(".vml"))
    boxed = folder / "note_boxed.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(boxed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == vml:
                data = re.sub(rb"(<(\w+:)Row>29</\2Row>)", rb"<\2Anchor>1, 15, 28, 10, 3, 15, 33, 4</\2Anchor>\1", data)
            zout.writestr(info, data)
    code, _, err = run_cli(capsys, "reorganise", boxed, _table(folder, RENAME), "--from", "2021-04-01")
    assert code == 0, err
    ws = openpyxl.load_workbook(boxed)[DIVISION.sheet]
    assert {ws.cell(r, 1).value: ws.cell(r, 1).comment.text for r in range(2, ws.max_row + 1) if ws.cell(r, 1).comment} \
        == {"建築指導課": "令和4年度に廃止予定", "情報戦略課": "上のメモ"}
    drawn = zipfile.ZipFile(boxed).read(vml)
    assert sorted(int(r) for r in re.findall(rb"Row>(\d+)<", drawn)) == [4, 30]  # rows counted from 0: A5 stays
    assert re.search(rb"Anchor>1, 15, 29, 10, 3, 15, 34, 4<", drawn)


def test_the_registers_table_grows_over_a_new_課_below_its_last_row_and_a_staff_table_below_is_refused(folder, capsys):
    from openpyxl.worksheet.table import Table

    last = "旧課名\t新課名\t種別\n議会事務局\t区議会事務局\t名称変更\n"  # the last 課 (row 37): the new one on 38
    wb = openpyxl.load_workbook(SAMPLE)
    wb[DIVISION.sheet].add_table(Table(displayName="課の一覧", ref="A1:E37"))
    path = folder / "table_last.xlsx"
    wb.save(path)
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, last), "--from", "2021-04-01")
    assert code == 0, err
    assert openpyxl.load_workbook(path)[DIVISION.sheet].tables["課の一覧"].ref == "A1:E38"
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb[DIVISION.sheet]
    ws["J20"], ws["J21"] = "見出し", "値"
    ws.add_table(Table(displayName="職員の表", ref="J20:J21"))
    path = folder / "table_beside.xlsx"
    wb.save(path)
    before = digest(path)
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, RENAME), "--from", "2021-04-01")
    assert code == 2 and "テーブル「職員の表」" in err and digest(path) == before


@needs_soffice
def test_the_reorganised_課_sheet_opens_in_libreoffice_in_order_with_its_hidden_row_and_memos(folder, capsys):
    import json
    import subprocess

    from support.lo import lo

    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb[DIVISION.sheet]
    ws.row_dimensions[20].hidden = True  # 児童育成担当課
    for r in range(2, 38):
        ws.cell(r, 7).value = f"メモ{r}"
    path = folder / "lo.xlsx"
    wb.save(path)
    code, _, err = run_cli(capsys, "reorganise", path, _table(folder, CHANGES, "lo.txt"), "--from", "2021-04-01")
    assert code == 0, err
    out = folder / "lo"
    lo("render", path, out)
    pdf = json.loads((out / "sheets.json").read_text(encoding="utf-8"))[DIVISION.sheet]
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.split() for line in text.splitlines() if line.split()]
    shown = [line[0] for line in lines if line[0].endswith(("課", "室", "局"))]
    at = shown.index("滞納対策課")
    assert shown[at - 1:at + 5] == ["税務課", "滞納対策課", "税務課", "戸籍住民課", "戸籍課", "男女共同参画課"]
    assert len(shown) == 1 + 36 + 2 - 1  # the header, every 課 and the two new ones, but the hidden one
    assert "児童育成担当課" not in text  # hidden, as it was
    beside = {line[0]: line[-1] for line in lines if line[-1].startswith("メモ")}
    assert beside["戸籍住民課"] == "メモ11" and beside["男女共同参画課"] == "メモ12" and beside["議会事務局"] == "メモ37"


def test_an_xlsx_table_too_big_to_inflate_is_said_to_be_no_change_table(base, folder, monkeypatch, capsys):
    import zipfile

    table = folder / "膨らむ表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["旧課名", "新課名", "種別"])
    wb.save(table)
    with zipfile.ZipFile(table) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    bomb = folder / "bomb_table.xlsx"
    with zipfile.ZipFile(table) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if data == sheet:
                data = data.replace(b"</worksheet>", b"<!--" + b" " * 3_000_000 + b"--></worksheet>")
            zout.writestr(info, data)
    monkeypatch.setenv("XLKIT_LIMITS", "part_bytes=1000000")
    code, _, err = run_cli(capsys, "reorganise", base, bomb, "--from", "2021-04-01")
    assert code == 2 and "組織改正の表ではないファイル" in err and "登録簿ではない" not in err


def test_a_name_that_goes_on_may_take_in_another_課_again_the_next_year(after, folder, capsys):
    path, _ = after
    again = folder / "again.xlsx"
    shutil.copyfile(path, again)
    text = "旧課名\t新課名\t種別\n税務課\t税務課\t統合\n男女共同参画課\t税務課\t統合\n"
    code, _, err = run_cli(capsys, "reorganise", again, _table(folder, text, "again.txt"), "--from", "2022-04-01")
    assert code == 0, err  # 税務課 ends on 2022-03-31 and goes on from 2022-04-01: one name, no gap
    taxes = [(d.valid_from, d.valid_to) for d in reader.load(again).org if d.name == "税務課"]
    assert taxes == [(None, D(2021, 3, 31)), (DAY, D(2022, 3, 31)), (D(2022, 4, 1), None)]
    assert not [i for i in check_file(again).issues if i.severity == ERROR]
