"""A payment's status moves forward only (``constants.PAYMENT_RANK``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from storefront.db import save_fields

from ..constants import PAYMENT_RANK, PaymentStatus
from ..models import Payment


def payment_advance(payment: Payment, to: str, *, extra_fields: Sequence[str] = ()) -> bool:
    """Move `payment` forward to `to` (saving `extra_fields` with it); False (and
    nothing written) if that is not forward. Precondition: the payment row is locked."""
    if PAYMENT_RANK[to] <= PAYMENT_RANK[payment.status]:
        return False
    payment.status = to
    fields = ["status", "updated", *extra_fields]
    if to == PaymentStatus.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        fields.append("succeeded_at")
    save_fields(payment, fields)
    return True
