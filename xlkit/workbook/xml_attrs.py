"""The attributes of one XML start tag, read in either quote (XML allows name="v" and name='v',
and some writers use the second) and written back.

The parts xlkit edits as text (workbook.xml, styles.xml, sheets, tables) are searched with
regular expressions; a search that spells out `name="` silently finds nothing in a part written
with single quotes, and the edit it guards is skipped or made twice. So a start tag is found
with `start_tag`, its attributes read with `attributes`, and a value changed where
`attribute_at` says it lies, or the tag rebuilt from the dict with `attrs_xml`.

Plain bytes in, plain bytes out: no other module of xlkit is imported here, so every module
that edits a part (stylesheet.py, which sheet_xml.py imports, among them) may use it.
"""

from __future__ import annotations

import re

_ATTR = rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"""
_ATTRS = re.compile(_ATTR)
# a start tag's attributes, each in either quote
_TAG_ATTRS = rb"""(?P<attrs>(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(?P<empty>/?)>"""


def start_tag(name: bytes, then: bytes = b"") -> re.Pattern[bytes]:
    """A pattern of the start tag <name …> (or <x:name …/>, with any prefix), followed by the
    pattern `then`: group "p" the prefix ("x:" or None), "attrs" the attributes (for
    `attributes`), "empty" "/" for an empty element. <name-a> and <names> are other elements."""
    return re.compile(rb"<(?P<p>[\w.-]+:)?%s%s%s" % (name, _TAG_ATTRS, then))


def attributes(tag: bytes) -> dict[bytes, bytes]:
    """The attributes of one start tag (or of its "attrs" group), as raw bytes: entities are left
    as written, a value's quotes are not part of it."""
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRS.finditer(tag)}


def attribute_at(tag: bytes, name: bytes) -> tuple[int, int] | None:
    """Where the value of attribute `name` lies in `tag` (start, end; the quotes left out), so
    that it can be replaced in place; None when the tag has no such attribute."""
    for m in _ATTRS.finditer(tag):
        if m[1] == name:
            return m.span(2) if m[2] is not None else m.span(3)
    return None


def attrs_xml(attrs: dict[bytes, bytes]) -> bytes:
    """Attributes (raw bytes) written back into a start tag, in double quotes: a double quote a
    single-quoted value held becomes &quot;."""
    return b"".join(b' %s="%s"' % (k, v.replace(b'"', b"&quot;")) for k, v in attrs.items())
