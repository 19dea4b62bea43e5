"""`xlkit validate REGISTER [--json]`: check a register and list every problem by cell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from xlkit import messages
from xlkit.issues import ERROR, SEVERITY_JA, WARNING, Issue


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


BREAKDOWN_FROM = 20  # more issues than this: a tally by column follows the list
BREAKDOWN_LINES = 10


def breakdown(issues: list[Issue]) -> list[str]:
    """Where the problems are, most first: a list of 5,000 lines says little at its end.

    外部結合「計上年度」: エラー 5000 件（N2〜N5001）
    """
    groups: dict[tuple[str, str], dict] = {}
    for issue in issues:
        group = groups.setdefault((issue.sheet, issue.column), {"error": 0, "warning": 0, "cells": []})
        group[issue.severity] = group.get(issue.severity, 0) + 1
        group["cells"].append(issue.cell)
    ranked = sorted(groups.items(), key=lambda kv: -(kv[1]["error"] + kv[1]["warning"]))
    lines = ["内訳（多い順）:"]
    for (sheet, column), group in ranked[:BREAKDOWN_LINES]:
        counts = "、".join(f"{SEVERITY_JA[k]} {group[k]} 件" for k in (ERROR, WARNING) if group[k])
        cells = [c for c in group["cells"] if c]
        where = f"（{cells[0]}〜{cells[-1]}）" if len(cells) > 1 else (f"（{cells[0]}）" if cells else "")
        label = f"{sheet}「{column}」" if column else sheet
        lines.append(f"  {label}: {counts}{where}")
    if len(ranked) > BREAKDOWN_LINES:
        rest = sum(g["error"] + g["warning"] for _, g in ranked[BREAKDOWN_LINES:])
        lines.append(f"  ほか {len(ranked) - BREAKDOWN_LINES} 列で {rest} 件")
    return lines


def run(args: argparse.Namespace) -> int:
    from xlkit import tasks
    from xlkit.workbook import reader

    report = tasks.validate(reader.load(args.register))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for issue in report.issues:
            print(line(issue))
        name = Path(args.register).name
        if len(report.issues) > BREAKDOWN_FROM:
            print("\n" + "\n".join(breakdown(report.issues)))
        if report.issues:
            print(f"\n{name}: エラー {report.errors} 件、警告 {report.warnings} 件")
        else:
            print(f"{name}: 問題は見つかりませんでした。")
    # A wrong header row (a renamed, unknown, duplicated or missing required column) means the
    # file is not the register's layout: bad input, like a missing sheet. Every problem is still
    # listed above, with its cell, so that staff can fix them all at once.
    headers = [i for i in report.issues if i.code.startswith("header-") and i.severity == ERROR]
    if headers:
        places = list(dict.fromkeys(f"{i.sheet}!{i.cell}" for i in headers))  # one cell can have several
        cells = "、".join(messages.first(places, 5))
        print(f"エラー: 列名（1行目）に誤りがあるため、登録簿として正しく読めません（{cells}）。"
              "列名を登録簿の列名に直してから、もう一度確認してください。", file=sys.stderr)
        return 2
    return 1 if report.errors else 0
