"""Certification documents: a PDF, JPEG or PNG, judged by its content, never its name.

An uploaded document may be opened by staff and buyers from the site's own origin,
so nothing that a browser would run (HTML, SVG, JavaScript) may be stored: the first
bytes must be a PDF header (with its end-of-file marker) or a JPEG/PNG that Pillow
reads. It is at most ``CERTIFICATION_DOCUMENT_MAX_BYTES`` and stored under a random
name with the extension of what it is (``evil.html`` holding a PDF becomes
``….pdf``). Media are served with ``Content-Disposition: attachment`` and
``nosniff`` (``storefront.views.media``), so even a document is downloaded, not shown.
"""

from __future__ import annotations

import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png"}


def _invalid() -> ValidationError:
    return ValidationError(
        _("A certificate must be a PDF, JPEG or PNG file."), code="document_invalid"
    )


def clean_certification_document(upload) -> ContentFile:
    """The upload as a file to store, or ``ValidationError`` (``document_too_large``,
    ``document_invalid``)."""
    max_bytes = settings.CERTIFICATION_DOCUMENT_MAX_BYTES
    if (upload.size or 0) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="document_too_large",
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(_("The file is too large."), code="document_too_large")
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        extension = "pdf"
    else:
        extension = _image_extension(upload)
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{extension}")


def _image_extension(upload) -> str:
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=list(IMAGE_FORMATS)) as image:
                fmt = image.format
                width, height = image.size
                if width * height > settings.IMAGE_UPLOAD_MAX_PIXELS:
                    raise _invalid()
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _invalid() from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid() from None
    return IMAGE_FORMATS[fmt]
