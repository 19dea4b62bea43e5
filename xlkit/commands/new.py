"""`xlkit new PATH [--overwrite]`: write an empty register with the masters filled.

The file name, the folder and an existing file are checked where every file xlkit writes is
(xlkit.workbook.builder, xlkit.files), so `new` says the same as the exports. A register is made
on the PC it is used on, so that no macro has to pass the file-sanitising gateway: the .xlsm's
buttons point at the offline bundle's Python (xlkit.installation.INTERPRETER_WIN).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path



def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "new",
        help="空の登録簿を作る（.xlsm はボタン付き）",
        description=("空の登録簿を作ります。マスタ（実施機関・課・区分・審議結果）と設定は初期値で埋まります。"
                     "拡張子 .xlsm ならボタン付きのマクロ有効ブック、.xlsx ならボタンのないブックになります。"),
    )
    parser.add_argument("path", metavar="ファイル", help="作成する登録簿のファイル名（.xlsm または .xlsx）")
    # --force was the flag's first name; it stays so that scripts written for it keep working
    parser.add_argument("--overwrite", "--force", dest="overwrite", action="store_true",
                        help="同名のファイルがあれば上書きする")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlkit.dates import fiscal_year, nendo
    from xlkit.installation import INTERPRETER_WIN
    from xlkit.workbook.builder import build

    path = Path(args.path)
    # the report is written after the year ends: last fiscal year is the one to report
    year = fiscal_year(dt.date.today()) - 1
    build(path, settings={"report_year": year}, overwrite=args.overwrite)
    macro = path.suffix.lower() == ".xlsm"
    print(f"{'ボタン付きの登録簿' if macro else '登録簿'}を作成しました: {path}")
    print(f"「設定」シートの報告年度は {nendo(year)} にしてあります。必要なら変えてください。")
    if macro:
        # the IT staff who make registers on the PC are the ones who install the bundle's Python
        print(f"ボタンは {INTERPRETER_WIN} の Python を使います（xlkit のセットアップ.bat が入れる場所です。"
              "別の場所の Python を使う場合は「xlwings.conf」シートの Interpreter_Win を書き換えてください）。")
    return 0
