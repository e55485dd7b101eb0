"""QR codes for batch trace pages (made by storefront.qr, like every QR code)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString

from storefront.qr import qr_png, qr_svg


def trace_url(code: str) -> str:
    """The public URL a bag's QR code opens."""
    return f"{settings.PUBLIC_BASE_URL}{reverse('trace', kwargs={'code': code})}"


def trace_qr_svg(code: str, *, scale: int = 4) -> SafeString:
    return qr_svg(trace_url(code), scale=scale, title=f"Batch {code}")


def trace_qr_png(code: str, *, scale: int = 6) -> bytes:
    return qr_png(trace_url(code), scale=scale)
