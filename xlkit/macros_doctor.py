"""The button 診断 (xlwings): `xlkit doctor` for the open workbook, written to the sheet 診断.

The checks and their wording are those of xlkit.diagnosis, on the facts xlkit.doctor_facts gathers for the
workbook's file, so the sheet holds the rows the command line prints for the same register. One
fact comes from the open workbook instead of the file: its xlwings.conf sheet, since that is
what the buttons' VBA reads (an edit not yet saved counts already).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlkit.addresses import ranges
from xlkit.errors import XlkitError
from xlkit.macros import alert, excel_text, guarded, read_grid, required_sheet, workbook_file
from xlkit.workbook import design

if TYPE_CHECKING:  # pragma: no cover
    import xlwings as xw

TITLE = "診断"
RESULT_COLUMN = "B"  # 結果: the cell coloured like 入力チェック colours a bad cell


def doctor(book: xw.Book | None = None) -> None:
    """診断: every check of `xlkit doctor` for this workbook, into the sheet 診断."""
    guarded(TITLE, book, _doctor)


def _doctor(book) -> None:
    from xlkit import diagnosis, doctor_facts, register

    place = workbook_file(book)
    shown = str(place) if place is not None else str(book.fullname)
    names = [s.name for s in book.sheets]
    if design.DIAGNOSIS not in names and register.misnamed(design.DIAGNOSIS, names) is None:
        raise XlkitError(
            f"この登録簿には「{design.DIAGNOSIS}」シートがありません（以前の形式の登録簿です）。Excel でこの登録簿を閉じてから、"
            f"コマンドプロンプトで xlkit upgrade \"{shown}\" を実行して、今の形式に更新してください（入力した値は変わりません）。"
            f"更新の前に確かめるには、xlkit doctor \"{shown}\" を実行してください。")
    sheet = required_sheet(book, design.DIAGNOSIS)  # a tab renamed by a stray space is named there
    conf = next((s for s in book.sheets if s.name == design.CONF), None)
    facts = doctor_facts.gather(shown, conf_grid=read_grid(conf) if conf is not None else None)
    checks = diagnosis.diagnose(facts)
    _write(sheet, checks)
    sheet.activate()
    message = f"{diagnosis.summary(checks)}\n結果を「{design.DIAGNOSIS}」シートに書き出しました。"
    alert(book, message, TITLE, critical=diagnosis.exit_code(checks) != 0)


def _write(sheet, checks) -> None:
    """Row 1 the headers, one row per check from row 2: the previous run's rows and colours go first."""
    from xlkit import diagnosis

    width = len(design.DIAGNOSIS_HEADERS)
    old_rows = len(read_grid(sheet)) - 1
    if old_rows > 0:
        sheet.range((2, 1), (old_rows + 1, width)).clear_contents()
        sheet.range((2, 2), (old_rows + 1, 2)).color = None
    rows = [[excel_text(text) for text in check.row()] for check in checks]
    sheet.range((1, 1)).value = [list(design.DIAGNOSIS_HEADERS), *rows]
    fills = {diagnosis.ACTION: design.ERROR_FILL, diagnosis.NOTE: design.WARNING_FILL}
    for result, fill in fills.items():
        marked = [f"{RESULT_COLUMN}{n}" for n, check in enumerate(checks, start=2) if check.result == result]
        for address in ranges(marked):
            sheet.range(address).color = fill
    # the texts wrap in their columns: fit the rows to them (one action, whatever the number of rows)
    sheet.range((2, 1), (len(rows) + 1, width)).rows.autofit()
