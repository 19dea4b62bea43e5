"""`xlkit doctor [REGISTER]`: check this PC (and a register) for what the buttons and commands need.

One block per check (確認項目, 結果, 内容, 対処), as the button 診断 writes them to its sheet, then
how many need action. Exit status: 0 when nothing is 要対応, 1 otherwise; a register that is
missing or broken is a 要対応 line like any other, so the diagnosis always reaches its end.
"""

from __future__ import annotations

import argparse

from xlkit import diagnosis, doctor_facts
from xlkit.workbook.design import DIAGNOSIS_HEADERS


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "doctor",
        help="このパソコン（と登録簿）で xlkit とボタンが動くかを確かめる",
        description=("Python・xlkit・xlwings の版、登録簿のマクロの版、ボタンが使う Python の場所、登録簿の形式、exports への"
                     "書き込み、保存場所（OneDrive・日本語や空白のフォルダ名・パスの長さ）、インターネットから来たファイルの印、"
                     "PDF を作るための LibreOffice・Word を確かめ、それぞれの対処を示します。要対応があれば終了コード 1。"),
    )
    parser.add_argument("register", metavar="登録簿", nargs="?", help="確かめる登録簿（.xlsx または .xlsm。省略するとパソコンだけ）")
    return parser


def run(args: argparse.Namespace) -> int:
    checks = diagnosis.diagnose(doctor_facts.gather(args.register))
    print(render(checks))
    return diagnosis.exit_code(checks)


def render(checks: list[diagnosis.Check]) -> str:
    """The checks as the command line prints them: one block per check, then the summary."""
    item, result, detail, fix = DIAGNOSIS_HEADERS
    blocks = [f"{item}: {c.item}\n  {result}: {c.result}\n  {detail}: {c.detail}\n  {fix}: {c.fix}" for c in checks]
    return "\n\n".join(blocks) + "\n\n" + diagnosis.summary(checks)
