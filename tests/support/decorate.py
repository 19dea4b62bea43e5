"""What office staff add to a register by hand in Excel, added at the zip/XML level.

``decorate(src, dst)`` copies a register made by ``xlkit.workbook.builder.build`` (.xlsx or
.xlsm, fresh from XlsxWriter or saved again by openpyxl like ``workbooks/sample.xlsx``) and adds:

=====================  ============================================================================
object                 where
=====================  ============================================================================
picture                使い方!B29: a PNG (made here with zlib+struct) in a new DrawingML drawing of
                       使い方 (xl/drawings/drawingN.xml, xdr:pic -> xl/media/imageN.png)
textbox                外部結合!R2: an xdr:sp txBox="1" with the note ``NOTE`` in a new drawing of
                       外部結合 (right of the table, so no cell of the register is covered)
chart                  外部結合!R7: a column chart of 外部結合!N2:N11 (計上年度) by A2:A11 (管理番号),
                       xl/charts/chartN.xml, its graphicFrame in the SAME drawing as the text box
comment                外部結合!B2: xl/commentsN.xml plus its own legacy VML part
                       (xl/drawings/vmlDrawingN.vml, an o:idmap block no other VML part uses; the
                       buttons' VML of 使い方 in an .xlsm is left as it is)
conditional_format     外部結合!C2:C1048576: red when the cell contains 「テスト」; one dxf appended
                       to xl/styles.xml
hyperlink              外部結合!C2 (a filled cell; its value is not changed; the header C1 when the
                       register has no rows) -> ``URL``, a TargetMode="External" relationship
=====================  ============================================================================

Objects OpenPyXL keeps or drops do not matter here: nothing goes through openpyxl. Every part not
listed in ``Decorations.changed`` is copied byte for byte; changed parts are edited by inserting
bytes (every other byte of them stays), each worksheet element at its place in CT_Worksheet order.

A later test of a writer (say, rows appended to 外部結合) checks what survived with
``missing(written, decorations)``: every added part byte-identical, every marker present, and
every sheet still wired to its objects (relationship of the right type + the element naming it).
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from xlkit.workbook.scan import sheet_parts

HOWTO = "使い方"
LINKAGES = "外部結合"
NOTE = "メモ：この表は毎年4月に見直す"
COMMENT = "実施機関は「実施機関」シートの一覧から選ぶこと（区政情報課）"
COMMENT_AUTHOR = "区政情報課"
URL = "https://www.example.com/kusei/gaibu-ketsugo.html"
CF_TEXT = "テスト"
CHART_TITLE = "計上年度のグラフ"
PICTURE_NAME = "図 1（登録簿の説明）"
PNG_SIZE = (120, 80)  # pixels of the PNG; shown twice as large

PLACES = {
    "picture": f"{HOWTO}!B29",
    "textbox": f"{LINKAGES}!R2",
    "chart": f"{LINKAGES}!R7",
    "comment": f"{LINKAGES}!B2",
    "conditional_format": f"{LINKAGES}!C2:C1048576",
    "hyperlink": f"{LINKAGES}!C2",  # C1 when C2 is empty (see decorate)
}

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL_DRAWING, REL_IMAGE, REL_CHART = REL + "drawing", REL + "image", REL + "chart"
REL_COMMENTS, REL_VML, REL_HYPERLINK = REL + "comments", REL + "vmlDrawing", REL + "hyperlink"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_PNG = "image/png"

EMU = 9525  # EMU per pixel at 96 dpi

# CT_Worksheet's children in schema order (ECMA-376 Part 1, 18.3.1.99)
WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
)
# CT_Stylesheet's children in schema order (18.8.39)
STYLESHEET_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                    "dxfs", "tableStyles", "colors", "extLst")

_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass
class Decorations:
    """What `decorate` did to one file.

    ``markers[kind] = (part, snippet)``: ``snippet`` (bytes exactly as written) must still be in
    ``part`` after any later write that keeps the object. ``places[kind]`` is "sheet!cell".
    ``links`` are (sheet name, worksheet element or "" , relationship type, target) wirings:
    the target is a part name, or the URL for the external hyperlink.
    """

    source: Path
    path: Path
    added: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    markers: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=lambda: dict(PLACES))
    links: list[tuple[str, str, str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- small XML tools

_TAG = re.compile(
    rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<![^>]*>"
    rb"|<(?P<close>/?)(?P<name>[A-Za-z_][\w.:-]*)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(?P<empty>/?)>",
    re.S,
)


def _children(xml: bytes) -> tuple[list[tuple[str, int, int]], int]:
    """(local name, start, end) of each child element of the root, and where the root's end tag starts."""
    depth, kids, start, name = 0, [], 0, ""
    for m in _TAG.finditer(xml):
        if m["name"] is None:
            continue
        local = m["name"].split(b":")[-1].decode()
        if m["close"]:
            depth -= 1
            if depth == 1:
                kids.append((name, start, m.end()))
            elif depth == 0:
                return kids, m.start()
        elif m["empty"]:
            if depth == 1:
                kids.append((local, m.start(), m.end()))
        else:
            if depth == 1:
                start, name = m.start(), local
            depth += 1
    raise ValueError("no end tag of the root element")


def _insert_child(xml: bytes, element: bytes, name: str, order: tuple[str, ...]) -> bytes:
    """`element` inserted as a child of the root, before the first child that comes after `name`."""
    rank = order.index(name)
    kids, end = _children(xml)
    at = next((s for local, s, _ in kids if local in order and order.index(local) > rank), end)
    return xml[:at] + element + xml[at:]


def _child(xml: bytes, name: str) -> tuple[int, int] | None:
    return next(((s, e) for local, s, e in _children(xml)[0] if local == name), None)


def _append_to_child(xml: bytes, name: str, item: bytes, count: bool) -> bytes | None:
    """`item` appended inside the existing root child `name` (count="" bumped); None if there is none."""
    found = _child(xml, name)
    if found is None:
        return None
    s, e = found
    element = xml[s:e]
    if element.endswith(b"/>"):
        element = element[:-2].rstrip() + b">" + item + b"</" + re.match(rb"<([\w.:-]+)", element)[1] + b">"
    else:
        close = element.rindex(b"</")
        element = element[:close] + item + element[close:]
    if count:
        element = re.sub(rb'(\scount=")(\d+)(")', lambda m: m[1] + str(int(m[2]) + 1).encode() + m[3], element, count=1)
    return xml[:s] + element + xml[e:]


def _filled(sheet: bytes, ref: str) -> bool:
    """Whether the sheet XML has a value in cell `ref`."""
    m = re.search(rb'<c\b[^>]*\br="' + ref.encode() + rb'"[^>]*?(?:/>|>(.*?)</c>)', sheet, re.S)
    return bool(m and m[1] and (b"<v>" in m[1] or b"<is>" in m[1]))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source))


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


class _Package:
    """The parts of a zip being edited: bytes by name, what is added and what is changed."""

    def __init__(self, archive: zipfile.ZipFile):
        self.infos = archive.infolist()
        self.parts = {i.filename: archive.read(i.filename) for i in self.infos}
        self.original = dict(self.parts)
        self.added: set[str] = set()

    def fresh(self, pattern: str) -> str:
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        return pattern.format(n)

    def add(self, name: str, data: bytes) -> None:
        assert name not in self.parts, name
        self.parts[name] = data
        self.added.add(name)

    def changed(self) -> set[str]:
        return {n for n in self.original if self.parts[n] != self.original[n]}

    def relate(self, source: str, rel_type: str, target: str, *, external: bool = False) -> str:
        """A new relationship of part `source` (its .rels made if missing); returns its fresh Id."""
        rels_name = _rels_part(source)
        rels = self.parts.get(rels_name)
        if rels is None:
            rels = _DECL + f'<Relationships xmlns="{NS_PKG_REL}"></Relationships>'.encode()
            self.add(rels_name, rels)
        ids = {m.decode() for m in re.findall(rb'\bId="([^"]*)"', rels)}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        where = _esc(target) if external else _relative(source, target)
        mode = ' TargetMode="External"' if external else ""
        item = f'<Relationship Id="{rid}" Type="{rel_type}" Target="{where}"{mode}/>'.encode()
        self.parts[rels_name] = _append_to_child_root(rels, item)
        return rid

    def content_type(self, *, default: tuple[str, str] | None = None, override: tuple[str, str] | None = None) -> None:
        name = "[Content_Types].xml"
        types = self.parts[name]
        if default:
            ext, ctype = default
            if not re.search(rb'<Default\b[^>]*\bExtension="' + re.escape(ext.encode()) + b'"', types, re.I):
                item = f'<Default Extension="{ext}" ContentType="{ctype}"/>'.encode()
                last = [m.end() for m in re.finditer(rb"<Default\b[^>]*/>", types)]
                at = last[-1] if last else re.search(rb"<Types\b[^>]*>", types).end()
                types = types[:at] + item + types[at:]
        if override:
            part, ctype = override
            item = f'<Override PartName="/{part}" ContentType="{ctype}"/>'.encode()
            types = _append_to_child_root(types, item)
        self.parts[name] = types

    def write(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in self.infos:
                copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                copy.compress_type = zipfile.ZIP_DEFLATED
                copy.external_attr = info.external_attr
                out.writestr(copy, self.parts[info.filename])
            for name in sorted(self.added):
                copy = zipfile.ZipInfo(name, date_time=self.infos[0].date_time)
                copy.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(copy, self.parts[name])


def _append_to_child_root(xml: bytes, item: bytes) -> bytes:
    """`item` as the last child of the root element (a self-closing root is opened)."""
    body = xml.rstrip()
    if body.endswith(b"/>") and not re.search(rb"</[\w.:-]+>\s*$", body):
        root = re.search(rb"<([A-Za-z_][\w.:-]*)\b[^>]*/>\s*$", body)
        return body[:root.start()] + body[root.start():-2].rstrip() + b">" + item + b"</" + root[1] + b">"
    at = xml.rindex(b"</")
    return xml[:at] + item + xml[at:]


# --------------------------------------------------------------------------- the objects

def png(width: int = PNG_SIZE[0], height: int = PNG_SIZE[1]) -> bytes:
    """A real RGB PNG: white, a thin grey frame, a red disc in the middle (日の丸)."""
    radius2 = (min(width, height) * 0.3) ** 2
    cx, cy = (width - 1) / 2, (height - 1) / 2
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type None
        for x in range(width):
            if x in (0, width - 1) or y in (0, height - 1):
                row += b"\x80\x80\x80"
            elif (x - cx) ** 2 + (y - cy) ** 2 <= radius2:
                row += b"\xbc\x00\x2d"
            else:
                row += b"\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _anchor(col: int, row: int, width_px: int, height_px: int, body: str) -> str:
    return (f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="{width_px * EMU}" cy="{height_px * EMU}"/>{body}<xdr:clientData/></xdr:oneCellAnchor>')


def _drawing(anchors: list[str]) -> bytes:
    return _DECL + (
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">' + "".join(anchors) + "</xdr:wsDr>"
    ).encode()


def _picture_anchor(rid: str) -> str:
    w, h = PNG_SIZE[0] * 2, PNG_SIZE[1] * 2
    return _anchor(1, 28, w, h, (
        f'<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="{_esc(PICTURE_NAME)}" descr="xlkit test picture"/>'
        '<xdr:cNvPicPr><a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr>'
        f'<xdr:blipFill><a:blip xmlns:r="{NS_R}" r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
        f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{w * EMU}" cy="{h * EMU}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'))


def _textbox_anchor() -> str:
    w, h = 320, 48
    return _anchor(17, 1, w, h, (
        '<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="テキスト ボックス 1"/>'
        '<xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
        f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{w * EMU}" cy="{h * EMU}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFF2CC"/></a:solidFill>'
        '<a:ln w="12700"><a:solidFill><a:srgbClr val="C00000"/></a:solidFill></a:ln></xdr:spPr>'
        '<xdr:txBody><a:bodyPr vertOverflow="clip" wrap="square" rtlCol="0" anchor="ctr"/><a:lstStyle/>'
        '<a:p><a:r><a:rPr lang="ja-JP" altLang="en-US" sz="1400"><a:solidFill><a:srgbClr val="C00000"/></a:solidFill>'
        f'<a:latin typeface="IPAexGothic"/><a:ea typeface="IPAexGothic"/></a:rPr><a:t>{_esc(NOTE)}</a:t></a:r></a:p>'
        "</xdr:txBody></xdr:sp>"))


def _chart_anchor(rid: str) -> str:
    return _anchor(17, 6, 480, 288, (
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="3" name="グラフ 2"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="{NS_R}" r:id="{rid}"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame>"))


def _bar_chart(linkages: str = LINKAGES) -> str:
    sheet = f"'{linkages}'"
    return (
        '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        f'<c:ser><c:idx val="0"/><c:order val="0"/><c:tx><c:strRef><c:f>{sheet}!$N$1</c:f></c:strRef></c:tx>'
        '<c:spPr><a:solidFill><a:srgbClr val="2E75B6"/></a:solidFill></c:spPr><c:invertIfNegative val="0"/>'
        f"<c:cat><c:strRef><c:f>{sheet}!$A$2:$A$11</c:f></c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>{sheet}!$N$2:$N$11</c:f></c:numRef></c:val></c:ser>"
        '<c:gapWidth val="80"/><c:axId val="50010001"/><c:axId val="50010002"/></c:barChart>')


def _chart(bar: str) -> bytes:
    return _DECL + (
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
        f' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{NS_R}">'
        '<c:lang val="ja-JP"/><c:roundedCorners val="0"/><c:chart>'
        f"<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>{_esc(CHART_TITLE)}</a:t></a:r></a:p>"
        '</c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        f"<c:plotArea><c:layout/>{bar}"
        '<c:catAx><c:axId val="50010001"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="50010002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="50010002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="l"/><c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:tickLblPos val="nextTo"/><c:crossAx val="50010001"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend><c:plotVisOnly val="1"/>'
        '<c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>').encode()


def _comment() -> str:
    return (f'<comment ref="B2" authorId="0"><text><r><rPr><sz val="9"/><rFont val="IPAexGothic"/></rPr>'
            f"<t>{_esc(COMMENT)}</t></r></text></comment>")


def _comments(item: str) -> bytes:
    return _DECL + (f'<comments xmlns="{NS_MAIN}"><authors><author>{_esc(COMMENT_AUTHOR)}</author></authors>'
                    f"<commentList>{item}</commentList></comments>").encode()


def _vml(block: int) -> bytes:
    """The legacy drawing of a note on B2: its own o:idmap block, so its shape id is unique in the book."""
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f'<v:shape id="_x0000_s{block * 1024 + 1}" type="#_x0000_t202"'
        ' style="position:absolute;margin-left:140pt;margin-top:30pt;width:144pt;height:60pt;z-index:1;visibility:hidden"'
        ' fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        "<x:Anchor>2, 15, 0, 10, 4, 15, 4, 4</x:Anchor><x:AutoFill>False</x:AutoFill>"
        "<x:Row>1</x:Row><x:Column>1</x:Column></x:ClientData></v:shape></xml>").encode()


def _conditional_format(priority: int, dxf: int) -> bytes:
    return (f'<conditionalFormatting sqref="C2:C1048576"><cfRule type="containsText" dxfId="{dxf}"'
            f' priority="{priority}" operator="containsText" text="{CF_TEXT}">'
            f'<formula>NOT(ISERROR(SEARCH("{CF_TEXT}",C2)))</formula></cfRule></conditionalFormatting>').encode()


_DXF = (b'<dxf><font><color rgb="FF9C0006"/></font><fill><patternFill><bgColor rgb="FFFFC7CE"/></patternFill>'
        b"</fill></dxf>")


# --------------------------------------------------------------------------- decorate

def decorate(src: Path, dst: Path, *, on: tuple[str, str] = (HOWTO, LINKAGES)) -> Decorations:
    """Copy the register `src` to `dst` with a picture, a text box, a chart, a comment, a
    conditional format and a hyperlink added (see the module docstring for where).

    `on` names the two sheets decorated in place of 使い方 and 外部結合 (the picture on the first,
    the rest on the second): another workbook of xlkit's, such as a 照会票, is decorated alike.

    Raises NotImplementedError when 使い方 or 外部結合 already has a DrawingML drawing, or 外部結合
    a legacy (VML) drawing, as a file decorated once already has: objects are never merged.
    """
    src, dst = Path(src), Path(dst)
    with zipfile.ZipFile(src) as archive:
        pkg = _Package(archive)
        sheets = sheet_parts(archive)
    first, second = on
    deco = Decorations(source=src, path=dst)
    deco.places = {kind: place.replace(f"{HOWTO}!", f"{first}!", 1).replace(f"{LINKAGES}!", f"{second}!", 1)
                   for kind, place in PLACES.items()}
    howto, linkages = sheets[first], sheets[second]
    for sheet in (howto, linkages):
        if _child(pkg.parts[sheet], "drawing") is not None:
            raise NotImplementedError(f"{sheet} already has a DrawingML drawing")
    if _child(pkg.parts[linkages], "legacyDrawing") is not None:
        raise NotImplementedError(f"{linkages} already has a legacy (VML) drawing")

    def sheet_element(sheet: str, name: str, element: bytes) -> None:
        pkg.parts[sheet] = _insert_child(pkg.parts[sheet], element, name, WORKSHEET_ORDER)

    # 1. the picture on 使い方
    drawing = pkg.fresh("xl/drawings/drawing{}.xml")
    image = pkg.fresh("xl/media/image{}.png")
    pkg.add(image, png())
    pkg.add(drawing, b"")  # reserved so the next fresh() skips it
    anchor = _picture_anchor(pkg.relate(drawing, REL_IMAGE, image)).encode()
    pkg.parts[drawing] = _drawing([anchor.decode()])
    rid = pkg.relate(howto, REL_DRAWING, drawing)
    sheet_element(howto, "drawing", f'<drawing xmlns:r="{NS_R}" r:id="{rid}"/>'.encode())
    pkg.content_type(default=("png", CT_PNG), override=(drawing, CT_DRAWING))
    deco.markers["picture"] = (drawing, anchor)
    deco.links += [(first, "drawing", REL_DRAWING, drawing)]

    # 2 and 3. the text box and the chart, one drawing of 外部結合
    drawing = pkg.fresh("xl/drawings/drawing{}.xml")
    chart = pkg.fresh("xl/charts/chart{}.xml")
    bar = _bar_chart(second)
    pkg.add(chart, _chart(bar))
    pkg.add(drawing, b"")
    textbox = _textbox_anchor()
    frame = _chart_anchor(pkg.relate(drawing, REL_CHART, chart))
    pkg.parts[drawing] = _drawing([textbox, frame])
    rid = pkg.relate(linkages, REL_DRAWING, drawing)
    sheet_element(linkages, "drawing", f'<drawing xmlns:r="{NS_R}" r:id="{rid}"/>'.encode())
    pkg.content_type(override=(drawing, CT_DRAWING))
    pkg.content_type(override=(chart, CT_CHART))
    deco.markers["textbox"] = (drawing, textbox.encode())
    deco.markers["chart"] = (chart, bar.encode())
    deco.links += [(second, "drawing", REL_DRAWING, drawing)]

    # 4. the comment on 外部結合!B2: comments part + its own VML part
    comments = pkg.fresh("xl/comments{}.xml")
    vml = pkg.fresh("xl/drawings/vmlDrawing{}.vml")
    blocks = [int(n) for name, data in pkg.parts.items() if name.endswith(".vml")
              for m in re.finditer(rb'<o:idmap\b[^>]*\bdata="([\d,\s]+)"', data) for n in re.findall(rb"\d+", m[1])]
    item = _comment()
    pkg.add(comments, _comments(item))
    pkg.add(vml, _vml(max(blocks, default=0) + 1))
    pkg.relate(linkages, REL_COMMENTS, comments)
    rid = pkg.relate(linkages, REL_VML, vml)
    sheet_element(linkages, "legacyDrawing", f'<legacyDrawing xmlns:r="{NS_R}" r:id="{rid}"/>'.encode())
    pkg.content_type(default=("vml", CT_VML), override=(comments, CT_COMMENTS))
    deco.markers["comment"] = (comments, item.encode())
    deco.links += [(second, "", REL_COMMENTS, comments), (second, "legacyDrawing", REL_VML, vml)]

    # 5. the conditional format on 外部結合 column C, with its dxf
    styles = "xl/styles.xml"
    dxf = len(re.findall(rb"<dxf>", pkg.parts[styles]))
    appended = _append_to_child(pkg.parts[styles], "dxfs", _DXF, count=True)
    pkg.parts[styles] = appended if appended is not None else _insert_child(
        pkg.parts[styles], b'<dxfs count="1">' + _DXF + b"</dxfs>", "dxfs", STYLESHEET_ORDER)
    priorities = [int(p) for p in re.findall(rb'<cfRule\b[^>]*\bpriority="(\d+)"', pkg.parts[linkages])]
    rule = _conditional_format(max(priorities, default=0) + 1, dxf)
    sheet_element(linkages, "conditionalFormatting", rule)
    deco.markers["conditional_format"] = (linkages, rule)

    # 6. the hyperlink on a filled cell of 外部結合 (C2, or the header C1 in a register without
    # rows): Excel puts a link's text in its cell, and openpyxl fills an empty linked cell with
    # the URL, which would add a 課 to the register
    cell = "C2" if _filled(pkg.parts[linkages], "C2") else "C1"
    deco.places["hyperlink"] = f"{second}!{cell}"
    rid = pkg.relate(linkages, REL_HYPERLINK, URL, external=True)
    link = f'<hyperlink xmlns:r="{NS_R}" ref="{cell}" r:id="{rid}" tooltip="参考：外部結合の手引き"/>'.encode()
    appended = _append_to_child(pkg.parts[linkages], "hyperlinks", link, count=False)
    pkg.parts[linkages] = appended if appended is not None else _insert_child(
        pkg.parts[linkages], b"<hyperlinks>" + link + b"</hyperlinks>", "hyperlinks", WORKSHEET_ORDER)
    deco.markers["hyperlink"] = (linkages, link)
    deco.links += [(second, "hyperlink", REL_HYPERLINK, URL)]

    for name in pkg.added:
        if name.endswith(".xml"):
            etree.fromstring(pkg.parts[name])  # well-formed, or fail here rather than in Excel
    for name in pkg.changed():
        if not name.endswith(".bin"):
            etree.fromstring(pkg.parts[name])
    pkg.write(dst)
    deco.added = set(pkg.added)
    deco.changed = pkg.changed()
    return deco


# --------------------------------------------------------------------------- after a later write

def _relationships(archive: zipfile.ZipFile, source: str) -> list[tuple[str, str, str]]:
    """(Id, Type, resolved target) of each relationship of part `source`; external targets as written."""
    name = _rels_part(source)
    if name not in archive.namelist():
        return []
    out = []
    for rel in etree.fromstring(archive.read(name)).iter(f"{{{NS_PKG_REL}}}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            target = _resolve(source, target)
        out.append((rel.get("Id"), rel.get("Type"), target))
    return out


def missing(path: Path, deco: Decorations) -> list[str]:
    """What of `deco`'s objects the file at `path` (a later write of ``deco.path``) has lost.

    Checks that every added part is there byte for byte, every marker is in its part, every
    sheet still has its relationship to each object and the element naming that relationship,
    and [Content_Types].xml still types every added part. An empty list: nothing lost.
    """
    lost = []
    with zipfile.ZipFile(deco.path) as before, zipfile.ZipFile(path) as after:
        names = set(after.namelist())
        for name in sorted(deco.added):
            if name not in names:
                lost.append(f"part {name} is gone")
            elif after.read(name) != before.read(name):
                lost.append(f"part {name} changed")
        for kind, (part, snippet) in sorted(deco.markers.items()):
            if part not in names or snippet not in after.read(part):
                lost.append(f"{kind}: marker not in {part}")
        sheets = sheet_parts(after)
        for sheet, element, rel_type, target in deco.links:
            part = sheets.get(sheet)
            if part not in names:
                lost.append(f"sheet {sheet} is gone")
                continue
            ids = [i for i, t, tgt in _relationships(after, part) if t == rel_type and tgt == target]
            if not ids:
                lost.append(f"{sheet}: no {rel_type.rsplit('/', 1)[-1]} relationship to {target}")
            elif element:
                root = etree.fromstring(after.read(part))
                named = {e.get(f"{{{NS_R}}}id") for e in root.iter(f"{{{NS_MAIN}}}{element}")}
                if not named & set(ids):
                    lost.append(f"{sheet}: no <{element}> names the relationship to {target}")
        types = etree.fromstring(after.read("[Content_Types].xml"))
        defaults = {e.get("Extension", "").lower() for e in types.iter(f"{{{NS_CT}}}Default")}
        overrides = {e.get("PartName", "").lstrip("/") for e in types.iter(f"{{{NS_CT}}}Override")}
        for name in sorted(deco.added):
            if not name.endswith(".rels") and name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults - {"xml"}:
                lost.append(f"[Content_Types].xml does not type {name}")
    return lost
