"""年度締め: `xlkit close-year` on a big register, with and without the report's PDF.

    python benchmarks/bench_close.py [--rows 10000] [--divisions 40] [--year 2021] [--keep DIR]

The register is bench_survey's (a register of the current format with --rows linkages over
--divisions 課, built by xlkit.workbook.builder), with a 報告日 after the year's end so that it
can be closed. Each run closes a fresh copy in its own process (forked from this small one), so
that its peak resident set is its own: once with --no-pdf (read, validate, copy, export the
.docx, figures, SHA-256 list, write 設定 and 変更履歴 through the register writer), once with the
PDF (LibreOffice converts the stored .docx; skipped when LibreOffice is missing). The times
exclude Python's start-up and imports. The benchmark reports; it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: Path, rows: int, divisions: int, year: int) -> dict:
    import datetime as dt

    import openpyxl

    from bench_survey import build_register

    found = build_register(path, rows, divisions, year)
    workbook = openpyxl.load_workbook(path)  # 報告日: after the year's end, as a closed year's report has
    for title, value, *_ in workbook["設定"].iter_rows():
        if title.value == "報告日":
            value.value = dt.datetime(year + 1, 7, 3)
    workbook.save(path)
    return found


def close(path: Path, pdf: bool) -> dict:
    from xlkit import closing_tasks

    imports = mb()
    t0 = time.perf_counter()
    done = closing_tasks.close_year(path, pdf=pdf)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "mb_peak": round(mb(), 1), "mb_imports": round(imports, 1),
            "files": sorted(done.files), "written": done.written}


def step(name: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--step", name, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"failed": out.stderr.strip().splitlines()[-1:] or ["?"]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if sys.argv[1:2] == ["--step"]:
        name, path = sys.argv[2], Path(sys.argv[3])
        result = close(path, pdf=name == "pdf")
        print(json.dumps(result, ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--divisions", type=int, default=40)
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--keep", type=Path, help="keep the registers and 確定 folders here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="xlkit-bench-close-"))
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base.xlsx"
    t0 = time.perf_counter()
    built = build(base, args.rows, args.divisions, args.year)
    print(f"register: {built['linkages']} linkages, {built['divisions']} 課, {built['mb_file']:.1f} MB "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    from xlkit.export import pdf

    for name in ("no-pdf", "pdf"):
        if name == "pdf" and not pdf.available():
            print("pdf: skipped (no LibreOffice)")
            continue
        run = folder / name
        run.mkdir(exist_ok=True)
        register = run / "登録簿.xlsx"
        shutil.copyfile(base, register)
        result = step(name, str(register))
        if "failed" in result:
            print(f"{name}: failed: {result['failed'][0]}")
            continue
        print(f"{name}: {result['seconds']:.2f} s, peak {result['mb_peak']:.0f} MB "
              f"(imports {result['mb_imports']:.0f} MB); {len(result['files'])} files")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
