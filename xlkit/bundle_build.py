"""`xlkit bundle`: the offline installer for the office's Windows PCs, built on a machine that
reaches a package index.

The bundle is a folder IT carries through the 無害化 gateway: every wheel xlkit needs for each
supported Python (wheels/), the lock that pins them with their SHA-256 (requirements.lock),
セットアップ.bat and アンインストール.bat, 確認.bat with SHA256SUMS.txt to check the files after the
gateway, and はじめにお読みください.txt. It holds no macro: registers get theirs on the PC, from
the xlwings the lock pins, when `xlkit new` or `xlkit upgrade` runs there.

The folder is built under a temporary name beside DIR and renamed at the end: a failure or a
Ctrl+C never leaves half a bundle under DIR.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from xlkit import bundle_files, bundle_lock, bundle_pip, files, installation
from xlkit.errors import SetupError, XlkitError, os_reason

# what the source tree copy for `pip wheel` leaves out: build output, caches, and bundles
_NOT_SOURCE = (".git", "build", "dist", "*.egg-info", "__pycache__", ".venv*", ".pytest_cache", "exports",
               files.TEMP_PREFIX + "*")
_OLD = "-old"  # the previous bundle's temporary name while --overwrite replaces it


@dataclass(frozen=True)
class Built:
    folder: Path
    lock: bundle_lock.Lock
    files: tuple[str, ...]     # every file of the bundle, relative, "/"-separated
    size: int                  # bytes
    download_seconds: float    # pip's resolving and downloading, all Pythons


def build(out: str | Path, *, platform: str = "windows", pythons: Iterable[str] = (), wheel: str | Path | None = None,
          overwrite: bool = False, say: Callable[[str], None] = lambda text: None) -> Built:
    """Build the bundle into the folder `out` for `platform` ("windows": 64-bit Windows and each
    of `pythons`, by default every one of xlkit.installation.PYTHONS; "here": this machine and
    this Python). xlkit's own wheel is `wheel`, else built from the source tree xlkit runs from."""
    out = Path(out).absolute()
    _check_out(out, overwrite)
    targets = _targets(platform, tuple(pythons))
    given = _given_wheel(wheel) if wheel is not None else None
    source = None if given else source_tree()
    if given is None and source is None:
        raise XlkitError("この xlkit はソースのフォルダ（pyproject.toml のあるフォルダ）から入っていないため、"
                         "xlkit の wheel を作れません。--wheel で xlkit の wheel（xlkit-….whl）を指定してください。")
    for owner in (out.name, out.name + _OLD):  # what a killed run left: nobody will finish it
        for leftover in files.abandoned(out.parent / owner):
            shutil.rmtree(leftover, ignore_errors=True)
    try:
        scratch = files.scratch_folder(out.parent, out.name)
        os.chmod(scratch, files.new_folder_mode())  # IT copies it to a share: not for its maker only
    except OSError as exc:
        raise XlkitError(f"保存先のフォルダ「{out.parent}」に書き込めません（{os_reason(exc)}）。") from None
    try:
        with tempfile.TemporaryDirectory(prefix="xlkit-bundle-") as work:
            work = Path(work)
            local = _xlkit_wheel(given, source, work, out, say)
            roots = [Requirement(f"{local.name}=={local.version}")]
            say(f"依存するパッケージを集めています（{'、'.join(t.label for t in targets)}）…")
            started = time.monotonic()
            lock = bundle_lock.lock(roots, {local.key: local}, targets, work / "pip", _download)
            seconds = time.monotonic() - started
            say("バンドルのファイルを書いています…")
            listed = bundle_files.write(scratch, lock, local)
        size = sum((scratch / name).stat().st_size for name in listed)
        _move_into_place(scratch, out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Built(out, lock, tuple(listed), size, seconds)


def _download(requirements: list[str], constraints: list[str], folder: Path, target: bundle_lock.Target) -> None:
    bundle_pip.download(requirements, constraints, folder, target.pip_args, label=target.label)


def source_tree() -> Path | None:
    """The project folder this xlkit is installed from (editable), if any: its pyproject.toml
    names the project xlkit."""
    root = Path(__file__).resolve().parents[1]
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, ValueError):
        return None
    return root if project.get("name") == "xlkit" else None


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse before any download: a missing parent, a file, or a folder with something in it."""
    try:
        if not out.parent.is_dir():
            raise XlkitError(f"保存先のフォルダ「{out.parent}」がありません。フォルダを作成するか、--out を確認してください。")
        if out.exists() and not out.is_dir():
            raise XlkitError(f"「{out}」はフォルダではなくファイルです。バンドルを作る新しいフォルダを --out に指定してください。")
        busy = out.is_dir() and any(out.iterdir())
    except OSError as exc:
        raise XlkitError(f"保存先「{out}」を使えません（{os_reason(exc)}）。") from None
    if busy and not overwrite:
        raise XlkitError(f"フォルダ「{out}」にはすでにファイルがあります。空のフォルダか新しい名前を --out に指定するか、"
                         "中身を作り直してよければ --overwrite を付けてください。")
    if busy and not _is_bundle(out):
        # --overwrite removes the folder whole: a mistyped --out (Documents, the project) must survive it
        raise XlkitError(f"フォルダ「{out}」はバンドルのフォルダではありません（{bundle_files.SUMS}・{bundle_files.LOCK}・"
                         f"{bundle_files.SETUP} がそろっていません）。--overwrite は前に作ったバンドルだけを作り直します。"
                         "空のフォルダか新しい名前を --out に指定してください。")


def _is_bundle(folder: Path) -> bool:
    """Whether `folder` holds a bundle this command made: the files only it writes side by side."""
    try:
        return all((folder / name).is_file() for name in (bundle_files.SUMS, bundle_files.LOCK, bundle_files.SETUP))
    except OSError:
        return False


def _targets(platform: str, pythons: tuple[str, ...]) -> list[bundle_lock.Target]:
    if platform == "here":
        here = bundle_lock.here()
        if pythons and set(pythons) != {here.python}:
            raise XlkitError(f"--platform here は、いま動いている Python {here.python} 用のバンドルだけを作ります。"
                             f"--python {'、'.join(pythons)} は指定できません。")
        return [here]
    if platform != "windows":
        raise XlkitError(f"--platform「{platform}」は選べません。windows か here を指定してください。")
    unknown = [p for p in pythons if p not in installation.PYTHONS]
    if unknown:
        raise XlkitError(f"--python「{'、'.join(unknown)}」には対応していません。"
                         f"{'、'.join(installation.PYTHONS)} から選んでください。")
    chosen = [p for p in installation.PYTHONS if p in pythons] or list(installation.PYTHONS)
    return [bundle_lock.windows(p) for p in chosen]


def _given_wheel(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise XlkitError(f"--wheel に指定した「{path}」がありません。xlkit の wheel（xlkit-….whl）を指定してください。")
    if not path.name.lower().startswith("xlkit-") or path.suffix.lower() != ".whl":
        raise XlkitError(f"--wheel に指定した「{path.name}」は xlkit の wheel ではありません。"
                         "名前が xlkit- で始まり .whl で終わるファイルを指定してください。")
    return path


def _xlkit_wheel(given: Path | None, source: Path | None, work: Path, out: Path,
                 say: Callable[[str], None]) -> bundle_lock.Wheel:
    """xlkit's own wheel, read: the one given, or one built from a copy of the source tree (pip
    would otherwise leave build/ and *.egg-info in the project folder)."""
    made = work / "xlkit"
    made.mkdir()
    if given is not None:
        shutil.copyfile(given, made / given.name)
        wheel = bundle_lock.read_wheel(made / given.name)
    else:
        say(f"xlkit の wheel を作っています（{source}）…")
        copy = work / "source"
        leave = {out.resolve()}
        shutil.copytree(source, copy, ignore=lambda folder, names: _left_out(Path(folder), names, leave))
        wheel = bundle_lock.read_wheel(bundle_pip.build_xlkit_wheel(copy, made))
    if wheel.key != "xlkit":
        raise XlkitError(f"「{wheel.path.name}」は xlkit の wheel ではありません（中身は {wheel.name}）。")
    return wheel


def _left_out(folder: Path, names: list[str], leave: set[Path]) -> set[str]:
    ignored = set(shutil.ignore_patterns(*_NOT_SOURCE)(str(folder), names))
    return ignored | {n for n in names if (folder / n).resolve() in leave}


def _move_into_place(scratch: Path, out: Path) -> None:
    """The finished bundle under its name: an empty DIR is replaced, a full one (--overwrite)
    moved aside first and removed only once the new one is in place."""
    old = None
    try:
        if out.is_dir() and any(out.iterdir()):
            old = files.scratch_folder(out.parent, out.name + _OLD)
            os.replace(out, old / out.name)
        elif out.is_dir():
            out.rmdir()
        os.replace(scratch, out)
    except OSError as exc:
        if old is not None and (old / out.name).exists() and not out.exists():
            os.replace(old / out.name, out)  # put the previous bundle back
        raise SetupError(f"バンドルを「{out}」に置けませんでした（{os_reason(exc)}）。"
                         "エクスプローラーなどでそのフォルダを開いていれば閉じて、もう一度実行してください。") from None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
