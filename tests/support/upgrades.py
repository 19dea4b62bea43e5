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
