"""Fixtures every test file may ask for: the builders of valid register rows.

Each fixture returns a function of tests/support/factories.py (read its docstrings for the
defaults); a test changes only what it is about::

    def test_unknown_division(tmp_path, make_linkage, make_register):
        path = make_register(tmp_path / "r.xlsx", [make_linkage(2, division="存在しない課")])

The builders are plain functions, so the fixtures are session-wide and module- or
session-scoped fixtures may use them too. Shared helpers live in tests/support/, never in a
test module: no test imports another (tests/test_house.py checks it).
"""

from __future__ import annotations

import pytest

from support import bundles, factories


def _builder(build, doc: str):
    """A session-wide fixture whose value is the plain builder `build` (it holds no state)."""

    def fixture():
        return build

    fixture.__doc__ = doc
    return pytest.fixture(scope="session")(fixture)


make_linkage = _builder(factories.linkage, "``make_linkage(i=1, year=2020, **changes) -> dict``: a valid 外部結合 row.")
make_case = _builder(factories.case, "``make_case(no=1, **changes) -> dict``: a valid 審議案件 row.")
make_record = _builder(factories.record, (
    "``make_record(row=2, division=\"税務課\", *, start, end, fiscal_year, my_number, consent, body)``: "
    "a 外部結合 Record for xlkit.figures and xlkit.tasks, without a file."))
make_planted = _builder(factories.planted, (
    "``make_planted(n_valid) -> list[dict]``: n valid linkages, then a bad date, an unknown 課, a typo."))
make_register = _builder(factories.write_register, (
    "``make_register(path, linkages=(), cases=(), *, settings, linkage_header, sheets, drop_sheets, edit)``: "
    "a register written as bare grids with openpyxl (``xlkit.workbook.builder.build`` writes the real layout)."))


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """xlkit bundle's pip replaced by one with a little index of its own (tests/support/bundles.py)."""
    return bundles.install_fake_pip(tmp_path, monkeypatch)
