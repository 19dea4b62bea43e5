"""What 回答取込 says and records besides the register's rows (pure): the report both doors show,
the 変更履歴 of each cell written, and the 回答状況 lines. xlkit.answers decides; this module
only words and lays out what it decided.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import cells, messages, schema
from .answers import (CONTINUING, NEW, STATE_NONE, EndDate, NewLinkage, Plan, Status, _marked, applied)
from .dates import nendo
from .records import Book


# --------------------------------------------------------------------------- what staff read


def report(result: Plan, *, written: bool, dry_run: bool = False, door: str = "cli") -> list[str]:
    """The lines both doors show after collecting: outcomes, then 回答状況. `door` (cli, button)
    picks the hint that tells how to go on when nothing was written."""
    lines: list[str] = []

    def section(title: str, items) -> None:
        items = [str(i) for i in items]
        if items:
            lines.append(f"■ {title}（{len(items)} 件）")
            lines.extend(f"  ・{i}" for i in items)

    section("取り込めない照会票", [f"{s.file}: {s.refused}" for s in result.sources if s.refused])
    section("照会票の入力の誤り", result.problems)
    section("競合（どちらも取り込んでいません）", result.conflicts)
    section("変更内容（登録簿は直していません。確かめて直してください）", result.reviews)
    section("登録済み（追加していません）", [f"{p.source.file}: {p.text}" for p in result.present])
    section("注意", result.warnings)
    new, ends = applied(result)
    if dry_run and not result.held:
        lines.append(f"確認のみ: 新規 {len(result.new)} 件、終了 {len(result.ends)} 件を取り込めます（登録簿は変更していません）。")
    elif written and (new or ends):
        first, last = (new[0].values.get("id"), new[-1].values.get("id")) if new else ("", "")
        ids = f"（管理番号 {first}〜{last}）" if new else ""
        lines.append(f"{nendo(result.year)}の回答を取り込みました: 新規 {len(new)} 件{ids}、終了年月日 {len(ends)} 件。")
    elif result.held:
        bad = len([s for s in result.sources if result.bad(s)])
        lines.append(messages.text("collect.held", 件数=bad) + messages.hint(door, "collect.held"))
    else:
        lines.append("取り込む回答はありませんでした（登録簿の外部結合は変更していません）。")
    lines.append("")
    lines.append(f"■ 回答状況（{nendo(result.year)}）")
    silent = [s.division for s in result.status if s.state == STATE_NONE]
    for s in result.status:
        if s.state == STATE_NONE:
            continue
        counts = f"新規 {s.new}・終了 {s.ended}・変更内容 {s.changed}・登録済み {s.present}・競合 {s.conflicts}"
        who = f"{s.respondent}（内線 {s.extension}）" if s.extension else s.respondent
        detail = "、".join(x for x in (s.file, who, counts) if x) if s.file else ""
        note = f"（{s.note}）" if s.note else ""
        lines.append(f"  {s.division}: {s.state}" + (f" — {detail}" if detail else "") + note)
    if silent:
        lines.append(f"  {STATE_NONE}（{len(silent)} 課）: " + "、".join(silent))
    return lines


def history_changes(new: list[NewLinkage], ends: list[EndDate]) -> list:
    """The 変更履歴 of collecting: one Change per end date, one per filled cell of a new row, each
    naming its file and form row (collected_from reads them back)."""
    from . import history

    end_header = schema.linkage().header("end")
    changes = [history.Change(history.COLLECT, e.record.get("id", ""), end_header,
                              e.record.raw.get("end", e.record.get("end")), e.end,
                              _marked(e.source.file, CONTINUING, e.answer.row, e.source.answer.form_id),
                              e.source.answer.who) for e in ends]
    for n in new:
        changes += history.new_row(n.values, history.COLLECT, respondent=n.source.answer.who,
                                   source=_marked(n.source.file, NEW, n.row.row, n.source.answer.form_id))
    return changes


def status_rows(result: Plan, earlier: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """回答状況 after this collect (schemas/status.schema.json key -> value): the rows of other 年度
    as they were, then this 年度's line per 課 — a 課 that answered in an earlier run keeps its line."""
    kept = [v for v in earlier if v.get("fiscal_year") != result.year]
    before = {cells.fold(v.get("division", "")): v for v in earlier if v.get("fiscal_year") == result.year}
    stamp = now.strftime("%Y/%m/%d %H:%M")
    lines = []
    for line in result.status:
        previous = before.get(cells.fold(line.division))
        if line.state == STATE_NONE and previous is not None:
            lines.append(previous)
        else:
            lines.append(status_values(line, result.year, stamp if line.state != STATE_NONE else ""))
    return kept + lines


def status_values(line: Status, year: int, stamp: str) -> dict[str, Any]:
    """One 回答状況 row of a Status; a 課 that did not answer has no counts (an answer's 0 says something)."""
    values = {"fiscal_year": year, "division": line.division, "state": line.state, "file": line.file,
              "respondent": line.respondent, "extension": line.extension, "answered_on": line.answered_on,
              "new": line.new, "ended": line.ended, "changed": line.changed, "present": line.present,
              "conflicts": line.conflicts, "refused": line.refused, "collected_at": stamp, "note": line.note}
    counted = line.state != STATE_NONE
    return {k: v for k, v in values.items() if v not in (None, "") and (counted or v != 0)}


def missing_columns(book: Book, new: list[NewLinkage], ends: list[EndDate] = ()) -> list[str]:
    """The headers of the 外部結合 columns `book` lacks although a new row has a value for them (or
    an end date is to be set): every door refuses to write then (import.columns_missing), rather
    than drop the value."""
    linkage = schema.linkage()
    absent = book.missing.get(linkage.sheet, set())
    return [c.header for c in linkage.columns if c.key in absent
            and (any(c.key in n.values for n in new) or (c.key == "end" and bool(ends)))]
