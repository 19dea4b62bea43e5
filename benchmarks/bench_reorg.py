"""組織改正: reading and planning large change tables (pure: no register file is read or written).

    python benchmarks/bench_reorg.py [--lines 16000] [--divisions 40] [--chain 1500]

Four tables of --lines lines each, against a 課 sheet of --divisions 課: a split of one 課 into
--lines new 課 (refused: the 後継の課 cell cannot hold so many names), a split into 6,000 short
names (planned: as many as that cell holds), a table of --lines renames of one 課 (refused, every line naming a few others)
and a table of --lines lines naming 課 that are on no row (refused). Each is read from its
tab-separated text (xlkit.reorg.parse_text) and planned (xlkit.reorg.plan); a quadratic planner
took 52 s for the first at 16,000 lines. Then xlkit.org walks a successor chain of --chain
renames (name_on and takers), which recursion could not take past Python's stack. The benchmark
reports; it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = dt.date(2021, 4, 1)


def org_of(divisions: int):
    from xlkit.org import Division

    return [Division(f"課{i:04d}", "区長", row=i + 2) for i in range(divisions)]


def tables(lines: int) -> dict[str, str]:
    header = "旧課名\t新課名\t種別\n"
    return {
        "split_long_names": header + "".join(f"課0000\t新しい課の名前{i:06d}番\t分割\n" for i in range(lines)),
        # as many as the 後継の課 cell holds (32,767 characters joined with 「、」)
        "split_short_names": header + "".join(f"課0000\t{i:x}\t分割\n" for i in range(min(lines, 6_000))),
        "renames_of_one": header + "".join(f"課0000\t新課{i}\t名称変更\n" for i in range(lines)),
        "unknown_olds": header + "".join(f"無い課{i}\t新課{i}\t名称変更\n" for i in range(lines)),
    }


def plan(text: str, divisions: int) -> dict:
    from xlkit import reorg

    org = org_of(divisions)
    t0 = time.perf_counter()
    table = reorg.parse_text(text, "bench.txt")
    read = time.perf_counter() - t0
    try:
        result = reorg.plan(org, ["区長"], table, DAY)
        outcome = f"planned: {len(result.openings):,} new 課"
    except reorg.Refused as refused:
        outcome = f"refused: {len(refused.problems):,} problems, message {len(refused.message):,} characters"
    return {"bytes": len(text.encode()), "read_s": round(read, 3),
            "plan_s": round(time.perf_counter() - t0 - read, 3), "outcome": outcome}


def chain(length: int) -> dict:
    from xlkit import org
    from xlkit.org import Division

    entries = [Division(f"課{i}", "区長", DAY.replace(year=2000 + i) if i else None,
                        DAY.replace(year=2001 + i) - dt.timedelta(days=1) if i < length - 1 else None,
                        (f"課{i + 1}",) if i < length - 1 else ()) for i in range(length)]
    day = dt.date(2000 + length, 6, 1)
    t0 = time.perf_counter()
    forward = org.name_on(entries, "課0", day)
    back = org.name_on(entries, f"課{length - 1}", dt.date(1999, 6, 1))
    takers = org.takers(entries, "課0", day)
    return {"chain": length, "seconds": round(time.perf_counter() - t0, 3), "forward": forward, "back": back,
            "takers": takers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=16_000)
    parser.add_argument("--divisions", type=int, default=40)
    parser.add_argument("--chain", type=int, default=1_500)
    args = parser.parse_args()
    found = {name: plan(text, args.divisions) for name, text in tables(args.lines).items()}
    found["chain"] = chain(args.chain)
    print(json.dumps(found, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
