"""One reader for the JSON files staff or IT may edit: every slip is said in Japanese, naming the file."""

from __future__ import annotations

import pytest

from xlkit import datafiles
from xlkit.errors import XlkitError
from xlkit.export import layout


@pytest.mark.parametrize("content, said", [
    (None, "報告書の体裁ファイル（体裁.json）が見つかりません"),
    ("{\n  \"a\": 1,\n}".encode(), "報告書の体裁ファイル（体裁.json）の書き方に誤りがあります（3行目 1文字目）"),
    ('{"題名": "外部結合"}'.encode("cp932"), "文字コードが UTF-8 ではありません"),
])
def test_read_json_names_the_file_and_the_place(tmp_path, content, said):
    path = tmp_path / "体裁.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(XlkitError) as caught:
        datafiles.read_json(path, "体裁.json", "報告書の体裁ファイル")
    assert said in caught.value.message and "Error" not in caught.value.message


def test_part_says_which_part_is_missing():
    assert datafiles.part({"rules": {}}, "rules", dict, "rules.json", "規則コードの一覧") == {}
    for data in ({}, {"rules": []}, []):
        with pytest.raises(XlkitError, match="規則コードの一覧（rules.json）に「rules」の項目がないか"):
            datafiles.part(data, "rules", dict, "rules.json", "規則コードの一覧")


def test_the_layout_file_goes_through_the_same_reader(tmp_path):
    path = tmp_path / "layout.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(XlkitError, match="全体を"):
        layout.load(path)
    path.write_text('{"fonts": ', encoding="utf-8")
    with pytest.raises(XlkitError, match=r"書き方に誤りがあります（1行目 11文字目）"):
        layout.load(path)
