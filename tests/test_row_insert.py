"""The one engine that inserts rows in the middle of a sheet (xlkit.workbook.row_insert), used by
`xlkit reorganise` (the 課 sheet) and `xlkit upgrade` (使い方's button rows): what it moves as
Excel's 「行の挿入」 moves it — pictures and shapes by their placement, notes, threaded comments,
the selection, page breaks, x14 ranges, names of the sheet itself — in either quote, what it
refuses, and LibreOffice opening what it wrote.

(tests/test_reorganise.py and tests/test_upgrade.py try it end to end through both commands.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from support import SAMPLE, SOFFICE, needs_soffice, run_cli
from support.decorate import png
from support.zips import members, rewrite_member
from xlkit import schema, tasks
from xlkit.errors import XlkitError
from xlkit.workbook import design, row_insert, sheet_xml
from xlkit.workbook.package import Package

DIVISION = schema.division()
RENAME = "旧課名\t新課名\t種別\n戸籍住民課\t戸籍課\t名称変更\n"  # a new row below 11: rows 12–37 move down one
SHIFT = sheet_xml.RowShift({10: 2})  # two rows below row 10: row 11 (10 counted from 0) becomes row 13


def single_quoted(xml: bytes) -> bytes:
    """A part with every attribute in single quotes, as XML allows and some writers write them."""
    return re.sub(rb'(\s[\w:.-]+)="([^"\']*)"', rb"\1='\2'", xml)


# --------------------------------------------------------------------------- pictures and shapes


def _anchor(kind: str, rows: tuple[tuple[int, int], ...], placement: str = "") -> bytes:
    """A DrawingML anchor with its corners at (row counted from 0, row offset)."""
    corners = "".join(f"<xdr:{name}><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>"
                      f"<xdr:rowOff>{offset}</xdr:rowOff></xdr:{name}>" for name, (row, offset) in zip(("from", "to"), rows))
    return f"<xdr:{kind}{placement}>{corners}<xdr:sp/><xdr:clientData/></xdr:{kind}>".encode()


def _corner_rows(xml: bytes) -> list[list[int]]:
    return [[int(r) for r in re.findall(rb"<xdr:row>(\d+)</xdr:row>", a)]
            for a in re.findall(rb"<xdr:\w+Anchor\b.*?</xdr:\w+Anchor>", xml, re.S)]


@pytest.mark.parametrize("kind, rows, placement, moved", [
    ("oneCellAnchor", ((20, 0),), "", [22]),  # below: moves whole
    ("oneCellAnchor", ((3, 0),), "", [3]),  # above: stays
    ("twoCellAnchor", ((5, 0), (15, 0)), "", [5, 17]),  # across the new rows: grows over them
    ("twoCellAnchor", ((10, 0), (12, 30)), "", [12, 14]),  # from the top of row 11 on: moves
    ("twoCellAnchor", ((8, 0), (10, 0)), "", [8, 10]),  # ends right above the new rows: stays
    ("twoCellAnchor", ((8, 0), (10, 5)), "", [8, 12]),  # ends inside row 11: grows
    ("twoCellAnchor", ((5, 0), (15, 0)), " editAs='oneCell'", [5, 15]),  # move, don't size: its top stays
    ("twoCellAnchor", ((12, 0), (14, 0)), ' editAs="oneCell"', [14, 16]),
    ("twoCellAnchor", ((20, 0), (22, 0)), " editAs='absolute'", [20, 22]),  # neither moves nor sizes
    ("absoluteAnchor", (), "", []),
], ids=["one-cell-below", "one-cell-above", "across", "from-the-first-moved-row", "ends-above",
        "ends-inside", "one-cell-placement-across", "one-cell-placement-below", "absolute", "absolute-anchor"])
def test_pictures_and_shapes_move_as_excel_moves_them(kind, rows, placement, moved):
    xml = b"<xdr:wsDr>" + _anchor(kind, rows, placement) + b"</xdr:wsDr>"
    after = row_insert._moved_drawing(xml, SHIFT)
    assert _corner_rows(after) == [moved]
    assert after.replace(b"<xdr:row>", b"").count(b"<") == xml.replace(b"<xdr:row>", b"").count(b"<")  # only rows changed


def test_notes_and_form_buttons_of_a_legacy_drawing_move_in_either_quote():
    vml = (b"<x:ClientData ObjectType='Note'><x:Anchor>3, 15, 8, 10, 5, 15, 12, 4</x:Anchor><x:Row>11</x:Row>"
           b"<x:Column>2</x:Column></x:ClientData>"  # a note on C12 whose box starts above the new rows
           b"<x:ClientData ObjectType='Button'><x:Anchor>1, 4, 10, 3, 1, 154, 11, 37</x:Anchor></x:ClientData>"
           b"<x:ClientData ObjectType='Button'><x:Anchor>1, 4, 9, 0, 1, 154, 10, 0</x:Anchor></x:ClientData>")
    moved = row_insert._moved_vml(vml, SHIFT)
    assert b"<x:Anchor>3, 15, 10, 10, 5, 15, 14, 4</x:Anchor><x:Row>13</x:Row>" in moved  # the box with its cell
    assert b"<x:Anchor>1, 4, 12, 3, 1, 154, 13, 37</x:Anchor>" in moved  # a button below moves
    assert b"<x:Anchor>1, 4, 9, 0, 1, 154, 10, 0</x:Anchor>" in moved  # one ending right above the new rows stays


def test_a_name_is_moved_only_on_the_sheet_itself():
    pattern = re.compile(row_insert._sheet_pattern("O'Brien 課"))
    assert pattern.match("'O''Brien 課'!".encode()) and pattern.match("&apos;O&apos;&apos;Brien 課&apos;!".encode())
    pattern = re.compile(row_insert._sheet_pattern("課"))
    found = [m[0].decode() for m in pattern.finditer("課!A1 '課'!A2 '旧課'!A3 旧課!A4 [1]課!A5 'x課'!A6".encode())]
    assert found == ["課!", "'課'!"]


# --------------------------------------------------------------------------- the engine on a whole sheet


def _new_rows(sheet: sheet_xml.Sheet, _row: int, numbers: list[int]) -> bytes:
    return b"".join(sheet.row_xml({b"r": str(n).encode()}, {1: sheet_xml.text_cell(f"新{n}", None, sheet)})
                    for n in numbers)


def _marked_book(path: Path) -> Path:
    """A workbook whose sheet 課 (A1:C40, every attribute in single quotes) has what points at its
    rows: a merge, a note and a threaded comment on A30, the selection and top left cell shown,
    page breaks after rows 10 and 20, an x14 validation, a print area and names on it and on 旧課."""
    from openpyxl.comments import Comment
    from openpyxl.worksheet.pagebreak import Break

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "課"
    for r in range(1, 41):
        ws.cell(r, 1).value = f"行{r}"
    ws.merge_cells("B30:C31")
    ws["A30"].comment = Comment("メモ", "区政情報課")
    ws.row_breaks.append(Break(id=10))
    ws.row_breaks.append(Break(id=20))
    ws.print_area = "A1:C40"
    wb.create_sheet("集計")["A1"] = "集計"
    wb.save(path)
    with Package(path) as package:
        part = package.sheet_part("課")
    x14 = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           '<x14:dataValidation type="list"><x14:formula1><xm:f>"a,b"</xm:f></x14:formula1>'
           '<xm:sqref>G2:G40 H15</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')
    rewrite_member(path, part, lambda d: single_quoted(re.sub(
        rb"<sheetViews>.*?</sheetViews>",
        b'<sheetViews><sheetView workbookViewId="0" topLeftCell="A20"><selection activeCell="C25" sqref="C25 A2:A12"/>'
        b"</sheetView></sheetViews>", d, flags=re.S).replace(b"</worksheet>", x14.encode() + b"</worksheet>")))
    rewrite_member(path, "xl/workbook.xml", lambda d: re.sub(
        rb"(<definedNames>)", "\\1<definedName name='旧の欄'>'旧課'!$A$30</definedName>"
        "<definedName name='課の欄'>課!$A$30,課!$A$5</definedName>".encode(), d))
    threaded = (b"<ThreadedComments xmlns='http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments'>"
                b"<threadedComment ref='A30' dT='2021-04-01T00:00:00.00' personId='{1}' id='{2}'><text>t</text>"
                b"</threadedComment></ThreadedComments>")
    folder, name = part.rsplit("/", 1)
    rels = f"{folder}/_rels/{name}.rels"
    rewrite_member(path, rels, lambda d: d.replace(b"</Relationships>", (
        b'<Relationship Id="rIdTc" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" '
        b'Target="../threadedComments/threadedComment1.xml"/></Relationships>')))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/threadedComments/threadedComment1.xml", threaded)
    return path


@pytest.mark.filterwarnings("ignore:Data Validation extension is not supported")  # openpyxl, reading x14's
def test_the_rows_below_and_what_points_at_them_move_in_either_quote(tmp_path):
    path = _marked_book(tmp_path / "marked.xlsx")
    with Package(path) as package:
        part = package.sheet_part("課")
        row_insert.insert(package, "課", {10: 2}, _new_rows)
        package.save(tmp_path / "after.xlsx")
    after = members(tmp_path / "after.xlsx")
    sheet = after[part]
    numbers = [int(n) for n in re.findall(rb"<row\b[^>]*?\sr=['\"](\d+)", sheet)]
    assert numbers == list(range(1, 43))  # each row once, in order
    ws = openpyxl.load_workbook(tmp_path / "after.xlsx")["課"]
    assert [ws.cell(r, 1).value for r in (10, 11, 12, 13, 42)] == ["行10", "新11", "新12", "行11", "行40"]
    assert [str(m) for m in ws.merged_cells.ranges] == ["B32:C33"]
    assert ws["A32"].comment.text.strip().endswith("メモ")
    assert [b.id for b in ws.row_breaks.brk] == [10, 22]  # the break after row 10 stays above the new rows
    assert b"topLeftCell='A22'" in sheet and b"activeCell='C27' sqref='C27 A2:A14'" in sheet
    assert b"<xm:sqref>G2:G42 H17</xm:sqref>" in sheet  # x14's, grown across the new rows
    assert b"<dimension ref='A1:C42'/>" in sheet
    assert b"ref='A32'" in after["xl/threadedComments/threadedComment1.xml"]
    names = after["xl/workbook.xml"].decode()
    assert "'旧課'!$A$30<" in names and ">課!$A$32,課!$A$5<" in names and "'課'!$A$1:$C$42<" in names


def test_a_formula_or_a_chart_pointing_at_the_rows_that_move_is_refused(tmp_path):
    path = _marked_book(tmp_path / "marked.xlsx")
    with Package(path) as package:
        summary = package.sheet_part("集計")
    pointing = tmp_path / "pointing.xlsx"
    shutil.copyfile(path, pointing)
    rewrite_member(pointing, summary, lambda d: d.replace(b"</c>", '</c><c r="B1"><f>課!A30</f></c>'.encode(), 1))
    with Package(pointing) as package, pytest.raises(XlkitError) as refused:
        row_insert.insert(package, "課", {10: 2}, _new_rows)
    assert "「集計」シートに「課」シートの10行目より下の行を指す数式があるため" in refused.value.message
    assert "登録簿は変えていません" in refused.value.message
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/charts/chart1.xml", "<c:chartSpace xmlns:c='c'><c:f>'課'!$A$2:$A$40</c:f></c:chartSpace>")
    with Package(path) as package, pytest.raises(XlkitError) as refused:
        row_insert.insert(package, "課", {10: 2}, _new_rows)
    assert "グラフに「課」シートの10行目より下の行を指す数式がある" in refused.value.message
    with Package(path) as package:  # a chart of the rows above the new ones stays as it is
        package.write("xl/charts/chart1.xml", "<c:chartSpace xmlns:c='c'><c:f>'課'!$A$2:$A$10</c:f></c:chartSpace>".encode())
        row_insert.insert(package, "課", {10: 2}, _new_rows)


def test_an_upgrade_refuses_a_formula_pointing_at_the_howto_rows_that_move(tmp_path, capsys):
    """使い方's new button rows go through the same engine: a formula elsewhere that points at the
    rows below them would point at other rows after the insert, so the upgrade refuses, untouched."""
    path = tmp_path / "登録簿.xlsx"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "format1_sample.xlsx", path)
    with Package(path) as package:
        summary = package.sheet_part(design.SUMMARY)
    rewrite_member(path, summary, lambda d: d.replace(b"</row>", "<c r='B1'><f>使い方!C20</f></c></row>".encode(), 1))
    before = path.read_bytes()
    code, _, err = run_cli(capsys, "upgrade", path)
    assert code == 2 and "「集計」シートに「使い方」シートの8行目より下の行を指す数式があるため" in err, err
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- LibreOffice


def _soffice_xlsx(book: Path, out: Path) -> Path:
    """`book` opened by LibreOffice and saved again as .xlsx: what LibreOffice made of it."""
    out.mkdir()
    done = subprocess.run([SOFFICE or "soffice", f"-env:UserInstallation={(out / 'profile').as_uri()}",
                           "--headless", "--norestore", "--nolockcheck", "--convert-to", "xlsx",
                           "--outdir", str(out), str(book)], capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    saved = out / f"{book.stem}.xlsx"
    assert done.returncode == 0 and saved.is_file(), done.stderr[-2000:]
    return saved


def _pictures(path: Path, *anchors: tuple[int, str]) -> Path:
    """The sample with pictures on the 課 sheet, each from Excel row `row` down two rows (column G),
    placed as Excel places a picture (editAs="oneCell") or as `placement` says."""
    pictures = "".join(
        f'<xdr:twoCellAnchor editAs="{placement}">'
        f'<xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
        f'<xdr:to><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row + 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
        f'<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="{i + 1}" name="図 {i}"/><xdr:cNvPicPr/></xdr:nvPicPr>'
        '<xdr:blipFill><a:blip r:embed="rIdImg"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
        '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/>'
        '</xdr:twoCellAnchor>' for i, (row, placement) in enumerate(anchors, start=1))
    drawing = ('<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
               'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
               f'{pictures}</xdr:wsDr>').encode()
    rel = b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">%s</Relationships>'
    with Package(SAMPLE) as package:
        part = package.sheet_part(DIVISION.sheet)
    folder, name = part.rsplit("/", 1)
    extra = {
        f"{folder}/_rels/{name}.rels": rel % (b'<Relationship Id="rIdPic" Target="../drawings/drawing9.xml" '
                                              b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"/>'),
        "xl/drawings/drawing9.xml": drawing,
        "xl/drawings/_rels/drawing9.xml.rels": rel % (b'<Relationship Id="rIdImg" Target="../media/image9.png" '
                                                      b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/>'),
        "xl/media/image9.png": png(),
    }
    with zipfile.ZipFile(SAMPLE) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = data.replace(b"</worksheet>", b'<drawing r:id="rIdPic"/></worksheet>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/>'
                                    b'<Override PartName="/xl/drawings/drawing9.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>')
            zout.writestr(info, data)
        for name, data in extra.items():
            zout.writestr(name, data)
    return path


def _picture_rows(path: Path) -> dict[str, int]:
    """Picture name -> the Excel row its top is on, from the 課 sheet's drawing."""
    with Package(path) as package:
        (drawing,) = package.related(package.sheet_part(DIVISION.sheet), "drawing")
        xml = package.read(drawing).decode()
    anchors = re.findall(r"<xdr:(?:twoCellAnchor|oneCellAnchor)\b.*?</xdr:(?:twoCellAnchor|oneCellAnchor)>", xml, re.S)
    return {re.search(r'<xdr:cNvPr [^>]*name="([^"]*)"', a)[1]: int(re.search(r"<xdr:row>(\d+)</xdr:row>", a)[1]) + 1
            for a in anchors}


@needs_soffice
def test_libreoffice_shows_a_picture_below_moved_with_its_row_and_an_absolute_one_where_it_was(tmp_path, capsys):
    path = _pictures(tmp_path / "pictures.xlsx", (30, "oneCell"), (33, "absolute"), (5, "oneCell"))
    table = tmp_path / "rename.txt"
    table.write_text(RENAME, encoding="utf-8")
    code, _, err = run_cli(capsys, "reorganise", path, table, "--from", "2021-04-01")
    assert code == 0, err
    assert _picture_rows(path) == {"図 1": 31, "図 2": 33, "図 3": 5}
    saved = _soffice_xlsx(path, tmp_path / "lo")
    assert _picture_rows(saved) == {"図 1": 31, "図 2": 33, "図 3": 5}  # where LibreOffice shows them
    ws = openpyxl.load_workbook(saved)[DIVISION.sheet]
    assert [ws.cell(r, 1).value for r in (11, 12, 31)] == ["戸籍住民課", "戸籍課", "建築指導課"]


@needs_soffice
def test_libreoffice_opens_an_upgraded_howto_that_was_written_in_single_quotes(tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "format1_sample.xlsx"  # four buttons: three rows to add
    path = tmp_path / "登録簿.xlsx"
    shutil.copyfile(fixture, path)
    howto = "xl/worksheets/sheet1.xml"
    rewrite_member(path, howto, single_quoted)
    assert tasks.upgrade(path).written

    def grid(book: Path) -> list[list]:
        rows = [list(row[:3]) for row in openpyxl.load_workbook(book)[design.HOWTO].iter_rows(values_only=True)]
        while rows and not any(rows[-1]):
            rows.pop()
        return rows

    shown = grid(_soffice_xlsx(path, tmp_path / "lo"))
    helps = [row[2] for row in shown if len(row) > 2 and row[2] in {b.help for b in design.BUTTONS}]
    assert helps == [b.help for b in design.BUTTONS]
    assert shown == grid(path) and len(shown) == len(grid(fixture)) + len(design.BUTTONS) - 4 + 1  # + 外部提供's line (format 5)
