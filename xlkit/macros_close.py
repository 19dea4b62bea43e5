"""The button 年度締め (xlwings), reached through xlkit.macros.close_year.

It makes the decision `xlkit close-year` makes (xlkit.closing.plan) on the open workbook and
writes the same 確定 folder (xlkit.closing_tasks.freeze) from the saved file. The folder holds
a copy of the file, so the open workbook must equal what is saved: a workbook with unsaved
changes is refused before anything is asked. 設定's new values and their 変更履歴 rows then go
into the open workbook, which is saved, so that the register and its 確定 folder agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from xlkit import messages
from xlkit.errors import XlkitError
from xlkit.macros import alert, excel_text, guarded, load_register, read_book, required_sheet

if TYPE_CHECKING:  # pragma: no cover
    import xlwings as xw

TITLE = "年度締め"


def close_year(book: xw.Book | None = None, confirm: Callable | None = None) -> None:
    """年度締め: close 設定's 報告年度 as `xlkit close-year` does.

    `confirm(plan, lines)` answers whether to go on, given what will be done; by default a
    yes/no dialog asks (tests pass a fixed answer: the remote engine cannot wait for one)."""
    guarded(TITLE, book, lambda b: _close_year(b, confirm))


def _close_year(book, confirm: Callable | None) -> None:
    from xlkit import closing, closing_tasks, schema, tasks
    from xlkit.macros_survey import log_rows, workbook_file
    from xlkit.workbook import reader, writer

    history = schema.history()
    grids = read_book(book, extra=[history.sheet])
    rb = load_register(book, grids)
    from xlkit import formats

    formats.check_current(rb.format, book.name, str(book.fullname))
    path = workbook_file(book)
    if path is None or not path.is_file():
        raise XlkitError(messages.text("close.no_file", 場所=book.fullname))
    settings_sheet = required_sheet(book, schema.settings().sheet)
    history_sheet = required_sheet(book, history.sheet)
    history_rows, history_letters = log_rows(rb.shadow(), history, grids.get(history.sheet))

    writer.check_writable(path)  # Excel could not save the closed year into it
    saved_print = writer.Fingerprint.of(path)  # the bytes compared are the bytes copied
    saved = reader.load(path)
    if _contents(saved) != _contents(rb):
        raise XlkitError(messages.text("close.unsaved"))
    plan = closing.plan(rb, tasks.validate(rb))
    folder = closing_tasks.check_folder(path, plan.year)
    closing_tasks.check_pdf_tool(True)
    lines = [*plan.lines(), messages.text("close.plan_folder", フォルダ=folder)]
    ask = confirm or _asker(book)
    if not ask(plan, lines):
        return
    frozen = closing_tasks.freeze(path, plan, expected_sha256=saved_print.sha256)
    try:
        _write(book, plan, closing_tasks.source_of(frozen.folder, path), settings_sheet, history_sheet,
               history_rows, history_letters)
    except Exception as e:
        from xlkit.macros_survey import failure_text

        folder = (messages.text("close.partial_discarded") if closing_tasks.discard(frozen.folder)
                  else messages.text("close.partial_kept", フォルダ=frozen.folder))
        raise XlkitError(messages.text("close.partial", 内容=failure_text(e), 確定フォルダ=folder)) from None
    done = [messages.text("close.done", 年度=_nendo(plan.year)),
            messages.text("close.done_folder", フォルダ=frozen.folder),
            *(f"・{name}" for name in sorted(frozen.files))]
    try:
        book.save()
        done.append(messages.text("close.saved"))
        critical = False
    except Exception as e:  # the folder stays: it is right once staff save
        from xlkit.macros_survey import failure_text

        done.append(messages.text("close.not_saved", 内容=failure_text(e)))
        critical = True
    alert(book, "\n".join(done), TITLE, critical=critical)


def _nendo(year: int) -> str:
    from xlkit.dates import nendo

    return nendo(year)


def _contents(book) -> tuple:
    """What the 確定 copy must hold as the open workbook holds it: every register row, 設定 and the masters."""
    return ([(r.row, r.values) for r in book.linkages], [(r.row, r.values) for r in book.cases], book.settings,
            book.divisions, book.bodies, book.categories, book.results)


def _write(book, plan, source: str, settings_sheet, history_sheet, history_rows, history_letters) -> None:
    """変更履歴 first, so that no 設定 change is ever saved without its row; then 設定's cells."""
    import datetime as dt

    from xlkit import history, processes, schema
    from xlkit.macros_survey import block_of, unprotected

    rows = history.rows(plan.history(source), at=dt.datetime.now(), user=processes.user())
    last = max((r.row for r in history_rows), default=1)
    with unprotected(history_sheet):
        history_sheet.range((last + 1, 1)).value = block_of(schema.history(), history_letters, rows)
    for change in plan.changes:
        value = change.new
        if isinstance(value, list):
            value = excel_text("、".join(str(v) for v in value))
        if value is None:
            settings_sheet.range(change.cell).clear_contents()
        else:
            settings_sheet.range(change.cell).value = value


def _asker(book) -> Callable:
    def ask(plan, lines: list[str]) -> bool:
        text = "\n".join(lines) + "\n\n" + messages.text("close.confirm")
        return alert(book, text, TITLE, buttons="yes_no") == "yes"

    return ask
