"""`xlkit collect REGISTER FILE_OR_DIR… [--year N] [--dry-run] [--skip-bad]`: take in the answers.

Every answered 照会票 is checked with the register's own rules; the new rows, end dates, their
変更履歴 and 回答状況 are written in one write of the register, all or nothing across the files
unless --skip-bad. Exit status: 0 when every answer was taken; 1 when a file was refused or an
answer conflicts (listed, not applied); 2 for a request that cannot be answered.
"""

from __future__ import annotations

import argparse
import sys

from xlkit import collect_log
from xlkit import inquiry_tasks
from xlkit.commands import add_clear_lock, parse_year


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "collect",
        help="回答された照会票を登録簿に取り込む",
        description=("回答された照会票（ファイルまたはフォルダ）を読み、入力チェックの規則で確かめてから、"
                     "新規の外部結合を追加し、終了年月日を入れ、変更履歴と回答状況を書きます。"
                     "変更内容は一覧に出すだけで、登録簿は直しません。取り込めない照会票が1つでもあると"
                     "何も書きません（--skip-bad で取り込める照会票だけ取り込みます）。"),
    )
    parser.add_argument("register", metavar="登録簿", help="取り込み先の登録簿（.xlsx または .xlsm）")
    parser.add_argument("files", nargs="+", metavar="照会票", help="回答された照会票のファイル、またはそれを入れたフォルダ")
    parser.add_argument("--year", metavar="年度", help="取り込む年度（西暦）。省略すると「設定」シートの報告年度")
    parser.add_argument("--skip-bad", action="store_true", help="取り込めない照会票を除いて取り込む")
    parser.add_argument("--dry-run", action="store_true", help="読むだけで登録簿には書き込まない")
    add_clear_lock(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    year = parse_year(args.year) if args.year is not None else None
    done = inquiry_tasks.collect(args.register, args.files, year=year, dry_run=args.dry_run, skip_bad=args.skip_bad,
                         clear_lock=args.clear_lock)
    result = done.plan
    lines = collect_log.report(result, written=done.written, dry_run=args.dry_run)
    trouble = bool(result.refused_files or result.conflicts or result.held)
    print("\n".join(lines), file=sys.stderr if result.held else sys.stdout)
    return 1 if trouble else 0
