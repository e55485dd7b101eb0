"""Image bytes for upload tests: real photos, and hostile files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def photo(
    fmt: str = "JPEG", size=(640, 480), color=(200, 180, 120), exif_gps: bool = False
) -> bytes:
    img = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "FarmPhone 3"  # Model
        gps = {1: "N", 2: (47.0, 26.0, 10.0), 3: "E", 4: (85.0, 52.0, 30.0)}
        exif[0x8825] = gps  # GPSInfo IFD
        kwargs["exif"] = exif.tobytes()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_flood_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny PNG whose header claims a gigapixel canvas (decoding it would take GBs)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
