"""Bad input through the command: a clear Japanese message on stderr and exit code 2."""

from __future__ import annotations

import shutil
import zipfile

import pytest

from xlkit import cli, schema

LINKAGE = schema.linkage()


def run(monkeypatch, capsys, path, *options):
    monkeypatch.setattr(cli, "COMMANDS", ("validate",))  # only this command's module is needed
    code = cli.main(["validate", str(path), *options])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def register(tmp_path, make_register, make_linkage, make_case):
    return make_register(tmp_path / "登録簿.xlsx", [make_linkage(2), make_linkage(3)], [make_case(1)])


def assert_refused(code, out, err, *words):
    assert code == 2
    assert err.startswith("エラー: ")
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


def test_a_text_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "登録簿.csv"
    path.write_text("管理番号,実施機関\nL-1,区長\n", encoding="utf-8")
    assert_refused(*run(monkeypatch, capsys, path), "登録簿.csv", "Excel", ".xlsx")


def test_a_text_file_named_xlsx(tmp_path, monkeypatch, capsys):
    path = tmp_path / "登録簿.xlsx"
    path.write_text("管理番号,実施機関\nL-1,区長\n", encoding="utf-8")
    assert_refused(*run(monkeypatch, capsys, path), "登録簿.xlsx", "Excelファイルとして読めません")


def test_an_old_xls_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "登録簿.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
    assert_refused(*run(monkeypatch, capsys, path), "登録簿.xls", ".xlsx")


def test_a_zip_that_is_not_a_workbook(tmp_path, monkeypatch, capsys):
    path = tmp_path / "登録簿.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert_refused(*run(monkeypatch, capsys, path), "Excelファイルとして読めません")


def test_a_missing_file_and_a_folder(tmp_path, monkeypatch, capsys):
    assert_refused(*run(monkeypatch, capsys, tmp_path / "ない.xlsx"), "ない.xlsx", "見つかりません")
    folder = tmp_path / "フォルダ.xlsx"
    folder.mkdir()
    assert_refused(*run(monkeypatch, capsys, folder), "フォルダ")


@pytest.mark.parametrize("sheet", [LINKAGE.sheet, schema.case().sheet])
def test_a_missing_register_sheet(tmp_path, monkeypatch, capsys, sheet, make_register, make_linkage,
                                  make_case):
    path = make_register(tmp_path / "r.xlsx", [make_linkage(2)], [make_case(1)], drop_sheets=(sheet,))
    assert_refused(*run(monkeypatch, capsys, path), f"シート「{sheet}」がありません")


def test_a_renamed_header_lists_the_problem_and_exits_2(tmp_path, monkeypatch, capsys, make_register, make_linkage,
                                                        make_case):
    header = list(LINKAGE.headers)
    header[10] = "開始日"  # 結合の開始年月日 renamed
    path = make_register(tmp_path / "r.xlsx", [make_linkage(2)], [make_case(1)], linkage_header=header)
    code, out, err = run(monkeypatch, capsys, path)
    assert_refused(code, out, err, "列名", "外部結合!K1")
    assert "外部結合!K1 [エラー]" in out and "開始日" in out  # the listing still says which column


def test_a_renamed_header_in_json_mode(tmp_path, monkeypatch, capsys, make_register, make_linkage, make_case):
    import json

    header = list(LINKAGE.headers)
    header[9] = "結合の相手先"
    path = make_register(tmp_path / "r.xlsx", [make_linkage(2)], [make_case(1)], linkage_header=header)
    code, out, err = run(monkeypatch, capsys, path, "--json")
    assert code == 2 and "列名" in err
    data = json.loads(out)
    assert [(i["cell"], i["code"]) for i in data["issues"]] == [("J1", "header-misspelt")]


def test_merged_cells(tmp_path, monkeypatch, capsys, make_register, make_linkage, make_case):
    path = make_register(tmp_path / "r.xlsx", [make_linkage(2), make_linkage(3)], [make_case(1)],
                         edit=lambda wb: wb[LINKAGE.sheet].merge_cells("E2:E3"))
    assert_refused(*run(monkeypatch, capsys, path), "E2:E3", "結合")


def test_error_values(tmp_path, monkeypatch, capsys, make_register, make_linkage, make_case):
    def plant(wb):
        wb[LINKAGE.sheet]["K2"] = "#N/A"

    path = make_register(tmp_path / "r.xlsx", [make_linkage(2)], [make_case(1)], edit=plant)
    assert_refused(*run(monkeypatch, capsys, path), "K2", "#N/A", "エラー値")


def test_formulas(tmp_path, monkeypatch, capsys, make_register, make_linkage, make_case):
    def plant(wb):
        wb[schema.case().sheet]["B2"] = "=1+1"

    path = make_register(tmp_path / "r.xlsx", [make_linkage(2)], [make_case(1)], edit=plant)
    assert_refused(*run(monkeypatch, capsys, path), "審議案件", "B2", "数式")


def test_a_100_mb_file(register, tmp_path, monkeypatch, capsys):
    big = tmp_path / "大きい登録簿.xlsx"
    shutil.copy(register, big)
    with open(big, "r+b") as f:  # a valid zip start, then sparse padding up to 100 MB
        f.truncate(100 * 1024 * 1024)
    assert_refused(*run(monkeypatch, capsys, big), "大きい登録簿.xlsx", "大きすぎます", "100.0 MB")


def test_the_good_file_passes(register, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, register)
    assert code == 0 and err == ""


def test_data_validations_are_not_mistaken_for_formulas(tmp_path):
    """The register's dropdowns hold <formula1>: no formula, and the fast path of the scan."""
    import datetime as dt

    from xlkit.workbook.builder import build
    from xlkit.workbook.scan import _FORMULA, inspect, sheet_parts

    path = build(tmp_path / "r.xlsx", linkages=[dict(id="1", start=dt.date(2020, 4, 1))])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(sheet_parts(archive)[LINKAGE.sheet])
    assert b"<formula1>" in xml and _FORMULA.search(xml) is None
    assert inspect(path, {LINKAGE.sheet, schema.case().sheet}).problems == []


def test_a_year_cell_holding_only_the_word_nendo(tmp_path, monkeypatch, capsys, make_register, make_linkage,
                                                 make_case):
    """「年度」 alone in 計上年度, 年度 or 設定's 報告年度 once crashed the reader (exit 3)."""
    path = make_register(tmp_path / "年度.xlsx", [make_linkage(2, fiscal_year="年度")],
                         [make_case(1, fiscal_year="年度")], settings=[["報告年度", "年度"]])
    code, out, err = run(monkeypatch, capsys, path)
    assert code == 1 and err == ""
    for cell in ("外部結合!N2", "審議案件!A2", "設定!B2"):
        assert f"{cell} [エラー]" in out and "年度の数字がありません" in out, cell
