"""`xlkit new PATH [--force]`: write an empty register with the masters filled."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from xlkit.errors import XlkitError

SUFFIXES = (".xlsx", ".xlsm")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "new",
        help="空の登録簿を作る（.xlsm はボタン付き）",
        description=("空の登録簿を作ります。マスタ（実施機関・課・区分・審議結果）と設定は初期値で埋まります。"
                     "拡張子 .xlsm ならボタン付きのマクロ有効ブック、.xlsx ならボタンのないブックになります。"),
    )
    parser.add_argument("path", metavar="ファイル", help="作成する登録簿のファイル名（.xlsm または .xlsx）")
    parser.add_argument("--force", action="store_true", help="同名のファイルがあれば上書きする")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlkit.dates import fiscal_year, nendo
    from xlkit.workbook.builder import build

    path = Path(args.path)
    if path.suffix.lower() not in SUFFIXES:
        raise XlkitError(
            f"「{path.name}」は作成できません。ファイル名の拡張子を .xlsm（ボタン付き）か .xlsx にしてください。")
    if path.is_dir():
        raise XlkitError(f"「{path}」はフォルダです。作成する登録簿のファイル名を指定してください。")
    if path.exists() and not args.force:
        raise XlkitError(f"「{path}」はすでにあります。上書きする場合は --force を付けてください。")
    if not path.parent.exists():
        raise XlkitError(f"フォルダ「{path.parent}」がありません。先にフォルダを作成してください。")
    # the report is written after the year ends: last fiscal year is the one to report
    build(path, settings={"report_year": fiscal_year(dt.date.today()) - 1}, overwrite=args.force)
    kind = "ボタン付きの登録簿" if path.suffix.lower() == ".xlsm" else "登録簿"
    print(f"{kind}を作成しました: {path}")
    print(f"「設定」シートの報告年度は {nendo(fiscal_year(dt.date.today()) - 1)} にしてあります。必要なら変えてください。")
    return 0
