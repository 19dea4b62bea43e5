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


# Office.js alignment names (what the remote engine sends) as openpyxl spells them
_HORIZONTAL = {"General": "general", "Left": "left", "Center": "center", "Right": "right", "Fill": "fill",
               "Justify": "justify", "CenterAcrossSelection": "centerContinuous", "Distributed": "distributed"}
_VERTICAL = {"Top": "top", "Center": "center", "Bottom": "bottom", "Justify": "justify",
             "Distributed": "distributed"}
_FONT = {"name": "name", "size": "size", "bold": "b", "italic": "i", "color": "color"}
_EDGES = ("edge_top", "edge_bottom", "edge_left", "edge_right", "inside_vertical", "inside_horizontal")


def _border_style(line_style: str | None, weight: str | None) -> str | None:
    """xlwings' line style and weight as one openpyxl border style (None: no border).

    Excel keeps the two apart; a file has one style per side, so a weight the style has no
    variant for is dropped, as Excel does when it saves.
    """
    if line_style in (None, "none"):
        return None
    heavy = weight in ("medium", "thick")
    if line_style == "continuous":
        return {"hairline": "hair", "medium": "medium", "thick": "thick"}.get(weight, "thin")
    if line_style in ("dash", "dash_dot", "dash_dot_dot"):
        name = {"dash": "Dashed", "dash_dot": "DashDot", "dash_dot_dot": "DashDotDot"}[line_style]
        return "medium" + name if heavy else name[0].lower() + name[1:]
    return {"dot": "dotted", "double": "double", "slant_dash_dot": "slantDashDot"}[line_style]


def apply_actions(path: str | Path, actions: list[dict], out: str | Path, *, strict: bool = False) -> list[dict]:
    """Replay the remote engine's actions on the file at ``path`` with openpyxl, saving ``out``.

    Covers what the macros emit: values (setValues, rangeClearContents, sheetClearContents) and
    formats (sheetClearFormats, setRangeColor, setNumberFormat, setFontProperty, setColumnWidth,
    setRowHeight, setHorizontalAlignment, setVerticalAlignment, setWrapText, rangeMerge,
    setBorderProperty incl. the diagonals, setAutofit and setSheetAutofit of rows — estimates).
    Returns the actions it did not apply (alerts, save, …); with ``strict`` anything but an alert
    it cannot apply raises instead, for tests that look at every format a macro sets. Used to
    look at a macro's result in LibreOffice; formulas such as HYPERLINK are written as formulas.
    """
    import openpyxl
    from openpyxl.cell.cell import MergedCell
    from openpyxl.styles import Border, PatternFill, Side
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.utils import get_column_letter

    keep_vba = Path(path).suffix.lower() == ".xlsm"
    wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
    sheets = wb.worksheets
    left = []
    # a side's line style, weight and color arrive as separate actions (xlwings sends the style
    # last); openpyxl needs them together, so each range's sides are remembered until then
    sides: dict[tuple, dict] = {}

    def new_cell(ws, row, col):
        # Excel gives a new cell the style of its column; openpyxl does not, so do it here
        c = ws.cell(row, col)
        if not c.has_style:
            for dim in ws.column_dimensions.values():
                if dim.min and dim.max and dim.min <= col <= dim.max and getattr(dim, "_style", None) is not None:
                    c._style = copy.copy(dim._style)
                    break
        return c

    def set_side(ws, side, state, r0, c0, r1, c1):
        style = _border_style(state.get("line_style"), state.get("weight"))
        line = Side(style=style, color=state["color"].lstrip("#") if style and state.get("color") else None)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cell = new_cell(ws, r, c)
                b = cell.border
                edges = {"left": b.left, "right": b.right, "top": b.top, "bottom": b.bottom}
                diagonal = {"diagonal": b.diagonal, "diagonalUp": b.diagonalUp, "diagonalDown": b.diagonalDown}
                if side in ("diagonal_down", "diagonal_up"):
                    # a file has one diagonal line per cell, drawn in either or both directions
                    key = "diagonalDown" if side == "diagonal_down" else "diagonalUp"
                    diagonal[key] = style is not None
                    if style is not None:
                        diagonal["diagonal"] = line
                    elif not (diagonal["diagonalUp"] or diagonal["diagonalDown"]):
                        diagonal["diagonal"] = Side()
                else:
                    # an edge side draws on the range's outer cells, an inside side between its cells
                    if side in ("edge_top", "inside_horizontal") and (r == r0) == (side == "edge_top"):
                        edges["top"] = line
                    if side in ("edge_bottom", "inside_horizontal") and (r == r1) == (side == "edge_bottom"):
                        edges["bottom"] = line
                    if side in ("edge_left", "inside_vertical") and (c == c0) == (side == "edge_left"):
                        edges["left"] = line
                    if side in ("edge_right", "inside_vertical") and (c == c1) == (side == "edge_right"):
                        edges["right"] = line
                cell.border = Border(**edges, **diagonal)

    for action in actions:
        func, args = action["func"], action.get("args")
        arg = args[0] if isinstance(args, list) and args else args
        ws = sheets[action["sheet_position"]] if action.get("sheet_position") is not None else None
        r0, c0 = (action.get("start_row") or 0) + 1, (action.get("start_column") or 0) + 1
        r1, c1 = r0 + (action.get("row_count") or 1) - 1, c0 + (action.get("column_count") or 1) - 1
        targets = ((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
        if func == "setValues":
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    if isinstance(value, str) and value.startswith("'"):
                        value = value[1:]  # Excel's text prefix: the cell holds the text without it
                    cell = new_cell(ws, r0 + i, c0 + j)
                    if isinstance(cell, MergedCell) and value == "":
                        continue  # a merged range's hidden cells take blanks, which openpyxl refuses
                    cell.value = None if value == "" else value
        elif func == "rangeClearContents":
            for r, c in targets:
                if not isinstance(ws.cell(r, c), MergedCell):  # openpyxl refuses values there
                    ws.cell(r, c).value = None
        elif func == "sheetClearContents":
            for row in ws.iter_rows():
                for cell in row:
                    if not isinstance(cell, MergedCell):
                        cell.value = None
        elif func == "sheetClearFormats":
            # Excel's clear formats also unmerges, and leaves widths and heights alone
            for merged in list(ws.merged_cells.ranges):
                ws.unmerge_cells(str(merged))
            for row in ws.iter_rows():
                for cell in row:
                    cell._style = StyleArray()
            for dim in (*ws.column_dimensions.values(), *ws.row_dimensions.values()):
                dim._style = StyleArray()
            sides = {k: v for k, v in sides.items() if k[0] != action["sheet_position"]}
        elif func == "setRangeColor":
            fill = PatternFill() if arg is None else PatternFill("solid", fgColor=arg.lstrip("#"))
            for r, c in targets:
                new_cell(ws, r, c).fill = fill
        elif func == "setNumberFormat":
            for r, c in targets:
                new_cell(ws, r, c).number_format = arg
        elif func == "setFontProperty" and args[0] in _FONT:
            name, value = args
            if name == "color" and value is not None:
                value = value.lstrip("#")
            for r, c in targets:
                cell = new_cell(ws, r, c)
                font = copy.copy(cell.font)
                setattr(font, _FONT[name], value)
                cell.font = font
        elif (func == "setHorizontalAlignment" and arg in _HORIZONTAL) or (
                func == "setVerticalAlignment" and arg in _VERTICAL) or func == "setWrapText":
            key, value = {"setHorizontalAlignment": ("horizontal", _HORIZONTAL.get(arg)),
                          "setVerticalAlignment": ("vertical", _VERTICAL.get(arg)),
                          "setWrapText": ("wrap_text", bool(arg))}[func]
            for r, c in targets:
                cell = new_cell(ws, r, c)
                alignment = copy.copy(cell.alignment)
                setattr(alignment, key, value)
                cell.alignment = alignment
        elif func == "rangeMerge":
            for top, bottom in ([(r, r) for r in range(r0, r1 + 1)] if arg else [(r0, r1)]):
                if (top, c0) != (bottom, c1):  # Excel merges a single cell into nothing
                    ws.merge_cells(start_row=top, start_column=c0, end_row=bottom, end_column=c1)
        elif func == "setBorderProperty" and args[0] in (*_EDGES, "diagonal_down", "diagonal_up"):
            side, attribute, value = args
            key = (action["sheet_position"], r0, c0, r1, c1, side)
            state = sides.setdefault(key, {})
            state[attribute] = value
            # a weight or color alone does not draw a side that has no line style yet
            if "line_style" in state:
                set_side(ws, side, state, r0, c0, r1, c1)
        elif func == "setColumnWidth":
            # the remote engine's points to openpyxl's characters of the default font
            # (a 7 px digit, 5 px of margin)
            for c in range(c0, c1 + 1):
                ws.column_dimensions[get_column_letter(c)].width = (arg * 96 / 72 - 5) / 7
        elif func == "setRowHeight":
            for r in range(r0, r1 + 1):
                ws.row_dimensions[r].height = arg
        elif func == "setAutofit" and arg == "rows":
            for r in range(r0, r1 + 1):
                ws.row_dimensions[r].height = _fitted_height(ws, r, c0, c1 - c0 + 1)
        elif func == "setSheetAutofit" and arg == "rows":
            # Excel's autofit grows only rows with wrapped text; every other row goes back to
            # the standard height, which openpyxl writes as no height at all
            for r in range(1, max(ws.max_row, max(ws.row_dimensions, default=0)) + 1):
                fitted = _fitted_height(ws, r, 1, ws.max_column, wrapped_only=True)
                ws.row_dimensions[r].height = fitted if fitted > 15.0 else None
        elif func == "alert" or not strict:
            left.append(action)
        else:
            raise AssertionError(f"apply_actions does not know {func} {args!r}")
    wb.save(out)
    return left


def _fitted_height(ws, row: int, first_col: int, count: int, *, wrapped_only: bool = False) -> float:
    """Roughly the height Excel's AutoFit gives a row of wrapped text (openpyxl cannot measure).

    A column width is counted in narrow characters; a full-width character takes two. One line
    is 15 points (11-point text). ``wrapped_only``: count only the cells that wrap their text.
    """
    import math

    from openpyxl.utils import get_column_letter

    from xlkit import widths

    lines = 1
    for col in range(first_col, first_col + count):
        cell = ws._cells.get((row, col))  # not ws.cell: that would add an empty cell to the file
        value = None if cell is None else cell.value
        if value is None or (isinstance(value, str) and value.startswith("=")):
            continue
        if wrapped_only and not cell.alignment.wrap_text:
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


def cloud_book(path: str | Path, error: BaseException):
    """(the register as Excel shows one opened from OneDrive: everything works but its full name,
    which raises `error`; the remote book behind it)."""
    real = remote_book(office_js_payload(path))

    class Cloud:
        def __getattr__(self, name):
            return getattr(real, name)

        @property
        def fullname(self):
            raise error

    return Cloud(), real


def alerts(actions: list[dict]) -> list[list]:
    """The arguments of every alert a macro showed: [message, title, buttons, mode]."""
    return [a["args"] for a in actions if a["func"] == "alert"]


def cell_writes(actions: list[dict]) -> list[dict]:
    """Every action that changes a cell (values, or clearing them)."""
    return [a for a in actions if a["func"] in ("setValues", "rangeClearContents", "sheetClearContents")]
