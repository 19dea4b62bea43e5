"""The `xlkit` subcommands: each module has add_parser(subparsers) and run(args) -> int."""

from __future__ import annotations

from xlkit.errors import XlkitError


def parse_year(text) -> int:
    """A --year option: 2020, ２０２０, 令和2年度, R2 -> 2020 (a Japanese message otherwise)."""
    from xlkit import cells

    text = str(text)
    try:
        year = cells.year(text.strip().upper() if text.isascii() else text)
    except cells.CellError:
        year = None
    if year is None:
        raise XlkitError(f"年度「{text}」を読めません。西暦4桁（例：2020）か「令和2年度」の形で指定してください。")
    return year
