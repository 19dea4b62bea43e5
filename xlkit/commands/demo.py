"""`xlkit demo`: check the bundled sample register and print its 令和2年度 figures.

The sample is workbooks/sample.xlsx of the repository (built by scripts/build_sample.py), with the
flow diagram its case №1 attaches (workbooks/添付ファイル). A wheel carries the same files as the
package xlkit.sample (pyproject.toml maps workbooks/ there), so that `xlkit demo` runs on an
office PC that installed xlkit from the offline bundle; a checkout reads workbooks/ itself. The
demo only reads: the installed copy may sit in a folder staff cannot write to.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlkit.errors import XlkitError

SAMPLE_NAME = "sample.xlsx"
CHECKOUT = Path(__file__).resolve().parents[2] / "workbooks" / SAMPLE_NAME


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
    """The sample register: the checkout's, else the one installed with the package."""
    if CHECKOUT.is_file():
        return CHECKOUT
    installed = _installed()
    if installed is not None and installed.is_file():
        return installed
    raise XlkitError(f"サンプルの登録簿「{SAMPLE_NAME}」が見つかりません（{CHECKOUT}、またはインストールした "
                     "xlkit の中）。xlkit を入れ直してください（リポジトリでは scripts/build_sample.py で作成できます）。")


def _installed() -> Path | None:
    from importlib import resources

    try:
        # an installed wheel is a folder on disk: the reader needs a real path (and the
        # attachment folder beside it), which resources.files gives for such a package
        return Path(str(resources.files("xlkit.sample").joinpath(SAMPLE_NAME)))
    except (ModuleNotFoundError, TypeError):
        return None


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
