"""The format of a register file: which sheets, columns and settings it has, as one number.

Every register records its format in a workbook name (NAME), written by `xlkit new` and by
`xlkit upgrade`. A register without one was made before formats were recorded: format 1.
A newer xlkit that adds a sheet or a column raises CURRENT and adds one step to
xlkit/workbook/migrate.py, so that registers staff already keep are carried over, never
rejected for 「列がありません」.
"""

from __future__ import annotations

import re

from . import schema
from .errors import Refusal

CURRENT = 6
FIRST = 1  # no marker: made by xlkit before this module existed
NAME = "xlkit_format"
# the register's own id, a workbook name written by `xlkit new` and by the step to format 3:
# a 照会票 carries it, so that an answer is never collected into another register
ID_NAME = "xlkit_register_id"

# format -> what its upgrade step adds: sheet -> its new column headers (() for a whole new
# sheet). A register of an older format lacks these by design, so validation says
# 「xlkit upgrade」 instead of 「列がありません」. Format 2 only records the format; format 3 adds
# 変更履歴 and 回答状況 (their names are the schemas'), the 設定 row 回答期限 and ID_NAME; format 4
# adds the 設定 row 締めた年度, the 課 columns after 課 and 実施機関 (schemas/division.schema.json)
# and the button 年度締め; format 5 adds the 審議案件 columns that let a 別紙 say what the published
# one says (別紙の件名, 別紙の担当課, 事業内容３の見出し, 外部提供の表題, 外部提供の期間: the last five of
# schemas/case.schema.json), the sheet 外部提供 (schemas/provision.schema.json) after 審議案件 and
# the 設定 row その他の記載; format 6 adds the sheet 診断 (xlkit.workbook.design.DIAGNOSIS, named here
# as text: this module reads no workbook module) that the button 診断 fills, and in an .xlsm the very
# hidden sheet of the buttons' texts, xlwings.conf's Interpreter_Win set to the bundle's Python and
# the buttons' check that it exists (none of which the reader reads).
ADDED: dict[int, dict[str, tuple[str, ...]]] = {
    2: {},
    3: {schema.history().sheet: (), schema.status().sheet: ()},
    4: {schema.division().sheet: tuple(schema.division().headers[2:])},  # 開始日, 終了日, 後継の課
    5: {schema.case().sheet: tuple(schema.case().headers[-5:]), schema.provision().sheet: ()},
    6: {"診断": ()},
}


def added_since(version: int) -> dict[str, set[str]]:
    """Sheet -> the headers formats after `version` added (an empty set: the whole sheet is new)."""
    added: dict[str, set[str]] = {}
    for later in range(version + 1, CURRENT + 1):
        for sheet, headers in ADDED.get(later, {}).items():
            added.setdefault(sheet, set()).update(headers)
    return added


def parse_id(text: str | None) -> str | None:
    """The register id in the workbook name's content (="3f2a…" or "3f2a…"); None when absent."""
    if text is None:
        return None
    m = re.fullmatch(r'\s*=?\s*"?([0-9A-Za-z-]{1,64})"?\s*', str(text))
    return m[1] if m else None


def parse(text: str | None) -> int:
    """The format number in the workbook name's content ("2", "=2"); FIRST when there is none."""
    if text is None:
        return FIRST
    m = re.fullmatch(r"\s*=?\s*(\d{1,4})\s*", str(text))
    if not m or int(m[1]) < FIRST:
        raise Refusal("format.unreadable", 値=str(text)[:40], 名前=NAME)
    return int(m[1])


def check_readable(version: int, file_name: str) -> None:
    """Refuse a register of a newer format than this xlkit knows, before anything is read or written."""
    if version > CURRENT:
        raise Refusal("format.newer", ファイル=file_name, 形式=version, 対応=CURRENT)


def check_current(version: int, file_name: str, path: str) -> None:
    """Refuse to change a register of an older format: it must be upgraded first."""
    check_readable(version, file_name)
    if version < CURRENT:
        raise Refusal("format.older", ファイル=file_name, 形式=version, 対応=CURRENT, パス=path)
