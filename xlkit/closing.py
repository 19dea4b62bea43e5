"""年度締め: what closing 設定's 報告年度 decides, before anything is written (pure).

Closing year N fixes what was published to the 審議会: N's a + b − c per 実施機関 become 設定's
前年度公表値 (next year's a must equal them), N is added to 締めた年度 and 報告年度 becomes N+1.
The register must have no validation error and a 報告日, and N must not be closed already.
The files that prove what was published (the 確定 folder) are written by xlkit.closing_tasks;
this module also gives their figures file and their SHA-256 list, and the lines staff read before
and after (Closing.lines, done_lines), so both doors write and say the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cells, history, messages, schema
from . import figures as fig
from .addresses import split_cell
from .dates import format_wareki, nendo
from .errors import Refusal
from .issues import ERROR
from .records import Book
from .tasks import ErrorsRefusal, Summary, report_year, summary
from .validation import Findings, validate_book

FOLDER = "確定"  # beside the register: 確定/<年度>/ holds what year N published
MANIFEST = "ハッシュ値一覧.txt"  # sha256sum's format: `sha256sum -c` (or certutil) checks the folder


@dataclass(frozen=True)
class SettingChange:
    """One 設定 value closing changes: its schema key (per-body values as previous_published.区長),
    the title staff see in column A, its B cell, the value before and after."""

    key: str
    title: str
    cell: str
    old: Any
    new: Any

    @property
    def column(self) -> schema.Column:
        """The 設定 item's schema column (前年度公表値's for every 実施機関)."""
        return schema.settings().column(self.key.partition(".")[0])

    def cell_value(self, value: Any) -> Any:
        """`value` as its cell holds it: a list joined with the column's separator (cells.cell_value)."""
        return cells.cell_value(value, separator=self.column.separator)

    def shown(self, value: Any) -> str:
        """`value` as staff read it in the question: a list joined as in its cell, a date in 和暦."""
        return cells.as_text(value, separator=self.column.separator, date=format_wareki)


@dataclass(frozen=True)
class Closing:
    """Closing year `year`: its figures and the 設定 changes, decided and not yet written, with
    the 入力チェック they were decided on (`findings`: the report is exported without checking again)."""

    year: int
    report_date: dt.date
    summary: Summary
    changes: tuple[SettingChange, ...]
    notes: tuple[str, ...] = field(default=())  # what staff should know (a differs from 前年度公表値 …)
    findings: Findings | None = field(default=None, compare=False, repr=False)

    @property
    def figures(self) -> fig.Figures:
        return self.summary.figures

    def noted(self, lines: Iterable[str]) -> Closing:
        """This decision with `lines` added to its notes (the characters its PDF loses)."""
        lines = tuple(lines)
        return dataclasses.replace(self, notes=(*self.notes, *lines)) if lines else self

    def history(self, folder: str) -> list[history.Change]:
        """The 変更履歴 rows: one per 設定 cell, each naming the 確定 folder as its source."""
        return [history.Change(history.CLOSE_YEAR, column=f"{schema.settings().sheet}・{c.title}",
                               old=c.cell_value(c.old), new=c.cell_value(c.new), source=folder)
                for c in self.changes]

    def cells(self) -> tuple[dict[str, str], dict[int, dict[str, Any]]]:
        """What the register writer sets (xlkit.workbook.appender.set_cells on 設定's schema): the
        column letter of each item, and row -> {item: new value}; every 実施機関's 前年度公表値 is
        the item previous_published of its own row."""
        letters: dict[str, str] = {}
        rows: dict[int, dict[str, Any]] = {}
        for c in self.changes:
            key = c.column.key
            letter, row = split_cell(c.cell)
            letters[key] = letter
            rows.setdefault(row, {})[key] = c.new
        return letters, rows

    def lines(self, folder: Path | str) -> list[str]:
        """What closing will do, for the question before it writes (both doors): the year, each
        設定 value before and after, the notes, and the 確定 folder it makes."""
        lines = [messages.text("close.plan_year", 年度=nendo(self.year), 報告日=format_wareki(self.report_date))]
        lines += [messages.text("close.plan_change", 項目=c.title, 前=c.shown(c.old) or "（空欄）",
                                後=c.shown(c.new) or "（空欄）") for c in self.changes]
        lines += [messages.text("cli.note", 内容=note) for note in self.notes]
        lines.append(messages.text("close.plan_folder", フォルダ=folder))
        return lines


def done_lines(year: int, folder: Path | str, files: Iterable[str]) -> list[str]:
    """What both doors say once the year is closed: the 確定 folder and every file in it, the
    SHA-256 list too (`files`: those the list names)."""
    return [messages.text("close.done", 年度=nendo(year)), messages.text("close.done_folder", フォルダ=folder),
            *(f"・{name}" for name in sorted({*files, MANIFEST}))]


def plan(book: Book) -> Closing:
    """Decide closing 設定's 報告年度, or refuse (xlkit.errors.Refusal) saying why. The register
    is validated here (入力チェック), once: the Closing keeps the findings.

    Refused, in this order: no 報告年度; a 設定 row closing writes on two rows or on none (staff
    copied or deleted it); a year closed already; validation errors; no 報告日, or one not after
    the year's end.

    Closing clears 報告日 (it dated N's report) and records N's a + b − c as 前年度公表値."""
    settings = schema.settings()
    try:
        year = report_year(book)
    except Refusal as e:
        if e.key not in ("year.unknown", "year.unreadable"):
            raise
        # the hint of summarize and export (--year) is not for closing: 報告年度 is what closes
        raise Refusal("close.no_year", 項目=settings.header("report_year"), 理由=e.message) from None
    previous = settings.column("previous_published")
    needed = {"report_year": settings.header("report_year"), "report_date": settings.header("report_date"),
              "closed_years": settings.header("closed_years"),
              **{f"{previous.key}.{body}": schema.per_body_title(previous.header, body) for body in book.bodies}}
    twice = [f"「{title}」（{'、'.join(book.setting_twice[key])}）" for key, title in needed.items()
             if key in book.setting_twice]
    if twice:  # which row closing would write, and which would go on saying the old value?
        raise Refusal("close.setting_twice", 項目="、".join(twice))
    missing = [f"「{title}」" for key, title in needed.items() if key not in book.setting_cells]
    if missing:
        raise Refusal("close.setting_missing", 項目="、".join(missing))
    closed = list(book.settings.get("closed_years") or [])
    if year in closed:
        raise Refusal("close.already", 年度=nendo(year))
    findings = validate_book(book)
    errors = [i for i in findings.issues if i.severity == ERROR]
    if errors:
        raise ErrorsRefusal("close.errors", errors, 年度=nendo(year))
    report_date = book.settings.get("report_date")
    if not isinstance(report_date, dt.date):
        raise Refusal("close.no_report_date", 年度=nendo(year), 項目=settings.header("report_date"))
    if report_date <= fig.year_end(year):  # the year's figures are complete only after 31 March
        raise Refusal("close.report_date_early", 年度=nendo(year), 項目=settings.header("report_date"),
                      日付=format_wareki(report_date), 年度末=format_wareki(fig.year_end(year)))
    result = summary(book, year)
    published = {r.body: r.total for r in result.figures.rows[:-1]}  # the last row is 合計
    # 報告日 was the date of N's report, now in the 確定 folder: N+1's is not known yet (and a second
    # close-year cannot close N+1 by mistake with N's date)
    wanted = [("report_year", settings.header("report_year"), book.settings.get("report_year"), year + 1),
              ("report_date", settings.header("report_date"), report_date, None),
              ("closed_years", settings.header("closed_years"), closed or None, sorted({*closed, year}))]
    old_previous = book.settings.get("previous_published") or {}
    for body, total in published.items():
        wanted.append((f"{previous.key}.{body}", schema.per_body_title(previous.header, body),
                       old_previous.get(body), total))
    changes = tuple(SettingChange(key, title, book.setting_cells[key], old, new)
                    for key, title, old, new in wanted if old != new)
    notes = tuple(n.text for n in result.notes)
    return Closing(year, report_date, result, changes, notes, findings)


def figures_document(closing: Closing, *, register: str, register_sha256: str, closed_at: dt.datetime,
                     version: str) -> dict:
    """The figures file of the 確定 folder: the published table with where it came from."""
    return {
        "年度": closing.year,
        "年度（和暦）": nendo(closing.year),
        "報告日": closing.report_date.isoformat(),
        "締めた日時": closed_at.isoformat(timespec="seconds"),
        "登録簿": register,
        "登録簿のSHA-256": register_sha256,
        "xlkit": version,
        "集計": fig.as_json(closing.figures),
        "注記": list(closing.notes),
    }


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(digests: dict[str, str]) -> str:
    """`sha256sum` lines (hash, two spaces, file name), sorted by name: the folder's SHA-256 list."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(digests.items()))
