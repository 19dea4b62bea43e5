"""The .xlsx reports printed as LibreOffice prints them with the IPAex fonts: as many pages as
the Word report (within one), no record cut by a page break or a wrapped line, 9 pt type,
Japanese line breaking, the (1) table's corner text clear of its diagonal, the 別紙's picture.

The sheet is laid out for the program layout.json's excel.print_with names. Both are printed
here: "LibreOffice" exactly as it will print, and "Excel" (the default), which LibreOffice,
whose IPAex digits are wider than ＭＳ 明朝's, shrinks to the page width.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlkit.export import api, layout, pdf, xlsx_writer
from xlkit.workbook.reader import load
from support import SAMPLE, needs_soffice

pytestmark = needs_soffice

MODES = ("Excel", "LibreOffice")
REPORTS = ("linkages", "cases")
A4_LANDSCAPE_TEXT_PT = (297 - 30) * 72 / 25.4  # the linkage report's printable width
IPAEX_BOX = 11.72 / 9  # pdftotext's word box height per point of IPAex type


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    """Each report as .docx and as .xlsx in each mode, with its PDF from LibreOffice."""
    out = tmp_path_factory.mktemp("print")
    book = load(SAMPLE)
    base = layout.load()
    files = {}
    for mode in (None, *MODES):
        variant = copy.deepcopy(base)
        if mode:
            variant["excel"]["print_with"] = mode
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(api, "load_layout", lambda path=None, v=variant: v)
            for report in REPORTS:
                suffix = "docx" if mode is None else "xlsx"
                path = out / f"{report}_{mode or 'word'}.{suffix}"
                if report == "linkages":
                    api.export_linkages(book, 2020, path)
                else:
                    api.export_cases(book, dt.date(2025, 2, 1), dt.date(2025, 6, 30), path)
                files[report, mode] = (path, pdf.convert(path, out, substitutes=base["pdf_font_substitutes"]))
    return files


def pages(pdf_path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def words(pdf_path: Path) -> list[list[dict]]:
    """Each page's words with their boxes (pdftotext -bbox)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True,
                         check=True).stdout
    out = []
    for page in xml.split("<page ")[1:]:
        out.append([{"x0": float(a), "y0": float(b), "x1": float(c), "y1": float(d), "text": t}
                    for a, b, c, d, t in re.findall(
                        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return out


def records(ws) -> list[list[int]]:
    """The sheet's rows grouped into records: rows joined by a vertical merge are one."""
    group = {r: r for r in range(1, ws.max_row + 1)}
    for rng in ws.merged_cells.ranges:
        for r in range(rng.min_row + 1, rng.max_row + 1):
            group[r] = group[rng.min_row]
    out: dict[int, list[int]] = {}
    for r in range(1, ws.max_row + 1):
        while group[group[r]] != group[r]:
            group[r] = group[group[r]]
        out.setdefault(group[r], []).append(r)
    return list(out.values())


def cell_texts(path: Path):
    """(sheet, row, text) of every cell with text, in sheet order."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.strip():
                    yield ws, c.row, c.value


# --- pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("report", REPORTS)
def test_the_excel_report_takes_as_many_pages_as_the_word_one(made, report, mode):
    word, excel = pages(made[report, None][1]), pages(made[report, mode][1])
    assert abs(excel - word) <= 1, (report, mode, word, excel)


@pytest.mark.parametrize("mode", MODES)
def test_the_linkage_report_prints_in_six_or_seven_pages(made, mode):
    assert 6 <= pages(made["linkages", mode][1]) <= 7


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("report", REPORTS)
def test_every_line_is_printed_whole_and_every_record_on_one_page(made, report, mode):
    """A line the program wrapped again would show split; a record a page break fell into would
    show its lines on two pages."""
    xlsx, printed = made[report, mode]
    on_page = words(printed)
    wb = openpyxl.load_workbook(xlsx)
    checked = 0
    for ws in wb.worksheets:
        for rows in records(ws):
            found: set[int] | None = None
            for r in rows:
                for c in ws[r]:
                    if not isinstance(c.value, str):
                        continue
                    tokens = c.value.replace("\u3000", " ").split()
                    if c.alignment.horizontal == "distributed":  # 「事　業　名」: a word per character
                        tokens = [ch for t in tokens for ch in t]
                    for token in tokens:
                        hits = {n for n, page in enumerate(on_page) if any(token in w["text"] for w in page)}
                        assert hits, (ws.title, c.coordinate, token)
                        found = hits if found is None else found & hits
                        checked += 1
            assert found is None or found, (ws.title, rows)
    assert checked > 500


@pytest.mark.parametrize("report", REPORTS)
def test_the_lines_are_no_further_apart_than_the_row_heights_allow(made, report):
    """Each row is as tall as its lines at the line pitch the writer assumes for LibreOffice: the
    pitch LibreOffice really prints must not be larger, or the last lines of a cell are clipped
    (clipped text still shows in pdftotext, so the lines above cannot tell)."""
    gaps = []
    for page in words(made[report, "LibreOffice"][1]):
        by_column: dict[int, list[dict]] = {}
        for w in page:
            by_column.setdefault(round(w["x0"]), []).append(w)
        for column in by_column.values():
            column.sort(key=lambda w: w["y0"])
            for upper, lower in zip(column, column[1:]):
                size = (upper["y1"] - upper["y0"]) / IPAEX_BOX
                gap = lower["y0"] - upper["y0"]
                if 0 < gap < 1.2 * size and abs((lower["y1"] - lower["y0"]) - (upper["y1"] - upper["y0"])) < 0.1:
                    gaps.append((gap / size, upper["text"], lower["text"]))
    assert len(gaps) > 100
    assert max(gaps)[0] <= xlsx_writer.LIBREOFFICE.line_em + 0.02, max(gaps)


def test_a_record_too_tall_for_one_row_continues_below_and_moves_to_a_new_page_whole(tmp_path):
    """A record taller than Excel's 409 pt row continues in the rows below, with a manual page
    break before it when it would not fit the rest of the page."""
    from xlkit.export.model import Document, Para, Sheet, Table, TableColumn
    long = "外部結合に係る個人情報記録の項目、" * 75  # about 40 lines of 31 characters: 450 pt
    table = Table([TableColumn(20), TableColumn(100)], [["No.", "項目"]],
                  [["1", "短い"], ["2", "短い"], ["3", long]])
    report = Document("t", "landscape", {"top": 15, "bottom": 15, "left": 15, "right": 15},
                      [Sheet("表", [Para("見出し"), table])])
    out = tmp_path / "tall.xlsx"
    xlsx_writer.write(report, out, layout.load())
    ws = openpyxl.load_workbook(out).active
    heights = [d.height for d in ws.row_dimensions.values() if d.height]
    assert max(heights) <= xlsx_writer.MAX_ROW_PT
    third = [rng for rng in ws.merged_cells.ranges if rng.min_col == 1 and rng.max_row > rng.min_row]
    assert third, "the short cells of the tall record are merged down its rows"
    start = third[0].min_row
    assert ws.cell(start, 1).value == "3"
    breaks = [b.id for b in ws.row_breaks.brk]
    assert start - 1 in breaks  # the break is after the row above it: the record starts a page
    joined = "".join(ws.cell(r, 2).value or "" for r in range(start, third[0].max_row + 1))
    assert joined.replace("\n", "") == long


# --- type, widths and lines --------------------------------------------------------------

@pytest.mark.parametrize("report", REPORTS)
def test_type_is_9_pt_or_larger(made, report):
    for mode in MODES:
        for ws, row, _ in cell_texts(made[report, mode][0]):
            for c in ws[row]:
                if c.value is not None:
                    assert c.font.sz >= 9, (mode, ws.title, c.coordinate, c.font.sz)
    # printed for LibreOffice, the type is as large on paper: nothing shrinks the sheet
    sizes = [(w["y1"] - w["y0"]) / IPAEX_BOX for page in words(made[report, "LibreOffice"][1]) for w in page
             if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", w["text"])]
    assert min(sizes) >= 8.95


def test_the_columns_fill_the_page_at_100_percent_in_the_program_they_are_made_for(made):
    for mode, metrics in (("Excel", xlsx_writer.EXCEL), ("LibreOffice", xlsx_writer.LIBREOFFICE)):
        wb = openpyxl.load_workbook(made["linkages", mode][0])
        for ws in wb.worksheets:
            px = sum(round(d.width * 7) * (d.max - d.min + 1) for d in ws.column_dimensions.values())
            printed = px * metrics.pt_per_px
            assert 0.97 * A4_LANDSCAPE_TEXT_PT <= printed <= A4_LANDSCAPE_TEXT_PT, (mode, ws.title, printed)


@pytest.mark.parametrize("report", REPORTS)
def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(made, report):
    """Excel and LibreOffice would break anywhere: every wrapped line is broken by xlkit."""
    checked = 0
    for mode in MODES:
        for ws, row, text in cell_texts(made[report, mode][0]):
            for line in text.split("\n"):
                checked += 1
                assert not line.startswith(("）", "、", "。", "」")), (ws.title, row, line)
                assert not line.endswith(("（", "「")), (ws.title, row, line)
    assert checked > 1000


def test_the_headers_wrap_between_words(made):
    wb = openpyxl.load_workbook(made["linkages", "Excel"][0])
    ws = wb[layout.load()["linkages"]["new"]["sheet"]]
    header = [c.value for c in ws[2]]
    assert header[1].split("\n") == ["結合を", "行った課"]
    assert header[6].split("\n")[0] in ("特定個人", "特定", "特定個人情報の")
    assert all(not part.startswith(("た", "人情", "の有")) for h in header for part in h.split("\n")[1:])


# --- the (1) table's corner ----------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_the_corner_text_is_clear_of_the_diagonal(made, mode):
    """「件数」 above the line at the top right, 「実施機関」 below it at the bottom left."""
    xlsx, printed = made["linkages", mode]
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    corner = next(c for row in ws.iter_rows() for c in row
                  if isinstance(c.value, str) and c.value.split("\n")[0].strip() == "件数")
    assert corner.value.split("\n")[-1] == "実施機関"
    assert corner.border.diagonalDown and corner.border.diagonal.style == "thin"
    rng = next(r for r in ws.merged_cells.ranges if corner.coordinate in r)
    page = words(printed)[0]
    count = next(w for w in page if w["text"] == "件数")
    body = next(w for w in page if w["text"] == "実施機関")
    # the cell as printed: its left edge just before 実施機関, its top just above 件数, its size
    # from the sheet (LibreOffice may have shrunk the sheet to the page: scale from the text)
    scale = (count["y1"] - count["y0"]) / (IPAEX_BOX * 9)
    width = ws.column_dimensions["A"].width * 7 * xlsx_writer.LIBREOFFICE.pt_per_px * scale
    height = sum(ws.row_dimensions[r].height for r in range(rng.min_row, rng.max_row + 1)) * scale
    x0, y0 = body["x0"] - 2 * scale, count["y0"] - 2.5 * scale
    assert count["x0"] > x0 + width / 2 and body["y0"] > y0 + height / 2
    line_at = lambda x: y0 + (x - x0) * height / width  # noqa: E731 (the diagonal's y at x)
    assert count["y1"] < line_at(count["x0"]), (count, x0, y0, width, height)
    assert body["y0"] > line_at(body["x1"]), (body, x0, y0, width, height)


# --- the 別紙's picture ---------------------------------------------------------------------

def test_an_attached_picture_is_placed_under_its_case_scaled_to_the_page(made):
    xlsx, printed = made["cases", "Excel"]
    with zipfile.ZipFile(xlsx) as z:
        media = [n for n in z.namelist() if n.startswith("xl/media/")]
        drawings = [z.read(n).decode() for n in z.namelist() if re.match(r"xl/drawings/drawing\d+\.xml$", n)]
    assert media and drawings
    cx, cy = map(int, re.search(r'<a:ext cx="(\d+)" cy="(\d+)"', drawings[0]).groups())
    width_mm, height_mm = cx / 36000, cy / 36000
    assert 100 < width_mm <= 170 and 0 < height_mm < 297 - 38
    images = subprocess.run(["pdfimages", "-list", str(printed)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) >= 3  # the header lines and at least one image
    # the picture's page is the 別紙 of №1, below 「個人情報の流れ及び情報保護対策」
    page = int(images.strip().splitlines()[2].split()[0]) - 1
    text = "".join(w["text"] for w in words(printed)[page])
    assert "（№１）" in text and "別紙のとおり" in text


def test_a_picture_taller_than_an_excel_row_spans_rows_and_keeps_its_size(tmp_path):
    """A portrait flow diagram is taller than Excel's 409 pt row: one row would be cut to 409 pt
    and the picture squeezed with it. It spans rows instead, each within the limit."""
    from support.images import image_bytes
    from xlkit.export.model import Document, Para, Picture, Sheet
    report = Document("t", "portrait", {"top": 20, "bottom": 18, "left": 20, "right": 20},
                      [Sheet("別紙", [Para("見出し"), Picture(image_bytes("PNG", (600, 1000)), 150, 250, "flow.png")])])
    out = tmp_path / "tall_picture.xlsx"
    xlsx_writer.write(report, out, layout.load())
    ws = openpyxl.load_workbook(out).active
    heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
    assert max(heights.values()) <= xlsx_writer.MAX_ROW_PT
    picture_rows = [r for r in heights if r > 1]
    assert len(picture_rows) >= 2 and sum(heights[r] for r in picture_rows) >= 250 * 72 / 25.4
    with zipfile.ZipFile(out) as z:
        drawing = z.read("xl/drawings/drawing1.xml").decode()
    first, last = (int(n) for n in re.findall(r"<xdr:row>(\d+)</xdr:row>", drawing))
    assert last > first  # anchored across the rows, so it moves and sizes with them
    cy = int(re.search(r'<a:ext cx="\d+" cy="(\d+)"', drawing).group(1))
    assert abs(cy / 36000 - 250) < 1  # printed at the size asked


def test_an_unknown_program_in_the_layout_file_is_named_in_japanese(tmp_path):
    from xlkit.errors import XlkitError
    from xlkit.export.model import Document, Para, Sheet
    bad = copy.deepcopy(layout.load())
    bad["excel"]["print_with"] = "Numbers"
    report = Document("t", "portrait", {"top": 20, "bottom": 20, "left": 20, "right": 20}, [Sheet("s", [Para("本文")])])
    with pytest.raises(XlkitError) as caught:
        xlsx_writer.write(report, tmp_path / "x.xlsx", bad)
    assert "print_with" in str(caught.value) and "「Numbers」" in str(caught.value)
    assert not (tmp_path / "x.xlsx").exists()


# --- the 外部提供 sheet and the header block -----------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_the_provision_sheet_prints_landscape_between_portrait_pages_numbered_on(made, mode):
    xlsx, printed = made["cases", mode]
    wb = openpyxl.load_workbook(xlsx)
    assert [ws.page_setup.orientation for ws in wb.worksheets] == ["portrait", "portrait", "landscape", "portrait"]
    pages_words = words(printed)
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(len(pages_words)), str(printed)],
                           capture_output=True, text=True, check=True).stdout
    wide = [int(n) for n, w, h in re.findall(r"Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)", sizes) if float(w) > float(h)]
    texts = ["".join(w["text"] for w in page) for page in pages_words]
    table = [n for n, t in enumerate(texts, start=1) if "外部提供を行った理由" in t.replace("\n", "")
             or "外部提供について（10件）" in t]
    assert wide == table and len(wide) == 1  # the ten provisions fit one landscape page, as in the 資料
    assert "（№３０）" in texts[wide[-1]] and "（№２９）" in texts[wide[0] - 2]
    # the footers count on across the worksheets: - 1 - … - N -
    footers = ["".join(w["text"] for w in page if w["y0"] > max(v["y0"] for v in page) - 2) for page in pages_words]
    assert footers == [f"-{n}-" for n in range(1, len(pages_words) + 1)]


def test_a_paragraph_of_a_set_width_spans_the_rightmost_columns_closest_to_it(tmp_path):
    from xlkit.export.model import Document, Para, Sheet, Table, TableColumn
    table = Table(columns=[TableColumn(w) for w in (10, 72, 30, 22, 20, 16)], header=[["a"] * 6], rows=[])
    report = Document("t", "portrait", {"top": 20, "bottom": 20, "left": 20, "right": 20},
                      [Sheet("一覧", [Para("新宿区情報公開・個人情報保護審議会資料", align="distribute", box=True, width_mm=105),
                                     Para("（資料１）", align="right"), table]),
                       Sheet("横", [Para("横向きの表題")], orientation="landscape")])
    path = tmp_path / "x.xlsx"
    xlsx_writer.write(report, path, layout.load())
    wb = openpyxl.load_workbook(path)
    ws = wb["一覧"]
    spans = {r.min_row: (r.min_col, r.max_col) for r in ws.merged_cells.ranges}
    assert spans[1] == (3, 6)  # 30 + 22 + 20 + 16 = 88 mm, closer to 105 than 58 or 160
    assert spans[2] == (1, 6)
    assert ws["C1"].alignment.horizontal == "distributed" and ws["C1"].border.left.style == "thin"
    assert (ws.page_setup.orientation, wb["横"].page_setup.orientation) == ("portrait", "landscape")
    # the landscape sheet's grid is laid out for its wider text area
    widths = [xlsx_writer.text_width_mm(report, o) for o in ("portrait", "landscape")]
    assert widths == [170, 257]
