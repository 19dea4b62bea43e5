"""Writing 照会票 (xlkit.inquiry.Form) and 照会一覧 as plain .xlsx files with XlsxWriter.

A form has no macros, so that it can be e-mailed and opened anywhere. Its columns, dropdowns,
input messages and cell formats are the register's own (workbook/builder.py builds both from
schemas/); only the cells a 課 answers are unlocked, and the identity sheet is very hidden and
protected.
"""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import quote_sheetname

from xlkit import cells, inquiry
from xlkit.addresses import column_letter
from xlkit.dates import format_wareki, nendo
from xlkit.workbook import builder, design, styles

INHERITED = "組織改正"  # the 記入のしかた line of a form that lists a closed 課's linkages
CHOICES = "選択肢"  # hidden: the lists the dropdowns draw from (a form has no master sheets)
_EDIT = {"locked": False, "bg_color": "#FFF9E5", "border": 1, "border_color": "#D9D9D9"}


class Formats(builder.Formats):
    """The register's formats, with an unlocked, shaded twin of each for the cells a 課 answers."""

    def __getattr__(self, name: str):
        if name.startswith("edit_"):
            if name not in self._cache:
                self._cache[name] = self._wb.add_format({**getattr(styles, name[5:].upper()), **_EDIT})
            return self._cache[name]
        return super().__getattr__(name)


def write_form(form: inquiry.Form, path: Path, *, masters: dict[str, list[str]]) -> Path:
    """Write `form` to `path`, the temporary file of the survey's set (xlkit.inquiry_tasks.survey
    renames a whole set into place); `masters` are the register's 課, 実施機関 … lists for the
    dropdowns."""
    path.write_bytes(form_bytes(form, masters))
    return path


def form_bytes(form: inquiry.Form, masters: dict[str, list[str]]) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": f"外部結合に関する照会（{nendo(form.year)}・{form.division}）",
                       "company": form.department})
    fmt = Formats(wb)
    howto = wb.add_worksheet(inquiry.HOWTO)
    continuing = wb.add_worksheet(inquiry.CONTINUING)
    new = wb.add_worksheet(inquiry.NEW)
    choices = wb.add_worksheet(CHOICES)
    identity = wb.add_worksheet(inquiry.IDENTITY)
    _choices(wb, choices, masters)
    _howto(howto, form, fmt)
    _continuing(continuing, form, fmt)
    _new(new, form, fmt)
    _identity(identity, form)
    for ws, landscape in ((howto, False), (continuing, True), (new, True)):
        ws.set_paper(8 if landscape else 9)  # the register's 16 columns need A3 to stay legible
        if landscape:
            ws.set_landscape()
            ws.repeat_rows(0)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C&P / &N")
    howto.activate()
    wb.close()
    return buffer.getvalue()


def _choices(wb, ws, masters: dict[str, list[str]]) -> None:
    for c, (name, values) in enumerate(masters.items()):
        ws.write_string(0, c, name)
        for r, value in enumerate(values, start=1):
            ws.write_string(r, c, value)
        sheet = quote_sheetname(CHOICES)
        letter = column_letter(c)
        wb.define_name(design.list_name(name), f"={sheet}!${letter}$2:${letter}${max(len(values), 1) + 1}")
    ws.hide()
    ws.protect()


def _howto(ws, form: inquiry.Form, fmt) -> None:
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 2)
    ws.set_column(1, 1, 20)
    ws.set_column(2, 2, 90)
    ws.write_string(0, 1, f"外部結合に関する照会（{nendo(form.year)}）", fmt.title)
    rows = [
        ("課", form.division),
        ("所管課", form.department),
        ("回答期限", format_wareki(form.due) if form.due else "（区政情報課からの連絡のとおり）"),
    ]
    row = 2
    for label, value in rows:
        ws.write_string(row, 1, label, fmt.subtitle)
        ws.write_string(row, 2, value, fmt.body)
        row += 1
    row += 1
    ws.write_string(row, 1, "記入のしかた", fmt.subtitle)
    row += 1
    lines = [
        (inquiry.CONTINUING, f"{nendo(form.year - 1)}・{nendo(form.year)}に結合していた貴課の外部結合です"
                            f"（{len(form.continuing)} 件）。{nendo(form.year)}中に終了したものは「結合の終了年月日」"
                            "に日付を入力してください。ほかに直すところがあれば「変更内容」に書いてください"
                            "（区政情報課が確かめて登録簿を直します）。それ以外のセルは変更できません。"),
        (inquiry.NEW, f"{nendo(form.year)}に新たに始めた外部結合を1件1行で入力してください。管理番号・実施機関・"
                     "計上年度は区政情報課で入れます。日付は R3.4.1、令和3年4月1日、2021/4/1 のどの形でも入力できます。"),
        ("承認済みの案件", f"運営会議で承認され、まだ外部結合として登録されていない案件 {len(form.cases)} 件を"
                        f"「{inquiry.NEW}」の先頭に並べています。結合を始めていれば、その行の残りを入力してください。"
                        "まだ始めていなければ、そのままにしてください。"),
        ("回答者", "下の「担当者」「内線」「回答日」を入力してください。"),
        ("返送", "このファイルをそのまま（ファイル名を変えずに）区政情報課へ返送してください。シートの追加・削除、"
                 "行の並べ替えはしないでください。"),
    ]
    if form.inherited:  # 組織改正: rows registered under a closed 課 this 課 took over
        before = "、".join(f"{name}（{count} 件）" for name, count in form.inherited.items())
        lines.insert(1, (INHERITED, f"「{inquiry.CONTINUING}」のうち {sum(form.inherited.values())} 件は、組織改正前の課名"
                                    f"（{before}）で登録されている外部結合です。貴課が引き継いだものとしてお尋ねしています"
                                    "（課名は登録簿のまま表示しています）。終了したものは同じように終了年月日を入力してください。"))
    for label, text in lines:
        ws.write_string(row, 1, label, fmt.body)
        ws.write_string(row, 2, text, fmt.body)
        ws.set_row(row, 48 if len(text) > 90 else 32)
        row += 1
    row += 1
    ws.write_string(row, 1, "回答者", fmt.subtitle)
    row += 1
    for label in inquiry.RESPONDENT:
        ws.write_string(row, 1, label, fmt.body)
        if label == "回答日":
            ws.write_blank(row, 2, None, fmt.edit_date)
            ws.data_validation(row, 2, row, 2, {
                "validate": "date", "criteria": "between", "minimum": builder.DATE_MIN, "maximum": builder.DATE_MAX,
                "error_type": "warning", "input_title": "回答日", "input_message": "回答した日（例：R4.5.10）",
                "error_title": builder.DATE_ERROR_TITLE, "error_message": builder.SETTING_DATE_ERROR})
        else:
            ws.write_blank(row, 2, None, fmt.edit_text)
        row += 1
    if form.cases:
        row += 1
        ws.write_string(row, 1, "承認済みの案件", fmt.subtitle)
        row += 1
        for case in form.cases:
            ws.write_string(row, 1, case.ref, fmt.body)
            ws.write_string(row, 2, case.title, fmt.body)
            ws.set_row(row, 16 * -(-len(case.title) // 44) + 2)  # wrapped: about 44 characters a line
            row += 1
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


def _continuing(ws, form: inquiry.Form, fmt) -> None:
    columns = inquiry.continuing_columns()
    # every column locked: only the listed rows' end date and 変更内容 are unlocked, one by one,
    # so that nothing can be typed below them (a row the form did not list would refuse it)
    for c, column in enumerate(columns):
        editable = column.key in inquiry.EDITABLE
        ws.set_column(c, c, column.width, builder.column_format(column, fmt))
        ws.write_string(0, c, column.header, fmt.header_required if editable else fmt.header)
    change = len(columns)
    ws.set_column(change, change, 40, fmt.text)
    ws.write_string(0, change, inquiry.CHANGE_HEADER, fmt.header_required)
    ws.set_row(0, 36)
    ws.freeze_panes(1, 0)
    for r, values in enumerate(form.continuing, start=1):
        ws.set_row(r, _height(values, columns))
        for c, column in enumerate(columns):
            value = values.get(column.key)
            if column.key in inquiry.EDITABLE:
                _value(ws, r, c, value, fmt.edit_date)
            else:
                builder.write_value(ws, r, c, column, value, fmt)
        ws.write_blank(r, change, None, fmt.edit_text)
    if form.continuing:
        end = next(i for i, c in enumerate(columns) if c.key == "end")
        options = builder.validation(columns[end])
        ws.data_validation(1, end, len(form.continuing), end, options)
        ws.data_validation(1, change, len(form.continuing), change, {
            "validate": "any", "input_title": inquiry.CHANGE_HEADER,
            "input_message": "業務名・相手方・記録項目などに変更があれば、その内容を書いてください。区政情報課が確かめて直します。"})
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                    "format_rows": True})


def _height(values: dict, columns) -> float:
    """A row tall enough for its wrapped text (Excel and LibreOffice keep an XlsxWriter row one line tall)."""
    from xlkit import widths

    lines = 1
    for column in columns:
        text = cells.display(cells.cell_value(values.get(column.key), separator=column.separator))
        if text:
            per_line = max(column.width - 1, 1)
            lines = max(lines, sum(-(-int(widths.EXCEL.measure(part)) // int(per_line)) or 1 for part in text.split("\n")))
    return 15.0 * min(lines, 8) + 3


def _value(ws, r: int, c: int, value, cell_format) -> None:
    """A cell a 課 answers, in `cell_format` (unlocked) even when blank: builder.write_value
    writes a blank cell not at all."""
    if value is None:
        ws.write_blank(r, c, None, cell_format)
    elif hasattr(value, "year"):
        ws.write_datetime(r, c, value, cell_format)
    else:
        ws.write_string(r, c, cells.display(value), cell_format)


def _new(ws, form: inquiry.Form, fmt) -> None:
    columns = inquiry.new_columns()
    for c, column in enumerate(columns):
        ws.set_column(c, c, column.width, _edit(column, fmt))
        ws.write_string(0, c, column.header, fmt.header_required if column.required else fmt.header)
    reference = len(columns)
    ws.set_column(reference, reference, 40, fmt.note)
    ws.write_string(0, reference, inquiry.CASE_HEADER, fmt.header)
    ws.set_row(0, 36)
    ws.freeze_panes(1, 0)
    ref_col = next(i for i, c in enumerate(columns) if c.key == "case_ref")
    division_col = next(i for i, c in enumerate(columns) if c.key == "division")
    for r, case in enumerate(form.cases, start=1):
        ws.write_string(r, ref_col, case.ref, fmt.text)  # locked: the case this row completes
        ws.write_string(r, division_col, form.division, fmt.edit_text)
        ws.write_string(r, reference, case.title, fmt.note)
    last = len(form.cases) + inquiry.NEW_ROWS
    for r in range(len(form.cases) + 1, last + 1):  # the 課 answering, ready in each typing row
        ws.write_string(r, division_col, form.division, fmt.edit_text)
    for c, column in enumerate(columns):
        options = builder.validation(column)
        if options:
            ws.data_validation(1, c, last, c, options)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                    "format_rows": True})


def _edit(column, fmt):
    kind = {"date": "edit_date", "year": "edit_number", "integer": "edit_number", "mark": "edit_mark"}
    return getattr(fmt, kind.get(column.kind, "edit_text"))


def _identity(ws, form: inquiry.Form) -> None:
    r = 0
    for label, value in form.identity():
        ws.write_string(r, 0, label)
        if isinstance(value, int):
            ws.write_number(r, 1, value)
        else:
            ws.write_string(r, 1, str(value))
        r += 1
    r += 1
    for c, header in enumerate(inquiry.ROWS_HEADER):
        ws.write_string(r, c, header)
    for row in form.rows:
        r += 1
        for c, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    ws.very_hidden()
    ws.protect()


# --------------------------------------------------------------------------- 照会一覧


def write_list(forms: list[inquiry.Form], path: Path) -> Path:
    """照会一覧.xlsx of `forms` (one survey's, at least one): each 課, its form's file and its
    pre-filled rows, written to `path` (a temporary file of the set, as `write_form`)."""
    year = forms[0].year
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    fmt = builder.Formats(wb)
    ws = wb.add_worksheet("照会一覧")
    ws.write_string(0, 0, f"照会一覧（{nendo(year)}）", fmt.title)
    headers = ("課", "実施機関", "ファイル", f"継続中の外部結合（{inquiry.CONTINUING}）", "承認済みの案件", "回答期限")
    widths = (22, 14, 40, 16, 14, 18)
    for c, (header, width) in enumerate(zip(headers, widths)):
        ws.set_column(c, c, width, fmt.text)
        ws.write_string(2, c, header, fmt.header)
    ws.set_row(2, 36)
    for r, form in enumerate(forms, start=3):
        ws.write_string(r, 0, form.division, fmt.text)
        ws.write_string(r, 1, form.body, fmt.text)
        ws.write_string(r, 2, form.name, fmt.text)
        ws.write_number(r, 3, len(form.continuing), fmt.number)
        ws.write_number(r, 4, len(form.cases), fmt.number)
        ws.write_string(r, 5, format_wareki(form.due) if form.due else "", fmt.text)
    total = 3 + len(forms)
    ws.write_string(total, 0, "合計", fmt.header)
    ws.write_number(total, 3, sum(len(f.continuing) for f in forms), fmt.number)
    ws.write_number(total, 4, sum(len(f.cases) for f in forms), fmt.number)
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(2)
    wb.close()
    path.write_bytes(buffer.getvalue())
    return path
