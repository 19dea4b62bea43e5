"""Writing rows into a register file: below the last non-blank row of 「外部結合」, with openpyxl.

Each new cell takes the format of the cell above; the Excel table is extended over the new
rows; the file is replaced atomically (xlkit.files) once the written copy has been verified.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from xlkit import cells, schema
from xlkit.errors import XlkitError
from xlkit.files import atomic_write


def lock_file(path: Path) -> Path:
    """Excel's owner file (~$name) beside a register it has open."""
    return path.with_name("~$" + path.name)


def check_writable(path: Path) -> None:
    """Refuse, in Japanese, to write a register that Excel has open."""
    if lock_file(path).exists():
        raise XlkitError(f"「{path.name}」は Excel で開かれています（{lock_file(path).name} があります）。"
                         "Excel で閉じてから実行してください。")


def _column_style(ws, col: int):
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.style_id:
            return dim._style
    return None


def _date_format(ws, col: int, template) -> str:
    from openpyxl.styles.numbers import is_date_format

    if template is not None and is_date_format(template.number_format):
        return template.number_format
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and is_date_format(dim.number_format):
            return dim.number_format
    from xlkit.workbook.styles import DATE_FORMAT

    return DATE_FORMAT


def append(path: Path, letters: dict[str, str], rows: list[dict[str, Any]], *, after: int,
           verify=None) -> list[int]:
    """Write `rows` below row `after`, the last non-blank row of 「外部結合」; returns their Excel rows.

    The reader knows `after` already (the last Record's row). Searching the sheet for it again
    would walk every formatted cell: one formatted cell at P20000 made a one-row import take
    minutes.

    Each new cell takes the format of the cell above (or the column's format when the sheet
    has no data row yet); dates are real date cells in the column's date format. The Excel
    table is extended over the new rows. The file is replaced only once the copy is written
    (and, when given, `verify(copy_path)` has returned without raising).
    """
    import openpyxl
    from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

    check_writable(path)
    reg = schema.linkage()
    try:
        wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    except Exception as e:
        raise XlkitError(f"「{path.name}」を書き込み用に開けません（{type(e).__name__}）。") from None
    ws = wb[reg.sheet]
    last = after
    width = max(ws.max_column, *(column_index_from_string(v) for v in letters.values()))
    above = last if last > 1 else None
    height = ws.row_dimensions[above].height if above else None
    written = []
    for i, values in enumerate(rows):
        r = last + 1 + i
        for col in range(1, width + 1):
            template = ws.cell(above, col) if above else None
            cell = ws.cell(r, col)
            if template is not None and template.has_style:
                cell._style = copy.copy(template._style)
            else:
                style = _column_style(ws, col)
                if style is not None:
                    cell._style = copy.copy(style)
        for key, letter in letters.items():
            column = reg.column(key)
            value = cells.cell_value(values.get(key), separator=column.separator)
            if value is None:
                continue
            col = column_index_from_string(letter)
            cell = ws.cell(r, col)
            if column.kind == "date":
                cell.number_format = _date_format(ws, col, ws.cell(above, col) if above else None)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text starting with = stays text, never a formula
        if height is not None:
            ws.row_dimensions[r].height = height
        written.append(r)
    new_last = last + len(rows)
    for table in ws.tables.values():
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        if min_row == 1 and max_row < new_last:
            table.ref = f"{get_column_letter(min_col)}1:{get_column_letter(max_col)}{new_last}"
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref
    _save(wb, path, verify)
    return written


def _save(wb, path: Path, verify=None) -> None:
    def check(copy: Path) -> None:
        if verify is not None:
            verify(copy)
        check_writable(path)  # Excel may have opened the register meanwhile

    atomic_write(path, lambda tmp: wb.save(tmp), overwrite=True, verify=check, mode=_mode(path))


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None
