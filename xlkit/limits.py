"""How much of a file xlkit will read: the limits that keep a hostile or broken file from
taking the PC's memory or an afternoon.

A register file is a zip of XML parts. Its size on disk says little: a 1 MB file can inflate
to gigabytes (a zip bomb). So every limit but the first is on what the file holds, checked
before or while it is inflated, never after.

The defaults are far above any real register (100,000 rows are a 46 MB sheet part and a
7 MB shared-string part). An office that needs more, and a test that proves a limit at small
scale, sets them in the environment variable XLKIT_LIMITS:

    XLKIT_LIMITS="part_bytes=1000000,shared_strings=5000"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from xlkit.errors import SetupError, XlkitError

ENVIRONMENT = "XLKIT_LIMITS"
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 50 * MB  # the file on disk (a 10,000-row register is about 3 MB)
    part_bytes: int = 128 * MB  # one part, inflated (calamine needs about three times that in memory)
    total_bytes: int = 256 * MB  # all parts, inflated
    members: int = 10_000  # parts in the zip
    shared_strings: int = 2_000_000  # distinct texts of the workbook
    cell_chars: int = 32_767  # Excel's own limit for one cell
    sheet_cells: int = 5_000_000  # rows x columns up to a sheet's last cell (calamine fills them all)
    table_bytes: int = 50 * MB  # a table given to `xlkit import`
    # an attached image or PDF (xlkit.attachments): a flow diagram is well under a megabyte; a
    # 3,000-pixel-square PNG of a few KB inflates to 36 MB, so pixels are counted from the header
    # before anything is decoded
    attachment_bytes: int = 30 * MB  # the file on disk
    attachment_pixels: int = 40_000_000  # width x height of an image, or of a PDF page as rendered (A2 at 300 dpi)
    attachment_page_mm: int = 1_500  # the longer side of a PDF's first page (A0 is 1,189 mm)


# what each limit is called in a message
NAMES = {
    "file_bytes": "ファイルの大きさ",
    "part_bytes": "部品1つの展開後の大きさ",
    "total_bytes": "部品全体の展開後の大きさ",
    "members": "部品の数",
    "shared_strings": "共有文字列の数",
    "cell_chars": "1セルの文字数",
    "sheet_cells": "シートの使われている範囲（行数×列数）",
    "table_bytes": "取り込む表の大きさ",
    "attachment_bytes": "添付ファイルの大きさ",
    "attachment_pixels": "添付画像の画素数",
    "attachment_page_mm": "添付 PDF のページの長い辺",
}


def current() -> Limits:
    """The defaults, with what XLKIT_LIMITS changes."""
    text = os.environ.get(ENVIRONMENT, "").strip()
    if not text:
        return Limits()
    known = {f.name for f in fields(Limits)}
    changes = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in known or not value.strip().isdigit() or int(value) <= 0:
            raise SetupError(
                f"環境変数 {ENVIRONMENT} の「{item.strip()}」を読めません。"
                f"「名前=正の整数」をコンマで区切って書いてください（名前は {', '.join(sorted(known))}）。")
        changes[name] = int(value)
    return replace(Limits(), **changes)


def check_extent(sheet: str, rows: int, columns: int, rightmost: str = "", *, limits: Limits | None = None,
                 file_name: str = "") -> None:
    """Refuse a sheet whose rectangle from A1 to its last row and rightmost column holds more
    cells than `sheet_cells`: both the file reader (calamine) and the buttons (Excel's used
    range) would fill every one of them, and a value typed in XFD1048576 is 17 billion."""
    limits = limits or current()
    cells = rows * columns
    if cells <= limits.sheet_cells:
        return
    where = f"「{file_name}」の" if file_name else ""
    far = f"最も右のセル {rightmost}、" if rightmost else ""
    raise XlkitError(
        f"{where}シート「{sheet}」は使われている範囲が広すぎます（{far}最後の行 {rows:,} 行目、"
        f"{columns:,} 列。{cells:,} セル、上限 {limits.sheet_cells:,} セル）。離れたセルに値や書式が入っていないか確かめ、"
        "不要なら行・列ごと削除して保存し直してください。")


def size(n: int) -> str:
    """A byte count as staff read it: 1.5 MB, 800 KB, 120 バイト."""
    if n >= MB:
        return f"{n / MB:,.1f} MB"
    if n >= 1024:
        return f"{n / 1024:,.0f} KB"
    return f"{n:,} バイト"
