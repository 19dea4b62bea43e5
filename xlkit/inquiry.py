"""照会票: what each 課 is asked in the spring survey (庁内照会), and reading its answer back (pure).

One form per 課 and 年度 N. It shows the 課's linkages active in N−1 or N (継続中の外部結合, locked
but for 結合の終了年月日 and 変更内容), an empty table for new linkages (新規の外部結合) in which
the approved cases still without a linkage are pre-listed, a 回答者 block, and a hidden, protected
identity: the register's id, the 課, the 年度, the form's version and a fingerprint of every
pre-filled row. Collecting (xlkit.answers) trusts a form only as far as these prove it.

The form's columns are the register's (schemas/linkage.schema.json): nothing here lists them
again. xlkit.workbook.inquiry_form writes a Form; `read_answer` reads the sheets back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Any

from . import cells, messages, org, rules, schema
from .dates import format_wareki, nendo
from .figures import active_in
from .records import Book, Record
from .register import CellTooLong, stream_register

FORM_VERSION = 1
KIND = "xlkit-照会票"  # the identity's 様式: what tells one of our forms from any workbook

# sheet names, as staff see them
HOWTO = "記入のしかた"
CONTINUING = "継続中の外部結合"
NEW = "新規の外部結合"
IDENTITY = "照会票情報"

CHANGE_HEADER = "変更内容"  # after the register's columns on 継続中の外部結合
CASE_HEADER = "参考：審議案件"  # after the register's columns on 新規の外部結合
EDITABLE = ("end",)  # the register columns a 課 may change on 継続中の外部結合
FILLED_BY_XLKIT = ("id", "body", "fiscal_year")  # left off 新規の外部結合: collect fills them
NEW_ROWS = 200  # typing rows of 新規の外部結合 with dropdowns and input messages

# the 回答者 block on 記入のしかた: label -> key
RESPONDENT = {"担当者": "name", "内線": "extension", "回答日": "answered_on"}

# identity sheet: A = item, B = value; then the table of pre-filled rows
ID_ITEMS = {"様式": "kind", "版": "version", "登録簿番号": "register_id", "課": "division", "年度": "year",
            "発行日時": "issued", "照会票番号": "form_id"}
ROWS_HEADER = ("種類", "シート", "行", "管理番号・案件", "指紋", "発行時の終了年月日")
SEAL = "照合"  # the identity's last item: a hash of every other cell of the sheet
ISSUED = "%Y-%m-%d %H:%M:%S"  # 発行日時 as the identity holds it (Form.identity writes, Answer.issued reads)
RESPONDENT_CHARS = 100  # a 担当者 or 内線 longer than this is no name: said of its cell
ROW_LINKAGE, ROW_CASE, ROW_HEADERS = "継続", "案件", "見出し"


class FormRefused(Exception):
    """The workbook is refused as a whole: no 照会票 this xlkit can read, or one whose locked parts
    were changed; `reason` says why, in Japanese."""

    def __init__(self, reason: str, division: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.division = division  # the 課 the identity names, when it could be read


# --------------------------------------------------------------------------- the columns


def continuing_columns() -> tuple[schema.Column, ...]:
    return schema.linkage().columns


def new_columns() -> tuple[schema.Column, ...]:
    return tuple(c for c in schema.linkage().columns if c.key not in FILLED_BY_XLKIT)


def continuing_headers() -> list[str]:
    return [c.header for c in continuing_columns()] + [CHANGE_HEADER]


def new_headers() -> list[str]:
    return [c.header for c in new_columns()] + [CASE_HEADER]


def file_name(year: int, division: str) -> str:
    return f"照会票_{nendo(year)}_{_safe(division)}.xlsx"


def division_in_name(name: str) -> str:
    """The 課 of a form's own file name (照会票_令和3年度_税務課.xlsx, as `file_name` makes it), for
    a file too broken to say it; "" for any other name."""
    parts = PurePath(name).stem.split("_", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "照会票" else ""


def _safe(name: str) -> str:
    """A 課 as part of a file name: no character Windows refuses."""
    return "".join("＿" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in name).strip() or "課"


# --------------------------------------------------------------------------- fingerprints


def canonical(value: Any) -> Any:
    """A typed value as the fingerprint sees it: dates in ISO, lists joined; the rest as typed (○ is True)."""
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


def fingerprint(values: dict[str, Any], keys) -> str:
    """A short hash of the typed values under `keys`: equal exactly when every value is."""
    data = {k: canonical(values.get(k)) for k in keys}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def locked_keys() -> list[str]:
    return [c.key for c in continuing_columns() if c.key not in EDITABLE]


def headers_fingerprint(headers: list[str]) -> str:
    return hashlib.sha256("\t".join(headers).encode("utf-8")).hexdigest()[:24]


# --------------------------------------------------------------------------- the forms


@dataclass(frozen=True)
class CaseRow:
    """An approved case still without a linkage, pre-listed on 新規の外部結合."""

    ref: str  # 関連審議案件 as staff type it: 2024-3
    title: str  # 参考: 「令和6年度 №3 …」
    fingerprint: str  # of the case's CASE_KEYS at issue
    snapshot: str  # the same, as text (case_snapshot)


@dataclass
class Form:
    """One 課's 照会票 of 年度 `year`."""

    division: str
    body: str
    year: int
    register_id: str
    form_id: str
    issued: dt.datetime
    due: dt.date | None
    department: str
    continuing: list[dict[str, Any]] = field(default_factory=list)  # typed values of each row
    cases: list[CaseRow] = field(default_factory=list)
    # 組織改正: closed 課 whose linkages this 課 is asked about -> how many of its rows (in order)
    inherited: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return file_name(self.year, self.division)

    def identity(self) -> list[tuple[str, Any]]:
        """The identity's items, the last of them the seal over the items and `rows`."""
        values = {"kind": KIND, "version": FORM_VERSION, "register_id": self.register_id,
                  "division": self.division, "year": self.year,
                  "issued": self.issued.strftime(ISSUED), "form_id": self.form_id}
        items = [(label, values[key]) for label, key in ID_ITEMS.items()]
        return [*items, (SEAL, seal([list(item) for item in items] + [list(ROWS_HEADER)] + [list(r) for r in self.rows]))]

    @cached_property
    def rows(self) -> list[tuple]:
        """The identity's table: the headers' fingerprints, then one row per pre-filled row."""
        rows: list[tuple] = [(ROW_HEADERS, CONTINUING, 1, "", headers_fingerprint(continuing_headers()), ""),
                             (ROW_HEADERS, NEW, 1, "", headers_fingerprint(new_headers()), "")]
        keys = locked_keys()
        for i, values in enumerate(self.continuing, start=2):
            rows.append((ROW_LINKAGE, CONTINUING, i, values.get("id", ""), fingerprint(values, keys),
                         canonical(values.get("end")) or ""))
        for i, case in enumerate(self.cases, start=2):
            rows.append((ROW_CASE, NEW, i, case.ref, case.fingerprint, case.snapshot))
        return rows


def seal(rows: list[list]) -> str:
    """A hash of the identity sheet's cells as shown: an edit of the hidden sheet (its 課, its
    年度, a fingerprint) no longer matches it. It keeps honest mistakes out, not a forger: the
    form carries everything needed to compute it."""
    lines = []
    for row in rows:
        shown = [cells.display(v).strip() for v in row]
        while shown and not shown[-1]:
            shown.pop()
        if shown:
            lines.append("\t".join(shown))
    text = "\n".join(lines)
    return hashlib.sha256(("xlkit照会票\n" + text).encode("utf-8")).hexdigest()[:24]


def case_ref(record: Record) -> str | None:
    year, no = record.get("fiscal_year"), record.get("no")
    return f"{year}-{no}" if isinstance(year, int) and isinstance(no, int) else None


# what makes a case one to complete: a later 添付ファイル or 備考 leaves the form valid
CASE_KEYS = ("fiscal_year", "no", "divisions", "categories", "result")


def case_keys() -> list[str]:
    return list(CASE_KEYS)


def case_snapshot(values: dict[str, Any]) -> str:
    """The case's CASE_KEYS as staff read them, kept on the form: a case changed since is shown
    with both sides."""
    reg = schema.case()
    return "／".join(f"{reg.header(k)}：{cells.display(canonical(values.get(k)))}" for k in CASE_KEYS[2:])


def case_title(rec: Record) -> str:
    return f"{nendo(rec.get('fiscal_year'))} №{rec.get('no')} {rec.get('title', '')}".strip()


@dataclass
class Survey:
    """What a survey of 年度 `year` asks (`plan`): a form per 課, and what no form can list."""

    forms: list[Form]
    on: dt.date  # the day the survey is made
    unasked: list[Record] = field(default_factory=list)  # linkages asked about whose 課 is not on the 課 sheet
    # linkages whose 課 is on the 課 sheet but closed by `on` with no 課 carrying it on
    orphaned: list[Record] = field(default_factory=list)
    # approved cases still without a linkage (pre-listed) none of whose 担当課 has a form on `on`
    cases: list[Record] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """What staff should know: the linkages and cases no form lists, each named by its cell."""
        def places(records: list[Record], key: str, letter: str) -> str:
            return "、".join(messages.first([f"{r.sheet}!{r.letters.get(key, letter)}{r.row}" for r in records], 10))

        notes = []
        if self.unasked:
            notes.append(messages.text("survey.unasked", 件数=len(self.unasked), 場所=places(self.unasked, "division", "C")))
        if self.orphaned:
            notes.append(messages.text("survey.orphaned", 件数=len(self.orphaned), 日付=format_wareki(self.on),
                                       場所=places(self.orphaned, "division", "C")))
        if self.cases:
            notes.append(messages.text("survey.cases_unasked", 件数=len(self.cases), 日付=format_wareki(self.on),
                                       場所=places(self.cases, "divisions", "D")))
        return notes


def plan(book: Book, year: int, divisions: list[str] | None = None, *,
         now: dt.datetime | None = None, on: dt.date | None = None) -> Survey:
    """The 照会票 of `year` for every 課 valid on `on` (the day the survey is made; default the
    day of `now`), or the `divisions` named, in chart order, from one pass over the register. A
    linkage of a 課 closed by then (組織改正) goes on the form of each 課 that took it over
    (xlkit.org.takers), under its name as registered; the form says so (`Form.inherited`). The
    approved cases still without a linkage (xlkit.rules.cases_without_linkage) go on the forms
    of their 担当課 (or of the 課 that took it over)."""
    from .errors import Refusal

    if not book.register_id:
        raise Refusal("survey.no_register_id")
    if now is None:  # a survey made as of `on` is issued that day: collect reads its 課 of that day back
        now = dt.datetime.now() if on is None else dt.datetime.combine(on, dt.datetime.now().time())
    on = on or now.date()
    entries = book.org
    open_now = org.current(entries, on)
    known = {cells.fold(d.name): (d.name, d.body) for d in open_now}
    if divisions:
        on_sheet = org.names(entries)
        unknown = [d for d in divisions if cells.fold(d) not in on_sheet]
        if unknown:
            raise Refusal("survey.unknown_division", 課="、".join(unknown))
        closed = [d for d in divisions if cells.fold(d) not in known]
        if closed:
            raise Refusal("survey.closed_division", 課="、".join(closed), 日付=format_wareki(on))
        wanted = list(dict.fromkeys(known[cells.fold(d)] for d in divisions))
    else:
        wanted = list(dict.fromkeys(known.values()))
    due = book.settings.get("survey_due")
    department = book.settings.get("department") or ""
    active: dict[str, list[dict]] = {}
    inherited: dict[str, dict[str, int]] = {}
    placed, unasked, orphaned = _placements(book, entries, year, on)
    for rec, takers in placed:
        for taker in takers:
            active.setdefault(cells.fold(taker), []).append(rec.values)
            if cells.fold(taker) != cells.fold(rec.get("division")):
                counts = inherited.setdefault(cells.fold(taker), {})
                counts[rec.get("division")] = counts.get(rec.get("division"), 0) + 1
    _check_ids(book, [rec for rec, _ in placed])
    pending: dict[str, list[CaseRow]] = {}
    unlisted = []
    for rec in rules.cases_without_linkage(book):
        row = CaseRow(case_ref(rec), case_title(rec), fingerprint(rec.values, case_keys()), case_snapshot(rec.values))
        listed = False
        for division in dict.fromkeys(rec.get("divisions", ())):
            for taker in org.takers(entries, division, on, rec.get("submitted_on")) or [division]:
                listed = listed or cells.fold(taker) in known
                if row not in pending.get(cells.fold(taker), []):
                    pending.setdefault(cells.fold(taker), []).append(row)
        if not listed:  # its 担当課 off the 課 sheet, or closed with no 課 carrying it on
            unlisted.append(rec)
    made = [Form(division, body, year, book.register_id, uuid.uuid4().hex, now,
                 due if isinstance(due, dt.date) else None, str(department),
                 active.get(cells.fold(division), []), pending.get(cells.fold(division), []),
                 inherited.get(cells.fold(division), {}))
            for division, body in wanted]
    return Survey(made, on, unasked, orphaned, unlisted)


def division_choices(book: Book, on: dt.date) -> list[str]:
    """The 課 a form made on `on` offers for its new rows: each 課 valid that day once, in chart
    (sheet) order. A closed 課 is not offered: collect refuses a new row typed with it."""
    names: dict[str, str] = {}
    for d in org.current(book.org, on):
        names.setdefault(cells.fold(d.name), d.name)
    return list(names.values())


def _active(rec: Record, year: int) -> bool:
    return active_in(rec, year - 1) or active_in(rec, year)


def asked(book: Book, year: int) -> list[Record]:
    """The linkages a form of `year` asks about: active in N−1 or N, with a 課. 本人同意 rows too:
    they are not counted, but they are linkages whose end staff must know."""
    return [rec for rec in book.linkages if rec.get("division") and _active(rec, year)]


def _placements(book: Book, entries: list[org.Division], year: int,
                on: dt.date) -> tuple[list[tuple[Record, list[str]]], list[Record], list[Record]]:
    """One pass over the linkages active in N−1 or N: (each linkage a form lists, with the 課
    valid on `on` whose forms list it), the linkages whose 課 is not on the 課 sheet, and those
    whose 課 is but was closed by `on` with no 課 carrying it on (abolished without a successor,
    or not begun yet). A linkage is listed by its own 課, or by those that took it over
    (xlkit.org.takers from the row of its 課 valid on its 開始日: a name with several periods
    gives each linkage the 課 of its own period)."""
    on_sheet = org.names(entries)
    placed: list[tuple[Record, list[str]]] = []
    unasked: list[Record] = []
    orphaned: list[Record] = []
    rows: dict[str, list[org.Division]] = {}
    takers: dict[tuple, list[str]] = {}
    for rec in book.linkages:
        if not _active(rec, year):
            continue
        division = rec.get("division")
        if cells.fold(division or "") not in on_sheet:  # a blank 課 too
            unasked.append(rec)
            continue
        if division not in rows:
            rows[division] = org.entries(entries, division)
        start = rec.get("start")  # a date cell is read as a date (or not at all)
        # the rows its 開始日 falls in (keyed by them: a survey of 10,000 rows asks each name a few times)
        key = (division, tuple(id(d) for d in rows[division] if start is not None and d.valid_on(start)))
        if key not in takers:
            takers[key] = org.takers(entries, division, on, start)
        if takers[key]:
            placed.append((rec, takers[key]))
        else:
            orphaned.append(rec)
    return placed, unasked, orphaned


def _check_ids(book: Book, records: list[Record]) -> None:
    """A form names each row by its 管理番号: a blank or repeated one could never be matched back."""
    from .errors import Refusal

    by_id: dict[str, list[Record]] = {}
    for rec in records:
        by_id.setdefault(cells.fold(rec.get("id") or ""), []).append(rec)
    bad = sorted((rec.row, f"{rec.sheet}!{rec.letters.get('id', 'A')}{rec.row}") for id_, group in by_id.items()
                 if not id_ or len(group) > 1 for rec in group)
    bad = [cell for _, cell in bad]
    if bad:
        raise Refusal("survey.ids", 場所="、".join(messages.first(bad, 10)))


# --------------------------------------------------------------------------- reading an answer


@dataclass
class Continuing:
    """One row of 継続中の外部結合 as answered."""

    row: int  # the form's row
    id: str
    issued: dict[str, Any]  # the typed values of the row's locked cells
    end: Any  # the typed end date answered (None: blank)
    end_raw: Any  # as typed, for messages
    issued_end: str  # the end date at issue (ISO), "" when there was none
    change: str | None  # 変更内容
    letters: dict[str, str]  # form column letters


@dataclass
class NewRow:
    """One filled row of 新規の外部結合."""

    row: int
    record: Record  # typed on the form: sheet is NEW, letters the form's
    case: str | None  # the pre-listed case it completes, when it was pre-listed


@dataclass
class Answer:
    """A 照会票 as read back: who answered, and what."""

    file: str
    identity: dict[str, Any]
    respondent: dict[str, Any]
    continuing: list[Continuing]
    new: list[NewRow]
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, cell, message)
    cases: dict[str, tuple[str, str]] = field(default_factory=dict)  # ref -> (fingerprint, snapshot) at issue
    notes: list[tuple[str, str, str, str]] = field(default_factory=list)  # (sheet, cell, case, 備考) of cases not started

    @property
    def division(self) -> str:
        return str(self.identity.get("division", ""))

    @property
    def year(self) -> int | None:
        year = self.identity.get("year")
        return year if isinstance(year, int) else None

    @property
    def form_id(self) -> str:
        return str(self.identity.get("form_id", ""))

    @property
    def issued(self) -> dt.date | None:
        """The day the form was made (its 課 dropdown offers the 課 valid that day); None when unreadable."""
        try:
            return dt.datetime.strptime(str(self.identity.get("issued")), ISSUED).date()
        except ValueError:
            return None

    @property
    def who(self) -> str:
        """The 回答者 as 変更履歴 records them: 担当者（内線 1234）."""
        return respondent_label(cells.display(self.respondent.get("name")).strip(),
                                cells.display(self.respondent.get("extension")).strip())

    @property
    def blank(self) -> bool:
        """Nothing answered: the form as survey wrote it (the file sent out, or a copy of it)."""
        answered = any(c.change or (canonical(c.end) or "") != c.issued_end or c.end_raw is not None and c.end is None
                       for c in self.continuing)
        typed = any(cells.display(v).strip() for v in self.respondent.values() if v is not None)
        return not (answered or self.new or self.notes or self.problems or typed)

    def content(self) -> str:
        """What the form answers, as a fingerprint: two copies of one answer are equal."""
        data = [[(c.id, canonical(c.end), c.change or "") for c in self.continuing],
                [(n.case, {k: canonical(v) for k, v in sorted(n.record.values.items())}) for n in self.new]]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, default=str).encode()).hexdigest()


def respondent_label(name: str, extension: str) -> str:
    """担当者（内線 1234）, as 変更履歴 and the collect report name a respondent."""
    return f"{name}（内線 {extension}）" if extension else name


def read_answer(book: Book, grids: dict[str, list[list]], name: str) -> Answer:
    """The answer in a form's sheets (name -> 2-D list of values). Raises FormRefused when the
    workbook is no 照会票, or its locked parts were changed; cell problems are in `problems`."""
    for sheet in (IDENTITY, CONTINUING, NEW, HOWTO):
        if sheet not in grids:
            raise FormRefused(messages.text("collect.not_a_form", シート=sheet))
    identity, table = _identity(grids[IDENTITY])
    if identity.get("kind") != KIND:
        raise FormRefused(messages.text("collect.not_a_form", シート=IDENTITY))
    version = identity.get("version")
    if isinstance(version, int) and version > FORM_VERSION:
        raise FormRefused(messages.text("collect.form_version", 版=version, 対応=FORM_VERSION))
    for key, label in ((k, lab) for lab, k in ID_ITEMS.items()):
        if identity.get(key) in (None, ""):
            raise FormRefused(messages.text("collect.identity_unreadable", 項目=label), _named(identity))
    if identity.get("seal") != seal(_sealed_rows(grids[IDENTITY])):
        raise FormRefused(messages.text("collect.locked_changed", シート=IDENTITY, セル="（照会票の情報）"), _named(identity))
    _check_lengths(grids, identity)
    for sheet, headers in ((CONTINUING, continuing_headers()), (NEW, new_headers())):
        found = [cells.display(v).strip() for v in (grids[sheet][0] if grids[sheet] else [])]
        while found and not found[-1]:
            found.pop()
        expected = table.get((ROW_HEADERS, sheet, 1))
        if found != headers or expected is None or expected[0] != headers_fingerprint(found):
            raise FormRefused(messages.text("collect.locked_changed", シート=sheet, セル="1行目（見出し）"), _named(identity))
    problems: list = []
    answer = Answer(name, identity, _respondent(grids[HOWTO], problems), [], [], problems)
    for sheet, read in ((CONTINUING, _read_continuing), (NEW, _read_new)):
        # each sheet typed as the register types its rows, with the register's masters
        shadow = book.shadow()
        try:
            read(shadow, grids[sheet], table, answer)
        except FormRefused as refused:  # the 課 is known: 回答状況 lists the refusal on its line
            raise FormRefused(refused.reason, answer.division) from None
        except CellTooLong as long:  # the register's reader found it: said of the form's own sheet
            raise FormRefused(messages.text("collect.too_long", シート=sheet, セル=long.cell, 文字数=f"{long.length:,}",
                                            上限=f"{long.most:,}"), answer.division) from None
        for issue in shadow.issues:  # cells the register's reader could not type (a date R3.13.1 …)
            if issue.code.startswith("header-") and issue.code != "header-blank":  # headers proven above
                continue
            answer.problems.append((sheet, issue.cell, issue.message))
    return answer


def _named(identity: dict[str, Any]) -> str:
    return str(identity.get("division") or "")


def _sealed_rows(grid: list[list]) -> list[list]:
    """The identity sheet's rows as `Form.identity` sealed them: every row but the seal's, blank rows out."""
    return [row for row in grid if not row or cells.display(row[0]).strip() != SEAL]


def _check_lengths(grids: dict[str, list[list]], identity: dict) -> None:
    """A cell no Excel cell can hold, among those the register's reader does not type (its own
    columns it refuses itself: CellTooLong): 記入のしかた, 照会票情報, and the columns after the
    register's (変更内容, 参考：審議案件)."""
    from .addresses import column_letter
    from .limits import current

    most = current().cell_chars
    ours = {CONTINUING: len(continuing_columns()), NEW: len(new_columns())}
    for sheet, grid in grids.items():
        first = ours.get(sheet, 0)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row[first:], start=first):
                if type(value) is str and len(value) > most:
                    raise FormRefused(messages.text("collect.too_long", シート=sheet, セル=f"{column_letter(c)}{r}",
                                                 文字数=f"{len(value):,}", 上限=f"{most:,}"), _named(identity))


def _identity(grid: list[list]) -> tuple[dict[str, Any], dict[tuple, tuple]]:
    identity: dict[str, Any] = {}
    table: dict[tuple, tuple] = {}
    rows = iter(grid)
    for row in rows:
        label = cells.display(row[0]).strip() if row else ""
        if label == ROWS_HEADER[0]:
            break
        if label == SEAL and len(row) > 1:
            identity["seal"] = cells.display(row[1]).strip()
        if label in ID_ITEMS and len(row) > 1:
            value = row[1]
            if ID_ITEMS[label] in ("version", "year"):
                try:  # 1, 1.0 and 「1」 alike; "inf" or 1e400 is no number of ours
                    value = cells.integer(value)
                except cells.CellError:
                    value = None
            else:
                value = cells.display(value).strip()
            identity[ID_ITEMS[label]] = value
    for row in rows:
        row = list(row) + [None] * (len(ROWS_HEADER) - len(row))
        kind, sheet = cells.display(row[0]).strip(), cells.display(row[1]).strip()
        try:
            number = cells.integer(row[2])
        except cells.CellError:
            continue
        if number is None:
            continue
        table[(kind, sheet, number)] = (cells.display(row[4]).strip(), cells.display(row[3]).strip(),
                                        cells.display(row[5]).strip())
    return identity, table


def _respondent(grid: list[list], problems: list) -> dict[str, Any]:
    """The 回答者 block: each label in any cell, its value in the cell to the right."""
    from .addresses import column_letter

    found: dict[str, Any] = {}
    for r, row in enumerate(grid, start=1):
        for i, value in enumerate(row[:-1]):
            label = cells.display(value).strip().rstrip("：:")
            if label in RESPONDENT and RESPONDENT[label] not in found:
                found[RESPONDENT[label]] = row[i + 1]
                if len(cells.display(row[i + 1])) > RESPONDENT_CHARS:
                    problems.append((HOWTO, f"{column_letter(i + 1)}{r}", messages.text(
                        "collect.respondent_too_long", 項目=label, 上限=RESPONDENT_CHARS)))
                    found[RESPONDENT[label]] = None
    answered = found.get("answered_on")
    if answered is not None:
        try:
            found["answered_on"] = cells.PREPARERS["date"](answered)
        except cells.CellError:
            found["answered_on"] = None
    return found


def _typed_rows(shadow: Book, grid: list[list]):
    """The form's rows typed as the register types them (its header row first)."""
    return stream_register(shadow, schema.linkage(), iter(grid))


def _read_continuing(shadow: Book, grid: list[list], table: dict, answer: Answer) -> None:
    keys = locked_keys()
    change_col = len(continuing_headers()) - 1
    expected_rows = {number for kind, sheet, number in table if kind == ROW_LINKAGE and sheet == CONTINUING}
    seen = set()
    for record, _ in _typed_rows(shadow, grid):
        row = record.row
        entry = table.get((ROW_LINKAGE, CONTINUING, row))
        if entry is None:
            raise FormRefused(messages.text("collect.locked_changed", シート=CONTINUING, セル=f"{row}行目（行が増えています）"))
        seen.add(row)
        if fingerprint(record.values, keys) != entry[0]:  # only a hash was kept: the row is named
            raise FormRefused(messages.text("collect.locked_changed", シート=CONTINUING, セル=f"{row}行目"))
        line = grid[row - 1] if row - 1 < len(grid) else []
        change = line[change_col] if len(line) > change_col else None
        change = cells.text(change) if not cells.is_blank(change) else None
        answer.continuing.append(Continuing(row, entry[1], {k: record.values.get(k) for k in keys},
                                            record.values.get("end"), record.raw.get("end"), entry[2], change,
                                            record.letters))
    missing = sorted(expected_rows - seen)
    if missing:
        raise FormRefused(messages.text("collect.locked_changed", シート=CONTINUING, セル=f"{missing[0]}行目（行が消されています）"))


def _read_new(shadow: Book, grid: list[list], table: dict, answer: Answer) -> None:
    case_col = len(new_headers()) - 1
    prelisted = {number: entry for (kind, sheet, number), entry in table.items() if kind == ROW_CASE and sheet == NEW}
    for number, entry in prelisted.items():
        answer.cases[entry[1]] = (entry[0], entry[2])
    seen = set()
    for record, _ in _typed_rows(shadow, grid):
        row = record.row
        entry = prelisted.get(row)
        if entry is not None:
            seen.add(row)
            ref = entry[1]
            if cells.fold(cells.display(record.raw.get("case_ref"))) != cells.fold(ref):
                raise FormRefused(messages.text("collect.locked_changed", シート=NEW,
                                                セル=f"{record.letters.get('case_ref', '')}{row}"))
            # a pre-listed case left as issued is not an answer yet; a 備考 alone is a note to staff
            if not set(record.raw) - {"case_ref", "division", "note"}:
                if record.raw.get("note"):
                    answer.notes.append((NEW, f"{record.letters['note']}{row}", ref, cells.display(record.raw["note"])))
                continue
            answer.new.append(NewRow(row, record, ref))
            continue
        if not set(record.raw) - {"division"}:  # an untouched typing row: only its pre-filled 課
            continue
        answer.new.append(NewRow(row, record, None))
    for number in prelisted:
        line = grid[number - 1] if number - 1 < len(grid) else []
        if number not in seen and not (len(line) > case_col and not cells.is_blank(line[case_col])):
            raise FormRefused(messages.text("collect.locked_changed", シート=NEW, セル=f"{number}行目（行が消されています）"))
