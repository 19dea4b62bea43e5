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

PART = "xl/styles.xml"

# Excel's built-in date and time formats, with the Japanese ones (27–36, 50–58)
_BUILTIN_DATES = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_XFS = re.compile(rb"<(\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
# one <xf>: its name ends there (not <xf-a>), and its body never runs into the next <xf>, so a
# crafted stylesheet cannot make the search go over the rest of the part once per element
_XF = re.compile(rb"<(?:\w+:)?xf(?=[\s/>])[^>]*?(?:/>|>(?:[^<]|<(?!(?:\w+:)?xf[\s/>]))*?</(?:\w+:)?xf>)", re.S)
_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_NUMFMT_ID = re.compile(rb'numFmtId="(\d+)"')
# a date/time token outside quoted text, [..] sections and escapes
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_TOKEN = re.compile(r"[dmyhsegDMYHSEG]")


def is_date_code(code: str) -> bool:
    if code.lower() in ("general", "@", ""):
        return False
    return bool(_DATE_TOKEN.search(_QUOTED.sub("", code.split(";")[0])))


class Stylesheet:
    def __init__(self, package: Package):
        self._package = package
        self._xml = package.read(PART) if PART in package else None
        self.changed = False
        # style -> shows a date; formats are only ever appended, so an answer stays true
        self._dates: dict[int | None, bool] = {}
        self._xfs_of: tuple[bytes | None, list[bytes]] | None = None

    def _codes(self) -> dict[int, str]:
        return {int(m[1]): unescape(m[2]) for m in _NUMFMT.finditer(self._xml or b"")}

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
            found = _NUMFMT_ID.search(xfs[style])
            fmt = int(found[1]) if found else 0
            self._dates[style] = fmt in _BUILTIN_DATES or is_date_code(self._codes().get(fmt, ""))
        return self._dates[style]

    def date_style(self, like: int | None) -> int:
        """A cell format that is `like` (font, borders, fill) but shows a date; added when missing."""
        if self.is_date(like):
            return like
        xfs = self._xfs()
        if not xfs:
            raise _no_styles(self._package)
        fmt_id = self._date_format_id()
        base = xfs[like if like is not None and 0 <= like < len(xfs) else 0]
        base = _NUMFMT_ID.sub(b'numFmtId="%d"' % fmt_id, base, count=1) if _NUMFMT_ID.search(base) \
            else base.replace(b"<xf", b'<xf numFmtId="%d"' % fmt_id, 1)
        if b"applyNumberFormat=" in base:
            base = re.sub(rb'applyNumberFormat="[^"]*"', b'applyNumberFormat="1"', base)
        else:
            base = re.sub(rb"<((?:\w+:)?xf)\b", rb'<\1 applyNumberFormat="1"', base, count=1)
        for i, xf in enumerate(xfs):
            if xf == base:
                return i
        m = _XFS.search(self._xml)
        body = m[2] + base
        block = re.sub(rb'count="\d+"', b'count="%d"' % (len(xfs) + 1), self._xml[m.start():m.start(2)], count=1)
        self._xml = self._xml[:m.start()] + block + body + self._xml[m.end(2):]
        self.changed = True
        return len(xfs)

    def _date_format_id(self) -> int:
        codes = self._codes()
        for fmt_id, code in codes.items():
            if code == DATE_FORMAT:
                return fmt_id
        fmt_id = max([163, *codes]) + 1
        entry = b'<numFmt numFmtId="%d" formatCode="%s"/>' % (fmt_id, html.escape(DATE_FORMAT).encode())
        m = re.search(rb"<(?:\w+:)?numFmts\b([^>]*)>", self._xml)
        if m:
            count = len(codes) + 1
            opening = re.sub(rb'count="\d+"', b'count="%d"' % count, m[0], count=1)
            self._xml = self._xml[:m.start()] + opening + entry + self._xml[m.end():]
        else:
            root = re.search(rb"<(?:\w+:)?styleSheet\b[^>]*>", self._xml)
            if root is None:
                raise _no_styles(self._package)
            self._xml = self._xml[:root.end()] + b'<numFmts count="1">' + entry + b"</numFmts>" + self._xml[root.end():]
        self.changed = True
        return fmt_id

    def save(self) -> None:
        if self.changed:
            self._package.write(PART, self._xml)


def _no_styles(package: Package):
    from xlkit.errors import XlkitError

    return XlkitError(f"「{package.path.name}」にセルの書式（styles.xml）がないため、日付を書き込めません。")
