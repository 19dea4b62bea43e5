"""Cell addresses and runs of rows: one helper of each (xlkit.addresses)."""

from __future__ import annotations

import pytest

from xlkit.addresses import column_letter, ranges, runs, split_cell


@pytest.mark.parametrize("index, letters", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")])
def test_column_letter(index, letters):
    assert column_letter(index) == letters


@pytest.mark.parametrize("cell, parts", [
    ("C12", ("C", 12)), ("XFD1048576", ("XFD", 1048576)), ("", None), (None, None), ("B", None),
    ("12", None), ("A1:B2", None), ("c3", None),
])
def test_split_cell(cell, parts):
    assert split_cell(cell) == parts


def test_runs():
    assert runs([27, 22, 23, 24, 24]) == [(22, 24), (27, 27)]
    assert runs([]) == []


def test_ranges_per_column_in_column_order():
    assert ranges(["C6", "E9", "C5", "C7", "AA2", "B3", "bad", "C9"]) == ["B3", "C5:C7", "C9", "E9", "AA2"]
