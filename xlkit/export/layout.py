"""The report layout constants (titles, notes, fonts, widths), read from xlkit/data/layout.json.

Staff edit the JSON to change wording or fonts; code never repeats what it says. Column
headers are not in it: they come from the register's schema (xlkit.schema).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from xlkit import datafiles
from xlkit.errors import XlkitError


def _default_path() -> Path:
    return Path(str(resources.files("xlkit").joinpath("data", "layout.json")))


@cache
def _load(path: str) -> dict:
    data = datafiles.read_json(Path(path), path, "報告書の体裁ファイル")
    if not isinstance(data, dict):
        raise XlkitError(f"報告書の体裁ファイル（{path}）の書き方が違います（全体を {{ }} で囲んでください）。")
    data.pop("$comment", None)
    return data


def load(path: str | Path | None = None) -> dict:
    """The layout as a dict. Callers must not mutate it (it is cached)."""
    return _load(str(path or _default_path()))


def fill(template: str, **values: str) -> str:
    """Replace {年度}-style placeholders; an unknown placeholder is a layout.json mistake."""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise XlkitError(
            f"報告書の体裁ファイルの文言「{template}」に使えない差し込み項目があります（{exc}）。"
            f"使える項目：{'、'.join('{' + k + '}' for k in values)}"
        ) from None


def omission_remark() -> str:
    """The word that marks a linkage counted in a later 年度 than it started.

    The report prints it beside the start date; 備考 carries it in the register; the import reads
    it off a pasted table (2). It is written once, in layout.json.
    """
    return load()["linkages"]["omission_remark"]
