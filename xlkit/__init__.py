"""xlkit — 審議案件・外部結合登録簿のための道具。

The layers, from the doors staff use down to plain data (docs/DOMAIN.md explains the terms).

Doors: read input, make one call to the core, show the answer.
    `macros.py`                  the register's buttons (xlwings); `macros_survey.py` 照会票作成 and 回答取込;
                                 `macros_close.py` 年度締め; `macros_doctor.py` 診断; `summary_sheet.py` lays 集計
                                 out as the report's table (1)
    `cli.py`                     the `xlkit` command; one module per subcommand:
        `commands/demo.py`, `commands/new.py`, `commands/validate.py`, `commands/summarize.py`,
        `commands/import_table.py`, `commands/export.py`, `commands/survey.py`, `commands/collect.py`,
        `commands/close_year.py`, `commands/reorganise.py`, `commands/upgrade.py`, `commands/doctor.py`,
        `commands/bundle.py`
    `notebook.py`                `xlkit.load(path)`: a register as pandas DataFrames

Core: plain Python over plain data; no Excel, Word or XML library (tests/test_layers.py).
    `tasks.py`          the use cases every door calls: year, summary, exports, validate, import,
                        upgrade
    `inquiry_tasks.py`  the use cases of the spring survey: survey and collect
    `closing_tasks.py`  年度締め: the 確定 folder, then 設定 through the register writer
    `closing.py`        年度締め decided: refusals, 設定's new values, the figures file and SHA-256 list
    `reorg_tasks.py`    組織改正: the change table onto the 課 sheet through the register writer
    `reorg.py`          組織改正 decided: the change table read and planned (終了日, 後継の課, new rows)
    `org.py`            the 課 master with its periods: the name valid on a day, in a year, the 課 of a day
    `inquiry.py`        照会票: what each 課 is asked, and its answer read back (fingerprints)
    `answers.py`        回答取込: every outcome decided before anything is written
    `collect_log.py`    回答取込's report, 変更履歴 and 回答状況 rows
    `history.py`        変更履歴: one row per cell xlkit changes
    `validation.py`     入力チェック: the JSON Schema per cell, then `rules.py` (cross-row rules)
    `figures.py`        a + b − c per 実施機関
    `register.py`       2-D lists of cells -> a `records.py` Book of typed Records
    `pasted_table.py`   a pasted 表(2) -> rows of schema values
    `cells.py`          one cell: typed from what staff typed, and back to text
    `dates.py` (eras), `schema.py` (schemas/), `issues.py` (rule codes), `messages.py` (wording),
    `errors.py` (exceptions with their exit codes), `datafiles.py` (the JSON files staff may edit)
    `addresses.py`      A1 cells and runs of rows
    `widths.py`         how wide text is, one unit per medium
    `linebreak.py`      where Japanese text may break: kinsoku, and headers at phrase boundaries
    `files.py`          the one atomic writer: every file xlkit writes goes through it
    `lock.py`           the lock a register writer holds
    `processes.py`      who runs where: user, PC, whether a process still runs
    `owner_files.py`    who has a register open in Excel or LibreOffice (their ~$ files)
    `formats.py`        a register's format number, and refusing one too new or too old
    `limits.py`         how much of a file xlkit reads (XLKIT_LIMITS): sizes, strings, cell length
    `installation.py`   where xlkit lives on an office PC (under %LOCALAPPDATA%), named once
    `diagnosis.py`      `xlkit doctor` and 診断 decided: facts about the PC and register -> checks and fixes
    `onedrive.py`       xlwings' OneDrive/SharePoint mapping errors, said in Japanese

Reports, pure: `export/linkages.py` and `export/cases.py` build an `export/model.py` Document
    from records, worded by `export/layout.py` (layout.json).
Reports, written: `export/api.py` hands a Document to `export/docx_writer.py` (with
    `export/docx_fast.py`), `export/xlsx_writer.py` or `export/pdf.py` (LibreOffice, run and cleaned up by
    `export/soffice_guard.py`, a process of its own). `attachments.py` reads the 添付ファイル (images, a
    PDF's first page) that a 別紙 shows, after refusing what is missing, broken or too large.

The PC: `doctor_facts.py` gathers what `diagnosis.py` judges (versions, the interpreter settings,
    the register's VBA and path, write access, Mark-of-the-Web, a PDF route). `bundle_build.py`
    makes the offline installer for Windows: `bundle_pip.py` runs pip, `bundle_lock.py` closes and
    pins the set of wheels for the target PC, `bundle_files.py` writes セットアップ.bat, the manifest
    and the read-me.

Register files: `workbook/reader.py` (calamine) and `workbook/scan.py` (formulas, error values,
    merges) read them, after `workbook/guard.py` has refused bombs, encryption and DTDs; `workbook/builder.py` makes them with `workbook/design.py` (sheets,
    names, buttons), `workbook/styles.py` and `workbook/vba.py`; `workbook/inquiry_form.py` writes the 照会票. `workbook/writer.py` is the
    one way to change one: over `workbook/package.py` (the zip's parts, unchanged ones copied
    raw), `workbook/appender.py` splices imported rows into the sheet (`workbook/row_insert.py` inserts
    them mid-sheet for 組織改正; `workbook/sheet_xml.py`
    finds rows and cells and encodes values, `workbook/stylesheet.py` finds date formats, `workbook/xml_attrs.py` reads a tag's attributes in either quote) and `workbook/migrate.py` holds the format steps of `xlkit upgrade` (`workbook/format3.py` the step to format 3, `workbook/format4.py` the step to format 4, `workbook/format5.py` the step to format 5, `workbook/format6.py` the step to format 6, `workbook/howto_rows.py` 使い方's button rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from xlkit.notebook import RegisterData

__version__ = "0.1.0"


def load(path: str | Path) -> RegisterData:
    """A register as pandas DataFrames, for notebooks: see xlkit.notebook.RegisterData."""
    # imported here so that `import xlkit` (every button press, every CLI run) never loads pandas
    from xlkit.notebook import load as _load

    return _load(path)
