"""The `xlkit` subcommands: each module has add_parser(subparsers) and run(args) -> int."""

from __future__ import annotations



def add_clear_lock(parser) -> None:
    """--clear-lock, for every command that writes a register (xlkit.workbook.writer)."""
    parser.add_argument("--clear-lock", action="store_true",
                        help="前回の xlkit が途中で終わって残った「使用中」の印（登録簿名.xlkit-lock）を消してから実行する。"
                             "ほかの人が使っていないことを確かめてから付けてください")


def parse_year(text) -> int:
    """A --year option: 2020, ２０２０, 令和2年度, R2 -> 2020 (xlkit.tasks.parse_year, shared with the notebook)."""
    from xlkit.tasks import parse_year as parse

    return parse(text)
