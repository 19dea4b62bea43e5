"""pip, as `xlkit bundle` runs it: building xlkit's wheel, downloading wheels for a target, and the
one install command that セットアップ.bat writes out and the tests run.

Every pip run is a child process of this Python (`python -m pip`): pip has no API, and its own
words are English, so a failure is said here in Japanese with the package pip named.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from xlkit.errors import SetupError

# how pip is started; tests put a fake pip here to say a failure offline
PIP: tuple[str, ...] = (sys.executable, "-m", "pip")

# the bundle's parts that the install command names
WHEELS = "wheels"
LOCK = "requirements.lock"

# What pip reads besides its arguments: a pip.ini of the PC or of IT's image could point at an
# index or add find-links, and a PIP_* variable could do the same. The install must see the
# bundle's wheels and nothing else, on the office PC as in the test here.
_CLEARED = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_REQUIREMENT",
            "PIP_NO_BINARY", "PIP_ONLY_BINARY", "PIP_PRE", "PIP_TARGET", "PIP_PREFIX", "PIP_USER")

_NOT_FOUND = re.compile(r"No matching distribution found for ([A-Za-z0-9_.\-\[\]]+)")
_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement ([A-Za-z0-9_.\-\[\]]+)")
_PINNED = re.compile(r"The user requested \(constraint\) ([A-Za-z0-9_.\-]+==[^\s,;]+)")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+")


def install_args(place: Callable[[str], str]) -> list[str]:
    """The arguments after the venv's python.exe that install a bundle; `place(name)` is where
    the bundle's part `name` lies (`%~dp0wheels` in セットアップ.bat, a real path in a test).

    Wheels only, from the bundle only, every file checked against the lock's SHA-256. Running
    it again reinstalls the pinned versions even when a version number did not change (a rebuilt
    xlkit of the same version), which is what makes 「もう一度実行」 an upgrade and a repair.
    """
    return ["-m", "pip", "install", "--no-index", "--find-links", place(WHEELS), "--only-binary=:all:",
            "--require-hashes", "--force-reinstall", "--disable-pip-version-check", "--no-warn-script-location",
            "-r", place(LOCK)]


def install_environment(devnull: str) -> dict[str, str | None]:
    """The environment the install runs in: no pip configuration file (pip skips them all when
    PIP_CONFIG_FILE is the null device, spelt as `devnull`: "nul" on Windows), and no PIP_*
    variable that adds a source (None: unset)."""
    return {"PIP_CONFIG_FILE": devnull, **{name: None for name in _CLEARED}}


def build_xlkit_wheel(source: Path, out: Path) -> Path:
    """xlkit's wheel built from the source tree `source` into `out` (no dependencies)."""
    before = set(out.glob("*.whl"))
    _run(["wheel", "--no-deps", "--disable-pip-version-check", "--wheel-dir", str(out), str(source)],
         failed=f"ソースのフォルダ「{source}」から xlkit の wheel を作れませんでした。")
    made = sorted(set(out.glob("*.whl")) - before)
    if len(made) != 1:
        raise SetupError(f"ソースのフォルダ「{source}」から xlkit の wheel を作れませんでした"
                         f"（できたファイル: {len(made)} 個）。")
    return made[0]


def download(requirements: Iterable[str], constraints: Iterable[str], dest: Path, platform_args: Iterable[str], *,
             label: str) -> None:
    """Wheels (never source archives) for `requirements` and what pip resolves for them, into
    `dest`, held to the versions `constraints` pin, for the target that `platform_args` describe
    (`label` names it to the reader)."""
    requirements, constraints = list(requirements), list(constraints)
    options = []
    if constraints:
        listed = dest.parent / f"{dest.name}.constraints.txt"
        listed.write_text("".join(f"{c}\n" for c in constraints), encoding="utf-8")
        options = ["--constraint", str(listed)]
    _run(["download", "--only-binary=:all:", "--disable-pip-version-check", "--progress-bar", "off",
          "--dest", str(dest), *platform_args, *options, *requirements],
         failed=f"{label} 用の wheel を集められませんでした。", requirements=requirements)


def _run(args: list[str], *, failed: str, requirements: Iterable[str] = ()) -> str:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    try:
        done = subprocess.run([*PIP, *args], capture_output=True, text=True, encoding="utf-8",
                              errors="replace", env=env)
    except OSError as exc:
        raise SetupError(f"{failed} pip を起動できませんでした（{exc.strerror or exc.errno}）。") from None
    if done.returncode != 0:
        output = done.stdout + "\n" + done.stderr
        raise SetupError(failed + _why(output, requirements) + _kept(output))
    return done.stdout


def _kept(output: str) -> str:
    """pip's own words (English) kept in a log file for whoever fixes it, named in the message."""
    try:
        fd, name = tempfile.mkstemp(prefix="xlkit-bundle-pip-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(output)
    except OSError:
        return ""
    return f"（pip の表示の全文: {name}）"


def _why(output: str, requirements: Iterable[str]) -> str:
    """pip's failure in Japanese: the package it could not find, or its last word quoted."""
    missing = _NOT_FOUND.search(output) or _NO_VERSION.search(output)
    if missing:
        name = missing.group(1)
        asked = [r for r in requirements if _base(r) == _base(name)]
        return (f"パッケージ「{asked[0] if asked else name}」に合う wheel がパッケージの索引にありません。"
                "索引（PyPI など）に接続できるか、その版が対象の Python と Windows 64 ビット用に出ているかを"
                "確かめてください。")
    if "ResolutionImpossible" in output or "conflicting dependencies" in output:
        pinned = _PINNED.findall(output)
        if pinned:  # a version another Python locked has no wheel, or no fitting one, for this one
            return (f"ほかの Python 用に固定した「{'」「'.join(dict.fromkeys(pinned))}」では、この Python 用の組を"
                    "作れません（その版に、この Python 用の wheel がないと考えられます）。"
                    "pyproject.toml でそのパッケージの版の下限を上げてください。")
        return "依存するパッケージの版の条件が両立しません。pyproject.toml の版の指定を見直してください。"
    return "パッケージの索引（PyPI など）に接続できるか、ディスクの空きがあるかを確かめてください。"


def _base(requirement: str) -> str:
    found = _NAME.match(requirement.strip())
    return re.sub(r"[-_.]+", "-", found.group(0)).lower() if found else requirement

