"""The cell formats of a register (xl/styles.xml), as far as the writer needs them: is a format
a date format, and which format shows a new date cell as a date.

Read and extended as XML text, so that every format staff made stays exactly as it was.
"""

from __future__ import annotations

import html
import re

from xlkit.workbook.package import Package
from xlkit.workbook.scan import unescape
from xlkit.workbook.styles import DATE_FORMAT
from xlkit.workbook.xml_attrs import attribute_at, attributes, attrs_xml, start_tag

PART = "xl/styles.xml"

# Excel's built-in date and time formats, with the Japanese ones (27–36, 50–58)
_BUILTIN_DATES = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_XFS = re.compile(rb"<(\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
# one <xf>: its name ends there (not <xf-a>), and its body never runs into the next <xf>, so a
# crafted stylesheet cannot make the search go over the rest of the part once per element
_XF = re.compile(rb"<(?:\w+:)?xf(?=[\s/>])[^>]*?(?:/>|>(?:[^<]|<(?!(?:\w+:)?xf[\s/>]))*?</(?:\w+:)?xf>)", re.S)
# the start tags whose attributes are read (in either quote, as XML allows: a search for
# numFmtId="…" saw no format of a part written with single quotes, and the date format was added
# a second time under a taken id)
_XF_START = start_tag(b"xf")
_NUMFMT = start_tag(b"numFmt")
_NUMFMTS = start_tag(b"numFmts")
_ROOT = start_tag(b"styleSheet")
# a date/time token outside quoted text, [..] sections and escapes
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_TOKEN = re.compile(r"[dmyhsegDMYHSEG]")


def is_date_code(code: str) -> bool:
    if code.lower() in ("general", "@", ""):
        return False
    return bool(_DATE_TOKEN.search(_QUOTED.sub("", code.split(";")[0])))


def shows_date(number_format: str | int | None) -> bool:
    """Whether a number format shows a date: a format code (yyyy/m/d, [$-411]ge.m.d;@), or one of
    Excel's built-in date formats by its number."""
    if isinstance(number_format, int):
        return number_format in _BUILTIN_DATES
    return number_format is not None and is_date_code(number_format)


def new_date_format(current: str | int | None) -> str | int:
    """Which number format a date cell xlkit writes gets, from the one the cell has anyway — the
    cell above's for a cell of a new row, its own for a cell changed — as a format code or a
    built-in format's number (None: none known): that one when it shows a date already (a date
    format staff chose stays), else the register's own (R3.9.30, DATE_FORMAT). Both doors decide
    so: the register writer (`Stylesheet.date_style`) and the button 回答取込 (xlkit.macros_survey)."""
    return current if shows_date(current) else DATE_FORMAT


class Stylesheet:
    def __init__(self, package: Package):
        self._package = package
        self._xml = package.read(PART) if PART in package else None
        self.changed = False
        # style -> shows a date; formats are only ever appended, so an answer stays true
        self._dates: dict[int | None, bool] = {}
        self._xfs_of: tuple[bytes | None, list[bytes]] | None = None

    def _codes(self) -> dict[int, str]:
        codes = {}
        for m in _NUMFMT.finditer(self._xml or b""):
            attrs = attributes(m["attrs"])
            fmt_id, code = attrs.get(b"numFmtId", b""), attrs.get(b"formatCode")
            if fmt_id.strip().isdigit() and code is not None:
                codes[int(fmt_id)] = unescape(code)
        return codes

    def _xfs(self) -> list[bytes]:
        # read once per version of the part: an import asks for every date cell's format
        if self._xfs_of is None or self._xfs_of[0] is not self._xml:
            m = _XFS.search(self._xml or b"")
            self._xfs_of = (self._xml, _XF.findall(m[2]) if m else [])
        return self._xfs_of[1]

    def is_date(self, style: int | None) -> bool:
        if style not in self._dates:
            xfs = self._xfs()
            if style is None or not 0 <= style < len(xfs):
                return False
            start = _XF_START.match(xfs[style])
            found = attributes(start["attrs"]).get(b"numFmtId", b"").strip() if start else b""
            fmt = int(found) if found.isdigit() else 0
            self._dates[style] = shows_date(fmt if fmt in _BUILTIN_DATES else self._codes().get(fmt, fmt))
        return self._dates[style]

    def date_style(self, like: int | None) -> int:
        """A cell format that is `like` (font, borders, fill) but shows a date, in the format
        `new_date_format` gives: `like` itself when it shows one already; added when missing."""
        if self.is_date(like):  # new_date_format keeps it
            return like
        xfs = self._xfs()
        if not xfs:
            raise _no_styles(self._package)
        fmt_id = self._date_format_id()
        base = xfs[like if like is not None and 0 <= like < len(xfs) else 0]
        start = _XF_START.match(base)
        if start is None:
            raise _no_styles(self._package)
        # the tag rebuilt from its attributes, the two it lacks first (as they always were)
        attrs = attributes(start["attrs"])
        added = {key: None for key in (b"applyNumberFormat", b"numFmtId") if key not in attrs}
        attrs = {**added, **attrs, b"numFmtId": b"%d" % fmt_id, b"applyNumberFormat": b"1"}
        base = b"<%sxf%s%s" % (start["p"] or b"", attrs_xml(attrs), base[start.end("attrs"):].lstrip())
        for i, xf in enumerate(xfs):
            if xf == base:
                return i
        m = _XFS.search(self._xml)
        block = _counted(self._xml[m.start():m.start(2)], len(xfs) + 1)
        self._xml = self._xml[:m.start()] + block + m[2] + base + self._xml[m.end(2):]
        self.changed = True
        return len(xfs)

    def _date_format_id(self) -> int:
        codes = self._codes()
        for fmt_id, code in codes.items():
            if code == DATE_FORMAT:
                return fmt_id
        # above every id the part uses, whatever the numFmt says: a taken id would change the
        # formats of the cells that have it
        taken = [int(v) for found in _NUMFMT.finditer(self._xml)
                 if (v := attributes(found["attrs"]).get(b"numFmtId", b"").strip()).isdigit()]
        fmt_id = max([163, *codes, *taken]) + 1
        m = _NUMFMTS.search(self._xml)
        root = _ROOT.search(self._xml)
        found = m or root
        p = (found["p"] or b"") if found else b""
        entry = b'<%snumFmt numFmtId="%d" formatCode="%s"/>' % (p, fmt_id, html.escape(DATE_FORMAT).encode())
        if m and not m["empty"]:
            closing = self._xml.find(b"</%snumFmts>" % p, m.end())
            count = len(_NUMFMT.findall(self._xml, m.end(), closing if closing >= 0 else m.end())) + 1
            self._xml = self._xml[:m.start()] + _counted(m[0], count) + entry + self._xml[m.end():]
        else:  # none, or <numFmts count="0"/>
            if m is None and (root is None or root["empty"]):
                raise _no_styles(self._package)
            block = b'<%snumFmts count="1">%s</%snumFmts>' % (p, entry, p)
            at = (m.start(), m.end()) if m else (root.end(), root.end())
            self._xml = self._xml[:at[0]] + block + self._xml[at[1]:]
        self.changed = True
        return fmt_id

    def save(self) -> None:
        if self.changed:
            self._package.write(PART, self._xml)


def _counted(tag: bytes, count: int) -> bytes:
    """A start tag with its count attribute set to `count` (in place; left as it is without one)."""
    at = attribute_at(tag, b"count")
    return tag[:at[0]] + b"%d" % count + tag[at[1]:] if at else tag


def _no_styles(package: Package):
    from xlkit.errors import XlkitError

    return XlkitError(f"「{package.path.name}」にセルの書式（styles.xml）がないため、日付を書き込めません。")
