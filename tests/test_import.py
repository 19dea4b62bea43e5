"""`xlkit import`: the published table (2) of the 令和2年度 report into real register files."""

from __future__ import annotations

import errno
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlkit import cli, pasted_table, schema, tasks
from xlkit.workbook import reader
from xlkit.errors import XlkitError
from xlkit.workbook.builder import build
from xlkit.workbook.package import Package

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "workbooks" / "data" / "r2_new_linkages.tsv"
REFERENCE = ROOT / "tests" / "reference" / "003_36beb941d6b64d21.txt"
D = dt.date

# Worked out by hand from the report: No. -> (課 as in the master, 実施機関, 開始年月日, 特定個人情報 ○)
EXPECTED = {
    1: ("総務課", "区長", D(2020, 5, 15), False),
    2: ("総務課", "区長", D(2020, 5, 15), False),
    3: ("総務課", "区長", D(2020, 8, 1), False),
    4: ("税務課", "区長", D(2020, 4, 1), True),
    5: ("戸籍住民課", "区長", D(2020, 4, 1), False),
    6: ("文化観光課", "区長", D(2020, 4, 1), False),
    7: ("介護保険課", "区長", D(2020, 7, 1), False),
    8: ("生活福祉課保護担当課", "区長", D(2020, 6, 1), True),  # printed 「生活福祉課 保護担当課」
    9: ("生活福祉課保護担当課", "区長", D(2020, 6, 1), True),
    10: ("生活福祉課", "区長", D(2020, 4, 1), False),
    11: ("保健予防課", "区長", D(2020, 8, 3), False),
    12: ("保健予防課", "区長", D(2021, 2, 1), False),
    13: ("健康づくり課", "区長", D(2021, 3, 1), True),
    14: ("医療保険年金課", "区長", D(2020, 4, 1), False),
    15: ("医療保険年金課", "区長", D(2020, 4, 1), False),
    16: ("医療保険年金課", "区長", D(2020, 10, 1), True),
    17: ("医療保険年金課", "区長", D(2006, 6, 1), False),  # 「H18.6.1 記載漏れ」
    18: ("医療保険年金課", "区長", D(2020, 6, 1), False),
    19: ("住宅課", "区長", D(2020, 4, 1), False),
    20: ("教育支援課", "教育委員会", D(2020, 6, 1), False),
    21: ("教育支援課", "教育委員会", D(2020, 6, 1), False),
    22: ("教育支援課", "教育委員会", D(2021, 3, 1), False),
}
TEXT_COLUMNS = {2: "business", 3: "reason", 4: "subjects", 5: "items", 7: "basis", 8: "partner"}

SETTINGS = {"report_year": 2020, "report_date": D(2025, 7, 3), "previous_published": {"区長": 61, "教育委員会": 5}}


@pytest.fixture
def existing(make_linkage, make_case) -> dict:
    """What a register holds before an import: R1-001 (区長, a note that looks like a formula),
    R2-005 (教育委員会, a start typed as text), one case; ids R2-006 on are free for 2020."""
    return dict(linkages=[
        make_linkage(1, id="R1-001", division="税務課", my_number=True, start=D(2019, 10, 1),
                     note="=これは数式ではありません"),
        make_linkage(2, id="R2-005", body="教育委員会", division="学校運営課", start="R2.4.1", end=D(2021, 3, 31)),
    ], cases=[make_case(1, divisions=["行政管理課", "情報システム課"], categories=["外部結合"],
                        submitted_on=D(2025, 2, 13))], settings=SETTINGS)


def reference_rows() -> dict[int, list[str]]:
    """The data lines of the TSV, split by hand (no csv module), keyed by No."""
    rows = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if not line.strip() or cells[0] == "No.":
            continue
        rows[int(cells[0])] = cells
    return rows


@pytest.fixture
def fresh(tmp_path) -> Path:
    path = tmp_path / "登録簿.xlsx"
    build(path, linkages=[], cases=[], settings={"report_year": 2020})
    return path


@pytest.fixture
def filled(tmp_path, existing) -> Path:
    path = tmp_path / "登録簿.xlsx"
    build(path, **existing)
    return path


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["import", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- the data file is the published table -------------------------------------------------

def test_table_file_is_table_2_of_the_reference_exactly():
    lines = REFERENCE.read_text(encoding="utf-8").split("\n")
    start = lines.index(next(line for line in lines if line.startswith("No.\t")))
    end = max(i for i, line in enumerate(lines) if line.startswith("22\t"))
    assert TABLE.read_text(encoding="utf-8").split("\n")[:-1] == lines[start:end + 1]
    assert sum(1 for line in lines[start:end + 1] if line.startswith("No.\t")) == 9  # one header per page


# --- importing the reference text ---------------------------------------------------------

def test_import_of_the_reference_text_every_field(fresh, capsys):
    code, out, err = run_cli(capsys, fresh, TABLE, "--year", "2020")
    assert code == 0, err
    assert "22 件を追加しました（2〜23行目、管理番号 R2-001〜R2-022）" in out
    assert "13行目（No.8）: 課「生活福祉課 保護担当課」を「課」シートの「生活福祉課保護担当課」として取り込みます。" in err

    book = reader.load(fresh)
    assert book.issues == []
    assert len(book.linkages) == 22
    source = reference_rows()
    for no, record in enumerate(book.linkages, start=1):
        division, body, start, my_number = EXPECTED[no]
        v = record.values
        assert record.row == no + 1
        assert v["id"] == f"R2-{no:03d}"
        assert (v["division"], v["body"], v["start"], v["fiscal_year"]) == (division, body, start, 2020)
        assert v.get("my_number") is (True if my_number else None)
        assert record.raw.get("my_number") == ("○" if my_number else None)
        for index, key in TEXT_COLUMNS.items():
            assert v[key] == source[no][index].strip(), (no, key)
        assert "end" not in v and "consent" not in v and "case_ref" not in v
        assert v.get("note") == ("記載漏れ" if no == 17 else None)


def test_dates_are_real_date_cells_in_the_columns_format(fresh):
    tasks.import_table(fresh, TABLE.read_text(encoding="utf-8"), 2020)
    ws = openpyxl.load_workbook(fresh)["外部結合"]
    headers = [c.value for c in ws[1]]
    start = headers.index(schema.linkage().header("start")) + 1
    year = headers.index(schema.linkage().header("fiscal_year")) + 1
    column_format = next(d for d in ws.column_dimensions.values() if d.min <= start <= d.max).number_format
    for r in range(2, 24):
        cell = ws.cell(r, start)
        assert cell.is_date and cell.number_format == column_format
        assert isinstance(ws.cell(r, year).value, int)
    assert ws.cell(18, start).value == dt.datetime(2006, 6, 1)  # No.17
    assert ws.tables["表_外部結合"].ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}23"


def test_parse_reads_every_spelling_of_the_table():
    divisions = [tuple(d) for d in schema.masters()["課"]]
    header = "No.\t" + "\t".join(schema.linkage().header(k) for k in (
        "division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start"))
    row = "1\t{div}\t業務\t理由\t対象者\t項目\t{mark}\t根拠\t相手方\t{date}"
    text = "\r\n".join([
        "(2)新たに外部計算機との結合を行った外部結合の内訳", "",
        header.replace("No.", "Ｎｏ．"),
        row.format(div="総務課", mark="〇", date="令和２年４月１日"),
        row.format(div="ｿｳﾑ課".replace("ｿｳﾑ", "総務"), mark="", date="2020/4/2"),
        row.format(div="総務課", mark="", date="R2.4.3（記載漏れ）"),
        row.format(div="総務課", mark="", date="44000"),
        '7\t総務課\t業務\t"理由の1行目\n理由の2行目"\t対象者\t項目\t\t根拠\t相手方\tR2.4.5\t',
        "\t\t\t",
    ])
    parsed = pasted_table.parse(text, year=2020, divisions=divisions)
    assert parsed.problems == []
    assert [str(n) for n in parsed.notices] == [
        "1行目: 表の前の行「(2)新たに外部計算機との結合を行った外部結合の内訳」を読み飛ばしました。"]
    starts = [r.values["start"] for r in parsed.rows]
    assert starts == [D(2020, 4, 1), D(2020, 4, 2), D(2020, 4, 3), D(2020, 6, 18), D(2020, 4, 5)]
    assert parsed.rows[0].values["my_number"] is True
    assert parsed.rows[2].values["note"] == "記載漏れ"
    assert parsed.rows[4].values["reason"] == "理由の1行目\n理由の2行目"
    assert parsed.rows[4].line == 8


def test_split_late():
    assert pasted_table.split_late("H18.6.1 記載漏れ") == ("H18.6.1", True)
    assert pasted_table.split_late("H18.6.1　【記載漏れ】") == ("H18.6.1", True)
    assert pasted_table.split_late("R2. 4. 1") == ("R2. 4. 1", False)
    assert pasted_table.split_late("記載漏れ") == ("記載漏れ", False)


def test_ids_continue_after_the_registers_highest_of_the_year(filled, capsys):
    code, out, _ = run_cli(capsys, filled, TABLE, "--year", "2020")
    assert code == 0
    assert "管理番号 R2-006〜R2-027" in out and "4〜25行目" in out
    assert pasted_table.next_ids(["R1-003", "r1-004", "R2-001", None], 2019, 2) == ["R1-005", "R1-006"]
    assert pasted_table.next_ids([], 2018, 1) == ["H30-001"]


# --- nothing else disturbed ---------------------------------------------------------------

def _style(cell) -> tuple:
    return (cell.font.name, cell.font.sz, cell.font.b, cell.font.color.rgb if cell.font.color else None,
            cell.fill.fill_type, cell.fill.fgColor.rgb, cell.number_format, cell.alignment.wrap_text,
            cell.alignment.horizontal, cell.alignment.vertical, cell.protection.locked, cell.border.left.style)


def snapshot(path: Path, *, linkage_rows: int) -> dict:
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    shot = {"names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()), "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        # 外部結合 and 変更履歴 grow below their rows (the history is checked on its own)
        last = {"外部結合": linkage_rows, schema.history().sheet: 1}.get(ws.title, ws.max_row)
        shot[ws.title] = {
            # an empty text cell is written back as no value: the same to anyone looking
            "cells": {c.coordinate: (c.value or None, c.data_type if c.value else None, _style(c))
                      for row in ws.iter_rows(max_row=last) for c in row if c.value is not None or c.has_style},
            "widths": sorted((d.min, d.max, d.width) for d in ws.column_dimensions.values()),
            "heights": {r: d.height for r, d in ws.row_dimensions.items() if r <= last},
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "validations": sorted((str(v.sqref), v.type, v.formula1, v.prompt, v.error)
                                  for v in ws.data_validations.dataValidation),
            "protection": (ws.protection.sheet, ws.protection.insertRows, ws.protection.deleteRows),
            "freeze": ws.freeze_panes,
            "tables": sorted(t.name for t in ws.tables.values()),
        }
    return shot


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_existing_rows_formatting_and_other_sheets_undisturbed(tmp_path, suffix, capsys, existing):
    path = tmp_path / f"登録簿{suffix}"
    build(path, **existing)
    before = snapshot(path, linkage_rows=3)
    with zipfile.ZipFile(path) as z:
        parts_before = {n: z.read(n) for n in z.namelist() if "vba" in n or n.endswith(".vml")}
    before_book = reader.load(path)

    code, _, err = run_cli(capsys, path, TABLE, "--year", "2020")
    assert code == 0, err

    assert snapshot(path, linkage_rows=3) == before
    after_book = reader.load(path)
    assert [(r.row, r.values, r.raw) for r in after_book.linkages[:2]] == \
        [(r.row, r.values, r.raw) for r in before_book.linkages]
    assert [(r.row, r.values) for r in after_book.cases] == [(r.row, r.values) for r in before_book.cases]
    assert after_book.settings == before_book.settings
    assert after_book.divisions == before_book.divisions
    with zipfile.ZipFile(path) as z:
        assert {n: z.read(n) for n in z.namelist() if "vba" in n or n.endswith(".vml")} == parts_before
    if suffix == ".xlsm":
        assert "xl/vbaProject.bin" in parts_before and any(n.endswith(".vml") for n in parts_before)

    # the new rows look like the row above them; a cell that is not in the file shows its
    # column's format, in Excel as in LibreOffice
    ws = openpyxl.load_workbook(path)["外部結合"]

    def shown(r, col):
        if (r, col) in ws._cells and ws.cell(r, col).has_style:
            return ws.cell(r, col)
        return next(d for d in ws.column_dimensions.values() if d.min <= col <= d.max)

    for col in range(1, ws.max_column + 1):
        for r in (4, 25):
            assert _style(shown(r, col)) == _style(shown(3, col)), (r, col)
    assert ws.cell(2, 16).data_type == "s" and ws.cell(2, 16).value == "=これは数式ではありません"


# --- rows that cannot be read ---------------------------------------------------------------

HEADER = "No.\t" + "\t".join(schema.linkage().header(k) for k in (
    "division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start"))


def line(no, division="総務課", business="業務", date="R2.4.1", cells=10):
    values = [str(no), division, business, "理由", "対象者", "項目", "", "令和2年度第2回審議会承認", "相手方", date]
    return "\t".join(values[:cells])


BAD_TABLE = "\n".join([
    "(2)新たに外部計算機との結合を行った外部結合の内訳",       # 1: title, skipped with a notice
    "",                                                       # 2
    HEADER,                                                   # 3
    line(1),                                                  # 4: good
    line(2, cells=9),                                         # 5: a cell missing
    line(3, division="総務家"),                               # 6: unknown 課
    line(4, date="R2.13.1"),                                  # 7: no such month
    line(5, business=""),                                     # 8: 業務名 blank
    "",                                                       # 9
    HEADER,                                                   # 10: the header repeated
    line(6, division="教育支援課", date="令和２年６月１日"),   # 11: good
    line(7, date="R2.4.1 確認中"),                            # 12: not a date
]) + "\n"


def test_bad_rows_reported_by_line_and_nothing_appended(filled, tmp_path, capsys):
    table = tmp_path / "表.txt"
    table.write_text(BAD_TABLE, encoding="utf-8")
    before = filled.read_bytes()
    code, out, err = run_cli(capsys, filled, table, "--year", "2020")
    assert code == 1
    assert filled.read_bytes() == before
    assert "1行目: 表の前の行「(2)新たに外部計算機との結合を行った外部結合の内訳」を読み飛ばしました。" in err
    assert "取り込めない行: 5行目（No.2）: セルの数が 9 個です（見出しは 10 列）。" in err
    assert ("取り込めない行: 6行目（No.3）: 結合を行った課「総務家」が登録簿の「課」シートにありません。"
            "「総務課」の誤りではありませんか。") in err
    assert "取り込めない行: 7行目（No.4）: 結合の開始年月日「R2.13.1」: 存在しない日付です" in err
    assert "取り込めない行: 8行目（No.5）: 業務名が空欄です。" in err
    assert "取り込めない行: 12行目（No.7）: 結合の開始年月日「R2.4.1 確認中」: " in err  # dates.py says why
    assert "取り込めない行が 5 件あるため、何も追加していません。" in err
    assert out == ""

    parsed = pasted_table.parse(BAD_TABLE, year=2020, divisions=[tuple(d) for d in schema.masters()["課"]])
    assert [m.line for m in parsed.problems] == [5, 6, 7, 8, 12]
    assert [r.line for r in parsed.rows] == [4, 11]


def test_skip_bad_appends_the_readable_rows(filled, tmp_path, capsys):
    table = tmp_path / "表.txt"
    table.write_text(BAD_TABLE, encoding="utf-8")
    code, out, err = run_cli(capsys, filled, table, "--year", "2020", "--skip-bad")
    assert code == 1
    assert "2 件を追加しました（4〜5行目、管理番号 R2-006〜R2-007）" in out
    assert "取り込めない行 5 件を除いて追加しました。" in err
    book = reader.load(filled)
    assert [(r.values["division"], r.values["body"], r.values["start"]) for r in book.linkages[2:]] == [
        ("総務課", "区長", D(2020, 4, 1)), ("教育支援課", "教育委員会", D(2020, 6, 1))]


def test_data_before_any_header_is_reported(filled, tmp_path, capsys):
    table = tmp_path / "表.txt"
    table.write_text(line(1) + "\n" + HEADER + "\n" + line(2) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, filled, table, "--year", "2020")
    assert code == 1
    assert "1行目（No.1）: 見出し行（No. で始まる行）より前にあるため読めません。" in err


def test_no_header_at_all_is_refused(filled, tmp_path, capsys):
    table = tmp_path / "表.txt"
    table.write_text("実績はありません。\n", encoding="utf-8")
    assert run_cli(capsys, filled, table, "--year", "2020")[0] == 2
    with pytest.raises(XlkitError, match="見出し行"):
        pasted_table.parse("実績はありません。\n", year=2020, divisions=[])


def test_unknown_header_is_refused_with_its_line(tmp_path):
    with pytest.raises(XlkitError) as e:
        pasted_table.parse("\n" + HEADER.replace("業務名", "事業名") + "\n" + line(1), year=2020, divisions=[])
    assert e.value.message.startswith("2行目の見出し 「事業名」 は外部結合の列名ではありません。")


def test_importing_the_same_table_twice_adds_nothing(fresh, capsys):
    assert run_cli(capsys, fresh, TABLE, "--year", "2020")[0] == 0
    before = fresh.read_bytes()
    code, out, err = run_cli(capsys, fresh, TABLE, "--year", "2020")
    # nothing is wrong and nothing is to do: it says so, and does not ask to fix the table
    assert code == 0 and fresh.read_bytes() == before
    assert "登録済み: 2行目（No.1）: 登録簿の「外部結合」2行目にすでにあります。（追加しません）" in err
    assert err.count("すでにあります") == 22 and "取り込めない" not in err and "--skip-bad" not in err
    assert "表の 22 件はすべて登録簿にすでにあります。何も追加していません。" in out


def test_a_table_pasted_again_with_new_rows_appends_only_those(fresh, tmp_path, capsys):
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    header, first_rows = lines[0], [l for l in lines if l.split("\t")[0] in ("1", "2", "3")]
    part = tmp_path / "前半.txt"
    part.write_text("\n".join([header, *first_rows[:2]]) + "\n", encoding="utf-8")
    assert run_cli(capsys, fresh, part, "--year", "2020")[0] == 0
    code, out, err = run_cli(capsys, fresh, TABLE, "--year", "2020")
    assert code == 0 and err.count("登録済み:") == 2
    assert "20 件を追加しました（4〜23行目、管理番号 R2-003〜R2-022）。登録済みの 2 件は追加していません。" in out
    book = reader.load(fresh)
    assert len(book.linkages) == 22 and len({r.values["id"] for r in book.linkages}) == 22


def test_a_row_that_would_be_a_duplicate_linkage_is_not_added(fresh, tmp_path, capsys):
    """The same 課・業務名・相手方・開始年月日・記録項目 as a registered row, told apart only by
    理由: added, 入力チェック would call both rows linkage-duplicate at once."""
    from xlkit.validation import validate_book

    assert run_cli(capsys, fresh, TABLE, "--year", "2020")[0] == 0
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    first = lines[1].split("\t")
    first[3] = "理由を書き換えた行"
    twin = line(4).split("\t")
    twin[4] = "対象者だけ違う行"  # else as line(3)
    table = tmp_path / "表.txt"
    table.write_text("\n".join([lines[0], "\t".join(first), line(3), "\t".join(twin)]) + "\n", encoding="utf-8")
    before = fresh.read_bytes()
    code, _, err = run_cli(capsys, fresh, table, "--year", "2020")
    assert code == 1 and fresh.read_bytes() == before
    assert "2行目（No.1）: 登録簿の「外部結合」2行目と、結合を行った課・業務名・結合の相手方・開始年月日・記録項目が同じです" in err
    assert "4行目（No.4）: 表の3行目と、" in err
    code, _, _ = run_cli(capsys, fresh, table, "--year", "2020", "--skip-bad")
    assert code == 1
    report = validate_book(reader.load(fresh))
    assert not [i for i in report.issues if i.code == "linkage-duplicate"]


def test_dry_run_writes_nothing(fresh, capsys):
    before = fresh.read_bytes()
    code, out, _ = run_cli(capsys, fresh, TABLE, "--year", "2020", "--dry-run")
    assert code == 0 and fresh.read_bytes() == before
    assert "確認のみ: 取り込める行 22 件、登録済みの行 0 件、取り込めない行 0 件" in out


def test_refuses_a_register_open_in_excel(fresh, capsys):
    (fresh.parent / f"~${fresh.name}").write_bytes(b"owner")
    before = fresh.read_bytes()
    code, _, err = run_cli(capsys, fresh, TABLE, "--year", "2020")
    assert code == 2 and fresh.read_bytes() == before
    assert "Excel で開かれています" in err


def test_a_failed_write_leaves_the_register_as_it_was(fresh, monkeypatch):
    before = fresh.read_bytes()

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Package, "save", broken_save)
    with pytest.raises(XlkitError, match="「登録簿.xlsx」を保存できませんでした。.*ディスクの空きが足りません"):
        tasks.import_table(fresh, TABLE.read_text(encoding="utf-8"), 2020)
    assert fresh.read_bytes() == before
    assert sorted(p.name for p in fresh.parent.iterdir()) == [fresh.name]


def test_a_register_rewritten_in_place_meanwhile_is_said_to_be_changed_not_broken(fresh, monkeypatch):
    """A script (openpyxl) saving over the register in place while the import holds it: the parts
    the writer then reads are the new file's bytes at the old places. That is a change, to be run
    again, never a damaged register to restore from a backup (xlkit.workbook.writer.editing)."""
    real = tasks.log_changes

    def rewrite_then_log(*args, **kwargs):
        workbook = openpyxl.load_workbook(fresh)
        workbook[schema.settings().sheet]["B2"] = "資料２"
        workbook.save(fresh)  # truncates and rewrites the same file
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "log_changes", rewrite_then_log)
    with pytest.raises(XlkitError) as refused:
        tasks.import_table(fresh, TABLE.read_text(encoding="utf-8"), 2020)
    said = refused.value.message
    assert "変更されました" in said and "もう一度実行" in said
    assert "壊れて" not in said and "バックアップ" not in said
    assert reader.load(fresh).linkages == []  # the colleague's file as they saved it, nothing imported
    assert sorted(p.name for p in fresh.parent.iterdir()) == [fresh.name]


def test_shift_jis_text_is_read(fresh, tmp_path, capsys):
    table = tmp_path / "表_sjis.txt"
    table.write_bytes(TABLE.read_text(encoding="utf-8").replace("\n", "\r\n").encode("cp932"))
    code, out, _ = run_cli(capsys, fresh, table, "--year", "2020")
    assert code == 0 and "22 件を追加しました" in out


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read(fresh, tmp_path, capsys, encoding):
    """Excel's 「Unicode テキスト」 (and Notepad's 「Unicode」) is UTF-16 with a byte order mark."""
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    table = tmp_path / "表_unicode.txt"
    table.write_bytes(bom + TABLE.read_text(encoding="utf-8").replace("\n", "\r\n").encode(encoding))
    code, out, _ = run_cli(capsys, fresh, table, "--year", "2020")
    assert code == 0 and "22 件を追加しました" in out


def test_warns_about_rows_validation_will_flag(fresh, tmp_path, capsys):
    table = tmp_path / "表.txt"
    table.write_text("\n".join([HEADER, line(1, date="R3.4.1"), line(2, date="R1.5.1")]), encoding="utf-8")
    code, _, err = run_cli(capsys, fresh, table, "--year", "2020")
    assert code == 0
    assert "1行目（No.1）" not in err
    assert "2行目（No.1）: 開始年月日（2021/04/01）が令和2年度より後です。" in err
    assert "3行目（No.2）: 開始年月日（2019/05/01）が令和2年度より前です。" in err


def test_a_wrong_year_is_refused(fresh, capsys):
    before = fresh.read_bytes()
    code, out, err = run_cli(capsys, fresh, TABLE, "--year", "20")
    assert code == 2 and out == "" and fresh.read_bytes() == before
    assert err.startswith("エラー: ") and "「20」" in err and "西暦4桁" in err and "Traceback" not in err


def test_a_body_column_is_checked_against_the_division():
    header = HEADER.replace("No.\t", "No.\t実施機関\t")
    text = "\n".join([header, "1\t教育委員会\t" + line(1).split("\t", 1)[1], "2\t区長\t" + line(2).split("\t", 1)[1]])
    parsed = pasted_table.parse(text, year=2020, divisions=[tuple(d) for d in schema.masters()["課"]])
    assert [str(m) for m in parsed.problems] == [
        "2行目（No.1）: 実施機関「教育委員会」が課「総務課」の実施機関「区長」と違います。"]
    assert [r.values["body"] for r in parsed.rows] == ["区長"]


def test_a_header_column_twice_is_refused():
    with pytest.raises(XlkitError, match="1行目の見出しに 業務名 が2回あります。"):
        pasted_table.parse(HEADER + "\t業務名\n", year=2020, divisions=[])


def test_a_folder_given_as_the_table_is_named_a_folder(fresh, tmp_path, capsys):
    code, _, err = run_cli(capsys, fresh, tmp_path, "--year", "2020")
    assert code == 2 and "はフォルダです" in err and "見つかりません" not in err


def test_rows_go_below_the_data_not_below_formatting_further_down(filled):
    """A cell formatted far below the data (a colour, a border) holds nothing: rows go right under
    the last row the reader read. Searching the sheet for that row again once took minutes."""
    from openpyxl.styles import PatternFill

    wb = openpyxl.load_workbook(filled)
    ws = wb["外部結合"]
    ws["P300"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["B40"] = "   "  # white space only is blank to the reader, and so to the import
    wb.save(filled)
    last = max(r.row for r in reader.load(filled).linkages)
    result = tasks.import_table(filled, TABLE.read_text(encoding="utf-8"), 2020)
    assert [row for row, _ in result.appended] == list(range(last + 1, last + 23))
    ws = openpyxl.load_workbook(filled)["外部結合"]
    assert ws.tables["表_外部結合"].ref.endswith(str(last + 22))
    assert ws["P300"].fill.fgColor.rgb.endswith("FFFF00")  # staff's formatting is kept
