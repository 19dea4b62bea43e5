"""和暦 and 西暦 dates: reading every spelling staff type, and printing the official forms.

The spellings and forms are listed in docs/DOMAIN.md §4.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from . import datafiles
from .errors import XlkitError


class DateError(ValueError):
    """A value that is not a date; `reason` says why, in Japanese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    first_day: dt.date  # the first day a date of this era is read
    last_day: dt.date | None  # None while the era goes on
    year_one: int | None = None  # the western year of 元年, when the era began before first_day

    @property
    def offset(self) -> int:
        return (self.year_one or self.first_day.year) - 1


def _load_eras(path=None) -> tuple[Era, ...]:
    """The eras of xlkit/data/eras.json, newest first; a new era is added there, not here."""
    source, what = "xlkit/data/eras.json", "元号の一覧"
    path = path or resources.files("xlkit").joinpath("data/eras.json")
    listed = datafiles.part(datafiles.read_json(path, source, what), "eras", list, source, what)

    def day(entry: dict, key: str) -> dt.date | None:
        text = entry.get(key)
        try:
            return None if text is None else dt.date.fromisoformat(text)
        except (TypeError, ValueError):
            raise XlkitError(f"{what}（{source}）の「{entry.get('name', '')}」の {key}「{text}」が日付（例：2019-05-01）"
                             "として読めません。") from None

    eras = []
    for entry in listed:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("name", "letter")):
            raise XlkitError(f"{what}（{source}）の元号には name と letter を文字で書いてください（{entry!r}）。")
        eras.append(Era(entry["name"], entry["letter"], day(entry, "first_day"), day(entry, "last_day"),
                        entry.get("year_one")))
    eras = tuple(eras)
    if any(e.first_day is None for e in eras):
        raise XlkitError(f"{what}（{source}）の元号には first_day が要ります。")
    # a mistake in the file would misread dates silently; refuse it when the module loads
    problems = []
    if not eras:
        problems.append("元号が一つもありません")
    for newer, older in zip(eras, eras[1:]):
        if older.last_day is None or older.last_day + dt.timedelta(days=1) != newer.first_day:
            problems.append(f"{older.name}の last_day は{newer.name}の first_day の前日にしてください")
    for era in eras:
        if not (len(era.letter) == 1 and "A" <= era.letter <= "Z"):
            problems.append(f"{era.name}の letter は半角英大文字1字にしてください")
        if era.last_day is not None and era.last_day < era.first_day:
            problems.append(f"{era.name}の last_day が first_day より前です")
    if len({e.name for e in eras} | {e.letter for e in eras}) != 2 * len(eras):
        problems.append("name または letter が重複しています")
    if problems:
        raise XlkitError(f"{source} の元号の一覧に誤りがあります: " + "、".join(problems))
    return eras


ERAS = _load_eras()
_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS}

# Excel's day 0; Excel's fictitious 1900-02-29 (serial 60) only matters before March 1900
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31
# A number in a date cell is read as a serial only from 1954-10-03 on: 2020 or 20200401 typed
# into a cell not formatted as a date is a mistake, not 1905-07-12.
_MIN_SERIAL = 20000
_FIRST_DAY = ERAS[-1].first_day  # no date before 明治6年 can be printed in 和暦
# 「明治6年」: the first readable year, named in messages
_FIRST_YEAR_TEXT = f"{ERAS[-1].name}{_FIRST_DAY.year - ERAS[-1].offset}年"

_SEP = r"\s*[./\-年]\s*"
_ERA_RE = re.compile(
    r"^(?P<era>" + "|".join(re.escape(e.name) for e in ERAS) + "|[" + "".join(e.letter for e in ERAS) + "])"
    + r"\s*(?P<y>元|\d{1,2})" + _SEP
    + r"(?P<m>\d{1,2})" + r"\s*[./\-月]\s*" + r"(?P<d>\d{1,2})\s*日?$"
)
_WESTERN_RE = re.compile(
    r"^(?P<y>\d{4})" + r"\s*[./\-年]\s*" + r"(?P<m>\d{1,2})" + r"\s*[./\-月]\s*" + r"(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, ．／－ and 〇-free spaces into ASCII; ideographic spaces too
    text = unicodedata.normalize("NFKC", text).strip()
    return text.upper() if text[:1].isascii() else text


def parse_date(value) -> dt.date | None:
    """Read a date cell in any spelling staff use. Blank -> None; anything else not a date -> DateError."""
    if value is None:
        return None
    return _in_range(_parse(value))


def _parse(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise DateError("日付ではありません（真偽値）")
    if isinstance(value, (int, float)):
        if value != value or not _MIN_SERIAL <= value <= _MAX_SERIAL:  # NaN included
            shown = int(value) if value == value and float(value).is_integer() else value
            raise DateError(f"数値「{shown}」は日付として読めません（日付の書式のセルにするか、"
                            "R2.4.1、令和2年4月1日、2020/4/1 などの形で入力してください）")
        return from_serial(value)
    if not isinstance(value, str):
        # a time of day (a cell formatted 13:30) or something stranger: never Python's type name
        kind = "時刻" if isinstance(value, (dt.time, dt.timedelta)) else "日付ではない値"
        raise DateError(f"日付として読めない値です（{kind}）。R2.4.1、令和2年4月1日、2020/4/1 などの形で入力してください")
    text = _normalise(value)
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text) and _MIN_SERIAL <= float(text) <= _MAX_SERIAL:
        return from_serial(float(text))
    date = _match(text)
    if date is not None:
        return date
    # 「H18.6.1 <remark>」: a date followed by a remark that belongs in 備考
    for space in re.finditer(r"\s+", text):
        try:
            date = _match(text[:space.start()])
        except DateError:
            date = None
        if date is not None:
            rest = text[space.end():]
            raise DateError(f"日付のあとに「{rest}」が入っています。日付だけを入力してください（「{rest}」は備考へ）")
    raise DateError(
        "日付として読めません（R2.4.1、令和2年4月1日、2020/4/1 などの形で入力してください）"
    )


def _match(text: str) -> dt.date | None:
    m = _ERA_RE.match(text)
    if m:
        era = _BY_KEY[m["era"]]
        year = 1 if m["y"] == "元" else int(m["y"])
        return _era_date(era, year, int(m["m"]), int(m["d"]))
    m = _WESTERN_RE.match(text)
    if m:
        return _calendar_date(int(m["y"]), int(m["m"]), int(m["d"]))
    return None


def _in_range(date: dt.date | None) -> dt.date | None:
    if date is not None and date < _FIRST_DAY:
        raise DateError(f"{_western(date)}は{_FIRST_YEAR_TEXT}（{_FIRST_DAY.year}年）より前のため扱えません")
    return date


def from_serial(serial: float) -> dt.date:
    if serial != serial or serial < 1 or serial > _MAX_SERIAL:  # NaN included
        raise DateError(f"Excel の日付シリアル値として範囲外です（{serial:g}）")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _calendar_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError(f"存在しない日付です（{year}年{month}月{day}日）") from None


def _era_date(era: Era, year: int, month: int, day: int) -> dt.date:
    shown = f"{era.name}{_year_text(year)}年{month}月{day}日"
    if year < 1:
        raise DateError(f"{era.name}0年はありません")
    date = _calendar_date(era.offset + year, month, day)
    if date < era.first_day:
        raise DateError(f"{shown}は{era.name}の始まり（{_western(era.first_day)}）より前です{_meant(date)}")
    if era.last_day and date > era.last_day:
        raise DateError(f"{shown}はありません（{era.name}は{_western(era.last_day)}まで）{_meant(date)}")
    return date


def _meant(date: dt.date) -> str:
    """「。令和元年5月1日の誤りではありませんか」 for H31.5.1: the same day named by its own era."""
    if date < _FIRST_DAY:
        return ""
    return f"。{format_wareki(date)}の誤りではありませんか"


def _western(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def era_of(d: dt.date) -> Era:
    for era in ERAS:
        if d >= era.first_day:
            return era
    raise DateError(f"{_western(d)}は{_FIRST_YEAR_TEXT}より前のため和暦で表せません")


def fiscal_year(d: dt.date) -> int:
    """年度: April to March, named by the year it starts in."""
    return d.year if d.month >= 4 else d.year - 1


def year_start(year: int) -> dt.date:
    """The first day of 年度 `year` (1 April)."""
    return dt.date(year, 4, 1)


def year_end(year: int) -> dt.date:
    """The last day of 年度 `year` (31 March of year + 1)."""
    return dt.date(year + 1, 3, 31)


def full_width_digits(value) -> str:
    return str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def format_dotted(d: dt.date) -> str:
    """The linkage tables' form: R2. 8. 1 / R2.10. 1 / H18. 6. 1 (month and day padded to two places)."""
    era = era_of(d)
    return f"{era.letter}{d.year - era.offset}.{d.month:>2}.{d.day:>2}"


def format_wareki(d: dt.date, *, full_width: bool = False) -> str:
    """令和7年7月3日 (令和元年 for the first year)."""
    era = era_of(d)
    text = f"{era.name}{_year_text(d.year - era.offset)}年{d.month}月{d.day}日"
    return full_width_digits(text) if full_width else text


def format_month_day(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def format_year_month(d: dt.date) -> str:
    """令和7年2月: the periods in the 資料１ sentence."""
    era = era_of(d)
    return f"{era.name}{_year_text(d.year - era.offset)}年{d.month}月"


def nendo_era(year: int) -> tuple[Era, int]:
    """The era and its year that name fiscal year `year`: 2019 -> (令和, 1), 2018 -> (平成, 30)."""
    # FY2019 began under 平成 but is called 令和元年度; the era in force in May names the year
    era = era_of(dt.date(year, 5, 1))
    return era, year - era.offset


def nendo(year: int, *, full_width: bool = False) -> str:
    """The name of fiscal year `year`: 2019 -> 令和元年度, 2020 -> 令和2年度, 2018 -> 平成30年度."""
    era, n = nendo_era(year)
    text = f"{era.name}{_year_text(n)}年度"
    return full_width_digits(text) if full_width else text


def era_fiscal_year(key: str, n: int) -> int:
    """Fiscal year `n` of the era named `key` (令和 or R) as a western year: 令和2 -> 2020.

    平成31年度 is read as FY2019 too (it began on 1 April under 平成), as staff write it; a year
    the era never reached is refused.
    """
    era = _BY_KEY[key]
    if n < 1:
        raise DateError(f"{era.name}0年度はありません")
    year = era.offset + n
    if era.last_day is not None and dt.date(year, 4, 1) > era.last_day:
        last = fiscal_year(era.last_day)
        raise DateError(f"{era.name}{n}年度はありません（{era.name}{_year_text(last - era.offset)}年度＝{last}年度まで）")
    if dt.date(year + 1, 3, 31) < era.first_day:
        raise DateError(f"{era.name}{n}年度はありません（{era.name}は{_western(era.first_day)}から）")
    return year
