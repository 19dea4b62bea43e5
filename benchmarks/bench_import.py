"""`xlkit import` of one table row into the sample register, with one formatted cell far below.

    python benchmarks/bench_import.py [--formatted-rows 5000 20000 1048576]

The import once searched the sheet for its last non-blank row cell by cell, so its time grew
with the formatting (8–9 s at P5000, minutes at P20000), not with the data. It now appends
below the last row the reader read.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.styles import PatternFill

from xlkit import tasks

ROOT = Path(__file__).resolve().parents[1]
ROW = ("No.\t結合を行った課\t業務名\t外部結合を行った理由\t外部結合による処理対象者\t外部結合に係る個人情報記録の項目\t"
       "条例根拠\t結合の相手方\t結合の開始年月日\n1\t戸籍住民課\t新業務\t理由\t対象者\t項目\t根拠\t相手方\tR3.5.1\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formatted-rows", type=int, nargs="+", default=[5000, 20000, 1048576])
    args = parser.parse_args()
    print(f"{'formatted cell':>16}  {'seconds':>8}")
    with tempfile.TemporaryDirectory() as work:
        for row in args.formatted_rows:
            path = Path(work) / f"登録簿_{row}.xlsx"
            shutil.copy(ROOT / "workbooks" / "sample.xlsx", path)
            wb = openpyxl.load_workbook(path)
            wb["外部結合"][f"P{row}"].fill = PatternFill("solid", fgColor="FFFF00")
            wb.save(path)
            start = time.perf_counter()
            result = tasks.import_table(path, ROW, 2021)
            assert len(result.appended) == 1, result.parsed.problems
            print(f"{'P' + str(row):>16}  {time.perf_counter() - start:8.2f}")


if __name__ == "__main__":
    main()
