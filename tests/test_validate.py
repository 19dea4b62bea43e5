"""Validation end to end on real .xlsx files: a register with one planted mistake per rule,
each found at its cell with its code, and nothing else flagged."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial

import openpyxl
import pytest

from xlkit import cli, schema
from xlkit.issues import ERROR, WARNING, catalogue, rule
from xlkit.workbook.reader import load
from support import check_file
from xlkit.validation import validate_book

LINKAGE = schema.linkage()
CASE = schema.case()


# --- building registers ------------------------------------------------------------------
# Rows come from the shared factories (tests/support/factories.py); this file types two cells the
# way staff do, as text, because the messages below quote them: 結合の開始年月日 R2.4.1 and 付議日
# R7.4.18. Its linkages are 総務課's (the division-body message names it).

@pytest.fixture(scope="module")
def linkage(make_linkage):
    """``linkage(n, **cells)``: a valid linkage of 総務課 starting R2.4.1 (text); None blanks a cell."""
    return partial(make_linkage, division="総務課", start="R2.4.1")


@pytest.fixture(scope="module")
def case(make_case):
    """``case(no, **cells)``: a valid case (区分 業務委託) submitted R7.4.18 (text)."""
    return partial(make_case, submitted_on="R7.4.18")


def found(report) -> set[tuple[str, str, str]]:
    return {(i.sheet, i.cell, i.code) for i in report.issues}


# --- the planted register ----------------------------------------------------------------

PROVISION = schema.provision()
L, C, P, S = LINKAGE.sheet, CASE.sheet, PROVISION.sheet, "設定"

PLANTED_WARNINGS = 9  # of EXPECTED, written out in test_severity_and_counts

PLANTED_SETTINGS = [
    ["報告年度", 2020],
    ["前年度公表値（区長）", 99],  # B3 previous-mismatch: a of 2020 for 区長 is 0
    ["前年度公表値（教育委員会）", 0],  # clean
]

EXPECTED = {
    (L, "K3", "date-invalid"), (L, "D4", "required"), (L, "C5", "master-unknown"),
    (L, "C6", "master-variant"), (L, "C7", "division-body"), (L, "A8", "id-duplicate"),
    (L, "A9", "id-duplicate"), (L, "D10", "linkage-duplicate"), (L, "D11", "linkage-duplicate"),
    (L, "L12", "date-order"), (L, "N13", "year-before-start"), (L, "N14", "year-late-no-reason"),
    (L, "N16", "new-not-active"), (L, "O17", "case-ref-unknown"), (L, "O18", "schema-pattern"),
    (L, "A19", "schema-max-length"), (L, "E20", "typo"), (L, "D21", "halfwidth-kana"),
    (L, "H22", "mark-invalid"), (L, "N23", "year-invalid"), (L, "J26", "text-invisible-char"),
    (L, "C27", "division-period"), (L, "C28", "division-renamed"),
    (C, "E3", "case-without-linkage"), (C, "B5", "case-no-duplicate"), (C, "B6", "case-no-duplicate"),
    (C, "A7", "case-year-mismatch"), (C, "B8", "schema-minimum"), (C, "E9", "schema-unique-items"),
    (C, "D10", "master-unknown"), (C, "H11", "master-unknown"),
    (C, "E12", "provision-category"), (C, "V13", "provision-period-span"), (C, "U14", "provision-none"),
    (C, "S15", "master-unknown"), (C, "T15", "schema-enum"),
    (P, "B5", "provision-case-unknown"), (P, "H6", "required"), (P, "G7", "date-invalid"),
    (S, "B3", "previous-mismatch"),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory, make_register, linkage, case):
    linkages = [
        linkage(2, start=dt.datetime(2020, 4, 1), case_ref="2025-1"),  # row 2: clean, a date cell
        linkage(3, start="R2.13.1"),  # K3 date-invalid
        linkage(4, business=None),  # D4 required
        linkage(5, division="総務科"),  # C5 master-unknown
        linkage(6, division="生活福祉課 保護担当課"),  # C6 master-variant
        linkage(7, body="教育委員会"),  # C7 division-body (総務課 is the mayor's)
        linkage(8, id="L-dup"),  # A8, A9 id-duplicate
        linkage(9, id="L-dup"),
        linkage(10, business="同じ業務", items="氏名"),  # D10, D11 linkage-duplicate
        linkage(11, business="同じ業務", items="氏名", start="令和２年４月１日"),
        linkage(12, end="R2.3.31"),  # L12 date-order
        linkage(13, fiscal_year=2019),  # N13 year-before-start
        linkage(14, fiscal_year=2021),  # N14 year-late-no-reason
        linkage(15, fiscal_year=2021, note="記載漏れ"),  # clean: the reason is there
        linkage(16, start="H30.4.1", end="R1.6.30", note="記載漏れ"),  # N16 new-not-active
        linkage(17, case_ref="2025-99"),  # O17 case-ref-unknown
        linkage(18, case_ref="2025/3"),  # O18 schema-pattern
        linkage(19, id="L-" + "9" * 29),  # A19 schema-max-length
        linkage(20, reason="インターネットを經由して送るため"),  # E20 typo
        linkage(21, business="ｼｽﾃﾑ運用"),  # D21 halfwidth-kana
        linkage(22, my_number="有"),  # H22 mark-invalid
        linkage(23, fiscal_year="来年"),  # N23 year-invalid
        linkage(24, consent="○", fiscal_year=2022),  # clean: 本人同意 takes no part in b
        linkage(25, start="2020/4/1", my_number="〇", fiscal_year="令和2年度", body="区長 "),  # clean spellings
        linkage(26, partner="株式会社\u202eスビーサ"),  # J26 text-invisible-char: shows 株式会社サービス
        linkage(27, division="庶務課"),  # C27 division-period: 庶務課 was abolished on 31 March 2019
        linkage(28, division="総務部総務課"),  # C28 division-renamed: goes on after its name ended
    ]

    cases = [
        case(1, categories="外部結合"),  # row 2: clean, cited by L2
        case(2, categories="外部結合、業務委託"),  # E3 case-without-linkage (warning)
        case(3),  # clean
        case(4),  # B5, B6 case-no-duplicate
        case(4, title="別の案件"),
        case(5, fiscal_year=2024),  # A7 case-year-mismatch
        case(0),  # B8 schema-minimum
        case(6, categories="業務委託、業務委託"),  # E9 schema-unique-items
        case(7, divisions="総務課、情報課"),  # D10 master-unknown
        case(8, result="保留"),  # H11 master-unknown
        case(9),  # E12 provision-category: provisions (外部提供 rows 2) but 区分 業務委託 only
        case(10, categories="外部提供"),  # V13 provision-period-span: provisions of 令和6年度 and 令和7年度
        case(11, provision_title="令和６年度 外部提供について"),  # U14 provision-none: a title, no provisions
        case(12, sheet_divisions="情報課", count_heading="対象数"),  # S15 master-unknown, T15 schema-enum
        case(13, categories="外部提供", sheet_divisions="教育指導課", count_heading="対象者数",
             provision_title="令和６年度 外部提供について", provision_period="令和６年４月１日から令和７年３月３１日まで"),
    ]
    provisions = [
        provision(2025, 9),  # row 2: clean itself, makes case 9's 区分 wrong
        provision(2025, 10, provided_on="R6.6.5"),  # rows 3, 4: two 年度 under one blank period
        provision(2025, 10, provided_on="R7.4.10"),
        provision(2025, 99),  # B5 provision-case-unknown
        provision(2025, 13, recipient=None),  # H6 required
        provision(2025, 13, provided_on="R6.13.1"),  # G7 date-invalid
        provision(2025, 13),  # row 8: clean, under case 13 which has all it needs
    ]
    path = tmp_path_factory.mktemp("planted") / "登録簿.xlsx"
    return make_register(path, linkages, cases, settings=PLANTED_SETTINGS,
                         sheets={"課": PLANTED_DIVISIONS, P: provision_sheet(provisions)})


def provision(fiscal_year: int, case_no: int, **changes) -> dict:
    """A 外部提供 row of the case (年度, №) that breaks no rule, with `changes` on top (None blanks a cell)."""
    row = {"fiscal_year": fiscal_year, "case_no": case_no, "reason": "児童・生徒が犯罪に巻き込まれることを防ぐため",
           "persons": "対象事案にかかわる対象児童・生徒（１人）", "items": "氏名、性別、年齢、学年、事案の概要",
           "method": "電話", "provided_on": "R6.6.5", "recipient": "牛込警察署"}
    row.update(changes)
    return row


def provision_sheet(rows: list[dict]) -> list[list]:
    """The 外部提供 sheet's grid: its header row, then `rows` in schema order."""
    from xlkit import cells

    return [PROVISION.headers, *([cells.cell_value(r.get(c.key), separator=c.separator) for c in PROVISION.columns]
                                 for r in rows)]


# the 課 sheet of the planted register: the seed's 課, and two names a 組織改正 ended (開始日,
# 終了日, 後継の課 as schemas/division.schema.json orders them)
PLANTED_DIVISIONS = [
    schema.division().headers,
    *([name, body] for name, body in schema.masters()["課"]),
    ["庶務課", "区長", None, dt.datetime(2019, 3, 31), None],
    ["総務部総務課", "区長", None, dt.datetime(2020, 12, 31), "総務課"],
]


def test_every_planted_mistake_is_found_at_its_cell_and_nothing_else(planted):
    report = check_file(planted)
    assert found(report) == EXPECTED
    assert len(report.issues) == len(EXPECTED)  # found() is a set: no cell reported twice for one rule


def test_every_rule_code_is_planted_once_at_least():
    """Every catalogued code of a cell or cross-row rule (schema-* by some instance) is planted."""
    planted_codes = {code for _, _, code in EXPECTED}
    checked = [r.code for r in catalogue().values() if r.stage in ("セル", "行をまたぐ")]
    assert len(checked) >= 18
    for code in checked:
        if code.endswith("-*"):
            assert any(c.startswith(code[:-1]) for c in planted_codes), code
        else:
            assert code in planted_codes, code
    assert all(rule(code) for code in planted_codes)  # nothing planted is missing from the catalogue


def test_severity_and_counts(planted):
    report = check_file(planted)
    warnings = {(i.cell, i.code) for i in report.issues if i.severity == WARNING}
    assert warnings == {("C6", "master-variant"), ("E20", "typo"), ("D21", "halfwidth-kana"),
                        ("E3", "case-without-linkage"), ("J26", "text-invisible-char"), ("C28", "division-renamed"),
                        ("E12", "provision-category"), ("V13", "provision-period-span"), ("U14", "provision-none")}
    assert report.warnings == PLANTED_WARNINGS
    assert report.errors == len(EXPECTED) - PLANTED_WARNINGS
    # every other issue is an error, written out here rather than taken from the catalogue
    errors = {(i.sheet, i.cell, i.code) for i in report.issues if i.severity == ERROR}
    assert errors == {e for e in EXPECTED if (e[1], e[2]) not in warnings}
    assert {i.severity for i in report.issues} == {ERROR, WARNING}


def test_issues_are_sorted_by_sheet_then_position(planted):
    report = check_file(planted)
    places = [(i.sheet, i.cell) for i in report.issues]
    assert places == [
        (L, "K3"), (L, "D4"), (L, "C5"), (L, "C6"), (L, "C7"), (L, "A8"), (L, "A9"), (L, "D10"), (L, "D11"),
        (L, "L12"), (L, "N13"), (L, "N14"), (L, "N16"), (L, "O17"), (L, "O18"), (L, "A19"), (L, "E20"),
        (L, "D21"), (L, "H22"), (L, "N23"), (L, "J26"), (L, "C27"), (L, "C28"),
        (C, "E3"), (C, "B5"), (C, "B6"), (C, "A7"), (C, "B8"), (C, "E9"), (C, "D10"), (C, "H11"),
        (C, "E12"), (C, "V13"), (C, "U14"), (C, "S15"), (C, "T15"),
        (P, "B5"), (P, "H6"), (P, "G7"),
        (S, "B3"),
    ]


def test_issues_in_one_row_are_sorted_by_column(tmp_path, make_register, linkage):
    path = make_register(tmp_path / "r.xlsx", [linkage(2, my_number="有", division="総務科", start="R2.13.1")])
    assert [i.cell for i in check_file(path).issues] == ["C2", "H2", "K2"]


@pytest.mark.parametrize("cell, words", [
    ("K3", ["R2.13.1", "存在しない日付"]),
    ("D4", ["業務名", "空欄"]),
    ("C5", ["総務科", "「総務課」の誤り"]),
    ("C6", ["生活福祉課 保護担当課", "生活福祉課保護担当課"]),
    ("C7", ["総務課", "区長", "教育委員会"]),
    ("A8", ["L-dup", "A9"]),
    ("A9", ["L-dup", "A8"]),
    ("D10", ["11行目"]),
    ("L12", ["R2.3.31", "R2.4.1"]),
    ("N13", ["2019", "R2.4.1", "令和2年度"]),
    ("N14", ["2021", "備考", "記載漏れ"]),
    ("N16", ["2020", "R1.6.30", "令和2年度"]),
    ("O17", ["2025-99", "№99"]),
    ("O18", ["2025/3", "2025-12"]),
    ("A19", ["31文字", "30文字以内"]),
    ("E20", ["經由", "経由"]),
    ("D21", ["ｼｽﾃﾑ", "全角"]),
    ("H22", ["有", "○"]),
    ("J26", ["U+202E（右から左への上書き）", "5文字目", "削除"]),
])
def test_linkage_messages_name_the_value_and_what_was_expected(planted, cell, words):
    report = check_file(planted)
    [issue] = [i for i in report.issues if i.sheet == L and i.cell == cell]
    for word in words:
        assert word in issue.message, (word, issue.message)
    assert issue.column == LINKAGE.columns[ord(cell[0]) - 65].header


@pytest.mark.parametrize("sheet, cell, words", [
    (C, "E3", ["2025年度の№2", "2025-2"]),
    (C, "B5", ["№「4」", "B6"]),
    (C, "A7", ["2024", "R7.4.18", "令和7年度"]),
    (C, "B8", ["「0」", "1以上"]),
    (C, "E9", ["業務委託", "重複"]),
    (C, "D10", ["情報課"]),
    (C, "H11", ["保留", "承認"]),
    (C, "E12", ["2025年度の№9", "1 件", "外部提供!B2", "「外部提供」"]),
    (C, "V13", ["令和6年度・令和7年度", "外部提供!B3、B4", "外部提供の期間"]),
    (C, "U14", ["外部提供の表題", "2025年度の№11", "「外部提供」シート"]),
    (C, "S15", ["情報課", "「課」シート"]),
    (C, "T15", ["「対象数」", "対象者、対象者数", "空欄なら「対象者」"]),
    (P, "B5", ["2025", "令和7年度", "№ 99", "「審議案件」シート"]),
    (P, "H6", ["外部提供を受けたものの名称", "空欄"]),
    (P, "G7", ["R6.13.1"]),
    (S, "B3", ["区長", "99", "0 件"]),
])
def test_case_and_settings_messages(planted, sheet, cell, words):
    report = check_file(planted)
    [issue] = [i for i in report.issues if i.sheet == sheet and i.cell == cell]
    for word in words:
        assert word in issue.message, (word, issue.message)


def test_the_same_issues_without_the_readers_distinct_values(planted):
    """A Book made elsewhere (no `distinct`) is validated the same way, cell by cell."""
    book = load(planted)
    first = validate_book(book)
    book = load(planted)
    book.distinct = {}
    assert validate_book(book).issues == first.issues


def test_a_clean_register_has_no_issue(tmp_path, make_register, linkage, case):
    path = make_register(tmp_path / "clean.xlsx", [linkage(n) for n in range(2, 8)],
                         [case(1), case(2, categories="外部結合", result="了承")])
    report = check_file(path)
    assert report.issues == [] and report.errors == 0 and report.warnings == 0


def test_case_without_linkage_only_when_the_register_cites_cases(tmp_path, make_register, linkage, case):
    # no linkage cites any case: the register does not use 関連審議案件, nothing to ask
    path = make_register(tmp_path / "r.xlsx", [linkage(2)], [case(1, categories="外部結合")])
    assert found(check_file(path)) == set()
    # cases older than the first year cited are older than the practice
    path = make_register(tmp_path / "r2.xlsx", [linkage(2, case_ref="2025-1")],
                         [case(1, categories="外部結合"), case(9, fiscal_year=2024, submitted_on="R6.6.1",
                                                              categories="外部結合"),
                          case(2, categories="外部結合", result="継続審議")])
    assert found(check_file(path)) == set()


def test_case_without_linkage_is_not_added_to_a_category_cell_already_wrong(tmp_path, make_register, linkage, case):
    """区分 「外部結合、外部結合」 got the schema error and, on the same cell, the warning."""
    path = make_register(tmp_path / "r.xlsx", [linkage(2, case_ref="2025-1")],
                         [case(1, categories="外部結合"), case(2, categories="外部結合、外部結合"),
                          case(3, categories="外部結合")])
    assert found(check_file(path)) == {(C, "E3", "schema-unique-items"), (C, "E4", "case-without-linkage")}


def test_one_message_per_cell(tmp_path, make_register, linkage):
    """A cell that cannot be read is reported once: no 'required', no rule built on it."""
    path = make_register(tmp_path / "r.xlsx", [
        linkage(2, start="令和2年13月1日", end="R1.5.1"),  # no date-order: the start is unreadable
        linkage(3, fiscal_year="２０２０年度", start="H30.4.1", end="H30.5.1", note="記載漏れ"),
    ])
    assert found(check_file(path)) == {(L, "K2", "date-invalid"), (L, "N3", "new-not-active")}


def test_missing_column_is_reported_once_not_per_row(tmp_path, make_register, linkage):
    header = [h for h in LINKAGE.headers if h != "業務名"]
    rows = [[v for c, v in zip(LINKAGE.columns, [linkage(n).get(c.key) for c in LINKAGE.columns])
             if c.key != "business"] for n in range(2, 6)]
    path = make_register(tmp_path / "r.xlsx", rows, linkage_header=header)
    report = check_file(path)
    assert found(report) == {(L, "P1", "header-missing")}  # at the first free column


def test_header_problems(tmp_path, make_register, linkage):
    header = list(LINKAGE.headers)
    header[9] = "結合の相手先"  # misspelt: read as 結合の相手方
    header.append("担当者メモ")  # not a register column
    rows = [[linkage(2).get(c.key) for c in LINKAGE.columns] + ["山田", None, "迷子の値"]]
    path = make_register(tmp_path / "r.xlsx", rows, linkage_header=header)
    report = check_file(path)
    assert found(report) == {(L, "J1", "header-misspelt"), (L, "Q1", "header-unknown"),
                             (L, "S1", "header-blank")}
    blank = next(i for i in report.issues if i.code == "header-blank")
    assert "S2" in blank.message


def test_half_width_and_variant_spellings_of_masters_read_as_the_master(tmp_path, make_register, linkage, case):
    path = make_register(tmp_path / "r.xlsx", [
        linkage(2, body="教育委員会", division="教育支援課 "),  # trailing space only: stripped, clean
        linkage(3, division="生活福祉課\u3000保護担当課"),
    ], [case(1, divisions="総務課,税務課", categories="業務委託，電算処理")])
    assert found(check_file(path)) == {(L, "C3", "master-variant")}


def test_fold_traps_make_duplicates(tmp_path, make_register, linkage):
    path = make_register(tmp_path / "r.xlsx", [
        linkage(2, id="Ｒ２－００１"), linkage(3, id="R2-001"),
        linkage(4, business="R2〜R3 事業", items="x"), linkage(5, business="R2～R3事業", items="x"),
    ])
    assert found(check_file(path)) == {(L, "A2", "id-duplicate"), (L, "A3", "id-duplicate"),
                                          (L, "D4", "linkage-duplicate"), (L, "D5", "linkage-duplicate")}


def test_settings_without_report_year(tmp_path, make_register, linkage):
    path = make_register(tmp_path / "r.xlsx", [linkage(2)], settings=[["資料番号", "資料１"]])
    assert found(check_file(path)) == {(S, "", "required")}


# --- the command -------------------------------------------------------------------------

def run_cli(monkeypatch, capsys, *argv):
    monkeypatch.setattr(cli, "COMMANDS", ("validate",))  # only this command's module is needed
    code = cli.main(["validate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_shape_and_exit_code(planted, monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, planted, "--json")
    assert code == 1 and err == ""
    data = json.loads(out)
    assert set(data) == {"errors", "warnings", "issues"}
    assert data["errors"] == len(EXPECTED) - PLANTED_WARNINGS and data["warnings"] == PLANTED_WARNINGS
    assert all(set(i) == {"sheet", "cell", "column", "severity", "code", "message"} for i in data["issues"])
    assert {(i["sheet"], i["cell"], i["code"]) for i in data["issues"]} == EXPECTED
    assert "經由" in out  # ensure_ascii=False


def test_cli_listing(planted, monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, planted)
    assert code == 1
    assert "外部結合!K3 [エラー] 結合の開始年月日: 「R2.13.1」" in out
    assert "外部結合!E20 [警告] 外部結合を行った理由: " in out
    assert out.rstrip().endswith(f"エラー {len(EXPECTED) - PLANTED_WARNINGS} 件、警告 {PLANTED_WARNINGS} 件")


def test_cli_clean_register_exits_zero(tmp_path, monkeypatch, capsys, make_register, linkage, case):
    path = make_register(tmp_path / "clean.xlsx", [linkage(2)], [case(1)])
    code, out, _ = run_cli(monkeypatch, capsys, path)
    assert code == 0 and "問題は見つかりませんでした" in out
    code, out, _ = run_cli(monkeypatch, capsys, path, "--json")
    assert code == 0 and json.loads(out) == {"errors": 0, "warnings": 0, "issues": []}


def test_cli_warnings_only_exit_zero(tmp_path, monkeypatch, capsys, make_register, linkage, case):
    path = make_register(tmp_path / "w.xlsx", [linkage(2, reason="經由")], [case(1)])
    code, out, _ = run_cli(monkeypatch, capsys, path)
    assert code == 0 and "警告 1 件" in out


def test_a_register_written_by_xlkit_new_validates(tmp_path, make_linkage, make_case):
    """The real layout (tables, dropdowns, 設定 with its 説明 column) reads and validates clean."""
    from xlkit.workbook.builder import build

    linkages = [make_linkage(1, id="R2-001", division="総務課", start=dt.date(2020, 5, 15), my_number=True,
                             case_ref="2025-1")]
    cases = [make_case(1, divisions=["総務課", "税務課"], categories=["外部結合", "業務委託"])]
    path = build(tmp_path / "r.xlsx", linkages=linkages, cases=cases,
                 settings={"report_year": 2021, "previous_published": {"区長": 1, "議会": 0}})
    assert check_file(path).issues == []
    path = build(tmp_path / "empty.xlsx")
    [issue] = check_file(path).issues
    assert (issue.sheet, issue.cell, issue.code) == (S, "B2", "required") and "報告年度" in issue.message


def test_a_full_width_case_ref_is_one_schema_error_and_still_cites_its_case(tmp_path, make_register, linkage, case):
    path = make_register(tmp_path / "r.xlsx", [linkage(2, case_ref="２０２５－１"), linkage(3, case_ref="２０２５－９")],
                         [case(1, categories="外部結合")])
    assert found(check_file(path)) == {(L, "O2", "schema-pattern"), (L, "O3", "schema-pattern")}


@pytest.mark.parametrize("subschema, value, code, words", [
    ({"type": "string", "minLength": 3}, "ab", "schema-min-length", ["「ab」", "3文字以上"]),
    ({"type": "string", "maxLength": 3}, "abcd", "schema-max-length", ["「abcd」", "4文字", "3文字以内"]),
    ({"type": "string", "pattern": "^[0-9]+$"}, "1a", "schema-pattern", ["「1a」", "形"]),
    ({"type": "string", "format": "date"}, "2020-13-01", "schema-format", ["「2020-13-01」", "日付"]),
    ({"enum": ["○"]}, "×", "schema-enum", ["「×」", "○"]),
    ({"type": "integer", "minimum": 1}, 0, "schema-minimum", ["「0」", "1以上"]),
    ({"type": "integer", "maximum": 9}, 10, "schema-maximum", ["「10」", "9以下"]),
    ({"type": "integer"}, "十", "schema-type", ["「十」", "整数"]),
    ({"type": "array", "minItems": 2}, ["a"], "schema-min-items", ["「a」", "2つ以上"]),
    ({"type": "array", "uniqueItems": True}, ["a", "b", "a"], "schema-unique-items", ["「a」が重複"]),
    ({"type": "array", "items": {"type": "string", "maxLength": 2}}, ["ab", "abc"], "schema-max-length",
     ["2番目の「abc」", "2文字以内"]),
])
def test_schema_errors_in_japanese(subschema, value, code, words):
    from jsonschema import Draft202012Validator

    from xlkit.validation import _verdict

    validator = Draft202012Validator(subschema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    column = schema.Column("k", "見出し", "text", False, None, 10, None, None, None, subschema)
    got_code, message = _verdict(validator, column, value)
    assert got_code == code
    for word in words:
        assert word in message, (word, message)


def test_cli_many_problems_end_with_a_tally_by_column_and_json_stays_complete(tmp_path, monkeypatch, capsys,
                                                                              make_register, linkage):
    """Text typed into 計上年度 of 5,000 rows: one line per cell, and at the end where they are."""
    rows = [linkage(n, fiscal_year="不明") for n in range(2, 5002)] + [linkage(5002, division="架空課")]
    path = make_register(tmp_path / "many.xlsx", rows)
    code, out, _ = run_cli(monkeypatch, capsys, path)
    assert code == 1
    lines = out.rstrip().splitlines()
    assert sum(1 for line in lines if line.startswith("外部結合!N")) == 5000
    assert lines[-5:] == ["内訳（多い順）:",
                          "  外部結合「計上年度」: エラー 5000 件（N2〜N5001）",
                          "  外部結合「結合を行った課」: エラー 1 件（C5002）",
                          "",
                          "many.xlsx: エラー 5001 件、警告 0 件"]
    code, out, _ = run_cli(monkeypatch, capsys, path, "--json")
    data = json.loads(out)
    assert data["errors"] == len(data["issues"]) == 5001 and "内訳" not in out


def test_cli_few_problems_have_no_tally(tmp_path, monkeypatch, capsys, make_register, linkage):
    """Up to 20 issues the list alone; from 21 the tally by column follows it."""
    for n, tally in ((20, False), (21, True)):
        path = make_register(tmp_path / f"{n}.xlsx", [linkage(r, fiscal_year="不明") for r in range(2, n + 2)])
        code, out, _ = run_cli(monkeypatch, capsys, path)
        assert code == 1 and f"エラー {n} 件、警告 0 件" in out
        assert ("内訳（多い順）:" in out) is tally, n
    assert "  外部結合「計上年度」: エラー 21 件（N2〜N22）" in out


# --- the master sheets' ○ columns: which 審議結果 approve, which 区分 call for a linkage -------

MARKED_RESULTS = [["審議結果", "承認にあたる"], ["承認", "○"], ["了承済", "○"], ["継続審議", None], ["取下げ", None]]
MARKED_CATEGORIES = [["区分", "外部結合の行が要る"], ["電算処理", None], ["外部結合", "○"], ["外部提供", "○"],
                     ["業務委託", None]]


@pytest.fixture
def cited(tmp_path, make_register, linkage, case):
    """``cited(name, cases, sheets)``: a register whose one linkage cites case 2025-1 (区分 外部結合)."""

    def write(name, cases, sheets):
        sheets = {P: [PROVISION.headers], **sheets}  # a case of 区分 外部提供 expects the sheet
        return make_register(tmp_path / name, [linkage(2, case_ref="2025-1")],
                            [case(1, categories="外部結合"), *cases], sheets=sheets)
    return write


def test_the_o_column_decides_which_results_approve_so_renaming_keeps_the_rule(case, cited):
    """rules.APPROVED = ("承認", "了承") was in the code: renaming 了承 on the sheet changed a rule silently."""
    sheets = {"審議結果": MARKED_RESULTS, "区分": MARKED_CATEGORIES}
    path = cited("r.xlsx", [case(2, categories="外部結合", result="了承済"),
                            case(3, categories="外部提供", result="承認"),
                            case(4, categories="外部結合", result="継続審議"),
                            case(5, categories="業務委託", result="承認")], sheets)
    report = check_file(path)
    assert found(report) == {(C, "E3", "case-without-linkage"), (C, "E4", "case-without-linkage")}
    [renamed] = [i for i in report.issues if i.cell == "E3"]
    assert "外部結合を了承済した案件" in renamed.message
    assert load(path).approving_results == {"承認", "了承済"}
    assert load(path).linkage_categories == {"外部結合", "外部提供"}


def test_an_older_register_without_the_column_uses_the_seed_and_says_so_only_when_it_matters(case, cited):
    # the seed's 承認 and 了承 are on the sheet: the rule is what it always was, and nothing is said
    path = cited("old.xlsx", [case(2, categories="外部結合", result="了承")], {})
    assert found(check_file(path)) == {(C, "E3", "case-without-linkage")}
    # 了承 renamed on a sheet without the column: the rule would change without a word, so it is said
    results = [["審議結果"], ["承認"], ["了承済"], ["継続審議"]]
    path = cited("renamed.xlsx", [case(2, categories="外部結合", result="了承済")], {"審議結果": results})
    report = check_file(path)
    [missing] = [i for i in report.issues if i.code == "master-column-missing"]
    assert (missing.sheet, missing.cell, missing.severity) == ("審議結果", "B1", WARNING)
    assert "承認にあたる" in missing.message and "「了承」はこのシートにありません" in missing.message
    assert not any(i.code == "case-without-linkage" for i in report.issues)  # 了承済 is not known to approve


def test_a_new_register_has_the_o_columns_filled_from_the_seed(tmp_path):
    from xlkit.workbook.builder import build

    book = load(build(tmp_path / "new.xlsx"))
    marks = schema.masters()["印の列"]
    assert book.approving_results == set(marks["審議結果"]["○"]) == {"承認", "了承"}
    assert book.linkage_categories == set(marks["区分"]["○"]) == {"外部結合"}
    wb = openpyxl.load_workbook(tmp_path / "new.xlsx")
    assert [c.value for c in wb["審議結果"][1]][:2] == ["審議結果", "承認にあたる"]
    assert [(r[0].value, r[1].value) for r in wb["区分"].iter_rows(min_row=2)][:2] == [("電算処理", None), ("外部結合", "○")]


def test_a_mark_other_than_o_on_a_master_sheet_is_reported_not_ignored(case, cited):
    """✓ or はい typed for ○ left 了承 unmarked without a word: the rule changed silently."""
    results = [["審議結果", "承認にあたる"], ["承認", "○"], ["了承", "はい"], ["継続審議", None]]
    path = cited("r.xlsx", [case(2, categories="外部結合", result="了承")], {"審議結果": results})
    report = check_file(path)
    [bad] = [i for i in report.issues if i.sheet == "審議結果"]
    assert (bad.cell, bad.code, bad.severity, bad.value) == ("B3", "mark-invalid", ERROR, "はい")
    assert "「はい」" in bad.message and "○" in bad.message
    assert load(path).approving_results == {"承認"}


def test_close_match_suggestions_are_bounded_per_column(tmp_path, make_register, make_linkage):
    """Every unknown value compared with every master entry: 3,000 x 3,000 took 116 s. Past
    rules.SUGGESTED values the message only asks to choose from the sheet."""
    from xlkit import rules

    path = make_register(tmp_path / "課.xlsx", [make_linkage(i, division=f"総務課{i}") for i in range(1, 231)])
    unknown = [i for i in check_file(path).issues if i.code == "master-unknown" and i.column == "結合を行った課"]
    assert len(unknown) == 230
    suggested = [i for i in unknown if "誤りではありませんか" in i.message]
    assert len(suggested) == rules.SUGGESTED
    assert all("一覧から選んでください" in i.message for i in unknown if i not in suggested)
