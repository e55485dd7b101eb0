"""QR codes for batch trace pages (segno)."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.urls import reverse


def trace_url(code: str) -> str:
    """The public URL a bag's QR code opens."""
    return f"{settings.PUBLIC_BASE_URL}{reverse('trace', kwargs={'code': code})}"


def url_qr_svg(url: str, *, title: str, scale: int = 4) -> str:
    """An inline SVG QR code of ``url`` (any page that shares itself)."""
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=scale, xmldecl=False, svgns=True, title=title)
    return out.getvalue().decode()


def trace_qr_svg(code: str, *, scale: int = 4) -> str:
    return url_qr_svg(trace_url(code), title=f"Batch {code}", scale=scale)


def trace_qr_png(code: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(trace_url(code), error="m").save(out, kind="png", scale=scale)
    return out.getvalue()
