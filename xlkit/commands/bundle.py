"""`xlkit bundle --out DIR [--platform windows|here] [--python 3.11 ...] [--wheel PATH] [--overwrite]`:
the offline installer for the office's Windows PCs (xlkit.bundle_build)."""

from __future__ import annotations

import argparse
import sys

from xlkit import installation


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bundle",
        help="インターネットにつながらない Windows の PC に入れるためのフォルダ（バンドル）を作る",
        description=("xlkit と、それが使うすべてのパッケージの wheel（Windows 64 ビット、Python "
                     f"{'・'.join(installation.PYTHONS)} 用）、版を固定した requirements.lock、セットアップ.bat、"
                     "アンインストール.bat、SHA-256 の一覧と確認.bat、はじめにお読みください.txt を1つのフォルダに"
                     "まとめます。パッケージの索引（PyPI など）につながる PC で実行してください。"),
    )
    parser.add_argument("--out", required=True, metavar="フォルダ", help="作るフォルダ（ないか、空のフォルダ）")
    parser.add_argument("--platform", choices=("windows", "here"), default="windows",
                        help="windows: 役所の PC（既定）。here: この PC とこの Python（試験用）")
    parser.add_argument("--python", action="append", metavar="版", dest="pythons", default=[],
                        help=f"入れる先の Python の版（{'、'.join(installation.PYTHONS)}。くり返して指定。既定はすべて）")
    parser.add_argument("--wheel", metavar="ファイル",
                        help="xlkit の wheel（ソースのフォルダから入れた xlkit でないときに指定）")
    parser.add_argument("--overwrite", action="store_true", help="--out のフォルダに中身があっても作り直す")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlkit import bundle_build

    built = bundle_build.build(args.out, platform=args.platform, pythons=args.pythons, wheel=args.wheel,
                         overwrite=args.overwrite, say=lambda text: print(text, file=sys.stderr))
    lock = built.lock
    print(f"バンドルを作りました: {built.folder}")
    print(f"  xlkit {lock.version_of('xlkit')}、xlwings {lock.version_of('xlwings')}、"
          f"パッケージ {len(lock.pins)} 個、ファイル {len(built.files)} 個、{built.size / 1024 / 1024:.1f} MB")
    print(f"  対象: {'、'.join(t.label for t in lock.targets)}")
    print(f"  依存するパッケージの取得: {built.download_seconds:.1f} 秒")
    print("  このフォルダを丸ごと PC に持ち込み、確認.bat で確かめてから セットアップ.bat を実行します"
          "（はじめにお読みください.txt）。")
    return 0
