"""The use cases of the spring survey (庁内照会), for every door: 照会票 out, answers in.

`survey` writes a form per 課 (xlkit.inquiry decides what each holds, workbook/inquiry_form.py
writes it); `collect` reads the answers back, lets xlkit.answers decide every outcome and writes
them through the register writer with their 変更履歴 and 回答状況 (xlkit.collect_log). The
buttons (xlkit.macros_survey) call `survey`, `answer_files`, `read_answers` and `plan_collect`
and write into the open workbook instead. As in xlkit.tasks, files are read and written only
through xlkit.workbook, loaded inside the use case (tests/test_layers.py names those edges).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import collect_log, messages, schema
from .dates import format_wareki, nendo
from .errors import Refusal, XlkitError, os_reason
from .records import Book
from .tasks import log_changes, report_year


# --------------------------------------------------------------------------- 照会票 (survey)


@dataclass
class Surveyed:
    """What `survey` wrote: one form per 課, and 照会一覧."""

    year: int
    forms: list  # xlkit.inquiry.Form
    paths: list[Path]
    listing: Path
    notes: list[str] = field(default_factory=list)  # what staff should know: linkages no form lists


def survey(book: Book, out_dir: str | Path, *, year: int | None = None, divisions: list[str] | None = None,
           overwrite: bool = False, on: dt.date | None = None) -> Surveyed:
    """Write the 照会票 of `year` (default 報告年度) for every 課 valid on `on` (the day the survey
    is made, default today), or those named, into `out_dir`, and 照会一覧.xlsx. A closed 課's
    linkages go on the forms of the 課 that took it over (組織改正, xlkit.org). Nothing is written
    when one of the files exists already (unless `overwrite`): a 課 may have been sent a form of
    that name."""
    from . import inquiry as forms_
    from .files import check_target
    from .workbook import inquiry_form

    formats_current(book)
    year = inquiry_year(book, year)
    on = on or dt.date.today()
    made = forms_.forms(book, year, divisions, on=on)
    if not made:
        raise Refusal("survey.no_divisions")
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise XlkitError(messages.text("export.folder_failed", フォルダ=folder, 理由=os_reason(exc))) from None
    names = {form.division: form.name for form in made}
    clashes = [name for name in set(names.values()) if list(names.values()).count(name) > 1]
    if clashes:
        together = [d for d, name in names.items() if name in clashes]
        raise Refusal("survey.same_file", 課="、".join(together), ファイル="、".join(sorted(clashes)))
    listing = folder / f"照会一覧_{nendo(year)}.xlsx"
    targets = [folder / name for name in names.values()] + [listing]
    taken = [t.name for t in targets if t.exists()]
    if taken and not overwrite:
        raise Refusal("survey.exists", ファイル="、".join(messages.first(taken, 5)))
    for target in targets:
        check_target(target, overwrite)
    masters = {name: book.master(name) for name in {c.master for c in forms_.new_columns() if c.master}}
    if schema.division().sheet in masters:  # the 課 of the survey's day, each once (組織改正)
        masters[schema.division().sheet] = forms_.division_choices(book, on)
    # a whole set of forms or none: half a set would be refused as 「同じ名前の照会票があります」
    # next time, or (overwriting) leave old and new forms mixed. The files replaced are moved
    # aside first, and put back if the set cannot be written.
    aside = _move_aside([t for t in targets if t.exists()]) if overwrite else {}
    paths: list[Path] = []
    try:
        for form in made:
            paths.append(inquiry_form.write_form(form, folder / form.name, masters=masters))
        inquiry_form.write_list(made, names, listing, year=year)
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        for target, moved in aside.items():
            os.replace(moved, target)
        raise
    for moved in aside.values():
        moved.unlink(missing_ok=True)
    unasked = forms_.unasked(book, year)
    notes = [messages.text("survey.unasked", 件数=len(unasked), 場所="、".join(messages.first(
        [f"{r.sheet}!{r.letters.get('division', 'C')}{r.row}" for r in unasked], 10)))] if unasked else []
    orphaned = forms_.orphaned(book, year, on)
    if orphaned:
        notes.append(messages.text("survey.orphaned", 件数=len(orphaned), 日付=format_wareki(on), 場所="、".join(
            messages.first([f"{r.sheet}!{r.letters.get('division', 'C')}{r.row}" for r in orphaned], 10))))
    return Surveyed(year, made, paths, listing, notes)


def _move_aside(paths: list[Path]) -> dict[Path, Path]:
    """Each file renamed beside itself (.~xlkit-<name>.<pid>.bak) until the new set is whole."""
    moved: dict[Path, Path] = {}
    try:
        for path in paths:
            aside = path.with_name(f".~xlkit-{path.name}.{os.getpid()}.bak")
            os.replace(path, aside)
            moved[path] = aside
    except OSError as exc:
        for path, aside in moved.items():
            os.replace(aside, path)
        raise XlkitError(messages.text("survey.replace_failed", ファイル=path.name, 理由=os_reason(exc))) from None
    return moved


def inquiry_year(book: Book, year: int | None) -> int:
    """The 年度 to ask about: as summarize's, a 年度 the register can speak for. A register with
    no linkage yet (its first year with xlkit) can still ask: 報告年度 or --year, within the
    schemas' bounds."""
    try:
        return report_year(book, year)
    except Refusal as refused:
        if refused.key != "year.no_data":
            raise
    year = year if year is not None else book.settings.get("report_year")
    low, high = schema.year_bounds()
    if not isinstance(year, int):
        raise Refusal("year.unknown")
    if not low <= year <= high:
        raise Refusal("year.out_of_range", 年度=nendo(year), 西暦=year, 最初=nendo(low), 最後=nendo(high))
    return year


# --------------------------------------------------------------------------- 回答取込 (collect)


@dataclass
class Collected:
    """What `collect` decided (xlkit.answers.Plan) and whether the register was written."""

    plan: Any  # xlkit.answers.Plan
    written: bool
    appended: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (Excel row, values)


FORM_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # a 課 may save the form as another kind: refused by name, not passed over


def answer_files(paths: list[str | Path], *, register: str | Path | None = None) -> list[Path]:
    """The files to collect: each file given, and every Excel file of each folder given (whatever
    a 課 renamed it to: a file that is no form is refused by name, never passed over in silence),
    but 照会一覧, the owner files Excel and LibreOffice leave beside an open workbook, and the
    `register` itself. A file given twice (by name and by its folder) is read once."""
    from .files import same_file

    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORM_SUFFIXES
                            and not p.name.startswith(("~$", ".~", "照会一覧"))
                            and not (register is not None and same_file(p, Path(register))))
        else:
            found.append(path)
    unique: list[Path] = []
    for path in found:
        if not any(path == seen or same_file(path, seen) for seen in unique):
            unique.append(path)
    if not unique:
        raise Refusal("collect.no_files", 場所="、".join(str(p) for p in paths))
    return unique


def _labels(files: list[Path]) -> list[str]:
    """How each file is named to staff: its name, or folder/name where two share a name (a first
    and a corrected answer kept in two folders)."""
    names = [p.name for p in files]
    return [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name for p in files]


def _division_in_name(name: str) -> str:
    """The 課 of a form's own file name (照会票_令和3年度_税務課.xlsx), for a file too broken to say it."""
    parts = Path(name).stem.split("_", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "照会票" else ""


def read_answers(book: Book, files: list[Path]) -> list:
    """Each file read as a 照会票 (xlkit.answers.Source): its answer, or why it is refused."""
    from . import answers as planner
    from . import inquiry as forms_
    from .workbook import reader

    sheets = (forms_.HOWTO, forms_.CONTINUING, forms_.NEW, forms_.IDENTITY)
    sources = []
    for path, label in zip(files, _labels(files)):
        try:
            grids = reader.read_sheets(path, sheets, watched=(forms_.CONTINUING, forms_.NEW, forms_.IDENTITY))
            sources.append(planner.Source(label, forms_.read_answer(book, grids, label)))
        except forms_.FormRefused as e:
            sources.append(planner.Source(label, refused=e.reason, named=e.division or _division_in_name(path.name)))
        except XlkitError as e:
            sources.append(planner.Source(label, refused=messages.text("collect.unreadable", 理由=e.message.rstrip("。")),
                                          named=_division_in_name(path.name)))
    return sources


def plan_collect(book: Book, sources: list, year: int | None = None, *, skip_bad: bool = False,
                 history: list[dict[str, Any]] = ()):
    """The decisions of collecting `sources` into `book` (xlkit.answers.plan), for every door;
    `history` are the register's 変更履歴 rows (what earlier runs collected)."""
    from . import answers as planner

    year = inquiry_year(book, year)
    return planner.plan(book, year, sources, skip_bad=skip_bad, history=history)


def collect(register_path: str | Path, files: list[str | Path], *, year: int | None = None, dry_run: bool = False,
            skip_bad: bool = False, clear_lock: bool = False) -> Collected:
    """回答取込: read every answer, decide every outcome, then write the register once — the new
    rows, the end dates, their 変更履歴 and 回答状況 — through the register writer, all or nothing
    across the files unless `skip_bad`. A dry run only reads, and refuses what the run would."""
    from . import answers as planner
    from .workbook import reader, writer

    path = Path(register_path)
    files = answer_files(files, register=path)
    if dry_run:
        book = reader.load(path)
        formats_current(book)  # writer.editing says it for the run
        logs = _Logs.read(book)
        result = plan_collect(book, read_answers(book, files), year, skip_bad=skip_bad, history=logs.history)
        check_plan(book, result)
        return Collected(result, False)
    with writer.editing(path, "回答取込", clear_lock=clear_lock) as edit:
        book = reader.load(edit.path)
        logs = _Logs.read(book)
        result = plan_collect(book, read_answers(book, files), year, skip_bad=skip_bad, history=logs.history)
        check_plan(book, result)
        if result.held:  # all or nothing: not even 回答状況 is written
            return Collected(result, False)
        new, ends = planner.applied(result)
        appended = _write_collected(edit, book, result, new, ends, logs)
        edit.commit()
    return Collected(result, True, appended)


def formats_current(book: Book) -> None:
    from . import formats

    formats.check_current(book.format, book.path.name if book.path else "", str(book.path or ""))


def check_plan(book: Book, result) -> None:
    """What is to be written has a column to go to: a register lacking one (備考 renamed) is refused
    before anything is written, by every door and by a dry run."""
    from . import answers as planner
    from .register import require_columns

    new, ends = planner.applied(result)
    needed = {k for n in new for k in n.values} | ({"end"} if ends else set())
    require_columns(book, schema.linkage(), "import.columns_missing", needed)


@dataclass
class _Logs:
    """変更履歴 and 回答状況 of the register file, each read once: what earlier collects took, the
    history's last row, the status lines. A lost column is refused before anything is decided."""

    history: list[dict[str, Any]]
    last: int
    status: list[dict[str, Any]]

    @classmethod
    def read(cls, book: Book) -> _Logs:
        from .register import require_columns
        from .workbook import reader

        history, last = [], 1
        for record, _ in reader.stream(book, schema.history(), keys=("source", "id")):
            history.append(record.values)
            last = record.row
        require_columns(book, schema.history(), "history.columns_missing")
        status = [record.values for record, _ in reader.stream(book, schema.status())]
        require_columns(book, schema.status(), "status.columns_missing")
        return cls(history, last, status)


def _write_collected(edit, book: Book, result, new: list, ends: list, logs: _Logs) -> list[tuple[int, dict[str, Any]]]:
    from .workbook import appender

    linkage = schema.linkage()
    letters = book.columns[linkage.sheet]
    if ends:
        appender.set_cells(edit.package, linkage, letters, {e.record.row: {"end": e.end} for e in ends})
        appender.check_rows(edit.package, linkage, book, {e.record.row: {"end": e.end} for e in ends}, only={"end"})
    rows = []
    if new:
        after = max((r.row for r in book.linkages), default=1)
        values = [n.values for n in new]
        rows = appender.append(edit.package, linkage, letters, values, after=after)
        appender.check_appended(edit.package, linkage, book, values, after)
    log_changes(edit, book, collect_log.history_changes(new, ends), after=logs.last)
    status = schema.status()
    appender.rewrite(edit.package, status, book.columns[status.sheet],
                     collect_log.status_rows(result, logs.status, dt.datetime.now()))
    return list(zip(rows, [n.values for n in new]))
