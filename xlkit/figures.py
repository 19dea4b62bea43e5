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

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import cells, messages, org as org_
from .addresses import runs
from .dates import nendo, year_end, year_start  # year_end, year_start: also said as figures.year_*
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
    # (課 as typed, 開始日) of the b and c rows -> the 課 the report of `year` prints, after a
    # 組織改正 (year_names); empty when no name changed: each row's 課 as typed
    names: dict[NameKey, str] = field(default_factory=dict)
    named: bool = False  # `new` and `ended` named and ordered with the 課 sheet's periods (in_year)

    def row(self, body: str) -> BodyFigures:
        for r in self.rows:
            if r.body == body:
                return r
        raise KeyError(body)

    @property
    def total(self) -> BodyFigures:
        return self.rows[-1]

    def division(self, record: Record) -> str | None:
        """The 課 the report prints for a b or c row: the name of `year` (names), else as typed."""
        return self.names.get(name_key(record), record.get("division"))


def _values(record_or_values: Record | Mapping[str, Any]) -> Mapping[str, Any]:
    return record_or_values.values if isinstance(record_or_values, Record) else record_or_values


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


NameKey = tuple[str, dt.date | None]  # (課 as typed, 開始日)


def name_key(record: Record) -> NameKey:
    """What the 課 a report prints for a row depends on: its 課 as typed and its 開始日, the day
    it was typed for (xlkit.org.typed_under: of a name used in two periods, the row of its day)."""
    start = record.get("start")
    return record.get("division") or "", start if isinstance(start, dt.date) else None


def year_names(records: Iterable[Record], year: int, org: Sequence[org_.Division]) -> dict[NameKey, str]:
    """name_key of each record -> the 課 a report of `year` prints for it: the name valid at the end
    of the year for a row typed with its 課 on its 開始日 (xlkit.org.name_in_year with `since`,
    as the survey asks xlkit.org.takers with it), each distinct pair asked once."""
    found: dict[NameKey, str] = {}
    for record in records:
        key = name_key(record)
        if key not in found:
            found[key] = org_.name_in_year(org, key[0], year, since=key[1]) if key[0] else key[0]
    return found


def chart_order(records: list[Record], divisions: Sequence[str], *, names: Mapping[NameKey, str] | None = None,
                rank: Mapping[str, int] | None = None) -> list[Record]:
    """Organisation-chart order of 課 (the `divisions` order; unknown 課 last), then row order.

    A report of a year after a 組織改正 orders by the name it prints: `names` gives it for a
    row's name_key (year_names) and `rank` the chart place of each folded name
    (xlkit.org.chart_rank); without them, the 課 as typed and the `divisions` order.
    """
    if rank is None:
        rank = {cells.fold(d): i for i, d in enumerate(divisions)}
    unknown = max(rank.values(), default=-1) + 1  # after every place, also when a name is on two rows
    places: dict[NameKey, int] = {}

    def place(record: Record) -> int:
        key = name_key(record) if names else (record.get("division") or "", None)
        if key not in places:
            shown = names.get(key, key[0]) if names else key[0]
            places[key] = rank.get(cells.fold(shown), unknown)
        return places[key]

    return sorted(records, key=lambda r: (place(r), r.row))


def in_year(figures: Figures, org: Sequence[org_.Division]) -> Figures:
    """`figures` with its b and c rows named and ordered by the 課 of its year (year_names; their
    chart place on the year's last day, xlkit.org.chart_rank), for figures computed without the
    課 sheet's periods. Figures computed with them (compute's `org`) are returned as they are,
    and so are any when no 課 has a period: names never changed."""
    if figures.named or not org_.dated(org):
        return figures
    new, ended, names = _in_chart(figures.new, figures.ended, figures.year, [d.name for d in org], org)
    return dataclasses.replace(figures, new=new, ended=ended, names=names, named=True)


def _in_chart(new: list[Record], ended: list[Record], year: int, divisions: Sequence[str],
              org: Sequence[org_.Division] | None) -> tuple[list[Record], list[Record], dict[NameKey, str]]:
    """The b and c rows in chart order, once, and the names they are printed under."""
    names: dict[NameKey, str] = {}
    rank = None
    if org is not None and org_.dated(org):  # 組織改正: each row under the name of `year`, in its chart place
        names = year_names([*new, *ended], year, org)
        rank = org_.chart_rank(org, year_end(year))
    return (chart_order(new, divisions, names=names, rank=rank), chart_order(ended, divisions, names=names, rank=rank),
            names)


def compute(linkages: list[Record], year: int, bodies: Sequence[str], divisions: Sequence[str], *,
            org: Sequence[org_.Division] | None = None) -> Figures:
    """The a + b − c table of `year` for the `bodies` (master order) plus 合計.

    `divisions` is the 課 master in organisation-chart order; it orders `new` and `ended`. With
    `org` (the 課 sheet's rows with their periods), after a 組織改正 they are ordered, once, by
    the 課 the report of `year` prints, which `Figures.names` holds (see in_year).
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
    new, ended, names = _in_chart(new, ended, year, divisions, org)
    return Figures(year, rows, new, ended, mismatches, skipped, names, named=org is not None)


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
