"""Benchmark: read + validate a generated 10,000-linkage register, against Frictionless.

    python benchmarks/bench_validate.py [--rows 10000] [--repeat 3] [--keep PATH] [--profile]

Writes a register the way staff fill it — about 36 課, 200 業務名, dates in several spellings
(most as Excel date cells), a few planted mistakes — then measures, in one run and on the same
file, best of `--repeat` wall times:

* xlkit: `xlkit.workbook.reader.load` + `xlkit.validation.validate_book` (open, structure scan, read, prepare, schema, rules),
  in a warm interpreter (imports done once); the command line's own time
  (a fresh interpreter: start-up and imports) is printed too, for information;
* Frictionless: `Resource.validate` of the 外部結合 sheet with an equivalent Table Schema
  (types, required, enums from the masters, date format, unique 管理番号), no error limit.

Targets (issue 2): xlkit ≤ 1.0 s and at least 3× faster than Frictionless.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xlkit import schema  # noqa: E402
from xlkit.dates import format_dotted, format_wareki  # noqa: E402

TARGET_SECONDS = 1.0
TARGET_RATIO = 3.0


# --- the register ------------------------------------------------------------------------

PARTNERS = ["LGWAN-ASPサービス提供者", "LGWAN-ASPサービス事業者", "地方公共団体情報システム機構", "国民健康保険中央会",
            "東京都国民健康保険団体連合会", "株式会社NTTデータ", "厚生労働省", "内閣官房", "デジタル庁", "東日本電信電話株式会社",
            "みずほ情報総研株式会社", "日本年金機構", "東京都", "特別区人事・厚生事務組合", "納付サービス提供者"] + [
            f"株式会社サービス{i:02d}" for i in range(45)]


def linkage_rows(n: int, rng: random.Random) -> list[list]:
    masters = schema.masters()
    divisions = [tuple(d) for d in masters["課"]]
    businesses = [f"{verb}業務{i:03d}" for i, verb in
                  zip(range(200), ["給付", "収納", "賦課", "申請受付", "通知書作成", "資格管理", "予約", "相談記録"] * 25)]
    business_of = {d: rng.sample(businesses, 12) for d, _ in divisions}
    reasons = [f"事務の効率化と安全性の向上を図るため、外部のシステムと結合する必要があるため（{i}）" for i in range(300)]
    subjects = [f"新宿区の住民基本台帳に記載されている者（区分{i}）" for i in range(150)]
    items = [f"氏名、住所、生年月日、性別、電話番号、口座情報、その他の項目{i}" for i in range(250)]
    bases = [f"令和{y}年度第{k}回審議会承認" for y in range(1, 8) for k in range(1, 12)] + [
        f"平成{y}年度第{k}回審議会承認" for y in range(17, 31) for k in range(1, 4)]
    starts = [dt.date(2006, 4, 1) + dt.timedelta(days=rng.randrange(0, 7000)) for _ in range(1500)]
    rows = []
    for i in range(n):
        division, body = rng.choice(divisions)
        start = rng.choice(starts)
        fy = start.year if start.month >= 4 else start.year - 1
        note = None
        if rng.random() < 0.02:
            fy += 1
            note = "記載漏れ"
        end = None
        if rng.random() < 0.1:
            end = start + dt.timedelta(days=rng.randrange(200, 2000))
        spelling = rng.random()
        if spelling < 0.85:
            start_cell = start  # an Excel date cell
        elif spelling < 0.93:
            start_cell = format_dotted(start)  # R2. 4. 1
        else:
            start_cell = format_wareki(start, full_width=rng.random() < 0.5)
        row = [f"L{i + 1:05d}", body, division, rng.choice(business_of[division]), rng.choice(reasons),
               rng.choice(subjects), rng.choice(items), "○" if rng.random() < 0.3 else None, rng.choice(bases),
               rng.choice(PARTNERS), start_cell, end, "○" if rng.random() < 0.05 else None, fy,
               f"2025-{rng.randrange(1, 41)}" if start.year >= 2025 else None, note]
        rows.append(row)
    # a few planted mistakes, as in real registers
    for j in rng.sample(range(n), 30):
        kind = j % 5
        if kind == 0:
            rows[j][10] = "R2.13.1"
        elif kind == 1:
            rows[j][2] = rows[j][2].replace("課", "科")
        elif kind == 2:
            rows[j][0] = rows[(j + 1) % n][0]
        elif kind == 3:
            rows[j][4] = rows[j][4].replace("経由", "經由") + "經由"
        else:
            rows[j][13] = None
    return rows


def case_rows() -> list[list]:
    rows = []
    for no in range(1, 41):
        day = dt.date(2025, 4, 18) + dt.timedelta(days=no)
        rows.append([2025, no, f"審議案件{no}について", "総務課、税務課", "外部結合、業務委託", f"第{no % 4 + 1}回", day,
                     "承認", None, None, None, None, None, None, "別紙のとおり", None, None])
    return rows


def as_dicts(register: schema.Register, rows: list[list]) -> list[dict]:
    keys = [c.key for c in register.columns]
    return [{k: (True if v == "○" else v) for k, v in zip(keys, row) if v is not None} for row in rows]


def write_register(path: Path, rows: int, seed: int = 2) -> Path:
    """The register as `xlkit new` lays it out (tables, dropdowns, 設定), filled with generated rows."""
    from xlkit.workbook.builder import build

    rng = random.Random(seed)
    return build(path, linkages=as_dicts(schema.linkage(), linkage_rows(rows, rng)),
                 cases=as_dicts(schema.case(), case_rows()),
                 settings={"report_year": 2025, "previous_published": {"区長": 80}})


# --- Frictionless with an equivalent Table Schema ------------------------------------------

def table_schema() -> dict:
    """The 外部結合 schema said in Table Schema: types, required, enums from the masters, dates."""
    masters = schema.masters()
    enums = {"実施機関": masters["実施機関"], "課": [d for d, _ in masters["課"]]}
    fields = []
    for column in schema.linkage().columns:
        field = {"name": column.header, "type": "string"}
        constraints = {}
        if column.kind == "date":
            field["type"] = "date"
            field["format"] = "any"
        elif column.kind == "year":
            field["type"] = "integer"
            constraints.update(minimum=1989, maximum=2100)
        elif column.kind == "mark":
            constraints["enum"] = ["○"]
        if column.master:
            constraints["enum"] = enums[column.master]
        if column.required:
            constraints["required"] = True
        if column.schema.get("minLength"):
            constraints["minLength"] = column.schema["minLength"]
        if column.schema.get("maxLength"):
            constraints["maxLength"] = column.schema["maxLength"]
        if column.schema.get("pattern"):
            constraints["pattern"] = column.schema["pattern"]
        if column.key == "id":
            constraints["unique"] = True
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields}


def run_frictionless(path: Path):
    from frictionless import Dialect, Resource, Schema, formats

    # Frictionless refuses absolute paths unless they sit under basepath
    resource = Resource(path.name, basepath=str(path.parent), format="xlsx", schema=Schema.from_descriptor(table_schema()),
                        dialect=Dialect(controls=[formats.ExcelControl(sheet=schema.linkage().sheet)]))
    return resource.validate(limit_errors=10**9)


def run_xlkit(path: Path):
    from xlkit.validation import validate_book
    from xlkit.workbook.reader import load

    return validate_book(load(path))


def run_cli(path: Path):
    """`xlkit validate --json` in a fresh interpreter: start-up and imports included."""
    return subprocess.run([sys.executable, "-m", "xlkit.cli", "validate", str(path), "--json"],
                          capture_output=True, cwd=Path(__file__).resolve().parent.parent)


def best_of(fn, path: Path, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(path)
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the generated register here and keep it")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one xlkit run")
    parser.add_argument("--skip-frictionless", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "register.xlsx"
        t0 = time.perf_counter()
        write_register(path, args.rows)
        print(f"register: {args.rows} linkages, {path.stat().st_size / 1024 / 1024:.1f} MB "
              f"(written in {time.perf_counter() - t0:.1f} s)")

        # one untimed warm-up: imports and the module-level validator cache, as in a running macro server
        run_xlkit(path)
        ours, report = best_of(run_xlkit, path, args.repeat)
        print(f"xlkit validate:        {ours:6.3f} s  (best of {args.repeat}; "
              f"{report.errors} errors, {report.warnings} warnings)")
        cold, _ = best_of(run_cli, path, args.repeat)
        print(f"xlkit validate (CLI):  {cold:6.3f} s  (a fresh python -m xlkit.cli, start-up and imports included)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(run_xlkit, path)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        if args.skip_frictionless:
            return 0 if ours <= TARGET_SECONDS else 1
        theirs, result = best_of(run_frictionless, path, args.repeat)
        errors = sum(len(task.errors) for task in result.tasks)
        print(f"frictionless validate: {theirs:6.3f} s  (best of {args.repeat}; {errors} errors)")
        ratio = theirs / ours
        print(f"ratio: xlkit is {ratio:.1f}× faster  "
              f"(targets: ≤ {TARGET_SECONDS:.1f} s → {'met' if ours <= TARGET_SECONDS else 'MISSED'}, "
              f"≥ {TARGET_RATIO:.0f}× → {'met' if ratio >= TARGET_RATIO else 'MISSED'})")
        return 0 if ours <= TARGET_SECONDS and ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
