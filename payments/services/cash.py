"""Cash taken at a store counter or a station, recorded as a succeeded payment."""

from __future__ import annotations

import secrets

from django.utils import timezone

from orders.constants import OrderStatus
from orders.models import Order

from ..constants import PaymentStatus
from ..exceptions import PaymentInvalidState
from ..models import Payment


def cash_payment_record(*, order: Order, received_by_id: int) -> tuple[Payment, bool]:
    """The order's total taken in cash: a ``cash`` payment, succeeded. Returns
    ``(payment, created)``; the order already paid in cash returns that payment
    (a resent form records nothing twice). Precondition: the order row is locked in the
    caller's transaction (which makes the order paid and writes its ledger sale)."""
    existing = (
        Payment.objects.filter(order=order, provider="cash", status=PaymentStatus.SUCCEEDED)
        .order_by("id")
        .first()
    )
    if existing is not None:
        return existing, False
    details = {"status": order.status, "number": order.number}
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise PaymentInvalidState(details=details)
    now = timezone.now()
    payment = Payment.objects.create(
        order=order,
        provider="cash",
        out_trade_no=f"CASH{order.number[-12:]}-{secrets.token_hex(4)}",
        amount=order.total,
        status=PaymentStatus.SUCCEEDED,
        provider_trade_no=f"clerk:{received_by_id}",
        succeeded_at=now,
    )
    return payment, True
