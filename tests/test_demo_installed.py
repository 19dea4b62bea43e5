"""`xlkit demo` on an office PC: the sample comes from the installed package, not from a clone.

tests/test_bundle.py installs a real wheel from the offline bundle into a fresh venv and runs
`xlkit demo` there; these are the fast checks of how the sample is found.
"""

from __future__ import annotations

import shutil


from support import REPO, SAMPLE
from xlkit import cli
from xlkit.commands import demo


def test_a_checkout_reads_its_own_sample():
    assert demo.sample_path() == SAMPLE.resolve()


def test_without_a_checkout_the_installed_sample_is_read(tmp_path, monkeypatch, capsys):
    # an installed package: sample.xlsx and the attachment its case №1 names, side by side
    installed = tmp_path / "site-packages" / "xlkit" / "sample"
    (installed / "添付ファイル").mkdir(parents=True)
    shutil.copyfile(SAMPLE, installed / "sample.xlsx")
    for picture in (REPO / "workbooks" / "添付ファイル").iterdir():
        shutil.copyfile(picture, installed / "添付ファイル" / picture.name)
    monkeypatch.setattr(demo, "CHECKOUT", tmp_path / "no-clone" / "sample.xlsx")
    monkeypatch.setattr(demo, "_installed", lambda: installed / "sample.xlsx")
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert f"サンプルの登録簿: {installed / 'sample.xlsx'}" in out
    assert "入力チェック: エラー 0 件" in out and "attachment-unusable" not in out


def test_no_sample_anywhere_is_said_in_japanese(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "CHECKOUT", tmp_path / "no-clone" / "sample.xlsx")
    monkeypatch.setattr(demo, "_installed", lambda: None)
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "サンプルの登録簿「sample.xlsx」が見つかりません" in err and "入れ直して" in err


def test_the_package_data_names_every_file_the_sample_needs():
    """What pyproject.toml ships as xlkit.sample is what the sample register refers to: the
    register itself and every attachment its cases name (a new attachment must be shipped too)."""
    import tomllib

    from xlkit.workbook import reader

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"]["xlkit.sample"] == "workbooks"
    patterns = config["package-data"]["xlkit.sample"]
    shipped = {p.relative_to(REPO / "workbooks").as_posix() for pattern in patterns
               for p in (REPO / "workbooks").glob(pattern)}
    key = "attachment"
    named = {f"添付ファイル/{name.strip()}" for case in reader.load(SAMPLE).cases
             for name in str(case.values.get(key) or "").splitlines() if name.strip()}
    assert named and named <= shipped
    assert "sample.xlsx" in shipped
