"""Every order write: placing, cancelling, and each status transition.

Each transition is one function that locks the order row, checks the current
state against ``constants.TRANSITIONS`` and raises ``OrderInvalidState``
(code ``invalid_state``) otherwise — never a silent no-op that changes data.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .constants import TRANSITIONS, OrderStatus
from .exceptions import OrderInvalidState
from .models import Order, OrderEvent

_TIMESTAMP_FIELD = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def _transition(order: Order | int, to: str, *, note: str = "") -> Order:
    """Lock the order, check ``current -> to`` is allowed, write it and its event.

    Precondition: called inside ``transaction.atomic()``. Returns the locked, updated row.
    """
    order_id = order if isinstance(order, int) else order.pk
    locked = Order.objects.select_for_update().get(pk=order_id)
    if to not in TRANSITIONS[locked.status]:
        raise OrderInvalidState(
            details={"status": locked.status, "to": str(to), "number": locked.number}
        )
    previous = locked.status
    locked.status = to
    fields = ["status", "updated"]
    stamp = _TIMESTAMP_FIELD.get(to)
    if stamp:
        setattr(locked, stamp, timezone.now())
        fields.append(stamp)
    locked.save(update_fields=fields)
    OrderEvent.objects.create(order=locked, from_status=previous, to_status=to, note=note[:255])
    if not isinstance(order, int):
        order.status = locked.status
        if stamp:
            setattr(order, stamp, getattr(locked, stamp))
    return locked


@transaction.atomic
def order_mark_paid(*, order: Order | int, note: str = "") -> Order:
    """pending_payment -> paid. Called by the payments service exactly once per order."""
    return _transition(order, OrderStatus.PAID, note=note)


@transaction.atomic
def order_mark_shipped(*, order: Order | int, note: str = "") -> Order:
    """paid -> shipped (when all of its shipments have shipped)."""
    return _transition(order, OrderStatus.SHIPPED, note=note)


@transaction.atomic
def order_mark_delivered(*, order: Order | int, note: str = "") -> Order:
    """shipped -> delivered."""
    return _transition(order, OrderStatus.DELIVERED, note=note)


@transaction.atomic
def order_mark_completed(*, order: Order | int, note: str = "") -> Order:
    """delivered -> completed (after the return window)."""
    return _transition(order, OrderStatus.COMPLETED, note=note)


@transaction.atomic
def order_mark_refunded(*, order: Order | int, note: str = "") -> Order:
    """refund_pending -> refunded (the provider confirmed the refund)."""
    return _transition(order, OrderStatus.REFUNDED, note=note)
