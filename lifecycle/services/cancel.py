"""The buyer cancels: before payment the stock comes back; after payment, before any
parcel has left, the shipments are cancelled, the stock comes back and the money is
refunded."""

from __future__ import annotations

from django.db import transaction

from fulfilment.services import shipments_cancel_for_order
from orders.constants import OrderStatus
from orders.exceptions import OrderInvalidState
from orders.models import Order
from orders.services import (
    order_cancel_unpaid,
    order_copy_state,
    order_lock,
    order_mark_refund_pending,
    stock_release,
)
from payments.services import order_refund_start

from .extensions import paid_cancel_run, unpaid_release_run
from .news import managers_tell_paid_order_cancelled
from .refunds import refunds_submit_on_commit
from .wholesale import wholesale_credit_cancelled


@transaction.atomic
def order_cancel(*, order: Order, note: str = "") -> Order:
    """``pending_payment`` → ``cancelled`` with the stock returned; ``paid`` →
    ``refund_pending``, its shipments cancelled, its units back on sale (nothing has
    left the cooperatives) and its payments' refunds started (the provider is asked on
    commit); any later state raises ``OrderInvalidState`` (409
    ``invalid_state``). Locks, in the package's order: the order, its shipments, the
    features' rows (a credit line, a voucher), the variants, its payments."""
    locked = order_lock(order)
    if locked.status == OrderStatus.PENDING_PAYMENT:
        order_cancel_unpaid(
            order=locked,
            note=note or "cancelled by buyer",
            actor=locked.user,
            before_stock=unpaid_release_run,  # features' rows before variants (lock order)
        )
    elif locked.status == OrderStatus.PAID:
        # Fulfilment first: a shipment already on its way makes the whole order
        # uncancellable (409 invalid_state) before anything has changed.
        shipments_cancel_for_order(order=locked, note=note or "order cancelled by buyer")
        order_mark_refund_pending(order=locked, note=note or "cancelled by buyer")
        # An order on credit: nothing was paid, the credit comes back. Before the stock
        # (the credit row before the variant rows, as at checkout: no deadlock).
        wholesale_credit_cancelled(locked)
        stock_release(order=locked, actor=locked.user)
        refunds_submit_on_commit(order_refund_start(order=locked, reason="cancelled"))
        paid_cancel_run(locked)  # e.g. a team seat held by the order comes back
        managers_tell_paid_order_cancelled(locked)
    else:
        raise OrderInvalidState(
            "This order can no longer be cancelled.",
            details={"status": locked.status, "number": locked.number},
        )
    order_copy_state(locked, order)
    return order
