"""`xlkit reorganise REGISTER CHANGES --from YYYY-MM-DD [--dry-run]`: apply a 組織改正 to the 課 sheet.

The change table (tab-separated text or .xlsx: 旧課名, 新課名, 種別, 実施機関) is read and planned
(xlkit.reorg); the old 課 get 終了日 and 後継の課, the new 課 are inserted below their predecessor,
and 変更履歴 records every change, in one write of the register. Exit status: 0 done (or, with
--dry-run, the plan shown); 2 when the table or the request is refused (nothing written).
"""

from __future__ import annotations

import argparse

from xlkit import messages, reorg_tasks
from xlkit.commands import add_clear_lock, parse_day


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "reorganise",
        help="組織改正（課の名称変更・統合・分割）を「課」シートに書き込む",
        description=("組織改正の表（1行目に 旧課名・新課名・種別（名称変更・統合・分割）・実施機関（任意）の列名、"
                     "タブ区切りのテキストか .xlsx の最初のシート）を読み、--from の日から新しい課名にします。"
                     "旧課名の行に終了日（前日）と後継の課を入れ、新しい課を前の課のすぐ下に加え、変更履歴に記録します。"
                     "外部結合の行の課名は変えません（報告書は年度ごとにその年度の課名で出力します）。"
                     "表に直すところが1つでもあると何も書きません。"),
    )
    parser.add_argument("register", metavar="登録簿", help="書き込む登録簿（.xlsx または .xlsm）")
    parser.add_argument("changes", metavar="表", help="組織改正の表（タブ区切りのテキストまたは .xlsx）")
    parser.add_argument("--from", dest="day", required=True, metavar="日付",
                        help="新しい課名になる日（例：2021-04-01、令和3年4月1日）")
    parser.add_argument("--dry-run", action="store_true", help="読んで書き込む内容を表示するだけで、登録簿には書き込まない")
    add_clear_lock(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    day = parse_day(args.day, "--from")
    done = reorg_tasks.reorganise(args.register, args.changes, day, dry_run=args.dry_run, clear_lock=args.clear_lock)
    for line in done.lines:
        print(line)
    if done.written:
        print(messages.text("reorganise.done", 件数=len(done.changes)))
    else:
        print(messages.text("reorganise.dry_run"))
    return 0
