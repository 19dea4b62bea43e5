"""`xlkit bundle`: the offline installer for Windows.

Two real bundles, each built once per run (pip's cache keeps the downloads short): one for this
machine, installed into a fresh venv with the very arguments セットアップ.bat carries and
`--no-index`, then `xlkit demo` run there; one for Windows, whose files, lock, manifest and
scripts are checked here, since no Windows runs these tests. Both need the package index, which
CI has. The refusals and the marker closure run offline, with a fake pip.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

from support import japanese, run_cli, run_cli_said
from support.bundles import INDEX, fake_xlkit_wheel, lock_pins
from xlkit import bundle_files, bundle_pip

PYTHONS = ("3.11", "3.12", "3.13")  # written out, not taken from xlkit.installation: a change is caught
TOP_FILES = {"requirements.lock", "SHA256SUMS.txt", "セットアップ.bat", "アンインストール.bat", "確認.bat",
             "はじめにお読みください.txt"}


def _bundle(tmp_path_factory, *args) -> tuple[Path, str]:
    # a parent folder with a space and Japanese in its name, as a desktop folder of staff has
    out = tmp_path_factory.mktemp("bundle") / "配布 フォルダ" / "xlkit バンドル"
    out.parent.mkdir()
    code, stdout, stderr = run_cli(None, "bundle", "--out", out, *args)
    assert code == 0, stderr
    return out, stdout


@pytest.fixture(scope="module")
def here_bundle(tmp_path_factory):
    return _bundle(tmp_path_factory, "--platform", "here")


@pytest.fixture(scope="module")
def windows_bundle(tmp_path_factory):
    return _bundle(tmp_path_factory)


def _fits(wheel: str, python: str) -> bool:
    """Whether 64-bit Windows CPython `python` installs `wheel`: a win_amd64 wheel of its ABI (or
    the stable ABI of an older one), or a pure one."""
    cp = int(python.replace(".", ""))
    for tag in parse_wheel_filename(wheel)[3]:
        if tag.platform not in ("win_amd64", "any"):
            continue
        if tag.interpreter == f"cp{cp}" and tag.abi in (f"cp{cp}", "abi3", "none"):
            return True
        if tag.interpreter.startswith("cp3") and tag.abi == "abi3" and int(tag.interpreter[2:]) <= cp:
            return True
        if tag.interpreter in ("py3", f"py{cp}") and tag.abi == "none":
            return True
    return False


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the bundle for this machine, installed as セットアップ.bat installs it -------------------------

def test_a_fresh_venv_installs_from_the_bundle_offline_and_runs_the_demo(here_bundle, tmp_path):
    folder, _ = here_bundle
    target = tmp_path / "ユーザー 名" / ".venv"  # a Japanese user name with a space
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = dict(os.environ)
    for name, value in bundle_pip.install_environment(os.devnull).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    # no way out to an index even if an option were missing: a proxy that does not exist
    env.update(PIP_NO_INDEX="1", HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    args = bundle_pip.install_args(lambda name: str(folder / name))
    assert "--no-index" in args and "--require-hashes" in args
    done = subprocess.run([str(python), *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True,
                               text=True, env=env, check=True).stdout
    versions = dict(line.split("==") for line in installed.split() if "==" in line)
    versions = {canonicalize_name(k): v for k, v in versions.items()}
    for key, (version, _, _) in lock_pins(folder / "requirements.lock").items():
        assert versions.get(key) == version, key

    xlkit = python.parent / ("xlkit.exe" if os.name == "nt" else "xlkit")
    demo = subprocess.run([str(xlkit), "demo"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "区長" in demo.stdout and "80" in demo.stdout, demo.stdout
    # the demo of the installed package, not the checkout's
    where = subprocess.run([str(python), "-c", "import xlkit; print(xlkit.__file__)"], capture_output=True,
                           text=True, env=env, check=True, cwd=tmp_path).stdout
    assert str(target) in where

    # セットアップ.bat run again (an upgrade, or a rebuilt xlkit of the same version): the bundle's
    # files are installed again, not skipped as 'already satisfied'
    again = subprocess.run([str(python), *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert re.search(r"Successfully installed .*xlkit-", again.stdout), again.stdout[-2000:]


# --- the bundle for Windows ------------------------------------------------------------------

def test_the_windows_bundle_has_every_file_it_promises(windows_bundle):
    folder, stdout = windows_bundle
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    top = {name for name in files if "/" not in name}
    assert top == TOP_FILES
    assert {name for name in files if "/" in name} == {f"wheels/{p.name}" for p in (folder / "wheels").iterdir()}
    assert all(name.endswith(".whl") for name in files - top)
    assert not any(n.endswith((".xlsm", ".xlam", ".xls", ".exe", ".dll")) for n in files)  # nothing the gateway strips
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left beside it
    assert "バンドルを作りました" in stdout and "MB" in stdout


def test_every_pin_has_a_windows_wheel_for_each_python(windows_bundle):
    folder, _ = windows_bundle
    wheels = {_sha256(p): p.name for p in (folder / "wheels").glob("*.whl")}
    pins = lock_pins(folder / "requirements.lock")
    assert "xlkit" in pins and "pandas" in pins
    for key, (version, marker, hashes) in pins.items():
        named = [wheels[h] for h in hashes]  # every hash is a file of the bundle
        for python in PYTHONS:
            if marker and f'python_version == "{python}"' not in marker:
                continue
            fits = [n for n in named if _fits(n, python)]
            assert fits, f"{key}=={version} has no wheel for Windows 64-bit Python {python}: {named}"
            assert all(parse_wheel_filename(n)[1] == parse_wheel_filename(named[0])[1] for n in named)


def test_pywin32_is_closed_in_and_xlwings_pinned_to_one_version(windows_bundle):
    """pip on Linux leaves out xlwings' `pywin32; platform_system == "Windows"`: the bundle
    must not."""
    folder, _ = windows_bundle
    pins = lock_pins(folder / "requirements.lock")
    assert "pywin32" in pins
    wheels = sorted(p.name for p in (folder / "wheels").glob("*.whl"))
    for python in PYTHONS:
        cp = "cp" + python.replace(".", "")
        assert any(n.startswith("pywin32-") and f"-{cp}-" in n and n.endswith("win_amd64.whl") for n in wheels)
    xlwings = {parse_wheel_filename(n)[1] for n in wheels if n.startswith("xlwings-")}
    assert len(xlwings) == 1 and str(xlwings.pop()) == pins["xlwings"][0]
    header = (folder / "requirements.lock").read_text(encoding="utf-8").split("\n\n")[0]
    assert f"xlwings {pins['xlwings'][0]}" in header and f"xlkit {pins['xlkit'][0]}" in header
    assert all(line.startswith("# ") for line in header.splitlines())


def test_the_xlkit_wheel_carries_what_a_bundle_and_the_demo_need(windows_bundle):
    """An installed xlkit (no source tree) builds the next bundle with --wheel: its templates
    must be inside the wheel, as the sample register must be for `xlkit demo`."""
    folder, _ = windows_bundle
    wheel = next((folder / "wheels").glob("xlkit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in ("セットアップ.bat", "アンインストール.bat", "確認.bat", "はじめにお読みください.txt"):
        assert f"xlkit/data/bundle/{template}" in names, template
    assert "xlkit/sample/sample.xlsx" in names


def test_the_manifest_names_every_file_with_its_sha256(windows_bundle):
    folder, _ = windows_bundle
    lines = (folder / "SHA256SUMS.txt").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)  # sha256sum's format: `sha256sum -c` reads it
        listed[name] = digest
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS.txt"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert _sha256(folder / name) == digest, name
    check = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS.txt"], cwd=folder, capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_bat_files_are_cp932_with_crlf_and_carry_the_install_arguments(windows_bundle):
    folder, _ = windows_bundle
    for name in ("セットアップ.bat", "アンインストール.bat", "確認.bat"):
        data = (folder / name).read_bytes()
        assert b"\n" not in data.replace(b"\r\n", b""), name  # no bare LF: cmd.exe loses labels
        text = data.decode("cp932")
        japanese(text)
        assert "{{" not in text, name
    setup = (folder / "セットアップ.bat").read_bytes().decode("cp932")
    args = bundle_pip.install_args(lambda part: "%~dp0" + part)
    line = next(line for line in setup.splitlines() if "pip install" in line)
    assert line.startswith('"%XLKIT_PY%" ' + bundle_files.install_line())
    for arg in args:
        assert arg in line
    assert '"%~dp0wheels"' in line and '"%~dp0requirements.lock"' in line  # quoted: spaces, Japanese
    assert r'set "XLKIT_PY=%LOCALAPPDATA%\xlkit\.venv\Scripts\python.exe"' in setup
    assert 'set "PIP_CONFIG_FILE=nul"' in setup and 'set "PIP_FIND_LINKS="' in setup
    assert "for %%V in (3.13 3.12 3.11) do call :try_launcher %%V" in setup
    assert "py -%1-64" in setup and "((3, 11), (3, 12), (3, 13),)" in setup
    assert '"%XLKIT_EXE%" doctor' in setup and '"%XLKIT_EXE%" new' in setup and '"%XLKIT_EXE%" upgrade' in setup
    uninstall = (folder / "アンインストール.bat").read_bytes().decode("cp932")
    # the confirmation comes before the removal, and an unset LOCALAPPDATA stops it first
    assert uninstall.index("if not defined LOCALAPPDATA") < uninstall.index("choice") < uninstall.index("rmdir")
    assert "Get-FileHash" in (folder / "確認.bat").read_bytes().decode("cp932")


def test_every_jump_of_the_bat_files_lands_on_a_label(windows_bundle):
    """No Windows runs these tests: a mistyped label would stop セットアップ.bat at its first
    error with 「指定されたラベルが見つかりません」, so every goto and call is matched here."""
    folder, _ = windows_bundle
    for name in ("セットアップ.bat", "アンインストール.bat", "確認.bat"):
        text = (folder / name).read_bytes().decode("cp932")
        labels = {line[1:].split()[0].lower() for line in text.splitlines() if line.startswith(":")}
        jumps = {m.lower() for m in re.findall(r"(?:goto|call)\s+:(\w+)", text, flags=re.IGNORECASE)}
        assert jumps and jumps - {"eof"} <= labels, (name, jumps - labels)
        assert not re.search(r"^\s*if .*\($", text, flags=re.MULTILINE), name  # no ( blocks: a ")" in a path ends them


def test_the_readme_opens_in_notepad_and_says_what_it_must(windows_bundle):
    folder, _ = windows_bundle
    data = (folder / "はじめにお読みください.txt").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in data.replace(b"\r\n", b"")
    text = data[3:].decode("utf-8")
    pins = lock_pins(folder / "requirements.lock")
    for needed in ("python.org", "Install for all users", "3.11・3.12・3.13", "無害化", "SHA256SUMS.txt",
                   "certutil", "Unblock-File", "共用の PC", "xlkit.exe\" new", "xlkit.exe\" upgrade", "アンインストール.bat",
                   "Windows の上で実行して確かめたものではありません", f"xlwings  {pins['xlwings'][0]}",
                   r"%LOCALAPPDATA%\xlkit"):
        assert needed in text, needed


# --- offline: a fake pip ----------------------------------------------------------------------

def test_the_windows_closure_adds_what_pip_left_out_by_its_own_markers(fake_pip, tmp_path, capsys):
    _, log = fake_pip
    out = tmp_path / "windows"
    code, stdout, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 0, err
    pins = lock_pins(out / "requirements.lock")
    assert set(pins) == {"xlkit", "xlwings", "helper", "backport", "pywin32", "speedup"}  # the extra asked for
    assert pins["backport"][1] == 'python_version == "3.11"'  # only 3.11 needs it
    assert pins["pywin32"][1] == "" and pins["xlwings"][1] == ""
    calls = [line for line in log.read_text().splitlines()]
    assert any('"pywin32>=224"' in call for call in calls)  # asked for by the closure, with its specifier


def test_the_bundle_for_here_leaves_out_what_only_windows_needs(fake_pip, tmp_path, capsys):
    out = tmp_path / "here"
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--platform", "here",
                                "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 0, err
    pins = lock_pins(out / "requirements.lock")
    assert "pywin32" not in pins and {"xlkit", "xlwings", "helper"} <= set(pins)


def test_a_pin_without_a_wheel_for_one_python_is_refused_naming_both(fake_pip, tmp_path, capsys):
    set_index, _ = fake_pip
    set_index(pywin32={"version": "312", "missing": ["3.13"]})
    out = tmp_path / "windows"
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 4
    assert "pywin32" in japanese(err) and "Python 3.13" in err
    assert not out.exists() and list(tmp_path.glob(".~xlkit-*")) == []  # no half bundle


def test_a_version_locked_for_one_python_that_another_cannot_use_is_named(fake_pip, tmp_path, capsys):
    set_index, _ = fake_pip
    set_index(helper={**INDEX["helper"], "conflict": ["3.12"]})
    out = tmp_path / "windows"
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 4
    assert "helper==1.0" in japanese(err) and "Python 3.12" in err
    assert not out.exists()


def test_a_requirement_no_index_has_is_said_in_japanese(fake_pip, tmp_path, capsys):
    out = tmp_path / "windows"
    wheel = fake_xlkit_wheel(tmp_path, requires=("xlwings>=0.37", "no-such-package-xlkit>=1"))
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", wheel)
    assert code == 4
    assert "no-such-package-xlkit" in japanese(err) and "wheel" in err
    log = next((tmp_path / "temp").glob("xlkit-bundle-pip-*.log"))  # pip's own words, for whoever fixes it
    assert str(log) in err and "No matching distribution" in log.read_text(encoding="utf-8")
    assert not out.exists() and list(tmp_path.glob(".~xlkit-*")) == []


def test_an_existing_folder_with_files_is_refused_and_left_alone(tmp_path, capsys):
    out = tmp_path / "既存"
    out.mkdir()
    (out / "メモ.txt").write_text("残す", encoding="utf-8")
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 2
    assert "--overwrite" in japanese(err) and str(out) in err
    assert [p.name for p in out.iterdir()] == ["メモ.txt"]


def test_overwrite_replaces_a_previous_bundle_whole(fake_pip, tmp_path, capsys):
    out = tmp_path / "bundle"
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 0, err
    (out / "古いファイル.txt").write_text("old", encoding="utf-8")  # a bundle IT added a note to
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--overwrite", "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 0, err
    assert not (out / "古いファイル.txt").exists() and (out / "requirements.lock").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".~")) == []


def test_a_half_bundle_a_killed_run_left_is_removed(fake_pip, tmp_path, capsys):
    from xlkit import files

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "bundle"
    left = tmp_path / f"{files.TEMP_PREFIX}{out.name}-{files._host_tag()}.{dead.pid}-abcd1234"
    (left / "wheels").mkdir(parents=True)
    running = tmp_path / f"{files.TEMP_PREFIX}{out.name}-{files._host_tag()}.{os.getpid()}-efgh5678"
    running.mkdir()  # another run of this PC still at work: not ours to remove
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 0, err
    assert not left.exists() and running.exists()


def test_without_a_source_tree_or_a_wheel_it_says_to_give_one(tmp_path, capsys, monkeypatch):
    from xlkit import bundle_build

    monkeypatch.setattr(bundle_build, "source_tree", lambda: None)
    code, _, err = run_cli_said(capsys, "bundle", "--out", tmp_path / "out")
    assert code == 2 and "--wheel" in japanese(err)
    assert not (tmp_path / "out").exists()


def test_a_wheel_that_is_not_xlkit_or_missing_is_refused(tmp_path, capsys):
    code, _, err = run_cli_said(capsys, "bundle", "--out", tmp_path / "out", "--wheel", tmp_path / "なし.whl")
    assert code == 2 and "なし.whl" in japanese(err)
    other = tmp_path / "pandas-2.0-py3-none-any.whl"
    other.write_bytes(b"")
    code, _, err = run_cli_said(capsys, "bundle", "--out", tmp_path / "out", "--wheel", other)
    assert code == 2 and "xlkit の wheel ではありません" in japanese(err)
    broken = tmp_path / "xlkit-0.1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    code, _, err = run_cli_said(capsys, "bundle", "--out", tmp_path / "out", "--wheel", broken)
    assert code == 4 and "wheel として読めません" in japanese(err) and broken.name in err
    assert not (tmp_path / "out").exists()


def test_a_python_the_bundle_does_not_support_is_refused(tmp_path, capsys):
    code, _, err = run_cli_said(capsys, "bundle", "--out", tmp_path / "out", "--python", "3.10",
                                "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 2 and "3.10" in japanese(err) and "3.11" in err


def test_a_missing_parent_folder_is_refused(tmp_path, capsys):
    code, _, err = run_cli_said(capsys, "bundle", "--out", tmp_path / "ない" / "out",
                                "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 2 and "ない" in japanese(err)
