"""Reading a published new-linkage table (表(2)) pasted as text into rows of schema values (pure).

The table is the tab-separated text staff get by copying 「(2) 新たに外部計算機との結合を行った
外部結合の内訳」 out of a report: a header line whose first cell is 「No.」, repeated on every
page, data lines of the same number of cells, blank lines in between. Cells may contain spaces;
a cell copied from Excel with a line break in it comes quoted ("…"), which is read as one cell.

Reading (`parse`) is pure. Every line that is not a header, not blank and not a readable row is
reported with its line number; lines before the first header that do not look like data (the
table's title) are skipped with a notice. The rows are written into the register by
xlkit.workbook.appender; xlkit.tasks.import_table ties the two together.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import cells, limits, schema
from .dates import fiscal_year, nendo, nendo_era
from .errors import Refusal, XlkitError, os_reason
from .export.layout import omission_remark

NO_HEADERS = {"No.", "No", "NO.", "NO", "番号"}  # the first header cell, after cells.fold (№ folds to No)
FILLED = ("id", "body", "fiscal_year")  # what xlkit fills in itself
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
    """One readable row of the pasted table, as schema key -> typed value."""

    line: int
    no: str | None
    values: dict[str, Any]  # schema key -> typed value (str, int, datetime.date, True for ○)


@dataclass
class Parsed:
    """Everything `parse` found, by what becomes of it."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)  # rows that cannot be read (not imported)
    notices: list[Message] = field(default_factory=list)  # said to staff; nothing is lost by them
    present: list[Message] = field(default_factory=list)  # rows the register has already (not added again)


# --------------------------------------------------------------------------- reading the text


def decode_text(data: bytes) -> str | None:
    """A table file's text: UTF-16 by its byte order mark, else UTF-8 or Shift_JIS; None when none fits."""
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
    return None


@dataclass(frozen=True)
class TableFile:
    """What a table file given as text is, for the words of its refusals (read_text): `name` what
    it is called (取り込む表, 組織改正の表), `give` what to give instead (…を指定してください)."""

    name: str
    give: str


PASTED = TableFile("取り込む表", "表(2)を貼り付けたテキストファイル")
# what Excel writes for a workbook saved with a password (and for an old .xls): an OLE compound
# file, not text (nor a zip)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_text(source: str | Path, table: TableFile = PASTED) -> str:
    """The text of a table file ("-" reads standard input): UTF-8, Shift_JIS or UTF-16 with its
    mark (decode_text), at most XLKIT_LIMITS' table_bytes. What is not such a file (a folder, a
    device, a password-protected Excel file, another encoding) is refused in Japanese, `table`
    naming what was wanted."""
    most = limits.current().table_bytes
    name = "標準入力" if str(source) == "-" else Path(source).name
    try:
        if str(source) == "-":
            data = sys.stdin.buffer.read(most + 1)
        else:
            path = Path(source)
            if path.is_dir():
                raise Refusal("table.folder", ファイル=path, 指定=table.give)
            if not path.exists():
                raise Refusal("table.missing", 表=table.name, ファイル=path)
            if not path.is_file():  # a pipe would hold the read for ever, a device never end
                raise Refusal("table.not_file", ファイル=name, 指定=table.give)
            with path.open("rb") as file:
                data = file.read(most + 1)
    except OSError as exc:  # a name too long, a folder without read permission, a share gone
        raise Refusal("table.unreadable", 表=table.name, ファイル=name, 理由=os_reason(exc)) from None
    if len(data) > most:
        raise Refusal("table.too_big", ファイル=name, 表=table.name, 上限=limits.size(most), 指定=table.give)
    if data.startswith(OLE_SIGNATURE):  # an Excel file with a password, saved under another name
        raise Refusal("table.password", ファイル=name, 表=table.name, 指定=table.give)
    text = decode_text(data)
    if text is None:
        raise Refusal("table.encoding", ファイル=name)
    return text


def tab_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Tab-separated text as (the line its row begins on, its cells): a cell copied from Excel
    with a line break in it comes quoted ("…") and is one cell. A cell as long as the table
    itself is read (csv's own limit, 131,072 characters, would end in its English error: the
    reader of the table says what is too long, with its line); what csv still refuses (a NUL
    after a quote …) is said in Japanese. A quote that never closes takes the rest of the text
    into one cell: `unclosed` tells such a row."""
    csv.field_size_limit(max(csv.field_size_limit(), limits.current().table_bytes))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"', strict=False)
    last = 0
    try:
        for row in reader:
            first, last = last + 1, reader.line_num
            yield first, row
    except csv.Error:
        raise XlkitError(f"表の{reader.line_num}行目付近を読めません。引用符（\"）が閉じていないか、"
                         "表にない文字が混じっていないか確かめてください。") from None


def unclosed(row: Sequence[str]) -> bool:
    """Whether a row read by tab_rows holds a quote that never closed: a tab inside a cell, which
    only a quoted cell can hold, and Excel never quotes one."""
    return any("\t" in cell for cell in row)


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


def _suggester(choices: Sequence[str]):
    """suggest(name) -> 「…の誤りではありませんか。」 or "": the choices folded once, each name
    compared once, and no more names than rules.SUGGESTED (3,000 unknown 課 against 3,000
    took minutes)."""
    from .rules import SUGGESTED

    folded = {cells.fold(c): c for c in choices}
    said: dict[str, str] = {}

    def suggest(name: str) -> str:
        if name not in said and len(said) < SUGGESTED:
            guess = difflib.get_close_matches(cells.fold(name), list(folded), n=1, cutoff=0.6)
            said[name] = f"「{folded[guess[0]]}」の誤りではありませんか。" if guess else ""
        return said.get(name, "")
    return suggest


def parse(text: str, *, year: int, divisions: Sequence[tuple[str, str]]) -> Parsed:
    """Read the pasted table into rows of schema values with 計上年度 `year`.

    `divisions` is the register's 課 master: (課, 実施機関) in chart order. 実施機関 comes from it;
    a 課 spelt another way (spaces, full-width letters) is read as the master's spelling.
    """
    result = Parsed()
    reg = schema.linkage()
    division_of = {cells.fold(d): (d, b) for d, b in divisions}
    suggest = _suggester([d for d, _ in divisions])
    keys: list[str | None] | None = None
    seen: dict[tuple, int] = {}
    # an overlong cell is said by _unwritable, with its line
    for line, raw in tab_rows(text):
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
            # a tab inside a cell: a " opened a quoted cell that never closed and took the rest in
            result.problems.append(Message(
                line, f"セルの数が {len(raw)} 個です（見出しは {len(keys)} 列）。"
                      + ("引用符（\"）で始まるセルが閉じていないため、後ろの行まで一つのセルになっています。"
                         "その引用符を消すか、閉じてください。" if unclosed(raw) else
                         "表(2)の行をそのまま貼り付けたか、セルの中にタブがないか確認してください。"), no))
            continue
        values, errors, notes = _read_row(reg, keys, row, year, division_of, suggest)
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


def _read_row(reg, keys, row, year, division_of, suggest):
    values: dict[str, Any] = {}
    errors: list[str] = []
    notes: list[str] = []
    late = False
    for key, value in zip(keys, row):
        if key is None or not value:
            continue
        column = reg.column(key)
        refused = _unwritable(value)
        if refused:
            errors.append(f"{column.header}「{cells.display(value)[:30]}」: {refused}")
            continue
        if key == "start":
            value, late = split_late(value)
        try:
            prepared = cells.PREPARERS[column.kind](value)
        except cells.CellError as e:
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
                          + suggest(division))
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


def _unwritable(value: str) -> str | None:
    """Why a cell cannot go into the register as it is, or None: an invisible character (a
    control character from a broken export, a bidi override) would be written as it is and
    warned of by every 入力チェック after."""
    found = cells.invisible_chars(value)
    if found:
        i, ch = found[0]
        return (f"{i + 1}文字目に目に見えない文字 {cells.invisible_name(ch)} があります。"
                "元の表からコピーし直すか、この文字を消してから取り込んでください。")
    most = limits.current().cell_chars
    if len(value) > most:
        return f"{len(value):,} 文字あります。Excel の1セルに入るのは {most:,} 文字までです。"
    return None


IDENTITY = ("division", "business", "reason", "subjects", "items", "basis", "partner", "start")


def identity(values: dict[str, Any]) -> tuple:
    """What makes two linkages the same one: every field the published table shows (IDENTITY)."""
    return tuple(cells.fold(cells.display(values.get(k)) or "") for k in IDENTITY)


def id_prefix(year: int) -> str:
    """R2 for FY2020, R1 for 令和元年度, H30 for FY2018 (the schema's example R2-001)."""
    era, n = nendo_era(year)
    return f"{era.letter}{n}"


def next_ids(existing: Sequence[str], year: int, count: int) -> list[str]:
    """`count` new 管理番号 of the form R2-001, continuing after the register's highest of that year."""
    prefix = id_prefix(year)
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$", re.IGNORECASE)
    head = prefix.casefold()
    # only an id that may fold into the prefix is folded: 100,000 of them took a quarter second
    used = [int(m[1]) for e in existing
            if e and (not e.isascii() or e[:len(head)].casefold() == head) and (m := pattern.match(cells.fold(e)))]
    start = max(used, default=0) + 1
    return [f"{prefix}-{k:03d}" for k in range(start, start + count)]
