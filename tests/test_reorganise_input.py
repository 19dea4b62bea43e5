"""組織改正's inputs at their limits: change tables of thousands of lines planned in linear time,
the text and .xlsx readers (the import's, shared: csv's limits, unclosed quotes, each check made
once, refusals naming the table), the 課 sheet's headers read as a register sheet's, and a
register decorated by staff reorganised without losing any of its objects."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlkit import reorg, reorg_tasks, schema
from xlkit.issues import ERROR, WARNING
from xlkit.org import Division
from xlkit.register import load_sheets
from xlkit.workbook import reader
from support import SAMPLE, digest, run_cli_said
from support.decorate import decorate, missing
from support.reorg import CHANGES, table

D = dt.date
DAY = D(2021, 4, 1)
DIVISION = schema.division()
HEADER = "旧課名\t新課名\t種別\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reorganise_input")


@pytest.fixture(scope="module")
def base(folder) -> Path:
    path = folder / "base.xlsx"
    shutil.copyfile(SAMPLE, path)
    return path


def sheet_of(count: int) -> list[Division]:
    return [Division(f"課{i:04d}", "区長", row=i + 2) for i in range(count)]


# --------------------------------------------------------------------------- thousands of lines


class Counted:
    """A function wrapped to count its calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def test_a_split_into_thousands_of_課_is_judged_once_per_group_and_name(monkeypatch):
    lines = 3_000  # as many as the 後継の課 cell holds, joined with 「、」
    closing = Counted(reorg._closing_entry)
    monkeypatch.setattr(reorg, "_closing_entry", closing)
    kinds = Counted(reorg._Group.kinds.func)
    monkeypatch.setattr(reorg._Group, "kinds", property(kinds))  # uncached: every look counted
    org = sheet_of(40)
    text = HEADER + "".join(f"課0005\t{i:x}\t分割\n" for i in range(lines))
    plan = reorg.plan(org, ["区長"], reorg.parse_text(text, "split.txt"), DAY)
    assert len(plan.openings) == lines and [c.entry.name for c in plan.closings] == ["課0005"]
    assert closing.calls == 1  # the 課 sheet asked once for the one 旧課名, not once per line
    assert kinds.calls == lines  # each line looks its group's kinds up, never walks the group
    assert plan.new_row(8) == 8 + lines and plan.new_row(7) == 7  # the rows below 課0005 move down by all
    assert len(plan.sheet(org)) == 40 + lines


def test_thousands_of_wrong_lines_are_refused_each_naming_a_few_others():
    lines = 3_000
    text = HEADER + "".join(f"課0005\t新課{i}\t名称変更\n" for i in range(lines))
    with pytest.raises(reorg.Refused) as refused:
        reorg.plan(sheet_of(40), ["区長"], reorg.parse_text(text, "renames.txt"), DAY)
    shapes = [p for p in refused.value.problems if "名称変更は1つの課" in p]
    assert len(shapes) == lines
    assert "（3・4・5・6・7・8・9・10・11・12行目ほか 2,989 行）" in shapes[0]  # 2,999 others, ten named
    assert all(len(p) < 300 for p in shapes)
    unknown = HEADER + "".join(f"無い課{i}\t新課{i}\t名称変更\n" for i in range(lines))
    with pytest.raises(reorg.Refused) as refused:
        reorg.plan(sheet_of(40), ["区長"], reorg.parse_text(unknown, "unknown.txt"), DAY)
    assert len(refused.value.problems) == lines and "ほか" in refused.value.message


# --------------------------------------------------------------------------- the text table


def test_a_cell_longer_than_csvs_limit_is_refused_in_japanese_naming_its_line(base, folder, capsys):
    before = digest(base)
    for long_old in (False, True):
        name = "課" * 140_000  # past csv's own limit of 131,072 characters
        text = HEADER + (f"{name}\t戸籍課\t名称変更\n" if long_old else f"戸籍住民課\t{name}\t名称変更\n")
        code, _, err = run_cli_said(capsys, "reorganise", base, table(folder, text, "long.txt"), "--from", "2021-04-01")
        column = "旧課名" if long_old else "新課名"
        assert code == 2 and f"2行目の「{column}」が長すぎます（140,000 文字" in err, err[:500]
        assert len(err) < 2_000  # the cell is not said back
    assert digest(base) == before


def test_an_unclosed_quote_is_named_and_not_read_as_a_blank_cell(base, folder, capsys):
    text = HEADER + '戸籍住民課\t"戸籍課\t名称変更\n滞納対策課\t税務課\t名称変更\n'
    code, _, err = run_cli_said(capsys, "reorganise", base, table(folder, text, "quote.txt"), "--from", "2021-04-01")
    assert code == 2 and "2行目：引用符（\"）で始まるセルが閉じていない" in err
    assert "空欄" not in err
    header = '旧課名\t"新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n'
    code, _, err = run_cli_said(capsys, "reorganise", base, table(folder, header, "quote_header.txt"), "--from",
                                "2021-04-01")
    assert code == 2 and "1行目：引用符" in err


def test_a_quoted_cell_over_two_lines_is_placed_by_the_line_it_begins_on():
    text = HEADER + '戸籍住民課\t戸籍課\t名称変更\n"メモ\nのある課"\t税政課\t名称変更\n存在しない課\t新課\t名称変更\n'
    with pytest.raises(reorg.Refused) as refused:
        reorg.plan(sheet_of(3), ["区長"], reorg.parse_text(text, "lines.txt"), DAY)
    said = refused.value.message
    assert "3行目の「旧課名」：旧課名「メモ\nのある課」" in said and "5行目の「旧課名」：旧課名「存在しない課」" in said


@pytest.mark.parametrize("command", ["import", "reorganise"])
def test_both_tables_are_read_by_one_reader_with_the_words_of_each(base, folder, command, capsys):
    args = ("--year", "2021") if command == "import" else ("--from", "2021-04-01")
    what = "取り込む表" if command == "import" else "組織改正の表"
    protected = folder / f"{command}_password.txt"
    protected.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)  # an Excel file with a password
    code, _, err = run_cli_said(capsys, command, base, protected, *args)
    assert code == 2 and "パスワード" in err and f"{what}として読めません" in err
    code, _, err = run_cli_said(capsys, command, base, folder / "ない.txt", *args)
    assert code == 2 and f"{what}のファイル「" in err and "見つかりません" in err


# --------------------------------------------------------------------------- the .xlsx table


def _xlsx_table(path: Path, rows) -> Path:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_an_xlsx_table_is_checked_and_scanned_once(base, folder, monkeypatch):
    from xlkit.workbook import scan

    path = _xlsx_table(folder / "once.xlsx", [["旧課名", "新課名", "種別"], ["戸籍住民課", "戸籍課", "名称変更"]])
    checks, scans = Counted(reader.check_file), Counted(scan.inspect)
    monkeypatch.setattr(reader, "check_file", checks)
    monkeypatch.setattr(scan, "inspect", scans)
    table = reorg_tasks.read_table(path, register=base)
    assert [(line.old, line.new) for line in table.lines] == [("戸籍住民課", "戸籍課")]
    assert table.name == "once.xlsx（Sheet）" and table.lines[0].at("new") == "B2（新課名）"
    assert (checks.calls, scans.calls) == (1, 1)


def test_a_part_too_large_is_said_of_the_change_table(base, folder, monkeypatch, capsys):
    path = _xlsx_table(folder / "wide.xlsx", [["旧課名", "新課名", "種別"], ["戸籍住民課", "戸籍課", "名称変更"]])
    monkeypatch.setenv("XLKIT_LIMITS", "members=3")
    code, _, err = run_cli_said(capsys, "reorganise", base, path, "--from", "2021-04-01")
    assert code == 2 and "組織改正の表ではないファイルか、壊れたファイルです" in err and "登録簿ではない" not in err


# --------------------------------------------------------------------------- the 課 sheet's headers


def grids(header, *rows):
    return {
        schema.linkage().sheet: [schema.linkage().headers], schema.case().sheet: [schema.case().headers],
        "実施機関": [["実施機関"], ["区長"]], "課": [header, *rows],
        "区分": [["区分", "外部結合の行が要る"], ["外部結合", "○"]], "審議結果": [["審議結果", "承認にあたる"], ["承認", "○"]],
        "設定": [["項目", "値"], ["報告年度", 2020]],
    }


ROWS = (["戸籍住民課", "区長", None, D(2021, 3, 31), "戸籍課"], ["戸籍課", "区長", DAY, None, None])


def division_issues(book) -> set[tuple]:
    return {(i.cell, i.code, i.severity) for i in book.issues if i.sheet == DIVISION.sheet}


def test_a_misspelt_課_header_is_said_and_its_column_still_read():
    book = load_sheets(grids(["課", "実施機関", "開始日", "終了日", "後継課"], *ROWS))
    assert division_issues(book) == {("E1", "header-misspelt", ERROR)}
    assert book.org[0].successors == ("戸籍課",)  # not lost
    assert "「後継の課」の誤りではありませんか" in next(i.message for i in book.issues if i.sheet == DIVISION.sheet)


def test_a_課_header_typed_twice_or_unknown_is_said():
    book = load_sheets(grids(["課", "実施機関", "開始日", "終了日", "後継の課", "後継の課"], *ROWS))
    assert division_issues(book) == {("F1", "header-duplicate", ERROR)}
    book = load_sheets(grids(["課", "実施機関", "開始日", "終了日", "引き継いだ課"], *ROWS))
    assert division_issues(book) == {("F1", "header-missing", WARNING)}  # a period column gone from a dated sheet
    assert book.org[0].successors == ()
    # staff's memo beside the list and xlkit's note are no issue, nor a sheet of 課 and 実施機関 alone
    book = load_sheets(grids([*DIVISION.headers, "メモ", None, "行の並びが報告書の並びになります。"], *ROWS))
    assert division_issues(book) == set()


def test_a_課_sheet_with_a_wrong_header_is_refused_naming_it_not_upgrade(folder, make_register, capsys):
    for header, words in ((["課", "実施機関", "開始日", "終了日", "後継課"], ["E1", "後継課", "「後継の課」の誤り"]),
                          (["課", "実施機関", "開始日", "終了日", "引き継いだ課"], ["「後継の課」", "1行目（見出し）"])):
        path = make_register(folder / "header.xlsx", sheets={"課": [header, ["戸籍住民課", "区長"], ["税務課", "区長"]]})
        before = digest(path)
        code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, CHANGES.split("税務課")[0]), "--from",
                                    "2021-04-01")
        assert code == 2 and "xlkit upgrade" not in err, err
        for word in words:
            assert word in err, err
        assert digest(path) == before


# --------------------------------------------------------------------------- a decorated register


def test_a_register_decorated_by_staff_keeps_every_object(folder, capsys):
    register = folder / "decorated.xlsx"
    decorations = decorate(SAMPLE, register)
    code, out, err = run_cli_said(capsys, "reorganise", register, table(folder, CHANGES, "deco.txt"), "--from",
                                  "2021-04-01")
    assert code == 0, err
    assert missing(register, decorations) == []
    names = [(d.name, d.valid_to) for d in reader.load(register).org]
    assert ("戸籍課", None) in names and ("戸籍住民課", D(2021, 3, 31)) in names
