"""`xlkit export linkages|cases REGISTER ... --out FILE`: the council's reports in Word, Excel or PDF.

Exit status: 0 written; 1 refused because the register has validation errors or an attachment
of a case to report cannot be used (use --force); 2 a request that cannot be carried out (bad
year or period, unwritable or existing output …).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xlkit import messages
from xlkit.commands import parse_day, parse_year
from xlkit.commands.summarize import print_notes

MAX_LISTED = 30


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="報告書（外部結合の状況・審議案件について）を Word / Excel / PDF で出力する",
        description=("登録簿から審議会資料を出力します。出力ファイルの拡張子（.docx / .xlsx / .pdf）で形式が決まります。"
                     "登録簿にエラーがある場合と、審議案件の添付ファイルが見つからない・読めない場合は、"
                     "出力せず終了コード 1 で終わります（--force で出力。添付ファイルの代わりにその旨の1行が載ります）。"
                     "指定の誤りや保存できない場合は終了コード 2 です。"),
    )
    kinds = parser.add_subparsers(dest="report", metavar="報告書", required=True,
                                  parser_class=type(parser))
    link = kinds.add_parser(
        "linkages", help="外部電子計算機との結合の状況（(1) 件数、(2) 新たな結合、(3) 終了した結合）",
        description="指定した年度の「外部電子計算機との結合の状況」を出力します（A4 横）。")
    _common(link)
    link.add_argument("--year", metavar="年度",
                      help="報告する年度（西暦 2020 または 令和2年度）。省略すると「設定」シートの報告年度")
    cases = kinds.add_parser(
        "cases", help="資料１「審議案件について」（一覧と別紙）",
        description="付議日が指定した期間にある審議案件の一覧と別紙を出力します（A4 縦）。")
    _common(cases)
    cases.add_argument("--from", dest="date_from", metavar="開始日",
                       help="期間の始め（例：2025-02-01、R7.2.1、令和7年2月1日）。省略すると「設定」シートの"
                            "資料の対象期間（開始）、それもなければ最も早い付議日")
    cases.add_argument("--to", dest="date_to", metavar="終了日",
                       help="期間の終わり。省略すると「設定」シートの資料の対象期間（終了）、それもなければ最も遅い付議日")
    cases.add_argument("--date", dest="report_date", metavar="資料の日付",
                       help="資料に載せる日付。省略すると「設定」シートの報告日、それもなければ今日")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("register", metavar="登録簿", help="登録簿のファイル（.xlsx または .xlsm）")
    parser.add_argument("--out", required=True, metavar="出力ファイル",
                        help="出力するファイル（.docx / .xlsx / .pdf）")
    parser.add_argument("--overwrite", action="store_true", help="同じ名前のファイルがあれば上書きする")
    parser.add_argument("--force", action="store_true",
                        help="登録簿にエラーがあっても、使えない添付ファイルがあっても出力する（図の代わりにその旨の1行を載せる）")


def run(args: argparse.Namespace) -> int:
    from xlkit import tasks
    from xlkit.files import output_format
    from xlkit.workbook import reader

    out = Path(args.out)
    output_format(out)  # a wrong suffix is said before the register is read
    book = reader.load(args.register)
    confirm = (lambda refusal: True) if args.force else None
    try:
        if args.report == "linkages":
            written = tasks.export_linkages(book, out, year=parse_year(args.year) if args.year else None,
                                            overwrite=args.overwrite, confirm=confirm)
        else:
            written = tasks.export_cases(
                book, out, overwrite=args.overwrite, confirm=confirm,
                date_from=parse_day(args.date_from, "--from") if args.date_from else None,
                date_to=parse_day(args.date_to, "--to") if args.date_to else None,
                report_date=parse_day(args.report_date, "--date") if args.report_date else None)
    except tasks.ErrorsRefusal as refused:
        _list_errors(refused.errors)
        raise
    if written.forced is not None:
        _list_errors(written.forced.errors)
        print(messages.text("cli.note", 内容=written.forced.message), file=sys.stderr)
    if written.forced_attachments is not None:  # its message lists each attachment left out
        print(messages.text("cli.note", 内容=written.forced_attachments.message), file=sys.stderr)
    for line in written.left_out + written.lost:
        print(messages.text("cli.note", 内容=line), file=sys.stderr)
    print_notes(written.notes)
    print(messages.text("cli.written", ファイル=written.path))
    return 0


def _list_errors(errors) -> None:
    from xlkit.commands.validate import line

    for text in messages.first([line(i) for i in errors], MAX_LISTED):
        print(text, file=sys.stderr)

