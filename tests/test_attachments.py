"""添付ファイル as files: names read from the cell, found only inside the 「添付ファイル」 folder,
judged by their content, bombs refused by the limits, images made ready to place (rotated,
8-bit), a PDF's first page rendered; then the warning 入力チェック gives at the cell, and the
export that refuses a missing one unless forced — on the command line and on the buttons.

Every file here is made by the test (Pillow, or bytes written by hand): no fixture file can go
stale, and each hostile file is exactly as hostile as its test says."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # before anything imports xlwings

import pytest
from PIL import Image as Pillow

from xlkit import attachments, schema, tasks
from xlkit.attachments import FOLDER, AttachmentError
from xlkit.workbook.builder import build
from xlkit.workbook.reader import load
from support import japanese, run_cli

CASE = schema.case()
C = CASE.sheet
P_COLUMN = "P"  # 添付ファイル, the 16th column of schemas/case.schema.json
assert CASE.headers[ord(P_COLUMN) - 65] == "添付ファイル"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test sees files as they are now, not as an earlier test's file of the same path was."""
    attachments._cache.clear()
    yield
    attachments._cache.clear()


@pytest.fixture
def register(tmp_path) -> Path:
    """An (empty) register file with its 添付ファイル folder beside it."""
    (tmp_path / FOLDER).mkdir()
    path = tmp_path / "登録簿.xlsx"
    path.write_bytes(b"")
    return path


def put(register: Path, name: str, data: bytes) -> Path:
    target = register.parent / FOLDER / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def image_bytes(mode: str = "RGB", size=(300, 200), fmt: str = "PNG", color="red", **save) -> bytes:
    out = io.BytesIO()
    Pillow.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def opened(image: attachments.Image) -> Pillow.Image:
    picture = Pillow.open(io.BytesIO(image.png))
    picture.load()
    return picture


def reason(register: Path, name: str) -> str:
    said = attachments.check(name, register)
    assert said is not None, name
    with pytest.raises(AttachmentError) as caught:
        attachments.load(name, register)
    assert caught.value.reason == said and name in caught.value.message
    return japanese(said)


# --- the cell ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (None, []),
    ("", []),
    ("   ", []),
    ("流れ図.png", ["流れ図.png"]),
    ("流れ図.png\n\n  別紙2.pdf  \r\n", ["流れ図.png", "別紙2.pdf"]),
    ("a.png\rb.png", ["a.png", "b.png"]),
    ('"C:\\Users\\職員\\流れ図.png"', ["C:\\Users\\職員\\流れ図.png"]),  # Windows' パスのコピー quotes it
    ("流れ図 №29（外部提供）.png", ["流れ図 №29（外部提供）.png"]),  # spaces inside a name are kept
    (12, ["12"]),
])
def test_names_one_per_line_blank_lines_ignored(value, expected):
    assert attachments.names(value) == expected


def test_the_folder_is_beside_the_register(tmp_path):
    assert attachments.folder(tmp_path / "sub" / "登録簿.xlsm") == tmp_path / "sub" / "添付ファイル"


# --- where a name may point ----------------------------------------------------------------

def test_japanese_names_with_spaces_and_subfolders(register):
    put(register, "図面 R7/流れ図 №29（外部提供）.png", image_bytes())
    for name in ("図面 R7/流れ図 №29（外部提供）.png", "図面 R7\\流れ図 №29（外部提供）.png"):
        assert attachments.check(name, register) is None, name
        assert attachments.load(name, register).name == name


def test_a_decomposed_file_name_is_found_by_its_composed_spelling(register):
    put(register, unicodedata.normalize("NFD", "ガイド.png"), image_bytes())  # a Mac's file name
    assert attachments.check(unicodedata.normalize("NFC", "ガイド.png"), register) is None


@pytest.mark.parametrize("name", [
    "../登録簿.xlsx", "../../etc/passwd", "図/../../登録簿.xlsx", "/etc/passwd", "C:\\Windows\\win.ini",
    "C:流れ図.png", "\\\\server\\share\\流れ図.png", "//server/share/流れ図.png", "\\流れ図.png", ".",
])
def test_names_outside_the_folder_are_refused(register, name):
    (register.parent / "登録簿.xlsx").write_bytes(image_bytes())  # something real to reach for
    assert "添付ファイルフォルダの外です" in reason(register, name)


def test_a_link_leading_out_of_the_folder_is_refused(register, tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}_外.png"
    secret.write_bytes(image_bytes())
    try:
        (register.parent / FOLDER / "近道.png").symlink_to(secret)
    except OSError:
        pytest.skip("this system cannot make a symbolic link")
    assert "添付ファイルフォルダの外です" in reason(register, "近道.png")


def test_going_down_and_back_up_inside_the_folder_is_fine(register):
    put(register, "流れ図.png", image_bytes())
    (register.parent / FOLDER / "図").mkdir()
    assert attachments.check("図/../流れ図.png", register) is None


def test_missing_file_names_the_folder_and_similar_names(register):
    put(register, "流れ図 1.png", image_bytes())
    said = reason(register, "流れ図1.png")
    assert said.startswith("見つかりません") and "「添付ファイル」フォルダ" in said and "「流れ図 1.png」" in said
    assert "/" not in said.split("フォルダ")[0].strip("見つかりません（「添付ファイル」")  # never the PC's path
    assert "似た名前" not in reason(register, "全然ちがう名前の図.png")


def test_missing_file_in_a_subfolder_names_that_subfolder(register):
    (register.parent / FOLDER / "図面").mkdir()
    assert "「添付ファイル/図面」フォルダ" in reason(register, "図面/ない.png")


def test_no_folder_beside_the_register(tmp_path):
    path = tmp_path / "登録簿.xlsx"
    assert "「添付ファイル」フォルダがありません" in reason(path, "流れ図.png")


def test_a_folder_named_as_a_file(register):
    (register.parent / FOLDER / "図.png").mkdir()
    assert "フォルダです" in reason(register, "図.png")


@pytest.mark.parametrize("name, words", [
    ("流れ\x00図.png", "ファイル名に使えない文字"),
    ("x" * 5000 + ".png", "長すぎます"),
    ("a/" * 300 + "流れ図.png", "…」フォルダに置いてください"),  # the folder is said, not echoed whole
    ("https://example.com/流れ図.png", "添付ファイルフォルダの外です"),
    ("CON.png", "ファイル名に使えない"),  # a Windows device: opening it waits for typing
    ("図/aux", "ファイル名に使えない"),
], ids=["nul", "long", "deep", "url", "con", "aux"])
def test_hostile_names_are_reasons(register, name, words):
    said = reason(register, name)
    assert words in said and len(said) < 300


def test_a_pipe_is_never_opened(register):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(register.parent / FOLDER / "管.png")
    assert "でもありません" in reason(register, "管.png")  # reading it would wait for ever


def test_a_book_without_a_file_has_no_folder_to_look_in():
    with pytest.raises(AttachmentError) as caught:
        attachments.load("流れ図.png", None)
    assert "ファイルとして保存されていない" in caught.value.reason


# --- what a file holds ---------------------------------------------------------------------

def test_the_kind_is_the_content_not_the_suffix(register):
    put(register, "本当はPNG.jpg", image_bytes(fmt="PNG"))
    put(register, "本当はJPEG.pdf", image_bytes(fmt="JPEG"))
    put(register, "本当はPDF.png", image_bytes(fmt="PDF"))
    assert opened(attachments.load("本当はPNG.jpg", register)).format == "PNG"
    assert opened(attachments.load("本当はJPEG.pdf", register)).format == "JPEG"
    assert opened(attachments.load("本当はPDF.png", register)).format == "PNG"  # rendered


def test_a_png_that_is_really_a_zip(register):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    put(register, "流れ図.png", data.getvalue())
    assert "画像（PNG・JPEG）でも PDF でもありません" in reason(register, "流れ図.png")


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 10, b"GIF89a" + b"\0" * 50, b"text"])
def test_empty_and_other_files(register, data):
    put(register, "図.png", data)
    said = reason(register, "図.png")
    assert said in ("空のファイルです（0 バイト）", "壊れています（PNGとして読めません）") or "でもありません" in said


def test_a_truncated_png_is_broken_not_half_drawn(register):
    whole = io.BytesIO()
    Pillow.effect_noise((400, 400), 64).convert("RGB").save(whole, "PNG")  # noise: no tiny IDAT
    put(register, "途中まで.png", whole.getvalue()[: len(whole.getvalue()) // 2])
    assert reason(register, "途中まで.png") == "壊れています（PNGとして読めません）"


def test_a_png_with_a_damaged_chunk_is_broken(register):
    data = bytearray(image_bytes())
    data[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    put(register, "傷.png", bytes(data))
    assert "壊れています" in reason(register, "傷.png")


def test_a_truncated_jpeg_is_broken(register):
    data = image_bytes(fmt="JPEG", size=(400, 400), color=None)
    put(register, "途中まで.jpg", data[:200])
    assert reason(register, "途中まで.jpg") == "壊れています（JPEGとして読めません）"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels and holds one tiny deflate stream: a bomb's header."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_png_bomb_is_refused_from_its_header(register, monkeypatch):
    put(register, "爆弾.png", _png_header_only(50_000, 50_000))  # 2.5 billion pixels in 100 bytes
    said = reason(register, "爆弾.png")
    assert "画像が大きすぎます" in said and "上限 40,000,000 画素" in said


def test_the_pixel_limit_can_be_set_small(register, monkeypatch):
    put(register, "大.png", image_bytes("L", (2000, 1000)))  # 2 MB of pixels in a few KB
    assert attachments.check("大.png", register) is None
    monkeypatch.setenv("XLKIT_LIMITS", "attachment_pixels=1000000")
    said = reason(register, "大.png")
    assert "2,000×1,000 画素" in said and "上限 1,000,000 画素" in said


def test_the_file_size_limit(register, monkeypatch):
    put(register, "重い.png", image_bytes())
    monkeypatch.setenv("XLKIT_LIMITS", "attachment_bytes=100")
    assert reason(register, "重い.png").startswith("大きすぎます（")


def test_a_file_that_grows_past_the_limit_while_read_is_refused_by_size(register, monkeypatch):
    """A copy still being written: small when its size is read, over the limit when it is opened."""
    target = put(register, "コピー中.png", image_bytes())
    monkeypatch.setenv("XLKIT_LIMITS", f"attachment_bytes={target.stat().st_size + 10}")

    def grow_then_open(path, mode="r", *args, **kwargs):
        with open(target, "ab") as more:
            more.write(b"\0" * 100)
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(attachments, "open", grow_then_open, raising=False)
    said = attachments.check("コピー中.png", register)  # once: the next look finds it larger still
    assert said is not None and said.startswith("大きすぎます（") and japanese(said)


def _exif_rotated_jpeg(orientation: int) -> bytes:
    image = Pillow.new("RGB", (400, 100), "white")
    image.paste((255, 0, 0), (0, 0, 40, 100))  # a red band on the left edge
    exif = Pillow.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def test_jpeg_exif_rotation_is_applied(register):
    put(register, "横向き.jpg", _exif_rotated_jpeg(6))  # 6: shown turned 90° clockwise
    image = attachments.load("横向き.jpg", register)
    assert (image.width_px, image.height_px) == (100, 400)
    picture = opened(image)
    assert picture.size == (100, 400) and picture.format == "JPEG"
    assert picture.getexif().get(0x0112, 1) == 1  # never rotated a second time by a writer
    red, green, _ = picture.getpixel((50, 10))  # the band is now along the top
    assert red > 200 and green < 80


def test_an_upright_jpeg_is_passed_through_unchanged(register):
    data = image_bytes(fmt="JPEG")
    put(register, "写真.jpg", data)
    assert attachments.load("写真.jpg", register).png == data


def test_a_cmyk_jpeg_becomes_rgb(register):
    put(register, "印刷用.jpg", image_bytes("CMYK", (60, 40), "JPEG", color=(0, 255, 255, 0)))
    picture = opened(attachments.load("印刷用.jpg", register))
    assert picture.mode == "RGB" and picture.size == (60, 40)
    red, green, blue = picture.getpixel((30, 20))
    assert red > 200 and green < 60 and blue < 60  # magenta + yellow print red


def test_a_palette_png_with_transparency_keeps_it_as_rgba(register):
    palette = Pillow.new("P", (30, 20), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = io.BytesIO()
    palette.save(out, "PNG", transparency=0)
    put(register, "透過.png", out.getvalue())
    picture = opened(attachments.load("透過.png", register))
    assert picture.mode == "RGBA" and picture.getpixel((5, 5)) == (255, 0, 0, 255)


def test_a_16_bit_grey_png_becomes_8_bit_grey(register):
    wide = Pillow.new("I;16", (20, 10))
    wide.putpixel((0, 0), 65535)
    wide.putpixel((1, 0), 32768)
    out = io.BytesIO()
    wide.save(out, "PNG")
    put(register, "16bit.png", out.getvalue())
    picture = opened(attachments.load("16bit.png", register))
    assert picture.mode == "L" and picture.getpixel((0, 0)) == 255 and 126 <= picture.getpixel((1, 0)) <= 129
    assert picture.getpixel((5, 5)) == 0


def test_an_8_bit_png_is_passed_through_unchanged(register):
    data = image_bytes("RGBA", color=(0, 0, 255, 128))
    put(register, "そのまま.png", data)
    assert attachments.load("そのまま.png", register).png == data


# --- PDF -------------------------------------------------------------------------------------

def _pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF written object by object, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"


def test_a_pdfs_first_page_is_rendered_at_150_dpi(register):
    first = Pillow.new("RGB", (595, 842), "white")  # A4 at 72 dpi
    first.paste((0, 0, 255), (0, 0, 595, 100))
    second = Pillow.new("RGB", (842, 595), "black")
    out = io.BytesIO()
    first.save(out, "PDF", resolution=72, save_all=True, append_images=[second])
    put(register, "資料.pdf", out.getvalue())
    image = attachments.load("資料.pdf", register)
    assert abs(image.width_px - 1240) <= 2 and abs(image.height_px - 1754) <= 2  # 210 x 297 mm at 150 dpi
    picture = opened(image)
    assert picture.format == "PNG" and picture.getpixel((600, 50))[2] > 200  # the first page, blue band on top
    assert picture.getpixel((600, 1000)) == (255, 255, 255)


def test_an_encrypted_pdf_is_a_reason(register):
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"
    data = _pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>", encrypt],
                b"/Encrypt 4 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">] ")
    put(register, "鍵付き.pdf", data)
    assert "パスワード" in reason(register, "鍵付き.pdf")


def test_a_pdf_without_pages_is_a_reason(register):
    put(register, "空.pdf", _pdf([CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>"]))
    assert "ページのない PDF" in reason(register, "空.pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + b"\0garbage" * 100, b"%PDF-1.4\n1 0 obj\n<<", b"%PDF-"])
def test_a_broken_pdf_is_a_reason(register, data):
    put(register, "壊れ.pdf", data)
    assert reason(register, "壊れ.pdf") in ("壊れています（PDFとして読めません）",
                                           "ページのない PDF です（ページの一覧が空か、壊れています）")


def test_a_huge_pdf_page_is_refused_by_the_page_limit(register, monkeypatch):
    put(register, "A4.pdf", image_bytes(size=(595, 842), fmt="PDF", resolution=72))
    assert attachments.check("A4.pdf", register) is None
    monkeypatch.setenv("XLKIT_LIMITS", "attachment_page_mm=200")
    said = reason(register, "A4.pdf")
    assert "PDF の1ページ目が大きすぎます" in said and "210×297 mm" in said


def test_a_pdf_page_over_the_pixel_limit_is_rendered_smaller_not_refused(register, monkeypatch):
    put(register, "A4.pdf", image_bytes(size=(595, 842), fmt="PDF", resolution=72))
    monkeypatch.setenv("XLKIT_LIMITS", "attachment_pixels=500000")
    image = attachments.load("A4.pdf", register)
    assert image.width_px * image.height_px <= 500_000 and image.height_px > 800
    assert abs(image.width_px / image.height_px - 210 / 297) < 0.01


# --- size on the page; files that change ------------------------------------------------------

@pytest.mark.parametrize("pixels, box, expected", [
    ((300, 200), (170, 250), (170.0, 170 * 200 / 300)),  # wide: the width decides
    ((200, 800), (170, 250), (62.5, 250.0)),  # tall: the height decides
    ((10, 10), (170, 250), (170.0, 170.0)),  # small: scaled up to the box
])
def test_fit_keeps_the_aspect_and_stays_in_the_box(pixels, box, expected):
    image = attachments.Image("図.png", b"", *pixels)
    width, height = attachments.fit(image, *box)
    assert (round(width, 6), round(height, 6)) == (round(expected[0], 6), round(expected[1], 6))
    assert width <= box[0] + 1e-9 and height <= box[1] + 1e-9


def test_a_file_replaced_after_a_check_is_read_again(register):
    target = put(register, "流れ図.png", image_bytes())
    assert attachments.check("流れ図.png", register) is None
    target.write_bytes(b"not an image any more")
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 5_000_000_000))
    assert "でもありません" in reason(register, "流れ図.png")


def test_the_files_remembered_hold_no_more_bytes_than_the_budget(register, monkeypatch):
    """Many large photos checked then placed: the cache keeps the newest within its byte budget
    (a gigabyte of 30 MB photos would otherwise stay in the buttons' Python)."""
    sizes = []
    for i in range(3):
        put(register, f"写真{i}.png", image_bytes(size=(200 + i, 200), color=(i, 0, 0)))
        sizes.append(len(attachments.load(f"写真{i}.png", register).png))
    attachments._cache.clear()
    monkeypatch.setattr(attachments, "_CACHED_BYTES", max(sizes) * 2)
    for i in range(3):
        attachments.load(f"写真{i}.png", register)
    held = [found for found in attachments._cache.values() if isinstance(found, attachments.Image)]
    assert sum(len(found.png) for found in held) <= max(sizes) * 2
    assert [found.name for found in held] == ["写真1.png", "写真2.png"]  # the newest kept, the oldest dropped
    monkeypatch.setattr(attachments, "_CACHED_BYTES", min(sizes) - 1)
    attachments._cache.clear()
    assert attachments.load("写真0.png", register).name == "写真0.png" and attachments._cache == {}


# --- 入力チェック: a warning at the cell ---------------------------------------------------------

@pytest.fixture
def with_attachments(tmp_path, make_case):
    """A register (the builder's layout) whose case №1 names a good PNG and a missing file, and
    case №2 a .png that is a zip, with its 添付ファイル folder."""
    path = build(tmp_path / "登録簿.xlsx", cases=[
        make_case(1, attachment="流れ図 №1.png\n無い図.png"),
        make_case(2, attachment="図面/偽物.png"),
        make_case(3),
    ], settings={"report_year": 2025})
    put(path, "流れ図 №1.png", image_bytes())
    put(path, "図面/偽物.png", b"PK\x03\x04" + b"\0" * 40)
    return path


def test_validation_warns_at_the_cell_of_each_unusable_name(with_attachments):
    report = tasks.validate(load(with_attachments))
    found = [(i.sheet, i.cell, i.code, i.severity) for i in report.issues if i.code == "attachment-unusable"]
    assert found == [(C, f"{P_COLUMN}2", "attachment-unusable", "warning"),
                     (C, f"{P_COLUMN}3", "attachment-unusable", "warning")]
    first, second = [i for i in report.issues if i.code == "attachment-unusable"]
    assert "「無い図.png」" in first.message and "見つかりません" in first.message
    assert "流れ図 №1.png" not in first.message  # the good one is not named
    assert first.column == "添付ファイル" and first.value == "流れ図 №1.png\n無い図.png"
    assert "「図面/偽物.png」" in second.message and "でもありません" in second.message
    assert report.errors == 0


def test_xlkit_validate_lists_the_warning_and_exits_0(with_attachments, capsys):
    code, out, err = run_cli(capsys, "validate", with_attachments)
    assert code == 0 and err == ""
    assert f"{C}!{P_COLUMN}2 [警告] 添付ファイル: ファイル「無い図.png」: 見つかりません" in out


def test_a_register_read_without_its_file_is_not_asked_for_attachments(with_attachments):
    book = load(with_attachments)
    book.path = None  # a Book made from grids (a notebook's, a test's)
    assert not [i for i in tasks.validate(book).issues if i.code == "attachment-unusable"]


def test_a_register_without_attachments_loads_no_image_library(tmp_path, make_case):
    import subprocess
    import sys

    path = build(tmp_path / "登録簿.xlsx", cases=[make_case(1)])
    code = ("import sys; from xlkit import tasks; from xlkit.workbook.reader import load; "
            f"tasks.validate(load({str(path)!r})); print('PIL' in sys.modules, 'pypdfium2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- exports: refused while one is missing, unless forced -------------------------------------------

def test_export_refused_listing_each_then_forced_with_a_placeholder(with_attachments, tmp_path, capsys):
    out = tmp_path / "資料.docx"
    code, _, err = run_cli(capsys, "export", "cases", with_attachments, "--out", out)
    assert code == 1 and not out.exists()
    japanese(err)
    assert "使えない添付ファイルが 2 件あるため" in err
    assert f"{C}!{P_COLUMN}2「無い図.png」: 見つかりません" in err
    assert f"{C}!{P_COLUMN}3「図面/偽物.png」: 画像（PNG・JPEG）でも PDF でもありません" in err
    assert "--force" in err
    code, stdout, err = run_cli(capsys, "export", "cases", with_attachments, "--out", out, "--force")
    assert code == 0 and out.exists() and "出力しました" in stdout
    assert "このまま出力しました" in err and "「無い図.png」" in err
    import docx

    document = docx.Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "無い図.png" in text and "図面/偽物.png" in text  # a line in place of each, never a gap
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("word/media/") for n in z.namelist())  # the good one is placed


def test_export_with_every_attachment_present_is_not_asked_anything(tmp_path, make_case, capsys):
    path = build(tmp_path / "登録簿.xlsx", settings={"report_year": 2025}, cases=[make_case(1, attachment="流れ図.png")])
    put(path, "流れ図.png", image_bytes())
    code, _, err = run_cli(capsys, "export", "cases", path, "--out", tmp_path / "資料.docx")
    assert code == 0 and "添付" not in err


def test_only_cases_in_the_period_are_asked_for(tmp_path, capsys, make_case):
    path = build(tmp_path / "r2.xlsx", settings={"report_year": 2025}, cases=[
        make_case(1, attachment="無い図.png"),
        make_case(2, submitted_on=dt.date(2025, 6, 1)),
    ])
    code, _, err = run_cli(capsys, "export", "cases", path, "--from", "R7.5.1", "--to", "R7.6.30",
                           "--out", tmp_path / "資料.docx")
    assert code == 0, err


def test_the_task_asks_once_and_hands_the_problems_over(with_attachments, tmp_path):
    book = load(with_attachments)
    asked = []

    def no(refusal):
        asked.append(refusal)
        return False

    with pytest.raises(tasks.AttachmentsRefusal) as caught:
        tasks.export_cases(book, tmp_path / "a.docx", confirm=no)
    assert caught.value.exit_code == 1 and len(asked) == 1
    assert [(p.cell, p.name) for p in caught.value.problems] == [("P2", "無い図.png"), ("P3", "図面/偽物.png")]
    assert "このまま出力しますか" in asked[0].message and asked[0].problems == caught.value.problems
    written = tasks.export_cases(book, tmp_path / "b.docx", confirm=lambda refusal: True)
    assert written.forced is None  # no validation error to override
    assert [p.name for p in written.forced_attachments.problems] == ["無い図.png", "図面/偽物.png"]


def test_a_book_without_a_file_cannot_find_its_attachments_and_says_so(with_attachments, tmp_path):
    book = load(with_attachments)
    book.path = None
    with pytest.raises(tasks.AttachmentsRefusal) as caught:
        tasks.export_cases(book, tmp_path / "a.docx")
    assert len(caught.value.problems) == 3  # all of them, the good one too: there is no folder
    assert "ファイルとして保存されていない" in caught.value.message


# --- the buttons: the same decision, asked as a question ------------------------------------------

def _press(macro, path: Path, monkeypatch, answer: bool):
    from support.payload import alerts, office_js_payload, remote_book

    monkeypatch.chdir(path.parent)  # the remote book's folder is the current one
    asked = []
    book = remote_book(office_js_payload(path))
    macro(book, confirm=lambda refusal: asked.append(refusal) or answer)
    return asked, alerts(book.json()["actions"])


@pytest.fixture
def button_register(tmp_path, make_case, make_linkage):
    path = build(tmp_path / "登録簿.xlsx", linkages=[make_linkage(1, 2020)], settings={"report_year": 2020},
                 cases=[make_case(1, attachment="無い図.png")])
    return path


def test_the_button_asks_and_no_keeps_the_cases_report_back(button_register, monkeypatch):
    from xlkit import macros

    asked, [alert] = _press(macros.export_word, button_register, monkeypatch, answer=False)
    assert [r.key for r in asked] == ["export.attachments_confirm"]
    assert "「無い図.png」: 見つかりません" in asked[0].message
    exports = button_register.parent / "exports"
    assert [p.name for p in exports.glob("*.docx")] == ["外部結合の状況_令和2年度.docx"]  # the other report is made
    assert "作れなかった資料があります" in alert[0] and "「添付ファイル」フォルダに置くか" in alert[0]
    japanese(alert[0])


def test_the_button_asks_and_yes_prints_the_placeholder(button_register, monkeypatch):
    from xlkit import macros

    asked, [alert] = _press(macros.export_excel, button_register, monkeypatch, answer=True)
    assert len(asked) == 1
    written = sorted(p.name for p in (button_register.parent / "exports").glob("*.xlsx"))
    assert len(written) == 2 and "作れなかった" not in alert[0]
    assert "このまま出力しました" in alert[0] and "「無い図.png」" in alert[0]


def test_the_button_asks_about_errors_and_attachments_separately(tmp_path, make_case, monkeypatch):
    from xlkit import macros

    path = build(tmp_path / "登録簿.xlsx", settings={"report_year": 2020},
                 cases=[make_case(1, attachment="無い図.png"), make_case(2, result="保留")])
    asked, [alert] = _press(macros.export_word, path, monkeypatch, answer=True)
    assert sorted(r.key for r in asked) == ["export.attachments_confirm", "export.confirm"]
    assert "このまま出力しました" in alert[0]


def test_the_sample_attaches_its_flow_diagram_and_validates_clean_of_it(tmp_path):
    from support import SAMPLE

    copy = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, copy)
    shutil.copytree(SAMPLE.parent / FOLDER, tmp_path / FOLDER)
    book = load(copy)
    named = [(r.cell("attachment"), n) for r in book.cases for n in attachments.names(r.get("attachment"))]
    assert named, "the sample attaches a picture to at least one case"
    assert all(attachments.check(n, copy) is None for _, n in named)
    assert not [i for i in tasks.validate(book).issues if i.code == "attachment-unusable"]


# --- how staff really write where the file is (issue 13) ---------------------------------------

@pytest.mark.parametrize("loop", ["self", "pair", "folder"])
def test_a_link_loop_is_a_reason_not_an_exception(register, loop):
    inside = register.parent / FOLDER
    try:
        if loop == "self":
            os.symlink("輪.png", inside / "輪.png")
        elif loop == "pair":
            os.symlink("乙.png", inside / "甲.png")
            os.symlink("甲.png", inside / "乙.png")
        else:
            os.symlink("図", inside / "図")  # a folder link to itself: every name under it loops
    except OSError:
        pytest.skip("this system cannot make a symbolic link")
    name = {"self": "輪.png", "pair": "甲.png", "folder": "図/流れ図.png"}[loop]
    assert "輪になっています" in reason(register, name)


@pytest.mark.parametrize("typed", ["添付ファイル/流れ図.png", "添付ファイル\\流れ図.png", "./添付ファイル/流れ図.png",
                                   "添付ファイル/図/流れ図.png"])
def test_a_name_typed_with_the_folder_in_front_is_the_file_in_the_folder(register, typed):
    put(register, "流れ図.png", image_bytes())
    put(register, "図/流れ図.png", image_bytes())
    assert attachments.check(typed, register) is None


def test_a_missing_name_typed_with_the_folder_in_front_names_the_folder_once(register):
    said = reason(register, "添付ファイル/無い.png")
    assert "「添付ファイル」フォルダ" in said and "添付ファイル/添付ファイル" not in said


def test_a_real_subfolder_named_like_the_folder_is_taken_as_typed(register):
    put(register, "添付ファイル/流れ図.png", image_bytes())  # staff made 添付ファイル/添付ファイル themselves
    assert attachments.check("添付ファイル/流れ図.png", register) is None
    assert "見つかりません" in reason(register, "流れ図.png")


@pytest.mark.parametrize("where", ["流れ図.png", "図/流れ図.png"])
def test_a_full_path_to_a_file_inside_the_folder_is_that_file(register, where):
    target = put(register, where, image_bytes())
    assert attachments.check(str(target), register) is None
    assert attachments.check(str(target.resolve()), register) is None  # through a linked folder too
    assert attachments.load(str(target), register).name == str(target)  # named as typed in every message


def test_a_full_path_leaving_the_folder_by_dots_is_still_outside(register):
    (register.parent / "秘密.png").write_bytes(image_bytes())
    typed = str(register.parent / FOLDER / ".." / "秘密.png")
    assert "添付ファイルフォルダの外です" in reason(register, typed)


@pytest.mark.parametrize("typed", ["/etc/passwd", "C:\\Users\\職員\\Desktop\\添付ファイル\\流れ図.png",
                                   "\\\\server\\share\\添付ファイル\\流れ図.png"])
def test_a_full_path_elsewhere_says_where_the_file_must_be(register, typed):
    put(register, "流れ図.png", image_bytes())
    said = reason(register, typed)
    assert said.startswith("添付ファイルフォルダの外です") and "登録簿と同じフォルダの「添付ファイル」フォルダ" in said
    assert f"「{typed.replace(chr(92), '/').rsplit('/', 1)[-1]}」のようにファイル名だけ" in said


def test_a_full_path_elsewhere_is_never_looked_up(register, monkeypatch):
    looked = []
    real = Path.resolve

    def resolve(self, *a, **k):
        looked.append(str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "resolve", resolve)
    reason(register, "//server/share/流れ図.png")
    assert not [p for p in looked if "server" in p]
