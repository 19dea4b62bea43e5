"""Word export of a long linkage table: xlkit's writer against python-docx's add_row.

    python benchmarks/bench_word_export.py [--sizes 100 1000 2000 5000] [--naive-max 5000]

Each row is one of the reference's 22 linkages of 令和2年度 (long texts, up to ~900
characters a cell), repeated. Both ways build the same 10-column table with the same texts
and save the document; the time printed is build + save, best of --repeat runs.
Targets (issue 4): ≤ 1.5 s for 2,000 rows and linear growth (5,000 rows ≤ 2.6 × 2,000 rows).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import docx

from xlkit.export import docx_writer, layout, linkages
from xlkit.export.model import TableColumn, Para, Document, Sheet, Table

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference" / "003_36beb941d6b64d21.txt"
FALLBACK = Path(__file__).resolve().parent.parent / "workbooks" / "data" / "r2_new_linkages.tsv"


def reference_rows() -> list[list[str]]:
    source = REFERENCE if REFERENCE.exists() else FALLBACK
    lines = source.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[1:] for line in lines if re.match(r"^\d+\t", line)]


def rows(n: int) -> list[list[str]]:
    base = reference_rows()
    return [[str(i + 1), *base[i % len(base)]] for i in range(n)]


def fast(data: list[list[str]], out: Path) -> None:
    lay = layout.load()
    columns = [TableColumn(c["width_mm"], c["align"]) for c in lay["linkages"]["columns"]]
    table = Table(columns=columns, header=[linkages.detail_header(lay, "start")], rows=data,
                  header_fill=lay["header_fill"])
    report = Document(title="bench", orientation="landscape", margins_mm=lay["linkages"]["margins_mm"],
                    sheets=[Sheet("bench", [Para(lay["linkages"]["new"]["title"]), table])])
    docx_writer.write(report, out, lay)


def naive(data: list[list[str]], out: Path) -> None:
    lay = layout.load()
    doc = docx.Document()
    table = doc.add_table(rows=1, cols=10)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, linkages.detail_header(lay, "start")):
        cell.text = text
    for values in data:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = text
    doc.save(str(out))


def best_of(fn, data, repeat: int, work: Path) -> float:
    times = []
    for n in range(repeat):
        out = work / f"{fn.__name__}-{len(data)}-{n}.docx"
        start = time.perf_counter()
        fn(data, out)
        times.append(time.perf_counter() - start)
        out.unlink()
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2000, 5000])
    parser.add_argument("--naive-max", type=int, default=5000, help="skip the naive way above this size")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fast(rows(10), work / "warm.docx")  # import and first-call costs out of the figures
        print(f"{'rows':>6}  {'xlkit (s)':>10}  {'add_row (s)':>12}  {'speed-up':>8}")
        for n in args.sizes:
            data = rows(n)
            t_fast = best_of(fast, data, args.repeat, work)
            t_naive = best_of(naive, data, 1, work) if n <= args.naive_max else None
            results[n] = t_fast
            naive_text = f"{t_naive:12.2f}" if t_naive is not None else f"{'-':>12}"
            ratio = f"{t_naive / t_fast:7.1f}x" if t_naive is not None else f"{'-':>8}"
            print(f"{n:>6}  {t_fast:10.2f}  {naive_text}  {ratio}")
    if 2000 in results and 5000 in results:
        growth = results[5000] / results[2000]
        verdict = "ok" if results[2000] <= 1.5 and growth <= 2.6 else "MISSED"
        print(f"\n2,000 rows: {results[2000]:.2f} s (target ≤ 1.5 s); "
              f"5,000 / 2,000 = {growth:.2f} (target ≤ 2.6): {verdict}")


if __name__ == "__main__":
    main()
