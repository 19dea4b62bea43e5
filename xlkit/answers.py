"""回答取込: what the answered 照会票 change in the register, decided before anything is written (pure).

`plan(book, year, answers)` takes the register and every answer read back (xlkit.inquiry) and
says, for each file and row, one of the outcomes staff must be able to rely on:

- a new row: appended with 計上年度 N, 実施機関 from its 課 and the next 管理番号;
- an end date: set on the row the form names (a linkage ended during N is still active in N, and
  counts in c of N+1: xlkit.figures);
- 変更内容: listed for staff to apply by hand, never applied;
- 登録済み: the register already holds the answer (a form collected twice);
- a conflict, with both values and neither applied: two forms touch one 管理番号 or complete one
  case, or the register row changed after the form was issued;
- refused: not one of our forms, another register's or 年度's, locked cells changed, or a cell
  the register's own rules refuse (reported as file / sheet / cell / message).

A 課 that did not answer is listed in the status, not an error. By default a plan with a refused
file applies nothing; `skip_bad` applies the good files' rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import cells, messages, org, rules, schema
from .addresses import column_letter, split_cell
from .dates import format_wareki, nendo
from .figures import year_start
from .issues import ERROR
from .pasted_table import next_ids
from .records import Book, Record
from .inquiry import (CONTINUING, NEW, Answer, Continuing, NewRow, canonical, case_keys, case_ref, case_snapshot,
                      fingerprint, locked_keys, new_columns)


@dataclass(frozen=True)
class Problem:
    """One cell of an answer the register's rules refuse."""

    file: str
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} / {self.sheet} / {self.cell}: {self.message}"


@dataclass
class Source:
    """One file given to collect: its answer, or why it is refused as a whole."""

    file: str
    answer: Answer | None = None
    refused: str | None = None  # the reason, in Japanese
    duplicate_of: str | None = None  # the file with the same answer to the same form
    named: str = ""  # the 課 a refused form names, when its identity could be read
    clash: str = ""  # another file answering the same form otherwise: neither is taken

    @property
    def division(self) -> str:
        return self.answer.division if self.answer is not None else self.named


@dataclass
class NewLinkage:
    """A row to append: the register's typed values, with the form cell it came from."""

    source: Source
    row: NewRow
    values: dict[str, Any]


@dataclass
class EndDate:
    source: Source
    answer: Continuing
    record: Record  # the register's row
    end: dt.date


@dataclass
class Review:
    """Something an answer asks that staff must apply by hand (変更内容, a cleared end date)."""

    source: Source
    id: str  # the 管理番号 (or the case) it is about
    cell: str
    text: str
    sheet: str = CONTINUING

    def __str__(self) -> str:
        return f"{self.source.file} / {self.sheet} / {self.cell}（{self.id}）: {self.text}"


@dataclass
class Conflict:
    """Answers that cannot both be right, or an answer the register moved past: neither applied."""

    what: str  # 管理番号 H29-001 / 審議案件 2024-3 / the linkage
    lines: list[str]  # one per side, with its value
    files: list[str]

    def __str__(self) -> str:
        return f"{self.what}: " + " ／ ".join(self.lines)


@dataclass
class Present:
    source: Source
    text: str


@dataclass
class Status:
    """One 課's line of 回答状況 (schemas/status.schema.json)."""

    division: str
    state: str
    file: str = ""
    respondent: str = ""
    extension: str = ""
    answered_on: dt.date | None = None
    new: int = 0
    ended: int = 0
    changed: int = 0
    present: int = 0
    conflicts: int = 0
    refused: int = 0
    note: str = ""


@dataclass
class Plan:
    year: int
    sources: list[Source]
    new: list[NewLinkage] = field(default_factory=list)
    ends: list[EndDate] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    present: list[Present] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    status: list[Status] = field(default_factory=list)
    held: bool = False  # a file was bad and skip_bad was not given: nothing is applied
    after: int = 1  # the register's last linkage row: new rows go below it, by every door

    @property
    def refused_files(self) -> list[Source]:
        """The files refused as a whole or for a cell: nothing of theirs is taken."""
        bad = self.bad_files()
        return [s for s in self.sources if s.file in bad]

    def bad_files(self) -> set[str]:
        return {s.file for s in self.sources if s.refused} | {p.file for p in self.problems}



STATE_DONE, STATE_PARTLY, STATE_REFUSED, STATE_NONE, STATE_HELD = "取込済み", "一部未処理", "取り込めず", "未回答", "保留"


def plan(book: Book, year: int, sources: list[Source], *, skip_bad: bool = False,
         history: list[dict[str, Any]] = ()) -> Plan:
    """Every outcome of collecting `sources` into `book` for 年度 `year` (see the module docstring).

    `history` are the register's 変更履歴 rows (schema key -> value): the rows of a form an
    earlier run collected are known by them, so that a form sent again, even corrected, never
    adds its rows twice."""
    result = Plan(year, sources, after=max((r.row for r in book.linkages), default=1))
    for source in sources:
        if source.answer is not None and not source.refused:
            source.refused = _identity_refusal(book, year, source.answer)
    _mark_duplicates(sources, result)
    live = [s for s in sources if s.answer is not None and not s.refused and not s.duplicate_of and not s.answer.blank]
    for source in live:
        result.problems += [Problem(source.file, sheet, cell, message) for sheet, cell, message in source.answer.problems]
    proposals = _proposals(book, year, live, result)
    _decide(book, proposals, result, collected_from(history))
    ids = _ids(book, year, len(result.new))  # sequential: the rows kept take the first of them
    _validate(book, year, result, ids)
    bad = result.bad_files()
    if bad:
        if skip_bad:
            result.new = [n for n in result.new if n.source.file not in bad]
            result.ends = [e for e in result.ends if e.source.file not in bad]
            result.reviews = [r for r in result.reviews if r.source.file not in bad]
        else:
            result.held = True
    for linkage, id_ in zip(result.new, ids):
        linkage.values["id"] = id_
    result.status = _status(book, result)
    return result


def _ids(book: Book, year: int, count: int) -> list[str]:
    """The next 管理番号 of `year` (R3-001 …) after those the register has."""
    return next_ids([r.get("id") for r in book.linkages if r.get("id")], year, count) if count else []


def applied(result: Plan) -> tuple[list[NewLinkage], list[EndDate]]:
    """What is written: nothing when the plan is held."""
    return ([], []) if result.held else (result.new, result.ends)


# --------------------------------------------------------------------------- the files


def _identity_refusal(book: Book, year: int, answer: Answer) -> str | None:
    if answer.identity.get("register_id") != book.register_id:
        return messages.text("collect.other_register")
    if answer.year != year:
        shown = nendo(answer.year) if answer.year else cells.display(answer.identity.get("year"))
        return messages.text("collect.other_year", 照会票=shown, 年度=nendo(year))
    if cells.fold(answer.division) not in org.names(book.org):
        return messages.text("collect.unknown_division", 課=answer.division)
    return None


def _mark_duplicates(sources: list[Source], result: Plan) -> None:
    """A form sent twice with the same answer is taken once. Two different answers to one form (a
    first and a corrected one) are a conflict as a whole: which is right only staff can say."""
    first: dict[tuple[str, str], str] = {}
    answers: dict[str, list[Source]] = defaultdict(list)
    for source in sources:
        if source.answer is None or source.refused or source.answer.blank:  # a form not filled in answers nothing
            continue
        key = (source.answer.form_id, source.answer.content())
        if key in first:
            source.duplicate_of = first[key]
        else:
            first[key] = source.file
            answers[source.answer.form_id].append(source)
    for group in answers.values():
        if len(group) > 1:
            files = [s.file for s in group]
            for source in group:
                source.clash = "、".join(f for f in files if f != source.file)
            result.conflicts.append(Conflict(messages.text("collect.target_form", 課=group[0].answer.division),
                                             [messages.text("collect.form_answers", ファイル="、".join(files))], files))


# --------------------------------------------------------------------------- proposals


@dataclass
class _Proposal:
    source: Source
    target: tuple
    kind: str  # end | new
    shown: str  # the value, for a conflict's line
    payload: Any


def _proposals(book: Book, year: int, live: list[Source], result: Plan) -> list[_Proposal]:
    from .figures import year_end

    entries = book.org
    bodies = {cells.fold(d.name): d.body for d in entries}
    change_letter = column_letter(len(schema.linkage().columns))  # 変更内容 follows the register's columns
    found = []
    for source in live:
        answer = source.answer
        for c in answer.continuing:
            cell = f"{c.letters.get('end', '')}{c.row}"
            if c.change:
                result.reviews.append(Review(source, c.id, f"{change_letter}{c.row}", c.change))
            end = canonical(c.end) or ""
            if end == c.issued_end or (c.end is None and c.end_raw is not None):
                continue  # unchanged, or not a date (the reader's problem names the cell)
            if c.issued_end:
                # an end date the register had: changing or clearing it moves published figures
                key = "collect.end_changed" if end else "collect.end_cleared"
                result.reviews.append(Review(source, c.id, cell, messages.text(
                    key, 日付=_wareki(c.issued_end), 新=_wareki(end))))
                continue
            if c.end > year_end(year):
                result.warnings.append(Problem(source.file, CONTINUING, cell, messages.text(
                    "collect.end_after_year", 日付=_wareki(end), 年度=nendo(year))))
            found.append(_Proposal(source, ("id", cells.fold(c.id)), "end",
                                   f"{source.file}（{cell}）の終了年月日 {_wareki(end)}", c))
        for sheet, cell, ref, note in answer.notes:
            result.reviews.append(Review(source, ref, cell, messages.text("collect.case_note", 備考=note), sheet))
        issued = answer.issued or dt.date.today()
        for n in answer.new:
            values = dict(n.record.values)
            body = bodies.get(cells.fold(values.get("division", "")))
            if body:
                values["body"] = body
            values["fiscal_year"] = year
            division = values.get("division")
            cell = f"{n.record.letters.get('division', 'A')}{n.row}"
            if cells.fold(division or "") in bodies and not org.valid(entries, division, issued):
                # a 課 the form did not offer (組織改正: closed, or not begun, on the day it was made):
                # refused as a 課 not on the 課 sheet is, naming the 課 that carry on its work
                taking = org.takers(entries, division, issued, values.get("start"))
                result.problems.append(Problem(source.file, NEW, cell, messages.text(
                    "collect.closed_division", 課=division, 日付=format_wareki(issued), 引き継いだ課=messages.text(
                        "collect.closed_division_taker", 課="・".join(f"「{t}」" for t in taking)) if taking else "")))
            elif cells.fold(division or "") in bodies and cells.fold(division) != cells.fold(answer.division):
                result.warnings.append(Problem(source.file, NEW, cell,
                                               messages.text("collect.other_division", 課=division, 照会票=answer.division)))
            if n.case:
                target = ("case", rules.case_key(n.case))
            else:
                key = rules.same_linkage(values)
                target = ("linkage", key) if key is not None else ("row", source.file, n.row)
            found.append(_Proposal(source, target, "new", f"{source.file}（{NEW} {n.row}行目）: {_describe(values)}",
                                   (n, values)))
    return found


def _wareki(iso: str) -> str:
    try:
        return format_wareki(dt.date.fromisoformat(iso))
    except (TypeError, ValueError):
        return iso or "（空欄）"


def _describe(values: dict) -> str:
    parts = [cells.display(values.get(k)) for k in ("division", "business", "partner")]
    start = values.get("start")
    if isinstance(start, dt.date):
        parts.append(f"開始 {format_wareki(start)}")
    return "・".join(p for p in parts if p)


def _target_name(target: tuple) -> str:
    if target[0] == "id":
        return messages.text("collect.target_id", 管理番号=target[1])
    if target[0] == "case":
        return messages.text("collect.target_case", 案件=f"{target[1][0]}-{target[1][1]}")
    return messages.text("collect.target_linkage")


# --------------------------------------------------------------------------- decisions


def _decide(book: Book, proposals: list[_Proposal], result: Plan, collected: dict[tuple[str, str, int], str]) -> None:
    by_target: dict[tuple, list[_Proposal]] = defaultdict(list)
    for p in proposals:
        by_target[p.target].append(p)
    index = _Index(book, collected)
    for target, group in by_target.items():
        files = list(dict.fromkeys(p.source.file for p in group))
        # an answer of a form answered twice otherwise is never taken: shown with its values
        if len(files) > 1 or (target[0] != "linkage" and len(group) > 1) or any(p.source.clash for p in group):
            result.conflicts.append(Conflict(_target_name(target), [p.shown for p in group], files))
            continue
        for p in group:
            if p.kind == "end":
                _decide_end(index.by_id.get(target[1], []), p, result)
            else:
                _decide_new(index, p, result)


def _decide_end(records: list[Record], p: _Proposal, result: Plan) -> None:
    c: Continuing = p.payload
    what = _target_name(p.target)
    if len(records) != 1:
        reason = "collect.id_gone" if not records else "collect.id_twice"
        result.conflicts.append(Conflict(what, [p.shown, messages.text(reason, 管理番号=c.id)], [p.source.file]))
        return
    rec = records[0]
    if cells.is_excel_error(rec.raw.get("end")):  # an error value shown where a date should be: staff look
        result.conflicts.append(Conflict(what, [p.shown, messages.text(
            "collect.register_error", 行=rec.row, 値=rec.raw.get("end"))], [p.source.file]))
        return
    now_end = canonical(rec.get("end")) or ""
    answered = canonical(c.end)
    moved = _differences(c.issued, rec.values, locked_keys())
    if not moved and now_end == answered:
        result.present.append(Present(p.source, messages.text("collect.present_end", 管理番号=c.id,
                                                               日付=_wareki(answered), 行=rec.row)))
        return
    if moved or now_end != c.issued_end:
        if now_end != c.issued_end:
            moved.append(messages.text("collect.differs", 列=schema.linkage().header("end"),
                                       照会票=_wareki(c.issued_end), 登録簿=_wareki(now_end)))
        result.conflicts.append(Conflict(what, [p.shown, messages.text("collect.register_moved", 行=rec.row,
                                                                        違い="、".join(moved))], [p.source.file]))
        return
    result.ends.append(EndDate(p.source, c, rec, c.end))


def _differences(issued: dict, now: dict, keys) -> list[str]:
    reg = schema.linkage()
    return [messages.text("collect.differs", 列=reg.header(k), 照会票=cells.display(canonical(issued.get(k))) or "（空欄）",
                          登録簿=cells.display(canonical(now.get(k))) or "（空欄）")
            for k in keys if canonical(issued.get(k)) != canonical(now.get(k))]


class _Index:
    """The register's rows by what answers are matched on, each index built once, when a decision
    first asks it: a scan per new row of a 100,000-row register would make collect grow with
    rows × answers, and a collect of end dates alone never folds a linkage or a case."""

    def __init__(self, book: Book, collected: dict[tuple[str, str, int], str]):
        self._book = book
        self.collected = collected

    @cached_property
    def by_id(self) -> dict[str, list[Record]]:
        found: dict[str, list[Record]] = defaultdict(list)
        for rec in self._book.linkages:
            if rec.get("id"):
                found[cells.fold(rec.get("id"))].append(rec)
        return found

    @cached_property
    def _by_start(self) -> dict[Any, list[Record]]:
        found: dict[Any, list[Record]] = defaultdict(list)
        for rec in self._book.linkages:
            if "start" in rec.values:
                found[rec.values["start"]].append(rec)
        return found

    def same(self, key: tuple) -> list[Record]:
        """The register's rows of the linkage `key` (rules.same_linkage): only the rows of its
        開始日 (taken as it is, unfolded, by same_linkage) are folded and compared."""
        return [rec for rec in self._by_start.get(key[3], ()) if rules.same_linkage(rec.values) == key]

    @cached_property
    def citing(self) -> dict[tuple[int, int], list[Record]]:
        found: dict[tuple[int, int], list[Record]] = defaultdict(list)
        for rec in self._book.linkages:
            if (cited := rules.case_key(rec.get("case_ref"))) is not None:
                found[cited].append(rec)
        return found

    @cached_property
    def cases(self) -> dict[tuple[int, int], Record]:
        return {key: rec for rec in self._book.cases if (key := rules.case_key(case_ref(rec))) is not None}


def _decide_new(index: _Index, p: _Proposal, result: Plan) -> None:
    n, values = p.payload
    keys = [c.key for c in new_columns()]

    def present(row: int) -> None:
        result.present.append(Present(p.source, messages.text("collect.present_row", 行=row, 内容=_describe(values))))

    def conflict(line: str, what: str = _target_name(p.target)) -> None:
        result.conflicts.append(Conflict(what, [p.shown, line], [p.source.file]))

    earlier = index.collected.get((p.source.answer.form_id[:8], NEW, n.row))
    if earlier is not None:  # this form row was collected before: the same, or a correction
        records = index.by_id.get(cells.fold(earlier), [])
        what = messages.text("collect.target_id", 管理番号=earlier)
        if len(records) != 1:
            conflict(messages.text("collect.id_gone", 管理番号=earlier), what)
        elif differences := _differences(values, records[0].values, keys):
            conflict(messages.text("collect.collected_differs", 管理番号=earlier, 行=records[0].row,
                                   違い="、".join(differences)), what)
        else:
            present(records[0].row)
        return
    case = p.target[0] == "case"
    if case:
        record = index.cases.get(p.target[1])
        if record is None:
            conflict(messages.text("collect.case_gone", 案件=n.case))
            return
        candidates = index.citing.get(p.target[1], [])  # the linkages citing the case
    else:  # the register's rows of the same linkage (rules.same_linkage)
        candidates = index.same(p.target[1]) if p.target[0] == "linkage" else []
    same = next((r for r in candidates if not _differences(values, r.values, keys)), None)
    if same is not None:
        present(same.row)
        return
    if candidates:
        other = candidates[0]
        conflict(messages.text("collect.case_taken", 行=other.row, 内容=_describe(other.values)) if case else
                 messages.text("collect.register_row", 行=other.row,
                               違い="、".join(_differences(values, other.values, keys))))
        return
    if case:
        issued, snapshot = p.source.answer.cases.get(n.case, ("", ""))
        if issued != fingerprint(record.values, case_keys()):
            conflict(messages.text("collect.case_moved", 行=record.row, 照会票=snapshot,
                                   登録簿=case_snapshot(record.values)))
            return
    result.new.append(NewLinkage(p.source, n, values))


# --------------------------------------------------------------------------- the register's rules


def _validate(book: Book, year: int, result: Plan, ids: list[str]) -> None:
    """The register's own rules over the register as it would be, each error on a cell an answer
    wrote pointed back at the form's cell. The one-cell checks run on those rows alone (the rest
    of the register is as staff left it); the rules across rows over the whole of it."""
    from .validation import validate_book

    reg = schema.linkage()
    letters = dict(book.columns.get(reg.sheet) or {c.key: column_letter(i) for i, c in enumerate(reg.columns)})
    for c in reg.columns:  # a register lacking a column still gets one to point at
        letters.setdefault(c.key, column_letter(len(reg.columns) + len(letters)))
    ends = {e.record.row: e for e in result.ends}
    records = []
    for rec in book.linkages:
        if rec.row in ends:
            e = ends[rec.row]
            rec = dataclasses.replace(rec, values={**rec.values, "end": e.end}, raw={**rec.raw, "end": e.answer.end_raw})
        records.append(rec)
    virtual: dict[int, NewLinkage] = {}
    for i, (linkage, id_) in enumerate(zip(result.new, ids), start=result.after + 1):
        values = {**linkage.values, "id": id_}
        raw = {**linkage.row.record.raw, **{k: v for k, v in values.items() if k not in linkage.row.record.raw}}
        records.append(Record(reg.sheet, i, values, raw, letters))
        virtual[i] = linkage
    if not ends and not virtual:
        return
    # what the register's reader said of a cell an answer replaces (an end date 「未定」) is gone
    replaced = {f"{letters['end']}{row}" for row in ends}
    issues = [i for i in book.issues if not (i.sheet == reg.sheet and i.cell in replaced)]
    merged = dataclasses.replace(book, linkages=records, issues=issues, distinct={**book.distinct, reg.sheet: {}})
    by_letter = {v: k for k, v in letters.items()}
    refused = {(p.file, p.cell) for p in result.problems if p.sheet == NEW}  # a closed 課 (_proposals) among them
    _same_rows(virtual, result)
    for issue in validate_book(merged, rows={reg.sheet: set(virtual) | set(ends)}).issues:
        if issue.sheet != reg.sheet or not split_cell(issue.cell):
            continue
        letter, row = split_cell(issue.cell)
        key = by_letter.get(letter)
        if row in virtual:
            linkage = virtual[row]
            if key == "body" and issue.code == "required" and "division" in linkage.values:
                continue  # its 課 is not on the 課 sheet: said of the 課 cell already
            if issue.code == "required" and key in linkage.row.record.raw:
                continue  # typed but unreadable: the reader said why, of the same cell
            if issue.code == "linkage-duplicate":
                continue  # only new rows can be its twins here: _same_rows names the form's rows
            form = linkage.row.record.letters
            # the columns collect fills in are said of the cell they come from
            source = {"fiscal_year": "start", "body": "division", "id": "division"}.get(key, key)
            cell = f"{form.get(source) or form.get('division', 'A')}{linkage.row.row}"
            if issue.code in ("division-period", "division-renamed") and (linkage.source.file, cell) in refused:
                continue  # its 課's period: said of the same cell already (a 課 the form did not offer)
            found = Problem(linkage.source.file, NEW, cell, issue.message)
        elif row in ends and key == "end" or (row in ends and issue.code in ("date-order", "new-not-active")):
            e = ends[row]
            found = Problem(e.source.file, CONTINUING, f"{e.answer.letters.get('end')}{e.answer.row}", issue.message)
        else:
            continue
        (result.problems if issue.severity == ERROR else result.warnings).append(found)
    for e in result.ends:
        if e.end < year_start(year - 1):
            result.problems.append(Problem(e.source.file, CONTINUING, f"{e.answer.letters.get('end')}{e.answer.row}",
                                           messages.text("collect.end_too_early", 日付=format_wareki(e.end),
                                                         前年度=nendo(year - 1))))


def _same_rows(virtual: dict[int, NewLinkage], result: Plan) -> None:
    """New rows of one form that are one linkage (linkage-duplicate's measure), each named with its
    twins by the form's rows. A twin in the register was decided already (登録済み or a conflict),
    and twins in two forms are a conflict."""
    groups: dict[tuple, list[NewLinkage]] = defaultdict(list)
    for linkage in virtual.values():
        key = rules.same_linkage(linkage.values)
        if key is not None:
            groups[(linkage.source.file, key)].append(linkage)
    for twins in groups.values():
        if len(twins) < 2:
            continue
        for linkage in twins:
            others = "・".join(str(t.row.row) for t in twins if t is not linkage)
            form = linkage.row.record.letters
            result.problems.append(Problem(linkage.source.file, NEW, f"{form.get('business', 'A')}{linkage.row.row}",
                                           messages.text("collect.same_row", 行=others)))


# --------------------------------------------------------------------------- 回答状況


def _status(book: Book, result: Plan) -> list[Status]:
    by_division: dict[str, list[Source]] = defaultdict(list)
    for source in result.sources:
        if source.division:
            by_division[cells.fold(source.division)].append(source)
    for folded, sources in by_division.items():  # a blank copy beside an answer says nothing
        answered = [s for s in sources if not (s.answer is not None and s.answer.blank and not s.refused)]
        by_division[folded] = answered or sources[:1]
    lines = []
    own: dict[str, Status] = {}  # file -> its line, for the copies of an answer
    known = set()
    # the 課 the survey asked: those valid on the day its forms were issued (組織改正: a closed 課
    # gets no form, so no 未回答 line)
    asked = [(d.name, d.body) for d in org.current(book.org, _survey_day(result.sources))]
    for division, _body in dict.fromkeys(asked):
        known.add(cells.fold(division))
        sources = by_division.get(cells.fold(division), [])
        if not sources:
            lines.append(Status(division, STATE_NONE))
        for source in sources:
            lines.append(_status_line(division, source, result, own))
    # a form of a 課 no longer on the 課 sheet (renamed since): listed after the 課 that are
    for folded, sources in by_division.items():
        if folded not in known:
            lines += [_status_line(source.division, source, result, own) for source in sources]
    return lines


def _survey_day(sources: list[Source]) -> dt.date:
    """The day the survey was made: the earliest issue date of the forms read, today without one."""
    days = [day for source in sources if source.answer is not None and (day := source.answer.issued) is not None]
    return min(days, default=dt.date.today())


def _status_line(division: str, source: Source, result: Plan, own: dict[str, Status]) -> Status:
    line = _line_of(division, source, result, own)
    own[source.file] = line
    return line


def _line_of(division: str, source: Source, result: Plan, own: dict[str, Status]) -> Status:
    answer = source.answer
    if answer is None:  # refused before its answer could be read
        return Status(division, STATE_REFUSED, source.file, refused=1, note=source.refused or "")
    if answer.blank and not source.refused:  # the form as sent out: no answer yet
        return Status(division, STATE_NONE, source.file, note=messages.text("collect.blank_form"))
    respondent = answer.respondent
    line = Status(division, STATE_DONE, source.file, cells.display(respondent.get("name")).strip(),
                  cells.display(respondent.get("extension")).strip(),
                  respondent.get("answered_on") if isinstance(respondent.get("answered_on"), dt.date) else None)
    if source.duplicate_of:  # a copy: what became of the answer it copies, counted there
        first = own.get(source.duplicate_of)
        line.state = first.state if first is not None else STATE_DONE
        line.note = messages.text("collect.duplicate", ファイル=source.duplicate_of)
        return line
    if source.clash:
        line.state, line.conflicts = STATE_HELD, 1
        line.note = messages.text("collect.form_answers", ファイル="、".join([source.file, source.clash]))
        return line
    mine = source.file
    line.new = sum(1 for n in result.new if n.source is source)
    line.ended = sum(1 for e in result.ends if e.source is source)
    line.changed = sum(1 for r in result.reviews if r.source is source)
    line.present = sum(1 for p in result.present if p.source is source)
    line.conflicts = sum(1 for c in result.conflicts if mine in c.files)
    problems = [p for p in result.problems if p.file == mine]
    if source.refused or problems:
        line.state = STATE_REFUSED
        line.refused = len(answer.continuing) + len(answer.new) if source.refused else len({p.cell for p in problems})
        line.note = source.refused or messages.text("collect.problems_note", 件数=len(problems))
        line.new = line.ended = 0
    elif result.held:
        line.state, line.note = STATE_HELD, messages.text("collect.held_note")
        line.new = line.ended = 0
    elif line.conflicts or line.changed:
        line.state = STATE_PARTLY
    return line


# --------------------------------------------------------------------------- rows collected before


_MARK = re.compile(r"（(?P<sheet>[^（）]+?) (?P<row>\d+)行目・照会票番号 (?P<form>[0-9a-f]{8})）$")


def marked(file: str, sheet: str, row: int, form_id: str) -> str:
    """変更履歴's 元ファイル of a collected cell: the file, and the form row it came from."""
    return f"{file}（{sheet} {row}行目・照会票番号 {form_id[:8]}）"


def collected_from(history: list[dict[str, Any]]) -> dict[tuple[str, str, int], str]:
    """(照会票番号, sheet, form row) -> 管理番号 of every form row an earlier collect wrote."""
    found: dict[tuple[str, str, int], str] = {}
    for row in history:
        m = _MARK.search(str(row.get("source") or ""))
        if m and row.get("id"):
            found.setdefault((m["form"], m["sheet"], int(m["row"])), str(row["id"]))
    return found
