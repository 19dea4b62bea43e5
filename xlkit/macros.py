"""What the register's buttons run: 入力チェック, 集計, Word出力, Excel出力, 照会票作成, 回答取込, 年度締め, 診断.

Each button's VBA sub is one line, ``RunPython "import xlkit.macros as m; m.validate()"``; with
no argument a macro works on ``xw.Book.caller()``. Tests pass a Book built from an Office.js
payload (xlwings' remote engine).

Round trips are what make a macro slow in Excel: every sheet is read in one block (one value
read per sheet), the core works on plain lists, and the results go back in blocks. The number
of write actions depends on the number of problems found, never on the number of valid rows.

Nothing here changes a value staff typed: 入力チェック writes only to 「検証結果」 and changes only
the fill colour of the cells it marks; 集計 writes only to 「集計」; 回答取込 appends rows below the
last row of 「外部結合」, fills the end dates the answers give (decided by xlkit.answers, as the
command line decides them) and writes its own two sheets, 「変更履歴」 and 「回答状況」 — into the
open workbook, which staff then save. 年度締め, once staff say yes to what it shows, changes the 設定
values closing decides (xlkit.closing: 報告年度, 報告日, 前年度公表値, 締めた年度), each with its 変更履歴
row, and saves the workbook. Every error reaches the user as a Japanese alert — never a
Python traceback.
"""

from __future__ import annotations

import datetime as dt
import re

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from xlkit import cells, limits, messages
from xlkit.addresses import column_letter, ranges, split_cell
from xlkit.errors import XlkitError, from_os_error
from xlkit.files import EXPORT_DIR
from xlkit.issues import SEVERITY_JA
from xlkit.workbook import design

if TYPE_CHECKING:  # pragma: no cover
    import xlwings as xw

# xlkit.tasks (validation, figures, reports) is imported inside each macro, under its guard: a
# broken install then reaches staff as a Japanese alert, not as a traceback of the import line

TITLE = "登録簿"


# --------------------------------------------------------------------------- plumbing


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    # xlwings cuts its --wb= argument at the second "=": 「登録簿=R6.xlsm」 would be looked up as
    # 「登録簿」, not found (or another book found). The whole name and Excel's window find it.
    called = _called_from()
    if called is not None and "=" in called[0]:
        name, hwnd = called
        for app in xw.apps:
            if str(app.hwnd) == hwnd:
                return app.books[name]
    return xw.Book.caller()


def _called_from(argv: list[str] | None = None) -> tuple[str, str] | None:
    """(workbook name, Excel's window) from the command line xlwings' RunPython gives Python; None
    when Python was not started by a button."""
    import sys

    found = dict(arg[2:].split("=", 1) for arg in (sys.argv if argv is None else argv)
                 if arg.startswith("--") and "=" in arg)
    if found.get("from_xl") != "1" or "wb" not in found:
        return None
    return found["wb"].strip(), found.get("hwnd", "").strip()


def alert(book, message: str, title: str, *, critical: bool = False, buttons: str = "ok"):
    return book.app.alert(message, title=messages.text("button.title", ボタン=title), buttons=buttons,
                          mode="critical" if critical else "info")


def guarded(title: str, book, work: Callable[[Any], None]) -> None:
    """Run ``work(book)``; any failure becomes a Japanese alert, never a traceback."""
    try:
        book = _caller(book)
    except Exception as e:  # not started from Excel: nothing to show an alert in
        cloud = _cloud_error(e)
        _last_resort(cloud.message if cloud else messages.text("button.no_excel", ボタン=title, 内容=type(e).__name__))
        return
    try:
        work(book)
    except XlkitError as e:
        # the message the command line shows too, then what only the button adds
        _safe_alert(book, _with_hint(e.message, e.hint("button")), title)
    except OSError as e:  # a file the system would not read or write: the user's environment
        _safe_alert(book, from_os_error(e).message, title)
    except Exception as e:  # the last guard: staff must never see a traceback
        # xlwings' English about a OneDrive/SharePoint workbook, wherever a macro met it
        cloud = _cloud_error(e, book)
        _safe_alert(book, cloud.message if cloud else
                    messages.text("button.unexpected", ボタン=title, 内容=f"{type(e).__name__}: {e}"), title)


def _cloud_error(exc: BaseException, book=None) -> XlkitError | None:
    """xlwings' OneDrive/SharePoint mapping error in Japanese (xlkit.onedrive); None for any other
    error, and when the words themselves cannot be read: the caller's own message then stands."""
    try:
        from xlkit import onedrive

        return onedrive.translate(exc, _name_of(book))
    except Exception:
        return None


def _name_of(book) -> str:
    """The workbook's file name for a message; "" when even that cannot be had."""
    try:
        return str(book.name) if book is not None else ""
    except Exception:
        return ""


def _with_hint(message: str, hint: str) -> str:
    return f"{message}\n{hint}" if hint else message


def _safe_alert(book, message: str, title: str) -> None:
    try:
        alert(book, message, title, critical=True)
    except Exception:
        _last_resort(message)


def _last_resort(message: str) -> None:
    """A message box without Excel (Windows), else nothing: stderr would become a traceback dialog."""
    try:
        import ctypes

        ctypes.windll.user32.MessageBoxW(0, message, TITLE, 0x30)  # type: ignore[attr-defined]
    except Exception:
        pass


def _sheet(book, name: str):
    for sheet in book.sheets:
        if sheet.name == name:
            return sheet
    return None


def required_sheet(book, name: str):
    """The sheet the button writes to; a register without it is refused in Japanese."""
    from xlkit import register

    sheet = _sheet(book, name)
    if sheet is None:
        # a tab renamed by a stray space (「集計 」) is named, as the reader names a register sheet
        near = register.misnamed(name, [s.name for s in book.sheets])
        if near is not None:
            raise XlkitError(messages.text("register.sheet_misnamed", シート=name, 名前=near))
        raise XlkitError(messages.text("register.sheet_missing", シート=name))
    return sheet


def read_grid(sheet) -> list[list]:
    """The sheet's values from A1 to its last used cell, as one read.

    An error cell arrives as its literal ("#N/A"), not as None: read as blank, it was reported as
    「空欄」 and sent staff looking for a value they could see was there.
    """
    used = sheet.used_range
    last = used.last_cell
    rows, cols = max(last.row, 1), max(last.column, 1)
    # a value or format far away (XFD1048576) makes the used range billions of cells: refused
    # before Excel is asked for them, by the limit the file reader applies
    limits.check_extent(sheet.name, rows, cols, f"{column_letter(cols - 1)}{rows}" if cols > 26 else "")
    values = sheet.range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True).value
    return [list(row) for row in values]


def read_book(book, extra: Iterable[str] = ()) -> dict[str, list[list]]:
    """Read the sheets the core needs (and `extra`), one block per sheet: name -> 2-D list."""
    from xlkit import register

    wanted = (*register.sheets_read(), *extra)
    return {sheet.name: read_grid(sheet) for sheet in book.sheets if sheet.name in wanted}


def load_register(book, grids: dict[str, list[list]]):
    """The core's Book of the open workbook, with its format (a newer one is refused untouched)."""
    from xlkit import formats, register

    version = _format_of(book)
    formats.check_readable(version, book.name)
    # every sheet name and the format, as the file reader passes them: a 「外部提供 」 renamed by a
    # stray space is named here too, not taken for a missing sheet (register.misnamed decides)
    found = register.load_sheets(grids, sheets=[sheet.name for sheet in book.sheets], version=version)
    found.format = version
    found.register_id = _register_id_of(book)
    found.path = workbook_file(book)  # 添付ファイル are looked up beside it (入力チェック, the exports)
    return found


def check_current(book, rb) -> None:
    """A register of an older format is refused by name, before anything is written or asked
    (the buttons that write: 照会票作成, 回答取込, 年度締め)."""
    from xlkit import formats

    formats.check_current(rb.format, book.name, str(book.fullname))


def _format_of(book) -> int:
    """The workbook's format from its name xlkit.formats.NAME, as the file reader reads it."""
    from xlkit import formats

    for name in book.names:
        if name.name == formats.NAME:
            return formats.parse(name.refers_to)
    return formats.FIRST


def _register_id_of(book) -> str | None:
    """The register's id from its name xlkit.formats.ID_NAME (which every 照会票 carries), as the
    file reader reads it; None when it has none."""
    from xlkit import formats

    for name in book.names:
        if name.name == formats.ID_NAME:
            return formats.parse_id(name.refers_to)
    return None


def _as_text(value) -> str:
    """A value written back as text (検証結果, 集計): never turned into a formula, a number, a date
    or an error value by Excel (excel_text)."""
    return excel_text(cells.display(value))


# characters of what Excel reads as a number, a date or a time when it is typed (or written)
# into a cell: 001, 2021/10/1 12:00, R3.9.30, 令和3年9月30日, (1), 1e5, １２３ …
_VALUE_LIKE = re.compile(r"[\s0-9０-９.,:/\\\-+*%$¥￥()（）．，：／－＋％eE年月日時分秒午前後元"
                         r"RrHhSsTtMmAaPp令和平成昭大正明治]+")
# an English month with a number: 1-Oct, Jan-21, Feb 3 are dates to Excel too
_MONTH = re.compile(r"(?i)(?<![a-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?![a-z])")


def excel_text(text: str) -> str:
    """`text` as written into a cell so that Excel keeps exactly that text: with Excel's text
    prefix ' when Excel would read it as a formula, a number, a date, a time, TRUE/FALSE or an
    error value. The prefix is not part of the cell's value (Excel shows and saves the text alone);
    the register writer (the command line) writes every text as text in the first place."""
    if not text:
        return text
    if (text[0] in "=+-@'" or cells.is_excel_error(text) or text.strip().upper() in ("TRUE", "FALSE")
            or _VALUE_LIKE.fullmatch(text) or (_MONTH.search(text) and re.search(r"\d", text))):
        return "'" + text
    return text


# --------------------------------------------------------------------------- 入力チェック


def validate(book: xw.Book | None = None) -> None:
    """入力チェック: fill 「検証結果」, colour the bad cells, alert the counts."""
    guarded("入力チェック", book, _validate)


def _marked_sheets() -> tuple[str, str]:
    return (design.linkage_sheet(), design.case_sheet())


def _previous_marks(grid: list[list]) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> severity label of the cells the previous run coloured, from 「検証結果」."""
    marks: dict[tuple[str, str], str] = {}
    headers = [cells.display(v) for v in (grid[0] if grid else [])]
    try:
        i_sev, i_sheet, i_cell = (headers.index(h) for h in design.RESULT_HEADERS[:3])  # 重要度, シート, セル
    except ValueError:
        return marks
    for row in grid[1:]:
        if len(row) <= max(i_sev, i_sheet, i_cell):
            continue
        sheet, cell = cells.display(row[i_sheet]), cells.display(row[i_cell])
        if sheet in _marked_sheets() and _paintable(cell):
            marks[(sheet, cell)] = cells.display(row[i_sev])
    return marks


def _paintable(cell: str) -> bool:
    parts = split_cell(cell)
    return parts is not None and parts[1] >= 2  # never the header row: it has its own fill


def _link(sheet: str, cell: str) -> str:
    target = sheet.replace("'", "''")
    return f'=HYPERLINK("#\'{target}\'!{cell}","{cell}")'


VALUE_SHOWN = 30  # characters of a typed value shown in 「検証結果」's 値 column


def _excerpt(value) -> str:
    """The start of a typed value, on one line: a whole paragraph would make the row a page tall.

    The cell itself is one click away (the セル column links to it) and is never changed.
    """
    shown = " ".join(cells.display(value).split())
    return shown if len(shown) <= VALUE_SHOWN else shown[:VALUE_SHOWN] + "…"


def result_rows(issues) -> list[list]:
    """The rows of 「検証結果」 under its header, one per issue."""
    rows = []
    for issue in issues:
        cell = issue.cell or ""
        linked = _link(issue.sheet, cell) if split_cell(cell) and issue.sheet else cell
        rows.append([
            SEVERITY_JA.get(issue.severity, issue.severity), issue.sheet, linked,
            issue.column or "", _as_text(_excerpt(issue.value)), _as_text(issue.message), issue.code,
        ])
    return rows


def _validate(book) -> None:
    from xlkit import tasks

    results = required_sheet(book, design.RESULTS)
    grids = read_book(book, extra=(design.RESULTS,))
    report = tasks.validate(load_register(book, grids))
    previous = _previous_marks(grids.get(design.RESULTS, []))

    # 1. the previous run's colours go, except where this run colours the cell again
    wanted: dict[tuple[str, str], str] = {}
    for issue in report.issues:
        key = (issue.sheet, issue.cell)
        if issue.sheet in _marked_sheets() and _paintable(issue.cell):
            if wanted.get(key) != "error":
                wanted[key] = issue.severity
    sheets = {name: _sheet(book, name) for name in _marked_sheets()}
    stale: dict[str, list[str]] = defaultdict(list)
    for sheet, cell in previous:
        if (sheet, cell) not in wanted:
            stale[sheet].append(cell)
    for name, cells_ in stale.items():
        if sheets.get(name) is not None:
            for address in ranges(cells_):
                sheets[name].range(address).color = None

    # 2. this run's colours: errors red, warnings yellow
    paint: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (sheet, cell), severity in wanted.items():
        paint[(sheet, severity)].append(cell)
    fills = {"error": design.ERROR_FILL, "warning": design.WARNING_FILL}
    for (name, severity), cells_ in sorted(paint.items()):
        if sheets.get(name) is not None:
            for address in ranges(cells_):
                sheets[name].range(address).color = fills[severity]

    # 3. 「検証結果」: clear the old rows, write the new ones in one block
    old_rows = len(grids.get(design.RESULTS, [])) - 1
    width = len(design.RESULT_HEADERS)
    if old_rows > 0:
        results.range((2, 1), (old_rows + 1, width)).clear_contents()
    rows = result_rows(report.issues)
    if not rows:
        rows = [["", "", "", "", "", messages.text("button.validate_no_rows"), ""]]
    results.range((1, 1)).value = [list(design.RESULT_HEADERS), *rows]
    # the messages wrap: fit the rows to them (one action, whatever the number of rows)
    results.range((2, 1), (len(rows) + 1, width)).rows.autofit()

    # 4. the summary
    if report.errors or report.warnings:
        message = messages.text("button.validate_found", エラー=report.errors, 警告=report.warnings,
                                検証結果=design.RESULTS)
    else:
        message = messages.text("button.validate_clean")
    alert(book, message, "入力チェック", critical=report.errors > 0)


# --------------------------------------------------------------------------- 集計


def summarize(book: xw.Book | None = None) -> None:
    """集計: the a + b − c table of 設定's 報告年度 into 「集計」."""
    guarded("集計", book, _summarize)


def _summarize(book) -> None:
    from xlkit import summary_sheet, tasks
    from xlkit.dates import nendo
    from xlkit.export import layout

    target = required_sheet(book, design.SUMMARY)
    rb = load_register(book, read_book(book))
    result = tasks.summary(rb)
    lay = layout.load()
    laid = summary_sheet.plan(result, rb.bodies, lay, dt.datetime.now())
    summary_sheet.lay(target, laid, points=book.app.engine.name != "excel",
                      mm_per_char=lay["excel"]["mm_per_char"])
    total = result.figures.total
    message = messages.text("button.summary_written", 年度=nendo(result.year), 集計=design.SUMMARY, a=total.a,
                            b=total.b, c=total.c, 合計=total.total, 特定個人情報=total.my_number)
    if result.differences:
        message += "\n\n" + messages.text("button.summary_differs") + "\n" + \
            "\n".join(n.text for n in result.differences)
    elif result.previous:
        message += "\n\n" + messages.text("button.summary_matches")
    others = [n for n in result.notes if n.code != "previous-mismatch"]
    if others:
        message += "\n\n" + messages.text("button.summary_see_sheet", 集計=design.SUMMARY,
                                           確認=messages.text("sheet.check_heading"))
    alert(book, message, "集計", critical=bool(result.notes))


# --------------------------------------------------------------------------- Word出力 / Excel出力


def export_word(book: xw.Book | None = None, confirm: Callable | None = None) -> None:
    """Word出力: both reports (外部結合の状況 and 審議案件の資料) as .docx into exports/ beside the workbook.

    `confirm` answers whether to go on when the register has errors; by default a yes/no
    dialog asks the user (tests pass a fixed answer: the remote engine cannot wait for one).
    """
    guarded("Word出力", book, lambda b: _export(b, ".docx", "Word出力", confirm))


def export_excel(book: xw.Book | None = None, confirm: Callable | None = None) -> None:
    """Excel出力: the same two reports as print-ready .xlsx."""
    guarded("Excel出力", book, lambda b: _export(b, ".xlsx", "Excel出力", confirm))


def workbook_file(book) -> Path | None:
    """The open workbook's file; None for a workbook in the cloud (no folder of ours holds it) and
    for one never saved on Windows (file_of). xlwings' error about a OneDrive/SharePoint address it
    could not map to the PC is raised in Japanese (xlkit.onedrive)."""
    try:
        fullname = str(book.fullname)
    except Exception as e:  # xlwings could not map a OneDrive/SharePoint address to the PC
        cloud = _cloud_error(e, book)
        if cloud is None:
            raise
        raise cloud from None
    return file_of(fullname, Path)


def file_of(fullname: str, flavour: type[PurePath] = Path, cwd: PurePath | None = None) -> PurePath | None:
    """The file a workbook's full name stands for, in the path flavour of the PC Excel runs on
    (`flavour` lets a test read a Windows name anywhere); None for a web address, and on Windows
    for a book never saved (「Book1」): xlwings starts Python in the interpreter's folder, so the
    current folder there is %LOCALAPPDATA%\\xlkit\\.venv\\Scripts, where no one would look for
    exports. Elsewhere (xlwings' remote engine, the tests) the current folder stands for it."""
    if "://" in fullname:
        return None
    path = flavour(fullname)
    if path.is_absolute():
        return path
    if issubclass(flavour, PureWindowsPath):
        return None
    return (flavour(Path.cwd()) if cwd is None else cwd) / path.name


def workbook_folder(book) -> Path:
    """The folder of the workbook, where its exports go; refused in Japanese for a book in the cloud
    and for one never saved on Windows (workbook_file)."""
    path = workbook_file(book)
    if path is None:
        fullname = str(book.fullname)
        if "://" in fullname:
            raise XlkitError(messages.text("button.export_cloud", ファイル=_name_of(book), 場所=fullname))
        raise XlkitError(messages.text("path.unsaved", ファイル=_name_of(book)))
    return path.parent


def _asker(book, title: str, confirm: Callable | None) -> Callable:
    """Ask each question at most once per click, whatever the number of reports: a yes to
    「エラーがあります」 is no yes to 「添付ファイルが使えません」, which lists other things."""
    answers: dict[str, bool] = {}

    def ask(refusal) -> bool:
        if refusal.key not in answers:
            if confirm is not None:
                answers[refusal.key] = bool(confirm(refusal))
            else:
                reply = alert(book, refusal.message, title, critical=True, buttons="yes_no")
                answers[refusal.key] = reply == "yes"
        return answers[refusal.key]

    return ask


def _export(book, suffix: str, title: str, confirm: Callable | None) -> None:
    try:
        from xlkit import tasks
        from xlkit.export import api  # noqa: F401  (an xlkit without reports says so in Japanese)
    except ImportError:
        alert(book, messages.text("button.export_unavailable", ボタン=title), title, critical=True)
        return
    rb = load_register(book, read_book(book))
    folder = workbook_folder(book) / EXPORT_DIR
    outbox = tasks.Outbox(folder, suffix)
    checked = tasks.validate(rb)  # once for both reports
    ask = _asker(book, title, confirm)
    # each report on its own: a report that cannot be made must not stop the other
    done, failed = [], []
    for make, kind in ((tasks.export_linkages, "export.kind_linkages"), (tasks.export_cases, "export.kind_cases")):
        try:
            done.append(make(rb, outbox, confirm=ask, checked=checked))
        except XlkitError as e:
            failed.append(f"{messages.text(kind)}: " + _with_hint(e.message, e.hint("button")))
    lines = []
    for written in done:
        lines.append(f"・{written.title}\n　　{written.path.name}")
        if written.path.name != written.wanted.name:
            lines.append("　　" + messages.text("button.export_renamed", 名前=written.wanted.name))
    parts = []
    if done:
        parts.append(messages.text("button.export_saved") + "\n\n" + "\n".join(lines) + "\n\n"
                     + messages.text("button.export_folder", フォルダ=folder))
    forced = next((w.forced for w in done if w.forced is not None), None)
    if forced is not None:
        parts.append(forced.message)
    without = next((w.forced_attachments for w in done if w.forced_attachments is not None), None)
    if without is not None:
        parts.append(without.message)
    left_out = [line for w in done for line in w.left_out]
    if left_out:
        parts.append(messages.text("button.export_left_out") + "\n" + "\n".join(f"・{x}" for x in left_out))
    notes = [n.text for w in done for n in w.notes] + [line for w in done for line in w.lost]
    if notes:
        parts.append(messages.text("button.export_notes") + "\n" + "\n".join(f"・{x}" for x in notes))
    if failed:
        parts.append(messages.text("button.export_failed") + "\n" + "\n".join(f"・{m}" for m in failed))
    alert(book, "\n\n".join(parts), title, critical=bool(failed or forced or without or left_out))


# --------------------------------------------------------------------------- 照会票作成 / 回答取込


def survey(book: xw.Book | None = None) -> None:
    """照会票作成: xlkit.macros_survey.survey."""
    from xlkit import macros_survey

    macros_survey.survey(book)


def collect(book: xw.Book | None = None, choose: Callable | None = None, confirm: Callable | None = None) -> None:
    """回答取込: xlkit.macros_survey.collect."""
    from xlkit import macros_survey

    macros_survey.collect(book, choose, confirm)


# --------------------------------------------------------------------------- 年度締め


def close_year(book: xw.Book | None = None, confirm: Callable | None = None) -> None:
    """年度締め: xlkit.macros_close.close_year."""
    from xlkit import macros_close

    macros_close.close_year(book, confirm)


def doctor(book: xw.Book | None = None) -> None:
    """診断: xlkit.macros_doctor.doctor (what `xlkit doctor` says, written to the sheet 診断)."""
    from xlkit import macros_doctor

    macros_doctor.doctor(book)


__all__ = ["validate", "summarize", "export_word", "export_excel", "survey", "collect", "close_year", "doctor", "read_grid",
           "read_book", "result_rows"]
