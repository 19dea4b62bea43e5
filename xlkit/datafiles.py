"""Reading the JSON files that staff or IT may edit: schemas/ and xlkit/data/.

One reader, one wording: a missing file, a file that is not UTF-8, a syntax slip or a missing
part is an XlkitError naming the file (and the line and column of a slip), never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import XlkitError, os_reason


def read_json(path, source: str, what: str) -> Any:
    """The parsed file at `path` (a Path or an importlib.resources file).

    `source` is how staff find the file (xlkit/data/layout.json), `what` says what it is in
    Japanese (報告書の体裁ファイル).
    """
    name = f"{what}（{source}）"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise XlkitError(f"{name}が見つかりません。xlkit を入れ直してください。") from None
    except UnicodeDecodeError:
        raise XlkitError(f"{name}の文字コードが UTF-8 ではありません。UTF-8 で保存し直してください。") from None
    except OSError as exc:
        raise XlkitError(f"{name}を読めません（{os_reason(exc)}）。") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise XlkitError(f"{name}の書き方に誤りがあります（{exc.lineno}行目 {exc.colno}文字目）。") from None


def part(data: Any, key: str, kind: type, source: str, what: str) -> Any:
    """`data[key]`, which must be a `kind` (dict, list …); else say which part of the file is wrong."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise XlkitError(f"{what}（{source}）に「{key}」の項目がないか、書き方が違います。")
    return value
