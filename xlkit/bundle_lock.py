"""The offline bundle's lock: which wheels, at which versions, for which Pythons of which PC.

pip decides which dependency a wheel needs by the environment markers of the machine it runs
on, not of the PC the bundle is for: on Linux it leaves out xlwings' `pywin32;
platform_system == "Windows"` without a word. So the set is closed here: every wheel's
Requires-Dist is read and its markers evaluated for the target, what is missing is handed back
to pip, and the result is checked once more before it is written as requirements.lock.
"""

from __future__ import annotations

import email.parser
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging import tags as wheel_tags
from packaging.markers import Marker, default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from xlkit.closing import sha256_of
from xlkit.errors import SetupError

ROUNDS = 8  # pip runs per Python before a set that will not close is said to be broken
_NEWEST_MICRO = 99  # above any micro version a minor one reaches


@dataclass(frozen=True)
class Target:
    """A PC the bundle is for: one Python minor version on one platform."""

    python: str                   # "3.12"
    platform: str                 # 「Windows 64 ビット」
    pip_args: tuple[str, ...]     # what makes `pip download` fetch this target's wheels
    environment: dict[str, str]   # the environment markers are evaluated in
    tags: frozenset = field(repr=False)  # the wheel tags this target installs
    any_micro: bool = False       # the PC's micro version is unknown: a marker on it is asked of all

    @property
    def environments(self) -> tuple[dict[str, str], ...]:
        """The environments a requirement is needed in if its marker holds in any: with
        `any_micro`, the oldest and a newest micro version of the minor one, so that a
        `python_full_version >= "3.11.4"` dependency is in the bundle for a PC with 3.11.9."""
        if not self.any_micro:
            return (self.environment,)
        newest = f"{self.python}.{_NEWEST_MICRO}"
        return (self.environment,
                {**self.environment, "python_full_version": newest, "implementation_version": newest})

    @property
    def label(self) -> str:
        """What the reader is told: 「Windows 64 ビット・Python 3.12」."""
        return f"{self.platform}・Python {self.python}"


def windows(python: str) -> Target:
    """64-bit CPython `python` ("3.12") on Windows, as the office PCs run it."""
    major, minor = (int(part) for part in python.split("."))
    abi = f"cp{major}{minor}"
    environment = {
        "implementation_name": "cpython", "platform_python_implementation": "CPython",
        "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
        "platform_release": "10", "platform_version": "10.0",
        "python_version": python, "python_full_version": f"{python}.0", "implementation_version": f"{python}.0",
    }
    tags = {*wheel_tags.cpython_tags((major, minor), abis=[abi], platforms=["win_amd64"]),
            *wheel_tags.compatible_tags((major, minor), interpreter=abi, platforms=["win_amd64"])}
    return Target(python, "Windows 64 ビット",
                  ("--platform", "win_amd64", "--implementation", "cp", "--python-version", python, "--abi", abi),
                  environment, frozenset(tags), any_micro=True)


def here() -> Target:
    """This machine and this Python: the bundle the tests install."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Target(python, "この PC", (), dict(default_environment()),
                  frozenset(wheel_tags.sys_tags()))


@dataclass(frozen=True)
class Wheel:
    path: Path
    name: str           # as the wheel spells it (METADATA Name)
    key: str            # canonical: what requirements are matched by
    version: Version
    requires: tuple[Requirement, ...]
    sha256: str

    def fits(self, target: Target) -> bool:
        return bool(parse_wheel_filename(self.path.name)[3] & target.tags)


def read_wheel(path: Path) -> Wheel:
    """A wheel's name, version and Requires-Dist, from its METADATA; a file that is no wheel is
    refused naming it."""
    try:
        parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise SetupError(f"「{path.name}」に METADATA がありません。wheel のファイルではないようです。")
            metadata = email.parser.BytesHeaderParser().parsebytes(archive.read(names[0]))
        requires = tuple(Requirement(text) for text in metadata.get_all("Requires-Dist") or ())
        name, version = metadata["Name"], Version(metadata["Version"])
        key = canonicalize_name(name)
    except (zipfile.BadZipFile, InvalidWheelFilename, InvalidRequirement, InvalidVersion, KeyError, TypeError):
        raise SetupError(f"「{path.name}」を wheel として読めません（ZIP・ファイル名・名前・版・依存の書き方のどれかが"
                         "壊れています）。壊れたファイルなら消して、もう一度実行してください。") from None
    return Wheel(path, name, key, version, requires, sha256_of(path.read_bytes()))


def applies(requirement: Requirement, environments: Iterable[dict[str, str]], extras: Iterable[str] = ()) -> bool:
    """Whether `requirement` holds on the target: its marker evaluated in any of the target's
    `environments`, with no extra or one the package was asked for."""
    if requirement.marker is None:
        return True
    return any(_holds(requirement.marker, environments, extra) for extra in ("", *extras))


def _holds(marker: Marker, environments: Iterable[dict[str, str]], extra: str) -> bool:
    return any(marker.evaluate({**environment, "extra": extra}) for environment in environments)


def bare(requirement: Requirement) -> str:
    """A requirement without its marker, as pip is asked for it: the marker was for the target."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def closure(roots: Iterable[Requirement], wheels: dict[str, Wheel],
            environments: Iterable[dict[str, str]]) -> tuple[dict[str, Wheel], list[Requirement]]:
    """(the wheels `roots` need on the target, the requirements no wheel satisfies), following
    every Requires-Dist whose marker holds there, extras included where they were asked for."""
    reached: dict[str, Wheel] = {}
    extras: dict[str, set[str]] = {}
    missing: list[Requirement] = []
    done: set[tuple[str, str]] = set()
    environments = tuple(environments)
    queue = [r for r in roots if applies(r, environments)]
    while queue:
        requirement = queue.pop(0)
        key = canonicalize_name(requirement.name)
        wheel = wheels.get(key)
        if wheel is None or not requirement.specifier.contains(wheel.version, prereleases=True):
            missing.append(requirement)
            continue
        reached[key] = wheel
        extras.setdefault(key, set()).update(requirement.extras)
        for extra in ("", *sorted(extras[key])):
            if (key, extra) in done:
                continue
            done.add((key, extra))
            queue += [r for r in wheel.requires if r.marker is None and extra == ""
                      or r.marker is not None and _holds(r.marker, environments, extra)]
    return reached, missing


def resolve(roots: list[Requirement], local: dict[str, Wheel], target: Target, work: Path, pins: dict[str, Wheel],
            download: Callable[[list[str], list[str], Path, Target], None]) -> dict[str, Wheel]:
    """The wheels `roots` need on `target`, by key: downloaded by pip (`download(requirements,
    constraints, folder, target)`) and closed here. `local` are wheels pip cannot fetch (xlkit's own); `pins`,
    the versions other Pythons locked, constrain this one so that one lock serves them all."""
    asked = [bare(r) for r in _needs(roots, local, target)]
    # constraints, not requirements: a package only another Python needs is not fetched here
    constraints = [f"{w.name}=={w.version}" for key, w in pins.items() if key not in local]
    added: list[str] = []
    for round_ in range(ROUNDS):
        folder = work / f"{target.python}-{round_}"
        folder.mkdir(parents=True)
        download(asked + added, constraints, folder, target)
        wheels = {**{w.key: w for w in map(read_wheel, sorted(folder.glob("*.whl")))}, **local}
        reached, missing = closure(roots, wheels, target.environments)
        if not missing:
            for wheel in reached.values():
                if not wheel.fits(target):
                    raise SetupError(f"パッケージ「{wheel.name}」{wheel.version} に {target.label} 用の wheel がありません"
                                     f"（{wheel.path.name}）。")
            return reached
        new = [bare(r) for r in missing if bare(r) not in added]
        if not new:
            break
        added += new
    names = "、".join(sorted({str(r) for r in missing}))
    raise SetupError(f"{target.label} で必要なパッケージをそろえられませんでした（足りないもの: {names}）。"
                     "pyproject.toml の依存の指定を見直してください。")


def _needs(roots: list[Requirement], local: dict[str, Wheel], target: Target) -> list[Requirement]:
    """What pip must fetch for `roots`: the requirements of the local wheels they name (pip
    cannot find xlkit itself on an index) and the roots that are no local wheel."""
    needs = []
    for root in roots:
        wheel = local.get(canonicalize_name(root.name))
        if wheel is None:
            needs.append(root)
            continue
        needs += [r for r in wheel.requires if applies(r, target.environments, root.extras)]
    return [r for r in needs if canonicalize_name(r.name) not in local]


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    wheels: tuple[Wheel, ...]   # one per distinct file: a pure wheel serves every Python
    pythons: tuple[str, ...]    # the target Pythons that need it


@dataclass(frozen=True)
class Lock:
    pins: tuple[Pin, ...]
    targets: tuple[Target, ...]

    def version_of(self, name: str) -> Version | None:
        return next((p.version for p in self.pins if canonicalize_name(p.name) == canonicalize_name(name)), None)

    def files(self) -> list[Path]:
        return [w.path for pin in self.pins for w in pin.wheels]


def lock(roots: list[Requirement], local: dict[str, Wheel], targets: Iterable[Target], work: Path,
         download: Callable[[list[str], list[str], Path, Target], None]) -> Lock:
    """One set of versions for every target (each resolved with the versions the earlier ones
    chose as constraints), verified closed for each before it is returned."""
    targets = tuple(targets)
    chosen: dict[str, Wheel] = {}
    per_target: dict[str, dict[str, Wheel]] = {}
    for target in targets:
        reached = resolve(roots, local, target, work, chosen, download)
        for key, wheel in reached.items():
            if key in chosen and chosen[key].version != wheel.version:
                raise SetupError(f"パッケージ「{wheel.name}」の版が Python ごとに違ってしまいます"
                                 f"（{chosen[key].version} と {target.label} の {wheel.version}）。"
                                 "pyproject.toml でその版を指定してください。")
            chosen.setdefault(key, wheel)
        per_target[target.python] = reached
    pins = []
    for key in sorted(chosen):
        wheels = {w.path.name: w for t in targets for k, w in per_target[t.python].items() if k == key}
        pythons = tuple(t.python for t in targets if key in per_target[t.python])
        pins.append(Pin(chosen[key].name, chosen[key].version, tuple(wheels[n] for n in sorted(wheels)), pythons))
    result = Lock(tuple(pins), targets)
    verify(result, roots)
    return result


def verify(result: Lock, roots: Iterable[Requirement]) -> None:
    """Refuse a lock that is not closed: on every target, every requirement of every wheel it
    installs is met by a pinned version that has a wheel for that target."""
    roots = list(roots)
    for target in result.targets:
        wheels = {}
        for pin in result.pins:
            if target.python not in pin.pythons:
                continue
            fitting = [w for w in pin.wheels if w.fits(target)]
            if not fitting:
                raise SetupError(f"パッケージ「{pin.name}」{pin.version} に {target.label} 用の wheel がありません。")
            wheels[canonicalize_name(pin.name)] = fitting[0]
        reached, missing = closure(roots, wheels, target.environments)
        if missing:
            raise SetupError(f"{target.label} で、固定した版の組では満たせない依存があります: "
                             f"{'、'.join(sorted(map(str, missing)))}。")
        extra = sorted(set(wheels) - set(reached))
        if extra:
            raise SetupError(f"{target.label} には要らないパッケージが固定されています: {'、'.join(extra)}。")


def marker(pin: Pin, targets: tuple[Target, ...]) -> str:
    """The environment marker of a pin that only some target Pythons need ("" when all do)."""
    if len(pin.pythons) == len(targets):
        return ""
    return " ; " + " or ".join(f'python_version == "{p}"' for p in pin.pythons)


def lock_text(result: Lock, header: Iterable[str]) -> str:
    """requirements.lock: the `header` lines as comments, then `name==version` with the SHA-256
    of each of its wheels, in the format of `pip install --require-hashes -r`."""
    lines = [f"# {line}".rstrip() for line in header]
    for pin in result.pins:
        lines.append("")
        hashes = [f"    --hash=sha256:{w.sha256}" for w in pin.wheels]
        lines.append(" \\\n".join([f"{pin.name}=={pin.version}{marker(pin, result.targets)}", *hashes]))
    return "\n".join(lines) + "\n"
