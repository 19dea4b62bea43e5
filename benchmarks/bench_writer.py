"""The register writer: a one-row `xlkit import`, timed and measured (peak RSS) in a fresh process.

    python benchmarks/bench_writer.py [--rows 100000] [--formatted-rows 5000 20000 1048576]

Cases (the targets of the register writer's issue):
- a one-row import into a register of --rows linkages (target: ≤ 3 s and ≤ 300 MB at 100,000);
- a 1,000-row import into the same register (the rows are read back after the append);
- a one-row import into the 95-row sample with one formatted cell at P<n> (target: ≤ 1 s at
  P1048576). The import once searched the sheet cell by cell and rewrote it through openpyxl:
  8–9 s at P5000, minutes at P20000, 44 s and 1.2 GB at 100,000 rows.

Each import runs as `xlkit import` in its own process; the time is the wall clock of that
process (Python start included), the memory its peak resident set (os.wait4). The registers
are built in other processes: a child forked from a large parent would report the parent's
memory as its own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

ROW = ("No.\t結合を行った課\t業務名\t外部結合を行った理由\t外部結合による処理対象者\t外部結合に係る個人情報記録の項目\t"
       "条例根拠\t結合の相手方\t結合の開始年月日\n1\t戸籍住民課\t新業務\t理由\t対象者\t項目\t根拠\t相手方\tR3.5.1\n")


def run_import(register: Path, table: Path) -> tuple[float, float]:
    """(seconds, peak MB) of one `xlkit import` process."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", "import sys; from xlkit.cli import main; sys.exit(main())",
                                "import", str(register), str(table), "--year", "2021"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed: {process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def big_register(path: Path, rows: int) -> None:
    from support.factories import linkage
    from xlkit.workbook.builder import build

    build(path, linkages=[linkage(i, year=2000 + i % 20) for i in range(1, rows + 1)])


def formatted(path: Path, row: int) -> None:
    import openpyxl
    from openpyxl.styles import PatternFill

    shutil.copy(ROOT / "workbooks" / "sample.xlsx", path)
    wb = openpyxl.load_workbook(path)
    wb["外部結合"][f"P{row}"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(path)


def prepare(how: str, path: Path, n: int) -> None:
    subprocess.run([sys.executable, __file__, "--prepare", how, str(path), str(n)], check=True)


def main() -> None:
    if sys.argv[1:2] == ["--prepare"]:
        how, path, n = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
        {"big_register": big_register, "formatted": formatted}[how](path, n)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--formatted-rows", type=int, nargs="+", default=[5000, 20000, 1048576])
    args = parser.parse_args()
    print(f"{'register':>34}  {'seconds':>8}  {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as work:
        table = Path(work) / "表.txt"
        table.write_text(ROW, encoding="utf-8")
        many = Path(work) / "表_1000.txt"
        head, row = ROW.splitlines()
        many.write_text("\n".join([head] + [row.replace("新業務", f"新業務{i}").replace("1\t", f"{i}\t", 1)
                                           for i in range(1, 1001)]) + "\n", encoding="utf-8")
        for rows in args.rows:
            path = Path(work) / f"登録簿_{rows}.xlsx"
            prepare("big_register", path, rows)
            kept = path.with_name("写し.xlsx")
            shutil.copy(path, kept)
            seconds, mb = run_import(path, table)
            print(f"{f'{rows:,} rows':>34}  {seconds:8.2f}  {mb:8.0f}")
            # 1,000 rows read back after the append: each once searched the sheet from its top
            seconds, mb = run_import(kept, many)
            print(f"{f'{rows:,} rows, 1,000 imported':>34}  {seconds:8.2f}  {mb:8.0f}")
        for row in args.formatted_rows:
            path = Path(work) / f"登録簿_P{row}.xlsx"
            prepare("formatted", path, row)
            seconds, mb = run_import(path, table)
            print(f"{f'95 rows, a formatted cell at P{row}':>34}  {seconds:8.2f}  {mb:8.0f}")


if __name__ == "__main__":
    main()
