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
