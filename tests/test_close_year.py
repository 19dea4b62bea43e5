"""年度締め (`xlkit close-year`): the 確定 folder, 設定 and 変更履歴, and every refusal.

The register is the shipped sample (令和2年度, workbooks/sample.xlsx) copied. One test runs the
whole close with its PDF (LibreOffice); the others use --no-pdf or stop before writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat

import openpyxl
import pytest

from support import SAMPLE, digest, run_cli
from support.closing import docx_cells, docx_paragraphs, history_rows, register_copy, set_settings
from xlkit import closing, closing_tasks, schema
from xlkit.errors import XlkitError
from xlkit.workbook import reader, writer

YEAR = 2020
PUBLISHED = {"区長": 80, "教育委員会": 8, "選挙管理委員会": 0, "監査委員": 0, "議会": 0}


# --------------------------------------------------------------------------- the whole close


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    """令和2年度 closed on a copy of the sample (with its PDF), and the report exported before."""
    from xlkit import cli

    folder = tmp_path_factory.mktemp("close")
    register = register_copy(folder)
    before = folder / "before.docx"
    assert cli.main(["export", "linkages", str(register), "--out", str(before)]) == 0
    original = register.read_bytes()
    code = cli.main(["close-year", str(register)])
    return folder, register, before, original, code


def test_close_year_writes_the_four_kinds_of_file_and_their_sha256_list(closed):
    folder, register, _, original, code = closed
    assert code == 0
    year_folder = folder / "確定" / "2020"
    names = sorted(p.name for p in year_folder.iterdir())
    assert names == sorted(["登録簿.xlsx", "外部結合の状況_令和2年度.docx", "外部結合の状況_令和2年度.pdf",
                            "集計_令和2年度.json", closing.MANIFEST])
    # the copy is the register as it was before closing, byte for byte
    assert (year_folder / "登録簿.xlsx").read_bytes() == original
    lines = (year_folder / closing.MANIFEST).read_text(encoding="utf-8").splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    assert set(listed) == set(names) - {closing.MANIFEST}
    for name, sha in listed.items():
        assert digest(year_folder / name) == sha
    for p in year_folder.iterdir():  # read-only, for everyone
        assert not os.stat(p).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), p.name
    assert (year_folder / "外部結合の状況_令和2年度.pdf").read_bytes().startswith(b"%PDF")


def test_the_figures_file_holds_the_published_table_and_its_source(closed):
    folder, register, _, original, _ = closed
    data = json.loads((folder / "確定" / "2020" / "集計_令和2年度.json").read_text(encoding="utf-8"))
    assert data["年度"] == 2020 and data["年度（和暦）"] == "令和2年度"
    assert data["登録簿"] == "登録簿.xlsx"
    assert data["登録簿のSHA-256"] == hashlib.sha256(original).hexdigest()
    rows = {r["実施機関"]: r for r in data["集計"]["rows"]}
    assert {body: rows[body]["a+b-c"] for body in PUBLISHED} == PUBLISHED
    assert (rows["合計"]["a"], rows["合計"]["b"], rows["合計"]["c"], rows["合計"]["a+b-c"]) == (66, 22, 0, 88)


def test_the_stored_report_equals_the_one_before_closing_and_the_one_from_the_frozen_copy(closed, tmp_path):
    from xlkit import cli

    folder, _, before, _, _ = closed
    stored = folder / "確定" / "2020" / "外部結合の状況_令和2年度.docx"
    again = tmp_path / "again.docx"
    assert cli.main(["export", "linkages", str(folder / "確定" / "2020" / "登録簿.xlsx"), "--out", str(again)]) == 0
    assert docx_cells(stored) == docx_cells(before) == docx_cells(again)
    assert docx_paragraphs(stored) == docx_paragraphs(before) == docx_paragraphs(again)
    assert any("令和2年度" in p for p in docx_paragraphs(stored))


def test_settings_after_closing(closed):
    _, register, *_ = closed
    book = reader.load(register)
    assert book.settings["previous_published"] == PUBLISHED
    assert book.settings["report_year"] == 2021
    assert book.settings["closed_years"] == [2020]
    assert "report_date" not in book.settings  # it dated 令和2年度's report
    assert not [i for i in book.issues if i.severity == "error"]


def test_history_records_each_setting_changed(closed):
    _, register, *_ = closed
    rows = [r for r in history_rows(register) if r["操作"] == "年度締め"]
    changed = {r["列"]: (r["変更前"], r["変更後"]) for r in rows}
    assert changed == {
        "設定・報告年度": ("2020", "2021"),
        "設定・報告日": ("令和7年7月3日", None),
        "設定・締めた年度": (None, "2020"),
        "設定・前年度公表値（区長）": ("61", "80"),
        "設定・前年度公表値（教育委員会）": ("5", "8"),
    }
    assert {r["元ファイル"] for r in rows} == {"確定\\2020"}


def test_running_close_year_again_is_refused_and_changes_nothing(closed, capsys):
    folder, register, *_ = closed
    before = register.read_bytes()
    code, out, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2
    assert "報告日が空欄" in err and "令和3年度" in err
    assert register.read_bytes() == before
    assert not (folder / "確定" / "2021").exists()


def test_a_year_closed_already_is_refused_even_with_its_date_typed_again(tmp_path, capsys):
    register = register_copy(tmp_path)
    assert run_cli(capsys, "close-year", register, "--no-pdf")[0] == 0
    set_settings(register, report_year=2020, report_date=dt.datetime(2021, 7, 3))
    shutil.rmtree(tmp_path / "確定", onerror=lambda f, p, e: (os.chmod(p, 0o700), f(p)))
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and "令和2年度はすでに締めています" in err
    assert register.read_bytes() == before and not (tmp_path / "確定" / "2020").exists()


# --------------------------------------------------------------------------- refusals


def test_validation_errors_refuse_closing(tmp_path, capsys):
    register = register_copy(tmp_path)
    workbook = openpyxl.load_workbook(register)
    sheet = workbook[schema.linkage().sheet]
    sheet["A3"] = sheet["A2"].value  # a 管理番号 twice
    workbook.save(register)
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 1
    assert "入力チェックのエラー" in err and "令和2年度を締めませんでした" in err and "外部結合!A" in err
    assert register.read_bytes() == before and not (tmp_path / "確定").exists()


@pytest.mark.parametrize("date, said", [(None, "報告日が空欄"), (dt.datetime(2021, 3, 31), "令和3年3月31日")])
def test_a_missing_or_too_early_report_date_refuses_closing(tmp_path, capsys, date, said):
    register = register_copy(tmp_path)
    set_settings(register, report_date=date)
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and said in err
    assert register.read_bytes() == before and not (tmp_path / "確定").exists()


def test_an_existing_year_folder_is_never_replaced(tmp_path, capsys):
    register = register_copy(tmp_path)
    kept = tmp_path / "確定" / "2020" / "前の報告書.docx"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"earlier")
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 2 and "確定フォルダ" in err and "置き換えません" in err
    assert register.read_bytes() == before and kept.read_bytes() == b"earlier"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["前の報告書.docx"]


def test_without_libreoffice_closing_is_refused_unless_no_pdf(tmp_path, capsys, monkeypatch):
    register = register_copy(tmp_path)
    monkeypatch.setenv("XLKIT_SOFFICE", str(tmp_path / "no-soffice"))
    before = register.read_bytes()
    code, _, err = run_cli(capsys, "close-year", register)
    assert code == 2 and "LibreOffice" in err and "--no-pdf" in err
    assert register.read_bytes() == before and not (tmp_path / "確定").exists()
    code, out, _ = run_cli(capsys, "close-year", register, "--no-pdf")
    assert code == 0
    names = {p.name for p in (tmp_path / "確定" / "2020").iterdir()}
    assert not any(n.endswith(".pdf") for n in names) and "外部結合の状況_令和2年度.docx" in names


def test_dry_run_says_what_it_would_do_and_writes_nothing(tmp_path, capsys):
    register = register_copy(tmp_path)
    before = register.read_bytes()
    code, out, _ = run_cli(capsys, "close-year", register, "--dry-run")
    assert code == 0
    assert "令和2年度を締めます" in out and "前年度公表値（区長）：61 → 80" in out and "報告年度：2020 → 2021" in out
    assert "書いていません" in out
    assert register.read_bytes() == before and not (tmp_path / "確定").exists()


def test_an_a_that_differs_from_the_published_figure_refuses_closing(tmp_path, capsys):
    register = register_copy(tmp_path)
    workbook = openpyxl.load_workbook(register)
    for title, value, *_ in workbook[schema.settings().sheet].iter_rows():
        if title.value == "前年度公表値（区長）":
            value.value = 70  # 令和2年度's a is 61
    workbook.save(register)
    code, _, err = run_cli(capsys, "close-year", register, "--dry-run")
    assert code == 1  # 入力チェック's previous-mismatch: the published figures must add up first
    assert "令和2年度を締めませんでした" in err and "設定!B10" in err


def test_a_register_write_that_fails_removes_the_folder_again(tmp_path, monkeypatch):
    register = register_copy(tmp_path)
    before = register.read_bytes()

    def refuse(self, **kwargs):
        raise XlkitError("書き込めません（試験）")

    monkeypatch.setattr(writer.Edit, "commit", refuse)
    with pytest.raises(XlkitError):
        closing_tasks.close_year(register, pdf=False)
    assert register.read_bytes() == before
    assert list((tmp_path / "確定").iterdir()) == []  # neither the year's folder nor a half-made one


def test_settings_that_do_not_read_back_as_decided_refuse_and_remove_the_folder(tmp_path, monkeypatch):
    """The written copy's 設定 is read again before it replaces the register (closing_tasks._verify)."""
    from xlkit.workbook import appender

    register = register_copy(tmp_path)
    before = register.read_bytes()
    real = appender.set_cells

    def miswritten(package, reg, letters, rows):  # a defect of the writer, say: 報告年度 written wrong
        rows = {r: {k: 2030 if k == "report_year" else v for k, v in values.items()} for r, values in rows.items()}
        return real(package, reg, letters, rows)

    monkeypatch.setattr(appender, "set_cells", miswritten)
    with pytest.raises(XlkitError) as refused:
        closing_tasks.close_year(register, pdf=False)
    said = refused.value.message
    assert "書き込みを確認できなかった" in said and "「設定」の報告年度が、年度締めで書いた値と違います" in said, said
    assert register.read_bytes() == before
    assert list((tmp_path / "確定").iterdir()) == []


def test_an_export_that_fails_leaves_no_half_made_folder(tmp_path, monkeypatch):
    from xlkit import tasks

    register = register_copy(tmp_path)
    before = register.read_bytes()

    def broken(*args, **kwargs):
        raise XlkitError("報告書を作れません（試験）")

    monkeypatch.setattr(tasks, "export_linkages", broken)
    with pytest.raises(XlkitError):
        closing_tasks.close_year(register, pdf=False)
    assert register.read_bytes() == before
    assert list((tmp_path / "確定").iterdir()) == []


def test_a_register_changed_after_it_was_read_is_not_frozen(tmp_path):
    register = register_copy(tmp_path)
    book = reader.load(register)
    plan = closing.plan(book)
    with pytest.raises(XlkitError) as refused:
        closing_tasks.freeze(register, plan, expected_sha256="0" * 64, pdf=False)
    assert "変更されました" in refused.value.message
    assert list((tmp_path / "確定").iterdir()) == []


def test_the_plan_changes_only_what_differs():
    book = reader.load(SAMPLE)
    plan = closing.plan(book)
    keys = [c.key for c in plan.changes]
    # the bodies whose 前年度公表値 is 0 already keep their cell
    assert keys == ["report_year", "report_date", "closed_years", "previous_published.区長",
                    "previous_published.教育委員会"]
    assert plan.year == 2020 and plan.report_date == dt.date(2025, 7, 3)


def test_manifest_is_sha256sum_format():
    text = closing.manifest({"b.txt": "2" * 64, "a.txt": "1" * 64})
    assert text == f"{'1' * 64}  a.txt\n{'2' * 64}  b.txt\n"
