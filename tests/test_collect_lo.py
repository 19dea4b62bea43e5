"""A 照会票 and the register after 回答取込 as LibreOffice prints them.

Set XLKIT_DOCS_PNG=1 to also copy the rendered pages to docs/survey_*.png.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from support import needs_soffice, run_cli
from support.forms import YEAR, cite_a_case, fill, form_of, linkage
from support.lo import DOCS, lo, pdftoppm
from xlkit import inquiry, schema

pytestmark = needs_soffice

FORM_PAGES = {inquiry.HOWTO: "survey_01_howto", inquiry.CONTINUING: "survey_02_continuing",
              inquiry.NEW: "survey_03_new"}
REGISTER_PAGES = {schema.status().sheet: "survey_04_status", schema.history().sheet: "survey_05_history"}


def _render(book: Path, outdir: Path, pages: dict[str, str]) -> None:
    lo("render", book, outdir)
    pdfs = json.loads((outdir / "sheets.json").read_text(encoding="utf-8"))
    docs = os.environ.get("XLKIT_DOCS_PNG")
    for sheet, name in pages.items():
        png = pdftoppm(Path(pdfs[sheet]), outdir / name)
        assert png.stat().st_size > 5000, sheet  # a page with something on it
        if docs:
            shutil.copyfile(png, DOCS / f"{name}.png")


def test_a_form_and_the_status_render(tmp_path, capsys):
    from support import SAMPLE

    register = tmp_path / "登録簿.xlsx"
    shutil.copyfile(SAMPLE, register)
    cite_a_case(register)  # the survey pre-lists the approved cases (2024-3 …)
    folder = tmp_path / "照会票"
    assert run_cli(capsys, "survey", register, "--year", YEAR, "--out", folder)[0] == 0
    tax = fill(form_of(folder, "税務課"), ends={"H19-001": "R3.9.30"},
               cases={"2024-3": linkage("税務課", "財産調査", "令和3年6月1日", partner="金融機関")},
               new=[linkage("税務課", "電子申告の受付", "2021/10/1")])
    care = fill(form_of(folder, "介護保険課"), changes={"H12-001": "相手方の名称が変わりました（国保連合会）"})
    _render(tax, tmp_path / "form", FORM_PAGES)
    code, out, err = run_cli(capsys, "collect", register, tax, care, "--year", YEAR)
    assert code == 0, out + err
    _render(register, tmp_path / "register", REGISTER_PAGES)
