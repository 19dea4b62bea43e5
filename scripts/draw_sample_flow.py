"""Draw the sample register's attached flow diagram, workbooks/添付ファイル/流れ図_№1.png.

    python scripts/draw_sample_flow.py [--out workbooks/添付ファイル/流れ図_№1.png]

Case №1 of the sample (データ共有・交換システムの利用に係る外部結合について) names this file in its
添付ファイル column, so that its 別紙 shows a picture under 「個人情報の流れ及び情報保護対策」. The
published 資料１ has such diagrams but not as files: this one is drawn from the case's own text
(what is exchanged, with whom, through what) for the sample only, and says so in its corner.
It is drawn with Pillow in IPAex Gothic, which the reports use too; the PNG is committed, so the
script runs only when the picture should change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "workbooks" / "添付ファイル" / "流れ図_№1.png"
FONT_PLACES = (Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
               Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
               Path("C:/Windows/Fonts/ipaexg.ttf"))
SIZE = (1800, 1100)  # 15 × 9.2 cm at 300 dpi: legible when scaled to the 別紙's width
DPI = 300
INK, LINE, FILL, SAFE = (0, 0, 0), (40, 40, 40), (235, 241, 250), (255, 248, 225)


def font(size: int) -> ImageFont.FreeTypeFont:
    for place in FONT_PLACES:
        if place.exists():
            return ImageFont.truetype(str(place), size)
    raise SystemExit("IPAex ゴシック（ipaexg.ttf）が見つかりません。fonts-ipaexfont を入れてから実行してください。")


def box(draw: ImageDraw.ImageDraw, rect: tuple[int, int, int, int], lines: list[str], size: int,
        fill=FILL, indent: int | None = None) -> None:
    """A rounded box with its lines centred (or, with `indent`, the lines after the first from the left)."""
    draw.rounded_rectangle(rect, radius=24, fill=fill, outline=LINE, width=4)
    face = font(size)
    gap = size // 3
    height = len(lines) * size + (len(lines) - 1) * gap
    y = (rect[1] + rect[3] - height) // 2
    for i, line in enumerate(lines):
        width = draw.textlength(line, font=face)
        x = rect[0] + indent if indent is not None and i else (rect[0] + rect[2] - width) / 2
        draw.text((x, y), line, font=face, fill=INK)
        y += size + gap


def arrow(draw: ImageDraw.ImageDraw, start: tuple[int, int], end: tuple[int, int], label: str, above: bool) -> None:
    """A horizontal arrow from start to end with its label above or below the shaft."""
    draw.line([start, end], fill=LINE, width=6)
    direction = 1 if end[0] > start[0] else -1
    tip = end
    draw.polygon([tip, (tip[0] - direction * 34, tip[1] - 18), (tip[0] - direction * 34, tip[1] + 18)], fill=LINE)
    face = font(30)
    width = draw.textlength(label, font=face)
    y = start[1] - 50 if above else start[1] + 16
    draw.text(((start[0] + end[0] - width) / 2, y), label, font=face, fill=INK)


def draw(path: Path) -> Path:
    image = Image.new("RGB", SIZE, "white")
    d = ImageDraw.Draw(image)
    title = "個人情報の流れ（データ共有・交換システムの利用）"
    d.text(((SIZE[0] - d.textlength(title, font=font(52))) / 2, 50), title, font=font(52), fill=INK)

    left, middle, right = (40, 260, 400, 560), (700, 220, 1100, 600), (1400, 260, 1760, 560)
    box(d, left, ["区（各課）", "職員"], 48)
    box(d, middle, ["データ共有・交換", "システム", "（BOX）"], 42)
    box(d, right, ["事業者等", "（庁外の関係者）"], 44)
    for y, forward, label in ((360, True, "データを登録"), (460, False, "データを閲覧・取得")):
        a, b = (left[2], y), (middle[0], y)
        arrow(d, a if forward else b, b if forward else a, label, above=forward)
        a, b = (right[0], y), (middle[2], y)
        arrow(d, a if forward else b, b if forward else a, label, above=forward)

    box(d, (60, 680, 1740, 1000), [
        "情報保護対策",
        "・共有フォルダごとにアクセス権限を設定し、関係者以外は閲覧できない",
        "・通信は暗号化し、紙や外部記録媒体（USBメモリ等）の受渡しをやめる",
        "・共有の期間が過ぎたデータは削除する",
    ], 40, fill=SAFE, indent=120)
    d.text((SIZE[0] - 560, SIZE[1] - 60), "xlkit サンプル用に作成した図", font=font(30), fill=(90, 90, 90))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(DPI, DPI), optimize=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="サンプルの登録簿の№1に添付する流れ図（PNG）を描きます。")
    parser.add_argument("--out", type=Path, default=OUT, help="出力先（既定: workbooks/添付ファイル/流れ図_№1.png）")
    args = parser.parse_args(argv)
    print(f"作成しました: {draw(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
