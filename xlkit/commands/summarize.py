"""`xlkit summarize REGISTER [--year N] [--json]`: the a + b − c table of external linkages.

Exit status: 0 when the figures are complete and consistent; 1 when they were printed but
something needs a look (rows left out for a missing value, the a + b − c invariant broken,
or a differing from 設定's 前年度公表値); 2 for a request that cannot be answered.
"""

from __future__ import annotations

import argparse
import json
import sys

from xlkit import figures as fig
from xlkit import messages, tasks, widths
from xlkit.commands import parse_year
from xlkit.export import layout
from xlkit.export.linkages import names
from xlkit.workbook import reader


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "summarize",
        help="外部結合の件数（a + b − c）を実施機関別に集計する",
        description=("登録簿の「外部結合」シートから、報告年度の実施機関別の外部結合件数"
                     "（a：前年度の結合数、b：新たな結合数、c：終了した結合数、a + b − c、"
                     "うち特定個人情報の取扱いがあるもの）を集計します。" + layout.load()["linkages"]["summary"]["footnote"]),
    )
    parser.add_argument("register", metavar="登録簿", help="登録簿のファイル（.xlsx または .xlsm）")
    parser.add_argument("--year", metavar="年度",
                        help="集計する年度（西暦、例：2020）。省略すると「設定」シートの報告年度")
    parser.add_argument("--json", action="store_true", help="結果をJSONで出力する")
    return parser


def run(args: argparse.Namespace) -> int:
    book = reader.load(args.register)
    result = tasks.summary(book, parse_year(args.year) if args.year is not None else None)
    if args.json:
        print(json.dumps(fig.as_json(result.figures), ensure_ascii=False, indent=2))
    else:
        print(render(result.figures))
    print_notes(result.notes)
    return 1 if result.notes else 0


def print_notes(notes) -> None:
    """The notes on stderr, then where to look closer."""
    for note in notes:
        print(messages.text("cli.note", 内容=note.text), file=sys.stderr)
    if notes:
        print(messages.text("cli.note", 内容=messages.hint("cli", "notes")), file=sys.stderr)


def _pad(text: str, size: int, *, right: bool) -> str:
    gap = " " * max(size - widths.TERMINAL.measure(text), 0)
    return gap + text if right else text + gap


def render(figures: fig.Figures) -> str:
    """The table as aligned text: body names left, numbers right; the words are layout.json's."""
    summary = layout.load()["linkages"]["summary"]
    plain, values = summary["plain"], names(figures.year)
    headers = list(plain["headers"])
    rows = [headers] + [
        [r.body, str(r.a), str(r.b), str(r.c), str(r.total), str(r.my_number)] for r in figures.rows
    ]
    sizes = [max(widths.TERMINAL.measure(row[i]) for row in rows) for i in range(len(headers))]
    lines = [layout.fill(plain["title"], **values), ""]
    for n, row in enumerate(rows):
        cells = [_pad(row[0], sizes[0], right=False)]
        cells += [_pad(v, s, right=True) for v, s in zip(row[1:], sizes[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or n == len(rows) - 2:
            lines.append("-" * (sum(sizes) + 2 * (len(sizes) - 1)))
    lines += ["", layout.fill(plain["legend"], **values), summary["footnote"]]
    return "\n".join(lines)
