"""`xlkit import REGISTER TABLE --year N [--skip-bad] [--dry-run]`: append a published table (2).

All or nothing by default: when any row of the table cannot be read, every such row is listed
with its line number and nothing is appended (exit 1). With --skip-bad the readable rows are
appended and the unreadable ones listed (still exit 1, since the table was not imported whole).
Rows the register has already are listed as 登録済み and not added again; they are not a
problem (importing the same table twice says so and exits 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xlkit import pasted_table, tasks
from xlkit.dates import nendo
from xlkit.commands import add_clear_lock, parse_year
from xlkit.export.layout import omission_remark


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "import",
        help="報告書の表(2)（新たな外部結合の内訳）を「外部結合」シートに取り込む",
        description=("報告書の表(2)（No.・結合を行った課・業務名…結合の開始年月日の10列）を貼り付けたタブ区切りの"
                     "テキストを読み、登録簿の「外部結合」シートの最後の行の下に追加します。計上年度は --year の年度、"
                     f"実施機関は「課」シートから入ります。開始年月日の後の「{omission_remark()}」は備考に移します。"
                     "読めない行が1行でもあると何も追加しません（--skip-bad で読める行だけ追加）。"),
    )
    parser.add_argument("register", metavar="登録簿", help="取り込み先の登録簿（.xlsx または .xlsm）")
    parser.add_argument("table", metavar="表", help="表(2)を貼り付けたテキストファイル（- で標準入力）")
    parser.add_argument("--year", required=True, metavar="年度",
                        help="取り込む行の計上年度（西暦、例：2020）")
    parser.add_argument("--skip-bad", action="store_true", help="読めない行を除いて取り込む")
    parser.add_argument("--dry-run", action="store_true", help="読むだけで登録簿には書き込まない")
    add_clear_lock(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    args.year = parse_year(args.year)  # refuses a year outside the schemas' bounds, naming them
    text = pasted_table.read_text(args.table)
    result = tasks.import_table(args.register, text, args.year, skip_bad=args.skip_bad, dry_run=args.dry_run,
                                clear_lock=args.clear_lock, source="標準入力" if args.table == "-" else Path(args.table).name)
    parsed = result.parsed
    for notice in parsed.notices:
        print(f"お知らせ: {notice}", file=sys.stderr)
    for present in parsed.present:
        print(f"登録済み: {present}（追加しません）", file=sys.stderr)
    for problem in parsed.problems:
        print(f"取り込めない行: {problem}", file=sys.stderr)
    bad = len({p.line for p in parsed.problems})
    if result.written:
        if parsed.problems:
            print(f"取り込めない行 {bad} 件を除いて追加しました。", file=sys.stderr)
        first, last = result.appended[0], result.appended[-1]
        already = f"登録済みの {len(parsed.present)} 件は追加していません。" if parsed.present else ""
        print(f"「外部結合」シートに{nendo(args.year)}計上の {len(result.appended)} 件を追加しました"
              f"（{first[0]}〜{last[0]}行目、管理番号 {first[1]['id']}〜{last[1]['id']}）。{already}")
    elif args.dry_run:
        print(f"確認のみ: 取り込める行 {len(parsed.rows)} 件、登録済みの行 {len(parsed.present)} 件、"
              f"取り込めない行 {bad} 件（登録簿は変更していません）。")
    elif parsed.problems:
        print(f"取り込めない行が {bad} 件あるため、何も追加していません。"
              "表を直すか、--skip-bad を付けて取り込める行だけ追加してください。", file=sys.stderr)
    elif parsed.present:
        print(f"表の {len(parsed.present)} 件はすべて登録簿にすでにあります。何も追加していません。")
    else:
        print("取り込む行がありませんでした（登録簿は変更していません）。")
    return 1 if parsed.problems else 0
