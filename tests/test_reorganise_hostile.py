"""組織改正 under attack: `xlkit reorganise` fed hostile change tables, hostile 課 sheets and
hostile dates, and what the reports, the survey, collect and close-year make of the result.

Promises attacked (README 「コマンド」 reorganise, 「年度の流れ」 組織改正):
- nothing is lost or half-written: the 課 sheet's other cells, decorations, data validations,
  the .xlsm's VBA and buttons survive (zip parts compared);
- a refusal is a Japanese message naming the table's row and column, exit 2, nothing written,
  never a traceback or an English exception name;
- the reports print the name valid at the end of each 年度, the survey asks the 課 valid on its
  day and gives a closed 課's linkages to its successors (each branch of a split).

Every test proves a promise holds. Nineteen defects were first shown here (a --from before an
existing 終了日, rename chains, a closed name used again, rows moved without their formats,
notes or formulas, a split keeping its name, the survey's 課 dropdown …); each was fixed and its
test kept as a regression test.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlkit import cli, inquiry, inquiry_tasks, schema
from xlkit.export import api
from xlkit.issues import ERROR, WARNING
from xlkit.validation import validate_book
from xlkit.workbook import reader
from xlkit.workbook.package import Package
from support import SAMPLE, REPO, digest, forms, run_cli_said
from support.reorg import CHANGES, detail_divisions, table, with_late_linkages
from support.zips import members, patched

D = dt.date
LINKAGE, DIVISION = schema.linkage(), schema.division()
RENAME = "旧課名\t新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n"
SURVEY_DAY = D(2022, 5, 1)  # the 令和3年度 survey is made in the spring of 令和4年


# --------------------------------------------------------------------------- helpers


def copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    with Package(path) as package:
        return package.sheet_part(sheet)


def org_rows(path: Path) -> list[tuple]:
    return [(d.row, d.name, d.valid_from, d.valid_to, d.successors) for d in reader.load(path).org]


def division_issues(path: Path) -> list:
    return [i for i in reader.load(path).issues if i.sheet == DIVISION.sheet]


def continuing_ids(done, division: str) -> set[str]:
    [form] = [f for f in done.forms if f.division == division]
    return {v["id"] for v in form.continuing}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reorganise_hostile")


@pytest.fixture(scope="module")
def base(folder) -> Path:
    """The sample with the two late linkages of 令和3年度: the register before any change."""
    return with_late_linkages(SAMPLE, folder / "base.xlsx")


@pytest.fixture(scope="module")
def after(base, folder) -> Path:
    """`base` after the acceptance change (戸籍住民課 → 戸籍課, 滞納対策課 into 税務課, 2021-04-01)."""
    path = copy(base, folder / "after.xlsx")
    assert cli.main(["reorganise", str(path), str(table(folder, CHANGES, "acceptance.txt")), "--from", "2021-04-01"]) == 0
    return path


@pytest.fixture(scope="module")
def baseline_plan(base, folder) -> str:
    """What the dry run of CHANGES (UTF-8, LF) prints: every other spelling of the table must print it too."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["reorganise", str(base), str(table(folder, CHANGES, "plain.txt")), "--from", "2021-04-01",
                         "--dry-run"]) == 0
    return out.getvalue()


# --------------------------------------------------------------------------- the change table


def _reordered(text: str) -> str:
    """The table with extra columns around the three and the headers in another order."""
    rows = [line.split("\t") for line in text.splitlines()]
    return "\n".join("\t".join(["メモ" if i == 0 else "x", r[2], r[1], "", r[0], "備考" if i == 0 else "y"])
                     for i, r in enumerate(rows)) + "\n"


SPELLINGS = {
    # Excel's 「Unicode テキスト」: UTF-16 LE with its mark and CRLF
    "utf16-crlf": lambda t: t.replace("\n", "\r\n").encode("utf-16"),
    "utf16-be": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "shift_jis": lambda t: t.encode("cp932"),
    "utf8-bom": lambda t: t.encode("utf-8-sig"),
    "crlf-trailing-blank-lines": lambda t: (t + "\n\t\t\n\n").replace("\n", "\r\n").encode(),
    "old-mac-cr": lambda t: t.replace("\n", "\r").encode(),
    "extra-columns-other-order": lambda t: _reordered(t).encode(),
    "full-width-spaces": lambda t: t.replace("旧課名", "旧課名　").replace("戸籍課", "　戸籍課　")
                                    .replace("滞納対策課", " 滞納対策課").encode(),
    "blank-lines-between": lambda t: t.replace("名称変更\n", "名称変更\n\n\t\t\n").encode(),
}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_the_table_gives_the_same_plan(base, folder, baseline_plan, spelling, capsys):
    changes = folder / f"spelling_{spelling}.txt"
    changes.write_bytes(SPELLINGS[spelling](CHANGES))
    before = digest(base)
    code, out, err = run_cli_said(capsys, "reorganise", base, changes, "--from", "2021-04-01", "--dry-run")
    assert (code, err) == (0, "")
    assert out == baseline_plan
    assert digest(base) == before


def test_a_utf16_table_without_its_mark_is_refused_in_japanese(base, folder, capsys):
    changes = folder / "utf16_nomark.txt"
    changes.write_bytes(RENAME.encode("utf-16-le"))
    before = digest(base)
    code, _, err = run_cli_said(capsys, "reorganise", base, changes, "--from", "2021-04-01")
    assert code == 2 and "文字コード" in err and "utf16_nomark.txt" in err
    assert digest(base) == before


TABLE_REFUSED = [
    ("duplicate-rename-rows", RENAME + "戸籍住民課\t戸籍課\t名称変更\n", ["2行目の「種別」", "3行目"]),
    ("duplicate-merge-row", CHANGES + "滞納対策課\t税務課\t統合\n", ["4行目の「旧課名」", "5行目"]),
    ("split-names-collide", "旧課名\t新課名\t種別\n税務課\t課税課\t分割\n税務課\t課税課\t分割\n",
     ["2行目の「新課名」", "3行目", "課税課"]),
    ("split-names-collide-folded", "旧課名\t新課名\t種別\n税務課\t課税課\t分割\n税務課\t課税課　\t分割\n",
     ["2行目の「新課名」", "3行目"]),
    ("split-name-taken-by-a-rename", "旧課名\t新課名\t種別\n税務課\t課税課\t分割\n税務課\t納税課\t分割\n"
     "滞納対策課\t納税課\t名称変更\n", ["3行目の「新課名」", "4行目の「種別」"]),
    ("split-into-an-open-課", "旧課名\t新課名\t種別\n税務課\t課税課\t分割\n税務課\t滞納対策課\t分割\n",
     ["3行目の「新課名」", "滞納対策課", "10行目"]),
    ("merge-of-two-bodies", "旧課名\t新課名\t種別\n総務課\t総合管理課\t統合\n教育支援課\t総合管理課\t統合\n",
     ["区長・教育委員会", "「実施機関」の列"]),
    ("merge-bodies-given-twice", "旧課名\t新課名\t種別\t実施機関\n総務課\t総合管理課\t統合\t区長\n"
     "教育支援課\t総合管理課\t統合\t教育委員会\n", ["総合管理課", "区長・教育委員会"]),
    ("blank-line-keeps-line-numbers", "旧課名\t新課名\t種別\n\n\n存在しない課\t新課\t名称変更\n", ["4行目の「旧課名」"]),
    ("rename-to-itself-folded", "旧課名\t新課名\t種別\n戸籍住民課\tＩＴ課\t名称変更\nＩＴ課\tIT 課\t名称変更\n",
     ["3行目の「旧課名」"]),
]


@pytest.mark.parametrize("name, text, words", TABLE_REFUSED, ids=[t[0] for t in TABLE_REFUSED])
def test_a_wrong_table_is_refused_naming_its_rows_and_nothing_is_written(base, folder, name, text, words, capsys):
    path = copy(base, folder / "refused.xlsx")
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, text, f"{name}.txt"), "--from", "2021-04-01")
    assert code == 2, err
    for word in words:
        assert word in err, err
    assert "登録簿は変えていません" in err
    assert digest(path) == before


def test_a_table_with_two_columns_of_one_header_is_refused(base, folder, capsys):
    text = "旧課名\t新課名\t種別\t旧課名\n戸籍住民課\t戸籍課\t名称変更\t税務課\n"
    code, _, err = run_cli_said(capsys, "reorganise", base, table(folder, text, "two_old.txt"), "--from", "2021-04-01",
                         "--dry-run")
    assert code == 2 and "旧課名" in err and "1行目" in err


@pytest.mark.parametrize("name", ["戸籍課、住民課", "戸籍\n課"], ids=["separator", "line-break"])
def test_a_new_name_the_successor_column_cannot_hold_is_refused(base, folder, name, capsys):
    path = copy(base, folder / "separator.xlsx")
    before = digest(path)
    quoted = f'"{name}"' if "\n" in name else name
    text = f"旧課名\t新課名\t種別\n戸籍住民課\t{quoted}\t名称変更\n"
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, text, "separator.txt"), "--from", "2021-04-01")
    # what happens now: written, and the 課 sheet has errors
    if code == 0:
        assert not [i for i in division_issues(path) if i.severity == ERROR]
    assert code == 2 and "2行目の「新課名」" in err
    assert digest(path) == before


def test_a_new_name_too_long_for_a_cell_is_refused_naming_the_table_cell(base, folder, capsys):
    path = copy(base, folder / "long.xlsx")
    before = digest(path)
    changes = table(folder, "旧課名\t新課名\t種別\n戸籍住民課\t" + "課" * 40_000 + "\t名称変更\n", "long.txt")
    code, _, err = run_cli_said(capsys, "reorganise", path, changes, "--from", "2021-04-01")
    assert code == 2 and digest(path) == before  # holds: nothing is written
    assert "シート「課」" not in err and "2行目の「新課名」" in err[:2000]
    code, _, err = run_cli_said(capsys, "reorganise", path, changes, "--from", "2021-04-01", "--dry-run")
    assert code == 2


# --- the table as a file ------------------------------------------------------------------------


def _table_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["旧課名", "新課名", "種別"], ["戸籍住民課", "戸籍課", "名称変更"]):
        ws.append(row)
    wb.save(path)
    return path


def test_an_xlsx_table_that_is_a_zip_bomb_is_refused_before_it_is_inflated(base, folder, monkeypatch, capsys):
    source = _table_xlsx(folder / "bomb_source.xlsx")
    bomb = patched(source, folder / "bomb.xlsx", "xl/worksheets/sheet1.xml",
                   lambda xml: xml.replace(b"</worksheet>", b"<!--" + b" " * 3_000_000 + b"--></worksheet>"))
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv("XLKIT_LIMITS", "part_bytes=1000000")
    before = digest(base)
    code, _, err = run_cli_said(capsys, "reorganise", base, bomb, "--from", "2021-04-01")
    assert code == 2 and "bomb.xlsx" in err and "上限" in err and "XLKIT_LIMITS" in err
    assert digest(base) == before


def test_an_xlsx_table_with_encrypted_parts_is_refused(base, folder, capsys):
    source = _table_xlsx(folder / "enc_source.xlsx")
    data = bytearray(source.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the "encrypted" flag of every entry
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 1
            at = data.find(signature, at + 1)
    encrypted = folder / "encrypted.xlsx"
    encrypted.write_bytes(bytes(data))
    before = digest(base)
    code, _, err = run_cli_said(capsys, "reorganise", base, encrypted, "--from", "2021-04-01")
    assert code == 2 and "暗号化" in err and "パスワード" in err
    assert digest(base) == before


def test_an_excel_password_protected_table_is_refused_saying_so(base, folder, capsys):
    protected = folder / "password.xlsx"
    protected.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)  # what Excel writes when encrypting
    code, _, err = run_cli_said(capsys, "reorganise", base, protected, "--from", "2021-04-01")
    assert code == 2  # holds
    assert "パスワード" in err


def test_the_register_given_as_its_own_change_table_is_refused_as_a_wrong_table(base, folder, capsys):
    path = copy(base, folder / "itself.xlsx")
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, path, "--from", "2021-04-01")
    assert code == 2 and digest(path) == before  # holds
    assert "組織改正の表" in err and "結合を解除" not in err


def test_a_table_that_is_no_file_is_refused(base, folder, capsys):
    before = digest(base)
    for changes, words in ((folder, "フォルダ"), (folder / "none.txt", "見つかりません"), (Path("/dev/null"), "通常のファイル")):
        code, _, err = run_cli_said(capsys, "reorganise", base, changes, "--from", "2021-04-01")
        assert code == 2 and words in err, err
    assert digest(base) == before


# --------------------------------------------------------------------------- --from


@pytest.mark.parametrize("day", ["令和3年4月1日", "R3.4.1", "２０２１－０４－０１", "2021/4/1"])
def test_from_in_wareki_and_other_spellings_gives_the_same_plan(base, folder, baseline_plan, day, capsys):
    code, out, _ = run_cli_said(capsys, "reorganise", base, table(folder, CHANGES, "plain.txt"), "--from", day, "--dry-run")
    assert code == 0 and out == baseline_plan


@pytest.mark.parametrize("day", ["2021-02-30", "H33.4.1", "R1.4.30", "令和", "abc", ""])
def test_a_from_date_that_is_no_date_is_refused(base, folder, day, capsys):
    before = digest(base)
    code, _, err = run_cli_said(capsys, "reorganise", base, table(folder, RENAME), "--from", day)
    assert code == 2 and "--from" in err
    assert digest(base) == before


@pytest.mark.parametrize("day", ["1900-01-01", "9999-12-31"])
def test_a_from_date_outside_the_registers_years_is_refused(base, folder, day, capsys):
    path = copy(base, folder / "far.xlsx")
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, RENAME), "--from", day)
    if code == 0:  # what happens now: 1900-01-01 leaves the 課 sheet with an error (its 終了日 read as a time)
        assert not [i for i in division_issues(path) if i.severity == ERROR]
    assert code == 2 and "--from" in err
    assert digest(path) == before


# --------------------------------------------------------------------------- against the 課 sheet's history


def test_the_same_table_twice_is_refused_the_second_time(after, folder, capsys):
    path = copy(after, folder / "twice.xlsx")
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, CHANGES), "--from", "2021-04-01")
    assert code == 2 and "2行目の「旧課名」" in err and "令和3年3月31日で終わっている課名です" in err
    # the same day, renaming a 課 that begins that day
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, "旧課名\t新課名\t種別\n戸籍課\t住民課\t名称変更\n"),
                         "--from", "2021-04-01")
    assert code == 2 and "令和3年4月1日からの課名です" in err
    # the same day, a new name another change of that day took already
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, "旧課名\t新課名\t種別\n男女共同参画課\t戸籍課\t名称変更\n"),
                         "--from", "2021-04-01")
    assert code == 2 and "新課名「戸籍課」" in err
    assert digest(path) == before


def test_a_change_dated_before_a_closed_課_ended_does_not_overwrite_its_end(after, folder, capsys):
    path = copy(after, folder / "earlier.xlsx")
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, "旧課名\t新課名\t種別\n戸籍住民課\t住民課\t名称変更\n"),
                         "--from", "2020-04-01")
    if code == 0:  # what happens now
        closed = [r for r in org_rows(path) if r[1] == "戸籍住民課"]
        assert closed[0][3:] == (D(2021, 3, 31), ("戸籍課",)), closed
    assert code == 2 and "2行目の「旧課名」" in err
    assert digest(path) == before


CHAINS = {
    # A → B and B → C on one day: B's rows were B's, but B is now A's new name
    "chain": "旧課名\t新課名\t種別\n医療保険年金課\t税務課\t名称変更\n税務課\t課税課\t名称変更\n",
    # A ↔ B
    "swap": "旧課名\t新課名\t種別\n医療保険年金課\t税務課\t名称変更\n税務課\t医療保険年金課\t名称変更\n",
}


@pytest.mark.parametrize("kind", CHAINS)
def test_a_rename_chain_in_one_table_is_refused_or_followed(base, folder, kind, capsys):
    path = copy(base, folder / f"{kind}.xlsx")
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, CHAINS[kind]), "--from", "2021-04-01")
    if code == 2:
        assert "税務課" in err and digest(path) == before
        return
    book = reader.load(path)
    done = inquiry_tasks.survey(book, folder / f"照会票_{kind}", year=2021, on=SURVEY_DAY)
    old_tax = {r.get("id") for r in inquiry.asked(book, 2021) if r.get("division") == "税務課"}
    successor = "課税課" if kind == "chain" else "医療保険年金課"
    assert old_tax and old_tax <= continuing_ids(done, successor)


def test_a_split_that_keeps_its_name_asks_every_branch(base, folder, capsys):
    path = copy(base, folder / "split_keep.xlsx")
    text = "旧課名\t新課名\t種別\n税務課\t税務課\t分割\n税務課\t納税課\t分割\n"
    assert run_cli_said(capsys, "reorganise", path, table(folder, text), "--from", "2021-04-01")[0] == 0
    book = reader.load(path)
    done = inquiry_tasks.survey(book, folder / "照会票_split_keep", year=2021, on=SURVEY_DAY)
    old_tax = {r.get("id") for r in inquiry.asked(book, 2021) if r.get("division") == "税務課"}
    assert old_tax <= continuing_ids(done, "税務課")  # holds
    assert old_tax <= continuing_ids(done, "納税課")


REUSE = {
    # 2022: another 課 takes the name 滞納対策課 closed (merged into 税務課) in 2021
    "closed-name-reused": "旧課名\t新課名\t種別\n男女共同参画課\t滞納対策課\t名称変更\n",
    # 2022: 戸籍課 goes back to its old name 戸籍住民課
    "renamed-back": "旧課名\t新課名\t種別\n戸籍課\t戸籍住民課\t名称変更\n",
}


@pytest.mark.parametrize("kind", REUSE)
def test_a_closed_name_used_again_keeps_the_names_of_earlier_reports(after, folder, kind, capsys):
    path = copy(after, folder / f"reuse_{kind}.xlsx")
    assert detail_divisions(api.export_linkages(reader.load(path), 2021, folder / f"{kind}_before.xlsx")) == [
        "税務課", "戸籍課"]
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, REUSE[kind]), "--from", "2022-04-01")
    # refused: with two periods of one name, a row typed with it could belong to either 課
    assert code == 2 and "2行目の「新課名」" in err and "終わった課名" in err
    assert digest(path) == before
    report = api.export_linkages(reader.load(path), 2021, folder / f"{kind}_after.xlsx")
    assert detail_divisions(report) == ["税務課", "戸籍課"]


def test_a_closed_name_used_again_keeps_its_linkages_with_their_successor(after, folder, capsys):
    path = copy(after, folder / "reuse_survey.xlsx")
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, REUSE["closed-name-reused"]), "--from", "2022-04-01")
    assert code == 2 and "2行目の「新課名」" in err  # refused: the name stays 滞納対策課's alone
    book = reader.load(path)
    done = inquiry_tasks.survey(book, folder / "照会票_reuse", year=2021, on=SURVEY_DAY)
    merged = {r.get("id") for r in inquiry.asked(book, 2021) if r.get("division") == "滞納対策課"}
    assert merged and merged <= continuing_ids(done, "税務課")


# --------------------------------------------------------------------------- hostile 課 sheets


def _division_part(path: Path) -> str:
    return sheet_part(path, DIVISION.sheet)


def test_a_formula_on_the_課_sheet_is_refused_or_kept(folder, capsys):
    part = _division_part(SAMPLE)
    path = patched(SAMPLE, folder / "formula.xlsx", part, lambda xml: re.sub(
        rb'<c r="B12"( s="\d+")? t="s"><v>\d+</v></c>',
        lambda m: b'<c r="B12"' + (m[1] or b"") + ' t="str"><f>実施機関!A2</f><v>区長</v></c>'.encode(), xml, count=1))
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, RENAME), "--from", "2021-04-01")
    if code == 2:
        assert "B12" in err and digest(path) == before
        return
    assert "実施機関!A2".encode() in members(path)[part]


def test_an_error_value_on_the_課_sheet_is_refused_or_kept(folder, capsys):
    part = _division_part(SAMPLE)
    path = patched(SAMPLE, folder / "error.xlsx", part, lambda xml: re.sub(
        rb'<c r="A14"( s="\d+")? t="s"><v>\d+</v></c>', lambda m: b'<c r="A14"' + (m[1] or b"") + b' t="e"><v>#N/A</v></c>',
        xml, count=1))
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, RENAME), "--from", "2021-04-01")
    if code == 2:
        assert "A14" in err and digest(path) == before
        return
    assert b't="e"' in members(path)[part]


def _decorated(path: Path) -> Path:
    """The sample with staff's marks on the 課 sheet below 戸籍住民課 (row 11): row 20 (児童育成担当課)
    hidden, A25 (高齢者医療担当課) filled yellow, a note on A30 (建築指導課)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb[DIVISION.sheet]
    assert (ws["A20"].value, ws["A25"].value, ws["A30"].value) == ("児童育成担当課", "高齢者医療担当課", "建築指導課")
    ws.row_dimensions[20].hidden = True
    ws["A25"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["A30"].comment = Comment("令和4年度に廃止予定", "区政情報課")
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def decorated(folder) -> Path:
    path = _decorated(folder / "decorated.xlsx")
    assert cli.main(["reorganise", str(path), str(table(folder, RENAME, "decorated.txt")), "--from", "2021-04-01"]) == 0
    return path


def _where(ws, name: str):
    [row] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == name]
    return row


def test_the_課_below_move_down_in_order_with_their_values(decorated):
    ws = openpyxl.load_workbook(decorated)[DIVISION.sheet]
    assert (_where(ws, "児童育成担当課"), _where(ws, "高齢者医療担当課"), _where(ws, "建築指導課")) == (21, 26, 31)


def test_a_hidden_課_stays_hidden(decorated):
    ws = openpyxl.load_workbook(decorated)[DIVISION.sheet]
    hidden = {ws.cell(r, 1).value for r, d in ws.row_dimensions.items() if d.hidden}
    assert hidden == {"児童育成担当課"}


def test_a_課_filled_by_staff_keeps_its_fill(decorated):
    ws = openpyxl.load_workbook(decorated)[DIVISION.sheet]
    yellow = {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)
              if ws.cell(r, 1).fill.fill_type and str(ws.cell(r, 1).fill.fgColor.rgb).endswith("FFFF00")}
    assert yellow == {"高齢者医療担当課"}


def test_a_note_on_a_課_stays_with_it(decorated):
    ws = openpyxl.load_workbook(decorated)[DIVISION.sheet]
    noted = {ws.cell(r, 1).value for r in range(2, ws.max_row + 1) if ws.cell(r, 1).comment}
    assert noted == {"建築指導課"}


def test_a_課_sheet_made_an_excel_table_or_filtered_grows_over_the_new_rows(folder, capsys):
    import re

    from openpyxl.worksheet.table import Table

    for kind in ("table", "filter"):
        wb = openpyxl.load_workbook(SAMPLE)
        ws = wb[DIVISION.sheet]
        if kind == "table":
            ws.add_table(Table(displayName="課の一覧", ref="A1:E37"))
        else:
            ws.auto_filter.ref = "A1:E37"
        path = folder / f"課_{kind}.xlsx"
        wb.save(path)
        code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, CHANGES), "--from", "2021-04-01")
        assert code == 0, err
        found = members(path)
        if kind == "table":
            [xml] = [x for name, x in found.items() if name.startswith("xl/tables/") and "課の一覧".encode() in x]
            assert re.search(rb'<table\b[^>]*ref="A1:E39"', xml)
        else:
            assert b'<autoFilter ref="A1:E39"' in found[sheet_part(path, DIVISION.sheet)]
            assert "'課'!$A$1:$E$39".encode() in found["xl/workbook.xml"]
        assert division_issues(path) == []


def test_a_memo_column_between_the_課_columns_moves_with_its_row(folder, capsys):
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb[DIVISION.sheet]
    ws.insert_cols(2)  # 課 | メモ | 実施機関 | 開始日 | 終了日 | 後継の課
    ws["B1"] = "メモ"
    for r in range(2, 38):
        ws.cell(r, 2).value = f"{ws.cell(r, 1).value}のメモ"
    path = folder / "memo_between.xlsx"
    wb.save(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, RENAME), "--from", "2021-04-01")
    assert code == 0, err
    grid = reader.read_grids(path)[DIVISION.sheet]
    beside = {row[0]: row[1] for row in grid[1:] if row[0] and row[1]}
    assert beside["男女共同参画課"] == "男女共同参画課のメモ"


def test_blank_rows_between_課_move_with_them(folder, capsys):
    import re

    part = _division_part(SAMPLE)
    path = patched(SAMPLE, folder / "blank_rows.xlsx", part,
                   lambda xml: re.sub(rb'<row r="15" [^>]*>.*?</row>', b'<row r="15"/>', xml))
    names = [r[1] for r in org_rows(path)]
    code, _, _ = run_cli_said(capsys, "reorganise", path, table(folder, CHANGES), "--from", "2021-04-01")
    assert code == 0
    rows = org_rows(path)
    assert [r[1] for r in rows if r[2] is None] == names  # every 課 once, in the order it had
    grid = reader.read_grids(path)[DIVISION.sheet]
    assert [row[0] for row in grid[14:18]] == ["文化観光課", "産業振興課", "", "介護保険課"]  # the gap moved to 17
    assert division_issues(path) == []


def test_a_new_課_below_the_sheets_last_row_is_refused(folder, monkeypatch, capsys):
    import re

    part = _division_part(SAMPLE)
    path = patched(SAMPLE, folder / "last_row.xlsx", part, lambda xml: re.sub(rb'<c r="G1"[^>]*>.*?</c>', b"", xml).replace(
        b"</sheetData>", '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>最後課</t></is></c>'
                         '<c r="B1048576" t="inlineStr"><is><t>区長</t></is></c></row></sheetData>'.encode()))
    monkeypatch.setenv("XLKIT_LIMITS", "sheet_cells=30000000")  # let the reader take a sheet down to row 1048576
    before = digest(path)
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, "旧課名\t新課名\t種別\n最後課\t最終課\t名称変更\n"),
                         "--from", "2021-04-01")
    assert b'r="1048577"' not in members(path)[part]
    assert code == 2 and digest(path) == before


def test_a_課_sheet_sorted_by_staff_after_the_change_still_reads_and_changes_again(after, folder, capsys):
    path = copy(after, folder / "sorted.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[DIVISION.sheet]
    last = max(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value)
    rows = [[ws.cell(r, c).value for c in range(1, 6)] for r in range(2, last + 1)]
    rows.sort(key=lambda r: (r[0], r[2] or dt.datetime(1900, 1, 1)), reverse=True)  # new rows above old ones
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value
    wb.save(path)
    book = reader.load(path)
    assert not [i for i in validate_book(book).issues if i.severity == ERROR]
    report = api.export_linkages(book, 2021, folder / "sorted_2021.xlsx")
    assert sorted(detail_divisions(report)) == ["戸籍課", "税務課"]
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, "旧課名\t新課名\t種別\n税務課\t財務課\t名称変更\n"),
                         "--from", "2022-04-01")
    assert code == 0, err
    taxes = [r for r in org_rows(path) if r[1] in ("税務課", "財務課")]
    assert [(r[1], r[2], r[3]) for r in taxes] == [
        ("税務課", D(2021, 4, 1), D(2022, 3, 31)), ("財務課", D(2022, 4, 1), None), ("税務課", None, D(2021, 3, 31))]
    assert division_issues(path) == []


# --------------------------------------------------------------------------- what the write keeps


def test_an_xlsm_keeps_its_vba_buttons_and_every_other_part(folder, capsys):
    source = REPO / "workbooks" / "sample.xlsm"
    path = copy(source, folder / "buttons.xlsm")
    code, _, err = run_cli_said(capsys, "reorganise", path, table(folder, CHANGES), "--from", "2021-04-01")
    assert code == 0, err
    old, new = members(source), members(path)
    division, history_part = sheet_part(path, DIVISION.sheet), sheet_part(path, schema.history().sheet)
    assert old.keys() == new.keys()
    assert {name for name in old if old[name] != new[name]} == {division, history_part, "xl/workbook.xml"}
    assert new["xl/vbaProject.bin"] == old["xl/vbaProject.bin"]
    # outside its rows, the 課 sheet is byte for byte the same but for its dimension
    a, b = old[division], new[division]
    assert a.split(b"</sheetData>")[1] == b.split(b"</sheetData>")[1]  # protection, validations, page setup
    assert a.split(b"<sheetData>")[0].replace(b'ref="A1:XFD37"', b'ref="A1:XFD39"') == b.split(b"<sheetData>")[0]
    # workbook.xml: only the 変更履歴 filter's range grew
    import re

    def names(xml: bytes) -> set[bytes]:
        return set(re.findall(rb"<definedName[^>]*>[^<]*", xml))

    changed = names(old["xl/workbook.xml"]) ^ names(new["xl/workbook.xml"])
    assert all(b"_FilterDatabase" in n and schema.history().sheet.encode() in n for n in changed)


def test_a_refused_change_on_an_xlsm_leaves_it_byte_for_byte(folder, capsys):
    path = copy(REPO / "workbooks" / "sample.xlsm", folder / "refused.xlsm")
    before = digest(path)
    code, _, _ = run_cli_said(capsys, "reorganise", path, table(folder, "旧課名\t新課名\t種別\n税務課\t総務課\t名称変更\n"),
                       "--from", "2021-04-01")
    assert code == 2 and digest(path) == before
    assert not [p.name for p in folder.iterdir() if "xlkit-lock" in p.name or p.name.startswith(".~xlkit-")]


# --------------------------------------------------------------------------- consequences


@pytest.fixture(scope="module")
def periods(folder, make_register, make_linkage, make_case) -> Path:
    """A register whose 課 sheet has the five columns, with linkages before, across and after a
    change of 2021-04-01: 戸籍住民課 → 戸籍課 (rename), 税務課 → 課税課・納税課 (split)."""
    masters = schema.masters()
    sheet = [DIVISION.headers, *([name, body] for name, body in masters["課"])]
    linkages = [
        make_linkage(1, 2019, end=D(2020, 6, 30)),  # C2: old name, ended before: fine
        make_linkage(2, 2021, start=D(2021, 6, 1)),  # C3: old name, begun after: renamed
        make_linkage(3, 2019),  # C4: old name, going on: renamed
        make_linkage(4, 2019, division="戸籍課", end=D(2020, 6, 30)),  # C5: new name, all before: renamed (改正後)
        make_linkage(5, 2021, division="税務課", start=D(2021, 6, 1)),  # C6: split name after: period error
        make_linkage(6, 2021, division="戸籍課", start=D(2021, 4, 1)),  # C7: new name on its first day: fine
        make_linkage(7, 2020, start=D(2021, 3, 31), end=D(2021, 3, 31)),  # C8: old name on its last day: fine
        make_linkage(8, 2019, division="税務課"),  # C9: split name going on: renamed, no single successor
        make_linkage(9, 2019, division="戸籍課"),  # C10: new name, begun before and going on: its name now
    ]
    cases = [make_case(1, divisions=["戸籍住民課"], submitted_on=D(2021, 4, 1), fiscal_year=2021)]
    path = make_register(folder / "periods.xlsx", linkages, cases, sheets={"課": sheet})
    text = "旧課名\t新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n税務課\t課税課\t分割\n税務課\t納税課\t分割\n"
    assert cli.main(["reorganise", str(path), str(table(folder, text, "periods.txt")), "--from", "2021-04-01"]) == 0
    return path


def test_validation_tells_rows_before_and_after_the_change_apart(periods):
    found = {(i.sheet, i.cell): (i.code, i.severity) for i in validate_book(reader.load(periods)).issues}
    linkage = {cell: v for (sheet, cell), v in found.items() if sheet == LINKAGE.sheet}
    assert linkage == {
        "C3": ("division-renamed", WARNING), "C4": ("division-renamed", WARNING),
        "C5": ("division-renamed", WARNING), "C6": ("division-period", ERROR), "C9": ("division-renamed", WARNING)}
    assert found[(schema.case().sheet, "D2")] == ("division-renamed", WARNING)
    said = {i.cell: i.message for i in validate_book(reader.load(periods)).issues if i.sheet == LINKAGE.sheet}
    assert said["C3"].startswith("組織改正前") and said["C5"].startswith("組織改正後")
    assert "「課税課」・「納税課」に分かれました" in said["C9"] and "令和3年3月31日までの課名" in said["C6"]
    assert [i for i in reader.load(periods).issues if i.sheet == DIVISION.sheet] == []


@pytest.fixture(scope="module")
def split(base, folder) -> Path:
    path = copy(base, folder / "split.xlsx")
    text = "旧課名\t新課名\t種別\n税務課\t課税課\t分割\n税務課\t納税課\t分割\n"
    assert cli.main(["reorganise", str(path), str(table(folder, text, "split.txt")), "--from", "2021-04-01"]) == 0
    return path


@pytest.fixture(scope="module")
def split_survey(split, folder):
    out = folder / "照会票_split"
    return out, inquiry_tasks.survey(reader.load(split), out, year=2021, on=SURVEY_DAY)


def test_a_split_課_has_no_form_and_each_branch_is_asked_its_linkages(split, split_survey):
    out, done = split_survey
    book = reader.load(split)
    names = {f.division for f in done.forms}
    assert "税務課" not in names and {"課税課", "納税課"} <= names
    assert not forms.form_of(out, "税務課").exists()
    old_tax = {r.get("id") for r in inquiry.asked(book, 2021) if r.get("division") == "税務課"}
    assert old_tax and continuing_ids(done, "課税課") == old_tax == continuing_ids(done, "納税課")
    assert done.notes == []


def _answer_both(split, split_survey, folder, name: str, ends: tuple[str, str | None]):
    out, done = split_survey
    [open_row] = [v["id"] for v in next(f for f in done.forms if f.division == "課税課").continuing
                  if not v.get("end")][:1]
    answers = []
    for division, end in zip(("課税課", "納税課"), ends):
        form = forms.form_of(out, division)
        answers.append(forms.fill(form, folder / name / form.name, ends={open_row: end} if end else {}))
    register = copy(split, folder / f"{name}.xlsx")
    return open_row, register, answers


@pytest.mark.parametrize("ends", [("R3.9.30", "R3.9.30"), ("R3.9.30", "R3.10.31")], ids=["same", "different"])
def test_an_end_answered_on_two_branches_of_a_split_is_a_conflict_not_applied(split, split_survey, folder, ends):
    row_id, register, answers = _answer_both(split, split_survey, folder, f"both_{ends[1]}", ends)
    done = inquiry_tasks.collect(register, answers, year=2021)
    assert not done.plan.ends
    assert [c for c in done.plan.conflicts if row_id in str(c)]
    [record] = [r for r in reader.load(register).linkages if r.get("id") == row_id]
    assert record.get("end") is None


def test_an_end_answered_on_one_branch_is_applied_once_and_the_other_later_is_a_conflict(split, split_survey, folder):
    row_id, register, answers = _answer_both(split, split_survey, folder, "one_then_other", ("R3.9.30", "R3.10.31"))
    first = inquiry_tasks.collect(register, [answers[0]], year=2021)
    assert len(first.plan.ends) == 1 and not first.plan.conflicts
    second = inquiry_tasks.collect(register, [answers[1]], year=2021)
    assert not second.plan.ends and [c for c in second.plan.conflicts if row_id in str(c)]
    [record] = [r for r in reader.load(register).linkages if r.get("id") == row_id]
    assert record.get("end") == D(2021, 9, 30)


def test_the_2020_and_2021_reports_print_each_years_names_in_chart_order(base, after, folder):
    old = detail_divisions(api.export_linkages(reader.load(after), 2020, folder / "r2020.xlsx"))
    assert old == detail_divisions(api.export_linkages(reader.load(base), 2020, folder / "r2020_base.xlsx"))
    assert "戸籍住民課" in old and "戸籍課" not in old
    assert detail_divisions(api.export_linkages(reader.load(after), 2021, folder / "r2021.xlsx")) == ["税務課", "戸籍課"]


def test_the_survey_dropdown_offers_each_課_of_its_day_once(after, folder):
    out = folder / "照会票_choices"
    inquiry_tasks.survey(reader.load(after), out, year=2021, on=SURVEY_DAY)
    ws = openpyxl.load_workbook(forms.form_of(out, "戸籍課"))["選択肢"]
    choices = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value]
    assert "戸籍課" in choices  # holds
    assert len(choices) == len(set(choices))
    assert not {"戸籍住民課", "滞納対策課"} & set(choices)


def test_close_year_after_a_reorganisation_closes_and_leaves_the_課_sheet(after, folder, capsys):
    work = folder / "close"
    work.mkdir()
    path = copy(after, work / "close.xlsx")
    divisions = reader.read_grids(path)[DIVISION.sheet]
    code, out, err = run_cli_said(capsys, "close-year", path, "--no-pdf")
    assert code == 0, err
    assert (work / "確定" / "2020").is_dir()
    assert reader.read_grids(path)[DIVISION.sheet] == divisions
    book = reader.load(path)
    assert book.settings.get("report_year") == 2021
    assert not [i for i in validate_book(book).issues if i.severity == ERROR]
