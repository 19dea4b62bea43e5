"""変更履歴: one row per cell xlkit changes in the register, whatever the command (pure).

Import, 回答取込, 形式の更新 and later 年度締め append their rows through the register writer, in
the same file write as the change itself: the history can never miss a change that was saved,
nor record one that was not. Every value is written as text, as staff saw it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import cells, schema

IMPORT, COLLECT, UPGRADE = "取り込み", "回答取込", "形式の更新"
CLOSE_YEAR, REORGANISE = "年度締め", "組織改正"


@dataclass(frozen=True)
class Change:
    """One cell changed (or one step done, for an upgrade)."""

    action: str
    id: str = ""
    column: str = ""
    old: Any = None
    new: Any = None
    source: str = ""
    respondent: str = ""


def new_row(values: dict[str, Any], action: str, *, source: str = "", respondent: str = "") -> list[Change]:
    """One Change per filled cell of a row appended to 外部結合, in column order."""
    reg = schema.linkage()
    found = []
    for column in reg.columns:
        value = cells.cell_value(values.get(column.key), separator=column.separator)
        if value is not None:
            found.append(Change(action, str(values.get("id", "")), column.header, None, value, source, respondent))
    return found


def rows(changes: list[Change], *, at: dt.datetime, user: str) -> list[dict[str, Any]]:
    """The 変更履歴 rows (schemas/history.schema.json key -> text) of `changes`."""
    stamp = at.strftime("%Y/%m/%d %H:%M:%S")
    return [{"at": stamp, "action": c.action, "user": user, "source": c.source, "respondent": c.respondent,
             "id": c.id, "column": c.column, "old": _text(c.old), "new": _text(c.new)} for c in changes]


def _text(value: Any) -> str:
    """A value as its 変更履歴 cell shows it: a date in 和暦, a list joined as cells.as_text joins
    it (a caller that knows the column passes it joined with the column's separator:
    cells.cell_value), anything else as staff see it."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        from .dates import format_wareki

        return format_wareki(value)
    if isinstance(value, (list, tuple)):
        return cells.as_text(value)
    return cells.display(value)
