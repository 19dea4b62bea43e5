"""One register value as the reports print it, decided by the column's kind in the schema."""

from __future__ import annotations

import datetime as dt

from xlkit import dates
from xlkit.records import Record
from xlkit.schema import Register

MARK = "○"


def text(record: Record, register: Register, key: str) -> str:
    value = record.values.get(key)
    if value is None or value == "":
        return ""
    kind = register.column(key).kind
    if kind == "mark":
        return MARK if value else ""
    if kind == "date" and isinstance(value, dt.date):
        return dates.format_dotted(value)
    if kind == "multi" and isinstance(value, (list, tuple)):
        return (register.column(key).separator or "、").join(str(v) for v in value)
    return str(value)
