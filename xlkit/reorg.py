"""組織改正の表: the ward's reorganisation of 1 April, read from a table and planned on the 課 sheet (pure).

The table has one change per row under a header row: 旧課名, 新課名, 種別 (名称変更, 統合, 分割)
and, optionally, 実施機関. A rename is one row (1 → 1); a merge is several rows with one 新課名,
one per 課 merged; a split is several rows with one 旧課名, one per new 課. `parse_text` reads
the table from tab-separated text, `parse` from the first sheet of an .xlsx (xlkit.reorg_tasks
reads the file); `plan` decides, for the day `from` of the change:

* each old 課 gets 終了日 = from − 1 day and 後継の課 (its 新課名, several for a split);
* each new 課 gets 開始日 = from and the 実施機関 of its predecessor(s), or the one given;
  a merge of 課 of different 実施機関 needs the 実施機関 column;
* each new 課 is placed right below its (last) predecessor, so that the sheet order — the
  organisation chart of the reports — stays right.

A new name may be an old name of the same table (統合 into one of the merged 課, a split that
keeps the old name): that name's row ends and a new row of the name begins. It may not be the old
name of another 課 of the table (A→B with B→C, or A↔B), nor a name that ended already: a row
typed with such a name could belong to either 課, and xlkit.org could no longer tell which.
Whatever the table gets wrong is refused as a whole, each problem naming the table's row and
column, before the register is touched (`Refused`).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from . import cells, limits, messages, pasted_table, schema
from .addresses import column_letter
from .dates import fiscal_year, format_wareki
from .errors import Refusal
from .org import Division, period_text

RENAME, MERGE, SPLIT = "名称変更", "統合", "分割"
KINDS = (RENAME, MERGE, SPLIT)
HEADERS = {"old": "旧課名", "new": "新課名", "kind": "種別", "body": "実施機関"}
REQUIRED = ("old", "new", "kind")
# what the words of a refusal call the table file (xlkit.pasted_table.read_text)
TABLE = pasted_table.TableFile("組織改正の表", "組織改正の表（タブ区切りのテキストか .xlsx）")
# the other rows a message lists, at most (a split into thousands of 課 names each in one line)
LISTED = 10


class Refused(Refusal):
    """The table cannot be applied; `problems` name each row and column, in Japanese."""

    def __init__(self, table: str, problems: list[str]):
        shown = messages.first(problems, 30)
        super().__init__("reorganise.refused", 表=table, 問題="\n".join(f"  ・{p}" for p in shown))
        self.problems = problems


@dataclass(frozen=True)
class Line:
    """One change of the table."""

    row: int  # the table's row (1 = its first line)
    old: str
    new: str
    kind: str
    body: str | None
    places: dict[str, str] = field(compare=False, repr=False)  # key -> where the cell is, for messages

    def at(self, key: str) -> str:
        return self.places[key]


@dataclass
class Table:
    """The change table as read: its lines, and how it is named to staff."""

    name: str
    lines: list[Line]


def parse_text(text: str, name: str) -> Table:
    """The change table of tab-separated text (xlkit.pasted_table.tab_rows: a cell copied from
    Excel with a line break comes quoted), its places said as lines (3行目の「新課名」)."""
    return _parse(pasted_table.tab_rows(text), name, sheet=False)


def parse(grid: list[list], name: str) -> Table:
    """The change table of a worksheet's cells, its places said as cells (B3（新課名）)."""
    return _parse(enumerate(grid, start=1), name, sheet=True)


def _parse(numbered: Iterable[tuple[int, list]], name: str, *, sheet: bool) -> Table:
    """The change table of rows numbered as staff find them (the line or the sheet row where each
    begins); its first non-blank row is the header."""
    rows = [(i, row) for i, row in numbered if any(not cells.is_blank(v) for v in row)]
    if not rows:
        raise Refusal("reorganise.empty", 表=name)
    header_row, header = rows[0]
    if not sheet and pasted_table.unclosed(header):
        raise Refused(name, [messages.text("reorganise.unclosed_quote", 行=header_row)])
    by_fold = {cells.fold(h): key for key, h in HEADERS.items()}
    columns: dict[str, int] = {}
    twice: dict[str, list[int]] = {}
    for i, value in enumerate(header):
        key = by_fold.get(cells.fold(cells.display(value))) if not cells.is_blank(value) else None
        if key is None:
            continue
        twice.setdefault(key, []).append(i)
        columns.setdefault(key, i)
    # two columns of one header: which one staff meant cannot be told, so neither is read
    doubled = [messages.text("reorganise.header_twice", 行=header_row, 列=HEADERS[key],
                             場所="・".join(column_letter(i) + "列" if sheet else f"{i + 1}列目" for i in found))
               for key, found in twice.items() if len(found) > 1]
    if doubled:
        raise Refused(name, doubled)
    missing = [HEADERS[k] for k in REQUIRED if k not in columns]
    if missing:
        found = "、".join(cells.display(v).strip() for v in header if not cells.is_blank(v)) or "なし"
        raise Refused(name, [messages.text("reorganise.header_missing", 行=header_row, 列="、".join(missing),
                                           見出し=found)])

    def place(row: int, key: str) -> str:
        if sheet:
            return f"{column_letter(columns[key])}{row}（{HEADERS[key]}）"
        return messages.text("reorganise.line", 行=row, 列=HEADERS[key])

    most = limits.current().cell_chars
    lines, problems = [], []
    for row_no, row in rows[1:]:
        if not sheet and pasted_table.unclosed(row):  # the cells after the quote are one, and wrong
            problems.append(messages.text("reorganise.unclosed_quote", 行=row_no))
            continue
        values: dict[str, str | None] = {}
        for key, i in columns.items():
            value = row[i] if i < len(row) else None
            values[key] = None if cells.is_blank(value) else cells.text(value)
        places = {key: place(row_no, key) for key in columns}
        # too long for a cell: said here, not by the register writer, which could only blame the register
        long = [key for key, value in values.items() if value is not None and len(value) > most]
        for key in long:
            problems.append(messages.text("reorganise.too_long", 場所=places[key], 文字数=f"{len(values[key]):,}",
                                          上限=f"{most:,}"))
        blank = [key for key in REQUIRED if not values.get(key)]
        for key in blank:
            problems.append(messages.text("reorganise.blank", 場所=places[key], 列=HEADERS[key]))
        if blank or long:
            continue
        unwritable = _unwritable_name(values["new"], places["new"])
        if unwritable:
            problems.append(unwritable)
            continue
        lines.append(Line(row_no, values["old"], values["new"], values["kind"], values.get("body"), places))
    if problems:
        raise Refused(name, problems)
    if not lines:
        raise Refusal("reorganise.empty", 表=name)
    return Table(name, lines)


def _unwritable_name(name: str, place: str) -> str | None:
    """Why a 新課名 cannot go on the 課 sheet: a separator of 後継の課 in it (xlkit.cells.multi
    would read it back as two 課)."""
    found = [s for s in cells.MULTI_SEPARATORS if s in name]
    if found:
        shown = "・".join("改行" if s == "\n" else f"「{s}」" for s in found)
        return messages.text("reorganise.new_separator", 場所=place, 課=name.replace("\n", "（改行）"), 文字=shown)
    return None


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Closing:
    """An old 課 row that ends: its new 終了日 and 後継の課."""

    entry: Division
    valid_to: dt.date
    successors: tuple[str, ...]

    @property
    def result(self) -> Division:
        e = self.entry
        return Division(e.name, e.body, e.valid_from, self.valid_to, self.successors, e.row)


@dataclass(frozen=True)
class Opening:
    """A new 課 row: placed right below `after`, the last of its predecessors on the sheet."""

    entry: Division  # row 0: not on the sheet yet
    after: Division
    predecessors: tuple[str, ...]
    kind: str


@dataclass
class Plan:
    """What a change table does to the 課 sheet on `day` (its 開始日)."""

    day: dt.date
    closings: list[Closing]
    openings: list[Opening]

    def sheet(self, org: list[Division]) -> list[Division]:
        """The 課 rows after the change, in sheet order: each old row as closed, each new one
        right below its anchor (several below one anchor in table order)."""
        closed = {c.entry.row: c.result for c in self.closings}
        below = self.below()
        result = []
        for entry in org:
            result.append(closed.get(entry.row, entry))
            result += [opening.entry for opening in below.get(entry.row, ())]
        return result

    def new_row(self, row: int) -> int:
        """Where Excel row `row` of the 課 sheet goes: down by the new 課 inserted above it."""
        return row + bisect_left(self._anchors, row)

    @cached_property
    def _anchors(self) -> list[int]:
        """The row each new 課 goes right below, one per new 課, in order."""
        return sorted(opening.after.row for opening in self.openings)

    def below(self) -> dict[int, list[Opening]]:
        """The new 課 by the Excel row they go right below, each list in table order."""
        found: dict[int, list[Opening]] = defaultdict(list)
        for opening in self.openings:
            found[opening.after.row].append(opening)
        return dict(found)


def check_day(day: dt.date) -> None:
    """Refuse a 組織改正 day outside the years a register may hold (schemas/common.schema.json):
    its 終了日 and 開始日 would be dates the 課 sheet cannot hold (1899-12-31 is read as a time)."""
    first, last = schema.year_bounds()
    if not first <= fiscal_year(day) <= last:
        raise Refusal("reorganise.day_outside", 日付=day.isoformat(), 最初=first, 最後=last)


@dataclass
class _Group:
    """The lines sharing one 旧課名 (or one 新課名), judged once for all of them."""

    lines: list[Line] = field(default_factory=list)

    @cached_property
    def kinds(self) -> tuple[str, ...]:
        """Their 種別, each once, in table order."""
        return tuple(dict.fromkeys(line.kind for line in self.lines))

    @cached_property
    def olds(self) -> int:
        """How many 旧課名 they have (folded)."""
        return len({cells.fold(line.old) for line in self.lines})

    @cached_property
    def news(self) -> int:
        """How many 新課名 they have (folded)."""
        return len({cells.fold(line.new) for line in self.lines})


def plan(org: list[Division], bodies: list[str], table: Table, day: dt.date) -> Plan:
    """The changes `table` makes on `day`; raises Refused naming every problem of the table.

    Each group of lines (one 旧課名, one 新課名) and each name on the 課 sheet is judged once,
    whatever the number of lines: a table of thousands of lines is planned in linear time."""
    lines = table.lines
    problems: list[str] = []
    by_old: dict[str, _Group] = defaultdict(_Group)
    by_new: dict[str, _Group] = defaultdict(_Group)
    pairs: dict[tuple[str, str], int] = defaultdict(int)  # lines of one 旧課名 and one 新課名
    for line in lines:
        old, new = cells.fold(line.old), cells.fold(line.new)
        by_old[old].lines.append(line)
        by_new[new].lines.append(line)
        pairs[old, new] += 1
    sheet = _by_name(org)
    ending: dict[str, Division | tuple[str, dict]] = {}  # folded 旧課名 -> its row, or why none
    targets: dict[str, Division] = {}
    for line in lines:
        if line.kind not in KINDS:
            problems.append(messages.text("reorganise.unknown_kind", 場所=line.at("kind"), 値=line.kind,
                                          種別="・".join(KINDS)))
            continue
        old, new = cells.fold(line.old), cells.fold(line.new)
        if old not in ending:
            ending[old] = _closing_entry(sheet.get(old, []), day)
        found = ending[old]
        if isinstance(found, Division):
            targets.setdefault(old, found)
        else:
            key, said = found
            problems.append(messages.text(key, 場所=line.at("old"), 課=line.old, **said))
        problems += _shape(line, by_old[old], by_new[new], pairs[old, new])
    olds = {key: group.lines for key, group in by_old.items()}
    news = {key: group.lines for key, group in by_new.items()}
    problems += _chains(olds, news)
    problems += _new_names(sheet, news, targets, day)
    chosen = _bodies(bodies, news, targets, problems)
    successors = _successors(olds, news, problems)
    if problems:
        raise Refused(table.name, list(dict.fromkeys(problems)))
    end = day - dt.timedelta(days=1)
    closings = [Closing(targets[old], end, names) for old, names in successors.items()]
    openings = []
    for new, group in news.items():
        before = [targets[cells.fold(line.old)] for line in group]
        anchor = max(before, key=lambda d: d.row)
        openings.append(Opening(Division(group[0].new, chosen[new], day, None, (), 0), anchor,
                                tuple(dict.fromkeys(d.name for d in before)), group[0].kind))
    return Plan(day, closings, openings)


def _by_name(org: Sequence[Division]) -> dict[str, list[Division]]:
    """The 課 sheet's rows by folded name, in sheet order (xlkit.org.entries for every name at once)."""
    found: dict[str, list[Division]] = defaultdict(list)
    for d in org:
        found[cells.fold(d.name)].append(d)
    return found


def _successors(by_old: dict[str, list[Line]], by_new: dict[str, list[Line]], problems: list[str]) -> dict[str, tuple[str, ...]]:
    """The 後継の課 of each old 課, each spelt as its new row is (the first line of its 新課名),
    which must fit in one cell joined with 「、」 (a split into very many long names)."""
    most = limits.current().cell_chars
    found = {}
    for old, group in by_old.items():
        found[old] = tuple(dict.fromkeys(by_new[cells.fold(line.new)][0].new for line in group))
        if len("、".join(found[old])) > most:
            problems.append(messages.text("reorganise.successors_too_long", 場所=group[0].at("old"), 課=group[0].old,
                                          上限=f"{most:,}"))
    return found


def _closing_entry(rows: list[Division], day: dt.date) -> Division | tuple[str, dict]:
    """The row of an old 課 (`rows`: the rows of its name) that the change ends: valid the day
    before `day` and on `day`; else the message key saying why none is, and its words but the
    line's place and spelling."""
    if not rows:
        return "reorganise.unknown_old", {}
    for entry in rows:
        if entry.valid_on(day) and entry.valid_on(day - dt.timedelta(days=1)):
            if entry.valid_to is not None:
                # it ends later already: ending it earlier would take its successors' predecessor away
                return "reorganise.old_ends_later", dict(
                    行=entry.row, 終了日=format_wareki(entry.valid_to), 日付=format_wareki(day),
                    後継="、".join(entry.successors) or messages.text("reorganise.no_successor"))
            return entry
    if all(d.ended_before(day) for d in rows):
        last = max(rows, key=lambda d: d.valid_to)
        return "reorganise.old_ended", dict(終了日=format_wareki(last.valid_to), 日付=format_wareki(day))
    return "reorganise.old_not_valid", dict(日付=format_wareki(day), 期間=period_text(rows))


def _rows(groups: Iterable[list[Line]], line: Line, count: int) -> str:
    """The rows of the lines in `groups` but `line` (`count` of them), said as 3・4行目, the first
    LISTED only: a line of a group of thousands names a few, not all."""
    shown: list[str] = []
    seen = {id(line)}
    for group in groups:
        for other in group:
            if len(shown) == LISTED:
                break
            if id(other) not in seen:
                seen.add(id(other))
                shown.append(str(other.row))
    return _row_list(shown, count)


def _row_list(rows: Sequence[str], count: int) -> str:
    said = "・".join(rows) + "行目"
    if count > len(rows):
        said += messages.text("reorganise.rows_more", 件数=f"{count - len(rows):,}")
    return said


def _shape(line: Line, olds: _Group, news: _Group, same: int) -> list[str]:
    """What is wrong with the shape of `line`'s change (olds: the lines of its 旧課名, news: of its
    新課名, same: the lines of both), from what its groups are."""
    found = []
    if line.kind == RENAME:
        if cells.fold(line.old) == cells.fold(line.new):
            found.append(messages.text("reorganise.rename_same", 場所=line.at("new"), 課=line.new))
        elif len(olds.lines) > 1 or len(news.lines) > 1:
            others = len(olds.lines) + len(news.lines) - same - 1
            found.append(messages.text("reorganise.rename_shape", 場所=line.at("kind"), 旧=line.old, 新=line.new,
                                       行=_rows((olds.lines, news.lines), line, others)))
    elif line.kind == MERGE:
        found += _grouped(line, "old", olds, news, "reorganise.old_twice", "reorganise.merge_one")
    elif line.kind == SPLIT:
        found += _grouped(line, "new", news, olds, "reorganise.new_twice", "reorganise.split_one")
    return found


def _grouped(line: Line, side: str, own: _Group, group: _Group, twice: str, too_few: str) -> list[str]:
    """A merge (side "old": many 旧課名 into one 新課名) or a split (side "new": one 旧課名 into many):
    `line`'s own name on no other line (`own`), and its group (the lines sharing the other name)
    all of its kind, with two names at least on `side`."""
    other = "new" if side == "old" else "old"
    found = []
    if len(own.lines) > 1:
        found.append(messages.text(twice, 場所=line.at(side), 課=getattr(line, side),
                                   行=_rows((own.lines,), line, len(own.lines) - 1)))
    if len(group.kinds) > 1:
        found.append(messages.text("reorganise.kinds_mixed", 場所=line.at("kind"), 課=getattr(line, other),
                                   種別="・".join(group.kinds)))
    elif (group.olds if side == "old" else group.news) < 2:
        found.append(messages.text(too_few, 場所=line.at("kind"), 課=getattr(line, other)))
    return found


def _chains(by_old: dict[str, list[Line]], by_new: dict[str, list[Line]]) -> list[str]:
    """A 新課名 that is the 旧課名 of another 課 of the table (A→B and B→C, or A↔B): the rows typed
    with B would then belong to two 課 at once. A name both ends and goes on only where one of its
    own lines keeps it (統合 into one of the merged 課, a split that keeps the name)."""
    found = []
    for name in by_old.keys() & by_new.keys():
        if any(cells.fold(line.new) == name for line in by_old[name]):
            continue
        line = by_new[name][0]
        rows = [str(other.row) for other in by_old[name][:LISTED]]
        found.append((line.row, messages.text("reorganise.new_is_old", 場所=line.at("new"), 課=line.new,
                                              行=_row_list(rows, len(by_old[name])))))
    return [said for _, said in sorted(found)]


def _new_names(sheet: dict[str, list[Division]], by_new: dict[str, list[Line]], targets: dict[str, Division],
               day: dt.date) -> list[str]:
    """A new name must not be valid on or after `day` already, but as a 課 this table ends; nor
    a name that ended before (a closed name taken again: the rows typed with it, and the
    reports of its years, would be given to the new 課)."""
    found = []
    for new, group in by_new.items():
        line = group[0]
        ending = targets.get(new)
        rows = [d for d in sheet.get(new, []) if d is not ending]
        taken = [d for d in rows if d.valid_to is None or d.valid_to >= day]
        if taken:
            found.append(messages.text("reorganise.new_exists", 場所=line.at("new"), 課=line.new,
                                       日付=format_wareki(day), 行=taken[0].row, 期間=period_text(taken)))
        elif rows and ending is None:
            last = max(rows, key=lambda d: d.valid_to)
            found.append(messages.text("reorganise.new_closed", 場所=line.at("new"), 課=line.new, 行=last.row,
                                       終了日=format_wareki(last.valid_to),
                                       後継="、".join(last.successors) or messages.text("reorganise.no_successor")))
    return found


def _bodies(bodies: list[str], by_new: dict[str, list[Line]], targets: dict[str, Division],
            problems: list[str]) -> dict[str, str]:
    """The 実施機関 of each new 課: the one given, else its predecessors' (which must agree)."""
    known = {cells.fold(b): b for b in bodies}
    chosen: dict[str, str] = {}
    for new, group in by_new.items():
        given: dict[str, Line] = {}
        for line in group:
            if line.body is None:
                continue
            if cells.fold(line.body) not in known:
                problems.append(messages.text("reorganise.unknown_body", 場所=line.at("body"), 値=line.body))
                continue
            given.setdefault(known[cells.fold(line.body)], line)
        if len(given) > 1:
            problems.append(messages.text("reorganise.body_differs", 場所=group[-1].at("body"), 課=group[0].new,
                                          実施機関="・".join(given)))
        elif given:
            chosen[new] = next(iter(given))
        else:
            before = {targets[cells.fold(line.old)].body: line for line in group if cells.fold(line.old) in targets}
            if len(before) > 1:
                problems.append(messages.text("reorganise.body_needed", 場所=group[0].at("kind"), 課=group[0].new,
                                              実施機関="・".join(before)))
            elif before:
                chosen[new] = next(iter(before))
    return chosen


# --------------------------------------------------------------------------- said to staff


def describe(result: Plan) -> list[str]:
    """The plan as lines for staff (the dry run shows them, the run too)."""
    lines = [messages.text("reorganise.plan_day", 日付=format_wareki(result.day))]
    for c in result.closings:
        lines.append(messages.text("reorganise.plan_close", 課=c.entry.name, 行=c.entry.row,
                                   終了日=format_wareki(c.valid_to), 後継="、".join(c.successors)))
    for o in result.openings:
        lines.append(messages.text("reorganise.plan_open", 課=o.entry.name, 種別=o.kind, 実施機関=o.entry.body,
                                   開始日=format_wareki(o.entry.valid_from), 前="、".join(o.predecessors),
                                   下=o.after.name))
    return lines
