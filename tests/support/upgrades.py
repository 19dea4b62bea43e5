"""Helpers of the format-step tests (tests/test_format4.py, tests/test_format5.py): copies of the
fixtures, and what an upgrade must keep or add, read back with the reader and openpyxl."""

from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path

import openpyxl

from xlkit.workbook import builder, design, reader


def copy_of(source: Path, tmp_path: Path, name: str = "登録簿") -> Path:
    path = tmp_path / f"{name}{source.suffix}"
    shutil.copyfile(source, path)
    return path


def book_values(path: Path):
    """Everything `xlkit upgrade` promises to keep, as the reader gives it."""
    book = reader.load(path)
    return dict(linkages=[(r.row, r.values, r.raw) for r in book.linkages],
                cases=[(r.row, r.values, r.raw) for r in book.cases], settings=book.settings,
                divisions=book.divisions, bodies=book.bodies, categories=book.categories,
                results=book.results, marked=book.marked)


def folder_state(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def look(cell) -> tuple:
    """How an openpyxl cell (or column) looks: font, fill, border, alignment, protection, format."""
    return (*(copy.copy(getattr(cell, a)) for a in ("font", "fill", "border", "alignment", "protection")),
            cell.number_format)


def dimension(ws, letter: str):
    """The column dimension covering column `letter` (openpyxl keeps equal neighbours as one min..max)."""
    col = openpyxl.utils.column_index_from_string(letter)
    found = [d for d in ws.column_dimensions.values() if d.min <= col <= d.max]
    return found[0] if found else ws.column_dimensions[letter]


def validations(ws) -> list[tuple]:
    """Every data validation of an openpyxl sheet, as what staff meet: range, kind, bounds, alert, message."""
    return sorted((str(v.sqref), v.type, v.errorStyle, v.formula1, v.formula2, v.errorTitle, v.error,
                   v.promptTitle, v.prompt, bool(v.showInputMessage), bool(v.allowBlank))
                  for v in ws.data_validations.dataValidation)


def howto_cells(path: Path) -> list[list]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)[design.HOWTO].iter_rows()]


def fresh_registers(folder: Path) -> dict[str, Path]:
    """Registers `xlkit new` writes today (report year 2020), .xlsx and .xlsm: what an upgraded
    register must look like."""
    return {suffix: builder.build(folder / f"新規{suffix}", settings={"report_year": 2020})
            for suffix in (".xlsx", ".xlsm")}


def digests(paths) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def untouched(paths):
    """The body of a module's autouse fixture: no test there may change the fixtures `paths` (they
    stand for files an older xlkit made)."""
    before = digests(paths)
    yield
    assert digests(paths) == before


def upgrade_by_cli(capsys, path: Path, step_title: str):
    """`xlkit upgrade` of a register of an older format, as staff run it: the first line names
    both formats, the step is listed, the register id and every value are kept, and validation no
    longer says format-old. Returns the upgraded Book."""
    from support import run_cli
    from xlkit import formats, tasks

    before = reader.load(path)
    values = book_values(path)
    code, out, err = run_cli(capsys, "upgrade", path)
    assert code == 0, err
    assert out.splitlines()[0] == f"登録簿を形式 {before.format} から形式 {formats.CURRENT} に更新しました: {path}"
    assert f"  ・{step_title}" in out.splitlines()
    book = reader.load(path)
    assert (book.format, book.register_id) == (formats.CURRENT, before.register_id)
    assert book_values(path) == values
    assert "format-old" not in {i.code for i in tasks.validate(book).issues}
    return book


def with_blank_formula(path: Path, part: str, cell: str) -> None:
    """Staff's formula that shows nothing (="") put in `cell` of the sheet part `part`, at the end of
    its row: an upgrade must take it as staff's work."""
    import re

    from support.zips import rewrite_member

    row = re.fullmatch(r"[A-Z]+(\d+)", cell)[1].encode()
    rewrite_member(path, part, lambda d: re.sub(rb'(<row r="%s"[^>]*>.*?)(</row>)' % row,
                                                rb'\1<c r="%s" t="str"><f>""</f><v></v></c>\2' % cell.encode(), d,
                                                count=1, flags=re.S))
