"""The 組織改正 of the acceptance tests: on 2021-04-01 戸籍住民課 is renamed 戸籍課 and 滞納対策課 is
merged into 税務課 (both of 区長, both with linkages in the sample)."""

from __future__ import annotations

from pathlib import Path

CHANGES = "旧課名\t新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n税務課\t税務課\t統合\n滞納対策課\t税務課\t統合\n"
OLD_NAMES = ("戸籍住民課", "滞納対策課")
FROM = "2021-04-01"


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
