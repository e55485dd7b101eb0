"""Refunds across apps: submitting them, and what a completed refund means for the order."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from orders.constants import OrderStatus
from orders.services import order_mark_refunded
from payments import services as payments
from payments.models import Payment, Refund
from payments.outcomes import RefundDone
from storefront.queue import send_on_commit


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
    """A refund completed (the ledger is reversed already): move the order on.

    A ``refund_pending`` order becomes ``refunded``. Returns a note for the record
    (empty when the order did not change). Precondition: the order row is locked."""
    order = done.order
    if order.status == OrderStatus.REFUND_PENDING:
        order_mark_refunded(order=order, note=f"refund {done.refund.out_refund_no}")
        return "order refunded"
    return ""


def payment_refund(*, payment: Payment, reason: str) -> Refund:
    """Staff refund one payment that does not pay for live goods (a duplicate or late
    payment); submitted on commit. See ``payments.services.payment_refund_start``."""
    with transaction.atomic():
        refund, created = payments.payment_refund_start(payment=payment, reason=reason)
        if created:
            refunds_submit_on_commit([refund])
    return refund
