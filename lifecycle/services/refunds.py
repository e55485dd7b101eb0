"""Refunds across apps: submitting them, staff refunds and retries, and what a completed
refund means for the order (``refund_confirmed``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from fulfilment.services import shipments_cancel_for_order, shipments_left_cooperative
from orders.constants import OrderStatus
from orders.services import (
    order_flag,
    order_mark_refund_pending,
    order_mark_refunded,
    stock_release,
)
from payments import services as payments
from payments.models import Payment, Refund
from payments.outcomes import RefundDone
from payments.selectors import order_sale_payments_refunded
from storefront import metrics
from storefront.queue import send_on_commit

from .news import buyer_tell_refunded

logger = logging.getLogger(__name__)

#: Orders whose goods may already be with the buyer: a refund outside our flow is
#: flagged to staff, nothing is changed automatically.
GOODS_MAY_HAVE_LEFT = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def refunds_submit_on_commit(refunds: Iterable[Refund]) -> None:
    """Ask the provider for each refund once the transaction that created it commits
    (the reconcile sweep submits again whatever stays pending)."""
    from ..tasks import refund_submit_task

    for refund in refunds:
        send_on_commit(refund_submit_task, refund.pk)


def refund_submit(*, refund_id: int) -> Refund:
    """Submit one refund to its provider and record the answer; a refund the provider
    completed at once is carried to the order (``refund_confirmed``).

    Raises `ProviderError` / `ProviderUnavailable` when the outcome is unknown."""
    result = payments.refund_submit(refund_id=refund_id)
    if result is None:
        return Refund.objects.get(pk=refund_id)
    with transaction.atomic():
        refund, done = payments.refund_apply_result(refund_id=refund_id, result=result)
        if done is not None:
            refund_confirmed(done)
    return refund


def refund_confirmed(done: RefundDone) -> str:
    """A refund completed and the ledger is reversed: what it means for the order.

    - ``refund_pending`` (cancelled after payment): ``refunded`` once every payment that
      holds a sale entry is refunded; a duplicate payment's refund does not close it.
    - ``paid``, refunded outside our flow (the provider's merchant console) for the
      payment that paid the goods: nothing has left the cooperatives, so fulfilment
      stops (shipments cancelled, units back on sale) and the order goes
      ``refund_pending`` → ``refunded``;
      if a parcel has left already, staff are flagged and nothing else changes.
    - ``shipped``/``delivered``/``completed``, same: staff are flagged.

    Whatever the order does, the buyer is told the money is back (once per refund).

    Returns a note for the record (empty when nothing changed). Precondition: the order
    row is locked in the current transaction (order, payment, refund locks held)."""
    order, refund = done.order, done.refund
    buyer_tell_refunded(order, refund)
    if order.status == OrderStatus.REFUND_PENDING:
        if not order_sale_payments_refunded(order_id=order.pk):
            return "order waits for its other refunds"
        order_mark_refunded(order=order, note=f"refund {refund.out_refund_no}")
        return "order refunded"
    if done.ours or not done.paid_goods:
        return ""
    # The goods' money went back outside our flow: the cooperatives must not ship
    # goods nobody paid for.
    metrics.incr("refund_outside_flow")
    if order.status == OrderStatus.PAID and not shipments_left_cooperative(order=order):
        shipments_cancel_for_order(order=order, note="refunded at the payment provider")
        order_mark_refund_pending(order=order, note="refunded at the payment provider")
        stock_release(order=order)
        if order_sale_payments_refunded(order_id=order.pk):
            order_mark_refunded(order=order, note=f"refund {refund.out_refund_no}")
            return "fulfilment stopped, order refunded"
        return "fulfilment stopped"
    if order.status == OrderStatus.PAID or order.status in GOODS_MAY_HAVE_LEFT:
        reason = f"refunded at the payment provider ({refund.out_refund_no}) after shipping"
        order_flag(order=order, reason=reason)
        logger.error("order %s: %s", order.number, reason)
        return "flagged to staff: goods had left"
    return ""


def payment_refund(*, payment: Payment, reason: str) -> Refund:
    """Staff refund one payment that does not pay for live goods (a duplicate or late
    payment); submitted on commit. See ``payments.services.payment_refund_start``."""
    with transaction.atomic():
        refund, created = payments.payment_refund_start(payment=payment, reason=reason)
        if created:
            refunds_submit_on_commit([refund])
    return refund


def refund_retry(*, refund_id: int) -> Refund:
    """Staff retry a failed refund (always possible while its payment is not refunded);
    the new refund is submitted on commit."""
    with transaction.atomic():
        refund, created = payments.refund_retry(refund_id=refund_id)
        if created:
            refunds_submit_on_commit([refund])
    return refund
