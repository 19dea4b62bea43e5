"""`xlkit validate REGISTER [--json]`: check a register and list every problem by cell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xlkit.issues import ERROR, SEVERITY_JA, Issue


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "validate",
        help="登録簿の入力内容を確認し、問題のあるセルを一覧にする",
        description=("登録簿（外部結合・審議案件）の入力内容を確認し、問題のあるセルをシート・セル番地・列名とともに"
                     "一覧にします。エラーがあれば終了コード 1、なければ 0 で終わります。"
                     "ファイルを読めない場合と、列名（1行目）に誤りがあって登録簿として読めない場合は終了コード 2 です。"),
    )
    parser.add_argument("register", metavar="登録簿", help="確認する登録簿のファイル（.xlsx または .xlsm）")
    parser.add_argument("--json", action="store_true",
                        help='結果を JSON で出力する（{"errors": 件数, "warnings": 件数, "issues": [...]}）')
    return parser


def line(issue: Issue) -> str:
    """外部結合!K3 [エラー] 結合の開始年月日: 「R2.13.1」: 存在しない日付です…"""
    place = f"{issue.sheet}!{issue.cell}" if issue.cell else issue.sheet
    column = f"{issue.column}: " if issue.column else ""
    return f"{place} [{SEVERITY_JA[issue.severity]}] {column}{issue.message}"


def run(args: argparse.Namespace) -> int:
    from xlkit.validate import validate_file

    report = validate_file(args.register)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for issue in report.issues:
            print(line(issue))
        name = Path(args.register).name
        if report.issues:
            print(f"\n{name}: エラー {report.errors} 件、警告 {report.warnings} 件")
        else:
            print(f"{name}: 問題は見つかりませんでした。")
    # A wrong header row (a renamed, unknown, duplicated or missing required column) means the
    # file is not the register's layout: bad input, like a missing sheet. Every problem is still
    # listed above, with its cell, so that staff can fix them all at once.
    headers = [i for i in report.issues if i.code.startswith("header-") and i.severity == ERROR]
    if headers:
        cells = "、".join(f"{i.sheet}!{i.cell}" for i in headers[:5]) + (" ほか" if len(headers) > 5 else "")
        print(f"エラー: 列名（1行目）に誤りがあるため、登録簿として正しく読めません（{cells}）。"
              "列名を登録簿の列名に直してから、もう一度確認してください。", file=sys.stderr)
        return 2
    return 1 if report.errors else 0
