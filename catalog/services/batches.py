"""Harvest and milling batches: the record a bag's QR code opens (``/trace/<code>/``)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from storefront.errors import InvalidInput
from storefront.text import clean_line, clean_multiline

from ..models import Batch, Product
from ._common import delete_or_refuse, full_clean, refuse_unknown, save_unique

BATCH_FIELDS = (
    "product",
    "code",
    "harvested_on",
    "milled_on",
    "quantity_kg",
    "protein_pct",
    "moisture_pct",
    "ash_pct",
    "gluten_pct",
    "notes",
)
QUALITY_FIELDS = ("protein_pct", "moisture_pct", "ash_pct", "gluten_pct")
# Printed on bags and put in a URL path: letters, digits, dots, dashes, underscores.
_CODE = re.compile(r"^[\w.-]+$")


def batch_code_normalise(code: str) -> str:
    """``" jmn 2026/09 a "`` → ``"JMN-2026-09-A"``: one form however it was typed."""
    text = clean_line(code, max_length=40).upper()
    return re.sub(r"[\s/\\]+", "-", text).strip("-")


def batch_check(batch: Batch) -> None:
    """The batch rules on an unsaved row (its code normalised first): quality figures
    0–100 %, no negative quantity, milling after the harvest. ``InvalidInput`` with the
    fields' errors; forms ask it before saving, the services always do."""
    batch.code = batch_code_normalise(batch.code)
    errors: dict[str, list[str]] = {}
    if not batch.code:
        errors["code"] = [_("A batch code is required.")]
    elif not _CODE.match(batch.code):
        errors["code"] = [_("Use letters, digits and dashes in a batch code.")]
    for name in QUALITY_FIELDS:
        value = getattr(batch, name)
        if value is not None and not Decimal("0") <= Decimal(value) <= Decimal("100"):
            errors[name] = [_("A percentage is between 0 and 100.")]
    if batch.quantity_kg is not None and Decimal(batch.quantity_kg) < 0:
        errors["quantity_kg"] = [_("The quantity cannot be negative.")]
    if batch.milled_on and batch.harvested_on and batch.milled_on < batch.harvested_on:
        errors["milled_on"] = [_("Milling cannot come before the harvest.")]
    # Constraints are checked by the database (the duplicate code as a clear error below).
    full_clean(batch, errors, validate_unique=False, validate_constraints=False)


def _save(batch: Batch) -> Batch:
    return save_unique(batch, "code", _("A batch with this code already exists."))


@transaction.atomic
def batch_record(
    *,
    product: Product,
    code: str,
    harvested_on: date,
    milled_on: date | None = None,
    quantity_kg: Decimal | None = None,
    protein_pct: Decimal | None = None,
    moisture_pct: Decimal | None = None,
    ash_pct: Decimal | None = None,
    gluten_pct: Decimal | None = None,
    notes: str = "",
) -> Batch:
    """Record a harvest or milling batch: quality figures 0–100 %, the code normalised."""
    batch = Batch(product=product, code=code, notes=clean_multiline(notes, max_length=2000))
    batch.harvested_on, batch.milled_on, batch.quantity_kg = harvested_on, milled_on, quantity_kg
    batch.protein_pct, batch.moisture_pct = protein_pct, moisture_pct
    batch.ash_pct, batch.gluten_pct = ash_pct, gluten_pct
    batch_check(batch)
    return _save(batch)


@transaction.atomic
def batch_update(*, batch: Batch, **fields) -> Batch:
    """Correct a batch's record, under the same rules as recording it. Its product may
    change only within the cooperative (a manager fixing a wrong choice)."""
    refuse_unknown(fields, BATCH_FIELDS)
    locked = Batch.objects.select_for_update().select_related("product").get(pk=batch.pk)
    cooperative_id = locked.product.cooperative_id
    for name, value in fields.items():
        setattr(locked, name, value)
    if "notes" in fields:
        locked.notes = clean_multiline(locked.notes, max_length=2000)
    if "product" in fields and locked.product.cooperative_id != cooperative_id:
        raise InvalidInput(details={"product": [_("Choose a product of the same cooperative.")]})
    batch_check(locked)
    return _save(locked)


@transaction.atomic
def batch_delete(*, batch: Batch) -> None:
    delete_or_refuse(batch, _("This batch is still referred to."))
