"""Build the shipped empty register workbooks/登録簿.xlsm (the same builder as `xlkit new`).

    python scripts/build_template.py [--out workbooks/登録簿.xlsm]

The register has every sheet, table, dropdown and protection, the masters and 設定 filled
with the seed values of schemas/, the xlwings VBA project of the installed xlwings, our
module of one-line subs and the buttons of 「使い方」. Run it again after a change to
the schemas, the builder or an upgrade of xlwings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xlkit.workbook.builder import build  # noqa: E402

TEMPLATE = ROOT / "workbooks" / "登録簿.xlsm"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="空の登録簿（ボタン付き）を作り直す")
    parser.add_argument("--out", type=Path, default=TEMPLATE, help="出力先（既定: workbooks/登録簿.xlsm）")
    args = parser.parse_args(argv)
    path = build(args.out)
    print(f"作成しました: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
