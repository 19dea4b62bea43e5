"""`xlkit close-year REGISTER [--dry-run] [--no-pdf]`: close 設定's 報告年度 (年度締め).

It says what it will do, writes 確定/<年度>/ beside the register (the register copied read-only,
the linkage report as .docx and .pdf exported from that copy, the figures as JSON and their
SHA-256 list), then records the year's a + b − c as 前年度公表値, the year in 締めた年度 and
報告年度 + 1 in 設定, with their 変更履歴 rows, in one write. Exit status: 0 when closed (or, with
--dry-run, when it could be); 1 when the register has validation errors; 2 when refused otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlkit import closing_tasks, messages
from xlkit.commands import add_clear_lock


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "close-year",
        help="報告年度を締める（確定フォルダに報告書を保存し、前年度公表値と報告年度を書き換える）",
        description=("「設定」の報告年度を締めます。入力チェックにエラーがなく報告日が入力されていることを確かめ、"
                     "登録簿と同じフォルダの「確定\\<年度>」に登録簿の写し（読み取り専用）・外部結合の状況の報告書"
                     "（Word・PDF）・集計値（JSON）・ハッシュ値一覧を保存してから、前年度公表値・締めた年度・"
                     "報告年度を書き換え、変更履歴に記録します。"),
    )
    parser.add_argument("register", metavar="登録簿", help="締める登録簿（.xlsx または .xlsm）")
    parser.add_argument("--dry-run", action="store_true", help="確かめて何をするかを表示するだけで、何も書かない")
    parser.add_argument("--no-pdf", action="store_true", help="PDF を作らずに締める（LibreOffice がないパソコン用）")
    add_clear_lock(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    def announce(plan, folder: Path) -> None:
        print("\n".join(plan.lines(folder)), flush=True)

    done = closing_tasks.close_year(args.register, pdf=not args.no_pdf, dry_run=args.dry_run, announce=announce,
                                    clear_lock=args.clear_lock)
    if done.frozen is None:
        print(messages.text("close.dry_run"))
        return 0
    print("\n".join(done.frozen.lines(done.closing.year)))
    return 0
