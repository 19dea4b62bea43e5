"""The register as LibreOffice sees it: buttons bound to our subs, each sub run with a stub
RunPython, dropdown lists that grow, protection, and a page of each sheet rendered to PNG.

Set XLKIT_DOCS_PNG=1 to also copy the rendered pages to docs/workbook_*.png.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from support.buttons import BY_CAPTION
from support import needs_soffice
from support.lo import DOCS, inspect, lo, pdftoppm
from xlkit import schema
from xlkit.workbook import design
from xlkit.workbook.builder import build

pytestmark = needs_soffice

DOC_NAMES = {"使い方": "howto", "外部結合": "linkages", "審議案件": "cases", "外部提供": "provisions", "検証結果": "results",
             "集計": "summary", "診断": "diagnosis", "設定": "settings", "実施機関": "bodies", "課": "divisions",
             "区分": "categories", "審議結果": "case_results", "xlwings.conf": "xlwings_conf",
             "回答状況": "status", "変更履歴": "history"}

EXPECTED = BY_CAPTION


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lo")
    return inspect(build(tmp / "登録簿.xlsm"), tmp)


def test_opens_with_every_sheet_and_the_vba_project(report):
    assert report["sheets"] == list(design.macro_sheet_order())  # ボタンの文言 very hidden, last
    modules = report["libraries"]["VBAProject"]
    assert {"xlkit", "xlwings", "ThisWorkbook"} <= set(modules)
    assert "Module1" not in modules


def test_each_button_is_bound_to_its_sub(report):
    controls = report["controls"]
    assert [c["label"] for c in controls] == list(EXPECTED)
    for control in controls:
        sub, _ = EXPECTED[control["label"]]
        assert control["sheet"] == "使い方"
        clicks = [e for e in control["events"] if e["method"] == "actionPerformed"]
        assert [e["code"] for e in clicks] == [
            f"vnd.sun.star.script:VBAProject.xlkit.{sub}?language=Basic&location=document"]


def test_each_button_and_each_sub_hands_runpython_its_line(report):
    """On a PC where the bundle is installed (lo_register.py gives LibreOffice a LOCALAPPDATA holding
    xlkit\\.venv\\Scripts\\python.exe), each sub's check of the interpreter passes; the case of a missing
    one is tests/test_format6.py's."""
    assert report["interpreter"]["XlkitMissingInterpreter"] == {"value": "", "error": None}
    assert [(r["label"], r["received"], r["error"]) for r in report["button_runs"]] == [
        (label, [line], None) for label, (_, line) in EXPECTED.items()]
    assert [(r["sub"], r["received"], r["error"]) for r in report["sub_runs"]] == [
        (sub, [line], None) for sub, line in EXPECTED.values()]


def test_dropdowns_use_the_named_lists_and_the_lists_grow(report):
    for reg in (schema.linkage(), schema.case()):
        by_header = {v["header"]: v for v in report["validation"][reg.sheet]}
        assert list(by_header) == reg.headers
        for column in reg.columns:
            v = by_header[column.header]
            if column.master:
                assert v["type"] == "LIST" and v["formula1"] == design.list_name(column.master)
                assert v["alert"] == ("INFO" if column.kind == "multi" else "STOP")
            if column.kind in ("date", "mark"):
                assert v["show_input"] and v["input"] == column.input_message and v["show_error"]
    masters = schema.masters()
    sizes = {"実施機関": len(masters["実施機関"]), "課": len(masters["課"]),
             "区分": len(masters["区分"]), "審議結果": len(masters["審議結果"])}
    for master, size in sizes.items():
        entry = report["lists"][design.list_name(master)]
        assert (entry["before"], entry["after"], entry["last"]) == (size, size + 1, "テスト追加")


def test_masters_and_settings_are_protected(report):
    protected = {name for name, on in report["protected"].items() if on}
    assert {"実施機関", "課", "区分", "審議結果", "設定"} <= protected
    assert not ({schema.linkage().sheet, schema.case().sheet, design.RESULTS, design.SUMMARY, design.DIAGNOSIS}
                & protected)  # the macros write 検証結果, 集計 and 診断
    assert report["protected"][design.MACRO_TEXTS]


def test_buttons_survive_an_openpyxl_edit(tmp_path):
    book = build(tmp_path / "a.xlsm")
    wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["外部結合"]["A2"] = "R7-001"
    edited = tmp_path / "edited.xlsm"
    wb.save(edited)
    report = inspect(edited, tmp_path)
    assert [(r["label"], r["received"]) for r in report["button_runs"]] == [
        (label, [line]) for label, (_, line) in EXPECTED.items()]


def test_a_page_of_each_sheet_renders_with_the_macros_results(tmp_path, make_linkage, make_case):
    """Fill 検証結果 and 集計 through the remote engine, replay the actions, render every sheet."""
    import datetime as dt

    from xlkit import macros
    from support.payload import apply_actions, office_js_payload, remote_book

    first = make_linkage(1, id="R2-001", my_number=True, start=dt.date(2020, 8, 1))
    linkages = [
        {**first, "note": "=not a formula"},
        {**first, "id": "R2-002", "body": "教育委員会", "division": "学校運営課", "my_number": None,
         "start": dt.date(2019, 10, 1), "fiscal_year": 2019},
        {**first, "id": "R2-003", "start": "R2.13.1"},  # an impossible date
        {**first, "id": "R2-004", "division": "存在しない課"},  # not in the 課 list
    ]
    case = make_case(12, title="介護保険システムの外部結合について", divisions=["介護保険課", "情報システム課"],
                     categories=["外部結合", "業務委託"], submitted_on=dt.date(2025, 2, 13), meeting="第3回")
    book_path = build(tmp_path / "登録簿.xlsm", linkages=linkages, cases=[case],
                      settings={"report_year": 2020, "previous_published": {"区長": 0, "教育委員会": 1}})
    book = remote_book(office_js_payload(book_path))
    macros.validate(book)
    macros.summarize(book)
    filled = tmp_path / "filled.xlsm"
    alerts = apply_actions(book_path, book.json()["actions"], filled)
    assert [a["func"] for a in alerts] == ["alert", "alert"]

    outdir = tmp_path / "render"
    lo("render", filled, outdir)
    pdfs = json.loads((outdir / "sheets.json").read_text(encoding="utf-8"))
    assert list(pdfs) == list(design.sheet_order())  # the hidden texts of the VBA are not printed
    docs = os.environ.get("XLKIT_DOCS_PNG")
    for i, (name, pdf) in enumerate(pdfs.items(), start=1):
        png = pdftoppm(Path(pdf), outdir / f"workbook_{i:02d}")
        assert png.stat().st_size > 2000, name  # a page with something on it
        if docs:
            target = DOCS / f"workbook_{i:02d}_{DOC_NAMES[name]}.png"
            shutil.copyfile(png, target)


