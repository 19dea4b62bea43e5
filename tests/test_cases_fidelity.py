"""資料１'s 別紙 as xlkit prints them from the sample register, against the published text itself.

The expected values are parsed here from tests/reference/000_8a7388011a45e15b.txt (the public
資料１, see tests/reference/README.md) — never from workbooks/data/cases_r7.json, which the sample
is built from, nor from any other output of xlkit. Text is compared folded (whitespace and line
breaks removed), as the reference's extraction broke its lines where the PDF did:

- the 41 別紙 headings, 「〈件名〉（№１２）」, with their own wording where it differs from the
  list (№19, 26, 36, 39);
- each 別紙's 担当課 (№27 names another 課 than the list);
- the numbered items of 事業内容: 「１ 概要」, 「２ 〈区分〉の付議内容」 and 「３ 対象者」,
  「３ 対象者数」 (№29) or none (six cases);
- №29's 外部提供 table cell for cell: its title and period lines, 「１　　外部提供について（10件）」,
  the header and the 10 rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from support import SAMPLE, fold
from xlkit.export import api
from xlkit.workbook.reader import load

FROM, TO, REPORT_DATE = dt.date(2025, 2, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 3)
REFERENCE = Path(__file__).parent / "reference" / "000_8a7388011a45e15b.txt"
CASES = 41
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


# --- the reference, parsed -------------------------------------------------------------------

class Reference:
    """The published 資料１ as its text extraction has it: lines, and the same text folded with
    each line's offset in it (a heading's 「（№３３）」 may be broken over two lines)."""

    PAGE_NUMBER = re.compile(r"^\s*\d+\s*$")
    ITEM = re.compile(r"^\s*([１-３])\s+(概要|\S+の付議内容|対象者数?)\s*$")

    def __init__(self, path: Path):
        self.lines = path.read_text(encoding="utf-8").split("\n")
        self.annex = next(i for i, line in enumerate(self.lines) if line.strip() == "（別紙）")
        self.starts: list[int] = []
        folded = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            folded.append(fold(line))
            offset += len(folded[-1])
        self.folded = "".join(folded)
        self.headings = [self._heading(n) for n in range(1, CASES + 1)]

    def _line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def _heading(self, n: int) -> tuple[int, int, str]:
        """(first line, last line, folded text) of case n's 別紙 heading: the text up to its first
        「（№ｎ）」 after 「（別紙）」, back to the line that opens it. A heading's first line is
        indented by the extraction; a line that is not continues one above it, unless that line is
        a page number or 「（別紙）」."""
        marker = f"（№{str(n).translate(FULL_WIDTH)}）"
        at = self.folded.index(marker, self.starts[self.annex])
        end = at + len(marker)
        first = self._line_of(at)
        while not self.lines[first].strip():
            first += 1
        while not self.lines[first].startswith(" "):
            above = first - 1
            while not self.lines[above].strip():
                above -= 1
            if self.PAGE_NUMBER.match(self.lines[above]) or self.lines[above].strip() == "（別紙）":
                break
            first = above
        return first, self._line_of(end - 1), self.folded[self.starts[first]:end]

    def sheet(self, n: int) -> list[str]:
        """The lines of case n's 別紙, from its heading to the next case's."""
        start = self.headings[n - 1][1] + 1
        end = self.headings[n][0] if n < CASES else len(self.lines)
        return self.lines[start:end]

    def divisions(self, n: int) -> str:
        lines = self.sheet(n)
        at = next(i for i, line in enumerate(lines) if line.startswith("担当課"))
        text = lines[at][len("担当課"):]
        for line in lines[at + 1:]:
            if re.match(r"^区\s*分", line):
                break
            text += line
        return fold(text)

    def items(self, n: int) -> list[str]:
        lines = self.sheet(n)
        at = next(i for i, line in enumerate(lines) if line.strip() == "事業内容")
        return [m.group(1) + m.group(2) for line in lines[at:] if (m := self.ITEM.match(line))]

    def provisions(self, n: int) -> dict:
        """Case n's 外部提供 table: its heading, title and period lines, the header (once per page)
        and the rows, each cell folded. A row is blocks of lines between blank lines: its No.,
        理由, 範囲, 項目, then 「方法 時期 名称…」 with the 名称 running on."""
        lines = self.sheet(n)
        at = next(i for i, line in enumerate(lines) if re.match(r"^\s*１\s+外部提供について（\d+件）", line))
        body = lines[at + 1:]
        title = [line for line in body if re.match(r"^令和\S+年度\s", line)]
        period = [line for line in body if re.match(r"^令和.+から令和.+まで\s*$", line)]
        blocks, block = [], []
        for line in [*(line for line in body if line not in title + period), ""]:
            if line.strip():
                block.append(line.strip())
            elif block:
                blocks.append(block)
                block = []
        headers, rows, k = [], [], 0
        while k < len(blocks):
            if blocks[k][0].startswith("No."):
                header = []
                while not (header and header[-1].endswith("の名称")):
                    header += blocks[k]
                    k += 1
                headers.append(fold("".join(header)))
            elif len(blocks[k]) == 1 and re.fullmatch(r"\d+", blocks[k][0]):
                reason, persons, items, tail = blocks[k + 1:k + 5]
                method, when, *name = tail[0].split()
                rows.append([blocks[k][0], fold("".join(reason)), fold("".join(persons)), fold("".join(items)),
                             method, when, fold("".join(name + tail[1:]))])
                k += 5
            else:
                k += 1
        return {
            "heading": fold(lines[at]),
            "title": [fold(line) for line in title],
            "period": [fold(line) for line in period],
            "headers": headers,
            "rows": rows,
        }


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference(REFERENCE)


def test_the_reference_is_parsed_whole(reference):
    """What the issue counted in the published 資料 by eye: the parser must find the same."""
    assert len({h[2] for h in reference.headings}) == CASES
    labels = [reference.items(n)[2:] for n in range(1, CASES + 1)]
    assert labels.count(["３対象者"]) == 34 and labels.count(["３対象者数"]) == 1 and labels.count([]) == 6
    table = reference.provisions(29)
    assert len(table["rows"]) == 10 and len(table["headers"]) == 2
    assert [r[0] for r in table["rows"]] == [str(i) for i in range(1, 11)]


# --- the register ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def book():
    return load(SAMPLE)


# --- the export ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(book, tmp_path_factory):
    path = api.export_cases(book, FROM, TO, tmp_path_factory.mktemp("fidelity") / "cases.docx",
                            report_date=REPORT_DATE)
    return docx.Document(str(path))


def _text(element) -> str:
    """The text of a paragraph or a cell, its line breaks and paragraphs as "\n"."""
    lines = []
    for p in element.iter(qn("w:p")):
        lines.append("".join("\n" if e.tag == qn("w:br") else (e.text or "")
                             for e in p.iter(qn("w:t"), qn("w:br"))))
    return "\n".join(lines)


def _grid(table) -> list[list[str]]:
    return [[_text(tc) for tc in tr.iter(qn("w:tc"))] for tr in table._tbl.iter(qn("w:tr"))]


def _blocks(document) -> list:
    """The body's paragraphs and tables in order, as ("p", text) and ("t", grid)."""
    out = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out.append(("p", _text(child)))
        elif child.tag == qn("w:tbl"):
            out.append(("t", _grid(docx.table.Table(child, document))))
    return out


@pytest.fixture(scope="module")
def sheets(exported) -> dict[int, dict]:
    """case № -> its 別紙 as printed: heading, the label/value table, what follows it."""
    blocks = _blocks(exported)
    starts = [i for i, (kind, text) in enumerate(blocks) if kind == "p" and re.search(r"（№[０-９]+）$", fold(text))]
    out = {}
    for k, at in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(blocks)
        heading = fold(blocks[at][1])
        no = int(re.search(r"（№([０-９]+)）$", heading).group(1).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        rest = blocks[at + 1:end]
        table = dict((fold(row[0]), row[1]) for row in rest[0][1])
        out[no] = {"heading": heading, "values": table, "after": rest[1:]}
    return out


def test_every_annex_heading_is_the_published_one(sheets, reference):
    assert sorted(sheets) == list(range(1, CASES + 1))
    assert [sheets[n]["heading"] for n in range(1, CASES + 1)] == [h[2] for h in reference.headings]


def test_every_annex_names_the_published_divisions(sheets, reference):
    assert [fold(sheets[n]["values"]["担当課"]) for n in range(1, CASES + 1)] == \
        [reference.divisions(n) for n in range(1, CASES + 1)]


def test_every_annex_numbers_the_published_items(sheets, reference):
    printed = {n: [fold(line) for line in sheets[n]["values"]["事業内容"].split("\n") if re.match(r"^[１-９]　", line)]
               for n in sheets}
    assert printed == {n: reference.items(n) for n in range(1, CASES + 1)}


def test_case_29_prints_the_published_provision_table(sheets, reference):
    expected = reference.provisions(29)
    after = sheets[29]["after"]
    at = next(i for i, (kind, grid) in enumerate(after) if kind == "t" and grid and fold(grid[0][0]) == "No.")
    lines = [fold(text) for kind, text in after[:at] if kind == "p" and fold(text)]
    assert lines[-3:] == [*expected["title"], *expected["period"], expected["heading"]]
    grid = [[fold(cell) for cell in row] for row in after[at][1]]
    assert "".join(grid[0]) == expected["headers"][0]
    assert grid[1:] == expected["rows"]
    # nothing else is printed on 29's 別紙 after the table, and no other case has such a table
    assert [block for block in after[at + 1:] if block != ("p", "")] == []
    assert [n for n in sheets if any(kind == "t" for kind, _ in sheets[n]["after"])] == [29]


def test_case_29_title_and_period_left_blank_are_computed_as_published(book, reference):
    """外部提供の表題 and 外部提供の期間 are optional: from 事業名 and the provisions' dates, xlkit
    words them as the published table does."""
    from xlkit.export import cases, layout
    from xlkit.export.model import Para

    case = next(c for c in book.cases if c.get("no") == 29)
    blank = type(case)(case.sheet, case.row, {k: v for k, v in case.values.items()
                                              if k not in ("provision_title", "provision_period")}, case.raw)
    report = cases.build([blank], book.settings, FROM, TO, REPORT_DATE, layout.load(), provisions=book.provisions)
    blocks = [b for sheet in report.sheets[1:] for b in sheet.blocks]  # the 別紙 and the 外部提供 sheet
    at = next(i for i, b in enumerate(blocks) if isinstance(b, Para) and b.page_break_before and "外部提供" in b.text)
    expected = reference.provisions(29)
    assert [fold(blocks[at].text), fold(blocks[at + 1].text)] == [*expected["title"], *expected["period"]]
