"""The plain data a register is read into: one Record per non-blank row, one Book per file.

Nothing here reads a file: xlkit.register prepares a Book from 2-D lists, which come from
calamine (xlkit.workbook.reader) or from xlwings (the buttons).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .formats import CURRENT as CURRENT_FORMAT
from .issues import Issue
from .org import Division

# the master sheets' names, as the reader looks them up (schemas/masters.json holds their seeds)
BODY_SHEET, DIVISION_SHEET, CATEGORY_SHEET, RESULT_SHEET = "実施機関", "課", "区分", "審議結果"
# the 区分 (schemas/masters.json) of a case that provides personal information outside: its
# 別紙 carries the 外部提供 table
PROVISION_CATEGORY = "外部提供"


@dataclass
class Book:
    """One register file as plain data: the registers' Records, 設定, the masters and what the reader found."""

    linkages: list[Record] = field(default_factory=list)
    cases: list[Record] = field(default_factory=list)
    # 外部提供: the rows printed as a table on a case's 別紙, tied to it by (案件の年度, 案件の№);
    # empty for a register older than the sheet (format 5)
    provisions: list[Record] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    # (課, 実施機関) of every 課 row, chart order, closed 課 too: the pairs of `org` (set_org); a Book
    # made from the pairs alone (tests, notebooks) gets them as `org` rows valid for ever
    divisions: list[tuple[str, str]] = field(default_factory=list)
    # the 課 sheet's rows with their periods (組織改正), in sheet order: see xlkit.org
    org: list[Division] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    # master sheet -> the values marked ○ in its second column (schema.mark_columns()): the 区分 that
    # call for a linkage row, the 審議結果 that approve a case
    marked: dict[str, set[str]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)  # found while reading, before the schema
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> key -> letter
    missing: dict[str, set[str]] = field(default_factory=dict)  # sheet -> keys with no column
    # sheet -> key -> {value_key(typed cell): (ok, prepared value or reason)}: every distinct
    # cell of a column once, so that a per-cell check runs once per distinct value
    distinct: dict[str, dict[str, dict]] = field(default_factory=dict)
    # 設定 key -> the B cell holding it; per-body values as "previous_published.区長"
    setting_cells: dict[str, str] = field(default_factory=dict)
    setting_twice: dict[str, list[str]] = field(default_factory=dict)  # 設定 key -> its B cells, when on 2+ rows
    path: Path | None = None
    format: int = CURRENT_FORMAT  # the register file's format (xlkit.formats); set by the reader
    register_id: str | None = None  # its id (xlkit.formats.ID_NAME), which every 照会票 carries

    def __post_init__(self):
        if self.divisions and not self.org:
            self.org = [Division(name, body) for name, body in self.divisions]

    def set_org(self, org: list[Division]) -> None:
        """The 課 rows, and `divisions` from them: the one place the two are set."""
        self.org = org
        self.divisions = [(d.name, d.body) for d in org]

    def contents(self, *, raw: bool = False) -> tuple:
        """What staff keep in the register, as the reader types it: every register row (外部提供's
        too) with its row number, 設定, the 課 rows with their periods and successors (org, not only
        the (課, 実施機関) pairs), the masters and their ○ marks. Two reads of one register compare
        equal exactly when nothing staff keep differs; with `raw`, also each cell as typed (an
        upgrade must keep even that; Excel's open workbook and the file give different raw values)."""
        def rows(records: list[Record]) -> list:
            return [(r.row, r.values, r.raw) if raw else (r.row, r.values) for r in records]

        return (rows(self.linkages), rows(self.cases), rows(self.provisions), self.settings, self.org,
                self.bodies, self.categories, self.results, self.marked)

    def shadow(self) -> Book:
        """The same masters and settings with no rows, issues or column maps of its own: for typing
        other rows (a 照会票's, rows read back) as this register types them without changing it."""
        return dataclasses.replace(self, issues=[], columns={}, missing={}, distinct={})

    def master(self, name: str) -> list[str]:
        if name == DIVISION_SHEET:
            return [d for d, _ in self.divisions]
        return {BODY_SHEET: self.bodies, CATEGORY_SHEET: self.categories, RESULT_SHEET: self.results}[name]

    @property
    def approving_results(self) -> set[str]:
        """The 審議結果 that approve a case (○ in 審議結果's second column)."""
        return self.marked.get(RESULT_SHEET, set())

    @property
    def linkage_categories(self) -> set[str]:
        """The 区分 whose approved cases call for a linkage row (○ in 区分's second column)."""
        return self.marked.get(CATEGORY_SHEET, set())


@dataclass
class Record:
    """One non-blank row of a register sheet, typed by the schema."""

    sheet: str
    row: int  # the Excel row number (1-based; the header is row 1)
    values: dict[str, Any]  # schema key -> typed value; a blank cell has no key
    raw: dict[str, Any]  # schema key -> the value exactly as read from the cell
    letters: dict[str, str] = field(repr=False, default_factory=dict)  # schema key -> column letter

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def cell(self, key: str) -> str:
        return f"{self.letters[key]}{self.row}"
