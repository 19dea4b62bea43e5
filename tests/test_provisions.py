"""外部提供 as data: the sheet read like the other registers (typed cells, row numbers, the same
cell-level issues), a register older than the sheet read with none, and the rules that tie a
provision to its case; with the per-case 別紙 columns (別紙の担当課, 事業内容３の見出し) checked
as their schema and masters say."""

from __future__ import annotations

import datetime as dt

import pytest

from xlkit import formats, schema, tasks
from xlkit.register import load_sheets
from xlkit.workbook import builder
from xlkit.workbook.reader import load
from support import SAMPLE, check_file, japanese, run_cli

CASE, PROVISION = schema.case(), schema.provision()
C, P = CASE.sheet, PROVISION.sheet


def provision(case_no: int = 1, fiscal_year: int = 2025, **changes) -> dict:
    """A 外部提供 row of case (年度, №) that breaks no rule (the reference's №29, row 1), with `changes`."""
    row = {"fiscal_year": fiscal_year, "case_no": case_no,
           "reason": "（２）学校から警察への連絡事案\n①エ　児童・生徒が犯罪に巻き込まれたり、被害者となったりすることを"
                     "防ぐために警察に協力が必要になった場合",
           "persons": "対象事案にかかわる対象児童・生徒\n（１人）",
           "items": "対象事案に係る児童・生徒の氏名、性別、年齢、学年、事案の概要",
           "method": "電話", "provided_on": dt.date(2024, 6, 5), "recipient": "牛込警察署"}
    row.update(changes)
    return row


def build(path, **rows):
    """A register in the builder's layout, 報告年度 set (its absence is an error of its own)."""
    return builder.build(path, settings={"report_year": 2025}, **rows)


def codes(report, sheet: str | None = None) -> set[tuple[str, str, str]]:
    return {(i.sheet, i.cell, i.code) for i in report.issues if sheet is None or i.sheet == sheet}


@pytest.fixture
def providing_case(make_case):
    """Case №1 of 2025, 区分 外部提供: the one provisions are tied to."""
    return make_case(1, categories="外部提供")


# --- reading -------------------------------------------------------------------------------

def test_provisions_are_read_typed_with_their_rows(tmp_path, providing_case):
    path = build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[
        provision(), provision(provided_on=dt.date(2024, 7, 18), recipient="戸塚警察署\n少年係", method="面接")])
    book = load(path)
    assert [r.row for r in book.provisions] == [2, 3]
    first, second = book.provisions
    assert first.sheet == P and first.values["fiscal_year"] == 2025 and first.values["case_no"] == 1
    assert first.values["provided_on"] == dt.date(2024, 6, 5) and second.values["recipient"] == "戸塚警察署\n少年係"
    assert first.cell("case_no") == "B2" and second.cell("provided_on") == "G3"
    assert check_file(path).issues == []


def test_the_sample_ties_its_provisions_to_a_providing_case():
    """The sample register's 外部提供 rows (the reference's №29 table) all belong to one case of
    区分 外部提供, and the sample validates with no provision issue."""
    book = load(SAMPLE)
    assert book.format == formats.CURRENT and len(book.provisions) == 10
    keys = {(r.values["fiscal_year"], r.values["case_no"]) for r in book.provisions}
    [key] = keys
    [case] = [r for r in book.cases if (r.values["fiscal_year"], r.values["no"]) == key]
    assert "外部提供" in case.values["categories"] and case.values.get("count_heading") == "対象者数"
    dates = [r.values["provided_on"] for r in book.provisions]
    assert dates == sorted(dates) and all(isinstance(d, dt.date) for d in dates)
    assert not [i for i in tasks.validate(book).issues if i.sheet == P or i.code.startswith("provision")]


@pytest.mark.parametrize("year, no, typed", [
    ("２０２５", "１", "full-width digits"), ("令和7年度", 1, "an era year"), ("R7", "1", "R7"), (2025.0, 1.0, "floats"),
])
def test_year_and_number_typed_as_staff_type_them(tmp_path, make_register, providing_case, year, no, typed):
    path = make_register(tmp_path / "r.xlsx", cases=[providing_case],
                         sheets={P: [PROVISION.headers, _row(provision(fiscal_year=year, case_no=no))]})
    book = load(path)
    assert (book.provisions[0].values["fiscal_year"], book.provisions[0].values["case_no"]) == (2025, 1), typed
    assert codes(check_file(path)) == set()


def _row(values: dict) -> list:
    from xlkit import cells

    return [cells.cell_value(values.get(c.key), separator=c.separator) for c in PROVISION.columns]


def test_cell_level_issues_as_on_the_other_sheets(tmp_path, make_register, providing_case):
    rows = [
        provision(provided_on="R6.13.1"),  # G2 date-invalid
        provision(case_no="二十九"),  # B3 integer-invalid (and no provision-case-unknown on top)
        provision(recipient=None, method="   "),  # F4, H4 required
        provision(fiscal_year="来年"),  # A5 year-invalid
        provision(reason="ﾃｽﾄ理由"),  # C6 halfwidth-kana
        provision(case_no=0),  # B7 schema-minimum
    ]
    path = make_register(tmp_path / "r.xlsx", cases=[providing_case],
                         sheets={P: [PROVISION.headers, *map(_row, rows)]})
    report = check_file(path)
    assert codes(report, P) == {(P, "G2", "date-invalid"), (P, "B3", "integer-invalid"), (P, "F4", "required"),
                                (P, "H4", "required"), (P, "A5", "year-invalid"), (P, "C6", "halfwidth-kana"),
                                (P, "B7", "schema-minimum")}
    for issue in report.issues:
        japanese(issue.message)
    [date] = [i for i in report.issues if i.cell == "G2"]
    assert "R6.13.1" in date.message and date.column == "外部提供の時期"


def test_header_mistakes_on_the_provision_sheet(tmp_path, make_register, providing_case):
    header = list(PROVISION.headers)
    header[6] = "外部提供の時季"  # misspelt: read as 外部提供の時期
    header[8] = "メモ"  # 備考 replaced by a column of staff's own
    path = make_register(tmp_path / "r.xlsx", cases=[providing_case],
                         sheets={P: [header, _row(provision(note="x"))]})
    book = load(path)
    assert book.provisions[0].values["provided_on"] == dt.date(2024, 6, 5)  # no value lost
    found = codes(check_file(path), P)
    assert (P, "G1", "header-misspelt") in found and (P, "I1", "header-unknown") in found


def test_the_buttons_read_the_sheet_as_the_file_reader_does(tmp_path, make_register, providing_case):
    """xlwings hands the core the same grids: dates as datetimes, numbers as floats."""
    from xlkit import register

    assert P in register.sheets_read()
    grids = {C: [CASE.headers, [2025.0, 1.0, "案件1について", "総務課", "外部提供", None, dt.datetime(2025, 4, 18), "承認"]],
             P: [PROVISION.headers, _row(provision(fiscal_year=2025.0, case_no=1.0,
                                                   provided_on=dt.datetime(2024, 6, 5)))],
             schema.linkage().sheet: [schema.linkage().headers]}
    book = load_sheets(grids)
    assert book.provisions[0].values["provided_on"] == dt.date(2024, 6, 5)
    assert book.provisions[0].values["case_no"] == 1


# --- a register without the sheet ------------------------------------------------------------

def test_a_format_4_register_reads_with_no_provisions_and_is_told_to_upgrade(tmp_path, make_register,
                                                                          providing_case):
    case_headers = CASE.headers[:-5]  # the five 別紙 columns came with format 5
    row = [providing_case.get(c.key) for c in CASE.columns[:-5]]
    from xlkit import cells

    row = [cells.cell_value(v, separator=c.separator) for v, c in zip(row, CASE.columns)]
    path = make_register(tmp_path / "r4.xlsx", cases=[], format_version=4, sheets={C: [case_headers, row]})
    book = load(path)
    assert book.format == 4 and book.provisions == [] and len(book.cases) == 1
    report = check_file(path)
    # what format 5 added is optional: the register is told to upgrade, as a warning
    assert [(i.code, i.severity) for i in report.issues] == [("format-old", "warning")]
    assert "xlkit upgrade" in report.issues[0].message


def test_a_current_register_without_the_sheet_says_so_only_when_a_case_needs_it(tmp_path, make_register, make_case,
                                                                              providing_case):
    quiet = make_register(tmp_path / "quiet.xlsx", cases=[make_case(1)])
    assert codes(check_file(quiet)) == set()
    for case in (providing_case, make_case(1, provision_title="令和６年度 外部提供について")):
        path = make_register(tmp_path / "told.xlsx", cases=[case], drop_sheets=(P,))
        report = check_file(path)
        assert codes(report) == {(P, "", "provision-sheet-missing")}
        assert report.issues[0].severity == "warning" and "別紙に載りません" in report.issues[0].message


# --- provisions against cases ----------------------------------------------------------------

def test_a_provision_naming_no_case_is_an_error_at_its_number(tmp_path, providing_case):
    path = build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[
        provision(), provision(case_no=29), provision(fiscal_year=2024)])
    report = check_file(path)
    assert codes(report) == {(P, "B3", "provision-case-unknown"), (P, "B4", "provision-case-unknown")}
    b3 = next(i for i in report.issues if i.cell == "B3")
    assert b3.severity == "error" and "№ 29" in b3.message and "2025（令和7年度）" in b3.message
    assert b3.column == "案件の№" and b3.value == 29


def test_a_duplicate_case_number_still_takes_its_provisions(tmp_path, make_case):
    """№1 typed twice is case-no-duplicate; its provisions are not also said to name no case."""
    path = build(tmp_path / "r.xlsx", cases=[make_case(1, categories="外部提供"),
                                             make_case(1, title="別", categories="外部提供")],
                 provisions=[provision()])
    assert {c for _, _, c in codes(check_file(path))} == {"case-no-duplicate"}


def test_a_case_with_provisions_lacks_the_category(tmp_path, make_case):
    path = build(tmp_path / "r.xlsx", cases=[make_case(1, categories="業務委託、電算処理")],
                 provisions=[provision(), provision(), provision()])
    report = check_file(path)
    assert codes(report) == {(C, "E2", "provision-category")}
    [issue] = report.issues
    assert issue.severity == "warning" and "3 件" in issue.message and "外部提供!B2、B3、B4" in issue.message


def test_the_category_is_not_asked_when_the_master_has_no_such_category(tmp_path, make_register, make_case):
    categories = [["区分", "外部結合の行が要る"], ["電算処理", None], ["外部結合", "○"], ["業務委託", None]]
    path = make_register(tmp_path / "r.xlsx", cases=[make_case(1)], sheets={
        "区分": categories, P: [PROVISION.headers, _row(provision())]})
    assert codes(check_file(path)) == set()


def test_provisions_over_two_years_need_the_period_typed(tmp_path, make_case):
    two_years = [provision(provided_on=dt.date(2024, 6, 5)), provision(provided_on=dt.date(2025, 4, 2))]
    path = build(tmp_path / "r.xlsx", cases=[make_case(1, categories="外部提供")], provisions=two_years)
    report = check_file(path)
    assert codes(report) == {(C, "V2", "provision-period-span")}
    assert "令和6年度・令和7年度" in report.issues[0].message
    typed = build(tmp_path / "r2.xlsx", provisions=two_years, cases=[make_case(
        1, categories="外部提供", provision_period="令和６年４月１日から令和７年５月３１日まで")])
    assert codes(check_file(typed)) == set()


def test_a_title_or_period_without_provisions(tmp_path, make_case):
    path = build(tmp_path / "r.xlsx", cases=[make_case(1, provision_title="令和６年度 外部提供について",
                                                      provision_period="令和６年４月１日から令和７年３月３１日まで")])
    assert codes(check_file(path)) == {(C, "U2", "provision-none"), (C, "V2", "provision-none")}


# --- the 別紙 columns of a case -----------------------------------------------------------------

def test_sheet_divisions_are_checked_against_the_division_master(tmp_path, make_case):
    path = build(tmp_path / "r.xlsx", cases=[
        make_case(1, sheet_divisions=["教育指導課"]),
        make_case(2, sheet_divisions=["教育指導課", "学務課"]),
        make_case(3, sheet_divisions="教育指導課 、 学校運営課"),
    ])
    report = check_file(path)
    assert codes(report) == {(C, "S3", "master-unknown")}
    assert "「学務課」は「課」シートの一覧にありません" in report.issues[0].message
    assert load(path).cases[2].values["sheet_divisions"] == ["教育指導課", "学校運営課"]


def test_sheet_divisions_follow_the_division_periods(tmp_path, make_register, make_case):
    divisions = [schema.division().headers, *([n, b] for n, b in schema.masters()["課"]),
                 ["庶務課", "区長", None, dt.datetime(2019, 3, 31), None]]
    path = make_register(tmp_path / "r.xlsx", cases=[make_case(1, sheet_divisions="庶務課")],
                         sheets={"課": divisions})
    assert codes(check_file(path)) == {(C, "S2", "division-period")}


@pytest.mark.parametrize("typed, ok", [("対象者", True), ("対象者数", True), ("対象数", False), ("人数", False),
                                       ("対象者 数", False)])
def test_the_item_3_heading_is_one_of_its_two_words(tmp_path, make_case, typed, ok):
    path = build(tmp_path / "r.xlsx", cases=[make_case(1, count_heading=typed)])
    report = check_file(path)
    if ok:
        assert codes(report) == set()
        return
    assert codes(report) == {(C, "T2", "schema-enum")}
    message = japanese(report.issues[0].message)
    assert f"「{typed}」は入力できません" in message and "対象者、対象者数" in message
    assert "空欄なら「対象者」" in message


def test_validate_cli_names_the_provision_sheet_and_cell(tmp_path, providing_case, capsys):
    path = build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[provision(case_no=7)])
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 1
    assert "外部提供!B2 [エラー] 案件の№: 案件の年度 2025（令和7年度）・案件の№ 7 に当たる審議案件" in out


# --- a sheet renamed with a stray space (issue 13) --------------------------------------------

def _renamed(path, old: str, new: str):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb[old].title = new
    wb.save(path)
    return path


@pytest.mark.parametrize("renamed", ["外部提供 ", "外部提供　", " 外部提供", "外部 提供"])
def test_a_provision_sheet_renamed_by_a_space_is_an_error_at_that_sheet(tmp_path, providing_case, renamed):
    path = _renamed(build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[provision()]), P, renamed)
    report = check_file(path)
    assert codes(report) == {(renamed, "", "provision-sheet-misnamed")}
    [issue] = report.issues
    assert issue.severity == "error" and f"「{renamed}」" in japanese(issue.message) and f"「{P}」に直して" in issue.message


def test_a_misnamed_provision_sheet_is_said_even_when_no_case_calls_for_it(tmp_path, make_case):
    path = _renamed(build(tmp_path / "r.xlsx", cases=[make_case(1)], provisions=[provision()]), P, P + " ")
    assert codes(check_file(path)) == {(P + " ", "", "provision-sheet-misnamed")}


def test_an_export_from_a_misnamed_provision_sheet_is_refused_naming_it(tmp_path, providing_case, capsys):
    path = _renamed(build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[provision()]), P, P + " ")
    out = tmp_path / "資料.docx"
    code, stdout, err = run_cli(capsys, "export", "cases", path, "--out", out)
    assert code == 1 and not out.exists() and f"{P} " in japanese(err)


def test_the_exact_sheet_wins_over_a_similar_one(tmp_path, providing_case):
    import openpyxl

    path = build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[provision()])
    wb = openpyxl.load_workbook(path)
    wb.create_sheet(P + " ")["A1"] = "メモ"
    wb.save(path)
    assert len(load(path).provisions) == 1
    assert codes(check_file(path)) == set()


def test_a_format_4_register_with_a_similar_sheet_is_only_told_to_upgrade(tmp_path, make_register):
    import openpyxl

    path = make_register(tmp_path / "r4.xlsx", cases=[], format_version=4, sheets={C: [CASE.headers[:-5]]})
    wb = openpyxl.load_workbook(path)
    wb.create_sheet(P + " ")["A1"] = "メモ"  # staff's own before format 5: the upgrade adds 外部提供 beside it
    wb.save(path)
    assert [i.code for i in check_file(path).issues] == ["format-old"]


@pytest.mark.parametrize("sheet", [C, schema.linkage().sheet])
def test_a_register_sheet_renamed_by_a_space_is_refused_naming_it(tmp_path, capsys, sheet):
    path = _renamed(build(tmp_path / "r.xlsx"), sheet, sheet + "　")
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 2 and f"「{sheet}　」というシート" in japanese(err) and f"「{sheet}」に直して" in err


def test_an_export_without_the_provision_sheet_says_the_tables_are_left_out(tmp_path, make_register, providing_case,
                                                                            capsys):
    """A register of format 5 whose 外部提供 sheet staff deleted: the 別紙 print without their tables,
    and the export says so among what it left out, as the CLI prints it (never a silent gap)."""
    path = make_register(tmp_path / "r.xlsx", cases=[providing_case], drop_sheets=(P,))
    code, out, err = run_cli(capsys, "export", "cases", path, "--out", tmp_path / "c.docx")
    assert code == 0 and (tmp_path / "c.docx").is_file()
    said = out + err
    assert japanese(said) and P in said and "別紙に載りません" in said


# --- the buttons name a misnamed sheet as the command line does (one decision, two doors) ------

def _button_codes(path) -> list[tuple[str, str]]:
    from xlkit import macros
    from support.payload import office_js_payload, remote_book

    book = remote_book(office_js_payload(path))
    macros.validate(book)
    [block] = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    return [(row[1], row[6]) for row in block["values"][1:]]


def test_the_check_button_names_a_provision_sheet_renamed_by_a_space(tmp_path, providing_case):
    path = _renamed(build(tmp_path / "r.xlsx", cases=[providing_case], provisions=[provision()]), P, P + " ")
    assert _button_codes(path) == [(P + " ", "provision-sheet-misnamed")]


@pytest.mark.parametrize("sheet", [C, schema.linkage().sheet])
def test_the_buttons_name_a_register_sheet_renamed_by_a_space(tmp_path, sheet):
    from xlkit import macros
    from support.payload import alerts, office_js_payload, remote_book

    path = _renamed(build(tmp_path / "r.xlsx"), sheet, sheet + "　")
    book = remote_book(office_js_payload(path))
    macros.validate(book)
    [alert] = alerts(book.json()["actions"])
    assert f"「{sheet}　」というシート" in alert[0] and f"「{sheet}」に直して" in alert[0]
