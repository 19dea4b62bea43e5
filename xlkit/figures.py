"""The a + b − c figures of external linkages per 実施機関 for a report year (pure).

The rules are those of docs/DOMAIN.md §3 (R1–R10):

* every linkage with 本人同意 ○ is left out;
* a linkage is *active in year Y* when it started on or before 31 March Y+1 and has no end
  date or ended on or after 1 April Y;
* a = active in N−1 and 計上年度 ≤ N−1;  b = 計上年度 = N;  c = counted in a and not active in N;
* a + b − c must equal the number of linkages active in N with 計上年度 ≤ N (the invariant);
* 特定個人情報 = the ○ of 特定個人情報の有無 among the a + b − c linkages.

Records that lack a value the rules need — no 結合の開始年月日, no 計上年度, or a 実施機関 that
is blank or not in the 実施機関 master — are not counted anywhere. They are returned in
`Figures.skipped` with the reason, so that a report can say the figures are incomplete;
validation reports the same rows as errors, pointing at the cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import cells, messages
from .addresses import runs
from .dates import nendo
from .records import Record

TOTAL = "合計"


@dataclass(frozen=True)
class BodyFigures:
    """One row of table (1): a, b, c, a + b − c and 特定個人情報 of one 実施機関 (or 合計)."""

    body: str  # a 実施機関, or 合計 for the last row
    a: int
    b: int
    c: int
    total: int  # a + b − c
    my_number: int  # 特定個人情報 ○ among the total


@dataclass(frozen=True)
class Mismatch:
    """A body whose a + b − c differs from the linkages active in N (the invariant broken)."""

    body: str
    total: int  # a + b − c
    active: int  # linkages active in N with 計上年度 ≤ N
    records: tuple[Record, ...]  # the linkages counted on one side only

    def message(self, year: int) -> str:
        return messages.text("notes.mismatch", 実施機関=self.body, 合計=self.total, 年度=nendo(year),
                             結合中=self.active, 行=row_runs([r.row for r in self.records]))


@dataclass(frozen=True)
class Skipped:
    """A row the figures could not count, with the reason in Japanese."""

    record: Record
    reason: str  # Japanese


@dataclass
class Figures:
    """The a + b − c figures of `year`, the b and c rows for tables (2) and (3), and what did not add up."""

    year: int
    rows: list[BodyFigures]  # one per 実施機関 in master order, then 合計
    new: list[Record]  # the b linkages, in organisation-chart order of 課, then row order
    ended: list[Record]  # the c linkages, same order
    mismatches: list[Mismatch] = field(default_factory=list)  # empty when the invariant holds
    skipped: list[Skipped] = field(default_factory=list)  # rows not counted: a value is missing

    def row(self, body: str) -> BodyFigures:
        for r in self.rows:
            if r.body == body:
                return r
        raise KeyError(body)

    @property
    def total(self) -> BodyFigures:
        return self.rows[-1]


def _values(record_or_values: Record | Mapping[str, Any]) -> Mapping[str, Any]:
    return record_or_values.values if isinstance(record_or_values, Record) else record_or_values


def year_start(year: int) -> dt.date:
    return dt.date(year, 4, 1)


def year_end(year: int) -> dt.date:
    return dt.date(year + 1, 3, 31)


def active_in(record_or_values: Record | Mapping[str, Any], year: int) -> bool:
    """Started on or before the end of `year` (Y+1-03-31), and no end or end ≥ Y-04-01.

    A record without a start date is never active.
    """
    values = _values(record_or_values)
    start, end = values.get("start"), values.get("end")
    if not isinstance(start, dt.date):
        return False
    if start > year_end(year):
        return False
    return not isinstance(end, dt.date) or end >= year_start(year)


def counted(record_or_values: Record | Mapping[str, Any]) -> bool:
    """Whether the linkage takes part in the figures at all (本人同意 ○ never does)."""
    return _values(record_or_values).get("consent") is not True


def _skip_reason(values: Mapping[str, Any], bodies: dict[str, str]) -> str | None:
    if not isinstance(values.get("start"), dt.date):
        return messages.text("skip.no_start")
    if not isinstance(values.get("fiscal_year"), int):
        return messages.text("skip.no_year")
    body = values.get("body")
    if not body:
        return messages.text("skip.no_body")
    if cells.fold(body) not in bodies:
        return messages.text("skip.unknown_body", 実施機関=body)
    return None


def row_runs(rows: Sequence[int], *, limit: int = 10) -> str:
    """Excel rows said briefly: [22, 23, 24, 27] -> 22〜24、27行目; more than `limit` runs end in ほか."""
    found = runs(rows)
    shown = [f"{a}" if a == b else f"{a}〜{b}" for a, b in found[:limit]]
    text = "、".join(shown) + messages.text("notes.rows_suffix")
    if len(found) > limit:
        text += messages.text("notes.rows_more", 件数=sum(b - a + 1 for a, b in found[limit:]))
    return text


def skipped_groups(skipped: Sequence[Skipped]) -> list[tuple[str, int, str]]:
    """(rows said briefly, how many, reason) per reason, in the order the reasons first occur.

    A register with 5,000 unreadable 計上年度 gets one line, not 5,000.
    """
    by_reason: dict[str, list[int]] = {}
    for s in skipped:
        by_reason.setdefault(s.reason, []).append(s.record.row)
    return [(row_runs(rows), len(rows), reason) for reason, rows in by_reason.items()]


def skipped_notes(skipped: Sequence[Skipped]) -> list[str]:
    """Japanese lines saying which rows were left out of the figures and why, one per reason."""
    return [messages.text("notes.skipped", 行=rows, 理由=reason,
                          件数=messages.text("notes.rows_counted", 件数=count) if count > 1 else "")
            for rows, count, reason in skipped_groups(skipped)]


def chart_order(records: list[Record], divisions: Sequence[str], *, names: Callable[[str], str] | None = None,
                rank: Mapping[str, int] | None = None) -> list[Record]:
    """Organisation-chart order of 課 (the `divisions` order; unknown 課 last), then row order.

    A report of a year after a 組織改正 orders by the name it prints: `names` gives it for a
    row's 課 (xlkit.org.name_in_year) and `rank` the chart place of each folded name
    (xlkit.org.chart_rank); without them, the 課 as typed and the `divisions` order.
    """
    if rank is None:
        rank = {cells.fold(d): i for i, d in enumerate(divisions)}
    unknown = max(rank.values(), default=-1) + 1  # after every place, also when a name is on two rows
    places: dict[str, int] = {}

    def place(division: str) -> int:
        if division not in places:
            shown = names(division) if names is not None and division else division
            places[division] = rank.get(cells.fold(shown), unknown)
        return places[division]

    return sorted(records, key=lambda r: (place(r.get("division") or ""), r.row))


def compute(linkages: list[Record], year: int, bodies: Sequence[str], divisions: Sequence[str]) -> Figures:
    """The a + b − c table of `year` for the `bodies` (master order) plus 合計.

    `divisions` is the 課 master in organisation-chart order; it orders `new` and `ended`.
    The invariant is checked per body; a break is returned in `Figures.mismatches` (it happens
    only when a b linkage is not active in N, or a linkage is counted before it started — both
    are reported by validation as well).
    """
    canon = {cells.fold(b): b for b in bodies}
    per_body: dict[str, dict[str, list[Record]]] = {
        b: {"a": [], "b": [], "c": [], "active": []} for b in bodies
    }
    skipped: list[Skipped] = []
    for record in linkages:
        if not counted(record):
            continue
        reason = _skip_reason(record.values, canon)
        if reason:
            skipped.append(Skipped(record, reason))
            continue
        sets = per_body[canon[cells.fold(record.values["body"])]]
        fy = record.values["fiscal_year"]
        in_a = fy <= year - 1 and active_in(record, year - 1)
        if in_a:
            sets["a"].append(record)
            if not active_in(record, year):
                sets["c"].append(record)
        if fy == year:
            sets["b"].append(record)
        if fy <= year and active_in(record, year):
            sets["active"].append(record)

    rows: list[BodyFigures] = []
    mismatches: list[Mismatch] = []
    new: list[Record] = []
    ended: list[Record] = []
    for body in bodies:
        sets = per_body[body]
        ended_ids = {id(r) for r in sets["c"]}
        this_year = [r for r in sets["a"] if id(r) not in ended_ids] + sets["b"]
        a, b, c = len(sets["a"]), len(sets["b"]), len(sets["c"])
        total = a + b - c
        rows.append(BodyFigures(body, a, b, c, total,
                                sum(1 for r in this_year if r.values.get("my_number") is True)))
        if total != len(sets["active"]):
            counted_ids = {id(r) for r in this_year}
            active_ids = {id(r) for r in sets["active"]}
            odd = [r for r in this_year if id(r) not in active_ids]
            odd += [r for r in sets["active"] if id(r) not in counted_ids]
            mismatches.append(Mismatch(body, total, len(sets["active"]),
                                       tuple(sorted(odd, key=lambda r: r.row))))
        new += sets["b"]
        ended += sets["c"]
    rows.append(BodyFigures(
        TOTAL,
        *(sum(getattr(r, name) for r in rows) for name in ("a", "b", "c", "total", "my_number")),
    ))
    return Figures(year, rows, chart_order(new, divisions), chart_order(ended, divisions),
                   mismatches, skipped)


def compare_previous(figures: Figures, previous: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """(実施機関, published a + b − c of N−1, a of N) for every body where the two differ.

    `previous` is 設定's 前年度公表値; bodies without a published value are not compared.
    """
    canon = {cells.fold(k): v for k, v in previous.items()}
    result = []
    for row in figures.rows[:-1]:
        published = canon.get(cells.fold(row.body))
        if published is not None and published != row.a:
            result.append((row.body, published, row.a))
    return result


def previous_note(body: str, year: int, published: int, a: int) -> str:
    """The one wording of 'last year's published figure differs from this year's a'."""
    return messages.text("notes.previous", 実施機関=body, 年度=nendo(year), 前年度=nendo(year - 1),
                         公表値=published, a=a)


def as_json(figures: Figures) -> dict:
    """{"year": N, "rows": [{"実施機関": …, "a": …, "b": …, "c": …, "a+b-c": …, "特定個人情報": …}, …]}"""
    return {
        "year": figures.year,
        "rows": [
            {"実施機関": r.body, "a": r.a, "b": r.b, "c": r.c, "a+b-c": r.total, "特定個人情報": r.my_number}
            for r in figures.rows
        ],
    }
