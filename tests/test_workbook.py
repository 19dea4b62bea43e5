"""The register builder: sheets, tables, validation, names and protection, read back with openpyxl."""

from __future__ import annotations

import argparse
import datetime as dt

import openpyxl
import pytest

from xlkit import schema
from xlkit.workbook import reader
from xlkit.errors import XlkitError
from xlkit.workbook import design
from xlkit.workbook.builder import build

@pytest.fixture(scope="module")
def plain(tmp_path_factory, make_linkage, make_case):
    """Two linkages (the second's start typed as text, no ○) and a case with two 担当課 and two 区分."""
    linkage = make_linkage(1, id="R2-001", my_number=True, start=dt.date(2020, 8, 1), note="=not a formula")
    case = make_case(12, title="介護保険システムの外部結合について", divisions=["介護保険課", "情報システム課"],
                     categories=["外部結合", "業務委託"], submitted_on=dt.date(2025, 2, 13), meeting="第3回")
    path = tmp_path_factory.mktemp("wb") / "登録簿.xlsx"
    build(path, linkages=[linkage, {**linkage, "id": "R2-002", "start": "R2. 8. 1", "my_number": None}],
          cases=[case], settings={"report_year": 2024, "previous_published": {"区長": 40, "議会": 0}})
    return path


def test_sheets_in_order_and_headers_from_the_schemas(plain):
    wb = openpyxl.load_workbook(plain)
    assert wb.sheetnames == list(design.sheet_order())
    assert wb.sheetnames[0] == "使い方"
    for reg in (schema.linkage(), schema.case()):
        ws = wb[reg.sheet]
        assert [c.value for c in ws[1]] == reg.headers
    assert [c.value for c in wb["課"][1]][:2] == ["課", "実施機関"]
    assert [c.value for c in wb["設定"][1]] == ["項目", "値", "説明"]


def test_values_typed_dates_real_marks_and_multi_joined(plain):
    ws = openpyxl.load_workbook(plain)["外部結合"]
    headers = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(headers, ws[2])}
    assert row["結合の開始年月日"] == dt.datetime(2020, 8, 1)
    assert ws.cell(2, headers.index("結合の開始年月日") + 1).is_date
    assert row["特定個人情報の有無"] == "○"
    assert row["計上年度"] == 2020
    assert row["備考"] == "=not a formula" and ws.cell(2, headers.index("備考") + 1).data_type == "s"
    row3 = {h: c.value for h, c in zip(headers, ws[3])}
    assert row3["結合の開始年月日"] == "R2. 8. 1"  # a hand-typed date stays as typed
    assert row3["特定個人情報の有無"] is None
    ws = openpyxl.load_workbook(plain)["審議案件"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(2, headers.index("担当課") + 1).value == "介護保険課、情報システム課"


def test_tables_banded_filtered_frozen_widths(plain):
    wb = openpyxl.load_workbook(plain)
    for reg in (schema.linkage(), schema.case()):
        ws = wb[reg.sheet]
        table = ws.tables[design.table_name(reg.sheet)]
        assert table.ref.startswith("A1:")
        assert table.tableStyleInfo.showRowStripes
        assert table.autoFilter is not None
        assert [c.name for c in table.tableColumns] == reg.headers
        assert ws.freeze_panes == "A2"
        for i, column in enumerate(reg.columns):
            assert _width(ws, i + 1) == pytest.approx(column.width, abs=0.8)
    assert wb["外部結合"].tables["表_外部結合"].ref == "A1:P3"


def _width(ws, col: int) -> float | None:
    for dim in ws.column_dimensions.values():  # openpyxl groups equal neighbours into one min..max
        if dim.min <= col <= dim.max:
            return dim.width
    return None


def _validations(ws):
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0]] = dv
    return out


def test_every_master_column_has_a_dropdown_fed_by_a_named_range(plain):
    wb = openpyxl.load_workbook(plain)
    for reg in (schema.linkage(), schema.case()):
        dvs = _validations(wb[reg.sheet])
        for i, column in enumerate(reg.columns):
            cell = f"{openpyxl.utils.get_column_letter(i + 1)}2"
            if column.master:
                dv = dvs[cell]
                assert dv.type == "list"
                assert dv.formula1 == design.list_name(column.master)
                assert (dv.errorStyle or "stop") == ("information" if column.kind == "multi" else "stop")
                assert dv.showErrorMessage
            if column.kind in ("date", "mark"):
                dv = dvs[cell]
                assert dv.showInputMessage and dv.prompt == column.input_message
                assert dv.showErrorMessage and dv.error
            if column.required:
                assert dvs[cell].promptTitle.endswith("（必須）")
    names = wb.defined_names
    for master in design.MASTER_HEADERS:
        text = names[design.list_name(master)].attr_text
        assert text.startswith(f"OFFSET({master}!$A$2") and f"COUNTA({master}!$A:$A)" in text


def test_required_headers_marked(plain):
    ws = openpyxl.load_workbook(plain)["外部結合"]
    fills = {c.value: c.fill.fgColor.rgb for c in ws[1]}
    reg = schema.linkage()
    required = {fills[c.header] for c in reg.columns if c.required}
    optional = {fills[c.header] for c in reg.columns if not c.required}
    assert len(required) == 1 and len(optional) == 1 and required != optional


def test_masters_and_settings_protected_but_editable_where_needed(plain):
    wb = openpyxl.load_workbook(plain)
    for name in ("実施機関", "課", "区分", "審議結果"):
        ws = wb[name]
        assert ws.protection.sheet, name
        assert ws["A1"].protection.locked
        assert not ws["A2"].protection.locked
        assert not ws.protection.insertRows and not ws.protection.deleteRows  # False = allowed
        assert ws.protection.insertColumns  # True = not allowed
    assert [r[0] for r in wb["実施機関"].iter_rows(min_row=2, max_col=1, values_only=True)] == \
        schema.masters()["実施機関"]
    assert [tuple(r[:2]) for r in wb["課"].iter_rows(min_row=2, values_only=True)] == \
        [tuple(d) for d in schema.masters()["課"]]
    ws = wb["設定"]
    assert ws.protection.sheet
    assert ws["A2"].protection.locked and not ws["B2"].protection.locked
    rows = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["報告年度"] == 2024
    assert rows["前年度公表値（区長）"] == 40 and rows["前年度公表値（議会）"] == 0
    assert rows["前年度公表値（教育委員会）"] is None
    assert rows["所管課"] == "総合政策部区政情報課"  # x-default
    titles = [c.header for c in schema.settings().columns if c.kind != "per-body"]
    assert all(t in rows for t in titles)


def test_xlwings_conf_sheet_starts_at_a1(plain):
    ws = openpyxl.load_workbook(plain)["xlwings.conf"]
    keys = [ws.cell(r, 1).value for r in range(1, len(design.XLWINGS_CONF_ROWS) + 1)]
    assert keys[:2] == ["Interpreter_Win", "PYTHONPATH"]
    assert ws.cell(len(design.XLWINGS_CONF_ROWS) + 1, 1).value is None  # xlwings stops at the blank


def test_plain_register_reads_back_through_the_register_reader(plain):
    book = reader.load(plain)
    assert [r.get("id") for r in book.linkages] == ["R2-001", "R2-002"]
    assert book.linkages[0].get("start") == dt.date(2020, 8, 1)
    assert book.linkages[1].get("start") == dt.date(2020, 8, 1)
    assert book.linkages[0].get("my_number") is True
    assert book.cases[0].get("divisions") == ["介護保険課", "情報システム課"]
    assert book.settings["report_year"] == 2024
    assert book.settings["previous_published"] == {"区長": 40, "議会": 0}
    assert book.bodies == schema.masters()["実施機関"]
    assert [i for i in book.issues] == []


def test_custom_divisions_and_unknown_keys(tmp_path):
    path = build(tmp_path / "r.xlsx", divisions=[("A課", "区長"), ("B課", "議会")])
    assert reader.load(path).divisions == [("A課", "区長"), ("B課", "議会")]
    with pytest.raises(ValueError, match="外部結合: スキーマにない項目があります: nonsense"):
        build(tmp_path / "x.xlsx", linkages=[{"nonsense": 1}])
    with pytest.raises(XlkitError, match=r"「x\.csv」は作成できません。ファイル名の拡張子を \.xlsm"):
        build(tmp_path / "x.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]  # nothing written for either


def _new(argv):
    from xlkit.commands import new

    parser = argparse.ArgumentParser()
    new.add_parser(parser.add_subparsers()).set_defaults(run=new.run)
    args = parser.parse_args(["new", *argv])
    return args.run(args)


def test_new_command_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "登録簿.xlsx"
    assert _new([str(path)]) == 0
    assert "作成しました" in capsys.readouterr().out
    before = path.read_bytes()
    with pytest.raises(XlkitError, match="既にあります.*--overwrite"):
        _new([str(path)])
    assert path.read_bytes() == before
    assert _new([str(path), "--force"]) == 0
    with pytest.raises(XlkitError, match="拡張子"):
        _new([str(tmp_path / "a.csv")])
    with pytest.raises(XlkitError, match="保存先のフォルダ「.*missing」がありません"):
        _new([str(tmp_path / "missing" / "a.xlsx")])
    assert not (tmp_path / "missing").exists()  # refused, not made
