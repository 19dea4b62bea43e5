"""A fake pip for the offline tests of `xlkit bundle` (tests/test_bundle.py and
tests/test_bundle_hostile.py): an index of its own, a log of every call; and the lock read back."""

from __future__ import annotations

import re
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name

from xlkit import bundle_pip

# A pip that "downloads" from a little index of its own. Like the real one on Linux, it follows
# a dependency only when its marker holds on this machine: xlwings' pywin32 is left out.
FAKE_PIP = textwrap.dedent('''
    import json, sys, zipfile, pathlib
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    INDEX = json.loads(pathlib.Path(__file__).with_suffix(".json").read_text())
    args = sys.argv[1:]
    with open(pathlib.Path(__file__).with_suffix(".log"), "a") as log:
        log.write(json.dumps(args) + "\\n")
    assert args[0] == "download"
    dest = pathlib.Path(args[args.index("--dest") + 1])
    python = args[args.index("--python-version") + 1] if "--python-version" in args else "here"
    options = {"--dest", "--platform", "--implementation", "--python-version", "--abi", "--constraint", "--progress-bar"}
    wanted = [a for i, a in enumerate(args[1:], 1) if not a.startswith("-") and args[i - 1] not in options]
    def fetch(text):
        name = Requirement(text).name
        if name not in INDEX or python in INDEX[name].get("missing", []):
            print("ERROR: No matching distribution found for " + text, file=sys.stderr)
            sys.exit(1)
        entry = INDEX[name]
        if python in entry.get("conflict", []):
            print(f"ERROR: Cannot install {name} because these package versions have conflicting dependencies.",
                  f"    The user requested (constraint) {name}=={entry['version']}",
                  "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io", sep="\\n", file=sys.stderr)
            sys.exit(1)
        with zipfile.ZipFile(dest / f"{name}-{entry['version']}-py3-none-any.whl", "w") as whl:
            meta = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {entry['version']}\\n"
            meta += "".join(f"Requires-Dist: {r}\\n" for r in entry.get("requires", []))
            whl.writestr(f"{name}-{entry['version']}.dist-info/METADATA", meta)
        for r in entry.get("requires", []):
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate():
                fetch(r)
    for text in wanted:
        fetch(text)
''')
INDEX = {
    "xlwings": {"version": "0.37.8", "requires": ['pywin32 >=224 ; platform_system == "Windows"', "helper[fast]"]},
    "pywin32": {"version": "312"},
    "helper": {"version": "1.0", "requires": ['backport ; python_version < "3.12"', 'speedup ; extra == "fast"',
                                             'unused ; extra == "other"']},
    "backport": {"version": "2.0"},
    "speedup": {"version": "3.0"},
}


def fake_xlkit_wheel(folder: Path, requires=("xlwings>=0.37",)) -> Path:
    path = folder / "xlkit-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr("xlkit-0.1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: xlkit\nVersion: 0.1.0\n"
                     + "".join(f"Requires-Dist: {r}\n" for r in requires))
    return path


def install_fake_pip(tmp_path: Path, monkeypatch):
    """Put the fake pip in place of the real one (the fixture fake_pip of tests/conftest.py):
    returns (set_index(**changes), the log of its calls)."""
    import json

    script = tmp_path / "fakepip.py"
    script.write_text(FAKE_PIP, encoding="utf-8")
    index = dict(INDEX)
    monkeypatch.setattr(bundle_pip, "PIP", (sys.executable, str(script)))
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))  # pip's log of a failure lands here

    def set_index(**changes):
        index.update(changes)
        script.with_suffix(".json").write_text(json.dumps(index), encoding="utf-8")

    set_index()
    return set_index, script.with_suffix(".log")


def lock_pins(path: Path) -> dict[str, tuple[str, str, list[str]]]:
    """requirements.lock read here, not by the code under test: key -> (version, marker, hashes)."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        found = re.match(r"([A-Za-z0-9_.\-]+)==(\S+?)\s*(?:;\s*(.*?))?\s*((?:--hash=sha256:[0-9a-f]{64}\s*)+)$", line)
        assert found, line
        name, version, marker, hashes = found.groups()
        assert canonicalize_name(name) not in pins, f"{name} pinned twice"
        pins[canonicalize_name(name)] = (version, marker or "", re.findall(r"[0-9a-f]{64}", hashes))
    return pins
