"""The notebook door: a register as pandas DataFrames, for analysts in Jupyter.

    import xlkit
    reg = xlkit.load("workbooks/sample.xlsx")
    reg.linkages                      # 外部結合, one row per record (cases: 審議案件, provisions: 外部提供)
    reg.figures(2020)                 # a + b − c per 実施機関, 合計 last
    reg.validate()                    # what is wrong, cell by cell

Everything is read by `xlkit.workbook.reader.load` — the same reader as the buttons and the CLI —
so the frames hold exactly what validation and the reports see:

* one row per non-blank register row; the index is the Excel row number (named 行), so
  ``reg.linkages.loc[17]`` is row 17 of the sheet;
* the columns are the schema's Japanese headers in schema order, typed by the column's kind:
  date -> datetime64 (NaT), mark ○ -> "boolean" (blank is False), year / integer -> "Int64",
  text -> "string", multi (担当課, 区分) -> a list of str or None;
* master columns (実施機関, 課, …) hold the master's spelling even where staff typed a variant
  (生活福祉課 保護担当課); validate() still reports the variant;
* a cell that could not be read (R2.13.1, ×) is missing: NaT / <NA> — also in a mark
  column, where blank is False, so unreadable is never mistaken for "no". ``reg.validate()``
  says which cell and why.

The figures are those of ``xlkit summarize``; rows left out for a missing value, or a broken
a + b − c invariant, are announced with a warning (in Japanese) rather than passing silently.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from . import messages, records, schema, tasks
from .export import layout
from .workbook import reader
from .issues import SEVERITY_JA
from .records import Record

ROW_INDEX = "行"
ISSUE_COLUMNS = ("シート", "セル", "列", "重要度", "コード", "メッセージ")

_DTYPES = {"date": "datetime64[ns]", "mark": "boolean", "year": "Int64", "integer": "Int64",
           "text": "string", "multi": object}


class RegisterData:
    """One register workbook for pandas; the underlying `records.Book` stays at `.book`."""

    def __init__(self, book: records.Book):
        self.book = book

    @cached_property
    def linkages(self) -> pd.DataFrame:
        """外部結合: one row per record, index 行 (Excel row), columns the schema's headers."""
        return _frame(schema.linkage(), self.book.linkages)

    @cached_property
    def cases(self) -> pd.DataFrame:
        """審議案件: one row per record, index 行 (Excel row), columns the schema's headers."""
        return _frame(schema.case(), self.book.cases)

    @cached_property
    def provisions(self) -> pd.DataFrame:
        """外部提供: one row per record, index 行 (Excel row), columns the schema's headers; a row
        belongs to the case of its (案件の年度, 案件の№). Empty for a register older than format 5."""
        return _frame(schema.provision(), self.book.provisions)

    @cached_property
    def settings(self) -> dict[str, Any]:
        """設定 by its Japanese item names, every item present (None when blank or unreadable).

        Dates are pandas Timestamps, so that ``cases[cases["付議日"] >= s["資料の対象期間（開始）"]]``
        works (pandas refuses to compare datetime64 with a datetime.date). 前年度公表値 is a
        dict 実施機関 -> 件数.
        """
        result = {}
        for column in schema.settings().columns:
            value = self.book.settings.get(column.key)
            if isinstance(value, dt.date):
                value = pd.Timestamp(value)
            elif isinstance(value, dict):
                value = dict(value)
            result[column.header] = value
        return result

    @property
    def bodies(self) -> list[str]:
        """実施機関 in master order (the order of the figures' rows)."""
        return list(self.book.bodies)

    @cached_property
    def divisions(self) -> pd.DataFrame:
        """課 and its 実施機関, in organisation-chart order (the order of the reports' rows)."""
        return pd.DataFrame(self.book.divisions, columns=[records.DIVISION_SHEET, records.BODY_SHEET],
                            dtype="string")

    @property
    def categories(self) -> list[str]:
        return list(self.book.categories)

    @property
    def results(self) -> list[str]:
        return list(self.book.results)

    def figures(self, year: int | str | None = None) -> pd.DataFrame:
        """The a + b − c table of `year` (2020, "令和2年度", "R2"; default 設定's 報告年度).

        Index 実施機関 in master order with 合計 last. A year the register cannot speak for
        (2002 typed for 2020) raises XlkitError with a Japanese message.
        """
        if isinstance(year, str):
            year = tasks.parse_year(year)
        result = tasks.summary(self.book, year)  # the same answer as 集計 and xlkit summarize
        figures, year = result.figures, result.year
        notes = [n.text for n in result.notes]
        if notes:
            warnings.warn("\n".join(notes + [messages.hint("notebook", "notes")]), stacklevel=2)
        # the words of xlkit summarize and 集計 (layout.json): 実施機関, a, b, c, a + b − c, 特定個人情報
        body, *columns = layout.load()["linkages"]["summary"]["plain"]["headers"]
        frame = pd.DataFrame(
            [(r.a, r.b, r.c, r.total, r.my_number) for r in figures.rows],
            index=pd.Index([r.body for r in figures.rows], name=body),
            columns=columns,
        )
        frame.attrs["year"] = year
        frame.attrs["notes"] = notes
        return frame

    def validate(self) -> pd.DataFrame:
        """Every issue of the input check (as ``xlkit validate``), one row each, sheet/row order."""
        return pd.DataFrame(
            [(i.sheet, i.cell, i.column, SEVERITY_JA[i.severity], i.code, i.message)
             for i in tasks.validate(self.book).issues],
            columns=list(ISSUE_COLUMNS),
            dtype="string",
        )

    def __repr__(self) -> str:
        name = self.book.path.name if self.book.path else "（ファイルなし）"
        return (f"<登録簿 {name}: {schema.linkage().sheet} {len(self.book.linkages)}行、"
                f"{schema.case().sheet} {len(self.book.cases)}行、"
                f"{schema.provision().sheet} {len(self.book.provisions)}行>")


def load(path: str | Path) -> RegisterData:
    """Read a register (.xlsx / .xlsm) for pandas; refuses what is not a register with XlkitError."""
    return RegisterData(reader.load(path))


def _frame(reg: schema.Register, records: list[Record]) -> pd.DataFrame:
    index = pd.Index([r.row for r in records], name=ROW_INDEX, dtype="int64")
    data = {}
    for column in reg.columns:
        key = column.key
        if column.kind == "mark":
            # blank is "no"; a cell that held something unreadable is unknown, not "no"
            cells = [True if r.values.get(key) is True else (pd.NA if key in r.raw else False)
                     for r in records]
        else:
            cells = [r.values.get(key) for r in records]
        data[column.header] = pd.Series(cells, index=index, dtype=_DTYPES[column.kind])
    return pd.DataFrame(data, index=index, columns=reg.headers)
