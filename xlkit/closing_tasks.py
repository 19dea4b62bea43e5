"""年度締め as both doors run it: the 確定 folder, then 設定 and 変更履歴 through the register writer.

`close_year` is `xlkit close-year`: under the register's lock it decides (xlkit.closing.plan),
writes 確定/<年度>/ beside the register (`freeze`) and then 設定's new values with their 変更履歴
rows in one write. When that write fails, the folder is removed again, so a register never
says "not closed" beside a folder that says "closed", nor the other way round. The button
(xlkit.macros_close) makes the same decision and the same folder, then writes into the open workbook.

The folder is made under a temporary name in 確定/ and renamed when complete: a killed run
leaves no half folder under the year's name. Its files are made read-only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from . import closing as closing_
from . import messages
from .dates import nendo
from .errors import Refusal, XlkitError, os_reason
from .files import abandoned, new_folder_mode, scratch_folder

FIGURES_FILE = "集計_{年度}.json"


@dataclass(frozen=True)
class Frozen:
    """The 確定 folder written: where it is and its files (name -> SHA-256)."""

    folder: Path
    files: dict[str, str]


@dataclass
class Closed:
    """What close_year did: the decision, the folder and whether anything was written."""

    closing: closing_.Closing
    folder: Path
    files: dict[str, str] = field(default_factory=dict)
    written: bool = False


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


def check_pdf_tool(pdf: bool) -> None:
    """Refuse before anything is written when the PDF cannot be made here."""
    from .export import pdf as pdf_tool

    if pdf and not pdf_tool.available():
        raise Refusal("close.no_pdf", 理由=pdf_tool.NOT_INSTALLED)


def freeze(register: Path, plan: closing_.Closing, *, expected_sha256: str, pdf: bool = True,
           now: dt.datetime | None = None) -> Frozen:
    """Write 確定/<年度>/ for `plan`: the register copied (it must still be the bytes that were
    checked: `expected_sha256`), the linkage report exported from that copy as .docx and .pdf,
    the figures as JSON and the SHA-256 list; every file read-only."""
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
        frozen = reader.load(copy)
        if tasks.summary(frozen, plan.year).figures.rows != plan.figures.rows:  # a defect, never staff's
            raise XlkitError(messages.text("close.copy_differs", ファイル=copy.name))
        name = api.default_linkages_name(plan.year)
        docx = tasks.export_linkages(frozen, staging / f"{name}.docx", year=plan.year).path
        if pdf:
            api.pdf_of_docx(docx, docx.with_suffix(".pdf"))
        document = closing_.figures_document(plan, register=register.name, register_sha256=expected_sha256,
                                             closed_at=now or dt.datetime.now(), version=__version__)
        figures = staging / FIGURES_FILE.format(年度=nendo(plan.year))
        figures.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        digests = {p.name: closing_.sha256_of(p.read_bytes()) for p in sorted(staging.iterdir()) if p.is_file()}
        (staging / closing_.MANIFEST).write_text(closing_.manifest(digests), encoding="utf-8", newline="\n")
        for p in staging.iterdir():
            os.chmod(p, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
        os.chmod(staging, new_folder_mode())  # for colleagues too, as any folder made here
        if final.exists():  # a colleague's close-year of a copy of this register, meanwhile
            raise Refusal("close.folder_exists", 年度=nendo(plan.year), フォルダ=final)
        os.rename(staging, final)
    except BaseException as exc:
        _remove(staging)
        if isinstance(exc, OSError):
            raise XlkitError(messages.text("close.folder_failed", フォルダ=root, 理由=os_reason(exc))) from None
        raise
    return Frozen(final, digests)


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
               announce: Callable[[closing_.Closing], None] | None = None, clear_lock: bool = False) -> Closed:
    """`xlkit close-year`: close 設定's 報告年度 (see the module docstring). `announce(plan)` is
    called once the decision is made, before anything is written; `dry_run` stops there."""
    from . import tasks
    from .workbook import appender, reader, writer

    path = Path(register_path)
    with writer.editing(path, "年度締め", clear_lock=clear_lock) as edit:
        book = reader.load(edit.path)
        plan = closing_.plan(book, tasks.validate(book))
        folder = check_folder(edit.path, plan.year)
        check_pdf_tool(pdf)
        if announce is not None:
            announce(plan)
        if dry_run:
            return Closed(plan, folder)
        frozen = freeze(edit.path, plan, expected_sha256=edit.fingerprint.sha256, pdf=pdf)
        try:
            appender.set_addressed(edit.package, book_sheet(), {c.cell: c.new for c in plan.changes})
            tasks.log_changes(edit, book, plan.history(source_of(frozen.folder, edit.path)))
            edit.commit(verify=lambda written: _verify(written, book, plan))
        except BaseException as exc:
            _undo(frozen, edit.path, plan.year)
            if isinstance(exc, XlkitError) and not isinstance(exc, Refusal) \
                    and writer.Fingerprint.of(edit.path) != edit.fingerprint:
                # the open package read bytes a script wrote in place meanwhile: changed, not broken
                raise Refusal("register.changed_meanwhile", ファイル=edit.path.name) from None
            raise
    return Closed(plan, frozen.folder, frozen.files, True)


def book_sheet() -> str:
    from . import schema

    return schema.settings().sheet


def source_of(folder: Path, register: Path) -> str:
    """The 確定 folder as 変更履歴 names it: relative to the register (確定\\2020)."""
    try:
        return str(Path(folder).relative_to(Path(register).parent)).replace("/", "\\")
    except ValueError:
        return str(folder)


def _verify(written: Path, before, plan: closing_.Closing) -> None:
    """The written copy has every register row as it was and 設定 as closing decided."""
    from .workbook import reader

    after = reader.load(written)
    rows = lambda book: ([(r.row, r.values) for r in book.linkages], [(r.row, r.values) for r in book.cases])  # noqa: E731
    expected = dict(before.settings)
    for change in plan.changes:
        key, _, body = change.key.partition(".")
        if body:
            expected[key] = {**expected.get(key, {}), body: change.new}
        elif change.new is None:  # a blank cell is read as no value
            expected.pop(key, None)
        else:
            expected[key] = change.new
    if rows(after) != rows(before) or after.settings != expected:
        raise Refusal("register.unverified", ファイル=(before.path or written).name, 理由="読み直した値が年度締めの値と違います")
