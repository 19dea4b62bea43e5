"""The command line itself: usage errors and help in Japanese."""

import pytest


def test_cli_usage_errors_are_japanese(capsys):
    from xlkit import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["validate"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "使い方: xlkit validate" in err and "次の指定が必要です" in err
    assert "usage" not in err and "required" not in err


def test_output_cut_short_by_a_pipe_is_not_an_error():
    import os
    import subprocess
    import sys

    # a reader that has gone (`xlkit demo | head -1`): the listing must end quietly, not as 予期しない問題
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.run([sys.executable, "-m", "xlkit.cli", "demo"], stdout=write_end,
                          stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "予期しない問題" not in proc.stderr and "Traceback" not in proc.stderr


def test_an_unexpected_problem_is_exit_3_and_its_traceback_only_on_request(monkeypatch, capsys):
    from support import SAMPLE
    from xlkit import cli, tasks

    def broken(book):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "validate", broken)
    monkeypatch.delenv("XLKIT_DEBUG", raising=False)
    assert cli.main(["validate", str(SAMPLE)]) == 3
    assert "予期しない問題" in capsys.readouterr().err
    monkeypatch.setenv("XLKIT_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["validate", str(SAMPLE)])
