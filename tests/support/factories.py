"""The one set of register rows the tests build: valid rows, changed where a test says so.

Tests get these through the fixtures of tests/conftest.py (``make_linkage``, ``make_case``,
``make_record``, ``make_planted``, ``make_register``); benchmarks, which are not pytest, import
them from here. A row is a dict of schema key -> value, the shape ``xlkit.workbook.builder.build``
takes (see schemas/linkage.schema.json and schemas/case.schema.json for the keys).

Every default breaks no rule of 入力チェック: 課, 実施機関, 区分 and 審議結果 are names of
schemas/masters.json, the dates are real, and 計上年度 (年度 of a case) is the 年度 of the row's
date, so a row is wrong only where a test makes it wrong::

    linkage(3, division="存在しない課")      # one master-unknown, nothing else
    case(2, submitted_on="R7.2.30")          # one date-invalid

tests/test_house.py checks that the defaults stay valid.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

from xlkit import cells, formats, schema
from xlkit.dates import fiscal_year as fiscal_year_of
from xlkit.records import Record

# values of schemas/masters.json: 戸籍住民課 and 総務課 are 区長's 課
BODY = "区長"
DIVISION = "戸籍住民課"
CASE_DIVISION = "総務課"
CATEGORY = "業務委託"  # not 外部結合: an approved case of 外部結合 calls for a linkage row citing it
RESULT = "承認"


def linkage(i: int = 1, year: int = 2020, **changes: Any) -> dict:
    """A 外部結合 row that breaks no rule, with `changes` on top (None blanks a cell).

    ``i`` makes 管理番号 and 業務名 distinct (no id-duplicate, no linkage-duplicate); the row
    starts on 1 June of ``year``. 計上年度 is the 年度 of ``start`` when ``start`` is a date,
    else ``year``: ``linkage(1, start=date(2019, 10, 1))`` is counted in 2019, while
    ``linkage(1, start="R2.13.1")`` (text, as staff type it) keeps 2020. Give ``fiscal_year``
    to set it yourself.
    """
    row = {
        "id": f"L-{i:05d}", "body": BODY, "division": DIVISION, "business": f"住民基本台帳事務{i}",
        "reason": "転入者の本人確認のため", "subjects": "転入者", "items": "氏名、住所、生年月日",
        "basis": "令和2年度第2回審議会承認", "partner": "地方公共団体情報システム機構",
        "start": dt.date(year, 6, 1),
    }
    row.update(changes)
    if "fiscal_year" not in changes:
        start = row.get("start")
        row["fiscal_year"] = fiscal_year_of(start) if isinstance(start, dt.date) else year
    return row


def case(no: int = 1, **changes: Any) -> dict:
    """A 審議案件 row that breaks no rule, with `changes` on top (None blanks a cell).

    Submitted on 2025-04-18 (令和7年度), one 担当課, 区分 業務委託, 承認. 年度 is the 年度 of
    ``submitted_on`` when that is a date, else 2025. The 別紙 columns (事業名, 概要, ...) are
    blank: they are optional.
    """
    row = {
        "no": no, "title": f"案件{no}について", "divisions": [CASE_DIVISION], "categories": [CATEGORY],
        "submitted_on": dt.date(2025, 4, 18), "result": RESULT,
    }
    row.update(changes)
    if "fiscal_year" not in changes:
        submitted = row.get("submitted_on")
        row["fiscal_year"] = fiscal_year_of(submitted) if isinstance(submitted, dt.date) else 2025
    return row


def planted(n_valid: int) -> list[dict]:
    """``n_valid`` good linkages, then three bad ones: an impossible date, an unknown 課, a typo.

    In a register their cells are K{n+2} (結合の開始年月日), C{n+3} (結合を行った課) and
    E{n+4} (外部結合を行った理由): errors date-invalid and master-unknown, warning typo.
    """
    rows = [linkage(i) for i in range(n_valid)]
    rows.append(linkage(n_valid, start="R2.13.1"))  # error: date-invalid (結合の開始年月日)
    rows.append(linkage(n_valid + 1, division="存在しない課"))  # error: master-unknown
    rows.append(linkage(n_valid + 2, reason="LGWAN經由で送付するため"))  # warning: typo
    return rows


def record(row: int = 2, division: str = "税務課", *, start: dt.date | None = dt.date(2015, 4, 1), end=None,
           fiscal_year: int | None = None, my_number: bool = False, consent: bool = False,
           body: str | None = None) -> Record:
    """A 外部結合 Record as the reader would give it, for xlkit.figures and xlkit.tasks without a file.

    Only what the figures look at: 課, 実施機関 (the 課's own from the masters unless ``body``
    is given; "" leaves it out), 開始・終了年月日, 計上年度 (the 年度 of ``start`` unless
    given), 特定個人情報 and 本人同意 when True. ``start=None`` leaves the start out.
    """
    body_of = dict(tuple(d) for d in schema.masters()["課"])
    values = {"division": division, "body": body if body is not None else body_of.get(division, BODY)}
    if start is not None:
        values["start"] = start
        values["fiscal_year"] = fiscal_year if fiscal_year is not None else fiscal_year_of(start)
    elif fiscal_year is not None:
        values["fiscal_year"] = fiscal_year
    if end is not None:
        values["end"] = end
    if my_number:
        values["my_number"] = True
    if consent:
        values["consent"] = True
    if body == "":
        del values["body"]
    return Record("外部結合", row, values, dict(values), {})


REGISTER_ID = "0123456789abcdef0123456789abcdef"  # of every register write_register makes


def write_register(path, linkages=(), cases=(), *, settings=None, linkage_header=None,
                   sheets=None, drop_sheets=(), edit=None, format_version: int | None = formats.CURRENT) -> Path:
    """A register written cell by cell with openpyxl, as a hand-made or older register looks.

    Unlike ``xlkit.workbook.builder.build`` (the real layout: tables, dropdowns, protection),
    this writes bare grids, so a test can break the layout: ``linkage_header`` replaces the
    外部結合 header row, a row given as a list is written as it is (not keyed by schema key),
    ``settings`` are 設定's rows ([項目, 値]; default 報告年度 2020), ``sheets`` replaces whole
    sheets (name -> rows), ``drop_sheets`` leaves sheets out, and ``edit(workbook)`` runs
    before saving. Dates are written as date cells, text (R2.4.1) as text. The register records
    ``format_version`` (xlkit.formats) as `xlkit new` does; None leaves it out, as in a register
    made before formats were recorded.
    """
    link, case_reg = schema.linkage(), schema.case()

    def grid_row(reg, row):
        if not isinstance(row, dict):
            return list(row)
        return [cells.cell_value(row.get(c.key), separator=c.separator) for c in reg.columns]

    masters = schema.masters()
    content = {
        link.sheet: [linkage_header or link.headers, *(grid_row(link, r) for r in linkages)],
        case_reg.sheet: [case_reg.headers, *(grid_row(case_reg, r) for r in cases)],
        "実施機関": [["実施機関"], *([b] for b in masters["実施機関"])],
        "課": [["課", "実施機関"], *(list(d) for d in masters["課"])],
        "区分": [["区分"], *([c] for c in masters["区分"])],
        "審議結果": [["審議結果"], *([r] for r in masters["審議結果"])],
        "設定": [["項目", "値"], *(settings if settings is not None else [["報告年度", 2020]])],
    }
    if format_version is not None and format_version >= 3:  # the sheets only xlkit writes (format 3)
        content[schema.status().sheet] = [schema.status().headers]
        content[schema.history().sheet] = [schema.history().headers]
    if format_version is not None and format_version >= 5:  # 外部提供 (format 5)
        content[schema.provision().sheet] = [schema.provision().headers]
    content.update(sheets or {})
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in content.items():
        if name in drop_sheets:
            continue
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    if format_version is not None:
        from openpyxl.workbook.defined_name import DefinedName

        wb.defined_names[formats.NAME] = DefinedName(formats.NAME, attr_text=str(format_version))
        if format_version >= 3:
            wb.defined_names[formats.ID_NAME] = DefinedName(formats.ID_NAME, attr_text=f'"{REGISTER_ID}"')
    if edit:
        edit(wb)
    wb.save(path)
    return Path(path)
