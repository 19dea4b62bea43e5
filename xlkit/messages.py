"""The words staff read from the buttons and the command line, read from xlkit/data/messages.json.

    text("year.unknown")                     -> 報告する年度がわかりません。
    text("notes.previous", 実施機関="区長", …)
    hint("cli", "year.unknown")              -> the line only the command line adds

{外部結合} {審議案件} {設定} are the sheet names from the schemas and need not be passed.
A door (the buttons or the command line) adds its own hint after the shared message, so the two
say the same thing and differ only in what to click or type.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from . import schema

DOORS = ("cli", "button")


@cache
def _data() -> dict:
    text = resources.files("xlkit").joinpath("data", "messages.json").read_text(encoding="utf-8")
    return json.loads(text)


def _sheets() -> dict[str, str]:
    return {"外部結合": schema.linkage().sheet, "審議案件": schema.case().sheet, "設定": schema.settings().sheet}


def _fill(template: str, values: dict) -> str:
    try:
        return template.format(**{**_sheets(), **values})
    except (KeyError, IndexError, ValueError) as exc:
        # a placeholder the data file names but the caller does not pass: an edit gone wrong
        raise KeyError(f"xlkit/data/messages.json: {template!r} needs {exc}") from None


def text(key: str, **values) -> str:
    """The message `key` with its placeholders filled."""
    return _fill(_data()["messages"][key], values)


def hint(door: str, key: str, **values) -> str:
    """What only `door` adds after message `key` ("" when it adds nothing)."""
    if door not in DOORS:
        raise ValueError(door)
    template = _data()["hints"][door].get(key)
    return _fill(template, values) if template else ""


def keys() -> list[str]:
    return list(_data()["messages"])
