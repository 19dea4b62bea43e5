"""One problem found in a register, pointing at a cell, in Japanese; and the catalogue of rule codes.

Every Issue is made by `Issue.make(code, …)`, which takes the severity from the catalogue
(xlkit/data/rules.json): a code that is not catalogued cannot be reported, so the README, the
検証結果 sheet and scripts that filter on codes all see the same list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

from . import datafiles
from .addresses import split_cell

ERROR = "error"
WARNING = "warning"
SEVERITY_JA = {ERROR: "エラー", WARNING: "警告"}


@dataclass(frozen=True)
class Issue:
    """One problem at one cell, with its catalogued rule code and a Japanese message."""

    sheet: str
    cell: str  # A1 address ("" when the problem is the whole sheet)
    column: str  # the column's Japanese header ("" when not about one column)
    severity: str  # ERROR | WARNING
    code: str  # stable rule code, e.g. "date-invalid"
    message: str  # Japanese, names the value and what was expected
    value: Any = None  # the value as typed, for the 検証結果 sheet

    @classmethod
    def make(cls, code: str, sheet: str, cell: str, column: str, message: str, value: Any = None, *,
             severity: str | None = None) -> Issue:
        """An Issue of a catalogued rule; `severity` only where the catalogue allows two (header-missing)."""
        entry = rule(code)
        if severity is None:
            severity = entry.severity
        elif severity not in entry.severities:
            raise ValueError(f"{code} is never a {severity}")
        return cls(sheet, cell, column, severity, code, message, value)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("value")
        return data


@dataclass(frozen=True)
class Rule:
    """A catalogue entry of xlkit/data/rules.json."""

    code: str  # a code, or a family such as "schema-*"
    severities: tuple[str, ...]  # the first is the usual one
    stage: str  # 読み込み | セル | 行をまたぐ | ファイル (files beside the register: 添付ファイル)
    title: str  # Japanese

    @property
    def severity(self) -> str:
        return self.severities[0]


@cache
def catalogue() -> dict[str, Rule]:
    """code -> Rule, in the order of rules.json."""
    source, what = "xlkit/data/rules.json", "規則コードの一覧"
    data = datafiles.read_json(resources.files("xlkit").joinpath("data", "rules.json"), source, what)
    rules = {}
    for code, entry in datafiles.part(data, "rules", dict, source, what).items():
        severity = entry["severity"]
        severities = tuple(severity) if isinstance(severity, list) else (severity,)
        rules[code] = Rule(code, severities, entry["stage"], entry["title"])
    return rules


def rule(code: str) -> Rule:
    """The catalogue entry of `code`; schema-min-length is an instance of the family schema-*."""
    rules = catalogue()
    if code in rules:
        return rules[code]
    family = code.split("-", 1)[0] + "-*"
    if family in rules and code != family:
        return rules[family]
    raise KeyError(f"rule code {code!r} is not in xlkit/data/rules.json")


def sort_key(issue: Issue) -> tuple:
    """Sheet order as in the workbook's tab order, then row, then column."""
    col, row = split_cell(issue.cell) or ("", 0)  # "" for a whole sheet: before its cells
    return (_tab_order().get(issue.sheet, 99), issue.sheet, row, len(col), col, issue.code)


@cache
def _tab_order() -> dict[str, int]:
    from .workbook.design import sheet_order  # plain names, no Excel library

    return {name: i for i, name in enumerate(sheet_order())}
