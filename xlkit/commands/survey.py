"""`xlkit survey REGISTER [--year N] --out DIR [--division 課 …]`: write each 課's 照会票.

One plain .xlsx per 課 (照会票_<年度>_<課>.xlsx) and 照会一覧_<年度>.xlsx; the register is only
read. An existing file of the same name is never replaced without --overwrite.
"""

from __future__ import annotations

import argparse
import sys

from xlkit import inquiry_tasks, messages
from xlkit.commands import parse_year
from xlkit.dates import nendo
from xlkit.workbook import reader


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "survey",
        help="各課への照会票（外部結合の庁内照会）を作る",
        description=("「課」シートの課ごとに照会票（Excel ファイル）を作ります。継続中の外部結合（前年度・当年度に"
                     "結合していたもの）を載せ、新規の外部結合を入力する表と、まだ登録されていない承認済みの審議案件を"
                     "並べます。回答は xlkit collect で取り込みます。"),
    )
    parser.add_argument("register", metavar="登録簿", help="登録簿のファイル（.xlsx または .xlsm）")
    parser.add_argument("--out", required=True, metavar="フォルダ", help="照会票を保存するフォルダ（なければ作ります）")
    parser.add_argument("--year", metavar="年度", help="照会する年度（西暦、例：2021）。省略すると「設定」シートの報告年度")
    parser.add_argument("--division", action="append", metavar="課", help="この課の照会票だけ作る（複数指定できます）")
    parser.add_argument("--overwrite", action="store_true", help="同じ名前の照会票があれば上書きする")
    return parser


def run(args: argparse.Namespace) -> int:
    book = reader.load(args.register)
    year = parse_year(args.year) if args.year is not None else None
    done = inquiry_tasks.survey(book, args.out, year=year, divisions=args.division, overwrite=args.overwrite)
    for form, path in zip(done.forms, done.paths):
        print(f"{path}: 継続中 {len(form.continuing)} 件、承認済みの案件 {len(form.cases)} 件")
    print(f"{done.listing}: 照会一覧")
    print(f"{nendo(done.year)}の照会票を {len(done.forms)} 課分作成しました。")
    for note in done.notes:
        print(messages.text("cli.note", 内容=note), file=sys.stderr)
    return 0
