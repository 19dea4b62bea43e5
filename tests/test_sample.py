"""The sample register reproduces table (1) of the 令和2年度 report, and rolls forward to 令和3年度."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlkit import cli, figures, pasted_table, records, schema, tasks
from xlkit.workbook import reader
from support import check_file, fold

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "sample.xlsx"
SAMPLE_XLSM = ROOT / "workbooks" / "sample.xlsm"
DATA = ROOT / "workbooks" / "data"
REFERENCE = ROOT / "tests" / "reference" / "003_36beb941d6b64d21.txt"
CASES_REFERENCE = ROOT / "tests" / "reference" / "000_8a7388011a45e15b.txt"  # 資料１
D = dt.date

# Table (1) of the 令和2年度 report: 実施機関, a, b, c, a + b − c, 特定個人情報
TABLE_1 = [
    ("区長", 61, 19, 0, 80, 24),
    ("教育委員会", 5, 3, 0, 8, 0),
    ("選挙管理委員会", 0, 0, 0, 0, 0),
    ("監査委員", 0, 0, 0, 0, 0),
    ("議会", 0, 0, 0, 0, 0),
    ("合計", 66, 22, 0, 88, 24),
]


def as_tuples(result: figures.Figures) -> list[tuple]:
    return [(r.body, r.a, r.b, r.c, r.total, r.my_number) for r in result.rows]


def compute(path: Path, year: int) -> figures.Figures:
    book = reader.load(path)
    return figures.compute(book.linkages, year, book.bodies, book.master(records.DIVISION_SHEET))


def test_table_1_is_the_reports():
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = lines.index(next(line for line in lines if line.startswith("区長\t")))
    published = [line.split("\t") for line in lines[start:start + 6]]
    assert [(c[0], *map(int, c[1:6])) for c in published] == TABLE_1


@pytest.mark.parametrize("path", [SAMPLE, SAMPLE_XLSM])
def test_sample_reproduces_table_1(path):
    result = compute(path, 2020)
    assert as_tuples(result) == TABLE_1
    assert result.mismatches == [] and result.skipped == []
    assert len(result.new) == 22 and result.ended == []


def test_summarize_json_of_the_sample(capsys):
    assert cli.main(["summarize", str(SAMPLE), "--json"]) == 0  # the year comes from 設定: 2020
    data = json.loads(capsys.readouterr().out)
    assert data == {"year": 2020, "rows": [
        {"実施機関": body, "a": a, "b": b, "c": c, "a+b-c": total, "特定個人情報": mine}
        for body, a, b, c, total, mine in TABLE_1]}


def test_sample_settings_and_previous_figures():
    book = reader.load(SAMPLE)
    assert book.settings["report_year"] == 2020
    assert book.settings["report_date"] == D(2025, 7, 3)
    assert book.settings["department"] == "総合政策部区政情報課"
    assert book.settings["previous_published"] == {"区長": 61, "教育委員会": 5, "選挙管理委員会": 0, "監査委員": 0, "議会": 0}
    assert figures.compare_previous(compute(SAMPLE, 2020), book.settings["previous_published"]) == []


def test_sample_has_no_errors():
    report = check_file(SAMPLE)
    assert report.errors == 0, [i.message for i in report.issues if i.severity == "error"]


def test_sample_exercises_the_rules():
    book = reader.load(SAMPLE)
    linkages = book.linkages
    consent = [r for r in linkages if r.get("consent")]
    ended_early = [r for r in linkages if r.get("end") and r.get("end") < D(2019, 4, 1)]
    assert len(consent) == 3 and len(ended_early) == 4
    assert not any(figures.active_in(r, 2019) for r in ended_early)
    assert any(figures.active_in(r, 2020) for r in consent)  # running, yet never counted
    late = [r for r in linkages if r.get("note") == "記載漏れ"]
    assert [(r.get("id"), r.get("start"), r.get("fiscal_year")) for r in late] == [
        ("R1-001", D(2014, 4, 1), 2019), ("R2-017", D(2006, 6, 1), 2020)]


def test_sample_r2_rows_come_from_the_published_table():
    book = reader.load(SAMPLE)
    r2 = [r for r in book.linkages if r.get("fiscal_year") == 2020]
    assert [r.get("id") for r in r2] == [f"R2-{k:03d}" for k in range(1, 23)]
    assert [r.row for r in r2] == list(range(r2[0].row, r2[0].row + 22))  # appended below the prior rows
    parsed = pasted_table.parse((DATA / "r2_new_linkages.tsv").read_text(encoding="utf-8"), year=2020,
                            divisions=book.divisions)
    assert [{k: v for k, v in r.values.items() if k != "id"} for r in r2] == [row.values for row in parsed.rows]


def test_prior_linkages_are_said_to_be_invented():
    data = json.loads((DATA / "prior_linkages.json").read_text(encoding="utf-8"))
    assert "架空のデータです" in data["$comment"][0] and "Synthetic" in data["$comment"][2]
    assert all(r["fiscal_year"] <= 2019 for r in data["linkages"])
    assert len({r["id"] for r in data["linkages"]}) == len(data["linkages"])


def test_sample_cases_are_the_41_of_shiryo_1():
    source = json.loads((DATA / "cases_r7.json").read_text(encoding="utf-8"))
    book = reader.load(SAMPLE)
    assert len(book.cases) == 41
    by_no = {c.get("no"): c for c in book.cases}
    for case in source:
        record = by_no[case["no"]]
        submitted = D.fromisoformat(case["submitted_on"])
        assert record.get("submitted_on") == submitted
        assert record.get("fiscal_year") == (2024 if submitted < D(2025, 4, 1) else 2025)
        assert record.get("title") == case["title"]
        assert record.get("divisions") == case["divisions"]
        assert record.get("categories") == case["categories"]
        assert record.get("result") == case["result"]
        assert record.get("flow") == case["flow_note"]
        assert record.get("proposal") == case["proposal"]
    assert by_no[5].get("proposal").startswith("（１）外部結合\nLGWAN回線を介して")
    # what a 別紙 says otherwise than the list is in its own columns (備考 stays blank), from the data
    for case in source:
        record = by_no[case["no"]]
        assert record.get("note") is None
        assert record.get("sheet_title") == (case["sheet_title"] if case["sheet_title"] != case["title"] else None)
        assert record.get("sheet_divisions") == (
            case["sheet_divisions"] if case["sheet_divisions"] != case["divisions"] else None)
        assert record.get("count_heading") == ("対象者数" if case["subject_count_heading"] == "対象者数" else None)
    assert by_no[27].get("sheet_divisions") == ["児童育成担当課"]
    assert by_no[19].get("sheet_title") == "省エネルギー及び創エネルギー機器等補助金受付事務等に係る業務委託について"
    assert [n for n, c in by_no.items() if c.get("sheet_title")] == [19, 26, 36, 39]
    assert [n for n, c in by_no.items() if c.get("count_heading")] == [29]
    assert by_no[1].get("attachment") == "流れ図_№1.png"
    assert (SAMPLE.parent / "添付ファイル" / "流れ図_№1.png").is_file()
    assert by_no[3].get("subject_count").startswith("特別区民税・都民税・森林環境税")


def _reiwa(day: dt.date) -> str:
    return f"令和{day.year - 2018}年{day.month}月{day.day}日"


def test_sample_provisions_are_the_table_of_case_29_in_the_reference():
    """The 外部提供 rows of the sample, read from the register, against 資料１ itself: each row, its
    cells in the table's order, is the reference's row (text folded, as the PDF's extraction broke its
    lines by cell width), rows in the reference's order; every line break kept is one of the
    reference's; the table's title and period are its lines."""
    book = reader.load(SAMPLE)
    lines = CASES_REFERENCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "外部提供について（10件）" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "（№３０）" in line)
    region = [line.strip() for line in lines[start:end]]
    text = fold("".join(region))
    rows = [p for p in book.provisions]
    assert len(rows) == 10
    assert {(p.get("fiscal_year"), p.get("case_no")) for p in rows} == {(2025, 29)}
    at = 0
    for n, p in enumerate(rows, start=1):
        cells_ = [str(n), p.get("reason"), p.get("persons"), p.get("items"), p.get("method"),
                  _reiwa(p.get("provided_on")), p.get("recipient")]
        found = text.find(fold("".join(cells_)), at)
        assert found >= at, (n, cells_)
        at = found
        for value in cells_[1:]:
            for kept in value.split("\n")[1:]:  # a line break kept starts a line of the reference
                assert any(kept.startswith(line) or line.startswith(kept) for line in region if line), kept
    case = {c.get("no"): c for c in book.cases}[29]
    assert case.get("provision_title") in region and case.get("provision_period") in region
    assert case.get("submitted_on") == D(2025, 4, 18)


def test_sample_is_built_from_its_data(tmp_path):
    """The committed sample is what scripts/build_sample.py makes from workbooks/data today."""
    spec = importlib.util.spec_from_file_location("build_sample", ROOT / "scripts" / "build_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = tmp_path / "sample.xlsx"
    module.build(rebuilt)
    old, new = reader.load(SAMPLE), reader.load(rebuilt)
    assert [(r.row, r.values) for r in new.linkages] == [(r.row, r.values) for r in old.linkages]
    assert [(r.row, r.values) for r in new.cases] == [(r.row, r.values) for r in old.cases]
    assert new.settings == old.settings


def test_demo_validates_the_sample_and_prints_the_r2_figures(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "入力チェック: エラー 0 件" in out
    assert "令和2年度　実施機関別外部電子計算機との結合件数" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in ([b] for b, *_ in TABLE_1)]
    assert [(r[0], *map(int, r[1:])) for r in rows] == TABLE_1


# --- roll-forward to 令和3年度 -----------------------------------------------------------------

TABLE_2021 = "\n".join([
    "No.\t" + "\t".join(schema.linkage().header(k) for k in (
        "division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start",
        "end", "consent")),
    "1\t税務課\t特別区民税・都民税\t特別徴収税額通知を電子的に送付するため\t特別徴収義務者\t個人番号、氏名、特別徴収税額"
    "\t○\t令和2年度第10回審議会承認\t地方税共同機構\tR3.4.1\t\t",
    "2\t戸籍住民課\t住民基本台帳事務\t転出届をオンラインで受け付けるため\t転出者\t氏名、住所、転出先\t\t令和2年度第9回審議会承認"
    "\t地方公共団体情報システム機構\tR3.5.10\t\t",
    "3\t危機管理課\t新型コロナウイルス感染症対策\t自宅療養者への配食を委託するため\t自宅療養者\t氏名、住所、電話番号"
    "\t\t令和3年度第2回審議会承認\tLGWAN-ASPサービス提供者\tR3.10.1\tR4.3.31\t",
    "4\t教育指導課\t不登校児童・生徒の支援\tオンラインで学習支援を行うため\t区立学校の児童・生徒\t氏名、学校名、学習履歴"
    "\t\t令和3年度第1回審議会承認\t委託事業者\tR3.6.1\t\t",
    "5\t選挙管理委員会事務局\t選挙事務\t投票所の受付で選挙人名簿を照合するため\t選挙人\t氏名、生年月日、住所、投票区"
    "\t\t令和3年度第3回審議会承認\tLGWAN-ASPサービス提供者\tR3.7.1\t\t",
    "6\t高齢者支援課\t高齢者見守り\t本人の申込みにより、見守り機器の通知を受けるため\t見守りサービスの利用者\t個人番号、氏名、住所、通知履歴"
    "\t○\t令和3年度第4回審議会承認\t見守りサービス事業者\tR3.8.1\t\t○",
]) + "\n"

# existing linkages that end: 管理番号 -> 終了年月日
ENDS = {
    "H14-001": D(2020, 9, 30),   # 区長, 戸籍住民課, 特定個人情報 ○: c in 令和3年度
    "H19-001": D(2021, 3, 31),   # 区長, 税務課: ended on the last day of 令和2年度, c
    "R2-021": D(2021, 1, 31),    # 教育委員会, 教育支援課: c
    "H18-004": D(2021, 4, 1),    # 区長, 会計室: ran one day into 令和3年度, not c
}


@pytest.fixture
def rolled(tmp_path) -> Path:
    path = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.linkage().sheet]
    headers = [c.value for c in ws[1]]
    id_col = headers.index(schema.linkage().header("id")) + 1
    end_col = headers.index(schema.linkage().header("end")) + 1
    start_col = headers.index(schema.linkage().header("start")) + 1
    for r in range(2, ws.max_row + 1):
        end = ENDS.get(ws.cell(r, id_col).value)
        if end:
            ws.cell(r, end_col).value = end
            ws.cell(r, end_col).number_format = ws.cell(r, start_col).number_format
    wb.save(path)
    result = tasks.import_table(path, TABLE_2021, 2021)
    assert result.parsed.problems == [] and len(result.appended) == 6
    return path


def test_roll_forward_to_2021(rolled):
    # worked out by hand:
    # 区長: a = 80 (令和2年度), b = 3 (税務課, 戸籍住民課, 危機管理課; the 本人同意 one is left out),
    #       c = 2 (H14-001, H19-001; H18-004 still ran on 2021-04-01) -> 81;
    #       特定個人情報 24 − 1 (H14-001 ended) + 1 (the new 税務課) = 24
    # 教育委員会: a = 8, b = 1 (教育指導課), c = 1 (R2-021) -> 8
    # 選挙管理委員会: a = 0, b = 1 -> 1
    result = compute(rolled, 2021)
    assert as_tuples(result) == [
        ("区長", 80, 3, 2, 81, 24),
        ("教育委員会", 8, 1, 1, 8, 0),
        ("選挙管理委員会", 0, 1, 0, 1, 0),
        ("監査委員", 0, 0, 0, 0, 0),
        ("議会", 0, 0, 0, 0, 0),
        ("合計", 88, 5, 3, 90, 24),
    ]
    assert result.mismatches == [] and result.skipped == []
    # organisation-chart order, not row order: 税務課 (row 12) before 戸籍住民課 (row 4)
    assert [r.get("id") for r in result.ended] == ["H19-001", "H14-001", "R2-021"]
    assert [r.get("division") for r in result.new] == ["危機管理課", "税務課", "戸籍住民課", "教育指導課", "選挙管理委員会事務局"]
    assert [r.get("id") for r in result.new] == ["R3-003", "R3-001", "R3-002", "R3-004", "R3-005"]


def test_roll_forward_keeps_2020_and_chains_the_years(rolled):
    assert as_tuples(compute(rolled, 2020)) == TABLE_1  # the new end dates all fall in or after 令和2年度
    previous = compute(rolled, 2021)
    following = compute(rolled, 2022)
    # a of each year is the a + b − c of the year before (令和3年度's, worked out in test_roll_forward_to_2021)
    assert [r.a for r in following.rows] == [r.total for r in previous.rows] == [81, 8, 1, 0, 0, 90]
    # 危機管理課's linkage ends 2022-03-31 and 会計室's 2021-04-01: both c in 令和4年度
    assert following.row("区長").c == 2
    assert following.mismatches == []


def test_rolled_register_still_validates(rolled, capsys):
    assert check_file(rolled).errors == 0
    assert cli.main(["summarize", str(rolled), "--year", "2021"]) == 0
    out = capsys.readouterr().out
    assert "令和3年度　実施機関別外部電子計算機との結合件数" in out


def test_demo_fails_on_a_sample_with_errors(tmp_path, capsys):
    broken = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, broken)
    wb = openpyxl.load_workbook(broken)
    ws = wb[schema.linkage().sheet]
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index(schema.linkage().header("start")) + 1).value = "R2.13.1"
    wb.save(broken)
    assert cli.main(["demo", "--sample", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "外部結合!K2 [エラー]" in out
    assert "注意: 「外部結合」2行目は結合の開始年月日がない（または日付として読めない）ため集計に含めていません。" in out
