"""`xlkit bundle`, attacked: what the first tests did not try.

The .bat files cannot run here (no cmd.exe), so their jumps and error checks are walked by the
rules cmd.exe follows; the rest runs offline with test_bundle's fake pip.
"""

from __future__ import annotations

import re
from pathlib import Path

from support import japanese, run_cli_said
from support.bundles import INDEX, fake_xlkit_wheel, lock_pins
from xlkit import bundle_files

# cmd.exe's own commands: a failed redirection on one of them leaves ERRORLEVEL as it was
_INTERNAL = {"echo", "set", "type", "cd"}


def _bundle(tmp_path: Path, capsys, *args) -> Path:
    out = tmp_path / "xlkit バンドル"
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--wheel", fake_xlkit_wheel(tmp_path), *args)
    assert code == 0, err
    return out


def _bat(folder: Path, name: str) -> list[str]:
    return (folder / name).read_bytes().decode("cp932").split("\r\n")


def test_overwrite_never_removes_a_folder_that_is_not_a_bundle(fake_pip, tmp_path, capsys):
    # a mistyped --out (the desktop, Documents) with --overwrite used to be moved aside and deleted whole
    out = tmp_path / "ドキュメント"
    (out / "報告書").mkdir(parents=True)
    (out / "報告書" / "令和7年度.docx").write_bytes(b"keep")
    (out / "メモ.txt").write_text("残す", encoding="utf-8")
    code, _, err = run_cli_said(capsys, "bundle", "--out", out, "--overwrite", "--wheel", fake_xlkit_wheel(tmp_path))
    assert code == 2
    assert "バンドルのフォルダではありません" in japanese(err) and str(out) in err
    assert (out / "報告書" / "令和7年度.docx").read_bytes() == b"keep" and (out / "メモ.txt").is_file()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".~")] == []


def test_uninstall_removes_only_when_the_answer_is_y(fake_pip, tmp_path, capsys):
    # choice gives 1 for Y, 2 for N, 0 when Ctrl+C is answered "do not end the batch", 255 on error
    lines = _bat(_bundle(tmp_path, capsys), bundle_files.UNINSTALL)
    start = next(i for i, line in enumerate(lines) if line.startswith("choice "))
    removed = []
    for level in (0, 1, 2, 255):
        for line in lines[start + 1:]:
            jump = re.match(r"if (not )?errorlevel (\d+) goto", line, re.I)
            if jump and (level >= int(jump.group(2))) != bool(jump.group(1)):
                break
            if line.lower().startswith("rmdir "):
                removed.append(level)
                break
    assert removed == [1]


def test_every_errorlevel_check_follows_a_command_that_sets_it(fake_pip, tmp_path, capsys):
    # `echo … >>log` that cannot open the log keeps the ERRORLEVEL of whatever ran before
    folder = _bundle(tmp_path, capsys)
    for name in bundle_files.SCRIPTS:
        code = [line.strip() for line in _bat(folder, name) if line.strip() and not line.lower().startswith("rem ")]
        before = ""
        for line in code:
            if not re.match(r"if (not )?errorlevel", line, re.I):
                before = line
                continue
            command = re.sub(r'^(\d?>>?"[^"]*"\s*)', "", before).split()[0].lower()
            assert command not in _INTERNAL, f"{name}: {before!r} then {line!r}"


def test_the_check_runs_from_a_share_and_from_a_path_with_quotes(fake_pip, tmp_path, capsys):
    # cmd.exe cannot cd to \\server\share, where IT may keep the bundle: the check must not
    # depend on the current folder, nor put the folder's path inside PowerShell's command text
    text = "\n".join(_bat(_bundle(tmp_path, capsys), bundle_files.CHECK))
    assert not re.search(r"^\s*(cd|chdir)\b", text, re.I | re.M)
    assert "Get-Location" not in text and "%~dp0" not in text.split("powershell", 1)[1].split("\n", 1)[0]


def test_the_readme_names_the_pythons_the_bundle_was_built_for(fake_pip, tmp_path, capsys):
    text = (_bundle(tmp_path, capsys, "--python", "3.12", "--python", "3.11") / bundle_files.README).read_text(
        encoding="utf-8-sig")
    assert "3.13" not in text  # it said 「py ランチャーの 3.13・3.12・3.11 の順」 whatever was built
    assert "3.12・3.11 の順" in text


def test_a_venv_that_will_not_run_is_not_blamed_on_another_python(fake_pip, tmp_path, capsys):
    # the version check also fails when the Python the venv was made from has been uninstalled
    lines = _bat(_bundle(tmp_path, capsys), bundle_files.SETUP)
    check = next(i for i, line in enumerate(lines) if "sys.version_info[:2]) ==" in line)
    said = next(line for line in lines[check:] if line.startswith("echo "))
    assert "壊れ" in said


def test_a_pc_without_powershell_is_not_told_the_files_are_broken(fake_pip, tmp_path, capsys):
    # PowerShell is often blocked for staff on LGWAN PCs (9009: not found; 1: blocked or failing):
    # that must not send IT to fetch the bundle again, but to the certutil way in the read-me
    lines = _bat(_bundle(tmp_path, capsys), bundle_files.CHECK)
    start = next(i for i, line in enumerate(lines) if line.startswith("powershell "))
    labels = {line[1:].lower(): i for i, line in enumerate(lines) if line.startswith(":")}

    def said(level: int) -> str:
        """What the check shows after PowerShell exits with `level`, walked from the top with
        every file present (so no `if not exist` jumps)."""
        i, shown = 0, []
        while not lines[i].startswith("goto :end"):
            jump = re.match(r"if (not )?errorlevel (\d+) goto :(\w+)", lines[i], re.I)
            if jump and (level >= int(jump.group(2))) != bool(jump.group(1)):
                i = labels[jump.group(3).lower()]
            elif re.match(r"goto :(\w+)", lines[i]):
                i = labels[lines[i].split(":", 1)[1].lower()]
            elif lines[i].startswith("echo") and i > start:
                shown.append(lines[i])
            i += 1
        return "\n".join(shown)

    exit_code = int(re.search(r"exit \((\d+) \*", lines[start]).group(1))  # what the script exits with on a mismatch
    assert "受け取り直して" in said(exit_code)
    for level in (1, 9009):
        assert "受け取り直して" not in said(level) and "certutil" in said(level)
    assert "一致しました" in said(0)


def test_a_dependency_of_later_micro_versions_is_in_the_bundle(fake_pip, tmp_path, capsys):
    # the PC may run 3.11.9: a dependency from 3.11.4 on is needed there, though 3.11.0 would not
    # need it; left out, pip --no-index on the PC stops, far from any index
    set_index, _ = fake_pip
    set_index(helper={**INDEX["helper"], "requires": [*INDEX["helper"]["requires"],
                                                      'microdep ; python_full_version >= "3.11.4"']},
              microdep={"version": "1.5"})
    pins = lock_pins(_bundle(tmp_path, capsys, "--python", "3.11") / bundle_files.LOCK)
    assert "microdep" in pins


def test_no_label_is_written_twice(fake_pip, tmp_path, capsys):
    # cmd.exe jumps to the first of two: the second is dead, and usually a slip of an edit
    folder = _bundle(tmp_path, capsys)
    for name in bundle_files.SCRIPTS:
        labels = [line.lower() for line in _bat(folder, name) if line.startswith(":")]
        assert len(labels) == len(set(labels)), name


def test_the_python_check_passes_over_the_microsoft_store_python(fake_pip, tmp_path, capsys):
    # the read-me says the Store's Python is not supported, yet the .bat took it from PATH or py:
    # it keeps writes to %LOCALAPPDATA% in a private copy, so the venv is not where buttons look
    import subprocess
    import sys

    lines = _bat(_bundle(tmp_path, capsys, "--platform", "here"), bundle_files.SETUP)
    checks = [re.search(r' -c "([^"]+)" >nul', line).group(1) for line in lines
              if line.startswith(("python -c", "py -%1-64 -c"))]
    assert len(checks) == 2 and checks[0] == checks[1]  # the py launcher's find is held to the same

    def exit_code(prelude: str) -> int:
        return subprocess.run([sys.executable, "-c", prelude + checks[0]]).returncode

    assert exit_code("") == 0  # this Python, which the bundle is for
    store = r"C:\Users\職員\AppData\Local\Microsoft\WindowsApps\PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0\python.exe"
    assert exit_code(f"import sys; sys.executable = {store!r}; ") == 1
    assert exit_code("import sys; sys.version_info = (3, 14, 0); ") == 1
