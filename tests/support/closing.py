"""Helpers of the 年度締め tests (test_close_year.py, test_close_year_hostile.py, test_macros_close.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
from docx import Document
from docx.oxml.ns import qn

from support import SAMPLE
from xlkit import schema

SETTINGS = schema.settings()


def register_copy(folder: Path, name: str = "登録簿.xlsx", source: Path = SAMPLE) -> Path:
    """The shipped sample (令和2年度, or `source`) copied into `folder` (made when missing) as `name`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copyfile(source, path)
    return path


def set_settings(path: Path, **values) -> None:
    """設定's value cells by schema key (openpyxl: only values matter here)."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SETTINGS.sheet]
    titles = {SETTINGS.header(key): key for key in values}
    for title, value, *_ in sheet.iter_rows():
        if title.value in titles:
            value.value = values[titles[title.value]]
    workbook.save(path)


def docx_cells(path: Path) -> list[list[list[str]]]:
    """Every table's cell text, table by table (a vertically merged continuation reads as empty)."""
    def text(tc) -> str:
        return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))

    return [[[text(tc) for tc in tr.iter(qn("w:tc"))] for tr in table._tbl.iter(qn("w:tr"))]
            for table in Document(str(path)).tables]


def docx_paragraphs(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def history_rows(path: Path) -> list[dict]:
    """変更履歴's rows as header -> value."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[schema.history().sheet].iter_rows(values_only=True))
    headers = rows[0]
    return [dict(zip(headers, row)) for row in rows[1:]]
