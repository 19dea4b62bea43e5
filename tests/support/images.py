"""Picture bytes for the tests of attachments and of the writers that place them."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str = "PNG", size=(400, 300), colour=(200, 30, 30)) -> bytes:
    """A plain `size` image of one colour, saved as `fmt` (PNG, JPEG …)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()
