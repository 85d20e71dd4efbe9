"""Small real images and the OpenAI content parts that carry them, for the image tests of
every backend (the fakes check an image's bytes against its declared format)."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

__all__ = ["GIF", "PNG", "image_part", "png_url"]


def _png() -> bytes:
    """A valid 1x1 RGBA PNG (signature, IHDR, IDAT, IEND with their CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def png_url(data: bytes = PNG, media_type: str = "image/png") -> str:
    """``data`` as a base64 ``data:`` URL."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def image_part(url: str) -> dict[str, Any]:
    """An OpenAI ``image_url`` content part."""
    return {"type": "image_url", "image_url": {"url": url}}
