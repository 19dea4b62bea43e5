"""Every cause a user can create ends in an XlkitError whose class carries the exit code."""

from __future__ import annotations

import sys

import pytest

from xlkit import cli, errors, tasks
from xlkit.workbook import vba


def test_exit_codes_are_class_attributes():
    assert errors.XlkitError.exit_code == 2
    assert errors.Refusal.exit_code == 2
    assert tasks.ErrorsRefusal.exit_code == 1
    assert errors.SetupError.exit_code == 4
    # a refusal is worded from messages.json and keeps its class's code
    assert errors.Refusal("year.no_data").exit_code == 2


def test_a_missing_xlwings_template_is_a_setup_error(tmp_path, monkeypatch, capsys):
    """It once raised a bare FileNotFoundError, which reached staff as 予期しない問題 (exit 3)."""
    import xlwings

    monkeypatch.setattr(xlwings, "__file__", str(tmp_path / "xlwings" / "__init__.py"))
    vba._template_bytes.cache_clear()
    try:
        code = cli.main(["new", str(tmp_path / "登録簿.xlsm")])
    finally:
        vba._template_bytes.cache_clear()
    err = capsys.readouterr().err
    assert code == 4
    assert "quickstart_standalone.xlsm がありません" in err and "Error" not in err
    assert not list(tmp_path.glob("*.xlsm")) and not list(tmp_path.glob(".~xlkit-*"))


def test_a_missing_xlwings_is_a_setup_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xlwings", None)  # import xlwings raises ImportError
    with pytest.raises(errors.SetupError, match="xlwings が入っていない"):
        vba.template_workbook()
