"""Photo upload checks and re-encoding.

A photo is judged by its content, never its name: only JPEG, PNG and WebP are
accepted, at most ``IMAGE_UPLOAD_MAX_BYTES`` and ``IMAGE_UPLOAD_MAX_PIXELS``.
The pixel count is read from the header *before* any decoding, so a
pixel-flood PNG (tiny file, gigapixel canvas) is refused without allocating it.
Accepted photos are re-encoded from pixels only, which drops EXIF (a farmer's
GPS position), XMP, ICC tricks and anything appended to the file.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import ImageRejected

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_LONG_SIDE = 2400
THUMBNAIL_SIZE = (480, 480)


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    width: int
    height: int


def _size_of(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        pos = upload.tell()
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(pos)
    return int(size)


def clean_photo(upload: IO[bytes]) -> CleanImage:
    """Check an uploaded photo and return it re-encoded without metadata.

    Raises :class:`ImageRejected` with code ``image_too_large``,
    ``image_too_many_pixels`` or ``image_invalid``.
    """
    max_bytes = settings.IMAGE_UPLOAD_MAX_BYTES
    max_pixels = settings.IMAGE_UPLOAD_MAX_PIXELS
    if _size_of(upload) > max_bytes:
        raise ImageRejected(
            _("The photo is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="image_too_large",
            details={"max_bytes": max_bytes},
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Image.open reads only the header: the size is known, nothing is decoded.
            with Image.open(upload, formats=list(ALLOWED_FORMATS)) as probe:
                fmt = probe.format
                width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except UnidentifiedImageError:
        raise ImageRejected(_("This file is not a JPEG, PNG or WebP photo.")) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(_("This photo is damaged and cannot be read.")) from None
    if width * height > max_pixels or width <= 0 or height <= 0:
        raise _too_many_pixels(max_pixels, width, height)
    upload.seek(0)
    try:
        with Image.open(upload, formats=[fmt]) as img:
            img.load()
            # Apply the camera's rotation before the EXIF that records it is dropped.
            img = ImageOps.exif_transpose(img)
            img.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE))
            return _encode(img, fmt)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected(_("This photo is damaged and cannot be read.")) from None


def _too_many_pixels(max_pixels: int, width: int = 0, height: int = 0) -> ImageRejected:
    return ImageRejected(
        _("The photo has too many pixels (at most %(mp)d megapixels).")
        % {"mp": max_pixels // 1_000_000},
        code="image_too_many_pixels",
        details={"max_pixels": max_pixels, "width": width, "height": height},
    )


def _encode(img: Image.Image, fmt: str) -> CleanImage:
    out = io.BytesIO()
    if fmt == "JPEG":
        img = img.convert("RGB")
        img.save(out, "JPEG", quality=86, optimize=True, progressive=True)
    elif fmt == "PNG":
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            img = img.convert("RGBA")
        img.save(out, "PNG", optimize=True)
    else:
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img.save(out, "WEBP", quality=84, method=4)
    return CleanImage(out.getvalue(), ALLOWED_FORMATS[fmt], img.width, img.height)


def render_thumbnail(source: IO[bytes]) -> bytes:
    """A WebP thumbnail that fits THUMBNAIL_SIZE, from an already-cleaned photo."""
    with Image.open(source) as img:
        img.load()
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL_SIZE)
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        out = io.BytesIO()
        img.save(out, "WEBP", quality=80, method=4)
        return out.getvalue()
