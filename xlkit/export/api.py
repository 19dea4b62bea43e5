"""Writing the reports of a loaded register; xlkit.tasks decides what to write and calls these.

    export_linkages(book, 2020, "外部結合の状況_令和2年度.docx")
    export_cases(book, date(2025, 2, 1), date(2025, 6, 30), "審議案件.xlsx")

The format follows the file's suffix (.docx, .xlsx, .pdf). Bad input raises
xlkit.errors.XlkitError with a Japanese message.

A PDF draws a character no installed font has as an empty box; lost_characters(report) tells
which, and export_linkages / export_cases hand them to `on_lost` before converting.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from xlkit import messages
from xlkit.dates import format_wareki
from xlkit.errors import Refusal, XlkitError
from xlkit.figures import compute, in_year

from . import cases as cases_report
from . import docx_writer, linkages as linkages_report, pdf, xlsx_writer
from xlkit.files import atomic_write, check_target, free_path, output_format
from .layout import fill, load as load_layout
from .model import Cell, Document, Para, Table

__all__ = ["export_linkages", "export_cases", "default_linkages_name", "default_cases_name",
           "free_path", "output_format", "render", "lost_characters", "lost_in_linkages"]

OnLost = Callable[[set[str]], None]


def default_linkages_name(year: int) -> str:
    """外部結合の状況_令和2年度 (no suffix: the caller adds .docx / .xlsx / .pdf)."""
    return fill(load_layout()["linkages"]["file_name"], **linkages_report.names(year))


def default_cases_name(date_from: dt.date, date_to: dt.date) -> str:
    """審議案件について_令和7年2月～令和7年6月 (no suffix)."""
    return fill(load_layout()["cases"]["file_name"], 期間=cases_report.period_name(date_from, date_to))


def export_linkages(book, year: int, out_path, *, overwrite: bool = False, figures=None,
                    on_lost: OnLost | None = None, free: bool = False) -> Path:
    """Write the report of `year`; the year is the caller's to check (xlkit.tasks.report_year).

    `on_lost`, `free`: see render()."""
    out = Path(out_path)
    fmt = output_format(out)
    check_target(out, overwrite or free)
    _require_pdf_tool(fmt)

    layout = load_layout()
    report = _linkages_document(book, year, figures, layout)
    return render(report, out, layout, overwrite=overwrite, on_lost=on_lost, free=free)


def lost_in_linkages(book, year: int, figures=None) -> set[str] | None:
    """The characters a PDF of `year`'s linkage report made here would lose (lost_characters): for
    年度締め, which stores a PDF converted from the .docx and so has no render() to ask."""
    return lost_characters(_linkages_document(book, year, figures, load_layout()))


def _linkages_document(book, year: int, figures, layout: dict) -> Document:
    # 組織改正: the b and c rows named and ordered by the 課 of `year` in the core (xlkit.figures)
    if figures is None:
        result = compute(book.linkages, year, list(book.bodies), [d.name for d in book.org], org=book.org)
    else:
        result = in_year(figures, book.org)
    author = cases_report.setting(book.settings, "department")
    with _layout_keys():
        return linkages_report.build(result, layout, author=author)


def export_cases(book, date_from: dt.date, date_to: dt.date, out_path, *,
                 report_date: dt.date | None = None, overwrite: bool = False,
                 on_lost: OnLost | None = None, free: bool = False, missing_ok: bool = False) -> Path:
    """Write the 資料 of the period; the period is the caller's to check (xlkit.tasks.cases_period).

    Every 添付ファイル is read before anything is written: one missing or unreadable refuses the
    export, listing them all, unless `missing_ok` (the export was forced), when its place on the
    別紙 says it could not be printed. `on_lost`, `free`: see render()."""
    out = Path(out_path)
    fmt = output_format(out)
    check_target(out, overwrite or free)
    _require_pdf_tool(fmt)
    if report_date is None:
        configured = book.settings.get("report_date")
        report_date = configured if isinstance(configured, dt.date) else dt.date.today()
    layout = load_layout()
    with _layout_keys():
        chosen = cases_report.in_period(book.cases, date_from, date_to)
        what = messages.text("export.title_cases", 開始=format_wareki(date_from), 終了=format_wareki(date_to))
        attached = _attached(chosen, book.path, layout, missing_ok, what)
        report = cases_report.build(book.cases, book.settings, date_from, date_to, report_date, layout,
                                    provisions=book.provisions, attached=attached)
    return render(report, out, layout, overwrite=overwrite, on_lost=on_lost, free=free)


ATTACHMENTS_SHOWN = 20  # as many as xlkit.tasks lists when it asks staff


def _attached(chosen, register_path, layout: dict, missing_ok: bool, what: str) -> dict[int, cases_report.Attached]:
    """case row -> each name in its 添付ファイル with its Picture scaled to the page, or the reason
    it cannot be printed. xlkit.tasks asks staff first (tasks.AttachmentsRefusal); this refusal is
    for a caller that did not, so that no 別紙 ever lacks a picture silently."""
    if not any(record.get("attachment") for record in chosen):
        return {}  # Pillow and pypdfium2 load only for a 資料 with pictures
    from xlkit import attachments

    from .model import Picture

    # One pass: each file is read and decoded once. Checking them all first (attachments.problems)
    # and loading them after decodes every one twice once there are more than the 32 that
    # xlkit.attachments remembers (a PDF page rendered anew each time)
    box_w, box_h = cases_report.picture_box_mm(layout)
    out: dict[int, cases_report.Attached] = {}
    problems: list[attachments.Problem] = []
    for record in chosen:
        for name in attachments.names(record.get("attachment")):
            try:
                image = attachments.load(name, register_path)
            except attachments.AttachmentError as exc:
                problems.append(attachments.Problem(record.sheet, record.cell("attachment"), name, exc.reason,
                                                    record.raw.get("attachment")))
                out.setdefault(record.row, []).append((name, exc.reason))
                continue
            width, height = attachments.fit(image, box_w, box_h)
            out.setdefault(record.row, []).append((name, Picture(image.png, width, height, name)))
    if problems and not missing_ok:
        lines = [messages.text("export.attachment_line", シート=p.sheet, セル=p.cell, 名前=p.name, 理由=p.reason)
                 for p in problems]
        raise Refusal("export.attachments_refused", 件数=len(problems), 資料=what,
                      一覧="\n".join(messages.first(lines, ATTACHMENTS_SHOWN)))
    return out


@contextmanager
def _layout_keys():
    """A key missing from layout.json (or a column key the schema does not know) is an
    edit of the layout file gone wrong: say so instead of failing with a KeyError."""
    try:
        yield
    except KeyError as exc:
        raise XlkitError(
            f"報告書の体裁ファイル（xlkit/data/layout.json）の項目 {exc} が見つからないか、"
            "登録簿にない列名です。書き換えた箇所を確認してください。") from None


def _require_pdf_tool(fmt: str) -> None:
    if fmt == "pdf" and not pdf.available():
        raise XlkitError(pdf.NOT_INSTALLED)


def _texts(report: Document):
    """Every string the pages show (not the title and author, which are file properties)."""
    for sheet in report.sheets:
        for block in sheet.blocks:
            if isinstance(block, Para):
                yield block.text
            elif isinstance(block, Table):
                for row in (*block.header, *block.rows):
                    for cell in row:
                        if isinstance(cell, Cell):
                            if not cell.merge_up:
                                yield cell.text
                        else:
                            yield str(cell)


def lost_characters(report: Document) -> set[str] | None:
    """The characters of `report` that no font installed here has: a PDF made here shows an
    empty box for each. None when this PC cannot tell (Windows, macOS); empty when none is lost."""
    return pdf.uncovered(ch for text in _texts(report) for ch in text)


def render(report: Document, out: Path, layout: dict, *, overwrite: bool = False,
           on_lost: OnLost | None = None, free: bool = False) -> Path:
    """Write `report` to `out` in the format its suffix names, atomically; returns the path written.

    A PDF's characters that no installed font has are given to `on_lost` (when some are)
    before the conversion; it may raise to stop there. With `free`, a name taken meanwhile
    gives 「name (2)」 (files.atomic_write).
    """
    fmt = output_format(out)
    if fmt == "docx":
        return atomic_write(out, lambda tmp: docx_writer.write(report, tmp, layout), overwrite=overwrite, free=free)
    if fmt == "xlsx":
        return atomic_write(out, lambda tmp: xlsx_writer.write(report, tmp, layout), overwrite=overwrite, free=free)

    if on_lost is not None:
        lost = lost_characters(report)
        if lost:
            on_lost(lost)

    def write_pdf(tmp: Path) -> None:
        with pdf.work_folder() as work:
            source = Path(work) / (out.stem + ".docx")
            docx_writer.write(report, source, layout, for_pdf=True)
            _convert(source, Path(work), tmp, layout)

    return atomic_write(out, write_pdf, overwrite=overwrite, free=free)


def _convert(source: Path, work: Path, tmp: Path, layout: dict) -> None:
    """`source` converted to PDF at `tmp`, given time in proportion to its table rows."""
    rows = pdf.docx_rows(source)
    converted = pdf.convert(source, work, substitutes=layout.get("pdf_font_substitutes"), scratch=[work],
                            timeout=pdf.timeout_for(rows, layout.get("pdf")), rows=rows)
    shutil.copyfile(converted, tmp)
