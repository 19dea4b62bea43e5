"""One cell: from what staff typed to a typed value, and from a typed value back to text.

Reading (`PREPARERS`) and writing (`as_text`, `cell_value`) live together so that a ○ mark, a
list of 課 and a date are spelt the same way wherever xlkit shows or writes one.

Text keeps its spelling (the council's documents print full-width ＬＧＷＡＮ－ＡＳＰ and
①②…, which NFKC would rewrite); NFKC is used only to compare (`fold`) and to read
typed kinds: dates, years, numbers and ○ marks.

What a cell shows but no report can use is named here too, for validation to report: Excel
error values (`is_excel_error`) and invisible characters (`invisible_chars`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from . import schema
from .dates import ERAS, DateError, era_fiscal_year, format_dotted, parse_date

_WS = re.compile(r"\s+")
_HALF_KANA = re.compile(r"[\uff61-\uff9f]+")
# what separates the values of a multi cell (担当課, 区分, 後継の課): a name holding one reads as two
MULTI_SEPARATORS = ("、", ",", "，", "\n")
_MULTI_SPLIT = re.compile("[" + "".join(MULTI_SEPARATORS) + "]+")
_ERA_YEAR = re.compile(r"^(" + "|".join(e.name for e in ERAS) + "|[" + "".join(e.letter for e in ERAS)
                       + r"])(元|\d{1,2})(年度?)?$")  # the eras of eras.json

MARK = "○"  # the one mark a ○ column holds; 〇 and ◯ are read as it (see fold)
SEPARATOR = "、"  # between the values of a multi column, unless the schema names another


class CellError(ValueError):
    """A typed cell that cannot be read; `reason` is Japanese and says what to type instead."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_blank(value) -> bool:
    """None, or text of white space only."""
    return value is None or (isinstance(value, str) and not value.strip())


# What NFKC leaves apart though staff mean the same: the wave dash 〜 (NFKC turns the full-width
# ～ into ~ but keeps 〜), and the minus and dash family (－ becomes -, − ‐ – — ― stay).
# ー (the katakana long vowel) is a letter, not a dash, and is kept. Maru ○, kanji zero 〇 and the
# large circle ◯ look alike on screen and all mean ○.
_FOLD_TABLE = str.maketrans({"〜": "~", "−": "-", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-",
                             "―": "-", "〇": MARK, "◯": MARK})


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """A key for comparing spellings: NFKC, no whitespace, one kind of maru, dash and wave dash.

    Registers repeat the same few hundred spellings, so the result is cached.
    """
    text = unicodedata.normalize("NFKC", str(text))
    return _WS.sub("", text).translate(_FOLD_TABLE)


def display(value) -> str:
    """A cell's value as staff see it, for messages: 2020.0 -> 2020, dates as 2020/4/1."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


def as_text(value, *, separator: str | None = None, date=None) -> str:
    """A typed value as text: ○ for a mark, a list joined, a date by `date` (else 2020/4/1).

    The one place a value becomes text: the reports (with the schema's separator and the
    dotted date), validation messages and the register writers all come here.
    """
    if value is None or value is False or value == "":
        return ""
    if value is True:
        return MARK
    if isinstance(value, (list, tuple)):
        return (separator or SEPARATOR).join(str(v) for v in value)
    if date is not None and isinstance(value, dt.date):
        return date(value.date() if isinstance(value, dt.datetime) else value)
    return display(value)


def printed(value, column: schema.Column) -> str:
    """A value as the council's reports print it: the schema's separator, dates as R2. 4. 1."""
    return as_text(value, separator=column.separator, date=format_dotted)


def cell_value(value, *, separator: str | None = None):
    """A typed value as written into a register cell: None for blank, text for marks and lists;
    dates and numbers stay as they are, so Excel keeps them typed."""
    if value is None or value is False or value == "":
        return None
    if value is True or isinstance(value, (list, tuple)):
        return as_text(value, separator=separator)
    return value


def text(value) -> str | None:
    """A text cell as stored: line ends unified, trimmed, half-width katakana made full-width."""
    if is_blank(value):
        return None
    shown = display(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    # half-width katakana never belongs in an official document
    return _HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), shown)


def mark(value) -> bool | None:
    """A ○ column: True for ○ (〇 and ◯ too), None for blank, else CellError."""
    if is_blank(value):
        return None
    folded = fold(value)
    if folded == MARK:
        return True
    raise CellError(f"{MARK} または空欄を入力してください")


def integer(value, *, what: str = "数値") -> int | None:
    """A count: 3, 3.0 and 「３」 are 3; a fraction or other text is a CellError naming `what`."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"{what}を入力してください")
    if isinstance(value, (int, float)):
        if float(value).is_integer():
            return int(value)
        raise CellError(f"整数の{what}を入力してください")
    folded = fold(value).removesuffix(".0")
    if re.fullmatch(r"[0-9]+", folded):
        return int(folded)
    if re.fullmatch(r"[0-9]+\.[0-9]+", folded):  # 「1.5」 typed as text: a fraction, like the number 1.5
        raise CellError(f"整数の{what}を入力してください")
    raise CellError(f"{what}を半角数字で入力してください")


def year(value) -> int | None:
    """計上年度 / 年度: 2020, 2020.0, 2020年度, 令和2年度 and R2 are all FY2020."""
    if is_blank(value):
        return None
    if isinstance(value, str):
        folded = fold(value)
        folded = folded.upper() if folded[:1].isascii() else folded  # r2 as R2, as in dates
        m = _ERA_YEAR.match(folded)
        if m:
            try:
                result = era_fiscal_year(m[1], 1 if m[2] == "元" else int(m[2]))
            except DateError as e:
                raise CellError(f"{e.reason}。西暦4桁（例：2020）で入力してください") from None
            # 令和99年度 is 2117: read, but out of range like 2117 itself (it was passed on unchecked)
            return _within_bounds(result, f"{m[0]}（{result}年度）は")
        value = folded.removesuffix("年度").removesuffix("年")  # 2020年 as 2020年度
    result = integer(value, what="年度（西暦）")
    if result is None:  # 「年度」 alone: nothing but the suffix
        raise CellError("年度の数字がありません。西暦4桁（例：2020）で入力してください")
    return _within_bounds(result, "")


def _within_bounds(result: int, said: str) -> int:
    first, last = schema.year_bounds()  # common.schema.json, the one place the range is written
    if not first <= result <= last:
        if said:
            raise CellError(f"{said}登録簿で扱える年度（{first}〜{last}）の外です。年度を確かめてください")
        raise CellError(f"登録簿で扱える年度（{first}〜{last}）の外です。年度は西暦4桁（例：2020）で入力してください")
    return result


def date(value) -> dt.date | None:
    """A date cell in any spelling xlkit.dates.parse_date reads."""
    try:
        return parse_date(value)
    except DateError as e:
        raise CellError(e.reason) from None


def multi(value) -> list[str] | None:
    """担当課 / 区分: staff separate with 、 (the schema's x-separator) but also type , ， or a new line."""
    shown = text(value)
    if shown is None:
        return None
    parts = [p.strip() for p in _MULTI_SPLIT.split(shown)]
    return [p for p in parts if p] or None


def years(value) -> list[int] | None:
    """締めた年度: one year or several separated as in `multi` (2020、2021), in order, each once."""
    if is_blank(value):
        return None
    if not isinstance(value, str):
        found = year(value)
        return [found] if found is not None else None
    parts = multi(value) or []
    return sorted({y for p in parts if (y := year(p)) is not None}) or None


PREPARERS = {"text": text, "mark": mark, "integer": integer, "year": year, "date": date, "years": years}


# --- what a cell shows but does not hold ----------------------------------------------------

# The literals Excel shows for a cell whose formula failed, as xlwings sends them with
# err_to_str=True (xlkit.macros.read_grid). #DATA! is in xlwings' Office.js list. A cell
# showing one holds no value the report can use.
EXCEL_ERRORS = frozenset({
    "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#DATA!",
})


def is_excel_error(value) -> bool:
    """Whether a cell as read is an Excel error value (#N/A …) rather than something typed.

    Excel turns a typed #N/A into the error itself, so the literal alone means the error.
    """
    return isinstance(value, str) and value in EXCEL_ERRORS


# Invisible characters: format characters (Unicode category Cf: bidi embeddings, overrides and
# isolates, zero-width spaces and joiners, BOM, soft hyphen …) and control characters (Cc)
# other than tab, line feed and carriage return. Nobody types them; they arrive by copy and
# paste and make a cell display differently from what it holds (U+202E shows the rest of the
# cell reversed) or stop it matching in a search. Variation selectors (異体字, category Mn)
# are not among them.
# _INVISIBLE is a fast pre-check: a little wider than Cf + Cc (whole blocks), so that a
# text of ordinary characters costs one regex search; `invisible_chars` then asks
# unicodedata. tests/test_hostile_values.py checks that it covers every Cf and Cc character.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff0-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f]")
ZWJ = "\u200d"
# Extended_Pictographic, roughly (unicodedata does not have it): what a ZWJ joins in an emoji
# sequence such as 👨‍👩‍👧 or 🏳️‍🌈
_PICTOGRAPHIC = re.compile(
    "[\xa9\xae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf\u2934\u2935"
    "\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff]")
# a subdivision flag (🏴 + tag letters + cancel tag): the tags are part of the emoji
_EMOJI_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")

_INVISIBLE_NAMES = {
    0x00: "ヌル文字", 0x0B: "垂直タブ", 0x0C: "改ページ", 0x7F: "削除文字", 0xAD: "ソフトハイフン",
    0x061C: "アラビア文字の方向マーク", 0x180E: "モンゴル文字の母音区切り",
    0x200B: "ゼロ幅スペース", 0x200C: "ゼロ幅非接合子", 0x200D: "ゼロ幅接合子",
    0x200E: "左から右への方向マーク", 0x200F: "右から左への方向マーク",
    0x202A: "左から右への埋め込み", 0x202B: "右から左への埋め込み", 0x202C: "方向指定の終了",
    0x202D: "左から右への上書き", 0x202E: "右から左への上書き",
    0x2060: "単語結合子", 0x2061: "見えない関数適用", 0x2062: "見えない掛け算記号", 0x2063: "見えない区切り",
    0x2064: "見えない足し算記号", 0x2066: "左から右への分離", 0x2067: "右から左への分離",
    0x2068: "前後の文字に合わせた分離", 0x2069: "方向分離の終了", 0xFEFF: "バイト順マーク",
}


def invisible_chars(value: str) -> list[tuple[int, str]]:
    """(index, character) of each invisible format or control character of `value` (see above).

    A ZWJ between two pictographs, and the tags of a subdivision flag, belong to an emoji and
    are left alone.
    """
    if value.isprintable() or _INVISIBLE.search(value) is None:  # see rules._invisible_judge
        return []
    flags = [range(m.start(), m.end()) for m in _EMOJI_TAGS.finditer(value)]
    found = []
    for m in _INVISIBLE.finditer(value):
        i, ch = m.start(), m[0]
        if unicodedata.category(ch) not in ("Cf", "Cc"):
            continue  # the pre-check's blocks hold a few unassigned code points
        if ch == ZWJ and _joins_pictographs(value, i):
            continue
        if any(i in flag for flag in flags):
            continue
        found.append((i, ch))
    return found


def _joins_pictographs(value: str, i: int) -> bool:
    before = value[i - 1] if i > 0 else ""
    if before == "\ufe0f" and i > 1:  # 🏳️‍🌈: the emoji presentation selector sits before the ZWJ
        before = value[i - 2]
    after = value[i + 1] if i + 1 < len(value) else ""
    return bool(before and after and _PICTOGRAPHIC.match(before) and _PICTOGRAPHIC.match(after))


def invisible_name(ch: str) -> str:
    """「U+202E（右から左への上書き）」: the code point and what the character is, in Japanese."""
    code = ord(ch)
    name = _INVISIBLE_NAMES.get(code)
    if name is None:
        if 0xE0000 <= code <= 0xE007F:
            name = "タグ文字"
        else:
            name = "制御文字" if unicodedata.category(ch) == "Cc" else "書式制御文字"
    return f"U+{code:04X}（{name}）"

