"""The rules beyond the schema: masters, typos, duplicates, dates against years, the two
registers against each other, and last year's published figures. Each has a stable code,
catalogued with its severity in xlkit/data/rules.json (xlkit.issues); docs/DOMAIN.md §6
lists them by stage.

Every rule reads `Record.values` (prepared by xlkit.register): a cell that could not be
read is not there and was reported once already (an Excel error value #N/A too, as
cell-error-value), so no rule reports it again. One-cell rules (`cell_judges`) run once per distinct value of a column, from xlkit.validation.

Decisions:

* year-late-no-reason: any non-empty 備考 counts as the reason. The checker cannot judge a
  reason's wording, and staff write it many ways (the report's omission remark, 前年度報告漏れ, R3判明 …).
* linkage-duplicate: the same 課, 業務名, 結合の相手方, 開始年月日 *and* 記録項目 (after folding).
  Without 記録項目 the real R2 register's two 医療保険年金課 / 国民健康保険 /
  LGWAN-ASPサービス事業者 / R2.4.1 linkages, which carry different data, would be flagged.
* division-body points at the 課 cell and names both; either cell may be the wrong one.
* year-before-start applies to every row; new-not-active and year-late-no-reason skip 本人同意
  rows, which are never counted. A row whose end is before its start gets date-order only.
* case-year-mismatch: 年度 is defined as the year the case was deliberated, i.e. the 年度 of
  its 付議日 (the 資料 lists №1–22 of 令和6年度 and №23– of 令和7年度 together).
* case-without-linkage is asked only of a register that uses 関連審議案件 at all, and only
  for cases from the first 年度 any linkage cites: older cases predate the practice (the
  sample's 令和2年度 linkages and 令和7年度 cases). 継続審議 and the like are not asked.
* previous-mismatch compares 設定's 前年度公表値 with a from xlkit.figures for 報告年度;
  nothing is compared when either is missing.
* division-period / division-renamed (組織改正, xlkit.org): a row keeps the 課 name it was typed
  with, so a row wholly inside its name's period is right, even long after the name ended. A
  row none of whose days falls in the name's period(s) is a warning when the 課 sheet says for
  certain which name that day had (one successor or one predecessor: the reports print that name),
  else an error; a linkage that began under the name and goes on after its 終了日 is a warning
  only (the reports print each year's name).
  A row that began before its name did (typed with the new name) is fine. Each distinct
  (課, dates) is judged once; a register without periods is not looked at.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from . import cells, datafiles, figures, messages, org, schema
from .dates import fiscal_year, format_wareki, nendo
from .export.layout import omission_remark
from .issues import Issue
from .records import Record
from .records import CATEGORY_SHEET, PROVISION_CATEGORY, RESULT_SHEET, Book

# findings drawn from a cell's value, left out when that cell has an error of its own (validate):
# 案件の№ 0 is schema-minimum, not also a case that does not exist
ON_CELL_VALUE = frozenset({"case-without-linkage", "provision-case-unknown"})

CASE_REF = re.compile(r"^([0-9]{4})-([0-9]+)$")


def case_key(ref) -> tuple[int, int] | None:
    """関連審議案件 as the (年度, №) it names: 2025-12, ２０２５－１２ and 2025-012 alike; None when blank
    or not of that form. Every reader of the column compares these, never the text."""
    m = CASE_REF.match(cells.fold(ref)) if isinstance(ref, str) else None
    return (int(m[1]), int(m[2])) if m else None


def check(book: Book) -> list[Issue]:
    """The rules across rows and registers (the one-cell rules are `cell_judges`)."""
    found: list[Issue] = []
    found += check_linkages(book)
    found += check_cases(book)
    found += check_provisions(book)
    found += check_previous(book)
    found += check_periods(book)
    return found


def _issue(rec: Record, key: str, code: str, message: str) -> Issue:
    reg = next(r for r in (schema.linkage(), schema.case(), schema.provision()) if r.sheet == rec.sheet)
    return Issue.make(code, rec.sheet, rec.cell(key), reg.header(key), message, rec.raw.get(key))


def _typed(rec: Record, key: str) -> str:
    """The cell as staff typed it (2020/4/1 for a date cell)."""
    return cells.display(rec.raw.get(key)).strip()


def _others(cells_: list[str], mine: str) -> str:
    return "、".join(c for c in cells_ if c != mine)


# --- one-cell rules, judged once per distinct value of a column (see xlkit.validation) ---------

def cell_judges(book: Book, column: schema.Column) -> list[Callable]:
    """The rules that look at one cell: `judge(raw, value) -> (code, message) | None`."""
    judges = []
    if column.master:
        judges.append(_master_judge(column, book.master(column.master)))
    if column.kind in ("text", "multi"):
        judges.append(_kana_judge)
        judges.append(_invisible_judge)
    if column.kind == "text" and not column.master:
        judges.append(_typo_judge)
    return judges


SUGGESTED = 200  # unknown values per column given a 「…の誤りではありませんか」


def _master_judge(column: schema.Column, master: list[str]):
    known = set(master)
    sheet = column.master
    short = sheet in (CATEGORY_SHEET, RESULT_SHEET) or len(master) <= 8
    guesses = SUGGESTED  # comparing every unknown value with every entry: 3,000 x 3,000 took 116 s

    def unknown_text(value: str) -> str:
        nonlocal guesses
        guess = []
        if guesses > 0:
            guesses -= 1
            guess = difflib.get_close_matches(value, master, n=1, cutoff=0.5)
        text = f"「{value}」は「{sheet}」シートの一覧にありません。"
        if guess:
            text += f"「{guess[0]}」の誤りではありませんか。"
        if short:
            text += f"（{'、'.join(master)} のいずれか）"
        elif not guess:
            text += f"「{sheet}」シートの一覧から選んでください。"
        return text

    def judge(raw, value):
        if column.kind == "multi":
            unknown = [v for v in value if v not in known]
            if unknown:
                return "master-unknown", "".join(unknown_text(v) for v in unknown)
            typed = cells.multi(raw) or []
            variants = [(t, v) for t, v in zip(typed, value) if t != v]
        else:
            if value not in known:
                return "master-unknown", unknown_text(value)
            typed = cells.text(raw)
            variants = [(typed, value)] if typed != value else []
        if variants:
            listed = "、".join(f"「{t}」を「{v}」" for t, v in variants)
            return "master-variant", (f"{listed}と同じものとして確認しました。"
                                      f"「{sheet}」シートと同じ書き方（空白・全角半角も同じ）に直してください。")
        return None

    return judge


# --- text: typos and half-width kana ------------------------------------------------------

@cache
def typos() -> dict[str, str]:
    """Misspelling -> the right spelling, from xlkit/data/typos.json."""
    source, what = "xlkit/data/typos.json", "誤字の一覧"
    data = datafiles.read_json(resources.files("xlkit").joinpath("data", "typos.json"), source, what)
    return datafiles.part(data, "typos", dict, source, what)


def _kana_judge(raw, value):
    if isinstance(raw, str) and not raw.isascii():
        runs = cells._HALF_KANA.findall(raw)
        if runs:
            return "halfwidth-kana", (f"半角カナ・記号「{'」「'.join(runs)}」が入っています。報告書では全角に直して出力しますが、"
                                      "登録簿も全角に直してください。")
    return None


def _invisible_judge(raw, value):
    # isprintable() is False for every Cf and Cc character (and for line breaks and U+3000):
    # the cheapest test that a text has none, and most texts pass it
    if type(raw) is str and not raw.isprintable():
        said = invisible_message(raw)
        if said:
            return "text-invisible-char", said
    return None


POSITIONS_SHOWN = 5  # positions named per character; a pasted run of 40 ZWSPs needs no 40 numbers


def invisible_message(text: str) -> str | None:
    """What text-invisible-char says of `text` (each character, where it is), or None."""
    found = cells.invisible_chars(text)
    if not found:
        return None
    at: dict[str, list[int]] = {}
    for i, ch in found:
        at.setdefault(ch, []).append(i + 1)
    listed = []
    for ch, positions in at.items():
        more = len(positions) - POSITIONS_SHOWN
        listed.append(messages.text(
            "cell.invisible_char", 文字=cells.invisible_name(ch), 位置="・".join(map(str, positions[:POSITIONS_SHOWN])),
            ほか=messages.text("cell.invisible_more", 件数=more) if more > 0 else ""))
    return messages.text("cell.invisible_chars", 文字="、".join(listed))


@cache
def _typo_pattern() -> re.Pattern:
    return re.compile("|".join(map(re.escape, sorted(typos(), key=len, reverse=True))))


def _typo_judge(raw, value):
    if value.isascii():
        return None  # every listed mistake is written in kanji or kana
    hits = dict.fromkeys(_typo_pattern().findall(value))
    if hits:
        mistakes = typos()
        return "typo", "".join(f"「{wrong}」は「{mistakes[wrong]}」の誤りではありませんか。" for wrong in hits)
    return None


# --- 外部結合 ----------------------------------------------------------------------------

# A linkage is the same when its 課, 業務名, 相手方, 開始年月日 and 記録項目 are the same:
# the city records two linkages of one 業務 with one partner on one day (国民健康保険,
# LGWAN-ASPサービス事業者, R2.4.1) that differ only in the data they carry.
SAME_LINKAGE = ("division", "business", "partner", "start", "items")


def same_linkage(values: dict) -> tuple | None:
    """What linkage-duplicate compares (SAME_LINKAGE, folded); None while a key cell is blank
    (reported as required). `xlkit import` asks it too, so that it never adds a duplicate."""
    fold = cells.fold
    try:
        return (fold(values["division"]), fold(values["business"]), fold(values["partner"]), values["start"],
                fold(values.get("items", "")))
    except KeyError:
        return None


def check_linkages(book: Book) -> list[Issue]:
    """The cross-row rules of 外部結合 (docs/DOMAIN.md §6)."""
    reg = schema.linkage()
    present = {c.key for c in reg.columns} - book.missing.get(reg.sheet, set())
    records = book.linkages
    found = []
    found += _duplicates(records, "id", lambda v: cells.fold(v["id"]) if "id" in v else None,
                         lambda rec, others: (f"管理番号「{rec.values['id']}」が重複しています（ほかに {others}）。"
                                              "管理番号は行ごとに別の番号にしてください。"),
                         "id-duplicate")
    if set(SAME_LINKAGE) <= present:
        found += _duplicates(records, "business", same_linkage,
                             lambda rec, others: ("結合を行った課・業務名・結合の相手方・開始年月日・記録項目が同じ外部結合が"
                                                  f"ほかの行にもあります（{others}）。同じ外部結合を2回入力していないか確認してください。"),
                             "linkage-duplicate", rows=True)

    body_of = {cells.fold(d): b for d, b in book.divisions}
    bodies = set(book.bodies)
    for rec in records:
        v = rec.values
        division, body = v.get("division"), v.get("body")
        if division and body in bodies and cells.fold(division) in body_of:
            owner = body_of[cells.fold(division)]
            if owner != body:
                found.append(_issue(rec, "division", "division-body",
                                    f"「{division}」は「{owner}」の課です（この行の実施機関は「{body}」）。"
                                    "実施機関か課のどちらかを直してください。"))
        start, end, fy = v.get("start"), v.get("end"), v.get("fiscal_year")
        if start and end and end < start:
            found.append(_issue(rec, "end", "date-order",
                                f"終了年月日「{_typed(rec, 'end')}」が開始年月日「{_typed(rec, 'start')}」より前です。"
                                "開始・終了の日付を確認してください。"))
            continue  # the year rules below would only repeat this mistake
        if not start or fy is None:
            continue
        started = fiscal_year(start)
        if fy < started:
            found.append(_issue(rec, "fiscal_year", "year-before-start",
                                f"計上年度「{_typed(rec, 'fiscal_year')}」（{nendo(fy)}）が開始年月日「{_typed(rec, 'start')}」の年度"
                                f"（{nendo(started)}＝{started}）より前です。計上年度は開始年月日の年度以後にしてください。"))
            continue
        if not figures.counted(v):
            continue  # 本人同意 linkages take no part in the figures
        if not figures.active_in(v, fy):
            found.append(_issue(rec, "fiscal_year", "new-not-active",
                                f"計上年度「{_typed(rec, 'fiscal_year')}」（{nendo(fy)}）に新たな結合（b）として計上されますが、"
                                f"この外部結合は終了年月日「{_typed(rec, 'end')}」のため{nendo(fy)}中に結合していません。"
                                "計上年度か終了年月日を確認してください。"))
        elif fy > started and not v.get("note"):
            found.append(_issue(rec, "fiscal_year", "year-late-no-reason",
                                f"計上年度「{_typed(rec, 'fiscal_year')}」（{nendo(fy)}）が開始年月日「{_typed(rec, 'start')}」の年度"
                                f"（{nendo(started)}）より後です。理由（{omission_remark()} など）を備考に記入してください。"))
    return found


def _duplicates(records: list[Record], key: str, group_key: Callable, message: Callable, code: str,
                *, rows: bool = False) -> list[Issue]:
    groups: dict = {}
    for rec in records:
        k = group_key(rec.values)
        if k is not None:
            groups.setdefault(k, []).append(rec)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        places = [f"{r.row}行目" if rows else r.cell(key) for r in group]
        for rec, place in zip(group, places):
            found.append(_issue(rec, key, code, message(rec, _others(places, place))))
    return found


# --- 審議案件 ----------------------------------------------------------------------------

def check_cases(book: Book) -> list[Issue]:
    """The cross-row rules of 審議案件, and the two registers against each other."""
    found = []
    cases = book.cases
    found += _duplicates(cases, "no",
                         lambda v: (v["fiscal_year"], v["no"]) if "fiscal_year" in v and "no" in v else None,
                         lambda rec, others: (f"{rec.values['fiscal_year']}年度（{nendo(rec.values['fiscal_year'])}）の"
                                              f"№「{rec.values['no']}」が重複しています（ほかに {others}）。"
                                              "№は年度ごとに別の番号にしてください。"),
                         "case-no-duplicate")
    for rec in cases:
        fy, day = rec.values.get("fiscal_year"), rec.values.get("submitted_on")
        if fy is not None and day is not None and fiscal_year(day) != fy:
            found.append(_issue(rec, "fiscal_year", "case-year-mismatch",
                                f"年度「{_typed(rec, 'fiscal_year')}」（{nendo(fy)}）が付議日「{_typed(rec, 'submitted_on')}」の年度"
                                f"（{nendo(fiscal_year(day))}＝{fiscal_year(day)}）と違います。年度か付議日を確認してください。"))

    by_key = _cases_by_key(book)
    for rec in book.linkages:
        ref = rec.values.get("case_ref")
        key = case_key(ref)
        if key is None:
            continue  # blank, or not in the 2025-12 form (reported by the schema)
        if key not in by_key and CASE_REF.match(ref):  # a full-width ２０２５－１ is reported by the schema
            found.append(_issue(rec, "case_ref", "case-ref-unknown",
                                f"関連審議案件「{ref}」に当たる審議案件（{key[0]}年度の№{key[1]}）が"
                                "「審議案件」シートにありません。年度（西暦）と№を確認してください。"))
    linkage_categories = book.linkage_categories
    for rec in sorted(cases_without_linkage(book), key=_case_of):
        v, key = rec.values, _case_of(rec)
        found.append(_issue(rec, "categories", "case-without-linkage",
                            f"{'・'.join(sorted(linkage_categories & set(v['categories'])))}を{v['result']}した案件（{key[0]}年度の№{key[1]}）ですが、関連審議案件に"
                            f"「{key[0]}-{key[1]}」と入力した外部結合がありません。外部結合の行の入力漏れがないか確認してください。"))
    return found


def _case_of(rec: Record) -> tuple[int, int]:
    return rec.values["fiscal_year"], rec.values["no"]


def _cases_by_key(book: Book) -> dict[tuple[int, int], Record]:
    """The cases by (年度, №); of a № typed twice (case-no-duplicate), the lower row."""
    return {_case_of(r): r for r in book.cases if "fiscal_year" in r.values and "no" in r.values}


def cases_without_linkage(book: Book) -> list[Record]:
    """The approved cases whose 区分 call for a linkage and that no linkage cites in 関連審議案件
    (compared as case_key reads it), in register order: what case-without-linkage warns of and
    what the spring survey pre-lists on each 担当課's form (xlkit.inquiry), decided once here.

    Only a register that links linkages to cases can miss a link: when no linkage cites a case,
    none is asked for (a register not using the column would otherwise be asked for every
    case it ever approved). Cases from before the first 年度 any linkage cites are older than
    that practice and are not asked for either. Which 審議結果 approve and which 区分 call for a
    linkage are the master sheets' ○ column; a register without the 区分 column asks nothing."""
    cited = {key for rec in book.linkages if (key := case_key(rec.values.get("case_ref"))) is not None}
    if not cited:
        return []
    first = min(y for y, _ in cited)
    approving, linkage_categories = book.approving_results, book.linkage_categories
    kept = {id(rec) for rec in _cases_by_key(book).values()}
    return [rec for rec in book.cases
            if id(rec) in kept and _case_of(rec)[0] >= first and _case_of(rec) not in cited
            and rec.values.get("result") in approving
            and linkage_categories.intersection(rec.values.get("categories", ())) and "categories" in rec.letters]


# --- 外部提供 ----------------------------------------------------------------------------

PROVISION_CELLS_SHOWN = 5


def provisions_by_case(book: Book) -> dict[tuple[int, int], list[Record]]:
    """The 外部提供 rows by the (年度, №) of the case they belong to, in sheet order; rows whose
    年度 or № is blank or unreadable belong to none (reported at their cells)."""
    found: dict[tuple[int, int], list[Record]] = {}
    for rec in book.provisions:
        fy, no = rec.values.get("fiscal_year"), rec.values.get("case_no")
        if isinstance(fy, int) and isinstance(no, int):
            found.setdefault((fy, no), []).append(rec)
    return found


def check_provisions(book: Book) -> list[Issue]:
    """外部提供 against 審議案件: a row naming no case (an error: it would be printed nowhere), a case
    with provisions whose 区分 lacks 外部提供, provisions over more than one 年度 under one default
    period line, and a table title or period typed for a case without provisions (warnings)."""
    found = []
    cases = _cases_by_key(book)
    groups = provisions_by_case(book)
    for key, rows in groups.items():
        if key in cases:
            continue
        for rec in rows:
            found.append(_issue(rec, "case_no", "provision-case-unknown", messages.text(
                "provision.case_unknown", 年度=key[0], 和暦=nendo(key[0]), 番号=key[1], シート=schema.case().sheet)))
    folded = {cells.fold(c) for c in book.categories}
    asks_category = cells.fold(PROVISION_CATEGORY) in folded
    for key, rec in sorted(cases.items()):
        rows = groups.get(key, [])
        v = rec.values
        places = "、".join(messages.first([r.cell("case_no") for r in rows], PROVISION_CELLS_SHOWN))
        where = f"{schema.provision().sheet}!{places}"
        if rows and asks_category and "categories" in v and \
                cells.fold(PROVISION_CATEGORY) not in {cells.fold(c) for c in v["categories"]}:
            found.append(_issue(rec, "categories", "provision-category", messages.text(
                "provision.category", 年度=key[0], 番号=key[1], 件数=len(rows), 場所=where, 区分=PROVISION_CATEGORY)))
        years = sorted({fiscal_year(d) for r in rows if isinstance(d := r.values.get("provided_on"), dt.date)})
        if len(years) > 1 and "provision_period" not in rec.raw and "provision_period" in rec.letters:
            found.append(_issue(rec, "provision_period", "provision-period-span", messages.text(
                "provision.period_span", 年度="・".join(nendo(y) for y in years), 場所=where)))
        if not rows and schema.provision().sheet in book.columns:  # no sheet: provision-sheet-missing says it
            for column in ("provision_title", "provision_period"):
                if column in v:
                    found.append(_issue(rec, column, "provision-none", messages.text(
                        "provision.none", 列=schema.case().header(column), 年度=key[0], 番号=key[1],
                        シート=schema.provision().sheet)))
    return found


# --- 設定: last year's published figures ---------------------------------------------------

def check_previous(book: Book) -> list[Issue]:
    """The report year's a against 設定's 前年度公表値 (docs/DOMAIN.md §3 R9)."""
    previous = book.settings.get("previous_published") or {}
    year = book.settings.get("report_year")
    if not previous or not isinstance(year, int):
        return []
    result = figures.compute(book.linkages, year, book.bodies, [d for d, _ in book.divisions])
    header = schema.settings().header("previous_published")
    found = []
    for body, published, a in figures.compare_previous(result, previous):
        cell = book.setting_cells.get(f"previous_published.{body}", "")
        found.append(Issue.make("previous-mismatch", schema.settings().sheet, cell, schema.per_body_title(header, body),
                                figures.previous_note(body, year, published, a), published))
    return found


# --- 組織改正: a row's 課 against the period of its name ----------------------------------------

def check_periods(book: Book) -> list[Issue]:
    """division-period and division-renamed for 外部結合's 課 and 審議案件's 担当課 (see the module
    docstring). Only names with a period are looked at; a name on no row of the 課 sheet is
    master-unknown's."""
    entries = book.org
    limited: dict[str, list[org.Division]] = {}
    for entry in entries:
        limited.setdefault(cells.fold(entry.name), []).append(entry)
    limited = {name: rows for name, rows in limited.items() if any(d.dated for d in rows)}
    if not limited:
        return []
    folded: dict[str, str] = {}
    verdicts: dict[tuple, tuple[str, str] | None] = {}

    def periods(name) -> list[org.Division] | None:
        if not isinstance(name, str):
            return None
        key = folded.get(name)
        if key is None:
            key = folded[name] = cells.fold(name)
        return limited.get(key)

    found = []
    for rec in book.linkages:
        division, start = rec.values.get("division"), rec.values.get("start")
        rows = periods(division)
        if rows is None or not isinstance(start, dt.date):
            continue
        end = rec.values.get("end")
        end = end if isinstance(end, dt.date) else None
        if end is not None and end < start:
            continue  # date-order's
        key = (division, start, end)
        if key not in verdicts:
            verdicts[key] = _linkage_period(entries, division, rows, start, end)
        if verdicts[key]:
            found.append(_issue(rec, "division", *verdicts[key]))
    for rec in book.cases:
        day = rec.values.get("submitted_on")
        if not isinstance(day, dt.date):
            continue
        for key in ("divisions", "sheet_divisions"):  # the 別紙's 担当課 names a 課 of the same day
            said = []
            for division in rec.values.get(key) or ():
                rows = periods(division)
                if rows is not None and not any(d.valid_on(day) for d in rows):
                    said.append(_outside(entries, division, rows, day, f"付議日（{format_wareki(day)}）"))
            if said:
                code = "division-period" if any(c == "division-period" for c, _ in said) else "division-renamed"
                found.append(_issue(rec, key, code, "".join(text for _, text in said)))
    return found


def _outside(entries, division: str, rows: list[org.Division], day: dt.date, what: str) -> tuple[str, str]:
    """A name used on a day outside its period(s): a warning when the 課 sheet says for certain
    which name that day had (one successor, or one predecessor) — the reports print that name —
    else an error."""
    meant = org.name_on(entries, division, day)
    if cells.fold(meant) != cells.fold(division) and org.valid(entries, meant, day):
        older = any(d.valid_to is not None and d.valid_to < day for d in rows)  # used before: 改正前
        return "division-renamed", (
            f"{'組織改正前' if older else '組織改正後'}の課名です。課「{division}」は{org.period_text(rows)}の課名で、"
            f"この行の{what}の課名は「{meant}」です。報告書には年度ごとにその年度の課名を出力します。")
    text = f"課「{division}」は{org.period_text(rows)}の課名です。この行の{what}には使われていません。"
    if cells.fold(meant) != cells.fold(division):
        text += f"その日の課名は「{meant}」です。"
    return "division-period", text + "課名か日付を確認してください。"


def _linkage_period(entries, division: str, rows: list[org.Division], start: dt.date,
                    end: dt.date | None) -> tuple[str, str] | None:
    span = org.Division(division, "", start, end)
    if not any(org.overlaps(d, span) for d in rows):
        shown = f"開始年月日〜終了年月日（{format_wareki(start)}〜{format_wareki(end) if end else '継続中'}）"
        return _outside(entries, division, rows, start, shown)
    if any(d.valid_to is None for d in rows):
        return None
    last = max(rows, key=lambda d: d.valid_to)
    if end is not None and end <= last.valid_to:
        return None
    after = last.valid_to + dt.timedelta(days=1)
    names = "・".join(f"「{s}」" for s in last.successors)
    if len(last.successors) == 1:
        told = (f"{format_wareki(after)}からは{names}に引き継がれています。この外部結合はその後も続いているため、"
                "報告書には年度ごとにその年度の課名を出力します。")
    elif last.successors:
        told = (f"{format_wareki(after)}から{names}に分かれました（分割）。どの課に引き継がれたか決まらないため、"
                "報告書にはこの課名のまま出力します。引き継いだ課を確かめてください。")
    else:
        told = "後継の課が「課」シートにないため、報告書にはこの課名のまま出力します。"
    return "division-renamed", (f"組織改正前の課名です。課「{division}」は{format_wareki(last.valid_to)}までの課名で、"
                                + told)
