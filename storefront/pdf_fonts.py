"""The CJK TrueType font every PDF of the site draws Chinese with (packing slips,
invoices): ``PACKING_SLIP_FONT`` when set, else the first Debian font found."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def cjk_font_candidates() -> tuple[str, ...]:
    configured = getattr(settings, "PACKING_SLIP_FONT", "")
    return (configured,) if configured else FONT_CANDIDATES


def cjk_font() -> Path | None:
    """The font's path, or None (each caller raises its own error with the searched paths)."""
    for candidate in cjk_font_candidates():
        path = Path(candidate)
        if path.is_file():
            return path
    return None
