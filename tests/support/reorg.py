"""The 組織改正 of the acceptance tests: on 2021-04-01 戸籍住民課 is renamed 戸籍課 and 滞納対策課 is
merged into 税務課 (both of 区長, both with linkages in the sample)."""

from __future__ import annotations

from pathlib import Path

CHANGES = "旧課名\t新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n税務課\t税務課\t統合\n滞納対策課\t税務課\t統合\n"
OLD_NAMES = ("戸籍住民課", "滞納対策課")
FROM = "2021-04-01"


def _late() -> str:
    from support import forms
    from xlkit import schema

    linkage = schema.linkage()
    return ("No.\t" + "\t".join(linkage.header(k) for k in forms.TABLE2_KEYS) + "\n"
            "1\t滞納対策課\t滞納整理業務\t理由\t滞納者\t氏名\t\t令和2年度第5回審議会承認\t相手方\tR3. 2. 1 記載漏れ\n"
            "2\t戸籍住民課\t証明書交付業務\t理由\t区民\t氏名\t\t令和2年度第5回審議会承認\t相手方\tR3. 3. 1 記載漏れ\n")


# 表(2) of two linkages of the old names started in 令和2年度 and found in 令和3年度 (記載漏れ):
# the 令和3年度 report has rows whose 課 it must name
LATE = _late()


def with_late_linkages(source: Path, path: Path) -> Path:
    """`source` copied to `path` at the current format, with the two LATE linkages imported: the
    register before the change (test_reorganise.py and test_reorganise_hostile.py)."""
    import shutil

    from xlkit import tasks

    shutil.copyfile(source, path)
    tasks.upgrade(path)  # nothing to do when the sample is of the current format already
    tasks.import_table(path, LATE, 2021, source="late.txt")
    return path


def reorganised(register: Path) -> Path:
    """`register` reorganised in place by `xlkit reorganise` (the table written beside it)."""
    from xlkit import cli

    table = register.with_name("組織改正.txt")
    table.write_text(CHANGES, encoding="utf-8")
    assert cli.main(["reorganise", str(register), str(table), "--from", FROM]) == 0
    return register


def detail_divisions(path: Path, sheet_index: int = 1) -> list[str]:
    """The 結合を行った課 column of table (2) (sheet 1) or (3) (sheet 2) of an exported .xlsx, in print order."""
    import openpyxl

    from xlkit import schema

    header_text = schema.linkage().header("division")
    ws = openpyxl.load_workbook(path).worksheets[sheet_index]
    # the report breaks its lines itself (xlkit.linebreak): read each cell with its breaks taken out
    rows = [[v.replace("\n", "") if isinstance(v, str) else v for v in row] for row in ws.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if header_text in row)
    column = rows[header].index(header_text)
    return [row[column] for row in rows[header + 1:] if row[column]]


def table(folder: Path, text: str, name: str = "組織改正.txt", encoding: str = "utf-8") -> Path:
    """A change table written into `folder` as `name`, in `encoding`, its line ends as given."""
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path
