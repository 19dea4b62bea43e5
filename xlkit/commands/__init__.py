"""The `xlkit` subcommands: each module has add_parser(subparsers) and run(args) -> int."""

from __future__ import annotations



def parse_year(text) -> int:
    """A --year option: 2020, ２０２０, 令和2年度, R2 -> 2020 (xlkit.tasks.parse_year, shared with the notebook)."""
    from xlkit.tasks import parse_year as parse

    return parse(text)
