"""Hostile registers at full size: how long `xlkit validate` takes to refuse each, and its peak
memory, in a fresh process. The tests prove each refusal at a few kilobytes (XLKIT_LIMITS);
this shows the default limits hold at the sizes the tester used.

    python benchmarks/bench_hostile.py [--mb 1100]

Cases (built in a temporary folder from workbooks/sample.xlsx):
- a shared-strings bomb: a 1 MB file whose sharedStrings.xml inflates to --mb MB (the tester's
  1.1 GB bomb cost 3.4 GB and ended with "no errors");
- the same bomb with its directory lying that the part is 1,000 bytes (calamine would inflate all
  of it; the guard's CRC check refuses it);
- one text cell of 業務名 just under the default part limit, i.e. a single 120 MB string (the
  tester's 1.1 GB string took 37 s and passed);
- the sample itself, for comparison.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "sample.xlsx"
SHARED = "xl/sharedStrings.xml"


def validate(path: Path) -> tuple[float, float, int, str]:
    """(seconds, peak MB, exit code, first line of stderr) of one `xlkit validate` process."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", "import sys; from xlkit.cli import main; sys.exit(main())",
                                "validate", str(path)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), (err.splitlines() or [""])[0]


def with_shared_strings(path: Path, write_strings) -> Path:
    """The sample with its sharedStrings.xml written by `write_strings(stream)`, streamed."""
    with zipfile.ZipFile(SAMPLE) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename == SHARED:
                with out.open(SHARED, "w", force_zip64=True) as stream:
                    write_strings(stream)
            else:
                out.writestr(info, source.read(info))
    return path


def bomb(megabytes: int):
    def write(stream):
        stream.write(b"<sst>")
        block = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
        for _ in range(megabytes):
            stream.write(block)
        stream.write(b"</sst>")
    return write


def one_long_string(megabytes: int):
    """The text of the sample's first 業務名 replaced by `megabytes` MB of 業 (one cell)."""
    import python_calamine

    business = python_calamine.CalamineWorkbook.from_path(str(SAMPLE)).get_sheet_by_name("外部結合").to_python()[1][3]
    original = zipfile.ZipFile(SAMPLE).read(SHARED)
    marker = f"<t>{business}</t>".encode()
    assert original.count(marker) == 1, business
    head, tail = original.split(marker)

    def write(stream):
        stream.write(head + b"<t>")
        chunk = "業".encode() * 349_525  # 1 MB
        for _ in range(megabytes):
            stream.write(chunk)
        stream.write(b"</t>" + tail)
    return write


def lie_about_size(path: Path, part: str, size: int) -> Path:
    raw = bytearray(path.read_bytes())
    name = part.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            if raw[start + name_at:start + name_at + len(name)] == name and raw[start + size_at:start + size_at + 4] != b"\xff\xff\xff\xff":
                struct.pack_into("<L", raw, start + size_at, size)
            start += 4
    path.write_bytes(bytes(raw))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1100, help="inflated size of the bomb in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cases = [
            ("the sample", SAMPLE),
            (f"sharedStrings bomb, {args.mb:,} MB", with_shared_strings(work / "bomb.xlsx", bomb(args.mb))),
            ("the bomb with a lying 4 GB-free directory", None),
            ("one 120 MB string in 業務名", with_shared_strings(work / "long.xlsx", one_long_string(120))),
        ]
        small = with_shared_strings(work / "liar.xlsx", bomb(min(args.mb, 4000)))
        if zipfile.ZipFile(small).getinfo(SHARED).file_size < 0xFFFFFFFF:
            cases[2] = ("the bomb, its directory saying 1,000 bytes", lie_about_size(small, SHARED, 1000))
        else:
            cases.pop(2)
        print(f"{'register':>45} {'bytes':>12} {'seconds':>8} {'peak MB':>8}  exit  message")
        for name, path in cases:
            seconds, peak, code, said = validate(path)
            print(f"{name:>45} {path.stat().st_size:>12,} {seconds:>8.2f} {peak:>8.0f}  {code:>4}  {said[:70]}")


if __name__ == "__main__":
    main()
