"""What staff can ask of a register, decided once for every door.

The buttons (xlkit.macros), the command line (xlkit.commands) and a notebook (xlkit.load) call
these functions and only move data in and out: a door reads the register, makes one call here,
and shows the answer or the refusal. Nothing here prints, asks, or knows about Excel: files are
read and written only through xlkit.workbook and xlkit.export, loaded inside the use case that
needs them (tests/test_layers.py names those edges). Where staff may override a refusal (a
report from a register with errors), the door passes `confirm`, a function that answers yes or
no (the --force flag, or a dialog box).

Refusals are xlkit.errors.Refusal, worded in xlkit/data/messages.json; a door may add its own
hint after the shared message (Refusal.hint).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import figures as fig
from . import cells, messages, pasted_table, rules, schema
from .addresses import column_letter
from .dates import format_wareki, nendo
from .errors import Refusal, XlkitError, os_reason
from .issues import ERROR, Issue, sort_key
from .records import Book
from .register import gc_paused, require_columns
from .validation import Findings, validate_book

PLACES_SHOWN = 5  # cells named in a refusal; the full list is in 検証結果 / xlkit validate


# --------------------------------------------------------------------------- the 年度


def year_range(book: Book) -> tuple[int, int]:
    """The 年度 the register can speak for: its first 計上年度 to one past its last.

    The year after the last is where staff roll forward before next year's new linkages are
    typed. Both ends stay within the schemas' year bounds, so a 計上年度 typed as 令和99年度
    cannot stretch the range.
    """
    low, high = schema.year_bounds()
    counted = [y for r in book.linkages if isinstance(y := r.get("fiscal_year"), int) and low <= y <= high]
    if not counted:
        raise Refusal("year.no_data")
    return min(counted), min(max(counted) + 1, high)


def parse_year(text) -> int:
    """A year as staff type it (2020, ２０２０, 令和2年度, R2) -> 2020; for --year and the notebook."""
    text = str(text)
    try:
        year = cells.year(text)  # folds spaces, full-width digits and r2 as R2 itself
        reason = None
    except cells.CellError as e:
        year, reason = None, e.reason
    if year is None:
        raise Refusal("year.unparsable", 値=text, 理由=reason or messages.text("year.no_number"))
    return year


def report_year(book: Book, requested: int | None = None) -> int:
    """The 年度 to count or report: `requested`, else 設定's 報告年度.

    Both the year asked for and 報告年度 (when it is filled in) must lie in `year_range`: a
    報告年度 of 2117 is a typo whatever year is asked for, and last year's published figures are
    compared against it.
    """
    setting = book.settings.get("report_year")
    if requested is None and setting is None:
        cell = book.setting_cells.get("report_year")
        # whatever the reader said of that cell (settings-invalid, cell-error-value …)
        unreadable = next((i for i in book.issues if cell and i.sheet == schema.settings().sheet and i.cell == cell),
                          None)
        if unreadable is not None:  # the reader said why, pointing at the cell
            raise Refusal("year.unreadable", セル=cell, 内容=unreadable.message.rstrip("。"))
        raise Refusal("year.unknown")
    first, last = year_range(book)
    span = {"最初": nendo(first), "最後": nendo(last)}
    if isinstance(setting, int) and not first <= setting <= last:
        raise Refusal("year.setting_out_of_range", 値=setting, 年度=nendo(setting), **span)
    year = setting if requested is None else requested
    if not first <= year <= last:
        raise Refusal("year.out_of_range", 年度=nendo(year), 西暦=year, **span)
    return year


# --------------------------------------------------------------------------- 集計


@dataclass(frozen=True)
class Note:
    """A line saying why figures need a look; `code` says which kind (for filtering and tests)."""

    code: str  # skipped | mismatch | previous-mismatch
    text: str


@dataclass
class Summary:
    """The a + b − c figures of one year with what staff should look at (`notes`) and 前年度公表値."""

    figures: fig.Figures
    notes: list[Note] = field(default_factory=list)
    previous: dict[str, int] = field(default_factory=dict)  # 前年度公表値, when year is 報告年度

    @property
    def year(self) -> int:
        return self.figures.year

    @property
    def differences(self) -> list[Note]:
        return [n for n in self.notes if n.code == "previous-mismatch"]

    @property
    def left_out(self) -> list[Note]:
        return [n for n in self.notes if n.code == "skipped"]


def summary(book: Book, year: int | None = None) -> Summary:
    """The a + b − c table of `year` (default 報告年度) with the notes that go with it."""
    year = report_year(book, year)
    figures = fig.compute(book.linkages, year, book.bodies, [d for d, _ in book.divisions], org=book.org)
    notes = [Note("skipped", line) for line in fig.skipped_notes(figures.skipped)]
    notes += [Note("mismatch", m.message(year)) for m in figures.mismatches]
    previous = {}
    if book.settings.get("report_year") == year:
        previous = dict(book.settings.get("previous_published") or {})
        notes += [Note("previous-mismatch", fig.previous_note(body, year, published, a))
                  for body, published, a in fig.compare_previous(figures, previous)]
    return Summary(figures, notes, previous)


# --------------------------------------------------------------------------- 資料１ period


def cases_period(book: Book, date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The 付議日 period of the 資料: what is given, else 設定's 資料の対象期間, else every 付議日."""
    date_from = date_from or _date_setting(book, "cases_from")
    date_to = date_to or _date_setting(book, "cases_to")
    if date_from is None or date_to is None:
        dated = sorted(d for r in book.cases if isinstance(d := r.get("submitted_on"), dt.date))
        if not dated:
            raise Refusal("cases.none_dated")
        date_from, date_to = date_from or dated[0], date_to or dated[-1]
    if date_from > date_to:
        raise Refusal("cases.period_reversed", 開始=format_wareki(date_from), 終了=format_wareki(date_to))
    return date_from, date_to


def _date_setting(book: Book, key: str) -> dt.date | None:
    value = book.settings.get(key)
    return value if isinstance(value, dt.date) else None


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Outbox:
    """Where a button saves: the report's own name in `folder`, a free 「name (2)」 when taken."""

    folder: Path
    suffix: str  # .docx | .xlsx | .pdf


@dataclass
class Written:
    """A report written by export_linkages / export_cases, with what a door tells staff about it."""

    path: Path  # the file written
    wanted: Path  # the name asked for (differs from `path` when an Outbox name was taken)
    title: str  # what the report is, in Japanese
    notes: list[Note] = field(default_factory=list)  # why its figures need a look (rows left out aside)
    forced: Refusal | None = None  # the refusal staff overrode, when they did
    left_out: list[str] = field(default_factory=list)  # rows of the register the report lacks
    lost: list[str] = field(default_factory=list)  # characters a PDF shows as boxes, with their cells
    # the attachments that could not be used, when staff had the report made without them (each
    # is a placeholder line on its 別紙)
    forced_attachments: AttachmentsRefusal | None = None


class ErrorsRefusal(Refusal):
    """The register has validation errors; `errors` are the issues (for a listing)."""

    exit_code = 1

    def __init__(self, key: str, errors: list[Issue], **values):
        shown = messages.first([f"{i.sheet}!{i.cell}" if i.cell else i.sheet for i in errors], PLACES_SHOWN)
        super().__init__(key, 件数=len(errors), 場所="、".join(shown), **values)
        self.errors = errors


ATTACHMENTS_SHOWN = 20  # attachments listed in a refusal: each needs its own fix, so most are named


class AttachmentsRefusal(Refusal):
    """Attachments of the cases to report cannot be used; `problems` are
    xlkit.attachments.Problem (sheet, cell, name, reason), in row order."""

    exit_code = 1

    def __init__(self, key: str, problems: list, **values):
        lines = [messages.text("export.attachment_line", シート=p.sheet, セル=p.cell, 名前=p.name, 理由=p.reason)
                 for p in problems]
        super().__init__(key, 件数=len(problems), 一覧="\n".join(messages.first(lines, ATTACHMENTS_SHOWN)), **values)
        self.problems = problems


Confirm = Callable[[Refusal], bool]


def _gate(book: Book, what: str, confirm: Confirm | None, checked: Findings | None) -> Refusal | None:
    """Refuse a report from a register with errors, unless `confirm` says to go on."""
    report = checked if checked is not None else validate_book(book)
    errors = [i for i in report.issues if i.severity == ERROR]
    if not errors:
        return None
    question = ErrorsRefusal("export.confirm", errors)
    if confirm is not None and confirm(question):
        return ErrorsRefusal("export.forced", errors)
    raise ErrorsRefusal("export.refused", errors, 資料=what)


def attachment_problems(book: Book, records) -> list:
    """The 添付ファイル of `records` that cannot be used (xlkit.attachments.Problem), looked for
    beside the register's file; what 入力チェック warns of and what an export refuses."""
    if not any("attachment" in rec.values for rec in records):
        return []  # no file library is loaded for a register without attachments
    from . import attachments

    return attachments.problems(records, book.path)


def _attachment_gate(book: Book, records, what: str, confirm: Confirm | None) -> AttachmentsRefusal | None:
    """Refuse a report whose 別紙 would lack an attachment, unless `confirm` says to go on: then
    each missing one is a placeholder line on its 別紙, never a silent gap."""
    problems = attachment_problems(book, records)
    if not problems:
        return None
    if confirm is not None and confirm(AttachmentsRefusal("export.attachments_confirm", problems)):
        return AttachmentsRefusal("export.attachments_forced", problems)
    raise AttachmentsRefusal("export.attachments_refused", problems, 資料=what)


def _check_format(out: Path | Outbox) -> None:
    """A wrong suffix is said before anything else (the year, the validation)."""
    from .files import output_format

    output_format(Path(f"x{out.suffix}") if isinstance(out, Outbox) else Path(out))


def _destination(book: Book, out: Path | Outbox, name: str, overwrite: bool) -> tuple[Path, Path]:
    """(the path to write, the path asked for); an Outbox takes a free name, a path may not exist.

    A report never replaces the register it is made from, whatever the spelling of the path
    (./sub/../登録簿.xlsx, a link): --overwrite is for an old report.
    """
    from .files import check_target, free_path, same_file

    if isinstance(out, Outbox):
        wanted = out.folder / f"{name}{out.suffix}"
        return free_path(wanted), wanted
    out = Path(out)
    if book.path is not None and same_file(out, book.path):
        raise Refusal("export.target_is_register", ファイル=out)
    check_target(out, overwrite)
    return out, out


def _make_folder(out: Path | Outbox) -> None:
    """An Outbox's folder (exports/ beside the workbook) is made when a report is about to be written."""
    if isinstance(out, Outbox):
        try:
            out.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise XlkitError(messages.text("export.folder_failed", フォルダ=out.folder,
                                           理由=os_reason(exc))) from None


def export_linkages(book: Book, out: Path | Outbox, *, year: int | None = None, overwrite: bool = False,
                    confirm: Confirm | None = None, checked: Findings | None = None) -> Written:
    """「外部電子計算機との結合の状況」 of `year` (default 報告年度) in the format of the suffix."""
    from .export import api

    _check_format(out)
    result = summary(book, year)
    path, wanted = _destination(book, out, api.default_linkages_name(result.year), overwrite)
    title = messages.text("export.title_linkages", 年度=nendo(result.year))
    forced = _gate(book, title, confirm, checked)
    _make_folder(out)
    lost: list[str] = []
    written = api.export_linkages(book, result.year, path, overwrite=overwrite, figures=result.figures,
                                  on_lost=lambda chars: lost.extend(where_lost(book.linkages, chars)),
                                  free=isinstance(out, Outbox))
    others = [n for n in result.notes if n.code != "skipped"]
    return Written(Path(written), wanted, title, others, forced, [n.text for n in result.left_out], lost)


def export_cases(book: Book, out: Path | Outbox, *, date_from: dt.date | None = None,
                 date_to: dt.date | None = None, report_date: dt.date | None = None, overwrite: bool = False,
                 confirm: Confirm | None = None, checked: Findings | None = None) -> Written:
    """資料１「審議案件について」 of the cases whose 付議日 is in the period (see cases_period)."""
    from .export import api
    from .export.cases import in_period

    _check_format(out)
    date_from, date_to = cases_period(book, date_from, date_to)
    if not in_period(book.cases, date_from, date_to):
        raise Refusal("cases.none_in_period", 開始=format_wareki(date_from), 終了=format_wareki(date_to))
    path, wanted = _destination(book, out, api.default_cases_name(date_from, date_to), overwrite)
    title = messages.text("export.title_cases", 開始=format_wareki(date_from), 終了=format_wareki(date_to))
    forced = _gate(book, title, confirm, checked)
    chosen = sorted(in_period(book.cases, date_from, date_to), key=lambda rec: rec.row)
    without = _attachment_gate(book, chosen, title, confirm)
    _make_folder(out)
    lost: list[str] = []
    written = api.export_cases(book, date_from, date_to, path, report_date=report_date, overwrite=overwrite,
                               on_lost=lambda chars: lost.extend(where_lost(book.cases, chars)),
                               free=isinstance(out, Outbox), missing_ok=without is not None)
    return Written(Path(written), wanted, title, [], forced, _undated_cases(book) + _provisions_unread(book), lost,
                   without)


LOST_CELLS_SHOWN = 10


def where_lost(records, chars: set[str]) -> list[str]:
    """One line per character the PDF's fonts lack, naming the register cells that hold it (the
    report's own wording has none: only typed text can)."""
    found: dict[str, list[str]] = {char: [] for char in chars}
    for rec in records:  # one pass over the cells, whatever the number of characters
        for key, value in rec.raw.items():
            if isinstance(value, str):
                for char in chars.intersection(value):
                    found[char].append(f"{rec.sheet}!{rec.cell(key)}")
    lines = []
    for char in sorted(chars):
        shown = "、".join(messages.first(found[char], LOST_CELLS_SHOWN))
        lines.append(messages.text("export.pdf_lost_char", 文字=char, 符号=f"U+{ord(char):04X}",
                                   場所=shown or messages.text("export.pdf_lost_nowhere")))
    return lines


def _undated_cases(book: Book) -> list[str]:
    """The cases whose 付議日 was typed but cannot be read: no period can include them."""
    rows = [r.row for r in book.cases if "submitted_on" in r.raw and "submitted_on" not in r.values]
    if not rows:
        return []
    return [messages.text("cases.left_out", 行=fig.row_runs(rows),
                          件数=messages.text("notes.rows_counted", 件数=len(rows)) if len(rows) > 1 else "")]


def _provisions_unread(book: Book) -> list[str]:
    """A register that should have its 外部提供 sheet but has none: its 別紙 lack their tables, and
    the report says so, as it says what else it left out (the reader's warning, worded once)."""
    return [issue.message for issue in book.issues if issue.code == "provision-sheet-missing"]


def validate(book: Book) -> Findings:
    """入力チェック: every issue of the register, sorted by sheet, row and column; for a register
    read from its file, each 添付ファイル that cannot be used is a warning at its cell (the
    exports refuse it: said here first)."""
    found = validate_book(book)
    if book.path is None:
        return found
    column = schema.case().header("attachment")
    for p in attachment_problems(book, book.cases):
        found.issues.append(Issue.make("attachment-unusable", p.sheet, p.cell, column,
                                       messages.text("attachment.issue", 名前=p.name, 理由=p.reason), p.value))
    found.issues.sort(key=sort_key)
    return found


# --------------------------------------------------------------------------- 取り込み (表(2))


@dataclass
class Imported:
    """What `import_table` did: the parsed table and the rows written (none on a dry run)."""

    parsed: pasted_table.Parsed
    appended: list[tuple[int, dict[str, Any]]]  # (Excel row, values) actually written

    @property
    def written(self) -> bool:
        return bool(self.appended)


def import_table(register_path: str | Path, text: str, year: int, *, skip_bad: bool = False,
                 dry_run: bool = False, clear_lock: bool = False, source: str = "") -> Imported:
    """Parse `text` and append its rows to the register, all or nothing unless `skip_bad`.

    Rows already in the register (every published field the same) are listed in
    `parsed.present` and not appended again: importing the same table twice adds nothing, and a
    table pasted again with rows added appends only those. They are not problems. Every cell
    written has its 変更履歴 row, naming `source` (the table's file).

    The register is read and written under the register writer's lock (xlkit.workbook.writer);
    a dry run only reads. `clear_lock` clears a lock an earlier, killed run left behind. The
    linkage sheet is streamed, not kept: a one-row import into a 100,000-row register stays
    within seconds and a few hundred MB (benchmarks/bench_writer.py).
    """
    from .workbook import appender, reader, writer

    path = Path(register_path)
    linkage = schema.linkage()
    if dry_run:
        book = reader.load(path, skip=(linkage.sheet,))
        return Imported(_import_plan(book, text, year)[0], [])
    with writer.editing(path, "取り込み", clear_lock=clear_lock) as edit:
        book = reader.load(edit.path, skip=(linkage.sheet,))
        parsed, rows, present = _import_plan(book, text, year)
        if not rows or (parsed.problems and not skip_bad):
            return Imported(parsed, [])
        ids = pasted_table.next_ids(present.ids, year, len(rows))
        values = [{**row.values, "id": id_} for row, id_ in zip(rows, ids)]
        excel_rows = appender.append(edit.package, linkage, book.columns[linkage.sheet], values, after=present.last)
        # the rows as written read back as meant; commit then proves the file holds these bytes
        appender.check_appended(edit.package, linkage, book, values, present.last)
        from . import history

        log_changes(edit, book, [c for v in values for c in history.new_row(v, history.IMPORT, source=source)])
        edit.commit()
    return Imported(parsed, list(zip(excel_rows, values)))


@dataclass
class _Present:
    """What the import needs of the linkages already in the register, none of them kept whole."""

    rows: dict[tuple, int]  # pasted_table.identity of a row like one of the table's -> its Excel row
    same: dict[tuple, int]  # rules.same_linkage of such a row -> its Excel row
    ids: list[str]  # 管理番号
    last: int  # the last row with a value (1, the header, when there is none)

    @classmethod
    def read(cls, book: Book, table: list[pasted_table.Row]) -> _Present:
        """Stream the linkage sheet once. Only rows with the 業務名 of a row of `table` are
        typed and compared in full: typing and folding every published field of 100,000 rows
        took seconds."""
        from .workbook import reader

        wanted = {_business(row.values) for row in table}
        rows: dict[tuple, int] = {}
        same: dict[tuple, int] = {}
        ids, last = [], 1
        with gc_paused():
            for record, type_the_rest in reader.stream(book, schema.linkage(), ("id", "business"),
                                                       later=pasted_table.IDENTITY):
                if _business(record.values) in wanted:
                    if type_the_rest is not None:  # None when the sheet lacks those columns
                        type_the_rest()
                    rows.setdefault(pasted_table.identity(record.values), record.row)
                    same.setdefault(rules.same_linkage(record.values), record.row)
                if "id" in record.values:
                    ids.append(record.values["id"])
                last = record.row  # the reader skipped only blank rows
        return cls(rows, same, ids, last)

    def row_of(self, values: dict[str, Any]) -> int | None:
        return self.rows.get(pasted_table.identity(values))

    def same_as(self, values: dict[str, Any]) -> int | None:
        return self.same.get(rules.same_linkage(values))


def _business(values: dict[str, Any]) -> str:
    return cells.fold(cells.display(values.get("business")) or "")


def _import_plan(book: Book, text: str, year: int) -> tuple[pasted_table.Parsed, list, _Present]:
    """The parsed table, with rows the register has already moved to `present`; the rows to
    add; and what the register holds."""
    sheet = schema.linkage().sheet
    parsed = pasted_table.parse(text, year=year, divisions=book.divisions)
    present = _Present.read(book, parsed.rows)
    rows = []
    added: dict[tuple, int] = {}  # rules.same_linkage of a row to add -> its line
    for row in parsed.rows:
        there = present.row_of(row.values)
        if there is not None:
            parsed.present.append(pasted_table.Message(row.line, messages.text("import.present", 行=there), row.no))
            continue
        # the same linkage by linkage-duplicate's measure, told apart only by 理由, 対象者 or 根拠:
        # added, it would be an error of 入力チェック at once
        key = rules.same_linkage(row.values)
        twin = present.same_as(row.values)
        if twin is not None or key in added:
            where = f"登録簿の「{sheet}」{twin}行目" if twin is not None else f"表の{added[key]}行目"
            parsed.problems.append(pasted_table.Message(row.line, messages.text("import.same_linkage", 場所=where), row.no))
            continue
        added[key] = row.line
        rows.append(row)
    parsed.rows = rows
    require_columns(book, schema.linkage(), "import.columns_missing", {k for r in rows for k in r.values} | {"id"})
    return parsed, rows, present


# --------------------------------------------------------------------------- 形式の更新


@dataclass
class Upgraded:
    """What `upgrade` did: the formats before and after, the steps run, the VBA rebuilt."""

    before: int
    after: int
    steps: list[str]
    vba: bool  # the VBA project was rebuilt from the installed xlwings
    buttons: bool  # the buttons of 使い方 were drawn again
    written: bool
    notes: list[str] = field(default_factory=list)  # what staff must know: VBA saved aside, rules trimmed …


_TEXTS_RESTORED = "ボタンが表示する文言のシート「ボタンの文言」を、この xlkit のものに戻しました（非表示・保護）"


def upgrade(register_path: str | Path, *, clear_lock: bool = False) -> Upgraded:
    """Bring the register to the current format (xlkit.formats), keeping every value and object.

    One step per format (xlkit.workbook.migrate.STEPS), then, for a macro-enabled register, the
    VBA project of the installed xlwings and our module; buttons that are missing or unbound are
    drawn again. Every value is read back from the written copy and compared before the file
    is replaced. A .xlsx register already of the current format is left untouched.
    """
    from . import formats
    from .workbook import migrate as steps
    from .workbook import reader, writer

    path = Path(register_path)
    with writer.editing(path, "形式の更新", clear_lock=clear_lock, upgrade=True) as edit:
        package = edit.package
        before = reader.load(edit.path)
        done = steps.apply(package, edit.version)
        macro = path.suffix.lower() == ".xlsm"
        if not done and not macro:
            return Upgraded(edit.version, edit.version, [], False, False, False)
        from . import history
        from .workbook import format6

        # the texts the rebuilt VBA shows, put back when staff deleted or showed their sheet
        texts_restored = macro and format6.restore_macro_texts(package)
        # what a step changed that staff did not ask for (a hidden range shown, a validation trimmed)
        notes = steps.notes(package)
        changes = [history.Change(history.UPGRADE, column=messages.text("history.format"), old=f"形式 {v}",
                                  new=f"形式 {v + 1}：{title}") for v, title in enumerate(done, start=edit.version)]
        if texts_restored:
            notes.append(_TEXTS_RESTORED)
            changes.append(history.Change(history.UPGRADE, column=messages.text("history.vba"), new=_TEXTS_RESTORED))
        changes += [history.Change(history.UPGRADE, column=messages.text("history.upgrade_note"), new=text)
                    for text in notes]
        buttons = bool(macro and steps.unbound_buttons(package))
        if buttons:
            steps.rebuild_buttons(package)
            changes.append(history.Change(history.UPGRADE, column=messages.text("history.buttons"),
                                          new=messages.text("history.buttons_drawn")))
        # the rebuild keeps no module staff added: each is named here, in 変更履歴 and written out
        # beside the register once it is replaced (README: staff modules are not kept)
        dropped = steps.dropped_modules(package) if macro else []
        if macro:
            changes.append(history.Change(history.UPGRADE, column=messages.text("history.vba"),
                                          new=messages.text("history.vba_rebuilt")))
        if dropped:
            changes.append(history.Change(history.UPGRADE, column=messages.text("history.vba"), new=messages.text(
                "history.vba_dropped", モジュール="、".join(m.label for m in dropped))))
        # 変更履歴 came with format 3: an older register gets it in this very write
        # the xlwings the buttons' VBA was made for, told when the rebuild changes it (the mismatch
        # `xlkit doctor` reports is put right by this very upgrade)
        vba_versions = steps.vba_version_change(edit.path) if macro else None
        if vba_versions is not None:
            changes.append(history.Change(history.UPGRADE, column=messages.text("history.vba"),
                                          new=_VBA_VERSION_CHANGED.format(*vba_versions)))
        log_changes(edit, before, changes, fresh=before.format < 3)
        finish = steps.finish_vba(steps.prepare_vba(package)) if macro else None
        edit.commit(verify=lambda written: _verify_upgrade(written, path, before), finish=finish,
                    finishes=steps.VBA_PARTS)
    if vba_versions is not None:
        notes.append(_VBA_VERSION_CHANGED.format(*vba_versions))
    if dropped is None:
        notes.append(messages.text("upgrade.vba_unread"))
    elif dropped:
        said = messages.text("upgrade.vba_dropped", モジュール="、".join(m.label for m in dropped))
        try:
            files = steps.export_modules(edit.path.parent, edit.path.stem, dropped)
            said += messages.text("upgrade.vba_saved", ファイル="、".join(f"「{f.name}」" for f in files))
        except OSError as e:  # the register is upgraded already: say where the code can still be found
            said += messages.text("upgrade.vba_not_saved", 理由=e.strerror or type(e).__name__)
        notes.append(said)
    return Upgraded(edit.version, formats.CURRENT, done, macro, buttons, True, notes)


# kept here rather than in messages.json, whose owner adds it there later
_VBA_VERSION_CHANGED = "ボタンのマクロの xlwings の版を {} から、入っている xlwings の {} に合わせました"


def _verify_upgrade(written: Path, path: Path, before: Book) -> None:
    """The upgraded copy reads back as a register of the current format (the format the reader
    sees, not the one a step meant to write), with every value of the register as it was."""
    from . import formats
    from .workbook import reader

    after = reader.load(written)
    if after.format != formats.CURRENT:
        raise Refusal("register.unverified", ファイル=path.name,
                      理由=f"読み直した登録簿の形式が {after.format} で、形式 {formats.CURRENT} になっていません")

    # every value as typed (Book.contents): what later formats brought is kept as well
    if after.contents(raw=True) != before.contents(raw=True):
        raise Refusal("register.unverified", ファイル=path.name, 理由="読み直した値が元の値と違います")


# --------------------------------------------------------------------------- 変更履歴


def log_changes(edit, book: Book, changes: list, *, fresh: bool = False, after: int | None = None) -> None:
    """Append `changes` (xlkit.history.Change) to 変更履歴 in the same write as the change itself.

    `fresh`: the sheet was added by this very write (the step to format 3), so the file on disk
    does not have it yet. `after`: its last row, when the caller has read the sheet already."""
    from . import history, processes
    from .workbook import appender, reader

    if not changes:
        return
    reg = schema.history()
    last = 1
    if fresh:
        book.columns[reg.sheet] = {c.key: column_letter(i) for i, c in enumerate(reg.columns)}
        book.missing[reg.sheet] = set()
    elif after is not None:
        last = after
    else:
        for record, _ in reader.stream(book, reg, keys=()):
            last = record.row
    require_columns(book, reg, "history.columns_missing")
    rows = history.rows(changes, at=dt.datetime.now(), user=processes.user())
    appender.append(edit.package, reg, book.columns[reg.sheet], rows, after=last)
    expected = [{k: t for k, v in row.items() if (t := cells.text(v)) is not None} for row in rows]
    appender.check_appended(edit.package, reg, book, expected, last)


