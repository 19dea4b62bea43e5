"""What 回答取込 says and records besides the register's rows (pure): the report both doors show,
the 変更履歴 of each cell written, and the 回答状況 lines; and the two sheets read back, as both
doors read them (`Logs`). xlkit.answers decides; this module only words and lays out what it
decided.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import cells, messages, schema
from .answers import CONTINUING, NEW, STATE_DONE, STATE_NONE, EndDate, NewLinkage, Plan, Status, applied, marked
from .dates import nendo
from .inquiry import respondent_label
from .records import Book, Record


# --------------------------------------------------------------------------- what staff read


def report(result: Plan, *, written: bool, dry_run: bool = False, door: str = "cli") -> list[str]:
    """The lines both doors show after collecting: what was (or would be) done first — a message
    box shows only its top — then the files and rows that need staff, then 回答状況. `door` (cli,
    button) picks the hint that tells how to go on when nothing was written."""
    lines = [_outcome(result, written=written, dry_run=dry_run, door=door)]

    def section(key: str, items) -> None:
        items = [str(i) for i in items]
        if items:
            lines.append(messages.text("collect.section", 見出し=messages.text(key), 件数=len(items)))
            lines.extend(f"  ・{i}" for i in items)

    section("collect.section_refused", [f"{s.file}: {s.refused}" for s in result.sources if s.refused])
    section("collect.section_problems", result.problems)
    section("collect.section_conflicts", result.conflicts)
    section("collect.section_reviews", result.reviews)
    section("collect.section_present", [f"{p.source.file}: {p.text}" for p in result.present])
    section("collect.section_warnings", result.warnings)
    lines.append("")
    lines.append(messages.text("collect.section_status", 年度=nendo(result.year)))
    silent = [s.division for s in result.status if s.state == STATE_NONE]
    for s in result.status:
        if s.state == STATE_NONE:
            continue
        counts = messages.text("collect.status_counts", 新規=s.new, 終了=s.ended, 変更内容=s.changed, 登録済み=s.present,
                               競合=s.conflicts)
        who = respondent_label(s.respondent, s.extension)
        detail = "、".join(x for x in (s.file, who, counts) if x) if s.file else ""
        note = f"（{s.note}）" if s.note else ""
        lines.append(f"  {s.division}: {s.state}" + (f" — {detail}" if detail else "") + note)
    if silent:
        lines.append(f"  {STATE_NONE}（{len(silent)} 課）: " + "、".join(silent))
    return lines


def _outcome(result: Plan, *, written: bool, dry_run: bool, door: str) -> str:
    new, ends = applied(result)
    if result.held:
        bad = len(result.refused_files)
        return messages.text("collect.held", 件数=bad) + messages.hint(door, "collect.held")
    if dry_run:
        return messages.text("collect.dry_run", 新規=len(result.new), 終了=len(result.ends))
    if written and (new or ends):
        ids = messages.text("collect.ids", 最初=new[0].values.get("id"), 最後=new[-1].values.get("id")) if new else ""
        return messages.text("collect.written", 年度=nendo(result.year), 新規=len(new), 番号=ids, 終了=len(ends))
    return messages.text("collect.nothing")


def history_changes(new: list[NewLinkage], ends: list[EndDate]) -> list:
    """The 変更履歴 of collecting: one Change per end date, one per filled cell of a new row, each
    naming its file and form row (collected_from reads them back)."""
    from . import history

    end_header = schema.linkage().header("end")
    changes = [history.Change(history.COLLECT, e.record.get("id", ""), end_header,
                              e.record.raw.get("end", e.record.get("end")), e.end,
                              marked(e.source.file, CONTINUING, e.answer.row, e.source.answer.form_id),
                              e.source.answer.who) for e in ends]
    for n in new:
        changes += history.new_row(n.values, history.COLLECT, respondent=n.source.answer.who,
                                   source=marked(n.source.file, NEW, n.row.row, n.source.answer.form_id))
    return changes


def status_rows(result: Plan, earlier: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """回答状況 after this collect (schemas/status.schema.json key -> value): the rows of other 年度
    as they were, then this 年度's lines per 課. What an earlier run took in stays on record: its
    line is replaced only by a line that takes something in itself; a later refusal or conflict
    for the 課 is added beside it, a later 未回答 or 登録済み adds nothing."""
    kept = [v for v in earlier if v.get("fiscal_year") != result.year]
    before: dict[str, list[dict[str, Any]]] = {}
    for v in earlier:
        if v.get("fiscal_year") == result.year:
            before.setdefault(cells.fold(v.get("division", "")), []).append(v)
    stamp = now.strftime("%Y/%m/%d %H:%M")
    lines = []
    for line in result.status:
        previous = before.get(cells.fold(line.division), [])
        took = bool(line.new or line.ended)
        quiet = line.state == STATE_NONE or (line.state == STATE_DONE and not (
            took or line.changed or line.conflicts or line.refused))
        if previous and not took:
            lines += [v for v in previous if v not in lines]
            if quiet:
                continue
        lines.append(status_values(line, result.year, stamp if line.state != STATE_NONE else ""))
    # a 課 answered earlier and renamed since: its lines stay, as every earlier answer's do
    listed = {cells.fold(line.division) for line in result.status}
    gone = [v for folded, rows in before.items() if folded not in listed for v in rows]
    return kept + lines + gone


def status_values(line: Status, year: int, stamp: str) -> dict[str, Any]:
    """One 回答状況 row of a Status; a 課 that did not answer has no counts (an answer's 0 says something)."""
    # Status's fields are named as schemas/status.schema.json's keys
    values = {**dataclasses.asdict(line), "fiscal_year": year, "collected_at": stamp}
    counted = line.state != STATE_NONE
    return {k: v for k, v in values.items() if v not in (None, "") and (counted or v != 0)}


# --------------------------------------------------------------------------- reading them back


HISTORY_KEYS = ("source", "id")  # what collecting reads of 変更履歴: the form rows earlier runs took


@dataclass
class Logs:
    """変更履歴 and 回答状況 of a register as read, once, by either door (the file's reader or the
    workbook open in Excel): what earlier collects took, where the next history row goes, and
    the status lines this collect's are merged into (`status_rows`)."""

    history: list[Record]
    status: list[Record]

    @property
    def taken(self) -> list[dict[str, Any]]:
        """The 変更履歴 rows as answers.plan reads them (what earlier runs collected)."""
        return [r.values for r in self.history]

    @property
    def last(self) -> int:
        """The history's last row (1: the header row alone)."""
        return max((r.row for r in self.history), default=1)


def log_records(book: Book, register: schema.Register, records: Iterable[tuple[Record, Any]]) -> list[Record]:
    """The rows of 変更履歴 or 回答状況 (`records`: the sheet typed by
    xlkit.register.stream_register, from the file or from the open workbook), refused as every
    door refuses them when the sheet lost a column xlkit writes."""
    from .register import require_columns

    found = [record for record, _ in records]  # typing the header row names the missing columns
    require_columns(book, register, "history.columns_missing" if register.name == schema.HISTORY
                    else "status.columns_missing")
    return found
