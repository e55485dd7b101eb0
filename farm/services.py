"""Writes only the farmer portal makes that the catalogue has no service for yet: batches."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Batch, Product
from storefront.errors import InvalidInput
from storefront.text import clean_line, clean_multiline


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
    """Record a harvest or milling batch: the record a bag's QR code opens."""
    batch = Batch(
        product=product,
        code=clean_line(code, max_length=40).upper(),
        harvested_on=harvested_on,
        milled_on=milled_on,
        quantity_kg=quantity_kg,
        protein_pct=protein_pct,
        moisture_pct=moisture_pct,
        ash_pct=ash_pct,
        gluten_pct=gluten_pct,
        notes=clean_multiline(notes, max_length=2000),
    )
    errors: dict[str, list[str]] = {}
    if milled_on and milled_on < harvested_on:
        errors["milled_on"] = [_("Milling cannot come before the harvest.")]
    try:
        batch.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise InvalidInput(details=errors)
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        raise InvalidInput(
            details={"code": [_("A batch with this code already exists.")]}
        ) from None
    return batch
