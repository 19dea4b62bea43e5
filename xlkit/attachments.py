"""The files a case's 添付ファイル names (flow diagrams): found, checked and made ready to place.

An adapter: it reads image files with Pillow and renders a PDF's first page with pypdfium2, so
the core never imports either (xlkit.tasks loads this module inside the use cases that need it).

    names("流れ図.png\\n図2.pdf")          -> ["流れ図.png", "図2.pdf"]
    check("流れ図.png", "登録簿.xlsx")      -> None, or the Japanese reason it cannot be used
    load("流れ図.png", "登録簿.xlsx")       -> Image (PNG or JPEG bytes, pixel size)
    fit(image, 170, 200)                   -> (170.0, 127.5): mm, aspect kept

Decisions:

* A name resolves inside the folder 「添付ファイル」 beside the register only. Subfolders are
  allowed; an absolute path, a drive, or a name that leaves the folder (../, a link pointing
  out) is refused: a register handed to someone else must not make the report read their files.
  Two spellings of a file that is inside are taken as its name there: the full path Windows'
  「パスのコピー」 gives (judged on its spelling, never looked up when it points elsewhere), and a
  name typed with 「添付ファイル/」 in front. A link loop is a reason, like any unreadable file.
* The kind is decided by the content's first bytes, never the suffix (a .png that is a zip, a
  .jpg that is a PNG): PNG, JPEG, or PDF.
* Bombs are refused by xlkit.limits (file size; pixels, counted from the header before anything
  is decoded; a PDF page's size), which a test can make small through XLKIT_LIMITS.
* The bytes handed out are what a writer can place as they are: EXIF orientation applied,
  CMYK, palette, 16-bit and the like turned into 8-bit RGB (or RGBA, grey). A JPEG that needs
  none of that is passed through unchanged; a PDF page is rendered at RENDER_DPI to PNG.
* What goes wrong is an AttachmentError (an XlkitError) with the reason in Japanese, never a
  library's exception: the reason is what 入力チェック shows at the cell and what an export lists.
"""

from __future__ import annotations

import difflib
import errno
import io
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from . import cells, limits, messages
from .errors import XlkitError, os_reason

FOLDER = "添付ファイル"
RENDER_DPI = 150  # a PDF page rendered for A4 print: sharp enough, a few MB at most
JPEG_QUALITY = 90  # a rotated or converted photo is written again as JPEG; PNG would be ten times larger
_CACHED = 32  # files remembered (check, then load for the report, decodes once)
# ... and the bytes they may hold: 32 photos at the 30 MB file limit would keep a gigabyte in the
# buttons' Python for as long as Excel runs; past this, an older file is decoded again when asked
_CACHED_BYTES = 256 * limits.MB
SIMILAR_SHOWN = 3
FOLDER_SHOWN = 60  # characters of a folder named in a reason: a name of 2,000 「a/」 is said, not echoed


class AttachmentError(XlkitError):
    """An attached file that cannot be used; `reason` is the part 入力チェック and exports show."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"添付ファイル「{name}」: {reason}")
        self.name, self.reason = name, reason


@dataclass(frozen=True)
class Image:
    """An attachment ready to place: `png` holds PNG or JPEG bytes (a PDF's first page rendered)."""

    name: str
    png: bytes
    width_px: int
    height_px: int


@dataclass(frozen=True)
class Problem:
    """One 添付ファイル name of a register row that cannot be used, with where it is typed."""

    sheet: str
    cell: str
    name: str
    reason: str
    value: object = None  # the cell as typed


_LINES = re.compile(r"\r\n|\r|\n")
_DEVICE = re.compile(r"(?i)(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?")  # Windows' device names


def names(value) -> list[str]:
    """The names in a 添付ファイル cell: one per line (Alt+Enter), blank lines ignored. Quotes
    around a name are dropped: Windows' 「パスのコピー」 puts them there."""
    if value is None or cells.is_blank(value):
        return []
    found = []
    for line in _LINES.split(cells.display(value)):
        name = line.strip().strip('"“”').strip()
        if name:
            found.append(name)
    return found


def folder(register_path) -> Path:
    """<the register's folder>/添付ファイル."""
    return Path(register_path).parent / FOLDER


def check(name: str, register_path) -> str | None:
    """None when `name` can be placed, else the Japanese reason it cannot."""
    try:
        load(name, register_path)
    except AttachmentError as e:
        return e.reason
    return None


def load(name: str, register_path) -> Image:
    """The attachment `name` ready to place; AttachmentError (an XlkitError) says why not."""
    path = _resolve(name, register_path)
    most = limits.current()
    try:
        stat = path.stat()
    except OSError as e:
        raise AttachmentError(name, messages.text("attachment.unreadable", 理由=os_reason(e))) from None
    key = (str(path), stat.st_mtime_ns, stat.st_size, most)
    if key in _cache:
        found = _cache[key]
        if isinstance(found, AttachmentError):
            raise AttachmentError(name, found.reason)
        return Image(name, found.png, found.width_px, found.height_px)
    try:
        image = _read(name, path, stat.st_size, most)
    except AttachmentError as e:
        _remember(key, e)
        raise
    _remember(key, image)
    return image


def fit(image: Image, box_w_mm: float, box_h_mm: float) -> tuple[float, float]:
    """The size in mm of `image` scaled to the largest that fits the box, aspect kept."""
    if box_w_mm <= 0 or box_h_mm <= 0:
        raise ValueError(f"box {box_w_mm} x {box_h_mm} mm")
    scale = min(box_w_mm / image.width_px, box_h_mm / image.height_px)
    return image.width_px * scale, image.height_px * scale


def problems(records: Iterable, register_path) -> list[Problem]:
    """Every 添付ファイル name of `records` (審議案件 Records) that cannot be used, in row order;
    with no register file (a Book made in memory) every name is one: there is no folder to look in."""
    found = []
    for rec in records:
        if "attachment" not in rec.values:
            continue
        for name in names(rec.values["attachment"]):
            if register_path is None:
                reason = messages.text("attachment.no_register")
            else:
                reason = check(name, register_path)
            if reason is not None:
                found.append(Problem(rec.sheet, rec.cell("attachment"), name, reason, rec.raw.get("attachment")))
    return found


# --- where the file is -------------------------------------------------------------------

def _resolve(name: str, register_path) -> Path:
    if register_path is None:
        raise AttachmentError(name, messages.text("attachment.no_register"))
    try:
        return _inside(name, register_path)
    except OSError as e:  # a name too long for the system, a share gone away …
        if e.errno == errno.ELOOP:
            raise AttachmentError(name, messages.text("attachment.link_loop")) from None
        raise AttachmentError(name, messages.text("attachment.unreadable", 理由=os_reason(e))) from None
    except RuntimeError:  # pathlib's resolve() says a link loop so (Python before 3.13), not as an OSError
        raise AttachmentError(name, messages.text("attachment.link_loop")) from None
    except ValueError:  # a character no file name can hold (NUL)
        raise AttachmentError(name, messages.text("attachment.bad_name")) from None


def _inside(name: str, register_path) -> Path:
    # typed on Windows either way: 図\\流れ図.png and 図/流れ図.png name the same file
    relative = name.replace("\\", "/")
    windows = PureWindowsPath(name)
    base = folder(register_path)
    if PurePosixPath(relative).is_absolute() or windows.drive or windows.root or ":" in relative:
        # Windows' 「パスのコピー」 gives the full path even of a file in the folder: that one is
        # taken as its name inside; any other is refused saying where the file must be
        relative = _within(name, base)
        if relative is None:
            raise AttachmentError(name, messages.text("attachment.outside_path", 名前=FOLDER,
                                                      例=_last_part(name)))
    relative = _without_folder(relative, base)
    if any(_DEVICE.fullmatch(part.rstrip(" .")) for part in relative.split("/")):
        raise AttachmentError(name, messages.text("attachment.bad_name"))  # Windows opens a device (CON waits for typing)
    if not base.is_dir():
        raise AttachmentError(name, messages.text("attachment.folder_missing", 名前=FOLDER))
    inside = base.resolve()
    target = (inside / relative).resolve()
    if not target.is_relative_to(inside) or target == inside:
        raise AttachmentError(name, messages.text("attachment.outside", 名前=FOLDER))
    if not target.exists():
        # a name typed in Excel is composed (NFC); a Mac-made file name may be decomposed (NFD)
        for form in ("NFC", "NFD"):
            other = (inside / unicodedata.normalize(form, relative)).resolve()
            if other.exists() and other.is_relative_to(inside):
                target = other
                break
        else:
            if target.is_symlink():  # a loop that resolve() left unresolved (Python 3.13 no longer raises)
                raise AttachmentError(name, messages.text("attachment.link_loop"))
            raise AttachmentError(name, _not_found(base, relative))
    if target.is_dir():
        raise AttachmentError(name, messages.text("attachment.is_folder"))
    if not target.is_file():  # a pipe or a device: reading it could wait for ever
        raise AttachmentError(name, messages.text("attachment.not_image"))
    return target


def _within(name: str, base: Path) -> str | None:
    """The part after the folder of a full path `name` to a file inside `base` ("図/流れ図.png"),
    else None. Decided on the spelling alone, the path made normal (「..」 folded) first: a path
    elsewhere (a share \\\\server\\…, another PC's C:) is never looked up, so a register handed
    over cannot make xlkit reach for it. What is left goes through every check of a typed name."""
    typed = Path(name)
    if not typed.is_absolute():  # C:\\… on a system without drives, C:流れ図.png, a URL
        return None
    typed = Path(os.path.normpath(typed))
    for root in dict.fromkeys((Path(os.path.abspath(base)), base.resolve())):  # as typed, or through a link
        try:
            inner = typed.relative_to(root)
        except ValueError:
            continue
        if inner.parts:
            return "/".join(inner.parts)
    return None


def _without_folder(relative: str, base: Path) -> str:
    """`relative` without a leading 「添付ファイル/」: staff type the folder the file is in, and
    「添付ファイル/添付ファイル」 is never meant — unless that subfolder is really there."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if len(parts) > 1 and unicodedata.normalize("NFKC", parts[0]).strip() == FOLDER:
        try:
            if not (base / parts[0]).is_dir():
                return "/".join(parts[1:])
        except OSError:  # a name too long to look up: taken as typed, said by the lookup that follows
            pass
    return relative


def _last_part(name: str) -> str:
    """The file name at the end of a typed path (either separator): what the cell should hold."""
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or name


def _not_found(base: Path, relative: str) -> str:
    """見つかりません, naming files of that folder with a similar name (流れ図１.png for 流れ図1.png)."""
    where = base / relative
    said = messages.text("attachment.not_found", フォルダ=_shown(base, where.parent))
    try:
        present = [p.name for p in where.parent.iterdir() if p.is_file()] if where.parent.is_dir() else []
    except OSError:
        present = []
    wanted = cells.fold(where.name)
    similar = [n for n in present if cells.fold(n) == wanted]
    similar += [n for n in difflib.get_close_matches(where.name, present, n=SIMILAR_SHOWN, cutoff=0.8)
                if n not in similar]
    if similar:
        said += "。似た名前のファイル：" + "、".join(f"「{n}」" for n in similar[:SIMILAR_SHOWN])
    return said


def _shown(base: Path, directory: Path) -> str:
    """「添付ファイル」 or 「添付ファイル/図」: where staff put files, without the PC's path."""
    try:
        inner = directory.relative_to(base)
    except ValueError:
        inner = Path()
    shown = str(PurePosixPath(FOLDER, *inner.parts))
    if len(shown) > FOLDER_SHOWN:
        shown = shown[:FOLDER_SHOWN] + "…"
    return f"「{shown}」フォルダ"


# --- what the file holds -------------------------------------------------------------------

_cache: dict = {}


def _remember(key, found) -> None:
    size = len(found.png) if isinstance(found, Image) else 0
    if size > _CACHED_BYTES:
        return  # one file over the budget: kept by no one but its caller
    while _cache and (len(_cache) >= _CACHED
                      or size + sum(len(f.png) for f in _cache.values() if isinstance(f, Image)) > _CACHED_BYTES):
        _cache.pop(next(iter(_cache)))
    _cache[key] = found


def _kind(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if b"%PDF-" in head[:1024]:  # readers accept a header anywhere in the first 1,024 bytes
        return "PDF"
    return None


def _read(name: str, path: Path, size: int, most: limits.Limits) -> Image:
    if size == 0:
        raise AttachmentError(name, messages.text("attachment.empty"))
    if size > most.attachment_bytes:
        raise AttachmentError(name, messages.text("attachment.file_too_big", 大きさ=limits.size(size),
                                                  上限=limits.size(most.attachment_bytes)))
    try:
        with open(path, "rb") as f:
            data = f.read(most.attachment_bytes + 1)
    except OSError as e:
        raise AttachmentError(name, messages.text("attachment.unreadable", 理由=os_reason(e))) from None
    if len(data) > most.attachment_bytes:  # grown since its size was read (a copy still being written)
        raise AttachmentError(name, messages.text("attachment.file_too_big", 大きさ=limits.size(len(data)) + "以上",
                                                  上限=limits.size(most.attachment_bytes)))
    kind = _kind(data[:1024])
    if kind is None:
        raise AttachmentError(name, messages.text("attachment.not_image"))
    if kind == "PDF":
        return _pdf_page(name, data, most)
    return _picture(name, data, kind, most)


def _broken(name: str, kind: str) -> AttachmentError:
    return AttachmentError(name, messages.text("attachment.broken", 種類=kind))


def _too_many(name: str, width: int | None, height: int | None, most: limits.Limits) -> AttachmentError:
    if width is None or height is None:  # Pillow refused it before telling its size
        return AttachmentError(name, messages.text("attachment.too_many_pixels_unknown", 上限=most.attachment_pixels))
    return AttachmentError(name, messages.text("attachment.too_many_pixels", 幅=width, 高さ=height,
                                               上限=most.attachment_pixels))


def _picture(name: str, data: bytes, kind: str, most: limits.Limits) -> Image:
    from PIL import Image as Pillow

    # Pillow's own bomb check is a warning below twice its limit; ours is counted first, from the
    # header, and Pillow's is kept as an error for what the header does not tell
    width = height = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", Pillow.DecompressionBombWarning)
        try:
            with Pillow.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if probe.format not in (kind, "MPO"):  # MPO: a camera's JPEG with a second image
                    raise _broken(name, kind)
                if width * height > most.attachment_pixels:
                    raise _too_many(name, width, height, most)
                if kind == "PNG":
                    probe.verify()  # every chunk's CRC: a damaged file is said, not drawn half
            with Pillow.open(io.BytesIO(data)) as image:
                image.load()
                return _ready(name, image, data, kind)
        except AttachmentError:
            raise
        except (Pillow.DecompressionBombError, Pillow.DecompressionBombWarning):
            raise _too_many(name, width, height, most) from None
        except Exception:  # noqa: BLE001  Pillow raises OSError, SyntaxError, ValueError, struct.error … for a hostile file
            raise _broken(name, kind) from None


def _ready(name: str, image, data: bytes, kind: str) -> Image:
    """`image` (loaded) as bytes a writer places as they are: upright, 8-bit RGB, RGBA or grey."""
    from PIL import ImageOps

    orientation = image.getexif().get(0x0112, 1)
    upright = orientation in (1, None)
    if upright and ((kind == "JPEG" and image.mode in ("RGB", "L") and image.format == "JPEG")
                    or (kind == "PNG" and image.mode in ("RGB", "RGBA", "L") and data[24:25] == b"\x08")):
        return Image(name, data, image.width, image.height)  # 8-bit already: placed as staff made it
    converted = _eight_bit(image if upright else ImageOps.exif_transpose(image))
    out = io.BytesIO()
    if kind == "JPEG" and converted.mode in ("RGB", "L"):
        converted.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        converted.save(out, "PNG", optimize=False)
    return Image(name, out.getvalue(), converted.width, converted.height)


def _eight_bit(image):
    """RGB, RGBA or L: what Word, Excel and LibreOffice all draw the same (CMYK JPEGs come out
    as negatives in some, 16-bit grey as black in others)."""
    mode = image.mode
    if mode in ("RGB", "RGBA", "L"):
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        wide = image.convert("I") if mode != "F" else image
        high = 65535 if mode.startswith("I;16") else max(1, int(wide.getextrema()[1] or 1))
        return wide.point(lambda v: v * (255 / high)).convert("L")
    if mode == "LA" or mode == "PA" or (mode == "P" and "transparency" in image.info) or mode == "RGBa":
        return image.convert("RGBA")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, P without transparency


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def _pdf_page(name: str, data: bytes, most: limits.Limits) -> Image:
    """The first page of a PDF, rendered at RENDER_DPI (less for a page so large that it would
    pass the pixel limit), as PNG."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except Exception:  # noqa: BLE001  pdfium's binding raises more than PdfiumError for a hostile file
        # why is read from the bytes: pdfium's error code is process-wide and not reset by every
        # failure (a PDF without pages fails with the code of the file before it)
        if b"/Encrypt" in data:
            raise AttachmentError(name, messages.text("attachment.pdf_encrypted")) from None
        if not _PAGE_OBJECT.search(data):
            raise AttachmentError(name, messages.text("attachment.pdf_no_pages")) from None
        raise _broken(name, "PDF") from None
    try:
        if len(document) == 0:
            raise AttachmentError(name, messages.text("attachment.pdf_no_pages"))
        page = document[0]
        try:
            width_pt, height_pt = page.get_size()
            if not (width_pt > 0 and height_pt > 0):
                raise _broken(name, "PDF")
            longer_mm = max(width_pt, height_pt) * 25.4 / 72
            if longer_mm > most.attachment_page_mm:
                raise AttachmentError(name, messages.text(
                    "attachment.page_too_big", 幅=round(width_pt * 25.4 / 72), 高さ=round(height_pt * 25.4 / 72),
                    上限=most.attachment_page_mm))
            scale = RENDER_DPI / 72
            pixels = width_pt * height_pt * scale * scale
            if pixels > most.attachment_pixels:
                scale *= (most.attachment_pixels / pixels) ** 0.5 * 0.995  # pdfium rounds the size up
            bitmap = page.render(scale=scale, may_draw_forms=True)
            try:
                rendered = bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
        finally:
            page.close()
    except AttachmentError:
        raise
    except Exception:  # noqa: BLE001  a page that will not render is a broken file, not a defect of ours
        raise _broken(name, "PDF") from None
    finally:
        document.close()
    out = io.BytesIO()
    rendered.save(out, "PNG")
    return Image(name, out.getvalue(), rendered.width, rendered.height)


__all__ = ["FOLDER", "AttachmentError", "Image", "Problem", "names", "folder", "check", "load", "fit", "problems"]
