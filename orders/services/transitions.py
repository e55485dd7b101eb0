"""Order status transitions: one function per step, each checking the current state.

Each transition locks the order row (or takes one the caller locked), checks
``current -> to`` against ``constants.TRANSITIONS`` and raises ``OrderInvalidState``
(code ``invalid_state``) otherwise: never a silent no-op that changes data. Leaving
``pending_payment`` or ``paid`` for a cancellation gives the stock back in the same
transaction, so it comes back exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from catalog.constants import StockReason
from catalog.stock import stock_return
from storefront.db import insert_rows, save_fields

from ..constants import TRANSITIONS, OrderStatus
from ..exceptions import OrderInvalidState
from ..models import Order, OrderEvent

_TIMESTAMP_FIELD = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def order_lock(order: Order | int) -> Order:
    """The order row, locked until the current transaction ends (the first lock every
    flow over an order takes: order, then payments, shipments, refunds, stock)."""
    return Order.objects.select_for_update().get(pk=order if isinstance(order, int) else order.pk)


def _transition(order: Order | int, to: str, *, note: str = "") -> Order:
    """Lock the order, check ``current -> to`` is allowed, write it and its event.

    Precondition: called inside ``transaction.atomic()``. Returns the locked, updated row.
    """
    locked = order_lock(order)
    _transition_locked(locked, to, note=note)
    if not isinstance(order, int) and order is not locked:
        order_copy_state(locked, order)
    return locked


def _transition_locked(locked: Order, to: str, *, note: str = "") -> Order:
    """``_transition`` for an order row the caller locked in this transaction."""
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
    save_fields(locked, fields)
    event = OrderEvent(order=locked, from_status=previous, to_status=to, note=note[:255])
    insert_rows([event], as_save=True)
    return locked


def order_copy_state(source: Order, target: Order) -> None:
    """Copy the status and its timestamps of ``source`` onto another copy of the row."""
    if source is target:
        return
    for field in ("status", "updated", *_TIMESTAMP_FIELD.values()):
        setattr(target, field, getattr(source, field))


def order_mark_paid(*, order: Order | int, note: str = "", locked: bool = False) -> Order:
    """pending_payment -> paid. Called by the lifecycle's payment flow once per order.

    ``locked=True``: ``order`` is a row the caller selected FOR UPDATE in the current
    transaction (the payment apply does), so it is checked and written as it is, with
    no second lock and no savepoint; the check happens before any write, so a refusal
    leaves nothing to undo."""
    if locked:
        if isinstance(order, int) or not transaction.get_connection().in_atomic_block:
            raise ValueError("locked=True needs the Order row locked in the current transaction")
        return _transition_locked(order, OrderStatus.PAID, note=note)
    with transaction.atomic():
        return _transition(order, OrderStatus.PAID, note=note)


def _marker(name: str, status: str, doc: str):
    """``order_mark_<status>(*, order, note="")``: the one transition to ``status``, in a
    transaction (``order`` an Order or its id)."""

    @transaction.atomic
    def mark(*, order: Order | int, note: str = "") -> Order:
        return _transition(order, status, note=note)

    mark.__name__ = mark.__qualname__ = name
    mark.__doc__ = doc
    return mark


order_mark_shipped = _marker(
    "order_mark_shipped",
    OrderStatus.SHIPPED,
    "paid -> shipped (when all of its shipments have shipped).",
)
order_mark_delivered = _marker(
    "order_mark_delivered", OrderStatus.DELIVERED, "shipped -> delivered."
)
order_mark_completed = _marker(
    "order_mark_completed",
    OrderStatus.COMPLETED,
    "delivered -> completed (after the return window).",
)
order_mark_refunded = _marker(
    "order_mark_refunded",
    OrderStatus.REFUNDED,
    "refund_pending -> refunded (every payment that paid for it was given back).",
)


def order_mark_refund_pending(*, order: Order, note: str = "") -> Order:
    """paid -> refund_pending (cancelled after payment, or refunded outside our flow).
    The paid units are not put back on sale by a refund request.

    Precondition: ``order`` is locked in the current transaction."""
    return _transition_locked(order, OrderStatus.REFUND_PENDING, note=note)


def order_flag(*, order: Order, reason: str) -> Order:
    """Flag the order for staff (admin: "needs attention"), with why; its status stays.
    Precondition: ``order`` is locked in the current transaction."""
    order.attention = reason[:255]
    order.save(update_fields=["attention", "updated"])
    OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status, note=reason[:255]
    )
    return order


def order_cancel_unpaid(
    *,
    order: Order,
    reason: str = StockReason.CANCELLATION,
    note: str = "",
    actor=None,
    before_stock: Callable[[Order], None] | None = None,
) -> Order:
    """pending_payment -> cancelled with the stock returned (buyer's cancel, expiry).

    ``before_stock(order)`` runs once the order is cancelled and BEFORE its stock comes
    back: what features claimed at checkout (a credit line, a voucher use, a quota) is
    given back while no variant row is locked yet, so this transaction locks rows in the
    order checkout does (order, features' rows, variants last) and the two never
    deadlock. Precondition: ``order`` is locked in the current transaction."""
    _transition_locked(order, OrderStatus.CANCELLED, note=note)
    if before_stock is not None:
        before_stock(order)
    stock_release(order=order, reason=reason, actor=actor)
    return order


def stock_release(*, order: Order, reason: str = StockReason.CANCELLATION, actor=None) -> None:
    """Give the order's units back to their variants (in variant-id order).

    Precondition: inside the transaction of the one transition that cancels the order,
    with the order row locked: that transition happens once, so the stock comes back
    exactly once.
    """
    quantities: dict[int, int] = defaultdict(int)
    # Lines a feature's quota filled took no stock: the feature gives its quota back.
    for variant_id, quantity in order.lines.filter(
        variant__isnull=False, from_quota=False
    ).values_list("variant_id", "quantity"):
        quantities[variant_id] += quantity
    if quantities:
        stock_return(quantities=quantities, reason=reason, order_id=order.pk, actor=actor)
