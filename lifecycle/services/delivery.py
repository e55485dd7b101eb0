"""Receipt confirmed by the buyer, and completion after the return window (which
releases the cooperatives' money for payout)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fulfilment.constants import DeliveredBy
from fulfilment.services import shipments_mark_delivered_for_order
from orders.constants import OrderStatus
from orders.models import Order
from orders.selectors import orders_due_for_completion_ids
from orders.services import order_lock, order_mark_completed
from payments.services import ledger_release_for_order
from storefront import metrics


def receipt_confirmed(*, order: Order) -> Order:
    """The buyer confirms the parcel arrived: every shipped shipment is delivered and the
    order ``shipped`` → ``delivered`` (409 ``invalid_state`` in any other status)."""
    shipments_mark_delivered_for_order(order=order, by=DeliveredBy.BUYER)
    return order


@transaction.atomic
def order_complete(*, order_id: int, now: datetime | None = None) -> bool:
    """delivered → completed once the return window has passed; releases the ledger.

    Idempotent: returns False (changing nothing) for an order not (yet) due.
    """
    order = order_lock(order_id)
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETURN_WINDOW_DAYS)
    if order.status != OrderStatus.DELIVERED or order.delivered_at is None:
        return False
    if order.delivered_at > cutoff:
        return False
    order_mark_completed(order=order, note="return window passed")
    ledger_release_for_order(order=order)
    metrics.incr("orders_completed")
    return True


def orders_complete_due(*, now: datetime | None = None) -> int:
    """Complete every delivered order whose return window has passed (one transaction each)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETURN_WINDOW_DAYS)
    ids = orders_due_for_completion_ids(delivered_before=cutoff)
    return sum(1 for order_id in ids if order_complete(order_id=order_id, now=now))
