"""組織改正: the 課 master with its periods, and which 課 name holds on a given day (pure).

Every 1 April the ward renames, merges or splits 課. The 課 sheet keeps every name it ever had
(schemas/division.schema.json): a closed name has 終了日 (the last day it was used) and 後継の課
(the 課 that took over the next day: one for a rename or a merge, several for a split); a new
name has 開始日. A row without dates is a name valid for ever, as every 課 was before
reorganisations were recorded: with no periods set, every function here answers as if names
never changed.

A register row keeps the name it was typed with: a linkage started in 2015 under 戸籍住民課 stays
so. The reports of 年度 N print the name valid at the end of N (`name_in_year`), the spring
survey asks the 課 valid on the day it is made (`current`, `takers`), and validation says when a
row's dates fall outside its name's period (xlkit.rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import cells


@dataclass(frozen=True)
class Division:
    """One row of the 課 sheet: a 課 name, its 実施機関 and the period the name is valid."""

    name: str
    body: str
    valid_from: dt.date | None = None  # 開始日; None: since before records
    valid_to: dt.date | None = None  # 終了日, inclusive; None: still valid
    successors: tuple[str, ...] = ()  # 後継の課, from the day after valid_to
    row: int = 0  # the Excel row on the 課 sheet (0: not read from a sheet)

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def dated(self) -> bool:
        """Whether the row has a period at all (開始日 or 終了日)."""
        return self.valid_from is not None or self.valid_to is not None

    def ended_before(self, day: dt.date) -> bool:
        return self.valid_to is not None and self.valid_to < day

    def starts_after(self, day: dt.date) -> bool:
        return self.valid_from is not None and self.valid_from > day


def of(book) -> list[Division]:
    """A Book's 課 entries (Book.org); a Book made without a sheet (tests, notebooks) has only
    `divisions`: those, valid for ever."""
    if book.org:
        return list(book.org)
    return [Division(name, body) for name, body in book.divisions]


def year_end(year: int) -> dt.date:
    """The last day of 年度 `year` (31 March of year + 1)."""
    return dt.date(year + 1, 3, 31)


def dated(org: Iterable[Division]) -> bool:
    """Whether any 課 has a period: when none has, names never change and nothing need be asked."""
    return any(d.dated for d in org)


def entries(org: Iterable[Division], name: str) -> list[Division]:
    """The rows of `name` (compared folded: spaces and full-width letters aside), in sheet order."""
    key = cells.fold(name)
    return [d for d in org if cells.fold(d.name) == key]


def valid(org: Sequence[Division], name: str, day: dt.date) -> bool:
    """Whether `name` is a 課 name on `day` (False for a name on no row)."""
    return any(d.valid_on(day) for d in entries(org, name))


def current(org: Sequence[Division], day: dt.date) -> list[Division]:
    """The 課 valid on `day`, in sheet (organisation-chart) order."""
    return [d for d in org if d.valid_on(day)]


def name_on(org: Sequence[Division], name: str, day: dt.date) -> str:
    """The 課 name valid on `day` for a row typed with `name`.

    A name that ended before `day` is followed to its successor while there is exactly one
    (a rename or a merge; a split cannot say which); a name that starts after `day` back to
    its predecessor while there is exactly one. The walk stops where it cannot go on and
    gives the name reached; `name` itself when it is on no row or valid on `day`.
    """
    found = _walk(org, name, day, set())
    return name if found is None else found


def _walk(org: Sequence[Division], name: str, day: dt.date, seen: set[str]) -> str | None:
    rows = entries(org, name)
    if not rows:
        return None
    for d in rows:
        if d.valid_on(day):
            return d.name
    key = cells.fold(name)
    if key in seen:  # a cycle of successors typed by mistake
        return None
    seen.add(key)
    if all(d.ended_before(day) for d in rows):
        last = max(rows, key=lambda d: d.valid_to)
        if len(last.successors) == 1:
            nxt = entries(org, last.successors[0])
            # not into a name that starts later still (a gap): that would walk back here
            if nxt and not all(d.starts_after(day) for d in nxt):
                return _walk(org, last.successors[0], day, seen) or last.name
        return last.name
    if all(d.starts_after(day) for d in rows):
        first = min(rows, key=lambda d: d.valid_from)
        before = predecessors(org, first)
        if len(before) == 1:
            back = entries(org, before[0])
            if back and not all(d.ended_before(day) for d in back):
                return _walk(org, before[0], day, seen) or first.name
        return first.name
    return rows[0].name  # between two periods of the name: no other name to give


def predecessors(org: Sequence[Division], entry: Division) -> list[str]:
    """The names whose 後継の課 is `entry`'s name and that ended before it began, each once."""
    key = cells.fold(entry.name)
    found = []
    for d in org:
        if d is entry or d.valid_to is None or (entry.valid_from is not None and d.valid_to >= entry.valid_from):
            continue
        if any(cells.fold(s) == key for s in d.successors) and d.name not in found:
            found.append(d.name)
    return found


def name_in_year(org: Sequence[Division], name: str, year: int) -> str:
    """The name a report of 年度 `year` prints for a row typed with `name`: the one valid at the
    end of that 年度."""
    return name_on(org, name, year_end(year))


def takers(org: Sequence[Division], name: str, day: dt.date) -> list[str]:
    """The 課 valid on `day` that carry on `name`'s work: the name itself while it is valid;
    for a closed name its successors, followed through later changes (each branch of a split).
    Empty when there are none (abolished without a successor, or a name not yet begun), and for
    a name on no row."""
    found: list[str] = []
    _takers(org, name, day, set(), found)
    return found


def _takers(org: Sequence[Division], name: str, day: dt.date, seen: set[str], found: list[str]) -> None:
    rows = entries(org, name)
    valid_now = [d for d in rows if d.valid_on(day)]
    if valid_now:
        if valid_now[0].name not in found:
            found.append(valid_now[0].name)
        return
    key = cells.fold(name)
    if not rows or key in seen or not all(d.ended_before(day) for d in rows):
        return
    seen.add(key)
    last = max(rows, key=lambda d: d.valid_to)
    for successor in last.successors:
        _takers(org, successor, day, seen, found)


def chart_rank(org: Sequence[Division], day: dt.date) -> dict[str, int]:
    """Folded name -> its place in the organisation chart on `day`: the sheet position of the
    row valid then, else of its last row (as the chart order always was)."""
    rank = {cells.fold(d.name): i for i, d in enumerate(org)}
    rank.update({cells.fold(d.name): i for i, d in enumerate(org) if d.valid_on(day)})
    return rank


def overlaps(a: Division, b: Division) -> bool:
    """Whether the periods of two rows share a day."""
    return ((a.valid_from is None or b.valid_to is None or a.valid_from <= b.valid_to)
            and (b.valid_from is None or a.valid_to is None or b.valid_from <= a.valid_to))
