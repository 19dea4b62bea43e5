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

A name may have several rows, each its own period: a merge or a split that keeps the old name
(税務課 until 31 March, 税務課 from 1 April), or a closed name typed again later by hand. A row
ends in its own successors (`_Index.successor_rows`: the rows of the successor name from the day after,
never an earlier period of it). Where a register row's day is known (a linkage's 開始日, a case's
付議日), `since` picks the row of its period (`typed_under`); without it every row of the name counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from . import cells, messages
from .dates import format_wareki, year_end  # year_end: also said as org.year_end


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


def names(org: Iterable[Division]) -> set[str]:
    """Every name on the 課 sheet, folded as names are compared, closed ones too: whether a 課
    typed anywhere is on the sheet at all (its period aside)."""
    return {cells.fold(d.name) for d in org}


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


def name_on(org: Sequence[Division], name: str, day: dt.date, since: dt.date | None = None) -> str:
    """The 課 name valid on `day` for a row typed with `name`.

    The walk starts from the rows of `name` (`typed_under`: with `since`, the day the register
    row was typed for, such as a linkage's 開始日, the row of `name` valid that day when there is
    one). A row valid on `day` gives `name` itself. Otherwise the row that ended last before
    `day` is followed to its successor while there is exactly one (a rename or a merge; a split
    cannot say which); when every row starts after `day`, the first one goes back to its
    predecessor while there is exactly one. The walk stops where it cannot go on and gives the
    name reached; `name` itself when it is on no row.

    A name closed and used again later (two periods apart: typed by hand on the 課 sheet, as
    `xlkit reorganise` refuses it): between the two periods the earlier one is followed (a row
    typed with the name by then belongs to it); on a day of either period the name is itself,
    so without `since` a row of the earlier period keeps the name in the years of the later one
    (best effort: the name alone cannot tell the two 課 apart; `since` can).
    """
    found = _walk(org, typed_under(org, name, since), day)
    return name if found is None else found


def typed_under(org: Sequence[Division], name: str, since: dt.date | None = None) -> list[Division]:
    """The rows of `name` a register row typed with it can mean: the row valid on `since` (the day
    the register row was typed for) when there is one, else every row of the name."""
    rows = entries(org, name)
    if since is not None:
        at = [d for d in rows if d.valid_on(since)]
        if at:
            return at
    return rows


def _walk(org: Sequence[Division], rows: list[Division], day: dt.date) -> str | None:
    """name_on's walk, one step at a time (a chain of thousands of renames is no deeper than one):
    None when it cannot take a first step (no rows, a cycle typed by mistake)."""
    index: _Index | None = None  # made at the first step: most walks end on a row valid that day
    seen: set[int] = set()
    reached: str | None = None  # the name of the last step taken: where a walk that cannot go on stops
    while rows:
        for d in rows:
            if d.valid_on(day):
                return d.name
        ended = [d for d in rows if d.ended_before(day)]
        if ended:  # forward from the period that ended last before `day`
            last = max(ended, key=lambda d: d.valid_to)
            if id(last) in seen:  # a cycle of successors typed by mistake
                return reached
            seen.add(id(last))
            if len(last.successors) == 1:
                index = index or _Index(org)
                nxt = index.successor_rows(last, last.successors[0])
                # not into a name that starts later still (a gap): that would walk back here
                if nxt and not all(d.starts_after(day) for d in nxt):
                    reached, rows = last.name, nxt
                    continue
            return last.name
        first = min(rows, key=lambda d: d.valid_from)  # every row starts after `day`: back
        if id(first) in seen:
            return reached
        seen.add(id(first))
        index = index or _Index(org)
        before = index.predecessor_rows(first)
        if len({cells.fold(d.name) for d in before}) == 1 and not all(d.ended_before(day) for d in before):
            reached, rows = first.name, before
            continue
        return first.name
    return reached


def _day_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1) if day < dt.date.max else day


class _Index:
    """The rows of `org` by folded name, and by the folded names of their successors: a walk of
    many steps looks each step up instead of reading the whole sheet again."""

    def __init__(self, org: Sequence[Division]):
        self.by_name: dict[str, list[Division]] = {}
        self.by_successor: dict[str, list[Division]] = {}
        for d in org:
            self.by_name.setdefault(cells.fold(d.name), []).append(d)
            for s in dict.fromkeys(cells.fold(s) for s in d.successors):
                self.by_successor.setdefault(s, []).append(d)

    def successor_rows(self, entry: Division, name: str) -> list[Division]:
        """The rows of `name` that took over from `entry` (a closed row): the one valid the day
        after it ended, else the first that begins later; every row of `name` when none does (an
        end typed out of order). An earlier period of the same name is not its successor."""
        rows = self.by_name.get(cells.fold(name), [])
        after = _day_after(entry.valid_to)
        on = [d for d in rows if d.valid_on(after)]
        if on:
            return on
        later = [d for d in rows if d.starts_after(after)]
        if later:
            return [min(later, key=lambda d: d.valid_from)]
        return list(rows)

    def predecessor_rows(self, entry: Division) -> list[Division]:
        """The rows whose 後継の課 is `entry`'s name and that ended before it began: of each name,
        the one that ended last (an earlier period of a name used twice is not its predecessor)."""
        last: dict[str, Division] = {}
        for d in self.by_successor.get(cells.fold(entry.name), []):
            if d is entry or d.valid_to is None or (entry.valid_from is not None and d.valid_to >= entry.valid_from):
                continue
            name = cells.fold(d.name)
            if name not in last or last[name].valid_to < d.valid_to:
                last[name] = d
        return list(last.values())


def predecessors(org: Sequence[Division], entry: Division) -> list[str]:
    """The names whose 後継の課 is `entry`'s name and that ended before it began, each once."""
    return [d.name for d in _Index(org).predecessor_rows(entry)]


def name_in_year(org: Sequence[Division], name: str, year: int, since: dt.date | None = None) -> str:
    """The name a report of 年度 `year` prints for a row typed with `name`: the one valid at the
    end of that 年度 (`since` as in `name_on`)."""
    return name_on(org, name, year_end(year), since)


def takers(org: Sequence[Division], name: str, day: dt.date, since: dt.date | None = None) -> list[str]:
    """The 課 valid on `day` that carry on the work of a register row typed with `name`.

    Each row of the name (`typed_under`: with `since`, the row valid on that day when there is
    one) gives: itself while it is valid on `day`; when it ended before `day`, every one of its
    successors (each branch of a split, the one keeping the name too), followed through later
    changes; nothing when it starts after `day`. So a name with several rows (a merge or a split
    that kept the name, a name closed and used again) gives the 課 of every period that led to
    `day`. Empty when there are none (abolished without a successor, or a name not yet begun),
    and for a name on no row. In the order met, each name once."""
    index: _Index | None = None  # made at the first row that ended: most rows are valid that day
    found: list[str] = []
    folded: set[str] = set()
    seen: set[int] = set()  # a cycle of successors typed by mistake, or two branches meeting again
    # depth first, one iterator per level: a row's successors are followed before the next row
    stack = [iter(_by_start(typed_under(org, name, since)))]
    while stack:
        d = next(stack[-1], None)
        if d is None:
            stack.pop()
            continue
        if id(d) in seen:
            continue
        seen.add(id(d))
        if d.valid_on(day):
            if cells.fold(d.name) not in folded:
                folded.add(cells.fold(d.name))
                found.append(d.name)
        elif d.ended_before(day):
            index = index or _Index(org)
            stack.append(_successors_of(index, d))
    return found


def _successors_of(index: _Index, entry: Division) -> Iterator[Division]:
    """The rows that took over from `entry`, successor by successor, each one's rows by start."""
    for successor in entry.successors:
        yield from _by_start(index.successor_rows(entry, successor))


def _by_start(rows: Iterable[Division]) -> list[Division]:
    return sorted(rows, key=lambda d: d.valid_from or dt.date.min)


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


def period_text(rows: Iterable[Division]) -> str:
    """令和3年4月1日から令和5年3月31日まで、令和7年4月1日から: each period of a name, earliest first."""
    spans = []
    for d in _by_start(rows):
        start = format_wareki(d.valid_from) + "から" if d.valid_from else ""
        end = format_wareki(d.valid_to) + "まで" if d.valid_to else ""
        spans.append(start + end or messages.text("org.no_period"))
    return "、".join(spans)
