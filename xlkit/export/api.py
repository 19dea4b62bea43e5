"""Writing the reports of a loaded register; xlkit.tasks decides what to write and calls these.

    export_linkages(book, 2020, "外部結合の状況_令和2年度.docx")
    export_cases(book, date(2025, 2, 1), date(2025, 6, 30), "審議案件.xlsx")

The format follows the file's suffix (.docx, .xlsx, .pdf). Bad input raises
xlkit.errors.XlkitError with a Japanese message.

A PDF draws a character no installed font has as an empty box; lost_characters(report) tells
which, and export_linkages / export_cases hand them to `on_lost` before converting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from xlkit import org
from xlkit.errors import XlkitError
from xlkit.figures import chart_order, compute

from . import cases as cases_report
from . import docx_writer, linkages as linkages_report, pdf, xlsx_writer
from xlkit.files import atomic_write, check_target, free_path, output_format
from .layout import fill, load as load_layout
from .model import Cell, Document, Para, Table

__all__ = ["export_linkages", "export_cases", "default_linkages_name", "default_cases_name",
           "free_path", "output_format", "render", "lost_characters"]

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
    divisions = [d[0] if isinstance(d, (tuple, list)) else d for d in book.divisions]
    result = figures or compute(book.linkages, year, list(book.bodies), divisions)
    names = None
    entries = org.of(book)
    if org.dated(entries):  # 組織改正: each row under the name valid in `year`, in that name's chart place
        names = _memo(lambda division: org.name_in_year(entries, division, year))
        rank = org.chart_rank(entries, org.year_end(year))
        result = dataclasses.replace(result, new=chart_order(result.new, divisions, names=names, rank=rank),
                                     ended=chart_order(result.ended, divisions, names=names, rank=rank))
    author = cases_report.setting(book.settings, "department")
    with _layout_keys():
        report = linkages_report.build(result, layout, author=author, rename=names)
    return render(report, out, layout, overwrite=overwrite, on_lost=on_lost, free=free)


def export_cases(book, date_from: dt.date, date_to: dt.date, out_path, *,
                 report_date: dt.date | None = None, overwrite: bool = False,
                 on_lost: OnLost | None = None, free: bool = False) -> Path:
    """Write the 資料 of the period; the period is the caller's to check (xlkit.tasks.cases_period).

    `on_lost`, `free`: see render()."""
    out = Path(out_path)
    fmt = output_format(out)
    check_target(out, overwrite or free)
    _require_pdf_tool(fmt)
    if report_date is None:
        configured = book.settings.get("report_date")
        report_date = configured if isinstance(configured, dt.date) else dt.date.today()
    layout = load_layout()
    with _layout_keys():
        report = cases_report.build(book.cases, book.settings, date_from, date_to, report_date, layout)
    return render(report, out, layout, overwrite=overwrite, on_lost=on_lost, free=free)


def _memo(fn: Callable[[str], str]) -> Callable[[str], str]:
    """`fn` asked once per 課: a report repeats a few names over many rows."""
    known: dict[str, str] = {}

    def cached(name: str) -> str:
        if name not in known:
            known[name] = fn(name)
        return known[name]

    return cached


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
            docx_writer.write(report, source, layout)
            _convert(source, Path(work), tmp, layout)

    return atomic_write(out, write_pdf, overwrite=overwrite, free=free)


def pdf_of_docx(source: Path, out: Path) -> Path:
    """A written .docx report converted as it is into the PDF `out` (年度締め stores both, so the
    PDF must be of the very .docx kept beside it, not of a second export)."""
    _require_pdf_tool("pdf")

    def write_pdf(tmp: Path) -> None:
        with pdf.work_folder() as work:
            _convert(source, Path(work), tmp, load_layout())

    return atomic_write(out, write_pdf, overwrite=False)


def _convert(source: Path, work: Path, tmp: Path, layout: dict) -> None:
    converted = pdf.convert(source, work, substitutes=layout.get("pdf_font_substitutes"), scratch=[work])
    shutil.copyfile(converted, tmp)
