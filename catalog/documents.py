"""Certification documents: a PDF, JPEG or PNG, judged by its content, never its name.

An uploaded document may be opened by staff and buyers from the site's own origin,
so nothing that a browser would run (HTML, SVG, JavaScript) may be stored: the bytes
must be a PDF (its header and end-of-file marker) or a JPEG/PNG photo, which is
re-encoded as product photos are (``catalog.images.clean_photo``: no EXIF, nothing
appended). It is at most ``CERTIFICATION_DOCUMENT_MAX_BYTES`` and stored under a
random name with the extension of what it is (``evil.html`` holding a PDF becomes
``….pdf``). Media are served with ``Content-Disposition: attachment`` and
``nosniff`` (``storefront.views.media``), so even a document is downloaded, not shown.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .exceptions import ImageRejected
from .images import clean_photo

IMAGE_EXTENSIONS = {"jpg", "png"}


def _invalid() -> ValidationError:
    return ValidationError(
        _("A certificate must be a PDF, JPEG or PNG file."), code="document_invalid"
    )


def clean_certification_document(upload) -> ContentFile:
    """The upload as a file to store, or ``ValidationError`` (``document_too_large``,
    ``document_invalid``)."""
    max_bytes = settings.CERTIFICATION_DOCUMENT_MAX_BYTES
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="document_too_large",
        )
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    try:
        image = clean_photo(upload)
    except ImageRejected:
        raise _invalid() from None
    if image.extension not in IMAGE_EXTENSIONS:
        raise _invalid()
    return ContentFile(image.content, name=f"{uuid.uuid4().hex}.{image.extension}")
