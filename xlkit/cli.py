"""The `xlkit` command: each subcommand lives in xlkit.commands.<name> and only moves data."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from . import messages
from .errors import XlkitError, from_os_error

# subcommand module names, in the order `xlkit --help` lists them
COMMANDS = ("demo", "new", "validate", "summarize", "import_table", "export", "survey", "collect", "close_year", "reorganise", "upgrade", "doctor", "bundle")


# argparse's own words, which staff would otherwise read in English
_HELP_WORDS = (
    ("usage:", "使い方:"),
    ("positional arguments:", "引数:"),
    ("options:", "オプション:"),
    ("show this help message and exit", "この説明を表示して終わる"),
)
_ERROR_WORDS = (
    ("the following arguments are required:", "次の指定が必要です:"),
    ("unrecognized arguments:", "知らない指定があります:"),
    ("invalid choice:", "選べない値です:"),
    ("expected one argument", "値を1つ指定してください"),
    ("argument ", "指定 "),
    ("(choose from", "（次から選んでください:"),
)


def _translate(text: str, words) -> str:
    for english, japanese in words:
        text = text.replace(english, japanese)
    return text


class _Parser(argparse.ArgumentParser):
    def format_usage(self):
        return _translate(super().format_usage(), _HELP_WORDS)

    def format_help(self):
        return _translate(super().format_help(), _HELP_WORDS)

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"xlkit: 指定が正しくありません: {_translate(message, _ERROR_WORDS)}", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """The `xlkit` argument parser, Japanese throughout, one subparser per module of xlkit.commands."""
    parser = _Parser(prog="xlkit", description="審議案件・外部結合登録簿の入力チェック・集計・報告書出力")
    subparsers = parser.add_subparsers(dest="command", metavar="コマンド", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"xlkit.commands.{name}")
        module.add_parser(subparsers).set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `xlkit` with `argv`; returns the exit code (see xlkit.errors), never raises to the shell."""
    for stream in (sys.stdout, sys.stderr):
        # Windows consoles default to cp932; every message here is Japanese
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    previous = _stop_on_signals()
    try:
        # building the parser imports every command, and with them the data files (eras, wording)
        # that staff may edit: a slip there is said like any other error
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        return args.run(args)
    except XlkitError as e:
        print(_error_line(e), file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        # the reader went away (xlkit validate … | head): nothing left to say to anyone
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as stop:
        print("中断しました。", file=sys.stderr)
        return 128 + getattr(stop, "signal", signal.SIGINT)
    except OSError as e:
        said = from_os_error(e)
        print(_error_line(said), file=sys.stderr)
        return said.exit_code
    except Exception as e:  # the last guard: staff must never see a traceback
        print(f"エラー: 予期しない問題が起きました（{type(e).__name__}: {e}）。"
              "この表示を区政情報課のシステム担当に伝えてください。", file=sys.stderr)
        if os.environ.get("XLKIT_DEBUG"):  # for the developer: the traceback (argparse refuses a flag)
            raise
        return 3
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class Stopped(KeyboardInterrupt):
    """The command was told to stop (the terminal closed, `kill`, a scheduler's timeout)."""

    def __init__(self, number: int):
        super().__init__(number)
        self.signal = number


def _stop_on_signals() -> dict:
    """SIGTERM and SIGHUP stop a command as Ctrl+C does: the lock is released and temporary
    files are removed on the way out, instead of being left for --clear-lock."""
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None:  # Windows has no SIGHUP
            continue
        try:
            previous[number] = signal.signal(number, _raise_stopped)
        except ValueError:  # not the main thread: the caller handles its own signals
            break
    return previous


def _raise_stopped(number, frame):
    raise Stopped(number)


def _error_line(e: XlkitError) -> str:
    """The shared message, then what only the command line adds (--year rather than 設定)."""
    try:
        return messages.text("cli.error", 内容=e.message + e.hint("cli"))
    except XlkitError:  # the wording file itself is what is broken: say its error plainly
        return f"エラー: {e.message}"


if __name__ == "__main__":
    sys.exit(main())
