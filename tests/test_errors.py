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
    vba.template_bytes.cache_clear()
    try:
        code = cli.main(["new", str(tmp_path / "登録簿.xlsm")])
    finally:
        vba.template_bytes.cache_clear()
    err = capsys.readouterr().err
    assert code == 4
    assert "quickstart_standalone.xlsm がありません" in err and "Error" not in err
    assert not list(tmp_path.glob("*.xlsm")) and not list(tmp_path.glob(".~xlkit-*"))


def test_a_missing_xlwings_is_a_setup_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xlwings", None)  # import xlwings raises ImportError
    with pytest.raises(errors.SetupError, match="xlwings が入っていない"):
        vba.template_workbook()


@pytest.mark.parametrize("content, said", [
    (None, "スキーマファイル（schemas/masters.json）が見つかりません"),
    ('{"実施機関": [', "スキーマファイル（schemas/masters.json）の書き方に誤りがあります（1行目"),
])
def test_a_missing_or_broken_schema_file_is_said_in_japanese(tmp_path, monkeypatch, content, said):
    from xlkit import schema

    if content is not None:
        (tmp_path / "masters.json").write_text(content, encoding="utf-8")
    monkeypatch.setattr(schema, "_schema_dir", lambda: tmp_path)
    with pytest.raises(errors.XlkitError, match=said):
        schema._read_json("masters.json")


def test_issues_follow_the_workbook_tab_order():
    """設定 comes right after the two registers, as on the tabs; no sheet that does not exist is named."""
    from xlkit.issues import Issue, sort_key
    from xlkit.workbook import design

    sheets = ["区分", "設定", "外部結合", "実施機関", "審議案件"]
    ordered = sorted((Issue(s, "A2", "", "error", "required", "") for s in sheets), key=sort_key)
    tabs = design.sheet_order()
    assert [i.sheet for i in ordered] == sorted(sheets, key=tabs.index)
    assert [i.sheet for i in ordered] == ["外部結合", "審議案件", "設定", "実施機関", "区分"]
