"""Reading a register file: the structure scan, then every sheet with calamine, then the pure
preparation (xlkit.register) into a Book.

`load(path)` is the one door from a file on disk to the core's plain data; the CLI, the
notebook and `xlkit import` (tasks.import_table) all read through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from xlkit import limits, messages, schema
from xlkit.errors import XlkitError, os_reason
from xlkit.pasted_table import OLE_SIGNATURE
from xlkit.records import Book, Record
from xlkit.register import gc_paused, load_sheets, sheets_read, stream_register
from xlkit.workbook import scan

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


def load(path: str | Path, *, skip: Iterable[str] = ()) -> Book:
    """Read the register file at `path` into a Book: every problem found on the way is in `book.issues`.

    The register sheets in `skip` are left out (their Records stay empty); `stream` reads them.
    """
    path = Path(path)
    with gc_paused():
        found, grids = _read(path, skip)
        book = load_sheets(grids, skip=skip, sheets=found.sheets, version=found.version)
    book.path = path
    book.format = found.version
    book.register_id = found.register_id
    return book


def stream(book: Book, register: schema.Register, keys: Iterable[str] | None = None,
           later: Iterable[str] = ()) -> Iterator[tuple[Record, Callable[[], None] | None]]:
    """The Records of one register sheet of `book`'s file, row by row, none kept (see
    register.stream_register for `keys` and `later`): what `xlkit import` needs of a
    100,000-row sheet, in little memory."""
    path = book.path
    try:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        if register.sheet not in workbook.sheet_names:
            raise XlkitError(messages.text("register.sheet_missing", シート=register.sheet))
        sheet = workbook.get_sheet_by_name(register.sheet)
        rows = sheet.iter_rows()
    except XlkitError:
        raise
    except Exception as e:  # calamine raises its own types for every broken file
        raise unreadable(path, e) from None
    top, left = sheet.start if sheet.height else (0, 0)
    padded = _from_a1(rows, top, left)
    return stream_register(book, register, padded, keys, later)


def _from_a1(rows: Iterator[list], top: int, left: int) -> Iterator[list]:
    """Rows as if the sheet's range began at A1, as to_python(skip_empty_area=False) gives them."""
    if not top and not left:
        return rows
    return _padded(rows, top, left)


def _padded(rows: Iterator[list], top: int, left: int) -> Iterator[list]:
    for _ in range(top):
        yield []
    pad = [None] * left
    for row in rows:
        yield pad + row


def read_grids(path: Path, skip: Iterable[str] = ()) -> dict[str, list[list]]:
    """The values of the sheets the core reads (register.sheets_read) as 2-D lists; refuses what is not a register file, in Japanese."""
    return _read(Path(path), skip)[1]


def _read(path: Path, skip: Iterable[str]) -> tuple[scan.Inspection, dict[str, list[list]]]:
    # 変更履歴 and 回答状況 are streamed by the commands that write them: measured here with the rest
    # (and the sheets in `skip`, which `stream` reads from this file next, checked with the rest)
    return _sheets(Path(path), "登録簿", set(sheets_read()) - set(skip), watched={schema.linkage().sheet, schema.case().sheet, schema.provision().sheet},
                   errors_in={schema.settings().sheet},
                   checked=set(sheets_read()) | {schema.history().sheet, schema.status().sheet})


def read_sheets(path: str | Path, names: Iterable[str] = (), *, watched: Iterable[str] = (),
                what: str = "照会票", first: bool = False,
                vet: Callable[[scan.Inspection], None] | None = None) -> dict[str, list[list]]:
    """The values of the sheets `names` of any workbook xlkit reads (a 照会票), after the same
    checks as a register's: limits, bombs and encryption refused, and formulas, error values and
    merged cells of the `watched` sheets listed as a refusal. A missing sheet is left out; `what`
    names the file in every refusal. `first`: the workbook's first sheet too, whatever its name,
    watched (a table given as an .xlsx; the first of the result when there is one). `vet` is
    given the structure scan before any cell is judged, to refuse a file that is not the one
    wanted (a register given as a table): each check and scan is made once."""
    names = set(names)
    return _sheets(Path(path), what, names, watched=set(watched), errors_in=names, checked=names, first=first,
                   vet=vet)[1]


def _sheets(path: Path, what: str, wanted: set[str], *, watched: set[str], errors_in: set[str],
            checked: set[str], first: bool = False,
            vet: Callable[[scan.Inspection], None] | None = None) -> tuple[scan.Inspection, dict[str, list[list]]]:
    """The one way a workbook's sheets are read: the structure scan (limits, bombs, formulas,
    error values, merges of `watched`, error values of `errors_in`), then calamine for `wanted`
    (and the first sheet, with `first`; see read_sheets for `vet`). A sheet of `checked` that
    calamine sees but the scan did not is refused: its limits went unchecked."""
    check_file(path, what)
    found = scan.inspect(path, watched=watched, errors_in=errors_in, read=checked, first=first, what=what)
    if vet is not None:
        vet(found)
    if first and found.sheets:
        wanted = wanted | {found.sheets[0]}
        watched = watched | {found.sheets[0]}
    if found.problems:
        listing = "\n".join(f"  ・{p}" for p in messages.first(found.problems, 50))
        raise XlkitError(
            f"「{path.name}」に値として読めないセルがあります。"
            f"数式・エラー値・結合セルを値に直してから実行してください。\n{listing}"
        )
    try:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        unchecked = (checked | watched) & set(workbook.sheet_names) - set(found.sheets)
        if unchecked:
            raise XlkitError(f"「{path.name}」のシート「{'、'.join(sorted(unchecked))}」の構造を確かめられないため読めません"
                             "（Excel 以外で作られたか、壊れたファイルです）。Excel で開いて保存し直してください。")
        return found, {name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                       for name in workbook.sheet_names if name in wanted}
    except XlkitError:
        raise
    except Exception as e:  # calamine raises its own types for every broken file
        raise unreadable(path, e) from None


# calamine's exceptions, by name (they are Rust errors without Python classes to import)
_CALAMINE = {
    "PasswordError": "パスワードで保護されています。Excel で開いてパスワードを外して保存し直してください",
    "XmlError": "中の XML が壊れているか、安全でない構造を含んでいます",
    "ZipError": "ファイルの圧縮が壊れています",
    "WorksheetNotFound": "必要なシートが見つかりません",
}


def unreadable(path: Path, exc: Exception) -> XlkitError:
    """calamine's failure as staff can act on it: never the Rust error's English name or text."""
    reason = _CALAMINE.get(type(exc).__name__, "壊れているか、Excel以外のファイルです")
    return XlkitError(f"「{path.name}」をExcelファイルとして読めません（{reason}）。")


def check_file(path: Path, what: str = "登録簿") -> None:
    """Refuse, in Japanese, what is not a file this xlkit can read; `what` names it (登録簿, 照会票)."""
    try:
        if not path.exists():
            raise XlkitError(f"ファイル「{path}」が見つかりません。")
        if path.is_dir():
            raise XlkitError(f"「{path}」はフォルダです。{what}のExcelファイルを指定してください。")
        if not path.is_file():  # a pipe would hold every read for ever, a device never end
            raise XlkitError(f"「{path.name}」は通常のファイルではありません。{what}のExcelファイルを指定してください。")
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            raise XlkitError(
                f"「{path.name}」はExcelの{what}ではありません（拡張子 .xlsx または .xlsm のファイルを指定してください）。"
            )
        size = path.stat().st_size
        with path.open("rb") as file:
            start = file.read(len(OLE_SIGNATURE))
    except OSError as exc:  # a name too long, a folder without read permission, a share gone
        raise XlkitError(f"{what}「{path.name}」を開けません（{os_reason(exc)}）。") from None
    allowed = limits.current().file_bytes
    if size > allowed:
        raise XlkitError(
            f"「{path.name}」は大きすぎます（{limits.size(size)}、上限 {limits.size(allowed)}）。"
            f"{what}以外のデータや画像が含まれていないか確認してください。"
        )
    if start == OLE_SIGNATURE:  # what Excel saves with a password (an .xls renamed too): not a zip
        raise XlkitError(
            f"「{path.name}」はパスワードで保護されているか古い形式（.xls）の Excel ファイルのため、{what}として読めません。"
            "Excel で開いてパスワードを外し、.xlsx（マクロ付きなら .xlsm）の形式で保存し直してください。")
