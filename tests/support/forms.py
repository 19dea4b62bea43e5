"""Filling a 照会票 the way 課 staff do in Excel, and what the tests of survey and collect share:
the register and its sheets read back, edited as staff edit them, and the buttons pressed on
xlwings' remote engine (support.payload)."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import openpyxl

from xlkit import inquiry, schema

YEAR = 2021
LINK = schema.linkage()
# a linkage of the sample long ended, and an approved case of 2024 that calls for none (業務委託)
CITING, CITED = "H13-001", "2024-2"


def form_of(folder: Path, division: str) -> Path:
    return folder / inquiry.file_name(YEAR, division)


def headers(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value}


def fill(path: Path, out: Path | None = None, *, ends: dict | None = None, changes: dict | None = None,
         new: list[dict] = (), cases: dict | None = None, respondent=("山田 花子", "2345", "R4.5.10"),
         edit=None) -> Path:
    """Answer a form as 課 staff do in Excel; `new` rows and `cases` rows are keyed by header."""
    wb = openpyxl.load_workbook(path)
    ws = wb[inquiry.CONTINUING]
    col = headers(ws)
    for r in range(2, ws.max_row + 1):
        id_ = ws.cell(r, col[LINK.header("id")]).value
        if id_ in (ends or {}):
            ws.cell(r, col[LINK.header("end")]).value = ends[id_]
        if id_ in (changes or {}):
            ws.cell(r, col[inquiry.CHANGE_HEADER]).value = changes[id_]
    ws = wb[inquiry.NEW]
    col = headers(ws)
    ref_col = col[LINK.header("case_ref")]
    for r in range(2, ws.max_row + 1):
        ref = ws.cell(r, ref_col).value
        if ref in (cases or {}):
            for header, value in cases[ref].items():
                ws.cell(r, col[header]).value = value
    # new rows go into the first typing rows, as staff type them: below the pre-listed cases,
    # where only the 課 is filled in
    business = col[LINK.header("business")]
    free = (r for r in itertools.count(2)
            if ws.cell(r, ref_col).value is None and ws.cell(r, business).value is None)
    for values, row in zip(new, free):
        for header, value in values.items():
            ws.cell(row, col[header]).value = value
    howto = wb[inquiry.HOWTO]
    for line in howto.iter_rows():
        for cell in line:
            if cell.value in inquiry.RESPONDENT:
                howto.cell(cell.row, cell.column + 1).value = respondent[list(inquiry.RESPONDENT).index(cell.value)]
    if edit:
        edit(wb)
    out = out or path
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def sheet_rows(path: Path, register: schema.Register) -> list[dict]:
    """The rows of a sheet xlkit writes (変更履歴, 回答状況) as schema key -> value."""
    ws = openpyxl.load_workbook(path)[register.sheet]
    head = [c.value for c in ws[1]]
    keys = {c.header: c.key for c in register.columns}
    return [{keys.get(h, h): v for h, v in zip(head, row) if v is not None}
            for row in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row)]


def linkage(division: str, business: str, start, **more) -> dict:
    values = {LINK.header("division"): division, LINK.header("business"): business,
              LINK.header("reason"): f"{business}のため", LINK.header("subjects"): "区民",
              LINK.header("items"): "氏名、住所", LINK.header("basis"): "令和3年度第1回審議会承認",
              LINK.header("partner"): "国", LINK.header("start"): start}
    values.update({LINK.header(k): v for k, v in more.items()})
    return values


TABLE2_KEYS = ("division", "business", "reason", "subjects", "items", "my_number", "basis", "partner", "start")


def write_table2(path: Path, division: str, business: str, start: str) -> Path:
    """A published table (2) of one row, as `xlkit import` reads it (tab-separated)."""
    path.write_text("No.\t" + "\t".join(LINK.header(k) for k in TABLE2_KEYS) + "\n"
                    f"1\t{division}\t{business}\t理由\t対象者\t項目\t\t令和3年度第1回審議会承認\t相手方\t{start}\n",
                    encoding="utf-8")
    return path


def sample_of_year(path: Path, year: int) -> Path:
    """The shipped sample with 報告年度 `year` and no 前年度公表値 (those of 令和2年度 would not
    match), saved at `path`."""
    from xlkit.workbook import design
    from support import SAMPLE

    workbook = openpyxl.load_workbook(SAMPLE)
    settings = workbook[design.settings_sheet()]
    previous = schema.settings().header("previous_published")
    for title, value, *_ in settings.iter_rows():
        if title.value == schema.settings().header("report_year"):
            value.value = year
        elif str(title.value or "").startswith(previous):
            value.value = None
    workbook.save(path)
    return path


def cite_a_case(path: Path) -> Path:
    """The register at `path` (a copy of the sample) as an office that links linkages to cases has
    it: one linkage (CITING, ended in 2012, on no form) cites the case CITED in 関連審議案件. The
    survey then pre-lists every approved 外部結合 case of 2024 on, and 入力チェック warns of the
    same (xlkit.rules.cases_without_linkage); the shipped sample cites none, and asks for none."""
    def cite(wb):
        ws = wb[LINK.sheet]
        ws.cell(row_of(ws, CITING), headers(ws)[LINK.header("case_ref")]).value = CITED

    return edit_register(path, cite)


# --------------------------------------------------------------------------- the register


def book(path: Path):
    from xlkit.workbook import reader

    return reader.load(path)


def by_id(path: Path) -> dict:
    return {r.get("id"): r for r in book(path).linkages}


def edit_register(path: Path, change) -> Path:
    """The register at `path` changed by `change(workbook)` as staff change it in Excel (openpyxl)."""
    workbook = openpyxl.load_workbook(path, keep_vba=Path(path).suffix == ".xlsm")
    change(workbook)
    workbook.save(path)
    return path


def row_of(ws, id_: str) -> int:
    """The row of 管理番号 `id_` on the 外部結合 sheet `ws` (openpyxl)."""
    column = headers(ws)[LINK.header("id")]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, column).value == id_)


def history_rows(path: Path) -> list[dict]:
    """変更履歴 as openpyxl reads it (schema key -> value)."""
    return sheet_rows(path, schema.history())


def status_lines(path: Path) -> list[dict]:
    """回答状況's lines of 年度 YEAR, as openpyxl reads them."""
    return [r for r in sheet_rows(path, schema.status()) if r.get("fiscal_year") == YEAR]


def status_rows(path: Path) -> dict[str, dict]:
    """回答状況's lines of 年度 YEAR by 課."""
    return {r["division"]: r for r in status_lines(path)}


def _typed(where, register: schema.Register, left_out: tuple[str, ...]) -> list[dict]:
    from xlkit.workbook import reader

    loaded = book(where) if isinstance(where, (str, Path)) else where
    return [{k: v for k, v in r.values.items() if k not in left_out} for r, _ in reader.stream(loaded, register)]


def logged(where) -> list[dict]:
    """変更履歴 as the register's reader types it, without 日時 and ユーザー (they differ run to run);
    `where` is a register file or a loaded Book."""
    return _typed(where, schema.history(), ("at", "user"))


def statuses(where) -> list[dict]:
    """回答状況 as the register's reader types it, without 取込日時."""
    return _typed(where, schema.status(), ("collected_at",))


def folder_state(folder: Path, *, times: bool = False) -> dict:
    """Each file of `folder` by name: its SHA-256 (and, with `times`, its modification time, so
    that a file written again with the same bytes is seen too)."""
    found = {}
    for p in sorted(folder.iterdir()):
        if p.is_file():
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            found[p.name] = (digest, p.stat().st_mtime_ns) if times else digest
    return found


# --------------------------------------------------------------------------- the buttons


def run(macro, path: Path, **kwargs) -> list[dict]:
    """A button (xlkit.macros.survey, .collect …) pressed on the workbook at `path` on the remote
    engine: the actions it sent back."""
    from support.payload import office_js_payload, remote_book

    book_ = remote_book(office_js_payload(path))
    macro(book_, **kwargs)
    return book_.json()["actions"]


def press(path: Path, files, *, confirm=True, payload: dict | None = None):
    """回答取込 on the workbook at `path`, choosing `files` and answering `confirm` (or
    confirm(plan, lines)): (actions, files asked for, confirmations asked)."""
    from support.payload import office_js_payload, remote_book
    from xlkit import macros

    chosen, asked = [], []

    def choose(book_):
        chosen.append(book_)
        return list(files)

    def ask(plan, lines):
        asked.append((plan, lines))
        return confirm(plan, lines) if callable(confirm) else confirm

    book_ = remote_book(payload or office_js_payload(path))
    macros.collect(book_, choose=choose, confirm=ask)
    return book_.json()["actions"], chosen, asked
