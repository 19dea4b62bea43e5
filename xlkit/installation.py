"""Where xlkit lives on an office PC: one place, named once.

The offline bundle's セットアップ.bat creates the virtual environment there (xlkit bundle), every
register points its buttons at its Python (the xlwings.conf sheet's Interpreter_Win, written by
`xlkit new` and by the step to format 6), and `xlkit doctor` looks for it. The paths are
Windows paths with the environment variable unexpanded, as xlwings' VBA (GetConfig) and cmd.exe
expand them on the user's PC: each user of a shared PC gets an install of their own.
"""

from __future__ import annotations

# the folder the bundle installs into, per user (no administrator rights are needed)
HOME_WIN = r"%LOCALAPPDATA%\xlkit"
VENV_WIN = HOME_WIN + r"\.venv"
# what the buttons run (xlwings.conf 「Interpreter_Win」)
INTERPRETER_WIN = VENV_WIN + r"\Scripts\python.exe"
# the CPython versions the bundle carries wheels for (minor versions, oldest first)
PYTHONS = ("3.11", "3.12", "3.13")
