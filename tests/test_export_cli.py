"""`xlkit export`: exit codes and Japanese messages for bad input, refusal of a register with
errors (exit 1, unless --force), and the never-lose-data rules for the output file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlkit import cli, schema
from xlkit.errors import XlkitError
from xlkit import files
from xlkit.export import layout
from xlkit.export.layout import fill

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "workbooks" / "sample.xlsx"


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> Path:
    """A private copy of the sample register with its 添付ファイル folder (the sample may be rebuilt
    while tests run)."""
    copy = tmp_path_factory.mktemp("register") / "sample.xlsx"
    shutil.copyfile(SAMPLE, copy)
    shutil.copytree(SAMPLE.parent / "添付ファイル", copy.parent / "添付ファイル")
    return copy


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(["export", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_linkages_written_and_existing_file_never_silently_replaced(register, tmp_path, capsys):
    out = tmp_path / "外部結合の状況_令和2年度.docx"
    code, stdout, _ = run(capsys, "linkages", register, "--year", "2020", "--out", out)
    assert code == 0 and "出力しました" in stdout and out.stat().st_size > 10_000
    out.write_bytes(b"staff's own edits")
    code, _, err = run(capsys, "linkages", register, "--year", "2020", "--out", out)
    assert code == 2 and "既にあります" in err and "--overwrite" in err
    assert out.read_bytes() == b"staff's own edits"
    code, _, _ = run(capsys, "linkages", register, "--year", "令和2年度", "--out", out, "--overwrite")
    assert code == 0 and out.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temp files left


def test_year_defaults_to_the_settings_report_year(register, tmp_path, capsys):
    """設定's 報告年度 changed to 令和元年度 (with its 前年度公表値): the report is that year's, not the
    latest year of the register (令和2年度)."""
    path = tmp_path / "r1.xlsx"
    shutil.copyfile(register, path)
    wb = openpyxl.load_workbook(path)
    for row in wb[schema.settings().sheet].iter_rows():
        label = str(row[0].value or "")
        if label == "報告年度":
            row[1].value = 2019
        elif label.startswith("前年度公表値"):  # a of 令和元年度 (the 平成30年度 figures of the sample)
            row[1].value = {"区長": 58, "教育委員会": 4}.get(label[label.index("（") + 1:-1], 0)
    wb.save(path)
    out = tmp_path / "r.xlsx"
    code, _, err = run(capsys, "linkages", path, "--out", out)
    assert code == 0, err
    summary = openpyxl.load_workbook(out)[layout.load()["linkages"]["summary"]["sheet"]]
    rows = [[c.value for c in r] for r in summary.iter_rows()]
    # the header cells break their lines where the layout says (「平成30年度\n外部電子計算機との…」)
    labels = ["".join(v.split()) for r in rows for v in r if isinstance(v, str)]
    assert "平成30年度外部電子計算機との結合数" in labels and "令和元年度外部電子計算機との結合数" in labels
    assert "令和2年度外部電子計算機との結合数" not in labels
    kucho = next(r for r in rows if r[0] == "区長")
    assert kucho[1] == 58 and kucho[4] == 61  # a of 令和元年度, and its a + b − c (令和2年度's a)


@pytest.mark.parametrize("argv, words", [
    (["--year", "2030"], ["令和12年度", "ありません"]),
    (["--year", "来年"], ["年度「来年」を読めません"]),
])
def test_bad_year_exit_2(register, tmp_path, capsys, argv, words):
    code, _, err = run(capsys, "linkages", register, *argv, "--out", tmp_path / "x.docx")
    assert code == 2 and all(w in err for w in words)
    assert not list(tmp_path.iterdir())


def test_output_in_a_missing_folder_or_with_a_wrong_suffix(register, tmp_path, capsys):
    code, _, err = run(capsys, "linkages", register, "--out", tmp_path / "無い" / "x.docx")
    assert code == 2 and "フォルダ" in err and "ありません" in err
    code, _, err = run(capsys, "linkages", register, "--out", tmp_path / "x.doc")
    assert code == 2 and ".docx" in err and "拡張子" in err


def test_output_held_open_by_another_program(register, tmp_path, capsys, monkeypatch):
    out = tmp_path / "r.docx"
    out.write_bytes(b"open in Word")

    def locked(src, dst):  # what Windows does while Word holds the file
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(files.os, "replace", locked)
    code, _, err = run(capsys, "linkages", register, "--out", out, "--overwrite")
    assert code == 2 and "開いている場合は閉じて" in err
    assert out.read_bytes() == b"open in Word"
    assert [p.name for p in tmp_path.iterdir()] == ["r.docx"]


def test_cases_period_without_cases_and_unreadable_dates(register, tmp_path, capsys):
    code, _, err = run(capsys, "cases", register, "--from", "2030-04-01", "--to", "2030-06-30",
                       "--out", tmp_path / "c.docx")
    assert code == 2 and "審議案件は登録簿にありません" in err
    code, _, err = run(capsys, "cases", register, "--from", "R7.2.30", "--to", "R7.6.30",
                       "--out", tmp_path / "c.docx")
    assert code == 2 and "--from" in err and "存在しない日付" in err
    assert not list(tmp_path.iterdir())


def test_cases_written_with_japanese_dates(register, tmp_path, capsys):
    out = tmp_path / "c.xlsx"
    code, _, _ = run(capsys, "cases", register, "--from", "令和7年2月1日", "--to", "R7.6.30",
                     "--date", "2025/7/3", "--out", out)
    # №29's 外部提供 table prints on landscape pages: a worksheet of its own between the 別紙
    assert code == 0 and openpyxl.load_workbook(out).sheetnames == ["審議案件一覧", "別紙", "外部提供（№29）", "別紙（№30～41）"]


@pytest.fixture
def broken_register(register, tmp_path) -> Path:
    """The sample with one invalid ○ mark: a validation error at a known cell."""
    path = tmp_path / "broken.xlsx"
    shutil.copyfile(register, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.linkage().sheet]
    col = [c.value for c in ws[1]].index(schema.linkage().header("consent")) + 1
    ws.cell(row=2, column=col, value="はい")
    wb.save(path)
    return path


def test_register_with_errors_is_refused_unless_forced(broken_register, tmp_path, capsys):
    out = tmp_path / "r.docx"
    code, _, err = run(capsys, "linkages", broken_register, "--out", out)
    assert code == 1
    assert "外部結合!" in err and "本人同意" in err and "--force" in err and "出力しませんでした" in err
    assert not out.exists()
    code, _, err = run(capsys, "linkages", broken_register, "--out", out, "--force")
    # the wording is the one the button shows when staff answer 「はい」 (xlkit/data/messages.json)
    assert code == 0 and "エラーが 1 件ありますが、このまま出力しました" in err and out.exists()
    assert "外部結合!" in err and "本人同意" in err  # the errors are still listed


def test_cases_refused_while_an_attachment_is_missing_unless_forced(register, tmp_path, capsys):
    """The sample's №1 attaches 流れ図_№1.png; without the folder beside the register the 資料
    is refused (exit 1) naming the cell and the file, and --force writes it all the same."""
    path = tmp_path / "登録簿.xlsx"
    shutil.copyfile(register, path)  # the 添付ファイル folder stays behind
    out = tmp_path / "c.docx"
    code, _, err = run(capsys, "cases", path, "--from", "R7.2.1", "--to", "R7.6.30", "--out", out)
    assert code == 1 and not out.exists()
    assert "審議案件!P2「流れ図_№1.png」: 見つかりません" in err and "「添付ファイル」フォルダがありません" in err
    assert "--force" in err and "Traceback" not in err
    code, _, err = run(capsys, "cases", path, "--from", "R7.2.1", "--to", "R7.6.30", "--out", out, "--force")
    assert code == 0 and out.exists()
    assert "このまま出力しました" in err and "審議案件!P2「流れ図_№1.png」" in err
    # the linkage report has no attachments: never refused for them
    code, _, err = run(capsys, "linkages", path, "--year", "2020", "--out", tmp_path / "l.docx")
    assert code == 0 and "添付" not in err


# --- the file rules on their own ------------------------------------------------------

def test_free_path_picks_the_next_free_name(tmp_path):
    path = tmp_path / "外部結合の状況_令和2年度.docx"
    assert files.free_path(path) == path
    path.write_text("1")
    assert files.free_path(path).name == "外部結合の状況_令和2年度 (2).docx"
    (tmp_path / "外部結合の状況_令和2年度 (2).docx").write_text("2")
    assert files.free_path(path).name == "外部結合の状況_令和2年度 (3).docx"


def test_a_failed_write_leaves_neither_a_temp_file_nor_a_partial_output(tmp_path):
    def explode(tmp: Path):
        tmp.write_bytes(b"half a report")
        raise OSError(28, "No space left on device")

    with pytest.raises(XlkitError) as err:
        files.atomic_write(tmp_path / "r.docx", explode, overwrite=False)
    assert "保存できませんでした" in err.value.message
    assert not list(tmp_path.iterdir())


def test_a_file_appearing_meanwhile_is_not_replaced(tmp_path):
    out = tmp_path / "r.docx"

    def write(tmp: Path):
        tmp.write_bytes(b"report")
        out.write_bytes(b"someone else's")  # created between the check and the move

    with pytest.raises(XlkitError) as err:
        files.atomic_write(out, write, overwrite=False)
    assert "「r.docx」は既にあります" in err.value.message and "--overwrite" in err.value.message
    assert err.value.exit_code == 2
    assert out.read_bytes() == b"someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["r.docx"]


def test_layout_placeholder_mistakes_are_reported_in_japanese():
    assert fill("{年度}外部電子計算機との結合数", 年度="令和2年度") == "令和2年度外部電子計算機との結合数"
    with pytest.raises(XlkitError) as err:
        fill("{年}外部電子計算機との結合数", 年度="令和2年度")
    assert "{年度}" in err.value.message


def test_figures_that_need_a_look_are_noted_after_export(register, tmp_path, capsys):
    """a differing from 設定's 前年度公表値: validation refuses it; forced, the export notes it."""
    path = tmp_path / "previous.xlsx"
    shutil.copyfile(register, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.settings().sheet]
    row = next(r for r in ws.iter_rows() if str(r[0].value or "").startswith("前年度公表値") and "区長" in r[0].value)
    row[1].value = 60
    wb.save(path)
    code, _, err = run(capsys, "linkages", path, "--year", "2020", "--out", tmp_path / "r.docx")
    assert code == 1 and "設定!B" in err
    code, _, err = run(capsys, "linkages", path, "--year", "2020", "--out", tmp_path / "r.docx", "--force")
    # one wording for the CLI, the 集計 button and validation (figures.previous_note)
    assert code == 0 and ("注意: 区長: 令和元年度の公表値（「設定」シートの前年度公表値）は 60 件ですが、"
                          "登録簿から数えた令和2年度の a（令和元年度の結合数）は 61 件です。") in err


def test_a_broken_layout_file_is_reported_not_a_traceback(register, tmp_path, capsys, monkeypatch):
    from xlkit.export import api

    broken = json.loads(json.dumps(layout.load()))
    broken["linkages"]["columns"][1]["key"] = "divison"  # a typo while editing layout.json
    monkeypatch.setattr(api, "load_layout", lambda: broken)
    code, _, err = run(capsys, "linkages", register, "--out", tmp_path / "r.docx")
    assert code == 2 and "layout.json" in err and "divison" in err


@pytest.mark.parametrize("report", ["linkages", "cases"])
@pytest.mark.parametrize("spelling", ["same", "dotted", "link"])
def test_a_report_never_replaces_the_register_it_is_made_from(register, tmp_path, capsys, report, spelling):
    """--overwrite is for an old report: with the register itself as --out, it replaced the register."""
    own = tmp_path / "登録簿.xlsx"
    shutil.copyfile(register, own)
    (tmp_path / "sub").mkdir()
    target = {"same": own, "dotted": tmp_path / "sub" / ".." / own.name, "link": tmp_path / "別名.xlsx"}[spelling]
    if spelling == "link":
        target.symlink_to(own)
    before = own.read_bytes()
    code, _, err = run(capsys, report, own, "--out", target, "--overwrite", "--force")
    assert code == 2 and "読み込んでいる登録簿そのもの" in err and "Error" not in err
    assert own.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["登録簿.xlsx", "sub", *(["別名.xlsx"] if spelling == "link" else [])])
