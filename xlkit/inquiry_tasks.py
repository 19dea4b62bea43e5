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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import collect_log, messages, schema
from .dates import nendo
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
    notes: list[str] = field(default_factory=list)  # what staff should know: linkages and cases no form lists


def survey(book: Book, out_dir: str | Path, *, year: int | None = None, divisions: list[str] | None = None,
           overwrite: bool = False, on: dt.date | None = None) -> Surveyed:
    """Write the 照会票 of `year` (default 報告年度) for every 課 valid on `on` (the day the survey
    is made, default today), or those named, into `out_dir`, and 照会一覧.xlsx. A closed 課's
    linkages go on the forms of the 課 that took it over (組織改正, xlkit.org). Nothing is written
    when one of the files exists already (unless `overwrite`): a 課 may have been sent a form of
    that name.

    A whole set of forms or none: half a set would be refused as 「同じ名前の照会票があります」
    next time, or (overwriting) leave old and new forms mixed. Every file is written under a
    temporary name first (xlkit.files.scratch, so that what a killed survey leaves is swept by
    the next), and only a whole set is renamed into place."""
    from . import inquiry as forms_
    from .files import check_target
    from .workbook import inquiry_form

    formats_current(book)
    year = inquiry_year(book, year)
    on = on or dt.date.today()
    asked = forms_.plan(book, year, divisions, on=on)
    made = asked.forms
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
    writes = [(target, lambda tmp, form=form: inquiry_form.write_form(form, tmp, masters=masters))
              for target, form in zip(targets, made)]
    writes.append((listing, lambda tmp: inquiry_form.write_list(made, tmp)))
    _write_set(writes, overwrite)
    return Surveyed(year, made, targets[:-1], listing, asked.notes)


def _write_set(writes: list[tuple[Path, Callable[[Path], Any]]], overwrite: bool) -> None:
    """Each `write(temp)` into a temporary file beside its target, then every temp file renamed
    onto its target: all of them, or (a file that cannot be replaced: open in Excel) none. What
    an earlier survey killed midway left is swept first (xlkit.files.abandoned)."""
    from contextlib import ExitStack, suppress

    from .files import abandoned, new_folder_mode, scratch

    for target, _ in writes:
        for leftover in abandoned(target):
            with suppress(OSError):
                leftover.unlink(missing_ok=True)
    mode = new_folder_mode() & 0o666  # a new file's mode (mkstemp makes it its owner's only)
    with ExitStack() as temps:
        ready = []
        for target, write in writes:
            tmp = temps.enter_context(scratch(target.parent, target.suffix, owner=target.name))
            write(tmp)
            os.chmod(tmp, mode)
            ready.append((tmp, target))
        placed: list[tuple[Path, Path | None]] = []  # (target, where its old file is kept meanwhile)
        try:
            for tmp, target in ready:
                if overwrite and target.exists():
                    kept = temps.enter_context(scratch(target.parent, target.suffix, owner=target.name))
                    os.replace(target, kept)
                    placed.append((target, kept))
                    os.replace(tmp, target)
                else:
                    _new_file(tmp, target)
                    placed.append((target, None))
        except BaseException as exc:
            failed = target
            for done, kept in reversed(placed):  # the old files back, the new ones away
                with suppress(OSError):
                    if kept is not None:
                        os.replace(kept, done)
                    else:
                        done.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise XlkitError(messages.text("survey.replace_failed", ファイル=failed.name,
                                               理由=os_reason(exc))) from None
            raise


def _new_file(tmp: Path, target: Path) -> None:
    """`tmp` given the name `target` where no file has it: one that appeared since the survey
    looked is never replaced (a hard link fails on it)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise Refusal("survey.exists", ファイル=target.name) from None
    except OSError:  # file systems without hard links (some network shares, FAT)
        if target.exists():
            raise Refusal("survey.exists", ファイル=target.name) from None
        os.replace(tmp, target)


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
            sources.append(planner.Source(label, refused=e.reason, named=e.division or forms_.division_in_name(path.name)))
        except XlkitError as e:
            sources.append(planner.Source(label, refused=messages.text("collect.unreadable", 理由=e.message.rstrip("。")),
                                          named=forms_.division_in_name(path.name)))
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
        logs = _read_logs(book)
        result = plan_collect(book, read_answers(book, files), year, skip_bad=skip_bad, history=logs.taken)
        check_plan(book, result)
        return Collected(result, False)
    with writer.editing(path, "回答取込", clear_lock=clear_lock) as edit:
        book = reader.load(edit.path)
        logs = _read_logs(book)
        result = plan_collect(book, read_answers(book, files), year, skip_bad=skip_bad, history=logs.taken)
        check_plan(book, result)
        if result.held:  # all or nothing: not even 回答状況 is written
            return Collected(result, False)
        new, ends = planner.applied(result)
        _write_collected(edit, book, result, new, ends, logs)
        edit.commit()
    return Collected(result, True)


def formats_current(book: Book, name: str | None = None, where: str | None = None) -> None:
    """A register of another format than this xlkit's is refused by name before anything is
    written (xlkit.formats.check_current), by every door: `name` and `where` are the file as
    staff know it — the workbook open in Excel for a button — by default the book's own file."""
    from . import formats

    if name is None:
        name = book.path.name if book.path else ""
    if where is None:
        where = str(book.path or "")
    formats.check_current(book.format, name, where)


def check_plan(book: Book, result) -> None:
    """What is to be written has a column to go to: a register lacking one (備考 renamed) is refused
    before anything is written, by every door and by a dry run."""
    from . import answers as planner
    from .register import require_columns

    new, ends = planner.applied(result)
    needed = {k for n in new for k in n.values} | ({"end"} if ends else set())
    require_columns(book, schema.linkage(), "import.columns_missing", needed)


def _read_logs(book: Book) -> collect_log.Logs:
    """変更履歴 and 回答状況 of the register file, each read once (xlkit.collect_log.Logs)."""
    from .workbook import reader

    history, status = schema.history(), schema.status()
    return collect_log.Logs(
        collect_log.log_records(book, history, reader.stream(book, history, keys=collect_log.HISTORY_KEYS)),
        collect_log.log_records(book, status, reader.stream(book, status)))


def _write_collected(edit, book: Book, result, new: list, ends: list, logs: collect_log.Logs) -> None:
    from .workbook import appender

    linkage = schema.linkage()
    letters = book.columns[linkage.sheet]
    if ends:
        appender.set_cells(edit.package, linkage, letters, {e.record.row: {"end": e.end} for e in ends})
        appender.check_rows(edit.package, linkage, book, {e.record.row: {"end": e.end} for e in ends}, only={"end"})
    if new:
        values = [n.values for n in new]
        appender.append(edit.package, linkage, letters, values, after=result.after)
        appender.check_appended(edit.package, linkage, book, values, result.after)
    log_changes(edit, book, collect_log.history_changes(new, ends), after=logs.last)
    status = schema.status()
    appender.rewrite(edit.package, status, book.columns[status.sheet],
                     collect_log.status_rows(result, [r.values for r in logs.status], dt.datetime.now()))
