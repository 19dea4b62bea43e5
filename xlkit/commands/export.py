"""`xlkit export linkages|cases REGISTER ... --out FILE`: the council's reports in Word, Excel or PDF.

Exit status: 0 written; 1 refused because the register has validation errors (use --force);
2 a request that cannot be carried out (bad year or period, unwritable or existing output …).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xlkit.commands import parse_year
from xlkit.errors import XlkitError

REFUSED_EXIT = 1
MAX_LISTED = 30


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="報告書（外部結合の状況・審議案件について）を Word / Excel / PDF で出力する",
        description=("登録簿から審議会資料を出力します。出力ファイルの拡張子（.docx / .xlsx / .pdf）で形式が決まります。"
                     "登録簿にエラーがある場合は出力せず終了コード 1 で終わります（--force で出力）。"
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
    cases.add_argument("--from", dest="date_from", required=True, metavar="開始日",
                       help="期間の始め（例：2025-02-01、R7.2.1、令和7年2月1日）")
    cases.add_argument("--to", dest="date_to", required=True, metavar="終了日", help="期間の終わり")
    cases.add_argument("--date", dest="report_date", metavar="資料の日付",
                       help="資料に載せる日付。省略すると「設定」シートの報告日、それもなければ今日")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("register", metavar="登録簿", help="登録簿のファイル（.xlsx または .xlsm）")
    parser.add_argument("--out", required=True, metavar="出力ファイル",
                        help="出力するファイル（.docx / .xlsx / .pdf）")
    parser.add_argument("--overwrite", action="store_true", help="同じ名前のファイルがあれば上書きする")
    parser.add_argument("--force", action="store_true", help="登録簿にエラーがあっても出力する")


def run(args: argparse.Namespace) -> int:
    from xlkit import register
    from xlkit.export import api

    out = Path(args.out)
    api.output_format(out)  # a wrong suffix is said before the register is read
    book = register.load(args.register)
    refused = _check_register(book, force=args.force)
    if refused is not None:
        return refused
    if args.report == "linkages":
        year = parse_year(args.year) if args.year else book.settings.get("report_year")
        if not isinstance(year, int):
            raise XlkitError("報告する年度がわかりません。--year 2020 のように指定するか、"
                             "「設定」シートの報告年度を入力してください。")
        written = api.export_linkages(book, year, out, overwrite=args.overwrite)
        _figure_notes(book, year)
    else:
        date_from = parse_day(args.date_from, "--from")
        date_to = parse_day(args.date_to, "--to")
        report_date = parse_day(args.report_date, "--date") if args.report_date else None
        written = api.export_cases(book, date_from, date_to, out, report_date=report_date,
                                   overwrite=args.overwrite)
    print(f"出力しました: {written}")
    return 0


def _check_register(book, *, force: bool) -> int | None:
    """Refuse (exit 1) a register with errors unless --force; list them either way."""
    from xlkit.commands.validate import line
    from xlkit.issues import ERROR
    from xlkit.validate import validate_book

    errors = [i for i in validate_book(book).issues if i.severity == ERROR]
    if not errors:
        return None
    listing = [line(i) for i in errors[:MAX_LISTED]]
    if len(errors) > MAX_LISTED:
        listing.append(f"ほか {len(errors) - MAX_LISTED} 件")
    for text in listing:
        print(text, file=sys.stderr)
    if force:
        print(f"注意: 登録簿にエラーが {len(errors)} 件ありますが、--force が指定されたため出力します。"
              "報告書の内容を必ず確認してください。", file=sys.stderr)
        return None
    print(f"エラー: 登録簿にエラーが {len(errors)} 件あるため出力しませんでした。"
          "エラーを直してからもう一度実行してください（このまま出力する場合は --force を付けてください）。",
          file=sys.stderr)
    return REFUSED_EXIT


def _figure_notes(book, year: int) -> None:
    """Say, as `xlkit summarize` does, when the printed figures need a look."""
    from xlkit import figures
    from xlkit.commands.summarize import problems

    result = figures.compute(book.linkages, year, list(book.bodies), book.master("課"))
    for note in problems(result, book):
        print(f"注意: {note}", file=sys.stderr)




def parse_day(text: str, option: str):
    from xlkit.dates import DateError, parse_date

    try:
        value = parse_date(text)
    except DateError as exc:
        raise XlkitError(f"{option} の日付「{text}」を読めません：{exc.reason}") from None
    if value is None:
        raise XlkitError(f"{option} の日付が空です。")
    return value
