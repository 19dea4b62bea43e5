"""The 集計 button lays out table (1) as the linkage report prints it.

Through xlwings' remote engine: the actions are read back (borders, merges, widths, row heights,
fill, the two-line corner with its diagonal, the values), then replayed onto the register file
with openpyxl and opened in LibreOffice. The labels are held to the published wording written
out here, the figures to what `xlkit summarize` prints, and the layout to layout.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from xlkit import cli, macros, summary_sheet, tasks
from xlkit.export import layout
from xlkit.workbook import design
from xlkit.workbook.builder import build
from xlkit.workbook.reader import load
from support import SAMPLE, fold, needs_soffice
from support.payload import apply_actions, office_js_payload, remote_book

SUMMARY = list(design.sheet_order()).index(design.SUMMARY)
PT_PER_MM = 72 / 25.4
# table (1) of the published report (../shared/reference/003_…), written out: 令和2年度's labels
LABELS = ["令和元年度外部電子計算機との結合数", "新たな外部電子計算機との結合数",
          "終了した外部電子計算機との結合数(令和元年度まで外部結合を行い、令和2年度中は外部結合を行わなかったもの)",
          "令和2年度外部電子計算機との結合数", "内、特定個人情報の取扱いがあるものの数"]
LETTERS = ["a", "b", "c", "a+b-c"]
SIDES = {"edge_top", "edge_bottom", "edge_left", "edge_right", "inside_vertical", "inside_horizontal"}


def run(path: Path) -> list[dict]:
    book = remote_book(office_js_payload(path))
    macros.summarize(book)
    return book.json()["actions"]


def cells(action) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column), 1-based, of an action's range."""
    r, c = action["start_row"] + 1, action["start_column"] + 1
    return r, c, r + action["row_count"] - 1, c + action["column_count"] - 1


def of(actions, func) -> list[dict]:
    return [a for a in actions if a["func"] == func]


def cli_rows(path: Path, capsys) -> list[list]:
    cli.main(["summarize", str(path), "--json"])
    out, _ = capsys.readouterr()
    return [[r["実施機関"], r["a"], r["b"], r["c"], r["a+b-c"], r["特定個人情報"]] for r in json.loads(out)["rows"]]


def test_the_sheet_holds_table_one_as_the_report_lays_it_out(capsys):
    actions = run(SAMPLE)
    lay = layout.load()["linkages"]["summary"]
    bodies = load(SAMPLE).bodies
    n = 2 + len(bodies) + 1  # two header rows, one row per 実施機関, 合計
    top, bottom = 3, 3 + n - 1

    # the button writes to 集計 only
    assert {a["sheet_position"] for a in actions if a["func"] != "alert"} == {SUMMARY}
    # the previous run's values and formats go first, before anything is written
    assert [a["func"] for a in actions[:3]] == ["sheetClearContents", "sheetClearFormats", "setValues"]

    [block] = of(actions, "setValues")
    values = block["values"]
    corner, *labels = values[top - 1]
    assert [fold(x) for x in labels] == LABELS
    assert [fold(x) for x in values[top][1:5]] == LETTERS and values[top][0] == values[top][5] == ""
    # the corner on two lines, 件数 pushed to the right, 実施機関 at the bottom left
    first, *between, last = corner.split("\n")
    assert first.strip("\u3000") == "件数" and len(first) - len("件数") >= 4
    assert last == "実施機関" and between and all(x == "" for x in between)
    # the figures `xlkit summarize` prints, as numbers
    assert values[top + 1:bottom] == cli_rows(SAMPLE, capsys)
    assert values[bottom][0] == lay["footnote"]

    # borders on every cell of the table, from its header to 合計
    borders = of(actions, "setBorderProperty")
    grid = [a for a in borders if a["args"][0] in SIDES]
    assert {cells(a) for a in grid} == {(top, 1, bottom, 6)}
    assert {(a["args"][0], a["args"][2]) for a in grid if a["args"][1] == "line_style"} == {
        (side, "continuous") for side in SIDES}
    # the corner: one merged cell over both header rows with its diagonal; 特定個人情報 likewise
    assert sorted(cells(a) for a in of(actions, "rangeMerge")) == [(top, 1, top + 1, 1), (top, 6, top + 1, 6)]
    diagonal = [a for a in borders if a["args"][0] == "diagonal_down"]
    assert {cells(a) for a in diagonal} == {(top, 1, top + 1, 1)}
    assert ["diagonal_down", "line_style", "continuous"] in [a["args"] for a in diagonal]

    # the header: filled as in the report, centred, wrapped
    [fill] = of(actions, "setRangeColor")
    assert cells(fill) == (top, 1, top + 1, 6) and fill["args"][0] == "#" + layout.load()["header_fill"]
    assert (top, 1, top + 1, 6) in {cells(a) for a in of(actions, "setWrapText") if a["args"][0] is True}
    assert (top, 1, top + 1, 6) in {cells(a) for a in of(actions, "setHorizontalAlignment")
                                     if a["args"][0] == "Center"}

    # column widths from the report's widths_mm (the remote engine takes points)
    widths = {cells(a)[1]: a["args"][0] for a in of(actions, "setColumnWidth")}
    assert widths == {i: pytest.approx(mm * PT_PER_MM, abs=0.01) for i, mm in enumerate(lay["widths_mm"], 1)}

    # the table in the report's table type, the rest of the sheet in the register's
    size = layout.load()["sizes_pt"]["table"]
    sizes = {cells(a): a["args"][1] for a in of(actions, "setFontProperty") if a["args"][0] == "size"}
    assert sizes == {(1, 1, len(values), 6): 11, (top, 1, bottom, 6): size}

    # row heights: every table row at least the report's minimum; the label row tall enough for the
    # longest label wrapped in its column, one line per column width's worth of it
    heights = {}
    for a in of(actions, "setRowHeight"):
        r0, _, r1, _ = cells(a)
        heights.update({r: a["args"][0] for r in range(r0, r1 + 1)})
    assert set(heights) == set(range(top, bottom + 1))
    assert min(heights.values()) >= lay["min_row_mm"] * PT_PER_MM
    need = max(-(-len(label) * size // (mm * PT_PER_MM - 4)) for label, mm in zip(LABELS, lay["widths_mm"][1:]))
    assert need >= 3 and heights[top] >= need * size * 1.3

    [alert] = of(actions, "alert")
    assert "令和2年度の集計を「集計」シートに書き出しました" in alert["args"][0]


def test_the_table_is_the_report_models_table(tmp_path):
    """One description of table (1): the sheet's header and widths are the report model's."""
    from xlkit.export import linkages
    from xlkit.export.model import Table

    result = tasks.summary(load(SAMPLE))
    report = linkages.build(result.figures, layout.load())
    [table] = [b for b in report.sheets[0].blocks if isinstance(b, Table)]
    laid = summary_sheet.plan(result, load(SAMPLE).bodies, layout.load(), dt.datetime(2021, 5, 1, 9, 30))
    header = [c if isinstance(c, str) else c.text for c in table.header[0]]
    assert laid.values[2][1:] == header[1:]
    assert laid.widths_mm == [c.width_mm for c in table.columns]
    assert laid.values[-1][0] == "集計日時：2021/05/01 09:30"


def test_on_the_desktop_the_widths_are_in_characters(tmp_path):
    """Excel on the desktop takes column widths in characters: the report's mm_per_char."""
    result = tasks.summary(load(SAMPLE))
    laid = summary_sheet.plan(result, load(SAMPLE).bodies, layout.load(), dt.datetime.now())
    book = remote_book(office_js_payload(SAMPLE))
    summary_sheet.lay(book.sheets[design.SUMMARY], laid, points=False, mm_per_char=2.0)
    widths = [a["args"][0] for a in of(book.json()["actions"], "setColumnWidth")]
    assert widths == [mm / 2.0 for mm in layout.load()["linkages"]["summary"]["widths_mm"]]


# --- the actions on a real file ----------------------------------------------------------------


def _styled(ws) -> set[str]:
    """The cells of `ws` with a border, a fill or a merge."""
    found = set()
    for row in ws.iter_rows():
        for cell in row:
            b = cell.border
            if any(s is not None and s.style for s in (b.left, b.right, b.top, b.bottom, b.diagonal)) \
                    or cell.fill.fill_type:
                found.add(cell.coordinate)
    for merged in ws.merged_cells.ranges:
        found |= {c.coordinate for row in ws[str(merged)] for c in row}
    return found


def _fewer_bodies(path: Path, keep: set[str]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[design.BODIES]
    for r in range(ws.max_row, 1, -1):
        if ws.cell(r, 1).value not in keep:
            ws.delete_rows(r)
    wb.save(path)


def test_a_second_run_with_fewer_bodies_leaves_no_stray_formats(tmp_path, make_linkage, capsys):
    linkages = [make_linkage(1, 2019), make_linkage(2, 2020),
                make_linkage(3, 2019, body="教育委員会", division="学校運営課", my_number=True)]
    path = build(tmp_path / "登録簿.xlsx", linkages=linkages, settings={"report_year": 2020})
    first = tmp_path / "一回目.xlsx"
    # strict: a format the replay could not apply would otherwise go unnoticed in the checks below
    assert [a["func"] for a in apply_actions(path, run(path), first, strict=True)] == ["alert"]
    ws = openpyxl.load_workbook(first)[design.SUMMARY]
    assert len(load(path).bodies) == 5
    assert _styled(ws) == {f"{col}{row}" for col in "ABCDEF" for row in range(3, 3 + 2 + 5 + 1)}
    tall = ws.row_dimensions[9].height  # 議会's row

    _fewer_bodies(first, {"区長", "教育委員会"})
    assert load(first).bodies == ["区長", "教育委員会"]
    second = tmp_path / "二回目.xlsx"
    actions = run(first)
    apply_actions(first, actions, second, strict=True)
    ws = openpyxl.load_workbook(second)[design.SUMMARY]
    # borders, fill and merges only on the new, shorter table: rows 3 to 7
    assert _styled(ws) == {f"{col}{row}" for col in "ABCDEF" for row in range(3, 8)}
    assert sorted(str(m) for m in ws.merged_cells.ranges) == ["A3:A4", "F3:F4"]
    assert tall is not None and ws.row_dimensions[9].height is None  # the old row's height went too
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=7, max_col=6)]
    assert rows == cli_rows(first, capsys)
    assert ws["A8"].value == "※本人同意に基づく外部結合を除く。"
    # the workbook's other sheets are as they were
    before, after = openpyxl.load_workbook(first), openpyxl.load_workbook(second)
    for name in before.sheetnames:
        if name != design.SUMMARY:
            assert [[c.value for c in r] for r in before[name].iter_rows()] == \
                [[c.value for c in r] for r in after[name].iter_rows()], name


# --- in LibreOffice ----------------------------------------------------------------------------


@needs_soffice
def test_the_sheet_renders_with_its_borders_and_diagonal(tmp_path):
    """集計 after the button, replayed onto the sample and printed by LibreOffice with the IPAex fonts:
    the corner's words sit on either side of its diagonal, the table has its grid."""
    from support.lo import lo, pdftoppm

    path = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, path)
    filled = tmp_path / "filled.xlsx"
    apply_actions(path, run(path), filled, strict=True)
    outdir = tmp_path / "render"
    lo("render", filled, outdir)
    pdf = Path(json.loads((outdir / "sheets.json").read_text(encoding="utf-8"))[design.SUMMARY])
    png = pdftoppm(pdf, outdir / "summary")

    # where LibreOffice put the corner's two words (pdftotext's boxes, in points from the top left)
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    boxes = {m["word"]: tuple(float(m[k]) for k in ("x0", "y0", "x1", "y1")) for m in re.finditer(
        r'<word xMin="(?P<x0>[\d.]+)" yMin="(?P<y0>[\d.]+)" xMax="(?P<x1>[\d.]+)" yMax="(?P<y1>[\d.]+)">'
        r"(?P<word>[^<]+)</word>", html)}
    count, body = boxes["件数"], boxes["実施機関"]
    assert count[0] > body[2] and count[3] < body[1]  # 件数 above and to the right of 実施機関

    # the corner cell's borders and its diagonal, found in the picture, from blank points next to
    # the words: above 件数's left end (right of the diagonal), above 実施機関's right end (left of it)
    from PIL import Image

    image = Image.open(png).convert("L")
    scale = image.width / _page_width(html)
    count = [v * scale for v in count]
    body = [v * scale for v in body]
    top = _border(image, (count[0] - 3, (count[1] + count[3]) / 2), (0, -1))
    right = _border(image, (count[2] + 2, (count[1] + count[3]) / 2), (1, 0))
    left = _border(image, (body[2] + 4, body[1] - 3), (-1, 0))
    bottom = _border(image, (body[2] + 4, body[1] - 3), (0, 1))
    assert right - left > 50 and bottom - top > 50
    on_line = 0
    for k in range(1, 20):
        x, y = left + (right - left) * k / 20, top + (bottom - top) * k / 20
        on_line += min(image.getpixel((int(x) + dx, int(y) + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)) < 160
    assert on_line >= 17, on_line

    def line_y(x: float) -> float:
        return top + (x - left) * (bottom - top) / (right - left)

    assert count[3] < line_y(count[0])  # 件数 wholly above the line
    assert body[1] > line_y(body[2])  # 実施機関 wholly below it


def _page_width(html: str) -> float:
    return float(re.search(r'<page width="([\d.]+)"', html)[1])


def _border(image, start: tuple[float, float], step: tuple[int, int]) -> int:
    """From `start`, step (−1/1 across or down) to the first dark pixel: a border's x or y."""
    (x, y), (dx, dy) = (int(start[0]), int(start[1])), step
    assert image.getpixel((x, y)) > 200, "the start is not a blank point"
    while 0 < x < image.width - 1 and 0 < y < image.height - 1:
        if image.getpixel((x, y)) < 160:
            return x if dx else y
        x, y = x + dx, y + dy
    raise AssertionError("no border found")
