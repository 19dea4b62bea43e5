"""The data files staff may edit (messages.json, eras.json) and the folder a button saves into:
a slip gives a Japanese message naming the file, never a traceback or an English exception."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xlkit import cli, dates, messages, tasks
from xlkit.errors import Refusal, XlkitError
from xlkit.workbook.reader import load
from support import REPO, SAMPLE


@pytest.fixture
def messages_file(tmp_path, monkeypatch):
    """A copy of messages.json that the test may break; the cache is cleared before and after."""
    path = tmp_path / "messages.json"
    path.write_text(messages._default_path().read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(messages, "_default_path", lambda: path)
    messages._data.cache_clear()
    yield path
    messages._data.cache_clear()


def test_a_broken_messages_file_is_said_in_japanese_by_the_command(messages_file, capsys):
    messages_file.write_text('{"messages": {"year.unknown": "報告する', encoding="utf-8")
    code = cli.main(["summarize", str(SAMPLE), "--year", "1990"])  # a refusal: its words are needed
    err = capsys.readouterr().err
    assert code == 2 and "messages.json" in err and "書き方に誤り" in err and "行目" in err
    assert "Traceback" not in err and "JSONDecodeError" not in err


def test_a_placeholder_the_code_does_not_pass_names_the_key(messages_file):
    text = messages_file.read_text(encoding="utf-8").replace("報告する年度がわかりません。", "{年号}の年度がわかりません。")
    messages_file.write_text(text, encoding="utf-8")
    with pytest.raises(XlkitError) as caught:
        Refusal("year.unknown")
    assert "「year.unknown」" in caught.value.message and "{年号}" in caught.value.message
    with pytest.raises(XlkitError, match="「no.such」がありません"):
        messages.text("no.such")


@pytest.mark.parametrize("slip, said", [
    ("{年度の年度がわかりません。", "{ と } の対応"),
    ("}年度がわかりません。", "{ と } の対応"),
    ("{0.y}年度がわかりません。", "使えない書き方"),
])
def test_a_broken_placeholder_is_said_without_pythons_english(messages_file, slip, said):
    """str.format's own words (「Single '{' encountered in format string」) were shown as they are."""
    from support import said as japanese

    text = messages_file.read_text(encoding="utf-8").replace("報告する年度がわかりません。", slip)
    messages_file.write_text(text, encoding="utf-8")
    with pytest.raises(XlkitError) as caught:
        Refusal("year.unknown")
    assert said in japanese(caught.value) and "encountered" not in caught.value.message


def test_a_broken_eras_file_is_refused_in_japanese(tmp_path):
    good = (REPO / "xlkit" / "data" / "eras.json").read_text(encoding="utf-8")
    broken = tmp_path / "eras.json"
    for text, words in ((good[:40], ["eras.json", "書き方に誤りがあります", "行目"]),
                        (good.replace("2019-05-01", "2019-05-02"), ["前日"]),
                        (good.replace('"2019-05-01"', '"2019-13-01"'), ["eras.json", "「2019-13-01」", "読めません"]),
                        (good.replace('"name"', '"nam"', 1), ["eras.json", "name と letter"]),
                        ('{"eras": {}}', ["eras.json", "「eras」の項目"])):
        broken.write_text(text, encoding="utf-8")
        with pytest.raises(XlkitError) as caught:
            dates._load_eras(broken)
        for word in words:
            assert word in caught.value.message, caught.value.message
        assert "Error" not in caught.value.message  # no English exception name reaches staff
    broken.write_text(good, encoding="utf-8")
    assert dates._load_eras(broken) == dates.ERAS


def test_an_error_while_building_the_commands_is_said_not_traced(monkeypatch, capsys):
    def broken():
        raise XlkitError("xlkit/data/eras.json の元号の一覧に誤りがあります: 重複")

    monkeypatch.setattr(cli, "build_parser", broken)
    assert cli.main(["validate", "x.xlsx"]) == 2
    assert capsys.readouterr().err == "エラー: xlkit/data/eras.json の元号の一覧に誤りがあります: 重複\n"


def test_a_button_whose_exports_folder_cannot_be_made_says_so(tmp_path):
    blocker = tmp_path / "exports"
    blocker.write_text("a file where the folder should be")  # root or not, mkdir cannot go through it
    with pytest.raises(XlkitError) as caught:
        tasks.export_linkages(load(SAMPLE), tasks.Outbox(blocker / "sub", ".xlsx"))
    assert "保存先のフォルダ" in caught.value.message and "作れませんでした" in caught.value.message
    assert blocker.read_text() == "a file where the folder should be"


def test_the_button_module_imports_no_core_before_its_guard():
    """Validation, figures and reports are imported inside each macro, under the guard that turns
    any failure into a Japanese alert; the RunPython line itself only imports the light part."""
    code = ("import sys, xlkit.macros; "
            "print(sorted(m for m in ('xlkit.tasks', 'xlkit.validation', 'jsonschema', 'xlkit.export.api') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.strip() == "[]"
