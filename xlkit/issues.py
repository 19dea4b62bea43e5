"""One problem found in a register, pointing at a cell, in Japanese."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
SEVERITY_JA = {ERROR: "エラー", WARNING: "警告"}


@dataclass(frozen=True)
class Issue:
    sheet: str
    cell: str  # A1 address ("" when the problem is the whole sheet)
    column: str  # the column's Japanese header ("" when not about one column)
    severity: str  # ERROR | WARNING
    code: str  # stable rule code, e.g. "date-invalid"
    message: str  # Japanese, names the value and what was expected
    value: Any = None  # the value as typed, for the 検証結果 sheet

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("value")
        return data


def sort_key(issue: Issue) -> tuple:
    """Sheet order as in the workbook's tab order, then row, then column."""
    row, col = split_cell(issue.cell)
    return (SHEET_ORDER.get(issue.sheet, 99), issue.sheet, row, len(col), col, issue.code)


def split_cell(cell: str) -> tuple[int, str]:
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters):]
    return (int(digits) if digits else 0, letters)


# The order in which staff see the tabs; issues are listed in the same order.
SHEET_ORDER = {name: i for i, name in enumerate(
    ["ファイル", "外部結合", "審議案件", "実施機関", "課", "区分", "審議結果", "設定"])}
