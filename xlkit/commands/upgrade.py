"""`xlkit upgrade REGISTER [--clear-lock]`: bring a register to the format of this xlkit.

Every value staff typed and every object they added stays; the register writer (locks, checks,
atomic replace) does the writing. A macro-enabled register, also one already of the current
format, gets the VBA project of the installed xlwings, so that its buttons and the Python package
match again (the output names the versions when they differed).
"""

from __future__ import annotations

import argparse

from xlkit import tasks
from xlkit.commands import add_clear_lock


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "upgrade",
        help="以前の xlkit で作った登録簿を今の形式に更新する（入力した値はそのまま）",
        description=("以前の xlkit で作った登録簿を、この xlkit の形式に更新します。入力した値、貼り付けた図や"
                     "メモはそのまま残ります。ボタン付きの登録簿（.xlsm）は、すでに今の形式でも、入っている xlwings に"
                     "合わせてマクロを作り直します（xlkit doctor が xlwings の版の食い違いを知らせたときの直し方です）。Excel で開いている間は実行できません。"),
    )
    parser.add_argument("register", metavar="登録簿", help="更新する登録簿（.xlsx または .xlsm）")
    add_clear_lock(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    result = tasks.upgrade(args.register, clear_lock=args.clear_lock)
    if not result.written:
        print(f"「{args.register}」はすでに今の形式（形式 {result.after}）です。変更していません。")
        return 0
    if result.steps:
        print(f"登録簿を形式 {result.before} から形式 {result.after} に更新しました: {args.register}")
        for title in result.steps:
            print(f"  ・{title}")
    else:
        print(f"登録簿はすでに今の形式（形式 {result.after}）です: {args.register}")
    if result.vba:
        print("  ・ボタンのマクロを、入っている xlwings に合わせて作り直しました")
    if result.buttons:
        print("  ・「使い方」シートのボタンを作り直しました")
    for note in result.notes:  # what the upgrade changed that staff did not ask for
        print(f"  ・{note}")
    return 0
