"""The button macros through xlwings' own remote engine.

A register is built to a real file, turned into the payload an Office.js client would send,
and opened with ``xw.Book(json=payload)``; the assertions are on ``book.json()["actions"]``:
the values written to 「検証結果」 and 「集計」, the colours on exactly the planted bad cells,
the alert. The remote engine is xlwings PRO code used under its PolyForm Noncommercial
license (XLWINGS_LICENSE_KEY=noncommercial).
"""

from __future__ import annotations

import datetime as dt
import os
import sys

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

from functools import partial

import pytest

from xlkit import macros
from xlkit.workbook import design
from xlkit.workbook.builder import build
from support import fold, said
from support.payload import alerts, apply_actions, office_js_payload, remote_book

SHEETS = list(design.sheet_order())
LINKS = SHEETS.index("外部結合")
RESULTS = SHEETS.index("検証結果")
SUMMARY = SHEETS.index("集計")


def run(macro, path, **kwargs):
    book = remote_book(office_js_payload(path, **kwargs))
    macro(book)
    return book.json()["actions"]


def _cell(action) -> str:
    from xlkit.addresses import column_letter

    first = f"{column_letter(action['start_column'])}{action['start_row'] + 1}"
    if action["row_count"] == 1 and action["column_count"] == 1:
        return first
    last = f"{column_letter(action['start_column'] + action['column_count'] - 1)}" \
           f"{action['start_row'] + action['row_count']}"
    return f"{first}:{last}"


def colours(actions) -> dict[tuple[int, str], str | None]:
    return {(a["sheet_position"], _cell(a)): a["args"][0] for a in actions if a["func"] == "setRangeColor"}


def writes(actions, func="setValues"):
    return [a for a in actions if a["func"] == func]


@pytest.fixture
def bad_book(tmp_path, make_planted):
    return build(tmp_path / "登録簿.xlsx", linkages=make_planted(5), settings={"report_year": 2020})


def test_validate_fills_results_colours_the_planted_cells_and_alerts(bad_book):
    actions = run(macros.validate, bad_book)
    # rows 2-6 are valid; 7, 8, 9 are the planted ones (K = 結合の開始年月日, C = 課, E = 理由)
    assert colours(actions) == {
        (LINKS, "K7"): design.ERROR_FILL,
        (LINKS, "C8"): design.ERROR_FILL,
        (LINKS, "E9"): design.WARNING_FILL,
    }
    [block] = writes(actions)
    assert block["sheet_position"] == RESULTS and (block["start_row"], block["start_column"]) == (0, 0)
    header, *rows = block["values"]
    assert header == list(design.RESULT_HEADERS)
    got = [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in rows]
    assert got == [  # in sheet order, then row
        # a value Excel would read as a date is written with its text prefix (macros.excel_text)
        ("エラー", "外部結合", '=HYPERLINK("#\'外部結合\'!K7","K7")', "結合の開始年月日", "'R2.13.1", "date-invalid"),
        ("エラー", "外部結合", '=HYPERLINK("#\'外部結合\'!C8","C8")', "結合を行った課", "存在しない課", "master-unknown"),
        ("警告", "外部結合", '=HYPERLINK("#\'外部結合\'!E9","E9")', "外部結合を行った理由", "LGWAN經由で送付するため",
         "typo"),
    ]
    assert all(r[5] for r in rows)  # a Japanese message on every row
    [alert] = alerts(actions)
    assert "エラー 2 件、警告 1 件" in alert[0] and alert[3] == "critical"
    # nothing the user typed is written: every value write goes to 検証結果
    assert {a["sheet_position"] for a in writes(actions)} == {RESULTS}
    assert {a["sheet_position"] for a in writes(actions, "rangeClearContents")} <= {RESULTS}


def test_a_second_run_clears_the_marks_of_fixed_cells(bad_book, tmp_path):
    first = tmp_path / "after_first.xlsx"
    apply_actions(bad_book, run(macros.validate, bad_book), first)
    # staff fix the date in K7 and run the check again
    import openpyxl

    wb = openpyxl.load_workbook(first)
    wb["外部結合"]["K7"].value = dt.datetime(2020, 6, 1)
    wb.save(first)
    actions = run(macros.validate, first)
    assert colours(actions) == {
        (LINKS, "K7"): None,  # the fixed cell loses its colour
        (LINKS, "C8"): design.ERROR_FILL,
        (LINKS, "E9"): design.WARNING_FILL,
    }
    clears = writes(actions, "rangeClearContents")
    assert [(c["sheet_position"], _cell(c)) for c in clears] == [(RESULTS, "A2:G4")]
    [alert] = alerts(actions)
    assert "エラー 1 件、警告 1 件" in alert[0]


def test_clean_register_says_so_and_colours_nothing(tmp_path, make_linkage):
    path = build(tmp_path / "ok.xlsx", linkages=[make_linkage(i) for i in range(3)],
                 settings={"report_year": 2020})
    actions = run(macros.validate, path)
    assert colours(actions) == {}
    [block] = writes(actions)
    assert block["values"][1][5] == "問題は見つかりませんでした。"
    [alert] = alerts(actions)
    assert "エラー・警告はありませんでした" in alert[0] and alert[3] == "info"


@pytest.fixture
def summary_book(tmp_path, make_linkage):
    """``summary_book(**settings)``: five linkages whose 2020 figures are worked out below."""
    linkages = [
        make_linkage(1, 2019),  # a (active in 2019 and 2020)
        make_linkage(2, 2020),  # b
        make_linkage(3, 2018, end=dt.date(2019, 12, 31)),  # a and c (ended in 2019)
        make_linkage(4, 2019, consent=True, my_number=True),  # 本人同意: never counted
        make_linkage(5, 2019, body="教育委員会", division="学校運営課", my_number=True),  # a (教育委員会)
    ]
    return lambda **settings: build(tmp_path / "集計.xlsx", linkages=linkages, settings=settings)


def test_summarize_writes_the_official_table_and_flags_last_years_figures(summary_book):
    path = summary_book(report_year=2020, previous_published={"区長": 3, "教育委員会": 1})
    actions = run(macros.summarize, path)
    # the table's layout (borders, merges, widths, the corner) is tests/test_macros_summary.py's
    funcs = [a["func"] for a in actions]
    assert funcs[:3] == ["sheetClearContents", "sheetClearFormats", "setValues"] and funcs[-1] == "alert"
    assert funcs.count("setValues") == 1 and funcs.count("alert") == 1
    [block] = writes(actions)
    assert block["sheet_position"] == SUMMARY
    values = block["values"]
    assert values[0][0] == "(1) 実施機関別外部電子計算機との結合件数（令和2年度）"
    corner, *labels = values[2]
    assert corner.split() == ["件数", "実施機関"]  # on two lines, apart
    assert [fold(x) for x in labels] == [
        "令和元年度外部電子計算機との結合数", "新たな外部電子計算機との結合数",
        "終了した外部電子計算機との結合数(令和元年度まで外部結合を行い、令和2年度中は外部結合を行わなかったもの)",
        "令和2年度外部電子計算機との結合数", "内、特定個人情報の取扱いがあるものの数"]
    assert values[3] == ["", "a", "b", "c", "a + b - c", ""]
    table = {row[0]: row[1:] for row in values[4:10]}
    assert table == {
        "区長": [2, 1, 1, 2, 0], "教育委員会": [1, 0, 0, 1, 1], "選挙管理委員会": [0, 0, 0, 0, 0],
        "監査委員": [0, 0, 0, 0, 0], "議会": [0, 0, 0, 0, 0], "合計": [3, 1, 1, 3, 1],
    }
    assert values[10][0] == "※本人同意に基づく外部結合を除く。"
    flat = [row[0] for row in values]
    # one wording for the CLI, the 集計 button and validation (figures.previous_note)
    assert ("区長: 令和元年度の公表値（「設定」シートの前年度公表値）は 3 件ですが、登録簿から数えた令和2年度の a"
            "（令和元年度の結合数）は 2 件です。前年度の報告と登録簿（計上年度・開始・終了年月日）を確認してください。") in flat
    assert ["区長", "公表値 3", "a 2", "相違", "", ""] in values and ["教育委員会", "公表値 1", "a 1", "一致", "", ""] in values
    [alert] = alerts(actions)
    assert "前年度の公表値と異なる実施機関があります" in alert[0] and "区長" in alert[0]
    assert "教育委員会：" not in alert[0]  # its published 1 equals its a
    assert alert[3] == "critical"


def test_summarize_matching_last_year_says_so(summary_book):
    path = summary_book(report_year=2020, previous_published={"区長": 2, "教育委員会": 1})
    [alert] = alerts(run(macros.summarize, path))
    assert "前年度の公表値と一致しています" in alert[0] and alert[3] == "info"


def test_summarize_without_report_year_alerts_and_writes_nothing(summary_book):
    path = summary_book(report_year=None)
    actions = run(macros.summarize, path)
    assert [a["func"] for a in actions] == ["alert"]
    # the message xlkit summarize shows, then the hint only the button gives (the 設定 sheet, not --year)
    assert actions[0]["args"][0] == "報告する年度がわかりません。\n「設定」シートの報告年度を西暦4桁（例：2020）で入力してください。"


def test_errors_reach_the_user_as_japanese_alerts(tmp_path, monkeypatch, make_linkage):
    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(1)])
    payload = office_js_payload(path)
    payload["sheets"] = [s for s in payload["sheets"] if s["name"] != "外部結合"]
    book = remote_book(payload)
    macros.validate(book)
    [alert] = alerts(book.json()["actions"])
    assert "シート「外部結合」がありません" in alert[0] and alert[3] == "critical"

    import xlkit.tasks

    def broken(book):
        raise RuntimeError("boom")

    monkeypatch.setattr(xlkit.tasks, "validate", broken)  # the one call the button makes
    actions = run(macros.validate, path)
    [alert] = alerts(actions)
    assert "予期しない問題" in alert[0] and "RuntimeError: boom" in alert[0]
    assert "Traceback" not in alert[0]


def test_an_os_error_reaches_the_user_in_japanese_not_as_unexpected(tmp_path, monkeypatch, make_linkage):
    """A share gone, a name too long: the user's environment, said in Japanese, not 予期しない問題."""
    import errno

    import xlkit.tasks

    path = build(tmp_path / "r.xlsx", linkages=[make_linkage(1)])

    def gone(book):
        raise OSError(errno.ENAMETOOLONG, "File name too long", "長い名前.docx")

    monkeypatch.setattr(xlkit.tasks, "validate", gone)
    [alert] = alerts(run(macros.validate, path))
    assert "長い名前.docx" in alert[0] and "長すぎます" in alert[0]
    assert "予期しない問題" not in alert[0] and "File name" not in alert[0]


def test_a_value_that_reads_as_an_excel_error_is_written_back_as_text():
    """検証結果's 値 column: Excel would turn a written #N/A into the error itself."""
    assert macros._as_text("#N/A") == "'#N/A" and macros._as_text("#DIV/0!") == "'#DIV/0!"
    assert macros._as_text("#1 案件") == "#1 案件" and macros._as_text("=1+1") == "'=1+1"


@pytest.fixture
def two_cases(make_case):
    """№12 submitted on 2025-02-13 and №13 on 2025-03-04 (both 令和6年度)."""
    first = make_case(12, title="介護保険システムの外部結合について", divisions=["介護保険課"],
                      categories=["外部結合"], submitted_on=dt.date(2025, 2, 13))
    return [first, {**first, "no": 13, "submitted_on": dt.date(2025, 3, 4)}]


def test_export_excel_writes_both_reports_and_never_overwrites(summary_book, tmp_path, monkeypatch):
    path = summary_book(report_year=2020)
    monkeypatch.chdir(tmp_path)  # a payload book has no folder: the current one stands for it
    [alert] = alerts(run(macros.export_excel, path))
    first = tmp_path / "exports" / "外部結合の状況_令和2年度.xlsx"
    assert first.is_file(), alert[0]
    assert "外部結合の状況_令和2年度.xlsx" in alert[0] and str(first.parent) in alert[0]
    # this register has no cases: the linkage report is still written, and the alert says why the other is not
    assert "作れなかった資料があります" in alert[0] and "付議日のある審議案件がありません" in alert[0]
    assert alert[3] == "critical"
    before = first.read_bytes()
    [alert] = alerts(run(macros.export_excel, path))
    second = tmp_path / "exports" / "外部結合の状況_令和2年度 (2).xlsx"
    assert second.is_file() and first.read_bytes() == before
    assert "上書きせずに別の名前で保存しました" in alert[0]


def test_export_word_writes_both_documents(tmp_path, monkeypatch, make_linkage, two_cases):
    linkages = [make_linkage(1, 2019), make_linkage(2, 2020)]
    path = build(tmp_path / "r.xlsx", linkages=linkages, settings={"report_year": 2020}, cases=two_cases)
    monkeypatch.chdir(tmp_path)
    [alert] = alerts(run(macros.export_word, path))
    written = sorted(p.name for p in (tmp_path / "exports").glob("*.docx"))
    assert written == ["外部結合の状況_令和2年度.docx", "審議案件について_令和7年2月～令和7年3月.docx"], alert[0]
    assert all(name in alert[0] for name in written)
    assert "令和7年2月13日～令和7年3月4日" in alert[0] and "作れなかった" not in alert[0]


def test_export_word_takes_the_period_from_settings(tmp_path, monkeypatch, two_cases):
    path = build(tmp_path / "r.xlsx", settings={"cases_from": dt.date(2025, 3, 1), "cases_to": dt.date(2025, 3, 31)},
                 cases=two_cases)
    monkeypatch.chdir(tmp_path)
    # no 報告年度 is an error in 設定: staff are asked, and here answer 「はい」
    asked = []
    actions = run(partial(macros.export_word, confirm=lambda refusal: asked.append(refusal) or True), path)
    [alert] = alerts(actions)
    assert len(asked) == 1 and "報告年度" in " ".join(i.message for i in asked[0].errors)
    [written] = (tmp_path / "exports").glob("審議案件*.docx")
    import docx

    text = "\n".join(p.text for p in docx.Document(str(written)).paragraphs)
    assert "（№１３）" in text and "（№１２）" not in text
    assert "令和7年3月1日～令和7年3月31日" in alert[0]
    # no 報告年度 in 設定: only the linkage report is missing, and the alert says so in Japanese
    assert "作れなかった資料があります。\n・外部結合の状況: 報告する年度がわかりません。\n「設定」シートの報告年度を" in alert[0]
    assert "このまま出力しました" in alert[0]


def test_exports_say_clearly_when_the_export_module_is_missing(summary_book, tmp_path, monkeypatch):
    path = summary_book(report_year=2020)
    monkeypatch.chdir(tmp_path)
    import xlkit.export

    monkeypatch.setitem(sys.modules, "xlkit.export.api", None)  # the import fails with ImportError
    monkeypatch.delattr(xlkit.export, "api", raising=False)
    for macro, title in ((macros.export_excel, "Excel出力"), (macros.export_word, "Word出力")):
        [alert] = alerts(run(macro, path))
        assert f"{title}はまだ使えません" in alert[0]
    assert not (tmp_path / "exports").exists()


def _count_reads(monkeypatch) -> list[str]:
    """Every value read the engine serves (a round trip in Excel), by sheet name."""
    from xlwings.pro import _xlremote

    reads: list[str] = []
    original = _xlremote.Range.raw_value

    def counted(self):
        reads.append(self.sheet.name)
        return original.fget(self)

    monkeypatch.setattr(_xlremote.Range, "raw_value", property(counted, original.fset))
    return reads


@pytest.mark.parametrize("macro, sheets", [
    (macros.validate, {"外部結合", "審議案件", "外部提供", "設定", "実施機関", "課", "区分", "審議結果", "検証結果"}),
    (macros.summarize, {"外部結合", "審議案件", "外部提供", "設定", "実施機関", "課", "区分", "審議結果"}),
])
def test_one_read_per_sheet_and_writes_independent_of_valid_rows(tmp_path, monkeypatch, make_planted,
                                                                 macro, sheets):
    counts = {}
    for n in (20, 1500):
        path = build(tmp_path / f"r{n}.xlsx", linkages=make_planted(n), settings={"report_year": 2020})
        reads = _count_reads(monkeypatch)
        actions = run(macro, path)
        monkeypatch.undo()
        assert sorted(reads) == sorted(sheets), reads  # each needed sheet read exactly once
        counts[n] = [a["func"] for a in actions]
    assert counts[20] == counts[1500]


def test_results_rows_fit_their_messages_and_show_only_the_start_of_a_long_value(tmp_path, make_linkage):
    """A paragraph typed into a cell made its 検証結果 row a page tall, and rows never grew to fit
    the wrapped messages (LibreOffice drew them on top of each other)."""
    long_reason = "LGWAN經由で送付するため、" + "住民票の写しの交付に係る事務を効率化する。" * 10
    linkages = [make_linkage(1, reason=long_reason), make_linkage(2, division="存在しない課")]
    path = build(tmp_path / "長文.xlsx", linkages=linkages, settings={"report_year": 2020})
    actions = run(macros.validate, path)
    [block] = writes(actions)
    shown = block["values"][1][4]
    assert shown == long_reason[:macros.VALUE_SHOWN] + "…"
    [fit] = [a for a in actions if a["func"] == "setAutofit"]
    assert fit["sheet_position"] == RESULTS and fit["args"] in ("rows", ["rows"])
    assert (fit["start_row"], fit["row_count"], fit["column_count"]) == (1, 2, len(design.RESULT_HEADERS))
    # the replayed file gives the long message's row more than one line
    out = tmp_path / "after.xlsx"
    assert [a["func"] for a in apply_actions(path, actions, out)] == ["alert"]
    import openpyxl

    ws = openpyxl.load_workbook(out)["検証結果"]
    assert ws.row_dimensions[2].height > 15
    # the typed value itself is untouched
    assert openpyxl.load_workbook(out)["外部結合"]["E2"].value == long_reason


def test_summary_says_unreadable_rows_once_per_reason(tmp_path, make_linkage):
    linkages = [make_linkage(i, fiscal_year="不明") for i in range(300)] + [make_linkage(300)]
    path = build(tmp_path / "計上年度.xlsx", linkages=linkages, settings={"report_year": 2020})
    actions = run(macros.summarize, path)
    [block] = writes(actions)
    notes = [r[0] for r in block["values"] if "集計に含めていません" in str(r[0])]
    assert notes == ["「外部結合」2〜301行目（300行）は計上年度がない（または読めない）ため集計に含めていません。"]


# --- the register's format, as the buttons see it -------------------------------------------


def test_the_check_button_says_an_older_register_wants_xlkit_upgrade(tmp_path):
    """The format-1 fixture (no xlkit_format name): 入力チェック lists format-old, as `xlkit validate` does."""
    import shutil

    from support import REPO

    path = tmp_path / "古い登録簿.xlsx"
    shutil.copyfile(REPO / "tests" / "fixtures" / "format1_sample.xlsx", path)
    [block] = writes(run(macros.validate, path))
    codes = [row[6] for row in block["values"][1:]]
    assert "format-old" in codes
    [message] = [row[5] for row in block["values"][1:] if row[6] == "format-old"]
    assert "xlkit upgrade で更新してください" in message


def test_the_buttons_refuse_a_register_of_a_newer_format(tmp_path):
    """A register made by a newer xlkit: every button says so and writes nothing."""
    from xlkit.workbook import migrate
    from xlkit.workbook.package import Package

    path = build(tmp_path / "新しい登録簿.xlsx", settings={"report_year": 2020})
    newer = tmp_path / "newer.xlsx"
    with Package(path) as package:
        migrate.set_format(package, 99)
        package.save(newer)
    for macro in (macros.validate, macros.summarize):
        actions = run(macro, newer)
        assert not writes(actions)
        [alert] = alerts(actions)
        assert "この登録簿は新しい xlkit で作られています。xlkit を更新してください" in alert[0]


# --- what Excel shows but a register cannot hold: error values, invisible characters ---------


def _payload_with(path, changes: dict[tuple[str, str], object]) -> dict:
    """The Office.js payload of ``path`` with cells ((sheet, "D3") -> value) as Excel would send them."""
    from xlkit.addresses import split_cell

    payload = office_js_payload(path)
    sheets = {s["name"]: s["values"] for s in payload["sheets"]}
    for (sheet, cell), value in changes.items():
        letters, row = split_cell(cell)
        col = ord(letters) - ord("A")
        grid = sheets[sheet]
        while len(grid) < row:
            grid.append([""] * len(grid[0]))
        grid[row - 1][col] = value
    return payload


def _check_rows(payload) -> tuple[list[list], list]:
    book = remote_book(payload)
    macros.validate(book)
    actions = book.json()["actions"]
    [block] = writes(actions)
    return block["values"][1:], actions


def test_the_check_button_names_an_error_cell_and_its_value_not_blank(tmp_path, make_linkage):
    """Excel sends an error cell as "#N/A"; xlwings made it None without err_to_str, and the
    check said 「業務名」が空欄です of a cell that shows #N/A."""
    path = build(tmp_path / "エラー値.xlsx", linkages=[make_linkage(i) for i in range(1, 4)],
                 settings={"report_year": 2020})
    rows, actions = _check_rows(_payload_with(path, {("外部結合", "D3"): "#N/A", ("外部結合", "K4"): "#DIV/0!",
                                                     ("設定", "B2"): "#REF!"}))
    got = [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in rows]
    assert got == [
        ("エラー", "外部結合", '=HYPERLINK("#\'外部結合\'!D3","D3")', "業務名", "'#N/A", "cell-error-value"),
        ("エラー", "外部結合", '=HYPERLINK("#\'外部結合\'!K4","K4")', "結合の開始年月日", "'#DIV/0!", "cell-error-value"),
        ("エラー", "設定", '=HYPERLINK("#\'設定\'!B2","B2")', "報告年度", "'#REF!", "cell-error-value"),
    ]  # written back as text (a leading '), or Excel would show the error itself
    assert "「#N/A」" in rows[0][5] and "数式" in rows[0][5]
    assert not any("空欄" in r[5] for r in rows)
    assert colours(actions) == {(LINKS, "D3"): design.ERROR_FILL, (LINKS, "K4"): design.ERROR_FILL}
    [alert] = alerts(actions)
    assert "エラー 3 件、警告 0 件" in alert[0]


def test_the_button_reads_error_cells_as_their_literal():
    """read_grid asks xlwings for err_to_str: every engine then sends the literal, not None."""
    asked = {}

    class Range:
        def options(self, **options):
            asked.update(options)
            return self

        value = [["#N/A", 1.0]]

    class Sheet:
        name = "外部結合"
        used_range = type("Used", (), {"last_cell": type("Cell", (), {"row": 1, "column": 2})()})()

        def range(self, *_):
            return Range()

    assert macros.read_grid(Sheet()) == [["#N/A", 1.0]]
    assert asked == {"ndim": 2, "err_to_str": True}


def test_a_sheet_used_as_far_as_xfd1048576_is_refused_before_excel_is_asked_for_it():
    """A value typed in XFD1048576 makes the used range 17 billion cells: the button said nothing
    for minutes, then Excel ran out of memory. The file reader's limit applies, with its message."""
    from xlkit.errors import XlkitError

    class Sheet:
        name = "設定"
        used_range = type("Used", (), {"last_cell": type("Cell", (), {"row": 1048576, "column": 16384})()})()

        def range(self, *_):
            raise AssertionError("Excel was asked for every cell")

    with pytest.raises(XlkitError) as refused:
        macros.read_grid(Sheet())
    assert "「設定」" in said(refused.value) and "XFD1048576" in refused.value.message


def test_the_check_button_warns_of_invisible_characters(tmp_path, make_linkage):
    """U+202E shows 株式会社スビーサ as 株式会社サービス; a control character comes only from Excel."""
    path = build(tmp_path / "見えない文字.xlsx", linkages=[make_linkage(i) for i in range(1, 3)],
                 settings={"report_year": 2020})
    rows, actions = _check_rows(_payload_with(path, {("外部結合", "J2"): "株式会社\u202eスビーサ",
                                                     ("外部結合", "E3"): "理由\x07です"}))
    assert [(r[0], r[2], r[6]) for r in rows] == [
        ("警告", '=HYPERLINK("#\'外部結合\'!J2","J2")', "text-invisible-char"),
        ("警告", '=HYPERLINK("#\'外部結合\'!E3","E3")', "text-invisible-char"),
    ]
    assert "「U+202E（右から左への上書き）」（5文字目）" in rows[0][5]
    assert "「U+0007（制御文字）」（3文字目）" in rows[1][5]
    assert colours(actions) == {(LINKS, "J2"): design.WARNING_FILL, (LINKS, "E3"): design.WARNING_FILL}


def test_a_sheet_the_button_writes_renamed_by_a_space_is_named_not_called_missing(summary_book, tmp_path):
    """「集計 」: the buttons name the tab to fix, as the reader names a register sheet (register.misnamed)."""
    import openpyxl

    renamed = tmp_path / "renamed.xlsx"
    wb = openpyxl.load_workbook(summary_book(report_year=2020))
    wb[design.SUMMARY].title = design.SUMMARY + " "
    wb.save(renamed)
    actions = run(macros.summarize, renamed)
    assert not writes(actions)
    [alert] = alerts(actions)
    assert f"「{design.SUMMARY} 」というシート" in alert[0] and f"「{design.SUMMARY}」に直して" in alert[0]
