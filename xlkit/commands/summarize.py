"""`xlkit summarize REGISTER [--year N] [--json]`: the a + b − c table of external linkages.

Exit status: 0 when the figures are complete and consistent; 1 when they were printed but
something needs a look (rows left out for a missing value, the a + b − c invariant broken,
or a differing from 設定's 前年度公表値); 2 for a request that cannot be answered.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata

from xlkit import figures as fig
from xlkit import register, schema
from xlkit.dates import nendo
from xlkit.commands import parse_year
from xlkit.errors import XlkitError

HEADERS = ("実施機関", "a", "b", "c", "a + b − c", "特定個人情報")
FOOTNOTE = "※本人同意に基づく外部結合を除く。"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "summarize",
        help="外部結合の件数（a + b − c）を実施機関別に集計する",
        description=("登録簿の「外部結合」シートから、報告年度の実施機関別の外部結合件数"
                     "（a：前年度の結合数、b：新たな結合数、c：終了した結合数、a + b − c、"
                     "うち特定個人情報の取扱いがあるもの）を集計します。本人同意に基づく外部結合は除きます。"),
    )
    parser.add_argument("register", metavar="登録簿", help="登録簿のファイル（.xlsx または .xlsm）")
    parser.add_argument("--year", metavar="年度",
                        help="集計する年度（西暦、例：2020）。省略すると「設定」シートの報告年度")
    parser.add_argument("--json", action="store_true", help="結果をJSONで出力する")
    return parser


def run(args: argparse.Namespace) -> int:
    book = register.load(args.register)
    year = resolve_year(book, parse_year(args.year) if args.year is not None else None)
    figures = fig.compute(book.linkages, year, book.bodies, book.master(register.DIVISION_SHEET))
    if args.json:
        print(json.dumps(fig.as_json(figures), ensure_ascii=False, indent=2))
    else:
        print(render(figures))
    notes = problems(figures, book)
    for line in notes:
        print(f"注意: {line}", file=sys.stderr)
    return 1 if notes else 0


def resolve_year(book: register.Book, year: int | None) -> int:
    """The requested year, else 設定's 報告年度; refuses a year the register has no data for."""
    if year is None:
        year = book.settings.get("report_year")
        if year is None:
            raise XlkitError("集計する年度がわかりません。--year 2020 のように指定するか、"
                             "「設定」シートの報告年度を入力してください。")
    fig.check_year(book.linkages, year, book.settings.get("report_year"))
    return year


def problems(figures: fig.Figures, book: register.Book) -> list[str]:
    """Japanese lines saying why the printed figures need a look (empty when they are sound)."""
    lines = []
    sheet = schema.linkage().sheet
    lines += fig.skipped_notes(figures.skipped, f"シート「{sheet}」")
    for mismatch in figures.mismatches:
        lines.append(mismatch.message(figures.year))
    if book.settings.get("report_year") == figures.year:
        for body, published, a in fig.compare_previous(figures, book.settings.get("previous_published") or {}):
            lines.append(f"{body}: {nendo(figures.year - 1)}の公表値（設定の前年度公表値）は {published} 件ですが、"
                         f"登録簿から数えた a は {a} 件です。")
    if lines:
        lines.append("詳しくは xlkit validate で入力チェックを行ってください。")
    return lines


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def _pad(text: str, size: int, *, right: bool) -> str:
    gap = " " * max(size - width(text), 0)
    return gap + text if right else text + gap


def render(figures: fig.Figures) -> str:
    """The table as aligned text: body names left, numbers right."""
    rows = [list(HEADERS)] + [
        [r.body, str(r.a), str(r.b), str(r.c), str(r.total), str(r.my_number)] for r in figures.rows
    ]
    sizes = [max(width(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [f"{nendo(figures.year)}　実施機関別外部電子計算機との結合件数", ""]
    for n, row in enumerate(rows):
        cells = [_pad(row[0], sizes[0], right=False)]
        cells += [_pad(v, s, right=True) for v, s in zip(row[1:], sizes[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or n == len(rows) - 2:
            lines.append("-" * (sum(sizes) + 2 * (len(sizes) - 1)))
    lines += ["", "a：" + f"{nendo(figures.year - 1)}の結合数　b：新たな結合数　c：終了した結合数"
              f"（{nendo(figures.year - 1)}まで結合し、{nendo(figures.year)}中は結合しなかったもの）",
              FOOTNOTE]
    return "\n".join(lines)
