"""The words staff read from the buttons and the command line, read from xlkit/data/messages.json.

    text("year.unknown")                     -> 報告する年度がわかりません。
    text("notes.previous", 実施機関="区長", …)
    hint("cli", "year.unknown")              -> the line only the command line adds

{外部結合} {審議案件} {設定} are the sheet names from the schemas and need not be passed.
A door (the buttons or the command line) adds its own hint after the shared message, so the two
say the same thing and differ only in what to click or type.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from . import datafiles, schema
from .errors import XlkitError

DOORS = ("cli", "button", "notebook")
SOURCE = "xlkit/data/messages.json"
WHAT = "メッセージの文言ファイル"


def _default_path() -> Path:
    return Path(str(resources.files("xlkit").joinpath("data", "messages.json")))


@cache
def _data() -> dict:
    # staff may edit the file: a slip is said in Japanese (with fixed words: the file is broken)
    data = datafiles.read_json(_default_path(), SOURCE, WHAT)
    for key in ("messages", "hints"):
        datafiles.part(data, key, dict, SOURCE, WHAT)
    return data


def _sheets() -> dict[str, str]:
    return {"外部結合": schema.linkage().sheet, "審議案件": schema.case().sheet, "設定": schema.settings().sheet}


def _fill(key: str, template, values: dict) -> str:
    given = {**_sheets(), **values}
    try:
        return template.format(**given)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        # a placeholder the caller does not pass, or a template that is not text: an edit gone wrong
        # Python's own words (「Single '}' encountered…」) would be English: say which kind of slip
        if isinstance(exc, KeyError) and exc.args:
            named = "{" + str(exc.args[0]) + "} はありません"
        elif isinstance(exc, ValueError):
            named = "{ と } の対応が取れていません。文字として { や } を書くときは {{ や }} と書きます"
        else:
            named = "{…} の中に使えない書き方があります"
        raise XlkitError(
            f"メッセージの文言ファイル（{SOURCE}）の「{key}」に使えない差し込み項目があります（{named}）。"
            f"使える項目：{'、'.join('{' + k + '}' for k in given)}") from None


def text(key: str, **values) -> str:
    """The message `key` with its placeholders filled."""
    try:
        template = _data()["messages"][key]
    except KeyError:
        raise XlkitError(f"メッセージの文言ファイル（{SOURCE}）に「{key}」がありません。") from None
    return _fill(key, template, values)


def first(items: list[str], shown: int) -> list[str]:
    """The first `shown` of `items`, then 「ほか N 件」 for the rest: every long listing of places."""
    if len(items) <= shown:
        return list(items)
    return [*items[:shown], text("list.more", 件数=len(items) - shown)]


def hint(door: str, key: str, **values) -> str:
    """What only `door` adds after message `key` ("" when it adds nothing)."""
    if door not in DOORS:
        raise ValueError(door)
    template = _data()["hints"].get(door, {}).get(key)
    return _fill(f"hints.{door}.{key}", template, values) if template else ""


def keys() -> list[str]:
    """Every message key of messages.json, in file order."""
    return list(_data()["messages"])
