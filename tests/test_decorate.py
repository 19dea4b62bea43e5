"""tests/support/decorate.py: a register with what staff add by hand in Excel (a picture, a text
box, a chart, a comment, a conditional format, a hyperlink), added at the zip/XML level.

Here: the decorated file is a correct package (every other part byte for byte, each element at
its place), still the same register to xlkit, readable by openpyxl and LibreOffice, and
`decorate.missing` notices what a later write loses.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from support import SAMPLE, SOFFICE, needs_soffice
from support.buttons import BY_CAPTION
from support import decorate as deco_mod
from support.decorate import (CF_TEXT, CHART_TITLE, COMMENT, COMMENT_AUTHOR, NOTE, PNG_SIZE, URL,
                              WORKSHEET_ORDER, decorate, missing)
from xlkit.workbook import reader
from xlkit.workbook.builder import build
from xlkit.workbook.scan import sheet_parts

SAMPLES = {"xlsx": SAMPLE, "xlsm": SAMPLE.with_suffix(".xlsm")}
KINDS = {"picture", "textbox", "chart", "comment", "conditional_format", "hyperlink"}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def decorated(request, tmp_path_factory):
    """(source, Decorations) of workbooks/sample.xlsx and .xlsm, decorated once per module."""
    src = SAMPLES[request.param]
    return src, decorate(src, tmp_path_factory.mktemp("deco") / f"decorated{src.suffix}")


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _rels(parts: dict[str, bytes], name: str) -> dict[str, tuple[str, str]]:
    """Id -> (type's last word, Target) of the relationships in part `name`."""
    return {r.get("Id"): (r.get("Type").rsplit("/", 1)[-1], r.get("Target"))
            for r in etree.fromstring(parts[name]).iter(PKG_REL)}


# --------------------------------------------------------------------------- the PNG

def test_the_png_is_a_real_png():
    data = deco_mod.png()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        at += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width, height, depth, colour) == (*PNG_SIZE, 8, 2)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + 3 * width
    assert len(raw) == stride * height

    def pixel(x, y):
        return raw[y * stride + 1 + 3 * x:y * stride + 4 + 3 * x]

    assert pixel(width // 2, height // 2) == b"\xbc\x00\x2d"  # the red disc
    assert pixel(5, 5) == b"\xff\xff\xff" and pixel(0, 0) == b"\x80\x80\x80"


# --------------------------------------------------------------------------- the package

def test_only_the_changed_parts_differ_and_the_added_ones_are_there(decorated):
    src, deco = decorated
    before, after = _parts(src), _parts(deco.path)
    assert deco.changed <= before.keys() and not deco.added & before.keys()
    assert after.keys() == before.keys() | deco.added
    for name in before.keys() - deco.changed:
        assert after[name] == before[name], name
    for name in deco.changed:
        assert after[name] != before[name], name
    sheets = {"使い方": "xl/worksheets/sheet1.xml", "外部結合": "xl/worksheets/sheet2.xml"}
    with zipfile.ZipFile(src) as z:
        assert sheet_parts(z).items() >= sheets.items()
    expected_changed = {"[Content_Types].xml", "xl/styles.xml", *sheets.values(), "xl/worksheets/_rels/sheet2.xml.rels"}
    expected_added = {"xl/media/image1.png", "xl/drawings/drawing1.xml", "xl/drawings/drawing2.xml",
                      "xl/drawings/_rels/drawing1.xml.rels", "xl/drawings/_rels/drawing2.xml.rels",
                      "xl/charts/chart1.xml", "xl/comments1.xml"}
    if src.suffix == ".xlsm":  # 使い方 has rels (its buttons' VML), vmlDrawing1.vml is taken
        expected_changed.add("xl/worksheets/_rels/sheet1.xml.rels")
        expected_added.add("xl/drawings/vmlDrawing2.vml")
    else:
        expected_added |= {"xl/worksheets/_rels/sheet1.xml.rels", "xl/drawings/vmlDrawing1.vml"}
    assert (deco.changed, deco.added) == (expected_changed, expected_added)
    assert after["xl/media/image1.png"] == deco_mod.png()


def test_every_marker_is_in_its_part_and_nothing_is_missing(decorated):
    _, deco = decorated
    after = _parts(deco.path)
    assert deco.markers.keys() == KINDS
    for kind, (part, snippet) in deco.markers.items():
        assert part in deco.added | deco.changed, kind
        assert after[part].count(snippet) == 1, kind
    assert NOTE.encode() in deco.markers["textbox"][1] and b'txBox="1"' in deco.markers["textbox"][1]
    assert COMMENT.encode() in deco.markers["comment"][1]
    assert missing(deco.path, deco) == []


def test_changed_parts_keep_every_original_element_and_stay_well_formed(decorated):
    src, deco = decorated
    before, after = _parts(src), _parts(deco.path)
    for name in deco.changed | deco.added:
        if not name.endswith(".png"):
            etree.fromstring(after[name])  # raises if not well-formed
    for name in deco.changed:
        old_kids, _ = deco_mod._children(before[name])
        position = 0
        for local, start, end in old_kids:  # each original child, unchanged and in its order
            if name == "xl/styles.xml" and local == "dxfs":
                continue  # the one child decorate extends (an empty <dxfs count="0"/> gets its dxf)
            position = after[name].index(before[name][start:end], position)


@pytest.mark.parametrize("sheet", ["使い方", "外部結合"])
def test_worksheet_children_are_in_schema_order(decorated, sheet):
    _, deco = decorated
    parts = _parts(deco.path)
    with zipfile.ZipFile(deco.path) as z:
        part = sheet_parts(z)[sheet]
    names = [etree.QName(e).localname for e in etree.fromstring(parts[part])]
    ranks = [WORKSHEET_ORDER.index(n) for n in names]
    assert ranks == sorted(ranks), names
    expected = {"使い方": {"drawing"}, "外部結合": {"conditionalFormatting", "hyperlinks", "drawing", "legacyDrawing"}}
    assert expected[sheet] <= set(names)
    assert all(names.count(n) <= 1 for n in ("drawing", "legacyDrawing", "hyperlinks"))


def test_each_sheet_element_names_a_relationship_of_the_right_type(decorated):
    src, deco = decorated
    parts = _parts(deco.path)
    wanted = {"drawing": "drawing", "legacyDrawing": "vmlDrawing", "hyperlink": "hyperlink", "tablePart": "table"}
    for sheet in ("使い方", "外部結合"):
        with zipfile.ZipFile(deco.path) as z:
            part = sheet_parts(z)[sheet]
        rels = _rels(parts, deco_mod._rels_part(part))
        for element in etree.fromstring(parts[part]).iter():
            local = etree.QName(element).localname
            if local in wanted:
                assert rels[element.get(R_ID)][0] == wanted[local], (sheet, local)
    rels = _rels(parts, "xl/worksheets/_rels/sheet2.xml.rels")
    assert ("hyperlink", URL) in rels.values() and "comments" in {t for t, _ in rels.values()}
    assert len(rels) == len(set(rels))


def test_the_buttons_vml_of_the_xlsm_is_untouched_and_the_note_has_its_own_shape_ids(tmp_path):
    src = SAMPLES["xlsm"]
    deco = decorate(src, tmp_path / "deco.xlsm")
    parts = _parts(deco.path)
    sheet1 = etree.fromstring(parts["xl/worksheets/sheet1.xml"])
    (legacy,) = sheet1.iter(f"{MAIN}legacyDrawing")
    rels = _rels(parts, "xl/worksheets/_rels/sheet1.xml.rels")
    kind, target = rels[legacy.get(R_ID)]
    # XlsxWriter writes the target absolute, openpyxl relative to the sheet: the same part
    assert (kind, posixpath.normpath(posixpath.join("/xl/worksheets", target))) == ("vmlDrawing", "/xl/drawings/vmlDrawing1.vml")
    assert parts["xl/drawings/vmlDrawing1.vml"] == _parts(src)["xl/drawings/vmlDrawing1.vml"]
    assert b'<o:idmap v:ext="edit" data="1"/>' in parts["xl/drawings/vmlDrawing1.vml"]
    note = parts["xl/drawings/vmlDrawing2.vml"]
    assert b'data="2"' in note and b'id="_x0000_s2049"' in note and b'ObjectType="Note"' in note


# --------------------------------------------------------------------------- readers

def test_the_register_reads_the_same(decorated):
    src, deco = decorated
    old, new = reader.load(src), reader.load(deco.path)
    assert old.linkages and [(r.row, r.values) for r in new.linkages] == [(r.row, r.values) for r in old.linkages]
    assert new.issues == old.issues


def _load_quietly(path: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        book = openpyxl.load_workbook(path)
    assert [str(w.message) for w in caught] == []
    return book


def test_openpyxl_sees_the_comment_hyperlink_conditional_format_and_chart(decorated):
    src, deco = decorated
    book, original = _load_quietly(deco.path), openpyxl.load_workbook(src)
    ws = book["外部結合"]
    assert deco.places["hyperlink"] == "外部結合!C2"
    assert ws["B2"].comment is not None
    assert (ws["B2"].comment.text, ws["B2"].comment.author) == (COMMENT, COMMENT_AUTHOR)
    assert ws["C2"].hyperlink is not None and ws["C2"].hyperlink.target == URL
    assert ws["C2"].value == original["外部結合"]["C2"].value and ws["B2"].value == original["外部結合"]["B2"].value
    rules = [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]
    assert [(ref, r.type, r.text) for ref, r in rules] == [("C2:C1048576", "containsText", CF_TEXT)]
    dxf = book._differential_styles[rules[0][1].dxfId]
    assert dxf.fill.bgColor.rgb == "FFFFC7CE"
    (chart,) = ws._charts  # openpyxl keeps charts (the text box it drops; the picture too, without Pillow)
    assert chart.tagname == "barChart"
    assert [s.val.numRef.f for s in chart.series] == ["'外部結合'!$N$2:$N$11"]


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_a_freshly_built_register(tmp_path, make_linkage, suffix):
    src = build(tmp_path / f"r{suffix}", linkages=[make_linkage(i) for i in range(1, 4)])
    deco = decorate(src, tmp_path / f"d{suffix}")
    assert missing(deco.path, deco) == []
    old, new = reader.load(src), reader.load(deco.path)
    assert [(r.row, r.values) for r in new.linkages] == [(r.row, r.values) for r in old.linkages]
    assert len(new.linkages) == 3 and new.issues == old.issues
    ws = _load_quietly(deco.path)["外部結合"]
    assert ws["C2"].hyperlink.target == URL and ws["C2"].value == make_linkage(1)["division"]


def test_a_register_without_rows_gets_the_hyperlink_on_the_header(tmp_path):
    src = build(tmp_path / "empty.xlsx")
    deco = decorate(src, tmp_path / "d.xlsx")
    assert deco.places["hyperlink"] == "外部結合!C1" and missing(deco.path, deco) == []
    ws = _load_quietly(deco.path)["外部結合"]
    assert ws["C1"].hyperlink.target == URL and ws["C1"].value == "結合を行った課"
    assert ws["C2"].value is None and ws["C2"].hyperlink is None
    assert reader.load(deco.path).linkages == [] and reader.load(deco.path).issues == reader.load(src).issues


# --------------------------------------------------------------------------- missing()

def _rewrite(path: Path, out: Path, edit) -> Path:
    parts = _parts(path)
    edit(parts)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


def test_missing_notices_each_kind_of_loss(decorated, tmp_path):
    _, deco = decorated
    sheet2, rels2 = "xl/worksheets/sheet2.xml", "xl/worksheets/_rels/sheet2.xml.rels"

    def drop_drawing_element(parts):
        parts[sheet2] = re.sub(rb"<drawing\b[^>]*/>", b"", parts[sheet2], count=1)

    def drop_comments_rel(parts):
        parts[rels2] = parts[rels2].replace(b"/comments\"", b"/commentz\"")

    def touch_chart(parts):
        parts["xl/charts/chart1.xml"] = parts["xl/charts/chart1.xml"].replace(b"$N$11", b"$N$12")

    def drop_png(parts):
        del parts["xl/media/image1.png"]

    def untype_chart(parts):
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b'PartName="/xl/charts/chart1.xml"', b'PartName="/x"')

    cases = {drop_drawing_element: "no <drawing> names", drop_comments_rel: "no comments relationship",
             touch_chart: "part xl/charts/chart1.xml changed", drop_png: "part xl/media/image1.png is gone",
             untype_chart: "does not type xl/charts/chart1.xml"}
    for edit, words in cases.items():
        lost = missing(_rewrite(deco.path, tmp_path / f"{edit.__name__}{deco.path.suffix}", edit), deco)
        assert any(words in line for line in lost), (edit.__name__, lost)
    assert missing(_rewrite(deco.path, tmp_path / f"same{deco.path.suffix}", lambda parts: None), deco) == []


def test_an_openpyxl_save_loses_what_staff_added(decorated, tmp_path):
    """Why a register writer must work at the zip level: openpyxl drops the text box and rewrites the rest."""
    _, deco = decorated
    book = _load_quietly(deco.path)
    out = tmp_path / f"saved{deco.path.suffix}"
    book.save(out)
    lost = missing(out, deco)
    assert any(line.startswith("textbox:") for line in lost), lost
    assert any(line.startswith("conditional_format:") for line in lost), lost


# --------------------------------------------------------------------------- LibreOffice

def _soffice_pdf(book: Path, out: Path) -> Path:
    out.mkdir()
    done = subprocess.run([SOFFICE or "soffice", f"-env:UserInstallation={(out / 'profile').as_uri()}",
                           "--headless", "--norestore", "--nolockcheck", "--convert-to", "pdf",
                           "--outdir", str(out), str(book)], capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    pdf = out / f"{book.stem}.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stderr[-2000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    return pdf


@needs_soffice
def test_libreoffice_shows_the_picture_text_box_and_chart(decorated, tmp_path):
    _, deco = decorated
    book = shutil.copy(deco.path, tmp_path / f"deco{deco.path.suffix}")
    pdf = _soffice_pdf(Path(book), tmp_path / "pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    folded = "".join(text.split())
    assert NOTE in folded and CHART_TITLE in folded  # the text box's note, the chart's title
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in images.splitlines()[2:]]
    # page 1 is 使い方: the picture, at its pixel size
    assert [(r[0], r[3], r[4]) for r in rows] == [("1", str(PNG_SIZE[0]), str(PNG_SIZE[1]))]


def _uno_python() -> str | None:
    for candidate in ("/usr/bin/python3", sys.executable, shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0:
            return candidate
    return None


@needs_soffice
def test_libreoffice_still_binds_the_buttons_of_the_decorated_xlsm(tmp_path):
    python = _uno_python()
    if python is None:
        pytest.fail("LibreOffice is installed but no Python can import uno (install python3-uno)")
    deco = decorate(SAMPLES["xlsm"], tmp_path / "deco.xlsm")
    out = tmp_path / "report.json"
    script = Path(__file__).resolve().parent / "uno" / "lo_register.py"
    done = subprocess.run([python, str(script), "inspect", str(deco.path), str(out)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    controls = json.loads(out.read_text(encoding="utf-8"))["controls"]
    assert [(c["sheet"], c["label"]) for c in controls] == [
        ("使い方", label) for label in BY_CAPTION]
    for control in controls:
        assert any(e["method"] == "actionPerformed" and "VBAProject.xlkit.Xlkit" in e["code"] for e in control["events"])


def test_decorating_twice_is_refused(decorated, tmp_path):
    _, deco = decorated
    with pytest.raises(NotImplementedError, match="already has a DrawingML drawing"):
        decorate(deco.path, tmp_path / f"twice{deco.path.suffix}")
    assert not (tmp_path / f"twice{deco.path.suffix}").exists()
