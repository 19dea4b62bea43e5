"""`xlkit bundle`: how long the offline installer for Windows takes to build, and how big it is.

    python benchmarks/bench_bundle.py [--python 3.12 ...] [--cold] [--keep DIR]

Builds the Windows bundle (every Python of xlkit.installation.PYTHONS unless --python is given)
into a temporary folder and reports, as JSON: the whole build, pip's resolving and downloading
(all Pythons, every round of the marker closure), the number of wheels and pins, and the
bundle's size. --cold runs pip without its cache (PIP_NO_CACHE_DIR), as a first build on a new
machine does. It needs a package index; the benchmark reports, and exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=[], dest="pythons")
    parser.add_argument("--cold", action="store_true", help="pip without its cache")
    parser.add_argument("--keep", type=Path, help="build into this (new) folder and keep it")
    args = parser.parse_args()
    if args.cold:
        os.environ["PIP_NO_CACHE_DIR"] = "1"

    from xlkit import bundle_build

    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as scratch:
        out = args.keep or Path(scratch) / "バンドル"
        started = time.monotonic()
        built = bundle_build.build(out, pythons=args.pythons)
        total = time.monotonic() - started
        print(json.dumps({
            "pythons": [t.python for t in built.lock.targets],
            "cold": args.cold,
            "seconds_total": round(total, 1),
            "seconds_pip_download": round(built.download_seconds, 1),
            "wheels": sum(1 for name in built.files if name.startswith("wheels/")),
            "pins": len(built.lock.pins),
            "xlwings": str(built.lock.version_of("xlwings")),
            "megabytes": round(built.size / 1024 / 1024, 1),
        }, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
