"""Importing a published new-linkage table (表(2)) into a register's 「外部結合」 sheet.

The table is the tab-separated text staff get by copying 「(2) 新たに外部計算機との結合を行った
外部結合の内訳」 out of a report: a header line whose first cell is 「No.」, repeated on every
page, data lines of the same number of cells, blank lines in between. Cells may contain spaces;
a cell copied from Excel with a line break in it comes quoted ("…"), which is read as one cell.

Reading (`parse`) is pure. Every line that is not a header, not blank and not a readable row is
reported with its line number; lines before the first header that do not look like data (the
table's title) are skipped with a notice. `append` writes rows below the last non-blank row of
「外部結合」 with openpyxl, copying the row above's formats, and replaces the file atomically.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import difflib
import io
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import cells, register, schema
from .dates import DateError, era_of, fiscal_year, nendo, parse_date
from .errors import XlkitError
from .export.layout import omission_remark

NO_HEADERS = {"No.", "No", "NO.", "NO", "番号"}  # the first header cell, after cells.fold (№ folds to No)
FILLED = ("id", "body", "fiscal_year")  # what the importer fills itself
NOT_IN_TABLE = ("id", "fiscal_year")  # columns a table may not bring (実施機関 may: it is checked)
ENCODINGS = ("utf-8-sig", "cp932")  # Notepad saves UTF-8 today and Shift_JIS on older PCs (UTF-16: by its BOM)


@cache
def _late_tail() -> re.Pattern:
    """A start date followed by the omission remark (layout.json), bracketed or not."""
    return re.compile(r"^(?P<date>.*?)[\s　]*[（(【［\[]?[\s　]*" + re.escape(omission_remark())
                      + r"[\s　]*[)）】］\]]?[\s　]*$")


@dataclass(frozen=True)
class Message:
    """A Japanese message about one line of the pasted table."""

    line: int
    text: str
    no: str | None = None  # the row's No. cell, to find it in the printed report

    def __str__(self) -> str:
        where = f"{self.line}行目" + (f"（No.{self.no}）" if self.no else "")
        return f"{where}: {self.text}"


@dataclass
class Row:
    line: int
    no: str | None
    values: dict[str, Any]  # schema key -> typed value (str, int, datetime.date, True for ○)


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)  # rows that cannot be read (not imported)
    notices: list[Message] = field(default_factory=list)  # said to staff; nothing is lost by them
    present: list[Message] = field(default_factory=list)  # rows the register has already (not added again)


@dataclass
class Result:
    parsed: Parsed
    appended: list[tuple[int, dict[str, Any]]]  # (Excel row, values) actually written
    written: bool


# --------------------------------------------------------------------------- reading the text


def read_text(source: str | Path) -> str:
    """The table's text from a file ("-" reads standard input), UTF-8 or Shift_JIS."""
    if str(source) == "-":
        data = sys.stdin.buffer.read()
        name = "標準入力"
    else:
        path = Path(source)
        if path.is_dir():
            raise XlkitError(f"「{path}」はフォルダです。表(2)を貼り付けたテキストファイルを指定してください。")
        if not path.is_file():
            raise XlkitError(f"表のファイル「{path}」が見つかりません。")
        data = path.read_bytes()
        name = path.name
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Excel's 「Unicode テキスト」 and Notepad's 「Unicode」 save UTF-16 with a byte order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise XlkitError(f"「{name}」の文字コードが読めません。UTF-8 のテキストファイルとして保存し直してください。")


def _header_keys() -> dict[str, schema.Column]:
    return {cells.fold(c.header): c for c in schema.linkage().columns if c.key not in NOT_IN_TABLE}


def _read_header(line: int, cells_: list[str]) -> list[str | None]:
    """Schema key per cell (None for the No. column); refuses a header it cannot map."""
    known = _header_keys()
    keys: list[str | None] = [None]
    unknown = []
    for text in cells_[1:]:
        column = known.get(cells.fold(text))
        if column is None:
            if text.strip():
                unknown.append(text.strip())
            keys.append(None)
        else:
            keys.append(column.key)
    twice = sorted({schema.linkage().header(k) for k in keys if k and keys.count(k) > 1})
    if twice:
        raise XlkitError(f"{line}行目の見出しに {'、'.join(twice)} が2回あります。")
    if unknown:
        names = "、".join(f"「{u}」" for u in unknown)
        raise XlkitError(f"{line}行目の見出し {names} は外部結合の列名ではありません。"
                         f"見出しは No. と {'、'.join(c.header for c in known.values())} のいずれかです。")
    required = [c for c in schema.linkage().columns if c.required and c.key not in FILLED]
    missing = [c.header for c in required if c.key not in keys]
    if missing:
        raise XlkitError(f"{line}行目の見出しに {'、'.join(missing)} の列がありません。"
                         "表(2)の見出し行ごと貼り付けてください。")
    return keys


def _is_header(cells_: list[str]) -> bool:
    return bool(cells_) and cells.fold(cells_[0]) in NO_HEADERS


def _looks_like_data(cells_: list[str]) -> bool:
    return len(cells_) > 2 and cells.fold(cells_[0]).isdigit()


def split_late(value: str) -> tuple[str, bool]:
    """'H18.6.1 <omission remark>' -> ('H18.6.1', True); anything else unchanged."""
    m = _late_tail().match(value)
    if m and m["date"].strip():
        return m["date"].strip(), True
    return value, False


def _suggest(name: str, choices: Sequence[str]) -> str:
    folded = {cells.fold(c): c for c in choices}
    guess = difflib.get_close_matches(cells.fold(name), list(folded), n=1, cutoff=0.6)
    return f"「{folded[guess[0]]}」の誤りではありませんか。" if guess else ""


def parse(text: str, *, year: int, divisions: Sequence[tuple[str, str]]) -> Parsed:
    """Read the pasted table into rows of schema values with 計上年度 `year`.

    `divisions` is the register's 課 master: (課, 実施機関) in chart order. 実施機関 comes from it;
    a 課 spelt another way (spaces, full-width letters) is read as the master's spelling.
    """
    result = Parsed()
    reg = schema.linkage()
    division_of = {cells.fold(d): (d, b) for d, b in divisions}
    keys: list[str | None] | None = None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"', strict=False)
    last_line = 0
    seen: dict[tuple, int] = {}
    for raw in reader:
        line, last_line = last_line + 1, reader.line_num
        row = [c.strip() for c in raw]
        if all(not c for c in row):
            continue
        if _is_header(row):
            keys = _read_header(line, row)
            continue
        no = row[0] if row and row[0] else None
        if keys is None:
            if _looks_like_data(row):
                result.problems.append(Message(line, "見出し行（No. で始まる行）より前にあるため読めません。"
                                                     "見出し行ごと貼り付けてください。", no))
            else:
                result.notices.append(Message(line, f"表の前の行「{' '.join(c for c in row if c)[:30]}」を読み飛ばしました。"))
            continue
        if len(row) < len(keys) or any(row[len(keys):]):
            result.problems.append(Message(
                line, f"セルの数が {len(raw)} 個です（見出しは {len(keys)} 列）。"
                      "表(2)の行をそのまま貼り付けたか、セルの中にタブがないか確認してください。", no))
            continue
        values, errors, notes = _read_row(reg, keys, row, year, division_of, divisions)
        if errors:
            result.problems += [Message(line, e, no) for e in errors]
            continue
        fingerprint = identity(values)
        if fingerprint in seen:
            result.problems.append(Message(line, f"{seen[fingerprint]}行目と同じ内容の行です。", no))
            continue
        seen[fingerprint] = line
        result.notices += [Message(line, n, no) for n in notes]
        result.rows.append(Row(line, no, values))
    if keys is None and not result.problems:
        raise XlkitError("表の見出し行（「No.」で始まり、結合を行った課・業務名…と続く行）がありません。"
                         "報告書の表(2)を見出し行ごと貼り付けてください。")
    return result


def _read_row(reg, keys, row, year, division_of, divisions):
    values: dict[str, Any] = {}
    errors: list[str] = []
    notes: list[str] = []
    late = False
    for key, value in zip(keys, row):
        if key is None or not value:
            continue
        column = reg.column(key)
        if key == "start":
            value, late = split_late(value)
        try:
            if column.kind == "date":
                prepared = parse_date(value)
            else:
                prepared = cells.PREPARERS[column.kind](value)
        except (DateError, cells.CellError) as e:
            errors.append(f"{column.header}「{value}」: {e.reason}")
            continue
        if prepared is not None:
            values[key] = prepared
    for column in reg.columns:
        if column.required and column.key not in FILLED and column.key not in values:
            if not any(e.startswith(column.header) for e in errors):
                errors.append(f"{column.header}が空欄です。")
    division = values.get("division")
    if division is not None:
        found = division_of.get(cells.fold(division))
        if found is None:
            errors.append(f"結合を行った課「{division}」が登録簿の「課」シートにありません。"
                          + _suggest(division, [d for d, _ in divisions]))
        else:
            name, body = found
            if name != division:
                notes.append(f"課「{division}」を「課」シートの「{name}」として取り込みます。")
            values["division"] = name
            given = values.get("body")
            if given is not None and cells.fold(given) != cells.fold(body):
                errors.append(f"実施機関「{given}」が課「{name}」の実施機関「{body}」と違います。")
            values["body"] = body
    if errors:
        return values, errors, notes
    values["fiscal_year"] = year
    if late:
        values["note"] = "、".join(v for v in (values.get("note"), omission_remark()) if v)
    start = values["start"]
    if fiscal_year(start) > year:
        notes.append(f"開始年月日（{start:%Y/%m/%d}）が{nendo(year)}より後です。"
                     f"{nendo(year)}の新たな結合（b）として数えるには{nendo(year)}中の開始が必要です。")
    elif fiscal_year(start) < year and not late and not values.get("note"):
        notes.append(f"開始年月日（{start:%Y/%m/%d}）が{nendo(year)}より前です。"
                     f"前年度までの{omission_remark()}なら、備考に理由を記入してください。")
    return values, errors, notes


def identity(values: dict[str, Any]) -> tuple:
    """What makes two linkages the same one: every field the published table shows."""
    return tuple(cells.fold(cells.display(values.get(k)) or "") for k in
                 ("division", "business", "reason", "subjects", "items", "basis", "partner", "start"))


def id_prefix(year: int) -> str:
    """R2 for FY2020, R1 for 令和元年度, H30 for FY2018 (the schema's example R2-001)."""
    era = era_of(dt.date(year, 5, 1))
    return f"{era.letter}{year - era.offset}"


def next_ids(existing: Sequence[str], year: int, count: int) -> list[str]:
    """`count` new 管理番号 of the form R2-001, continuing after the register's highest of that year."""
    prefix = id_prefix(year)
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$", re.IGNORECASE)
    used = [int(m[1]) for e in existing if (m := pattern.match(cells.fold(e or "")))]
    start = max(used, default=0) + 1
    return [f"{prefix}-{k:03d}" for k in range(start, start + count)]


# --------------------------------------------------------------------------- writing


def lock_file(path: Path) -> Path:
    return path.with_name("~$" + path.name)


def check_writable(path: Path) -> None:
    if lock_file(path).exists():
        raise XlkitError(f"「{path.name}」は Excel で開かれています（{lock_file(path).name} があります）。"
                         "Excel で閉じてから実行してください。")


def _column_style(ws, col: int):
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and dim.style_id:
            return dim._style
    return None


def _last_nonblank_row(ws) -> int:
    for r in range(ws.max_row, 1, -1):
        for cell in ws[r]:
            if not cells.is_blank(cell.value):
                return r
    return 1


def _date_format(ws, col: int, template) -> str:
    from openpyxl.styles.numbers import is_date_format

    if template is not None and is_date_format(template.number_format):
        return template.number_format
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max and is_date_format(dim.number_format):
            return dim.number_format
    from xlkit.workbook.styles import DATE_FORMAT

    return DATE_FORMAT


def append(path: Path, letters: dict[str, str], rows: list[dict[str, Any]], *, verify=None) -> list[int]:
    """Write `rows` below the last non-blank row of 「外部結合」; returns their Excel rows.

    Each new cell takes the format of the cell above (or the column's format when the sheet
    has no data row yet); dates are real date cells in the column's date format. The Excel
    table is extended over the new rows. The file is replaced only once the copy is written
    (and, when given, `verify(copy_path)` has returned without raising).
    """
    import openpyxl
    from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

    check_writable(path)
    reg = schema.linkage()
    try:
        wb = openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    except Exception as e:
        raise XlkitError(f"「{path.name}」を書き込み用に開けません（{type(e).__name__}）。") from None
    ws = wb[reg.sheet]
    last = _last_nonblank_row(ws)
    width = max(ws.max_column, *(column_index_from_string(v) for v in letters.values()))
    above = last if last > 1 else None
    height = ws.row_dimensions[above].height if above else None
    written = []
    for i, values in enumerate(rows):
        r = last + 1 + i
        for col in range(1, width + 1):
            template = ws.cell(above, col) if above else None
            cell = ws.cell(r, col)
            if template is not None and template.has_style:
                cell._style = copy.copy(template._style)
            else:
                style = _column_style(ws, col)
                if style is not None:
                    cell._style = copy.copy(style)
        for key, letter in letters.items():
            value = values.get(key)
            if value is None or value is False:
                continue
            col = column_index_from_string(letter)
            cell = ws.cell(r, col)
            column = reg.column(key)
            if column.kind == "date":
                cell.number_format = _date_format(ws, col, ws.cell(above, col) if above else None)
                cell.value = value
            elif value is True:
                cell.value = "○"
            elif isinstance(value, (list, tuple)):
                cell.value = (column.separator or "、").join(value)
            else:
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text starting with = stays text, never a formula
        if height is not None:
            ws.row_dimensions[r].height = height
        written.append(r)
    new_last = last + len(rows)
    for table in ws.tables.values():
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        if min_row == 1 and max_row < new_last:
            table.ref = f"{get_column_letter(min_col)}1:{get_column_letter(max_col)}{new_last}"
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref
    _save(wb, path, verify)
    return written


def _save(wb, path: Path, verify=None) -> None:
    fd, name = tempfile.mkstemp(suffix=path.suffix, prefix=".xlkit-", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        wb.save(tmp)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except OSError:
            pass
        if verify is not None:
            verify(tmp)
        check_writable(path)
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise XlkitError(f"「{path.name}」に書き込めません。Excel で開いている場合は閉じてから実行してください。") \
                from None
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the whole import


def import_table(register_path: str | Path, text: str, year: int, *,
                 skip_bad: bool = False, dry_run: bool = False) -> Result:
    """Parse `text` and append its rows to the register, all or nothing unless `skip_bad`.

    Rows already in the register (every published field the same) are listed in
    `parsed.present` and not appended again: importing the same table twice adds nothing, and a
    table pasted again with rows added appends only those. They are not problems.
    """
    path = Path(register_path)
    book = register.load(path)
    sheet = schema.linkage().sheet
    parsed = parse(text, year=year, divisions=book.divisions)
    existing = {identity(r.values): r.row for r in book.linkages}
    rows = []
    for row in parsed.rows:
        there = existing.get(identity(row.values))
        if there is not None:
            parsed.present.append(Message(row.line, f"登録簿の「{sheet}」{there}行目にすでにあります。", row.no))
        else:
            rows.append(row)
    parsed.rows = rows
    needed = {k for r in rows for k in r.values} | {"id"}
    absent = book.missing.get(sheet, set())
    missing = [c.header for c in schema.linkage().columns if c.key in needed and c.key in absent]
    if missing:
        raise XlkitError(f"登録簿の「{sheet}」シートに列 {'、'.join(missing)} がありません。見出しを確認してください。")
    if not rows or dry_run or (parsed.problems and not skip_bad):
        return Result(parsed, [], False)
    ids = next_ids([r.get("id") for r in book.linkages], year, len(rows))
    values = [{**row.values, "id": id_} for row, id_ in zip(rows, ids)]
    excel_rows = append(path, book.columns[sheet], values,
                        verify=lambda written: _verify(written, path, book, values))
    return Result(parsed, list(zip(excel_rows, values)), True)


def _verify(written: Path, path: Path, before: register.Book, values: list[dict[str, Any]]) -> None:
    """The written copy must read back with the old rows unchanged and the new rows as meant."""
    after = register.load(written)
    old = [(r.row, r.values) for r in before.linkages]
    new = [{k: v for k, v in r.values.items()} for r in after.linkages[len(old):]]
    if [(r.row, r.values) for r in after.linkages[:len(old)]] != old or new != values:
        raise XlkitError(f"「{path.name}」への書き込みを確認できなかったため、登録簿は変更していません。")
