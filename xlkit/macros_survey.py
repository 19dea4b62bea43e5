"""The buttons 照会票作成 and 回答取込 (xlwings), reached through xlkit.macros.survey / collect.

照会票作成 writes the forms beside the workbook (exports\\照会票) through inquiry_tasks.survey, as
`xlkit survey` does. 回答取込 makes the decisions `xlkit collect` makes (inquiry_tasks.plan_collect), then
writes them into the workbook open in Excel — new rows below the last, end dates, 変更履歴 and
回答状況 — and leaves saving to staff. The file chooser and the question before writing are
functions passed in, so that the remote-engine tests supply a fixed list and a fixed answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from xlkit import cells, messages
from xlkit.addresses import column_index
from xlkit.errors import XlkitError
from xlkit.macros import (EXPORT_DIR, alert, check_current, excel_text, guarded, load_register, read_book, required_sheet,
                          workbook_file, workbook_folder)
from xlkit.workbook import design

if TYPE_CHECKING:  # pragma: no cover
    import xlwings as xw

SURVEY_DIR = "照会票"  # the folder of exports\ that 照会票作成 writes the forms into


def survey(book: xw.Book | None = None) -> None:
    """照会票作成: each 課's 照会票 and 照会一覧 of 設定's 報告年度, into exports\\照会票 beside the
    workbook — what `xlkit survey REGISTER --out DIR` writes. An existing form is never replaced."""
    guarded("照会票作成", book, _survey)


def _survey_folder(book) -> Path:
    return workbook_folder(book) / EXPORT_DIR / SURVEY_DIR


def _survey(book) -> None:
    from xlkit import inquiry_tasks
    from xlkit.dates import nendo

    rb = load_register(book, read_book(book))
    check_current(book, rb)
    folder = _survey_folder(book)
    done = inquiry_tasks.survey(rb, folder)
    message = messages.text("button.survey_written", 年度=nendo(done.year), 件数=len(done.forms), フォルダ=folder,
                            照会一覧=done.listing.name)
    alert(book, "\n\n".join([message, *done.notes]), "照会票作成", critical=bool(done.notes))


ALERT_LINES = 60  # lines of the collect report an alert shows; a message box taller than the screen cannot be read


def collect(book: xw.Book | None = None, choose: Callable | None = None, confirm: Callable | None = None) -> None:
    """回答取込: read the answered 照会票, decide every outcome as `xlkit collect` does
    (xlkit.tasks / xlkit.answers), and write the result into the open workbook, which staff then save.

    `choose(book)` returns the files picked (an empty list: cancelled); by default Excel's open
    dialog asks. `confirm(plan, lines)` answers whether to write, given the preview lines; by
    default a yes/no dialog asks. Tests pass both: the remote engine cannot wait for an answer.
    """
    guarded("回答取込", book, lambda b: _collect(b, choose, confirm))


def _shown(lines: list[str]) -> str:
    return "\n".join(messages.first(lines, ALERT_LINES))


def _collect(book, choose: Callable | None, confirm: Callable | None) -> None:
    from xlkit import answers, collect_log, inquiry_tasks, schema

    title = "回答取込"
    logs = (schema.history(), schema.status())
    grids = read_book(book, extra=[log.sheet for log in logs])
    rb = load_register(book, grids)
    check_current(book, rb)
    linkages = required_sheet(book, design.linkage_sheet())
    history_sheet, status_sheet = (required_sheet(book, log.sheet) for log in logs)
    shadow = rb.shadow()  # rb stays as read
    history_rows, history_letters = log_rows(shadow, logs[0], grids.get(logs[0].sheet), keys=collect_log.HISTORY_KEYS)
    status_rows, status_letters = log_rows(shadow, logs[1], grids.get(logs[1].sheet))
    read = collect_log.Logs(history_rows, status_rows)
    inquiry_tasks.inquiry_year(rb, None)  # a 報告年度 missing is said before staff are asked for files

    files = [Path(p) for p in (choose or _choose_files)(book) or []]
    if not files:
        return  # cancelled: nothing read, nothing written
    files = inquiry_tasks.answer_files(files, register=workbook_file(book))
    plan = inquiry_tasks.plan_collect(rb, inquiry_tasks.read_answers(rb, files), history=read.taken)
    if plan.held:  # all or nothing, as the command line: not even 回答状況 is written
        alert(book, _shown(collect_log.report(plan, written=False, door="button")), title, critical=True)
        return
    inquiry_tasks.check_plan(rb, plan)
    new, ends = answers.applied(plan)
    if new:
        _check_tables(linkages, rb.columns[schema.linkage().sheet])
    ask = confirm or _collect_asker(book, title)
    if not ask(plan, collect_log.report(plan, written=False, dry_run=True, door="button")):
        return
    started: list[bool] = []
    try:
        _write(book, rb, plan, grids, (linkages, history_sheet, status_sheet), read, (history_letters, status_letters),
               started)
    except Exception as e:
        if not started:  # refused before the first cell (a sheet protected with a password): as it is
            raise
        # some cells are written already: staff must close without saving, not keep half an answer
        raise XlkitError(messages.text("button.collect_partial", 内容=failure_text(e))) from None
    message = _shown(collect_log.report(plan, written=True, door="button")) + "\n\n" + messages.text("button.collect_save")
    alert(book, message, title, critical=bool(plan.refused_files or plan.conflicts))


def failure_text(e: Exception) -> str:
    """Why a write broke off, as staff can pass it on: xlkit's own words, the system's, or (a
    defect) the exception itself for the システム担当."""
    from xlkit.errors import from_os_error

    if isinstance(e, XlkitError):
        return e.message
    if isinstance(e, OSError):
        return from_os_error(e).message
    return f"{type(e).__name__}: {e}"


def _write(book, rb, plan, grids, sheets, read, log_letters, started: list[bool]) -> None:
    """The plan into the open workbook: the history first, so that a failure midway leaves no
    row without its 変更履歴; the new rows, the end dates, then 回答状況. `read` are the
    history and status as read (xlkit.collect_log.Logs), `log_letters` their column letters."""
    from xlkit import answers, collect_log, history, processes, schema
    from xlkit.addresses import runs

    linkages, history_sheet, status_sheet = sheets
    history_letters, status_letters = log_letters
    new, ends = answers.applied(plan)
    logs = (schema.history(), schema.status())

    now = dt.datetime.now()
    linkage = schema.linkage()
    letters = rb.columns[linkage.sheet]
    after = plan.after
    with unprotected(history_sheet), unprotected(status_sheet):
        started.append(True)
        changes = collect_log.history_changes(new, ends)
        if changes:
            rows = history.rows(changes, at=now, user=processes.user())
            history_sheet.range((read.last + 1, 1)).value = block_of(logs[0], history_letters, rows)
        if new:  # one block below the last row, in the sheet's own column order
            linkages.range((after + 1, 1)).value = block_of(linkage, letters, [n.values for n in new])
            _date_formats(linkages, linkage, letters, after + 1, [n.values for n in new])
            _grow_tables(linkages, letters, after + len(new))
        if ends:  # a block per run of consecutive rows, formatted as the register writer formats them
            col = column_index(letters["end"]) + 1
            by_row = {end.record.row: end.end for end in ends}
            for first, last in runs(by_row):
                linkages.range((first, col), (last, col)).value = [[by_row[r]] for r in range(first, last + 1)]
                _date_format(linkages, col, first, last)
        old = grids.get(logs[1].sheet) or []
        if len(old) > 1:
            status_sheet.range((2, 1), (len(old), max(len(old[0]), 1))).clear_contents()
        rows = collect_log.status_rows(plan, [r.values for r in read.status], now)
        if rows:
            status_sheet.range((2, 1)).value = block_of(logs[1], status_letters, rows)


def log_rows(shadow, register, grid: list[list] | None, keys=None) -> tuple[list, dict[str, str]]:
    """The typed rows of a sheet xlkit writes (変更履歴, 回答状況) and its column letters, read
    and refused as the command line reads them (xlkit.collect_log.log_records)."""
    from xlkit import collect_log
    from xlkit.register import stream_register

    found = collect_log.log_records(shadow, register, stream_register(shadow, register, iter(grid or [[]]), keys=keys))
    return found, shadow.columns[register.sheet]


def block_of(register, letters: dict[str, str], rows: list[dict]) -> list[list]:
    """`rows` (schema key -> value) as one 2-D block in the sheet's column order (A to its last
    mapped column); cells of other columns are left blank."""
    width = max(column_index(x) for x in letters.values()) + 1
    block = []
    for values in rows:
        line: list = [None] * width
        for key, letter in letters.items():
            column = register.column(key)
            line[column_index(letter)] = excel_value(cells.cell_value(values.get(key), separator=column.separator))
        block.append(line)
    return block


def excel_value(value):
    """A typed value as written through xlwings: text kept as that text (excel_text), the rest
    (dates, as the reader types every date cell, and numbers) as it is. Every button writes a
    cell through it (年度締め's 設定 cells too)."""
    return excel_text(value) if isinstance(value, str) else value


def _date_formats(sheet, register, letters: dict[str, str], first: int, rows: list[dict]) -> None:
    """The date cells of the new rows (`rows`, from row `first` down) in the number format the
    register writer gives them: the format of the cell above when it shows a date, else the
    register's (R3.9.30); Excel would show a written date in its own. A blank cell is left as
    it is, as the register writer leaves it."""
    from xlkit.addresses import runs

    for column in register.columns:
        if column.kind == "date" and column.key in letters:
            col = column_index(letters[column.key]) + 1
            dated = [first + i for i, values in enumerate(rows) if values.get(column.key) is not None]
            for top, bottom in runs(dated):
                _date_format(sheet, col, top, bottom, above=first - 1 if first > 2 else None)


_UNREAD = object()  # the engine reads no number format (xlwings' remote engine)


def _number_format(where):
    """The number format of the cells of `where`: one code for them all, None when they differ
    (Excel says Null), _UNREAD when the engine cannot say."""
    try:
        found = where.number_format
    except Exception:
        return _UNREAD
    return found if isinstance(found, str) else None


def _date_format(sheet, col: int, first: int, last: int, *, above: int | None = None) -> None:
    """The cells of rows `first`..`last` of column `col`, just given dates, in the number format
    xlkit.workbook.stylesheet.new_date_format gives (the register writer's rule): that of the
    cell in row `above` (new rows take the format of the row above them) or else their own,
    when it shows a date; the register's otherwise, and on an engine that reads no formats."""
    from xlkit.workbook.stylesheet import new_date_format

    written = sheet.range((first, col), (last, col))
    shown = _number_format(sheet.range((above, col)) if above else written)
    if shown is None and above is None and first < last:  # their own formats differ: each keeps its own
        for row in range(first, last + 1):
            _date_format(sheet, col, row, row)
        return
    current = None if shown is _UNREAD else shown
    wanted = new_date_format(current)
    if wanted != current:
        written.number_format = wanted


def _register_tables(sheet, letters: dict[str, str]) -> list:
    """The register's own table on the sheet (appender.holds_register, the rule the register
    writer follows); none on an engine without tables."""
    from xlkit.workbook.appender import holds_register

    columns = {column_index(x) + 1 for x in letters.values()}
    try:
        tables = list(sheet.tables)
    except Exception:  # the engine has no tables
        return []
    found = []
    for table in tables:
        try:
            where = table.range
            if holds_register(where.row, where.column, where.column + where.columns.count - 1, columns):
                found.append(table)
        except Exception:  # a table the engine cannot describe is left alone
            continue
    return found


def _check_tables(sheet, letters: dict[str, str]) -> None:
    """A totals row under the register's table: refused before anything is written, as by the
    register writer."""
    for table in _register_tables(sheet, letters):
        try:
            totals = bool(table.show_totals)
        except Exception:
            totals = False
        if totals:
            raise XlkitError(messages.text("button.collect_totals_row"))


def _grow_tables(sheet, letters: dict[str, str], last: int) -> None:
    """The register's table takes in the rows down to `last`, as the register writer grows it.
    Only its range changes."""
    for table in _register_tables(sheet, letters):
        try:
            where = table.range
            if where.row + where.rows.count - 1 < last:
                table.resize(sheet.range((where.row, where.column), (last, where.column + where.columns.count - 1)))
        except Exception:  # the values are written either way; the table's banding is not worth an alert
            continue


@contextmanager
def unprotected(sheet) -> Iterator[None]:
    """Write to a sheet xlkit protects (変更履歴, 回答状況): in Excel its protection (no password, as
    xlkit sets it) is lifted for the writes and set again afterwards as the builder sets it —
    filtering, sorting and widening columns allowed. An engine without Excel's object model (the
    remote engine of the tests) has no protection to lift."""
    com = _com(sheet)
    if com is None or not _protected(com):
        yield
        return
    try:
        com.Unprotect()
    except Exception:  # a password staff set: nothing has been written yet
        raise XlkitError(messages.text("button.sheet_locked", シート=sheet.name)) from None
    try:
        yield
    finally:
        com.Protect(AllowFiltering=True, AllowSorting=True, AllowFormattingColumns=True)


def _com(sheet):
    """The sheet's Excel object (COM), or None on an engine that has none (the remote engine's
    `.api` is the JSON it was sent). Told by the engine's name, never by probing the object:
    looking up a method on a late-bound COM object may call it."""
    try:
        engine = sheet.book.app.engine.name
    except AttributeError:  # not an xlwings sheet: a stand-in with Excel's methods (tests)
        engine = "excel"
    if engine != "excel":
        return None
    try:
        return sheet.api
    except Exception:
        return None


def _protected(com) -> bool:
    try:
        return bool(com.ProtectContents)
    except Exception:
        return True


def _collect_asker(book, title: str) -> Callable:
    def ask(plan, lines: list[str]) -> bool:
        text = _shown(lines) + "\n\n" + messages.text("button.collect_confirm")
        return alert(book, text, title, buttons="yes_no") == "yes"

    return ask


def _choose_files(book) -> list[Path]:
    """Excel's open dialog, several files at once, in exports\\照会票 when that folder is there;
    an empty list when cancelled."""
    app = book.app.api
    try:
        start = _survey_folder(book)
        if start.is_dir():
            # GetOpenFilename opens in Excel's current folder; the XLM function DIRECTORY sets it
            app.ExecuteExcel4Macro('DIRECTORY("%s")' % str(start).replace('"', '""'))
    except Exception:  # a workbook in the cloud, or XLM refused: the dialog opens where Excel was
        pass
    picked = app.GetOpenFilename("Excel ファイル (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls", MultiSelect=True,
                                 Title=messages.text("button.collect_choose"))
    if picked is False or picked is None:
        return []
    if isinstance(picked, str):
        return [Path(picked)]
    return [Path(p) for p in picked]


