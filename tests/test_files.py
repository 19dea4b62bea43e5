"""The one atomic writer (xlkit.files): every file xlkit writes appears whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xlkit import cli, files
from xlkit.errors import XlkitError
from xlkit.workbook import vba
from xlkit.workbook.builder import build


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_failing_verify_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "報告.docx"
    target.write_bytes(b"old")

    def refuse(copy: Path) -> None:
        assert copy.read_bytes() == b"new" and copy.name.startswith(files.TEMP_PREFIX)
        raise XlkitError("確認できませんでした")

    with pytest.raises(XlkitError, match="確認できませんでした"):
        files.atomic_write(target, lambda tmp: tmp.write_bytes(b"new"), overwrite=True, verify=refuse)
    assert target.read_bytes() == b"old" and _left(tmp_path) == ["報告.docx"]


def test_the_mode_is_kept_when_asked(tmp_path):
    target = tmp_path / "登録簿.xlsx"
    files.atomic_write(target, lambda tmp: tmp.write_bytes(b"x"), overwrite=False, mode=0o640)
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_macro_register_half_written_by_pyopenvba_never_appears(tmp_path, monkeypatch):
    """pyOpenVBA's save(dest) writes straight to its target; that target is now a temp file."""
    def broken(source, dest, codes):
        Path(dest).write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vba, "install_module", broken)
    target = tmp_path / "登録簿.xlsm"
    with pytest.raises(XlkitError, match="保存できませんでした"):
        build(target)
    assert _left(tmp_path) == []

    target.write_bytes(b"the register staff keep")
    with pytest.raises(XlkitError):
        build(target)
    assert target.read_bytes() == b"the register staff keep" and _left(tmp_path) == ["登録簿.xlsm"]


def test_build_does_not_replace_a_file_unless_asked(tmp_path):
    target = tmp_path / "登録簿.xlsx"
    target.write_bytes(b"keep")
    with pytest.raises(XlkitError, match="既にあります"):
        build(target, overwrite=False)
    assert target.read_bytes() == b"keep"
    build(target)  # the library default, as documented: replace
    assert target.read_bytes()[:2] == b"PK"


def test_new_writes_through_the_atomic_writer(tmp_path, capsys):
    target = tmp_path / "登録簿.xlsx"
    assert cli.main(["new", str(target)]) == 0
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    before = target.read_bytes()
    assert cli.main(["new", str(target)]) == 2 and target.read_bytes() == before
    assert "--overwrite" in capsys.readouterr().err
    assert cli.main(["new", str(target), "--overwrite"]) == 0
    assert cli.main(["new", str(target), "--force"]) == 0  # the flag's first name still works
    assert _left(tmp_path) == ["登録簿.xlsx"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
