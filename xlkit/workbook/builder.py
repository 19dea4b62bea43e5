"""Write a register workbook: the plain .xlsx and the controlled, macro-enabled .xlsm.

One builder writes both. The .xlsx has every sheet, table, dropdown and protection; the .xlsm
adds the xlwings VBA project, our module (each button's sub checks that the interpreter exists,
then calls RunPython), the buttons of 「使い方」 (design.BUTTONS) and the very hidden sheet of the
texts that VBA shows (design.MACRO_TEXTS). The upgrade steps (workbook/format*.py) give an older
register the same, part by part.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname

from xlkit import cells, dates, formats, schema
from xlkit.errors import XlkitError
from xlkit.files import atomic_write, scratch
from xlkit.installation import INTERPRETER_WIN
from xlkit.workbook import design, styles

MAX_ROW = 1_048_575  # last 0-based row of a sheet: validation covers every row below the header

# Validation bounds for date columns, from the schemas' year range (common.schema.json): the first
# day of the era the first year falls in (the newest era begun by its end: 平成元年1月8日) to
# 31 December of the last year.
_FIRST_YEAR, _LAST_YEAR = schema.year_bounds()
DATE_MIN = dates.era_of(dt.date(_FIRST_YEAR, 12, 31)).first_day
DATE_MAX = dt.date(_LAST_YEAR, 12, 31)
# the error alert of a date cell (a warning: 和暦 typed as text is confirmed with 「はい」); the
# upgrade steps give the cells they add the same (workbook/format3.py)
DATE_ERROR_TITLE = "日付を確認してください"
DATE_ERROR = ("日付として読み取れませんでした。R2.4.1 や 令和2年4月1日 のように入力した場合は"
              "「はい」で確定できます（入力チェックで確認します）。")
SETTING_DATE_ERROR = "日付として読み取れませんでした。このまま確定する場合は「はい」を押してください。"


def build(
    path: str | os.PathLike,
    *,
    linkages: Iterable[Mapping[str, Any]] = (),
    cases: Iterable[Mapping[str, Any]] = (),
    provisions: Iterable[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
    divisions: Sequence[tuple[str, str]] | None = None,
    overwrite: bool = True,
    register_id: str | None = None,
) -> Path:
    """Write a register to ``path``; the suffix chooses the format (.xlsx plain, .xlsm controlled).

    ``linkages``, ``cases`` and ``provisions`` are dicts of schema key -> value (str, int, datetime.date,
    True for a ○ mark, list[str] for a multi column). ``settings`` maps settings keys to
    values (``previous_published`` maps 実施機関 -> int). ``divisions`` replaces the seed
    list of (課, 実施機関) from masters.json. An existing file is replaced only when
    ``overwrite``; the file appears whole or not at all (xlkit.files.atomic_write).
    ``register_id`` is the register's id (xlkit.formats.ID_NAME), a new one when None.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        raise XlkitError(f"「{target.name}」は作成できません。ファイル名の拡張子を .xlsm（ボタン付き）か .xlsx にしてください。")
    rows = dict(linkages=list(linkages), cases=list(cases), provisions=list(provisions), settings=settings,
                divisions=divisions, register_id=register_id or new_register_id())

    def write(tmp: Path) -> None:
        if suffix == ".xlsx":
            _write(tmp, **rows, macro=False)
            return
        from xlkit.workbook import vba

        # XlsxWriter writes the sheets, the buttons and the xlwings project; pyOpenVBA then
        # adds our module, writing the final copy
        with scratch(target.parent, ".xlsm", owner=target.name) as sheets_only:
            sheet_codes = _write(sheets_only, **rows, macro=True)
            vba.install_module(sheets_only, tmp, sheet_codes)

    return atomic_write(target, write, overwrite=overwrite)


def write_buttons_source(path: Path) -> None:
    """Write an empty controlled register's sheets and buttons, without its VBA module, straight
    into ``path`` (a temporary file the caller owns): where the upgrade takes 使い方's fresh
    button drawing from. Not through atomic_write, whose own temporary copy would be named after
    the caller's temporary file and be missed by the clean-up after a killed upgrade."""
    _write(Path(path), [], [], [], None, None, new_register_id(), macro=True)


class Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb = wb
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            self._cache[name] = self._wb.add_format(getattr(styles, name.upper()))
        return self._cache[name]


def new_register_id() -> str:
    """A register's id: random, so that two registers never share one."""
    return uuid.uuid4().hex


def _write(path: Path, linkages, cases, provisions, settings, divisions, register_id, *, macro: bool) -> dict[str, str]:
    """Write the workbook with XlsxWriter; returns sheet name -> VBA code name (macro only)."""
    masters = schema.masters()
    bodies = list(masters[design.BODIES])
    division_rows = [tuple(d) for d in (divisions if divisions is not None else masters[design.DIVISIONS])]

    buffer = io.BytesIO()  # written in one go at the end: see export/xlsx_writer.py
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"title": "審議案件・外部結合登録簿", "company": "区政情報課"})
    fmt = Formats(wb)
    order = design.macro_sheet_order() if macro else design.sheet_order()
    sheets = {name: wb.add_worksheet(name) for name in order}
    codes: dict[str, str] = {}
    if macro:
        from xlkit.workbook import vba

        wb.add_vba_project(vba.template_project(), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
        for i, name in enumerate(order, start=1):
            codes[name] = f"Sheet{i}"
            sheets[name].set_vba_name(codes[name])

    _define_names(wb, register_id)
    _howto(sheets[design.HOWTO], fmt, macro=macro)
    _register(sheets[design.linkage_sheet()], schema.linkage(), linkages, fmt)
    _register(sheets[design.case_sheet()], schema.case(), cases, fmt)
    _register(sheets[design.provision_sheet()], schema.provision(), provisions, fmt)
    _results(sheets[design.RESULTS], fmt)
    _summary(sheets[design.SUMMARY], fmt)
    _diagnosis(sheets[design.DIAGNOSIS], fmt)
    _settings(sheets[design.settings_sheet()], settings or {}, bodies, fmt)
    _master(sheets[design.BODIES], design.BODIES, [(b,) for b in bodies], fmt)
    _master(sheets[design.DIVISIONS], design.DIVISIONS, division_rows, fmt)
    for name in (design.CATEGORIES, design.RESULTS_MASTER):
        marked = set(schema.mark_columns()[name]["○"])
        _master(sheets[name], name, [(v, cells.MARK if v in marked else "") for v in masters[name]], fmt)
    _conf(sheets[design.CONF], fmt)
    _log_sheet(sheets[design.status_sheet()], schema.status(), fmt)
    _log_sheet(sheets[design.history_sheet()], schema.history(), fmt)
    for name, ws in sheets.items():
        if name == design.MACRO_TEXTS:
            continue  # never shown nor printed
        _page_setup(ws, landscape=name not in (design.HOWTO, *design.MASTER_HEADERS),
                    repeat_header=name not in (design.HOWTO, design.SUMMARY, design.CONF))
    if macro:
        _macro_texts(sheets[design.MACRO_TEXTS])
    sheets[design.HOWTO].activate()
    wb.close()
    Path(path).write_bytes(buffer.getvalue())
    return codes


def _page_setup(ws, *, landscape: bool, repeat_header: bool) -> None:
    """A4, one page wide, the header row repeated on every printed page."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&P / &N")
    if repeat_header:
        ws.repeat_rows(0)


# --------------------------------------------------------------------------- names


def _define_names(wb, register_id: str) -> None:
    """The register's format and id (xlkit.formats), and one workbook name per master: the
    filled part of the master's first column.

    OFFSET/COUNTA grows with the list, so a 課 typed below the last one joins the dropdowns
    (a table would too, but tables do not grow on a protected sheet).
    """
    wb.define_name(formats.NAME, f"={formats.CURRENT}")  # read by the reader and `xlkit upgrade`
    wb.define_name(formats.ID_NAME, f'="{register_id}"')  # carried by every 照会票
    for master in design.MASTER_HEADERS:
        sheet = quote_sheetname(master)
        wb.define_name(
            design.list_name(master),
            f"=OFFSET({sheet}!$A$2,0,0,MAX(COUNTA({sheet}!$A:$A)-1,1),1)",
        )


# --------------------------------------------------------------------------- register sheets


def write_value(ws, row: int, col: int, column: schema.Column, value: Any, fmt: Formats) -> None:
    value = cells.cell_value(value, separator=column.separator)
    if value is None:
        return
    if column.kind == "date":
        if isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(row, col, value, fmt.date)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt.date)
        else:
            ws.write_string(row, col, str(value), fmt.date)
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt.text)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt.number)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(row, col, value, fmt.date)
    elif column.kind == "mark":
        ws.write_string(row, col, str(value), fmt.mark)
    else:
        ws.write_string(row, col, str(value), fmt.text)


def column_format(column: schema.Column, fmt: Formats):
    if column.kind == "date":
        return fmt.date
    if column.kind in ("year", "integer"):
        return fmt.number
    if column.kind == "mark":
        return fmt.mark
    return fmt.text


def _register(ws, register: schema.Register, rows: list[Mapping[str, Any]], fmt: Formats) -> None:
    columns = register.columns
    unknown = {k for r in rows for k in r} - {c.key for c in columns}
    if unknown:
        raise ValueError(f"{register.sheet}: スキーマにない項目があります: {', '.join(sorted(unknown))}")
    last_col = len(columns) - 1
    for i, column in enumerate(columns):
        ws.set_column(i, i, column.width, column_format(column, fmt))
    for r, record in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            if column.key in record:
                write_value(ws, r, c, column, record[column.key], fmt)
    ws.add_table(0, 0, max(len(rows), 1), last_col, {
        "name": design.table_name(register.sheet),
        "style": "Table Style Medium 2",
        "banded_rows": True,
        "autofilter": True,
        "columns": [
            {"header": c.header, "header_format": fmt.header_required if c.required else fmt.header}
            for c in columns
        ],
    })
    ws.set_row(0, 36)
    ws.freeze_panes(1, 0)
    for c, column in enumerate(columns):
        options = validation(column)
        if options:
            ws.data_validation(1, c, MAX_ROW, c, options)


def validation(column: schema.Column) -> dict | None:
    """The data validation of a register column: dropdown, bounds, input message, error alert."""
    title = column.header[:27] + ("（必須）" if column.required else "")
    message = column.input_message or ""
    prop = column.schema
    options: dict[str, Any]
    if column.master:
        source = f"={design.list_name(column.master)}"
        options = {"validate": "list", "source": source}
        if column.kind == "multi":
            sep = column.separator or cells.SEPARATOR
            options.update(
                error_type="information",
                error_title="一覧にない値です",
                error_message=(f"「{column.master}」シートの一覧から選んでください。"
                               f"複数の場合は「{sep}」で区切って入力できます。入力チェックで確認します。"),
            )
        else:
            options.update(
                error_type="stop",
                error_title="一覧にない値です",
                error_message=(f"「{column.master}」シートの一覧から選んでください。"
                               f"新しい{column.master}は「{column.master}」シートに追加すると一覧に加わります。"),
            )
    elif column.kind == "date":
        options = {
            "validate": "date", "criteria": "between", "minimum": DATE_MIN, "maximum": DATE_MAX,
            "error_type": "warning", "error_title": DATE_ERROR_TITLE, "error_message": DATE_ERROR,
        }
    elif column.kind == "mark":
        options = {
            "validate": "list", "source": [cells.MARK],
            "error_type": "stop", "error_title": "○ か空欄です",
            "error_message": "この列は ○ を選ぶか、空欄にしてください。",
        }
    elif column.kind in ("year", "integer"):
        low, high = prop.get("minimum", 0), prop.get("maximum", 999_999)
        what = "年度（西暦）" if column.kind == "year" else "整数"
        options = {
            "validate": "integer", "criteria": "between", "minimum": low, "maximum": high,
            "error_type": "stop", "error_title": "数値を確認してください",
            "error_message": f"{what}を {low} から {high} の範囲で入力してください。",
        }
    elif column.kind == "text" and prop.get("enum"):
        choices = [str(v) for v in prop["enum"]]
        options = {
            "validate": "list", "source": choices,
            "error_type": "stop", "error_title": ENUM_ERROR_TITLE, "error_message": enum_error(choices),
        }
    elif "maxLength" in prop:
        options = {
            "validate": "length", "criteria": "<=", "value": prop["maxLength"],
            "error_type": "stop", "error_title": "文字数を確認してください",
            "error_message": f"{prop['maxLength']} 文字以内で入力してください。",
        }
    elif message or column.required:
        options = {"validate": "any"}
    else:
        return None
    if column.required and not message:
        message = "必ず入力してください。"
    if message:
        options.update(input_title=title, input_message=message[:255])
    return options


ENUM_ERROR_TITLE = "一覧にない値です"


def enum_error(choices: Sequence[str]) -> str:
    """The error alert of a column whose schema lists its values (事業内容３の見出し)."""
    return "".join(f"「{c}」" for c in choices) + "から選ぶか、空欄にしてください。"


# --------------------------------------------------------------------------- 使い方


def _howto(ws, fmt: Formats, *, macro: bool) -> None:
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 2)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 90)
    ws.write_string(0, 1, "審議案件・外部結合登録簿の使い方", fmt.title)
    ws.merge_range(1, 1, 1, 2, ("「外部結合」「審議案件」シートに1件を1行として入力し、下のボタンで点検・集計・資料作成を"
                                "行います。ボタンを押してもシートに入力した値は変わりません。"), fmt.body)
    ws.set_row(1, 32)
    ws.write_string(3, 1, design.HOWTO_BUTTONS, fmt.subtitle)
    row = 4
    for button in design.BUTTONS:
        ws.set_row(row, 40)
        if macro:
            ws.insert_button(row, 1, {
                "macro": button.sub, "caption": button.caption,
                "width": 150, "height": 34, "x_offset": 4, "y_offset": 3,
                "description": button.caption,
            })
        else:
            ws.write_string(row, 1, button.caption, fmt.body)
        ws.write_string(row, 2, button.help, fmt.body)
        row += 1
    if not macro:
        ws.write_string(row, 1, ("このファイル（.xlsx）にはボタンがありません。ボタン付きの登録簿は "
                                 "xlkit new 登録簿.xlsm で作成できます。"), fmt.note)
        row += 1
    row += 1
    lines = [
        ("入力のしかた", None),
        ("外部結合", "外部結合1件を1行に入力します。1行目の見出しは変更しないでください。"),
        (design.case_sheet(), "運営会議で審議した案件1件を1行に入力します。"),
        design.provision_howto(),
        ("必須の列", "見出しが濃い紺色の列は必ず入力してください（薄い青色の列は任意）。"
                     "セルを選ぶと入力のしかたが表示されます。"),
        ("一覧から選ぶ列", "実施機関・課・区分・審議結果は一覧から選びます。一覧は同名のシートにあり、"
                          "最後の行の下に追加すると選択肢に加わります。"),
        ("日付", "R2.4.1、令和2年4月1日、2020/4/1 のどの形でも入力できます。"),
        ("○の列", "特定個人情報の有無・本人同意は、該当する場合に ○ を選びます。"),
        ("設定", "「設定」シートの「値」の列に報告年度・報告日・前年度公表値などを入力します。"),
        ("結果のシート", None),
        ("検証結果", "入力チェックの結果です。セル番地をクリックすると該当のセルに移動します。"
                     "エラーのセルは赤、警告のセルは黄色で塗られます。"),
        ("集計", "集計ボタンで実施機関別の a + b − c の表がここに書き出されます。"),
        ("xlwings.conf", "ボタンから Python を呼び出すための設定です（通常は変更不要。詳しくは README を参照）。"),
        ("マクロの有効化", None),
        ("警告が出たとき", "ファイルを開いて「セキュリティの警告」が表示されたら「コンテンツの有効化」を押してください。"
                          "「ブロックされています」と表示される場合は、ファイルのプロパティで「許可する」にチェックを入れてください。"),
    ]
    for label, text in lines:
        if text is None:
            row += 1
            ws.write_string(row, 1, label, fmt.subtitle)
        else:
            ws.write_string(row, 1, label, fmt.body)
            ws.write_string(row, 2, text, fmt.body)
            if len(text) > 46:
                ws.set_row(row, 32)
        row += 1
    # buttons stay clickable; the sheet, its text and the buttons themselves cannot be changed by accident
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})


# --------------------------------------------------------------------------- result sheets


def _header_row(ws, headers: Sequence[str], widths: Sequence[float], fmt: Formats) -> None:
    for c, (header, width) in enumerate(zip(headers, widths)):
        ws.set_column(c, c, width, fmt.text)
        ws.write_string(0, c, header, fmt.header)
    ws.set_row(0, 24)
    ws.freeze_panes(1, 0)


def _results(ws, fmt: Formats) -> None:
    _header_row(ws, design.RESULT_HEADERS, design.RESULT_WIDTHS, fmt)
    # unformatted: the first result row is written over it and must not inherit a grey note style
    ws.write_string(1, 0, "（「入力チェック」ボタンを押すと、ここに結果が書き出されます。）")


def _diagnosis(ws, fmt: Formats) -> None:
    """診断 (format 6): laid out like 検証結果, which the macro doctor fills the same way (headers in
    row 1, one row per check from row 2)."""
    _header_row(ws, design.DIAGNOSIS_HEADERS, design.DIAGNOSIS_WIDTHS, fmt)
    # in 内容, the widest column: in A, LibreOffice wraps it in the column's format
    ws.write_string(1, 2, design.DIAGNOSIS_PLACEHOLDER)


def _summary(ws, fmt: Formats) -> None:
    # 集計 fills these columns; the long official labels of the table header wrap
    ws.set_column(0, 0, 26, fmt.summary_first)
    ws.set_column(1, 5, 18, fmt.summary)
    ws.write_string(0, 0, "（「集計」ボタンを押すと、「設定」の報告年度の集計表がここに書き出されます。）")


# --------------------------------------------------------------------------- 設定


def settings_rows(settings: Mapping[str, Any], bodies: Sequence[str]) -> list[tuple[str, str, Any, str]]:
    """The rows of 「設定」: (key, 項目, 値, 説明), in schema order, per-body rows expanded."""
    rows: list[tuple[str, str, Any, str]] = []
    for column in schema.settings().columns:
        help_text = column.help
        if column.kind == "per-body":
            given = settings.get(column.key) or {}
            for body in bodies:
                rows.append((column.key, design.per_body_title(column.header, body), given.get(body), help_text))
        else:
            value = settings.get(column.key, column.default)
            rows.append((column.key, column.header, value, help_text))
    return rows


def _settings(ws, settings: Mapping[str, Any], bodies: Sequence[str], fmt: Formats) -> None:
    unknown = set(settings) - {c.key for c in schema.settings().columns}
    if unknown:
        raise ValueError(f"設定: スキーマにない項目があります: {', '.join(sorted(unknown))}")
    for c, (header, width) in enumerate(zip(design.SETTINGS_HEADERS, design.SETTINGS_WIDTHS)):
        ws.write_string(0, c, header, fmt.master_header)
        ws.set_column(c, c, width, fmt.locked_text)
    ws.set_row(0, 24)
    ws.freeze_panes(1, 0)
    kinds = {c.key: c for c in schema.settings().columns}
    for r, (key, title, value, help_text) in enumerate(settings_rows(settings, bodies), start=1):
        column = kinds[key]
        ws.write_string(r, 0, title, fmt.locked_text)
        ws.write_string(r, 2, help_text or "", fmt.locked_text)
        kind = column.kind
        if kind == "years":  # 締めた年度: plain text (2020、2021), never a date nor a number format
            value = cells.as_text(value, separator=column.separator) or None
        if isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(r, 1, value, fmt.setting_date)
        elif isinstance(value, bool) or value is None or value == "":
            ws.write_blank(r, 1, None, fmt.setting_date if kind == "date" else fmt.setting)
        elif isinstance(value, (int, float)):
            ws.write_number(r, 1, value, fmt.setting_number)
        else:
            ws.write_string(r, 1, str(value), fmt.setting_date if kind == "date" else fmt.setting)
        ws.data_validation(r, 1, r, 1, setting_validation(column, title, help_text))
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True,
                    "format_rows": True})


def setting_validation(column: schema.Column, title: str, help_text: str | None) -> dict[str, Any]:
    """The data validation of a 設定 value cell (column B): bounds for a number, a date between
    DATE_MIN and DATE_MAX (a warning), anything else any value; its input message. The one source
    for a new register and for a row an upgrade step adds (format3.add_settings_row)."""
    kind = column.kind
    options: dict[str, Any]
    if kind in ("year", "per-body"):
        prop = column.schema if kind == "year" else column.schema.get("additionalProperties", {})
        low, high = prop.get("minimum", 0), prop.get("maximum", 999_999)
        options = {"validate": "integer", "criteria": "between", "minimum": low, "maximum": high,
                   "error_type": "stop", "error_title": "数値を確認してください",
                   "error_message": f"{low} から {high} の整数を入力してください。"}
    elif kind == "date":
        options = {"validate": "date", "criteria": "between", "minimum": DATE_MIN, "maximum": DATE_MAX,
                   "error_type": "warning", "error_title": DATE_ERROR_TITLE, "error_message": SETTING_DATE_ERROR}
    else:
        options = {"validate": "any"}
    if help_text:
        options.update(input_title=title[:32], input_message=help_text[:255])
    return options


# --------------------------------------------------------------------------- masters


def _master(ws, name: str, rows: Sequence[Sequence[str]], fmt: Formats) -> None:
    """A master sheet: a locked header over editable rows, the structure protected."""
    headers = design.MASTER_HEADERS[name]
    widths = design.MASTER_WIDTHS[name]
    # 課's columns are its schema's (開始日 and 終了日 are dates); the other masters' are text
    kinds = [c.kind for c in schema.division().columns] if name == design.DIVISIONS else ["text"] * len(headers)
    ws.set_column(0, len(headers) - 1, None, fmt.unlocked)
    for c, (header, width, kind) in enumerate(zip(headers, widths, kinds)):
        ws.set_column(c, c, width, fmt.unlocked_date if kind == "date" else fmt.unlocked)
        ws.write_string(0, c, header, fmt.master_header)
    # Every cell of a data row is unlocked, so that staff may insert and delete whole rows.
    ws.set_column(len(headers), 16_383, None, fmt.unlocked)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if value not in (None, ""):
                ws.write_string(r, c, str(value), fmt.unlocked)
    ws.set_row(0, 24)
    ws.freeze_panes(1, 0)
    if name == design.DIVISIONS:
        for c, options in enumerate(division_validations()):
            if options:
                ws.data_validation(1, c, MAX_ROW, c, options)
    if name in schema.mark_columns():
        spec = schema.mark_columns()[name]
        ws.data_validation(1, 1, MAX_ROW, 1, {
            "validate": "list", "source": [cells.MARK],
            "input_title": spec["列名"], "input_message": spec["説明"][:255],
            "error_type": "stop", "error_title": "○か空欄です", "error_message": "○を付けるか、空欄にしてください。",
        })
    note_col = design.master_note_column(name)
    ws.set_column(note_col, note_col, 60, fmt.unlocked)
    ws.write_string(0, note_col, design.master_note(name), fmt.note)
    ws.protect("", {"insert_rows": True, "delete_rows": True, "sort": True,
                    "select_locked_cells": True, "select_unlocked_cells": True})


def division_validations() -> list[dict | None]:
    """The data validation of each column of 課 (schemas/division.schema.json), from row 2 down:
    実施機関 from its list; 開始日 and 終了日 dates (a warning: 和暦 typed as text is read by
    入力チェック); 後継の課 offered from the 課 list, with a warning only, since a 課 split in two
    names both (「、」). Each shows the schema's input message. The step to format 4 adds the same
    to an older register (workbook/format4.py)."""
    out: list[dict | None] = []
    for column in schema.division().columns:
        message = column.input_message or ""
        options: dict[str, Any] | None
        if column.master:
            options = {"validate": "list", "source": f"={design.list_name(column.master)}",
                       "error_type": "stop", "error_title": "一覧にない値です",
                       "error_message": f"「{column.master}」シートの一覧から選んでください。"}
        elif column.kind == "date":
            options = {"validate": "date", "criteria": "between", "minimum": DATE_MIN, "maximum": DATE_MAX,
                       "error_type": "warning", "error_title": DATE_ERROR_TITLE, "error_message": DATE_ERROR}
        elif column.kind == "multi":
            options = {"validate": "list", "source": f"={design.list_name(design.DIVISIONS)}",
                       "error_type": "warning", "error_title": SUCCESSOR_ERROR_TITLE,
                       "error_message": successor_error(column)}
        else:
            options = None
        if options is not None and message:
            options.update(input_title=column.header[:32], input_message=message[:255])
        out.append(options)
    return out


SUCCESSOR_ERROR_TITLE = "一覧にない課です"


def successor_error(column: schema.Column) -> str:
    """The warning of 後継の課 for a value not in the 課 list."""
    sep = column.separator or cells.SEPARATOR
    return (f"「{design.DIVISIONS}」シートの一覧にない課です。複数の課は「{sep}」で区切って入力できます。"
            "このまま確定する場合は「はい」を押してください（入力チェックで確認します）。")


# --------------------------------------------------------------------------- 回答状況, 変更履歴


def _log_sheet(ws, register: schema.Register, fmt: Formats) -> None:
    """A sheet only xlkit writes: its header from the schema, protected so that staff can read,
    filter and copy it but not change it by accident."""
    for c, column in enumerate(register.columns):
        ws.set_column(c, c, column.width, fmt.locked_text)
        ws.write_string(0, c, column.header, fmt.master_header)
    ws.set_row(0, 24)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, len(register.columns) - 1)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "autofilter": True,
                    "sort": True, "format_columns": True})


# --------------------------------------------------------------------------- xlwings.conf


def _conf(ws, fmt: Formats) -> None:
    """xlwings reads its settings from A1 downwards, key in A and value in B, until a blank
    (design.XLWINGS_CONF_ROWS says why each row is there)."""
    ws.set_column(0, 0, max(20, max(len(key) for key, _ in design.XLWINGS_CONF_ROWS) + 2))
    ws.set_column(1, 1, 60)
    for r, (key, value) in enumerate(design.XLWINGS_CONF_ROWS):
        ws.write_string(r, 0, key)
        if isinstance(value, bool):
            ws.write_boolean(r, 1, value)
        elif value:
            ws.write_string(r, 1, str(value))
    start = len(design.XLWINGS_CONF_ROWS) + 2
    for i, text in enumerate(CONF_NOTES):
        ws.write_string(start + i, 0, text, fmt.note_line if i else fmt.subtitle)


CONF_NOTES = (
    "説明：",
    "ボタンから Python を呼び出す xlwings の設定です。設定は A1 から下へ空白行までが読まれます。",
    f"Interpreter_Win は xlkit をインストールした Python（python.exe）の場所です。xlkit のセットアップ.bat は "
    f"{INTERPRETER_WIN} に入れます（%LOCALAPPDATA% はパソコンを使う人ごとのフォルダです）。"
    "別の場所に入れた場合だけ書き換えてください。",
    "PYTHONPATH・Conda Path・Conda Env は空欄のままにしてください（空欄にしておくと、ほかの xlwings の設定が"
    "このブックのボタンに混ざりません）。詳しくは README を参照してください。",
    "ADD_WORKBOOK_TO_PYTHONPATH は FALSE のままにしてください（ブックのフォルダのファイルを Python に読み込ませず、"
    "OneDrive・SharePoint のブックでも xlkit が日本語で案内できるようにします）。",
)


# --------------------------------------------------------------------------- the texts of the VBA


def _macro_texts(ws) -> None:
    """design.MACRO_TEXTS: A1 the ASCII key the VBA finds the sheet by, then one text per row (key
    in A, text in B). Very hidden (only the VBA editor lists it) and protected."""
    for r, (key, text) in enumerate(macro_text_rows()):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, text)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 100)
    ws.repeat_rows(0)  # as the upgrade's sheet has it (format3.insert_sheet names every new sheet's titles)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    ws.very_hidden()


def macro_text_rows() -> list[tuple[str, str]]:
    """The rows of design.MACRO_TEXTS: the key row (with a note for whoever finds the sheet), then
    the texts. One source for a new register and the step to format 6."""
    return [(design.MACRO_TEXTS_KEY, design.MACRO_TEXTS_NOTE), *design.MACRO_TEXTS_ROWS]
