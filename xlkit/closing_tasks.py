"""年度締め as both doors run it: the 確定 folder, then 設定 and 変更履歴 through the register writer.

Both doors decide with `prepare` (xlkit.closing.plan, the 確定 folder's place, the PDF tool and the
characters the PDF would lose), in the same order, so that they refuse alike and say the same.

`close_year` is `xlkit close-year`: under the register's lock it prepares, makes 設定's new values
and their 変更履歴 rows in the package (a 設定 cell holding a formula or a 変更履歴 staff broke
refuses a dry run as it refuses a real run, before any folder is made), writes 確定/<年度>/ beside
the register (`freeze`) and then the register, in one write. When that write fails, the folder is
removed again, so a register never says "not closed" beside a folder that says "closed", nor the
other way round. The button (xlkit.macros_close) prepares on the saved file, makes the same
folder, then writes into the open workbook.

The folder is made under a temporary name in 確定/ and renamed when complete: a killed run
leaves no half folder under the year's name. Its files are made read-only.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from . import closing as closing_
from . import history, messages, schema
from .dates import nendo
from .errors import Refusal, XlkitError, os_reason
from .files import abandoned, new_folder_mode, scratch_folder
from .records import Book

FIGURES_FILE = "集計_{年度}.json"


@dataclass(frozen=True)
class Frozen:
    """The 確定 folder written: where it is and its files (name -> SHA-256, as the SHA-256 list names them)."""

    folder: Path
    files: dict[str, str]

    def lines(self, year: int) -> list[str]:
        """What both doors say once the year is closed (xlkit.closing.done_lines)."""
        return closing_.done_lines(year, self.folder, self.files)


@dataclass(frozen=True)
class Closed:
    """What close_year did: the decision and the year's 確定 folder; `frozen`, the folder written,
    None after a dry run (nothing written)."""

    closing: closing_.Closing
    folder: Path
    frozen: Frozen | None = None

    @property
    def written(self) -> bool:
        return self.frozen is not None

    @property
    def files(self) -> dict[str, str]:
        return self.frozen.files if self.frozen is not None else {}


def folder_of(register: Path, year: int) -> Path:
    """確定/<year> beside the register."""
    return Path(register).parent / closing_.FOLDER / str(year)


def check_folder(register: Path, year: int) -> Path:
    """The year's 確定 folder, refused when something is there already (never replaced) or when
    確定 beside the register is not a folder."""
    folder = folder_of(register, year)
    root = folder.parent
    if (root.exists() or root.is_symlink()) and not root.is_dir():
        raise Refusal("close.root_not_folder", フォルダ=root)
    if folder.exists() or folder.is_symlink():
        raise Refusal("close.folder_exists", 年度=nendo(year), フォルダ=folder)
    return folder


def check_pdf_tool(pdf: bool, register: Path) -> None:
    """Refuse before anything is written when the PDF cannot be made here (the button's hint
    names the register for `xlkit close-year … --no-pdf`)."""
    from .export import pdf as pdf_tool

    if pdf and not pdf_tool.available():
        raise Refusal("close.no_pdf", 理由=pdf_tool.NOT_INSTALLED, パス=register)


def prepare(book: Book, register: Path, *, pdf: bool) -> tuple[closing_.Closing, Path]:
    """What both doors decide before they ask or write anything, in this order: the decision
    (xlkit.closing.plan, which validates), the year's 確定 folder (check_folder), the PDF tool.
    With a PDF, the characters it would draw as boxes join the decision's notes, naming the
    register cells that hold them: said, not refused (the .docx beside it keeps them)."""
    plan = closing_.plan(book)
    folder = check_folder(register, plan.year)
    check_pdf_tool(pdf, register)
    if pdf:
        plan = plan.noted(_lost(book, plan))
    return plan, folder


def _lost(book: Book, plan: closing_.Closing) -> list[str]:
    from . import tasks
    from .export import api

    chars = api.lost_in_linkages(book, plan.year, plan.figures)
    return tasks.where_lost(book.linkages, chars) if chars else []


def export_pdf(book: Book, out: Path, plan: closing_.Closing) -> Path:
    """The PDF beside the stored .docx: the same report of the same copy, written as the PDF export
    writes it (the diagonal drawn as a line LibreOffice shows, long tables in quick chunks), so that
    it looks as any PDF of the report does."""
    from . import tasks

    return tasks.export_linkages(book, out, year=plan.year, checked=plan.findings).path


def freeze(register: Path, plan: closing_.Closing, *, expected_sha256: str, pdf: bool = True) -> Frozen:
    """Write 確定/<年度>/ for `plan`: the register copied (it must still be the bytes that were
    checked: `expected_sha256`, which is then the copy's SHA-256), the linkage report exported
    from that copy as .docx and .pdf, the figures as JSON and the SHA-256 list; every file read-only."""
    from . import __version__, tasks
    from .export import api
    from .workbook import reader

    register = Path(register)
    final = check_folder(register, plan.year)
    root = final.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        for left in abandoned(final):  # half made by a close that was killed: no process will finish it
            _remove(left)
        staging = scratch_folder(root, final.name)
    except OSError as exc:
        raise XlkitError(messages.text("close.folder_failed", フォルダ=root, 理由=os_reason(exc))) from None
    try:
        copy = staging / register.name
        data = register.read_bytes()
        if closing_.sha256_of(data) != expected_sha256:
            raise Refusal("register.changed_meanwhile", ファイル=register.name)
        copy.write_bytes(data)
        del data
        # the report as anyone makes it again from the copy; the copy is the bytes `plan` was
        # decided on, so its 入力チェック is plan's and its figures are plan's
        name = api.default_linkages_name(plan.year)
        frozen_book = reader.load(copy)
        tasks.export_linkages(frozen_book, staging / f"{name}.docx", year=plan.year, checked=plan.findings)
        if pdf:
            export_pdf(frozen_book, staging / f"{name}.pdf", plan)
        document = closing_.figures_document(plan, register=register.name, register_sha256=expected_sha256,
                                             closed_at=dt.datetime.now(), version=__version__)
        figures = staging / FIGURES_FILE.format(年度=nendo(plan.year))
        figures.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        digests = {p.name: expected_sha256 if p == copy else closing_.sha256_of(p.read_bytes())
                   for p in sorted(staging.iterdir()) if p.is_file()}
        (staging / closing_.MANIFEST).write_text(closing_.manifest(digests), encoding="utf-8", newline="\n")
        for p in staging.iterdir():
            os.chmod(p, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
        os.chmod(staging, new_folder_mode())  # for colleagues too, as any folder made here
        _place(staging, final, plan.year)
    except BaseException as exc:
        _remove(staging)
        if isinstance(exc, OSError):
            raise XlkitError(messages.text("close.folder_failed", フォルダ=root, 理由=os_reason(exc))) from None
        raise
    return Frozen(final, digests)


def _place(staging: Path, final: Path, year: int) -> None:
    """The complete folder renamed to the year's name, which must still be free. A colleague's
    close-year of a copy of this register may have made it meanwhile, even between a look and the
    rename: the rename then fails (Windows: FileExistsError; POSIX: ENOTEMPTY or EEXIST, their
    folder being full), and that is said as the folder being there, not as a file-system failure.
    An empty folder of that name would be replaced on POSIX: it holds nothing to lose."""
    exists = Refusal("close.folder_exists", 年度=nendo(year), フォルダ=final)
    if final.exists() or final.is_symlink():
        raise exists
    try:
        os.rename(staging, final)
    except OSError as exc:
        if isinstance(exc, FileExistsError) or exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise exists from None
        raise


def discard(folder: Path) -> bool:
    """Remove a 確定 folder this run made (its files are read-only). It is first renamed to a
    temporary name, so that a file that cannot be removed (held open by a virus scanner) never
    leaves a half folder under the year's name: what stays is swept by a later close. False when
    not even the rename could be done: the folder is then still there, whole."""
    if not folder.exists():
        return True
    try:
        away = scratch_folder(folder.parent, folder.name)
        os.rmdir(away)  # only its free name is wanted
        os.rename(folder, away)
    except (OSError, XlkitError):
        return False
    _remove(away)
    return True


def _remove(folder: Path) -> None:
    for p in folder.iterdir():
        with suppress(OSError):
            os.chmod(p, stat.S_IREAD | stat.S_IWRITE)
    shutil.rmtree(folder, ignore_errors=True)


def _closed_on_disk(register: Path, year: int) -> bool:
    """Whether the register file says `year` is closed (our write landed after all)."""
    from .workbook import reader

    try:
        return year in (reader.load(register).settings.get("closed_years") or [])
    except (XlkitError, OSError):
        return False


def _undo(frozen: Frozen, register: Path, year: int) -> None:
    """After a failed register write, the folder goes too, unless the register says closed: the
    write landed and something failed after it (a Ctrl+C just then)."""
    if _closed_on_disk(register, year):
        return
    if not discard(frozen.folder):
        raise XlkitError(messages.text("close.not_discarded", フォルダ=frozen.folder,
                                       理由=messages.text("close.folder_held")))


def close_year(register_path: str | Path, *, pdf: bool = True, dry_run: bool = False,
               announce: Callable[[closing_.Closing, Path], None] | None = None, clear_lock: bool = False) -> Closed:
    """`xlkit close-year`: close 設定's 報告年度 (see the module docstring). `announce(plan, folder)`
    is called once the decision is made and 設定 and 変更履歴 have taken its values in the
    package, before anything is written; `dry_run` stops there."""
    from . import tasks
    from .workbook import appender, reader, writer

    with writer.editing(Path(register_path), history.CLOSE_YEAR, clear_lock=clear_lock) as edit:
        book = reader.load(edit.path)
        plan, folder = prepare(book, edit.path, pdf=pdf)
        letters, rows = plan.cells()
        appender.set_cells(edit.package, schema.settings(), letters, rows)
        tasks.log_changes(edit, book, plan.history(source_of(folder, edit.path)))
        if announce is not None:
            announce(plan, folder)
        if dry_run:
            return Closed(plan, folder)
        frozen = freeze(edit.path, plan, expected_sha256=edit.fingerprint.sha256, pdf=pdf)
        try:
            edit.commit(verify=lambda written: _verify(written, book, plan))
        except BaseException:
            # a register rewritten in place meanwhile is said as changed by the register writer
            _undo(frozen, edit.path, plan.year)
            raise
    return Closed(plan, frozen.folder, frozen)


def source_of(folder: Path, register: Path) -> str:
    """The 確定 folder as 変更履歴 names it: relative to the register (確定\\2020)."""
    try:
        return str(Path(folder).relative_to(Path(register).parent)).replace("/", "\\")
    except ValueError:
        return str(folder)


def _verify(written: Path, before: Book, plan: closing_.Closing) -> None:
    """設定 of the written copy reads back as closing decided. The copy is checked as every
    read checks a register (its limits: 変更履歴 has grown), but the register sheets are not read
    again: the register writer proves their parts the register's own bytes, and log_changes read
    変更履歴's new rows back as they were spliced in."""
    from .workbook import reader

    after = reader.load(written, skip=(schema.linkage().sheet, schema.case().sheet))
    expected = dict(before.settings)
    for change in plan.changes:
        key, _, body = change.key.partition(".")
        if body:
            expected[key] = {**expected.get(key, {}), body: change.new}
        elif change.new is None:  # a blank cell is read as no value
            expected.pop(key, None)
        else:
            expected[key] = change.new
    wrong = sorted(k for k in expected.keys() | after.settings.keys() if expected.get(k) != after.settings.get(k))
    wrong += [key for key, cell in before.setting_cells.items() if after.setting_cells.get(key) != cell]
    if wrong:
        titles = "、".join(dict.fromkeys(_title(key) for key in wrong))
        raise Refusal("register.unverified", ファイル=(before.path or written).name,
                      理由=messages.text("close.unverified", 項目=titles))


def _title(key: str) -> str:
    base, _, body = key.partition(".")
    try:
        header = schema.settings().header(base)
    except KeyError:
        return key
    return schema.per_body_title(header, body) if body else header
