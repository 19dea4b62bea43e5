"""What the register's buttons run: 入力チェック, 集計, Word出力, Excel出力.

Each button's VBA sub is one line, ``RunPython "import xlkit.macros as m; m.validate()"``; with
no argument a macro works on ``xw.Book.caller()``. Tests pass a Book built from an Office.js
payload (xlwings' remote engine).

Round trips are what make a macro slow in Excel: every sheet is read in one block (one value
read per sheet), the core works on plain lists, and the results go back in blocks. The number
of write actions depends on the number of problems found, never on the number of valid rows.

Nothing here changes a value staff typed: 入力チェック writes only to 「検証結果」 and changes only
the fill colour of the cells it marks; 集計 writes only to 「集計」. Every error reaches the user
as a Japanese alert — never a Python traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlkit import cells
from xlkit.errors import XlkitError
from xlkit.issues import SEVERITY_JA
from xlkit.workbook import layout

if TYPE_CHECKING:  # pragma: no cover
    import xlwings as xw

TITLE = "登録簿"
SUMMARY_HEADER_ROW = 3  # the row of 「集計」 holding the table's long labels
EXPORT_DIR = "exports"
_CELL = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


# --------------------------------------------------------------------------- plumbing


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _alert(book, message: str, title: str, *, critical: bool = False) -> None:
    book.app.alert(message, title=f"{TITLE} — {title}", buttons="ok", mode="critical" if critical else "info")


def _guard(title: str, book, work: Callable[[Any], None]) -> None:
    """Run ``work(book)``; any failure becomes a Japanese alert, never a traceback."""
    try:
        book = _caller(book)
    except Exception as e:  # not started from Excel: nothing to show an alert in
        _last_resort(f"{title}: Excel のブックに接続できませんでした（{type(e).__name__}）。"
                     "ボタンは登録簿のブックから押してください。")
        return
    try:
        work(book)
    except XlkitError as e:
        _safe_alert(book, e.message, title)
    except Exception as e:  # the last guard: staff must never see a traceback
        _safe_alert(book, f"{title}の処理中に予期しない問題が起きました。\n（{type(e).__name__}: {e}）\n"
                          "この表示を区政情報課のシステム担当に伝えてください。", title)


def _safe_alert(book, message: str, title: str) -> None:
    try:
        _alert(book, message, title, critical=True)
    except Exception:
        _last_resort(message)


def _last_resort(message: str) -> None:
    """A message box without Excel (Windows), else nothing: stderr would become a traceback dialog."""
    try:
        import ctypes

        ctypes.windll.user32.MessageBoxW(0, message, TITLE, 0x30)  # type: ignore[attr-defined]
    except Exception:
        pass


def _sheet(book, name: str):
    for sheet in book.sheets:
        if sheet.name == name:
            return sheet
    return None


def read_grid(sheet) -> list[list]:
    """The sheet's values from A1 to its last used cell, as one read."""
    used = sheet.used_range
    last = used.last_cell
    rows, cols = max(last.row, 1), max(last.column, 1)
    values = sheet.range((1, 1), (rows, cols)).options(ndim=2).value
    return [list(row) for row in values]


MASTER_SHEETS = tuple(layout.MASTER_HEADERS)  # 実施機関, 課, 区分, 審議結果


def read_book(book, extra: Iterable[str] = ()) -> dict[str, list[list]]:
    """Read the sheets the core needs, one block per sheet: name -> 2-D list."""
    wanted = (layout.linkage_sheet(), layout.case_sheet(), layout.settings_sheet(), *MASTER_SHEETS, *extra)
    grids = {}
    for sheet in book.sheets:
        if sheet.name in wanted:
            grids[sheet.name] = read_grid(sheet)
    return grids


def _load(grids: dict[str, list[list]]):
    from xlkit import register

    return register.load_sheets({k: v for k, v in grids.items() if k in (
        layout.linkage_sheet(), layout.case_sheet(), layout.settings_sheet(), *MASTER_SHEETS)})


def _as_text(value) -> str:
    """A value written back as text: never turned into a formula by Excel."""
    shown = cells.display(value)
    return "'" + shown if shown[:1] in ("=", "+", "-", "@") else shown


def _split(cell: str) -> tuple[str, int] | None:
    m = _CELL.match(cell or "")
    return (m[1], int(m[2])) if m else None


def runs(cells_: Iterable[str]) -> list[str]:
    """A1 cells merged into vertical runs per column: C5, C6, C7, E9 -> C5:C7, E9."""
    by_column: dict[str, list[int]] = defaultdict(list)
    for cell in cells_:
        parts = _split(cell)
        if parts:
            by_column[parts[0]].append(parts[1])
    out = []
    for column in sorted(by_column, key=lambda c: (len(c), c)):
        rows = sorted(set(by_column[column]))
        start = prev = rows[0]
        for row in rows[1:] + [None]:
            if row is not None and row == prev + 1:
                prev = row
                continue
            out.append(f"{column}{start}" if start == prev else f"{column}{start}:{column}{prev}")
            if row is not None:
                start = prev = row
    return out


# --------------------------------------------------------------------------- 入力チェック


def validate(book: xw.Book | None = None) -> None:
    """入力チェック: fill 「検証結果」, colour the bad cells, alert the counts."""
    _guard("入力チェック", book, _validate)


def _marked_sheets() -> tuple[str, str]:
    return (layout.linkage_sheet(), layout.case_sheet())


def _previous_marks(grid: list[list]) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> severity label of the cells the previous run coloured, from 「検証結果」."""
    marks: dict[tuple[str, str], str] = {}
    headers = [cells.display(v) for v in (grid[0] if grid else [])]
    try:
        i_sev, i_sheet, i_cell = (headers.index(h) for h in ("重要度", "シート", "セル"))
    except ValueError:
        return marks
    for row in grid[1:]:
        if len(row) <= max(i_sev, i_sheet, i_cell):
            continue
        sheet, cell = cells.display(row[i_sheet]), cells.display(row[i_cell])
        if sheet in _marked_sheets() and _paintable(cell):
            marks[(sheet, cell)] = cells.display(row[i_sev])
    return marks


def _paintable(cell: str) -> bool:
    parts = _split(cell)
    return parts is not None and parts[1] >= 2  # never the header row: it has its own fill


def _link(sheet: str, cell: str) -> str:
    target = sheet.replace("'", "''")
    return f'=HYPERLINK("#\'{target}\'!{cell}","{cell}")'


VALUE_SHOWN = 30  # characters of a typed value shown in 「検証結果」's 値 column


def _excerpt(value) -> str:
    """The start of a typed value, on one line: a whole paragraph would make the row a page tall.

    The cell itself is one click away (the セル column links to it) and is never changed.
    """
    shown = " ".join(cells.display(value).split())
    return shown if len(shown) <= VALUE_SHOWN else shown[:VALUE_SHOWN] + "…"


def result_rows(issues) -> list[list]:
    """The rows of 「検証結果」 under its header, one per issue."""
    rows = []
    for issue in issues:
        cell = issue.cell or ""
        linked = _link(issue.sheet, cell) if _split(cell) and issue.sheet else cell
        rows.append([
            SEVERITY_JA.get(issue.severity, issue.severity), issue.sheet, linked,
            issue.column or "", _as_text(_excerpt(issue.value)), _as_text(issue.message), issue.code,
        ])
    return rows


def _validate(book) -> None:
    from xlkit.validate import validate_book

    results = _sheet(book, layout.RESULTS)
    if results is None:
        raise XlkitError(f"シート「{layout.RESULTS}」がありません。登録簿のシートを確認してください。")
    grids = read_book(book, extra=(layout.RESULTS,))
    report = validate_book(_load(grids))
    previous = _previous_marks(grids.get(layout.RESULTS, []))

    # 1. the previous run's colours go, except where this run colours the cell again
    wanted: dict[tuple[str, str], str] = {}
    for issue in report.issues:
        key = (issue.sheet, issue.cell)
        if issue.sheet in _marked_sheets() and _paintable(issue.cell):
            if wanted.get(key) != "error":
                wanted[key] = issue.severity
    sheets = {name: _sheet(book, name) for name in _marked_sheets()}
    stale: dict[str, list[str]] = defaultdict(list)
    for sheet, cell in previous:
        if (sheet, cell) not in wanted:
            stale[sheet].append(cell)
    for name, cells_ in stale.items():
        if sheets.get(name) is not None:
            for address in runs(cells_):
                sheets[name].range(address).color = None

    # 2. this run's colours: errors red, warnings yellow
    paint: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (sheet, cell), severity in wanted.items():
        paint[(sheet, severity)].append(cell)
    fills = {"error": layout.ERROR_FILL, "warning": layout.WARNING_FILL}
    for (name, severity), cells_ in sorted(paint.items()):
        if sheets.get(name) is not None:
            for address in runs(cells_):
                sheets[name].range(address).color = fills[severity]

    # 3. 「検証結果」: clear the old rows, write the new ones in one block
    old_rows = len(grids.get(layout.RESULTS, [])) - 1
    width = len(layout.RESULT_HEADERS)
    if old_rows > 0:
        results.range((2, 1), (old_rows + 1, width)).clear_contents()
    rows = result_rows(report.issues)
    if not rows:
        rows = [["", "", "", "", "", "問題は見つかりませんでした。", ""]]
    results.range((1, 1)).value = [list(layout.RESULT_HEADERS), *rows]
    # the messages wrap: fit the rows to them (one action, whatever the number of rows)
    results.range((2, 1), (len(rows) + 1, width)).rows.autofit()

    # 4. the summary
    if report.errors or report.warnings:
        message = (f"入力チェックが終わりました。\nエラー {report.errors} 件、警告 {report.warnings} 件が見つかりました。\n"
                   f"「{layout.RESULTS}」シートで内容を確認してください（セル番地をクリックすると該当のセルに移動します）。\n"
                   "エラーのセルは赤、警告のセルは黄色で塗っています。")
    else:
        message = "入力チェックが終わりました。\nエラー・警告はありませんでした。"
    _alert(book, message, "入力チェック", critical=report.errors > 0)


# --------------------------------------------------------------------------- 集計


def summarize(book: xw.Book | None = None) -> None:
    """集計: the a + b − c table of 設定's 報告年度 into 「集計」."""
    _guard("集計", book, _summarize)


def _labels(year: int) -> tuple[str, list[str], list[str], list[str], str]:
    """(title, corner, labels, letters, footnote) in the official wording of the report layout."""
    try:
        from xlkit.export import layout as report_layout
        from xlkit.export import linkages as linkages_report
    except ImportError:  # the report layout is not installed: the letters still say what is what
        from xlkit.dates import nendo

        return ("(1) 実施機関別外部電子計算機との結合件数", ["件数", "実施機関"],
                [f"{nendo(year - 1)}の結合数", "新たな結合数", "終了した結合数", f"{nendo(year)}の結合数",
                 "内、特定個人情報の取扱いがあるものの数"], ["a", "b", "c", "a + b - c"],
                "※本人同意に基づく外部結合を除く。")
    summary = report_layout.load()["linkages"]["summary"]
    names = linkages_report.names(year)
    labels = [report_layout.fill(text, **names) for text in summary["labels"]]
    return summary["title"], list(summary["corner"]), labels, list(summary["letters"]), summary["footnote"]


def summary_rows(figures, book, year: int) -> tuple[list[list], list[str]]:
    """The block written to 「集計」 and the lines about differences from last year's figures."""
    from xlkit import figures as fig
    from xlkit.dates import nendo

    title, corner, labels, letters, footnote = _labels(year)
    rows: list[list] = [
        [f"{title}（{nendo(year)}）", "", "", "", "", ""],
        ["", "", "", "", "", ""],
        [" ".join(corner), *labels],
        ["", *letters, ""],
    ]
    for r in figures.rows:
        rows.append([r.body, r.a, r.b, r.c, r.total, r.my_number])
    rows.append([footnote, "", "", "", "", ""])

    notes: list[str] = []
    previous = book.settings.get("previous_published") or {}
    differences = fig.compare_previous(figures, previous)
    for body, published, a in differences:
        notes.append(f"{body}：{nendo(year - 1)}の公表値は {published} 件ですが、登録簿から数えた a は {a} 件です。")
    for mismatch in figures.mismatches:
        notes.append(mismatch.message(year))
    notes += fig.skipped_notes(figures.skipped, f"「{layout.linkage_sheet()}」")

    rows.append(["", "", "", "", "", ""])
    rows.append([f"前年度公表値との照合（{nendo(year - 1)}の a + b − c と{nendo(year)}の a）", "", "", "", "", ""])
    if not previous:
        rows.append(["「設定」に前年度公表値がないため照合していません。", "", "", "", "", ""])
    else:
        for body in book.bodies:
            if body in previous:
                a = figures.row(body).a
                verdict = "一致" if previous[body] == a else "相違"
                rows.append([body, f"公表値 {previous[body]}", f"a {a}", verdict, "", ""])
    if notes:
        rows.append(["", "", "", "", "", ""])
        rows.append(["確認が必要な点", "", "", "", "", ""])
        rows += [[_as_text(n), "", "", "", "", ""] for n in notes]
    rows.append(["", "", "", "", "", ""])
    rows.append([f"集計日時：{dt.datetime.now():%Y/%m/%d %H:%M}", "", "", "", "", ""])
    return rows, notes[:len(differences)]


def _summarize(book) -> None:
    from xlkit import figures as fig
    from xlkit.dates import nendo

    target = _sheet(book, layout.SUMMARY)
    if target is None:
        raise XlkitError(f"シート「{layout.SUMMARY}」がありません。登録簿のシートを確認してください。")
    rb = _load(read_book(book))
    year = rb.settings.get("report_year")
    if not isinstance(year, int):
        raise XlkitError("「設定」シートの報告年度が入力されていません。西暦4桁（例：2020）で入力してください。")
    figures = fig.compute(rb.linkages, year, rb.bodies, rb.master(layout.DIVISIONS))
    rows, differences = summary_rows(figures, rb, year)
    target.clear_contents()
    target.range((1, 1)).value = rows
    target.range((SUMMARY_HEADER_ROW, 1)).row_height = 76  # the long official labels wrap to four lines
    total = figures.total
    message = (f"{nendo(year)}の集計を「{layout.SUMMARY}」シートに書き出しました。\n"
               f"合計：a {total.a}、b {total.b}、c {total.c}、a + b − c {total.total}"
               f"（うち特定個人情報 {total.my_number}）")
    if differences:
        message += "\n\n前年度の公表値と異なる実施機関があります。\n" + "\n".join(differences)
    elif rb.settings.get("previous_published"):
        message += "\n\n前年度の公表値と一致しています。"
    if figures.mismatches or figures.skipped:
        message += "\n\n集計に含めていない行などがあります。「集計」シートの「確認が必要な点」を見てください。"
    _alert(book, message, "集計", critical=bool(differences or figures.mismatches or figures.skipped))


# --------------------------------------------------------------------------- Word出力 / Excel出力


def export_word(book: xw.Book | None = None) -> None:
    """Word出力: both reports (外部結合の状況 and 審議案件の資料) as .docx into exports/ beside the workbook."""
    _guard("Word出力", book, lambda b: _export(b, ".docx"))


def export_excel(book: xw.Book | None = None) -> None:
    """Excel出力: the same two reports as print-ready .xlsx."""
    _guard("Excel出力", book, lambda b: _export(b, ".xlsx"))


def _folder(book) -> Path:
    """The folder of the workbook (the current folder for a book that has no path)."""
    fullname = str(book.fullname)
    if "://" in fullname:
        raise XlkitError("このブックは OneDrive や SharePoint 上で開かれているため、出力先のフォルダがわかりません。"
                         "パソコン内のフォルダに保存してから、もう一度ボタンを押してください。")
    path = Path(fullname)
    return path.parent if path.is_absolute() else Path.cwd()


def _export(book, suffix: str) -> None:
    title = "Word出力" if suffix == ".docx" else "Excel出力"
    try:
        from xlkit.export import api
    except ImportError:
        _alert(book, f"{title}はまだ使えません（報告書を作る機能がこの xlkit に入っていません）。\n"
                     "xlkit を新しい版に更新してから、もう一度押してください。", title, critical=True)
        return
    rb = _load(read_book(book))
    folder = _folder(book) / EXPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # each report on its own: a report that cannot be made must not stop the other
    done, failed = [], []
    for make in (_export_linkages, _export_cases):
        try:
            done.append(make(api, rb, folder, suffix))
        except XlkitError as e:
            failed.append(e.message)
    lines = []
    for what, written, wanted in done:
        lines.append(f"・{what}\n　　{written.name}")
        if written.name != wanted.name:
            lines.append(f"　　（同じ名前の「{wanted.name}」があったため、上書きせずに別の名前で保存しました）")
    message = ""
    if done:
        message = "次のファイルを保存しました。\n\n" + "\n".join(lines) + f"\n\n保存先：{folder}"
    if failed:
        message += ("\n\n" if message else "") + "作れなかった資料があります。\n" + "\n".join(f"・{m}" for m in failed)
    _alert(book, message, title, critical=bool(failed))


def _export_linkages(api, rb, folder: Path, suffix: str):
    from xlkit.dates import nendo

    year = rb.settings.get("report_year")
    if not isinstance(year, int):
        raise XlkitError("外部結合の状況: 「設定」シートの報告年度が入力されていません。西暦4桁（例：2020）で入力してください。")
    wanted = folder / f"{api.default_linkages_name(year)}{suffix}"
    try:
        written = Path(api.export_linkages(rb, year, api.free_path(wanted)))
    except XlkitError as e:
        raise XlkitError(f"外部結合の状況: {e.message}") from None
    return f"{nendo(year)}の外部結合の状況", written, wanted


def _export_cases(api, rb, folder: Path, suffix: str):
    from xlkit.dates import format_wareki

    date_from, date_to = rb.settings.get("cases_from"), rb.settings.get("cases_to")
    if not (isinstance(date_from, dt.date) and isinstance(date_to, dt.date)):
        # no period in 設定: every case that has a 付議日
        dates = sorted(r.get("submitted_on") for r in rb.cases if isinstance(r.get("submitted_on"), dt.date))
        if not dates:
            raise XlkitError(f"審議案件の資料: 「{layout.case_sheet()}」シートに付議日のある審議案件がありません。")
        date_from = date_from if isinstance(date_from, dt.date) else dates[0]
        date_to = date_to if isinstance(date_to, dt.date) else dates[-1]
    wanted = folder / f"{api.default_cases_name(date_from, date_to)}{suffix}"
    try:
        written = Path(api.export_cases(rb, date_from, date_to, api.free_path(wanted)))
    except XlkitError as e:
        raise XlkitError(f"審議案件の資料: {e.message}") from None
    return f"審議案件の資料（付議日 {format_wareki(date_from)}～{format_wareki(date_to)}）", written, wanted


__all__ = ["validate", "summarize", "export_word", "export_excel", "read_grid", "read_book", "runs",
           "result_rows", "summary_rows"]
