"""Certificates a cooperative holds, for one of its products or for all of them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from storefront.errors import InvalidInput
from storefront.text import clean_line

from ..constants import CertificationKind
from ..documents import clean_certification_document
from ..models import Certification, Cooperative
from ._common import full_clean, refuse_unknown, save_unique

CERTIFICATION_FIELDS = ("kind", "number", "issuer", "valid_until", "product", "document")


def certification_check(certification: Certification) -> None:
    """The rules on an unsaved certificate (texts cleaned first): a known kind, a number
    and an issuer, and a product of the holding cooperative. ``InvalidInput``."""
    certification.number = clean_line(certification.number, max_length=80)
    certification.issuer = clean_line(certification.issuer, max_length=150)
    errors: dict[str, list[str]] = {}
    if certification.kind not in CertificationKind.values:
        errors["kind"] = [_("Unknown kind of certificate.")]
    if not certification.number:
        errors["number"] = [_("A certificate number is required.")]
    if not certification.issuer:
        errors["issuer"] = [_("Say who issued it.")]
    if (
        certification.product_id is not None
        and certification.product.cooperative_id != certification.cooperative_id
    ):
        errors["product"] = [_("Choose a product of the same cooperative.")]
    full_clean(
        certification,
        errors,
        exclude=["document"],
        validate_unique=False,
        validate_constraints=False,
    )


def _check_and_save(
    certification: Certification, document: File | bool | None = None
) -> Certification:
    """Check, then store the document (so a refused form leaves no file), then save.
    ``document``: a new file, False to remove the stored one, None to keep it."""
    certification_check(certification)
    if document is False:
        certification.document = ""
    elif document is not None:
        # Only a PDF, JPEG or PNG (checked by content, images re-encoded), never anything
        # a browser could run from our origin.
        try:
            document = clean_certification_document(document)
        except ValidationError as exc:
            raise InvalidInput(details={"document": exc.messages}) from None
        certification.document.save(document.name, document, save=False)
    return save_unique(
        certification, "number", _("A certificate of this kind with this number exists.")
    )


@transaction.atomic
def certification_create(*, cooperative: Cooperative, **fields) -> Certification:
    """A certificate ``cooperative`` holds: ``kind``, ``number``, ``issuer`` and optionally
    ``valid_until``, ``product`` (one of its own; none: all its products) and
    ``document`` (a file)."""
    refuse_unknown(fields, CERTIFICATION_FIELDS)
    document = fields.pop("document", None)
    certification = Certification(cooperative=cooperative, **fields)
    return _check_and_save(certification, document)


@transaction.atomic
def certification_update(*, certification: Certification, **fields) -> Certification:
    """Edit a certificate (not the cooperative that holds it)."""
    refuse_unknown(fields, CERTIFICATION_FIELDS)
    locked = Certification.objects.select_for_update().get(pk=certification.pk)
    document = fields.pop("document", None)
    for name, value in fields.items():
        setattr(locked, name, value)
    return _check_and_save(locked, document)


@transaction.atomic
def certification_delete(*, certification: Certification) -> None:
    certification.delete()
