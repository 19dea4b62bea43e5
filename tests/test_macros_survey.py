"""照会票作成 and 回答取込 through xlwings' own remote engine: the same files and the same register as
`xlkit survey` and `xlkit collect`.

The register is the shipped sample (workbooks/sample.xlsx), copied; the forms are answered with
openpyxl the way a 課 answers them in Excel. 回答取込 writes into the open workbook only: its
actions are replayed on a copy of the file (support.payload.apply_actions) and the copy is read
back with the command line's reader, then compared with what `inquiry_tasks.collect` wrote into another
copy from the same answers. The remote engine is xlwings PRO code used under its PolyForm
Noncommercial license (XLWINGS_LICENSE_KEY=noncommercial).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import datetime as dt
import shutil
from pathlib import Path

import pytest

from support import SAMPLE
from support.forms import cite_a_case, fill, folder_state, linkage, run, sample_of_year
from support.forms import logged as _history
from support.forms import statuses as _status
from support.payload import alerts, apply_actions, cell_writes, office_js_payload, remote_book
from xlkit import answers, cli, inquiry, inquiry_tasks, macros, macros_survey, schema, tasks
from xlkit.errors import XlkitError
from xlkit.workbook import design, reader

FORMS = Path("exports") / "照会票"  # beside the workbook (the current folder stands for a payload's)
# the identity rows every issue of a form makes anew: when it was made, its random number, and the
# seal over the identity (which covers that number)
ID_ROWS = ("発行日時", "照会票番号", getattr(inquiry, "SEAL", "照会票番号"))
END = schema.linkage().header("end")
WHO = ("山田 花子", "2345", "R3.10.1")  # 担当者, 内線, 回答日
STARTED = dt.datetime(2021, 7, 1)  # the new linkages' 開始年月日, as Excel keeps a typed date


# --------------------------------------------------------------------------- helpers


def sheets_of(path: Path) -> dict[str, list[list]]:
    """Every sheet's values (the hidden ones too) as calamine reads them, but the identity's rows that
    each issue of a form makes anew (its random number and the time it was made)."""
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    found = {}
    for name in workbook.sheet_names:
        grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if name == inquiry.IDENTITY:
            grid = [[row[0], None, *row[2:]] if row and row[0] in ID_ROWS else row for row in grid]
        found[name] = grid
    return found


def register_copy(folder: Path, *, year: int | None = None) -> Path:
    """workbooks/sample.xlsx copied into `folder`; with `year`, its 報告年度 set to it and its
    前年度公表値 left blank (they are the published figures of the sample's own year)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "登録簿.xlsx"
    if year is None:
        shutil.copyfile(SAMPLE, path)
        return path
    return sample_of_year(path, year)


# --------------------------------------------------------------------------- 照会票作成


def test_the_survey_button_writes_the_forms_xlkit_survey_writes_and_never_overwrites(tmp_path, monkeypatch):
    path = register_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    [alert] = alerts(run(macros.survey, path))
    folder = tmp_path / FORMS
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 36 + 1 and "照会一覧_令和2年度.xlsx" in written, alert[0]
    assert all(n.startswith("照会票_令和2年度_") for n in written if n != "照会一覧_令和2年度.xlsx")
    assert "令和2年度の照会票を 36 課分作成しました" in alert[0]
    assert str(folder) in alert[0] and "照会一覧_令和2年度.xlsx" in alert[0]
    assert alert[3] == "info"

    # the same files, sheet for sheet, as `xlkit survey` on the same register
    assert cli.main(["survey", str(path), "--out", str(tmp_path / "cli")]) == 0
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == written
    for name in written:
        assert sheets_of(folder / name) == sheets_of(tmp_path / "cli" / name), name

    # a second press refuses, in Japanese, and leaves every form as it was
    before = folder_state(folder, times=True)
    actions = run(macros.survey, path)
    [alert] = alerts(actions)
    assert "同じ名前の照会票があります" in alert[0] and "上書きしません" in alert[0]
    assert "「照会票」フォルダの古い照会票を別のフォルダに移して" in alert[0]  # the button's own hint
    assert alert[3] == "critical" and "Traceback" not in alert[0]
    assert [a["func"] for a in actions] == ["alert"]
    assert folder_state(folder, times=True) == before


def test_the_survey_button_refuses_an_older_register_naming_the_upgrade(tmp_path, monkeypatch):
    from support import REPO

    path = tmp_path / "古い登録簿.xlsx"
    shutil.copyfile(REPO / "tests" / "fixtures" / "format1_sample.xlsx", path)
    monkeypatch.chdir(tmp_path)
    [alert] = alerts(run(macros.survey, path))
    assert "以前の形式" in alert[0] and "xlkit upgrade" in alert[0] and "古い登録簿.xlsx" in alert[0]
    assert not (tmp_path / "exports").exists()


# --------------------------------------------------------------------------- 回答取込


@pytest.fixture
def answered(tmp_path):
    """A 令和3年度 register, its 照会票 (by xlkit survey), and two of them answered: 税務課 ends
    H29-001 on R3.9.30, 戸籍住民課 reports a new linkage."""
    path = cite_a_case(register_copy(tmp_path / "register", year=2021))
    folder = tmp_path / "register" / FORMS
    inquiry_tasks.survey(reader.load(path), folder)
    ended = fill(folder / "照会票_令和3年度_税務課.xlsx", ends={"H29-001": "R3.9.30"}, respondent=WHO)
    added = fill(folder / "照会票_令和3年度_戸籍住民課.xlsx", new=[linkage("戸籍住民課", "住民票の写しの広域交付", STARTED)],
                 respondent=("佐藤 一郎", "3456", WHO[2]))
    return path, [ended, added]


def _copy(path: Path, folder: Path) -> Path:
    folder.mkdir()
    return Path(shutil.copy2(path, folder / path.name))


def test_the_collect_button_writes_what_xlkit_collect_writes(tmp_path, answered):
    path, files = answered
    button, command = _copy(path, tmp_path / "button"), _copy(path, tmp_path / "command")
    asked = []

    def confirm(plan, lines):
        asked.append((plan, lines))
        return True

    actions = run(macros.collect, button, choose=lambda book: files, confirm=confirm)
    [(plan, preview)] = asked
    assert (len(plan.new), len(plan.ends)) == (1, 1) and not plan.held
    assert "確認のみ: 新規 1 件、終了 1 件を取り込めます（登録簿は変更していません）。" in preview
    [alert] = alerts(actions)
    assert "令和3年度の回答を取り込みました: 新規 1 件（管理番号 R3-001〜R3-001）、終了年月日 1 件。" in alert[0], alert[0]
    assert "上書き保存" in alert[0] and alert[3] == "info"
    assert "税務課: 取込済み" in alert[0] and "戸籍住民課: 取込済み" in alert[0]

    # Excel's writes, replayed on the file: only the macro's own sheets and 外部結合 are written
    sheets = list(design.sheet_order())
    assert {a["sheet_position"] for a in cell_writes(actions)} == {
        sheets.index(s) for s in (design.linkage_sheet(), design.history_sheet(), design.status_sheet())}
    linkage_writes = [a for a in cell_writes(actions) if a["sheet_position"] == sheets.index(design.linkage_sheet())]
    assert [a["func"] for a in linkage_writes] == ["setValues", "setValues"]  # the new rows' block, one end date
    after = tmp_path / "button" / "after.xlsx"
    assert [a["func"] for a in apply_actions(button, actions, after)] == ["alert"]

    done = inquiry_tasks.collect(command, files)
    assert done.written and done.plan.status == plan.status

    mine, theirs = reader.load(after), reader.load(command)
    assert tasks.validate(mine).errors == 0, [str(i.message) for i in tasks.validate(mine).issues if i.severity == "error"]
    assert [(r.row, r.values) for r in mine.linkages] == [(r.row, r.values) for r in theirs.linkages]
    before = reader.load(path)
    added = mine.linkages[len(before.linkages):]
    assert [(r.get("id"), r.get("division"), r.get("business"), r.get("body"), r.get("fiscal_year"), r.get("start"))
            for r in added] == [("R3-001", "戸籍住民課", "住民票の写しの広域交付", "区長", 2021, dt.date(2021, 7, 1))]
    [ended] = [r for r in mine.linkages if r.get("id") == "H29-001"]
    assert ended.get("end") == dt.date(2021, 9, 30)
    # the new row's dates in the register's own format (R3.7.1), as the command line writes them
    import openpyxl

    from xlkit.workbook.styles import DATE_FORMAT

    ws = openpyxl.load_workbook(after)[design.linkage_sheet()]
    start = ws.cell(added[0].row, [c.value for c in ws[1]].index(schema.linkage().header("start")) + 1)
    assert start.number_format == DATE_FORMAT
    assert all(r.values == b.values for r, b in zip(mine.linkages, before.linkages) if r.get("id") != "H29-001")

    # 変更履歴: one row per written cell (the end date, each filled cell of the new row), as the command's
    history = _history(mine)
    assert history == _history(theirs)
    earlier = _history(before)
    assert history[:len(earlier)] == earlier  # below the rows there were
    history = history[len(earlier):]
    filled = [k for k, v in added[0].values.items() if v not in (None, "", False)]
    assert len(history) == 1 + len(filled)
    # 元ファイル: the file and the form row each cell came from (a form sent again is known by it)
    source = history[0].pop("source")
    assert source.startswith(f"{files[0].name}（継続中の外部結合 ") and "照会票番号" in source
    assert history[0] == {"action": "回答取込", "respondent": "山田 花子（内線 2345）",
                          "id": "H29-001", "column": END, "new": "令和3年9月30日"}
    assert [(h["id"], h["column"], h["source"].split("（")[0]) for h in history[1:]] == [
        ("R3-001", schema.linkage().header(k), files[1].name) for k in filled]
    # 回答状況: a line per 課, the two that answered taken in
    status = _status(mine)
    assert status == _status(theirs)
    lines = {s["division"]: s for s in status}
    assert len(status) == len(before.divisions)
    assert (lines["税務課"]["state"], lines["税務課"]["ended"], lines["税務課"]["respondent"]) == ("取込済み", 1, "山田 花子")
    assert (lines["戸籍住民課"]["state"], lines["戸籍住民課"]["new"], lines["戸籍住民課"]["extension"]) == ("取込済み", 1, "3456")
    assert lines["総務課"]["state"] == "未回答"


def test_collect_again_finds_everything_registered_and_adds_nothing(tmp_path, answered):
    path, files = answered
    first = tmp_path / "first.xlsx"
    apply_actions(path, run(macros.collect, path, choose=lambda b: files, confirm=lambda plan, lines: True), first)
    actions = run(macros.collect, first, choose=lambda b: files, confirm=lambda plan, lines: True)
    [alert] = alerts(actions)
    assert "登録済み（追加していません）（2 件）" in alert[0] and "取り込む回答はありませんでした" in alert[0]
    linkage = list(design.sheet_order()).index(design.linkage_sheet())
    assert not [a for a in cell_writes(actions) if a["sheet_position"] == linkage]


def test_answering_no_writes_nothing(answered):
    path, files = answered
    actions = run(macros.collect, path, choose=lambda book: files, confirm=lambda plan, lines: False)
    assert cell_writes(actions) == [] and alerts(actions) == []


def test_cancelling_the_file_dialog_writes_nothing(answered):
    path, _ = answered
    asked = []
    actions = run(macros.collect, path, choose=lambda book: [], confirm=lambda *a: asked.append(a) or True)
    assert actions == [] and asked == []


def test_a_held_plan_alerts_and_writes_nothing(tmp_path, answered):
    """One bad file (a 課 typed wrong on a new row): all or nothing, as `xlkit collect` without --skip-bad."""
    path, files = answered
    folder = path.parent / FORMS
    typo = fill(folder / "照会票_令和3年度_総務課.xlsx", new=[linkage("総務課課", "文書管理システムの外部結合", STARTED)], respondent=WHO)
    asked = []
    actions = run(macros.collect, path, choose=lambda book: [*files, typo], confirm=lambda *a: asked.append(a) or True)
    assert cell_writes(actions) == [] and asked == []
    [alert] = alerts(actions)
    assert "取り込めない照会票が 1 件あるため、登録簿は変更していません。" in alert[0]
    assert "照会票_令和3年度_総務課.xlsx / 新規の外部結合 / A" in alert[0] and "総務課課" in alert[0]
    assert "取り込めない照会票を直してから、もう一度「回答取込」を押してください。" in alert[0]  # the button's hint
    assert "--skip-bad" not in alert[0]  # the command line's is not
    assert alert[0].startswith("取り込めない照会票が 1 件")  # the outcome first: a message box shows its top
    assert alert[3] == "critical"
    # the command line holds the same plan
    command = inquiry_tasks.collect(_copy(path, tmp_path / "command"), [*files, typo])
    assert command.plan.held and not command.written


@pytest.mark.parametrize("kind", ["register", "text"])
def test_a_file_that_is_no_form_is_refused_in_japanese(tmp_path, answered, kind):
    path, files = answered
    if kind == "register":
        other = Path(shutil.copyfile(SAMPLE, tmp_path / "登録簿のコピー.xlsx"))
        said = "xlkit の照会票ではありません"
    else:
        other = tmp_path / "メモ.txt"
        other.write_text("回答です", encoding="utf-8")
        said = "照会票として読めません"
    actions = run(macros.collect, path, choose=lambda book: [files[0], other], confirm=lambda *a: True)
    assert cell_writes(actions) == []
    [alert] = alerts(actions)
    assert f"{other.name}: " in alert[0] and said in alert[0]
    assert "Traceback" not in alert[0] and "Error" not in alert[0]


def test_an_unexpected_failure_is_a_japanese_alert(answered, monkeypatch):
    path, files = answered

    def broken(book, sources, year=None, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(inquiry_tasks, "plan_collect", broken)
    actions = run(macros.collect, path, choose=lambda book: files, confirm=lambda *a: True)
    [alert] = alerts(actions)
    assert "予期しない問題" in alert[0] and "RuntimeError: boom" in alert[0] and cell_writes(actions) == []


def test_the_collect_button_refuses_an_older_register_before_asking_for_files(tmp_path):
    from support import REPO

    path = tmp_path / "古い登録簿.xlsx"
    shutil.copyfile(REPO / "tests" / "fixtures" / "format1_sample.xlsx", path)
    chosen = []
    actions = run(macros.collect, path, choose=lambda book: chosen.append(book) or [], confirm=lambda *a: True)
    [alert] = alerts(actions)
    assert "以前の形式" in alert[0] and "xlkit upgrade" in alert[0]
    assert chosen == [] and cell_writes(actions) == []


# --------------------------------------------------------------------------- what only Excel has


def test_text_is_written_so_that_excel_keeps_it_as_text():
    for text in ("R3.9.30", "令和3年9月30日", "2021/10/01 12:00:00", "001", "１２３", "=A1", "-abc", "TRUE", "#N/A",
                 "(1)", "1e5", "'quoted", "1-Oct", "Jan-21", "Feb 3", "October 5"):
        assert macros.excel_text(text) == "'" + text, text
    for text in ("住民票の写しの広域交付", "地方公共団体情報システム機構", "氏名、住所、生年月日", "", "LGWAN-ASP",
                 "Monday backup"):
        assert macros.excel_text(text) == text


class _Com:
    """The part of Excel's Worksheet object the macro uses, recording the calls."""

    def __init__(self, protected=True, refuse=False):
        self.calls, self.ProtectContents, self._refuse = [], protected, refuse

    def Unprotect(self):
        if self._refuse:
            raise RuntimeError("(-2147352567, 'パスワードが違います')")
        self.calls.append(("Unprotect",))

    def Protect(self, **kwargs):
        self.calls.append(("Protect", kwargs))


class _Sheet:
    def __init__(self, api, name="変更履歴"):
        self.api, self.name = api, name


def test_a_protected_log_sheet_is_unprotected_for_the_writes_and_protected_again():
    com = _Com()
    with macros_survey.unprotected(_Sheet(com)):
        com.calls.append(("write",))
    assert com.calls == [("Unprotect",), ("write",),
                         ("Protect", {"AllowFiltering": True, "AllowSorting": True, "AllowFormattingColumns": True})]
    # protected again when a write fails too
    com = _Com()
    with pytest.raises(ValueError), macros_survey.unprotected(_Sheet(com)):
        raise ValueError
    assert [c[0] for c in com.calls] == ["Unprotect", "Protect"]
    # a sheet staff left unprotected stays so
    com = _Com(protected=False)
    with macros_survey.unprotected(_Sheet(com)):
        pass
    assert com.calls == []


def test_the_remote_engine_has_no_protection_to_lift():
    book = remote_book(office_js_payload(SAMPLE))
    sheet = book.sheets[design.history_sheet()]
    assert macros_survey._com(sheet) is None  # its .api is the JSON the client sent
    with macros_survey.unprotected(sheet):
        sheet.range((2, 1)).value = [["x"]]
    assert [a["func"] for a in book.json()["actions"]] == ["setValues"]


def test_a_sheet_protected_with_a_password_is_said_in_japanese():
    with pytest.raises(XlkitError) as refused, macros_survey.unprotected(_Sheet(_Com(refuse=True), name="回答状況")):
        pytest.fail("written to a sheet that is still protected")
    assert "「回答状況」シートの保護を解除できない" in refused.value.message


class _App:
    def __init__(self, picked):
        self.picked, self.asked, self.folders = picked, [], []

    def ExecuteExcel4Macro(self, text):
        self.folders.append(text)

    def GetOpenFilename(self, file_filter, **kwargs):
        self.asked.append((file_filter, kwargs))
        return self.picked


class _Book:
    def __init__(self, app, fullname):
        self.app, self.fullname, self.name = type("A", (), {"api": app})(), fullname, Path(fullname).name


@pytest.mark.parametrize("picked, expected", [
    (False, []), (("C:/照会票/a.xlsx", "C:/照会票/b.xlsx"), [Path("C:/照会票/a.xlsx"), Path("C:/照会票/b.xlsx")]),
    ("C:/照会票/a.xlsx", [Path("C:/照会票/a.xlsx")]),
], ids=["cancelled", "two", "one"])
def test_the_file_dialog_asks_for_several_forms_and_starts_in_the_forms_folder(tmp_path, picked, expected):
    (tmp_path / FORMS).mkdir(parents=True)
    app = _App(picked)
    assert macros_survey._choose_files(_Book(app, str(tmp_path / "登録簿.xlsm"))) == expected
    [(file_filter, options)] = app.asked
    assert file_filter == "Excel ファイル (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls" and options["MultiSelect"] is True
    assert "照会票" in options["Title"]
    assert app.folders == [f'DIRECTORY("{tmp_path / FORMS}")']


def test_the_default_confirmation_is_a_yes_no_alert_with_the_preview():
    shown = []

    class App:
        def alert(self, text, **kwargs):
            shown.append((text, kwargs))
            return "no"

    book = type("B", (), {"app": App()})()
    assert macros_survey._collect_asker(book, "回答取込")(None, ["確認のみ: 新規 1 件"]) is False
    [(text, options)] = shown
    assert text.startswith("確認のみ: 新規 1 件") and "書き込みますか" in text and options["buttons"] == "yes_no"


def test_both_doors_refuse_a_new_row_for_a_column_the_register_lacks():
    from xlkit.errors import Refusal
    from xlkit.records import Book

    book = Book(missing={design.linkage_sheet(): {"note", "end"}})

    def missing_columns(book, new, ends=()) -> list[str]:
        """The columns inquiry_tasks.check_plan (what both doors call before writing) refuses for."""
        try:
            inquiry_tasks.check_plan(book, answers.Plan(2021, [], new=list(new), ends=list(ends)))
        except Refusal as refused:
            assert refused.key == "import.columns_missing"
            return refused.values["列"].split("、")
        return []

    row = answers.NewLinkage(None, None, {"business": "x", "note": "備考"})
    assert missing_columns(book, [row]) == [schema.linkage().header("note")]
    assert missing_columns(book, [], [object()]) == [END]
    assert missing_columns(book, [answers.NewLinkage(None, None, {"business": "x"})]) == []


# --------------------------------------------------------------------------- date formats, one decision


def test_a_new_date_cell_keeps_a_date_format_and_gets_the_registers_otherwise():
    from xlkit.workbook.stylesheet import new_date_format
    from xlkit.workbook.styles import DATE_FORMAT

    for kept in ("yyyy/m/d", "[$-411]ggge\"年\"m\"月\"d\"日\"", DATE_FORMAT, 14, 57):
        assert new_date_format(kept) == kept, kept
    for other in (None, "General", "@", "0.00", "\"日付\"@", 0, 49):
        assert new_date_format(other) == DATE_FORMAT, other


class _Cells:
    """A range of the stand-in sheet: its number format as Excel reads it (Null when its cells differ)."""

    def __init__(self, sheet, first, last):
        self.sheet, self.where = sheet, [(r, first[1]) for r in range(first[0], last[0] + 1)]

    @property
    def number_format(self):
        if self.sheet.unreadable:
            raise NotImplementedError("Reading the number format synchronously isn't supported on this engine.")
        found = {self.sheet.formats.get(cell, "General") for cell in self.where}
        return found.pop() if len(found) == 1 else None

    @number_format.setter
    def number_format(self, value):
        self.sheet.set.append((self.where[0][0], self.where[-1][0], value))


class _FormatSheet:
    def __init__(self, formats=None, unreadable=False):
        self.formats, self.unreadable, self.set = formats or {}, unreadable, []

    def range(self, first, last=None):
        return _Cells(self, first, last or first)


def test_the_button_gives_written_dates_the_format_the_register_writer_gives():
    from xlkit.workbook.styles import DATE_FORMAT

    # new rows 10-12 below a row whose date cell staff formatted as a date of their own: kept
    sheet = _FormatSheet({(9, 11): "yyyy/m/d"})
    macros_survey._date_format(sheet, 11, 10, 12, above=9)
    assert sheet.set == []
    # below a cell in no date format: the register's, in one block
    sheet = _FormatSheet({(9, 11): "General"})
    macros_survey._date_format(sheet, 11, 10, 12, above=9)
    assert sheet.set == [(10, 12, DATE_FORMAT)]
    # end dates of a run whose cells differ: each keeps a date format of its own
    sheet = _FormatSheet({(5, 12): "yyyy/m/d", (6, 12): "General", (7, 12): DATE_FORMAT})
    macros_survey._date_format(sheet, 12, 5, 7)
    assert sheet.set == [(6, 6, DATE_FORMAT)]
    # an engine that reads no format (the remote one): the register's, one block per run
    sheet = _FormatSheet({(5, 12): "yyyy/m/d"}, unreadable=True)
    macros_survey._date_format(sheet, 12, 5, 7)
    assert sheet.set == [(5, 7, DATE_FORMAT)]


def test_the_button_writes_end_dates_in_runs_formatted_as_the_command_writes_them(tmp_path, answered):
    import openpyxl

    from xlkit.addresses import column_index

    path, files = answered
    folder = path.parent / FORMS
    # H19-001 (row 12), H21-002 and H21-003 (rows 19 and 20), H29-001 (row 47, ended by the fixture)
    ends = fill(folder / "照会票_令和3年度_税務課.xlsx", tmp_path / "ends.xlsx", respondent=WHO,
                ends={"H19-001": "R3.9.30", "H21-002": "R3.10.31", "H21-003": "R3.11.30"})
    chosen = [ends, files[1]]
    button, command = _copy(path, tmp_path / "button"), _copy(path, tmp_path / "command")
    actions = run(macros.collect, button, choose=lambda book: chosen, confirm=lambda *a: True)
    sheet = list(design.sheet_order()).index(design.linkage_sheet())
    register = reader.load(path)
    end = column_index(register.columns[design.linkage_sheet()]["end"])
    new_row = max(r.row for r in register.linkages) + 1
    on_ends = [a for a in actions if a.get("sheet_position") == sheet and a.get("start_column") == end]
    runs = [(a["start_row"] + 1, a["row_count"]) for a in on_ends if a["func"] == "setValues"]
    assert runs == [(12, 1), (19, 2), (47, 1)]  # one block per run of rows, not one write per cell
    formatted = [(a["start_row"] + 1, a["row_count"]) for a in on_ends if a["func"] == "setNumberFormat"
                 and a["start_row"] + 1 < new_row]
    assert formatted == runs  # the end dates the button writes get a date format too
    after = tmp_path / "button" / "after.xlsx"
    apply_actions(button, actions, after)
    done = inquiry_tasks.collect(command, chosen)
    assert done.written and len(done.plan.ends) == 4
    mine, theirs = (openpyxl.load_workbook(p)[design.linkage_sheet()] for p in (after, command))
    dates = [c.key for c in schema.linkage().columns if c.kind == "date"]
    letters = register.columns[design.linkage_sheet()]
    cells = [f"{letters['end']}{row}" for row in (12, 19, 20, 47)] + [f"{letters[k]}{new_row}" for k in dates]
    cells = [c for c in cells if theirs[c].value is not None]  # the cells given a date (the new row's start)
    assert len(cells) == 5
    assert [mine[c].number_format for c in cells] == [theirs[c].number_format for c in cells]
    mine, theirs = reader.load(after), reader.load(command)
    assert [(r.row, r.values) for r in mine.linkages] == [(r.row, r.values) for r in theirs.linkages]
