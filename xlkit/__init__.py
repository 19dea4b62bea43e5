"""xlkit — 審議案件・外部結合登録簿のための道具。"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from xlkit.notebook import RegisterData

__version__ = "0.1.0"


def load(path: str | Path) -> RegisterData:
    """A register as pandas DataFrames, for notebooks: see xlkit.notebook.RegisterData."""
    # imported here so that `import xlkit` (every button press, every CLI run) never loads pandas
    from xlkit.notebook import load as _load

    return _load(path)
