"""QR codes, made one way for the whole site (segno, error correction level M).

Batch trace codes (catalog), WeChat Pay's native code (lifecycle's pay page) and the
sandbox wallet's page link (payments) all come from here.
"""

from __future__ import annotations

import io

import segno
from django.utils.safestring import SafeString, mark_safe


def _qr(data: str) -> segno.QRCode:
    return segno.make(data, error="m")


def qr_svg(data: str, *, scale: int = 4, title: str | None = None) -> SafeString:
    """``data`` as an SVG for inline use in an HTML page (no XML declaration, no
    namespace), marked safe: segno writes the markup and escapes ``title``."""
    svg = _qr(data).svg_inline(scale=scale, title=title)
    return mark_safe(svg)  # noqa: S308 - segno's own markup, the title escaped by segno


def qr_png(data: str, *, scale: int = 6) -> bytes:
    """``data`` as a PNG image (packing slips)."""
    out = io.BytesIO()
    _qr(data).save(out, kind="png", scale=scale)
    return out.getvalue()
