"""The `xlkit` subcommands: each module has add_parser(subparsers) and run(args) -> int."""

from __future__ import annotations

import datetime as dt


def add_clear_lock(parser) -> None:
    """--clear-lock, for every command that writes a register (xlkit.workbook.writer)."""
    parser.add_argument("--clear-lock", action="store_true",
                        help="前回の xlkit が途中で終わって残った「使用中」の印（登録簿名.xlkit-lock）を消してから実行する。"
                             "ほかの人が使っていないことを確かめてから付けてください")


def parse_year(text) -> int:
    """A --year option: 2020, ２０２０, 令和2年度, R2 -> 2020 (xlkit.tasks.parse_year, shared with the notebook)."""
    from xlkit.tasks import parse_year as parse

    return parse(text)


def parse_day(text: str, option: str) -> dt.date:
    """A date option (--from, --to, --date): 2021-04-01, R3.4.1, 令和3年4月1日 … (xlkit.dates.parse_date);
    what is no date, or nothing, is refused naming the option."""
    from xlkit.dates import DateError, parse_date
    from xlkit.errors import XlkitError

    try:
        value = parse_date(text)
    except DateError as exc:
        raise XlkitError(f"{option} の日付「{text}」を読めません（{exc.reason}）。例：2021-04-01") from None
    if value is None:
        raise XlkitError(f"{option} に日付を指定してください。例：2021-04-01")
    return value
