"""What the README promises and what the code holds agree: every rule code and every command is
documented; report and message wording lives in the data files, not in the code."""

from __future__ import annotations

import re

import pytest

from xlkit import cli, messages
from xlkit.issues import catalogue
from support import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
PY_FILES = sorted((REPO / "xlkit").rglob("*.py"))


def test_every_rule_code_is_in_the_readme():
    missing = [code for code in catalogue() if f"`{code}`" not in README]
    assert not missing, missing
    assert len(catalogue()) >= 30


def test_every_command_is_in_the_readmes_list():
    block = README.split("## コマンド", 1)[1].split("```")[1]
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if a.dest == "command"]
    assert len(sub.choices) >= 6
    for name in sub.choices:
        assert re.search(rf"^xlkit {name}\b", block, re.M), name


@pytest.mark.parametrize("text", [
    "本人同意に基づく外部結合を除く", "新たな外部電子計算機との結合数", "内、特定個人情報の取扱いがあるものの数",
    '"承認"', '"了承"', "記載漏れ", "2100", "1989",
])
def test_wording_and_vocabulary_live_in_the_data_files(text):
    found = [str(p.relative_to(REPO)) for p in PY_FILES if text in p.read_text(encoding="utf-8")]
    assert not found, found


def test_every_message_the_code_asks_for_exists_and_every_message_is_used():
    source = "\n".join(p.read_text(encoding="utf-8") for p in PY_FILES)
    asked = set(re.findall(r'(?:text|Refusal|ErrorsRefusal)\(\s*"([a-z_]+\.[a-z_]+)"', source))
    asked |= set(re.findall(r'"((?:export|sheet|button)\.[a-z_]+)"', source))
    assert asked and asked <= set(messages.keys()), asked - set(messages.keys())
    unused = [k for k in messages.keys() if f'"{k}"' not in source]
    assert not unused, unused
