"""PDF export of the linkage report from long registers: time against rows.

    python benchmarks/bench_pdf.py [--sizes 500 1000 2000 4000] [--chunk-rows N] [--repeat 1]

Each register holds `size` linkages of one 年度 (the rows of tests/support/factories, as
bench_writer.py makes them), so table (2) of the report has `size` rows. The time is
export_linkages to .pdf (the .docx written, LibreOffice's conversion, the PDF copied), best of
--repeat runs; LibreOffice's own CPU time is printed beside it, as the wall clock of a shared
machine wanders.

Targets (issue 13): 2,000 rows ≤ 20 s, and 4,000 rows ≤ 4 × the time of 1,000 rows. Before the
long tables were cut into chunks (docx_writer.chunks) the conversion grew with the square of the
rows: 500 rows 8 s, 1,000 rows 29 s, 2,000 rows 90 s, 3,000 rows 249 s.
`--chunk-rows 100000` writes one table again, to see that (layout.json pdf.chunk_rows is 100).
"""

from __future__ import annotations

import argparse
import copy
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def big_register(path: Path, rows: int) -> None:
    from support.factories import linkage
    from xlkit.workbook.builder import build

    build(path, linkages=[linkage(i, year=2020) for i in range(1, rows + 1)])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def export_once(register: Path, out: Path, layout: dict) -> tuple[float, float, int]:
    """(seconds, LibreOffice CPU seconds, pages) of one PDF export."""
    from xlkit.export import api
    from xlkit.workbook.reader import load

    book = load(register)
    report = api._linkages_document(book, 2020, None, layout)
    cpu = children_cpu()
    start = time.perf_counter()
    api.render(report, out, layout, overwrite=True)
    seconds = time.perf_counter() - start
    pages = out.read_bytes().count(b"/Type /Page\n") or out.read_bytes().count(b"/Type/Page")
    return seconds, children_cpu() - cpu, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--chunk-rows", type=int, default=None, help="override layout.json pdf.chunk_rows")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from xlkit.export import layout as layout_file, pdf

    if not pdf.available():
        raise SystemExit("LibreOffice (soffice) is not installed")
    layout = copy.deepcopy(layout_file.load())
    if args.chunk_rows is not None:
        layout.setdefault("pdf", {})["chunk_rows"] = args.chunk_rows
    results: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        big_register(work / "warm.xlsx", 5)
        export_once(work / "warm.xlsx", work / "warm.pdf", layout)  # LibreOffice's first start
        print(f"{'rows':>6}  {'time (s)':>9}  {'LO CPU (s)':>10}  {'pages':>6}  {'s / 1,000 rows':>14}")
        for n in args.sizes:
            register = work / f"r{n}.xlsx"
            big_register(register, n)
            runs = [export_once(register, work / f"r{n}.pdf", layout) for _ in range(args.repeat)]
            seconds, cpu, pages = min(runs)
            results[n] = seconds
            print(f"{n:>6}  {seconds:9.1f}  {cpu:10.1f}  {pages:>6}  {seconds / n * 1000:14.2f}", flush=True)
    if 1000 in results and 4000 in results:
        growth = results[4000] / results[1000]
        print(f"\n4,000 / 1,000 rows = {growth:.2f} (target ≤ 4): {'ok' if growth <= 4 else 'MISSED'}")
    if 2000 in results:
        print(f"2,000 rows: {results[2000]:.1f} s (target ≤ 20 s): {'ok' if results[2000] <= 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
