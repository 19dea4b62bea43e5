"""`xlkit demo`: check the bundled sample register and print its 令和2年度 figures.

The sample is workbooks/sample.xlsx of the repository (built by scripts/build_sample.py). It is
not shipped inside the package: xlkit is used from a clone, and one copy of the sample is easier
to keep right than two.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlkit.errors import XlkitError

SAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "sample.xlsx"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "demo",
        help="サンプルの登録簿を確認し、令和2年度の外部結合件数を表示する",
        description=("付属のサンプル登録簿（workbooks/sample.xlsx：資料１の審議案件41件と令和2年度の外部結合）を"
                     "入力チェックし、報告年度の実施機関別の外部結合件数（a + b − c）を表示します。"
                     "問題がなければ終了コード 0 です。"),
    )
    parser.add_argument("--sample", metavar="ファイル", help=argparse.SUPPRESS)  # tests point at a copy
    return parser


def sample_path() -> Path:
    if not SAMPLE.is_file():
        raise XlkitError(f"サンプルの登録簿「{SAMPLE}」がありません。"
                         "リポジトリの scripts/build_sample.py を実行して作成してください。")
    return SAMPLE


def run(args: argparse.Namespace) -> int:
    from xlkit import messages, tasks
    from xlkit.workbook import reader
    from xlkit.commands import summarize
    from xlkit.commands.validate import line

    path = Path(args.sample) if getattr(args, "sample", None) else sample_path()
    book = reader.load(path)
    report = tasks.validate(book)
    print(f"サンプルの登録簿: {path}")
    print(f"外部結合 {len(book.linkages)} 件、審議案件 {len(book.cases)} 件")
    print()
    print(f"入力チェック: エラー {report.errors} 件、警告 {report.warnings} 件")
    for issue in report.issues:
        print(f"  {line(issue)}")
    print()
    result = tasks.summary(book)
    print(summarize.render(result.figures))
    for note in result.notes:
        print(messages.text("cli.note", 内容=note.text))
    return 1 if report.errors or result.notes else 0
