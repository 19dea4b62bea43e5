"""The button 年度締め (xlwings), reached through xlkit.macros.close_year.

The folder it makes (xlkit.closing_tasks.freeze) holds a copy of the saved file, so the open
workbook must equal what is saved: a workbook with unsaved changes is refused before anything
is asked. Once they are proven equal, it decides on the saved file, as `xlkit close-year` does
(xlkit.closing_tasks.prepare on the command line's reader), refusing alike and saying the same.
設定's new values and their 変更履歴 rows then go into the open workbook, which is saved, so that
the register and its 確定 folder agree. The button always makes the PDF; without LibreOffice its
hint says how to close with the command line's --no-pdf.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xlkit import messages
from xlkit.errors import XlkitError
from xlkit.macros import (alert, check_current, guarded, load_register, read_book, required_sheet,
                          workbook_file)
from xlkit.macros_survey import block_of, excel_value, failure_text, log_rows, unprotected

if TYPE_CHECKING:  # pragma: no cover
    import xlwings as xw

TITLE = "年度締め"


def close_year(book: xw.Book | None = None, confirm: Callable | None = None) -> None:
    """年度締め: close 設定's 報告年度 as `xlkit close-year` does.

    `confirm(plan, lines)` answers whether to go on, given what will be done; by default a
    yes/no dialog asks (tests pass a fixed answer: the remote engine cannot wait for one)."""
    guarded(TITLE, book, lambda b: _close_year(b, confirm))


def _close_year(book, confirm: Callable | None) -> None:
    from xlkit import closing_tasks, schema
    from xlkit.workbook import reader, writer

    history = schema.history()
    grids = read_book(book, extra=[history.sheet])
    rb = load_register(book, grids)
    check_current(book, rb)
    path = workbook_file(book)
    if path is None or not path.is_file():
        raise XlkitError(messages.text("close.no_file", 場所=book.fullname))

    writer.check_writable(path)  # Excel could not save the closed year into it
    saved_print = writer.Fingerprint.of(path)  # the bytes compared are the bytes copied
    saved = reader.load(path)
    if _contents(saved) != _contents(rb):
        raise XlkitError(messages.text("close.unsaved"))
    # decided on the saved file, as the command line decides: the same refusals in the same order
    plan, folder = closing_tasks.prepare(saved, path, pdf=True)
    settings_sheet = required_sheet(book, schema.settings().sheet)
    history_sheet = required_sheet(book, history.sheet)
    history_rows, history_letters = log_rows(rb.shadow(), history, grids.get(history.sheet))
    _check_lock(path)
    ask = confirm or _asker(book)
    if not ask(plan, plan.lines(folder)):
        return
    _check_lock(path)  # a colleague's xlkit may have begun while the question waited
    frozen = closing_tasks.freeze(path, plan, expected_sha256=saved_print.sha256)
    try:
        _write(book, plan, closing_tasks.source_of(frozen.folder, path), settings_sheet, history_sheet,
               history_rows, history_letters)
    except Exception as e:
        folder = (messages.text("close.partial_discarded") if closing_tasks.discard(frozen.folder)
                  else messages.text("close.partial_kept", フォルダ=frozen.folder))
        raise XlkitError(messages.text("close.partial", 内容=failure_text(e), 確定フォルダ=folder)) from None
    done = frozen.lines(plan.year)
    try:
        book.save()
        done.append(messages.text("close.saved"))
        critical = False
    except Exception as e:  # the folder stays: it is right once staff save
        done.append(messages.text("close.not_saved", 内容=failure_text(e)))
        critical = True
    alert(book, "\n".join(done), TITLE, critical=critical)


def _check_lock(path: Path) -> None:
    """Refuse while an xlkit command holds the register's lock (xlkit.lock): it is writing the
    file this button copies and then saves over. A lock its holder left behind (stale) stops
    no one here: the button does not take the lock, and the command that finds it says so."""
    from xlkit import lock

    marker = lock.lock_path(path)
    owner = lock.read_owner(marker)
    if owner is not None and not lock.is_stale(owner):
        raise lock.LockHeld("lock.held", owner, False, ファイル=path.name, 使用者=owner.describe(), 印=marker.name)


def _contents(book) -> tuple:
    """What the 確定 copy must hold as the open workbook holds it: every register row (外部提供's
    too: the copy is the whole register), 設定 (its values and the rows they are on) and the
    masters. The 課 rows are compared with their periods (book.org, not only the (課, 実施機関)
    pairs of book.divisions): an unsaved 終了日 or 後継の課 changes the names the report prints,
    and the ○ of 区分 and 審議結果 what 入力チェック finds."""
    return book.contents(), book.setting_cells


def _write(book, plan, source: str, settings_sheet, history_sheet, history_rows, history_letters) -> None:
    """変更履歴 first, so that no 設定 change is ever saved without its row; then 設定's cells."""
    import datetime as dt

    from xlkit import history, processes, schema

    rows = history.rows(plan.history(source), at=dt.datetime.now(), user=processes.user())
    last = max((r.row for r in history_rows), default=1)
    with unprotected(history_sheet):
        history_sheet.range((last + 1, 1)).value = block_of(schema.history(), history_letters, rows)
    for change in plan.changes:
        value = change.cell_value(change.new)
        if value is None:
            settings_sheet.range(change.cell).clear_contents()
        else:
            settings_sheet.range(change.cell).value = excel_value(value)


def _asker(book) -> Callable:
    def ask(plan, lines: list[str]) -> bool:
        text = "\n".join(lines) + "\n\n" + messages.text("close.confirm")
        return alert(book, text, TITLE, buttons="yes_no") == "yes"

    return ask
