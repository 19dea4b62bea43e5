"""Reading a register file: the structure scan, then every sheet with calamine, then the pure
preparation (xlkit.register) into a Book.

`load(path)` is the one door from a file on disk to the core's plain data; the CLI, the
notebook and `xlkit import` (tasks.import_table) all read through it.
"""

from __future__ import annotations

from pathlib import Path

from xlkit import schema
from xlkit.errors import XlkitError
from xlkit.records import Book
from xlkit.register import gc_paused, load_sheets, sheets_read
from xlkit.workbook import scan

MAX_BYTES = 50 * 1024 * 1024  # a 10,000-row register is about 3 MB
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


def load(path: str | Path) -> Book:
    """Read the register file at `path` into a Book: every problem found on the way is in `book.issues`."""
    path = Path(path)
    with gc_paused():
        grids = read_grids(path)
        book = load_sheets(grids)
    book.path = path
    return book


def read_grids(path: Path) -> dict[str, list[list]]:
    """The values of the sheets the core reads (register.sheets_read) as 2-D lists; refuses what is not a register file, in Japanese."""
    if not path.exists():
        raise XlkitError(f"ファイル「{path}」が見つかりません。")
    if path.is_dir():
        raise XlkitError(f"「{path}」はフォルダです。登録簿のExcelファイルを指定してください。")
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        raise XlkitError(
            f"「{path.name}」はExcelの登録簿ではありません（拡張子 .xlsx または .xlsm のファイルを指定してください）。"
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise XlkitError(
            f"「{path.name}」は大きすぎます（{size / 1024 / 1024:.1f} MB、上限 {MAX_BYTES // 1024 // 1024} MB）。"
            "登録簿以外のデータや画像が含まれていないか確認してください。"
        )
    problems = scan.scan_structure(path, watched={schema.linkage().sheet, schema.case().sheet})
    if problems:
        listing = "\n".join(f"  ・{p}" for p in problems[:50])
        more = f"\n  ほか {len(problems) - 50} 件" if len(problems) > 50 else ""
        raise XlkitError(
            f"「{path.name}」の登録簿シートに値として読めないセルがあります。"
            f"数式・エラー値・結合セルを値に直してから実行してください。\n{listing}{more}"
        )
    try:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        wanted = sheets_read()
        return {
            name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in workbook.sheet_names if name in wanted
        }
    except Exception as e:  # calamine raises its own types for every broken file
        raise XlkitError(f"「{path.name}」をExcelファイルとして読めません（{type(e).__name__}）。") from None
