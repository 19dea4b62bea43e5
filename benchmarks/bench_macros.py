"""Round trips of the button macros on a 100-row and a 10,000-row register.

    python benchmarks/bench_macros.py [--rows 100 10000] [--json out.json]

Each register holds N valid linkages plus the same three planted bad rows (an impossible date,
an unknown 課, a typo). The macros run on xlwings' remote engine (the register turned into an
Office.js payload); a *read* is a value read the engine serves — in Excel, one round trip —
and a *write* is an action sent back. Reads must be one per sheet the macro needs, and the
writes must not grow with the number of valid rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine, PolyForm Noncommercial

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from xlkit import macros  # noqa: E402
from xlkit.workbook.builder import build  # noqa: E402
from support.factories import planted  # noqa: E402  (the tests' valid rows and three bad ones)
from support.payload import office_js_payload, remote_book  # noqa: E402


def measure(macro, payload) -> dict:
    from xlwings.pro import _xlremote

    reads: list[str] = []
    original = _xlremote.Range.raw_value

    def counted(self):
        reads.append(self.sheet.name)
        return original.fget(self)

    _xlremote.Range.raw_value = property(counted, original.fset)
    try:
        book = remote_book(json.loads(json.dumps(payload)))
        start = time.perf_counter()
        macro(book)
        seconds = time.perf_counter() - start
    finally:
        _xlremote.Range.raw_value = original
    actions = book.json()["actions"]
    return {
        "reads": len(reads),
        "reads_per_sheet": dict(Counter(reads)),
        "writes": len(actions),
        "write_actions": dict(Counter(a["func"] for a in actions)),
        "seconds": round(seconds, 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.rows:
            path = build(Path(tmp) / f"register_{n}.xlsx", linkages=planted(n), settings={"report_year": 2020})
            payload = office_js_payload(path)
            results[n] = {name: measure(getattr(macros, name), payload) for name in ("validate", "summarize")}
    print(f"{'rows':>8} {'macro':<10} {'reads':>5} {'writes':>6} {'seconds':>8}  write actions")
    for n, per_macro in results.items():
        for name, r in per_macro.items():
            print(f"{n:>8} {name:<10} {r['reads']:>5} {r['writes']:>6} {r['seconds']:>8}  {r['write_actions']}")
    for name in ("validate", "summarize"):
        reads = {n: results[n][name]["reads_per_sheet"] for n in results}
        writes = {n: results[n][name]["write_actions"] for n in results}
        assert all(set(v.values()) == {1} for v in reads.values()), f"{name}: a sheet read twice {reads}"
        assert len({json.dumps(w, sort_keys=True) for w in writes.values()}) == 1, f"{name}: writes grow {writes}"
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
