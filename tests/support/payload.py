"""A register file as the xlwings Office.js client sends it, for xlwings' remote engine.

``xw.Book(json=office_js_payload(path))`` gives a Book whose reads come from the payload and
whose writes are collected as actions in ``book.json()["actions"]`` — the way the macros are
run without Excel (tests, benchmark). The payload follows the client's getBookData: per sheet
the values from A1 to the last used cell, empty cells as "", numbers as JSON numbers, cells
formatted as dates as ISO strings (``2020-08-01T00:00:00.000Z``).

The remote engine is xlwings PRO code under the PolyForm Noncommercial License 1.0.0; set
``XLWINGS_LICENSE_KEY=noncommercial`` before importing xlwings.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path


def _json_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.time):
        return dt.datetime.combine(dt.date(1899, 12, 30), value).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    return value


_HYPERLINK = re.compile(r'^=HYPERLINK\(".*",\s*"(?P<name>[^"]*)"\)$', re.I)


def _formula_values(path: Path, sheets: list[dict]) -> None:
    """Give HYPERLINK formulas saved without a value (openpyxl writes none) the value Excel shows.

    Excel sends a formula's computed value; a file written by openpyxl has no cached value,
    which calamine reads as "". Only HYPERLINK(link, name) is evaluated: it shows ``name``.
    """
    import zipfile

    with zipfile.ZipFile(path) as z:
        if not any("<f>" in z.read(n).decode("utf-8", "replace") or "<f " in z.read(n).decode("utf-8", "replace")
                   for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            return
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    for sheet in sheets:
        ws = wb[sheet["name"]]
        values = sheet["values"]
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if isinstance(value, str) and r < len(values) and c < len(values[r]) and values[r][c] == "":
                    m = _HYPERLINK.match(value)
                    if m:
                        values[r][c] = m["name"]
    wb.close()


def _defined_names(path: Path) -> list[dict]:
    """The workbook-scoped names, with their definitions, as an Office.js client sends them."""
    import html
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    names = []
    for m in re.finditer(r"<definedName\b([^>]*)>([^<]*)</definedName>", workbook):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m[1]))
        if "localSheetId" in attrs:
            continue
        names.append({"name": html.unescape(attrs["name"]), "refers_to": "=" + html.unescape(m[2]),
                      "book_scope": True, "scope_sheet_name": None, "sheet_index": None, "address": None})
    return names


def office_js_payload(path: str | Path, *, active_sheet: int = 0, version: str | None = None) -> dict:
    """The JSON an Office.js client would send for the workbook at ``path``."""
    import python_calamine

    if version is None:
        import xlwings

        version = xlwings.__version__
    path = Path(path)
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        width = max((len(r) for r in rows), default=0)
        # trailing empty rows/columns are not part of the used range
        while rows and all(v in ("", None) for v in rows[-1]):
            rows.pop()
        used = 0
        for row in rows:
            for i in range(len(row) - 1, -1, -1):
                if row[i] not in ("", None):
                    used = max(used, i + 1)
                    break
        width = used
        values = [[_json_value(v) for v in (list(r) + [""] * width)[:width]] for r in rows] or [[""]]
        if width == 0:
            values = [[""]]
        sheets.append({"name": name, "values": values, "pictures": [], "tables": []})
    _formula_values(path, sheets)
    payload = {
        "client": "Office.js",
        "version": version,
        "book": {"name": path.name, "active_sheet_index": active_sheet, "selection": "A1"},
        "names": _defined_names(path),
        "sheets": sheets,
    }
    return json.loads(json.dumps(payload, ensure_ascii=False))


def apply_actions(path: str | Path, actions: list[dict], out: str | Path) -> list[dict]:
    """Replay the remote engine's actions on the file at ``path`` with openpyxl, saving ``out``.

    Covers what the macros emit (setValues, rangeClearContents, sheetClearContents,
    setRangeColor, setRowHeight, setAutofit of rows — an estimate); returns the actions it did not apply (the alerts). Used to look at a
    macro's result in LibreOffice; formulas such as HYPERLINK are written as formulas.
    """
    import openpyxl
    from openpyxl.styles import PatternFill

    keep_vba = Path(path).suffix.lower() == ".xlsm"
    wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
    sheets = wb.worksheets
    left = []

    def new_cell(ws, row, col):
        # Excel gives a new cell the style of its column; openpyxl does not, so do it here
        c = ws.cell(row, col)
        if not c.has_style:
            for dim in ws.column_dimensions.values():
                if dim.min and dim.max and dim.min <= col <= dim.max and getattr(dim, "_style", None) is not None:
                    c._style = copy.copy(dim._style)
                    break
        return c

    for action in actions:
        func = action["func"]
        ws = sheets[action["sheet_position"]] if action.get("sheet_position") is not None else None
        r0, c0 = (action.get("start_row") or 0) + 1, (action.get("start_column") or 0) + 1
        if func == "setValues":
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    if isinstance(value, str) and value.startswith("'"):
                        value = value[1:]  # Excel's text prefix: the cell holds the text without it
                    new_cell(ws, r0 + i, c0 + j).value = None if value == "" else value
        elif func == "rangeClearContents":
            for i in range(action["row_count"]):
                for j in range(action["column_count"]):
                    ws.cell(r0 + i, c0 + j).value = None
        elif func == "sheetClearContents":
            for row in ws.iter_rows():
                for cell in row:
                    cell.value = None
        elif func == "setRangeColor":
            color = action["args"][0]
            fill = PatternFill() if color is None else PatternFill("solid", fgColor=color.lstrip("#"))
            for i in range(action["row_count"]):
                for j in range(action["column_count"]):
                    ws.cell(r0 + i, c0 + j).fill = fill
        elif func == "setNumberFormat":
            for i in range(action["row_count"]):
                for j in range(action["column_count"]):
                    new_cell(ws, r0 + i, c0 + j).number_format = action["args"][0]
        elif func == "setRowHeight":
            for i in range(action["row_count"]):
                ws.row_dimensions[r0 + i].height = action["args"][0]
        elif func == "setAutofit" and action["args"] in ("rows", ["rows"]):
            for i in range(action["row_count"]):
                ws.row_dimensions[r0 + i].height = _fitted_height(ws, r0 + i, c0, action["column_count"])
        else:
            left.append(action)
    wb.save(out)
    return left


def _fitted_height(ws, row: int, first_col: int, count: int) -> float:
    """Roughly the height Excel's AutoFit gives a row of wrapped text (openpyxl cannot measure).

    A column width is counted in narrow characters; a full-width character takes two. One line
    is 15 points (11-point text).
    """
    import math

    from openpyxl.utils import get_column_letter

    from xlkit import widths

    lines = 1
    for col in range(first_col, first_col + count):
        value = ws.cell(row, col).value
        if value is None or (isinstance(value, str) and value.startswith("=")):
            continue
        width = max((ws.column_dimensions[get_column_letter(col)].width or 8.43) - 1, 1)
        used = sum(
            max(1, math.ceil(widths.TERMINAL.measure(part) / width))
            for part in str(value).split("\n"))
        lines = max(lines, used)
    return 15.0 * lines


def remote_book(payload: dict):
    """``xw.Book(json=payload)`` on xlwings' remote engine under the noncommercial license.

    The license key must be in the environment when xlwings' PRO package is imported; if
    xlwings was imported earlier without it, the remote engine is registered here the way
    xlwings registers it at import.
    """
    import os

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings as xw

    if "remote" not in [engine.name for engine in xw.engines]:
        from xlwings.pro import _xlremote

        xw.engines.add(xw.main.Engine(impl=_xlremote.engine))
    return xw.Book(json=payload, engine="remote")


def alerts(actions: list[dict]) -> list[list]:
    """The arguments of every alert a macro showed: [message, title, buttons, mode]."""
    return [a["args"] for a in actions if a["func"] == "alert"]


def cell_writes(actions: list[dict]) -> list[dict]:
    """Every action that changes a cell (values, or clearing them)."""
    return [a for a in actions if a["func"] in ("setValues", "rangeClearContents", "sheetClearContents")]
