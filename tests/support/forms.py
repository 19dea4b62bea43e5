"""Filling a 照会票 the way 課 staff do in Excel (tests of survey and collect)."""

from __future__ import annotations

import itertools
from pathlib import Path

import openpyxl

from xlkit import inquiry, schema

YEAR = 2021
LINK = schema.linkage()


def form_of(folder: Path, division: str) -> Path:
    return folder / inquiry.file_name(YEAR, division)


def headers(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value}


def fill(path: Path, out: Path | None = None, *, ends: dict | None = None, changes: dict | None = None,
         new: list[dict] = (), cases: dict | None = None, respondent=("山田 花子", "2345", "R4.5.10"),
         edit=None) -> Path:
    """Answer a form as 課 staff do in Excel; `new` rows and `cases` rows are keyed by header."""
    wb = openpyxl.load_workbook(path)
    ws = wb[inquiry.CONTINUING]
    col = headers(ws)
    for r in range(2, ws.max_row + 1):
        id_ = ws.cell(r, col[LINK.header("id")]).value
        if id_ in (ends or {}):
            ws.cell(r, col[LINK.header("end")]).value = ends[id_]
        if id_ in (changes or {}):
            ws.cell(r, col[inquiry.CHANGE_HEADER]).value = changes[id_]
    ws = wb[inquiry.NEW]
    col = headers(ws)
    ref_col = col[LINK.header("case_ref")]
    for r in range(2, ws.max_row + 1):
        ref = ws.cell(r, ref_col).value
        if ref in (cases or {}):
            for header, value in cases[ref].items():
                ws.cell(r, col[header]).value = value
    # new rows go into the first typing rows, as staff type them: below the pre-listed cases,
    # where only the 課 is filled in
    business = col[LINK.header("business")]
    free = (r for r in itertools.count(2)
            if ws.cell(r, ref_col).value is None and ws.cell(r, business).value is None)
    for values, row in zip(new, free):
        for header, value in values.items():
            ws.cell(row, col[header]).value = value
    howto = wb[inquiry.HOWTO]
    for line in howto.iter_rows():
        for cell in line:
            if cell.value in inquiry.RESPONDENT:
                howto.cell(cell.row, cell.column + 1).value = respondent[list(inquiry.RESPONDENT).index(cell.value)]
    if edit:
        edit(wb)
    out = out or path
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def sheet_rows(path: Path, register: schema.Register) -> list[dict]:
    """The rows of a sheet xlkit writes (変更履歴, 回答状況) as schema key -> value."""
    ws = openpyxl.load_workbook(path)[register.sheet]
    head = [c.value for c in ws[1]]
    keys = {c.header: c.key for c in register.columns}
    return [{keys.get(h, h): v for h, v in zip(head, row) if v is not None}
            for row in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row)]


def linkage(division: str, business: str, start, **more) -> dict:
    values = {LINK.header("division"): division, LINK.header("business"): business,
              LINK.header("reason"): f"{business}のため", LINK.header("subjects"): "区民",
              LINK.header("items"): "氏名、住所", LINK.header("basis"): "令和3年度第1回審議会承認",
              LINK.header("partner"): "国", LINK.header("start"): start}
    values.update({LINK.header(k): v for k, v in more.items()})
    return values


TABLE2_KEYS = ("division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start")


def write_table2(path: Path, division: str, business: str, start: str) -> Path:
    """A published table (2) of one row, as `xlkit import` reads it (tab-separated)."""
    path.write_text("No.\t" + "\t".join(LINK.header(k) for k in TABLE2_KEYS) + "\n"
                    f"1\t{division}\t{business}\t理由\t対象者\t項目\t\t令和3年度第1回審議会承認\t相手方\t{start}\n",
                    encoding="utf-8")
    return path


def sample_of_year(path: Path, year: int) -> Path:
    """The shipped sample with 報告年度 `year` and no 前年度公表値 (those of 令和2年度 would not
    match), saved at `path`."""
    from xlkit.workbook import design
    from support import SAMPLE

    workbook = openpyxl.load_workbook(SAMPLE)
    settings = workbook[design.settings_sheet()]
    previous = schema.settings().header("previous_published")
    for title, value, *_ in settings.iter_rows():
        if title.value == schema.settings().header("report_year"):
            value.value = year
        elif str(title.value or "").startswith(previous):
            value.value = None
    workbook.save(path)
    return path
