"""Refunds: created for a payment, submitted to its provider, completed or failed.

A refund completing reports a ``RefundDone`` to the calling flow; what that means for
the order (refunded, fulfilment stopped) is the lifecycle's to decide.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from orders.constants import OrderStatus
from orders.models import Order
from storefront import metrics
from storefront.errors import InvalidInput
from storefront.money import CENT

from ..constants import PaymentStatus, RefundStatus
from ..exceptions import RefundExceedsPayment, RefundInvalidState
from ..models import Payment, Refund
from ..outcomes import RefundDone
from ..providers import RefundResult
from ..selectors import payment_holds_sale
from .ledger import ledger_record_refund
from .payment_state import payment_advance
from .provider import provider_get

logger = logging.getLogger(__name__)


#: The key of a refund of all that is left of a payment.
FULL = "full"


def payment_refundable(payment: Payment) -> Decimal:
    """What is left to give back of `payment`: its amount less its live (pending or
    succeeded) refunds. Precondition for a decision on it: the payment row is locked."""
    live = payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(s=Sum("amount"))["s"]
    return payment.amount - (live or Decimal("0"))


def _refund_new(*, payment: Payment, amount: Decimal, key: str, reason: str, **extra) -> Refund:
    attempt = payment.refunds.count() + 1
    return Refund.objects.create(
        payment=payment,
        out_refund_no=f"{payment.out_trade_no}-R{attempt}",
        amount=amount,
        key=key,
        reason=reason[:255],
        **extra,
    )


def refund_create(*, payment: Payment, reason: str) -> tuple[Refund, bool]:
    """The live whole refund of `payment` (all that partial refunds have not given
    back), and whether it was created now (the caller submits a new one to the provider
    on commit). Precondition: the payment row is locked."""
    existing = (
        payment.refunds.exclude(status=RefundStatus.FAILED).filter(key=FULL).order_by("id").first()
    )
    if existing is not None:
        return existing, False
    left = payment_refundable(payment)
    if left <= 0:
        # Partial refunds already give back all of it: the latest one stands for it.
        return payment.refunds.exclude(status=RefundStatus.FAILED).order_by("-id").first(), False
    return _refund_new(payment=payment, amount=left, key=FULL, reason=reason), True


def refund_partial_create(
    *,
    payment: Payment,
    amount: Decimal,
    key: str,
    reason: str,
    order_line_id: int | None = None,
    subsidy: Decimal = Decimal("0"),
) -> tuple[Refund, bool]:
    """A refund of `amount` of `payment` for one cause `key` ("weigh:line:12",
    "line:12:1", ...), and whether it was created now (to be submitted on commit).
    The same cause returns its live refund instead of a second one. Refused (nothing
    written) when the amount is not a positive amount in fen, when the payment is not
    succeeded, or when it would give back more than is left of the payment.

    Precondition: the payment row is locked (``select_for_update``) in the current
    transaction: that lock is what keeps concurrent partial refunds within the payment."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("refund_partial_create runs under the payment's row lock")
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount.quantize(CENT) != amount
        or amount <= 0
    ):
        raise InvalidInput(
            "A refund is a positive amount in fen.",
            code="refund_amount_invalid",
            details={"amount": str(amount)},
        )
    if not key or len(key) > 64 or key == FULL:
        raise InvalidInput("A partial refund names its cause.", code="refund_key_invalid")
    existing = payment.refunds.exclude(status=RefundStatus.FAILED).filter(key=key).first()
    if existing is not None:
        return existing, False
    if payment.status != PaymentStatus.SUCCEEDED:
        raise RefundInvalidState(details={"status": payment.status})
    left = payment_refundable(payment)
    if amount > left:
        raise RefundExceedsPayment(
            details={"amount": str(amount), "refundable": str(left), "payment": str(payment.amount)}
        )
    refund = _refund_new(
        payment=payment,
        amount=amount,
        key=key,
        reason=reason,
        order_line_id=order_line_id,
        subsidy=subsidy,
    )
    return refund, True


def order_refund_start(*, order: Order, reason: str) -> list[Refund]:
    """Give back the money of `order`'s succeeded payments; returns the refunds created
    now (to be submitted on commit). A payment that already has a live refund keeps it.

    Precondition: inside the transaction that moved the order to `refund_pending`.
    """
    created: list[Refund] = []
    payments = Payment.objects.select_for_update().filter(
        order_id=order.pk, status=PaymentStatus.SUCCEEDED
    )
    for payment in payments.order_by("succeeded_at", "id"):
        refund, new = refund_create(payment=payment, reason=reason)
        if new:
            created.append(refund)
    return created


def payment_refund_start(*, payment: Payment, reason: str) -> tuple[Refund, bool]:
    """Staff refund of one payment that does not (or no longer) pay for live goods:
    a duplicate or late payment, or a retry after a failed refund. A payment that
    pays for an order still being fulfilled is refunded by cancelling the order.
    Returns the live refund and whether it was created now (to be submitted)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise RefundInvalidState(details={"status": locked.status})
        pays_live_order = order.status not in (
            OrderStatus.CANCELLED,
            OrderStatus.REFUND_PENDING,
        ) and payment_holds_sale(payment_id=locked.pk)
        if pays_live_order:
            raise RefundInvalidState(
                "This payment pays for an order in progress: cancel the order instead.",
                details={"order_status": order.status},
            )
        return refund_create(payment=locked, reason=reason)


def refund_retry(*, refund_id: int) -> tuple[Refund, bool]:
    """Staff retry a failed refund: a new refund of its payment, whatever the order's
    status (the money must always be able to go back). Returns the live refund and
    whether it was created now (to be submitted). Refused unless the refund failed and
    its payment is still not refunded."""
    with transaction.atomic():
        payment_id, order_id = Refund.objects.values_list("payment_id", "payment__order_id").get(
            pk=refund_id
        )
        Order.objects.select_for_update().get(pk=order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != RefundStatus.FAILED:
            raise RefundInvalidState(
                "Only a failed refund can be retried.", details={"status": refund.status}
            )
        if payment.status != PaymentStatus.SUCCEEDED:
            raise RefundInvalidState(details={"status": payment.status})
        reason = refund.reason or "retried by staff"
        if refund.key == FULL:
            return refund_create(payment=payment, reason=reason)
        return refund_partial_create(
            payment=payment,
            amount=refund.amount,
            key=refund.key,
            reason=reason,
            order_line_id=refund.order_line_id,
            subsidy=refund.subsidy,
        )


def refund_submit(*, refund_id: int) -> RefundResult | None:
    """Ask the provider to refund; idempotent at the provider on `out_refund_no`.
    Returns its answer (None when the refund is no longer pending), for
    ``refund_apply_result``, which the caller runs in its transaction.

    Raises `ProviderError` / `ProviderUnavailable` when the outcome is unknown (the
    task retries with backoff; the reconcile sweep repeats it later).
    """
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return None
    payment = refund.payment
    Refund.objects.filter(pk=refund.pk).update(attempts=refund.attempts + 1)
    return provider_get(payment.provider).refund(
        out_trade_no=payment.out_trade_no,
        out_refund_no=refund.out_refund_no,
        amount=refund.amount,
        total=payment.amount,
        reason=refund.reason,
    )


def refund_apply_result(
    *, refund_id: int, result: RefundResult
) -> tuple[Refund, RefundDone | None]:
    """Record the provider's answer to a refund request; a success is reported back.

    Locks order, payment, refund. Precondition: inside ``transaction.atomic()``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("refund_apply_result runs inside the caller's transaction")
    refund = Refund.objects.get(pk=refund_id)
    order = Order.objects.select_for_update().get(pk=refund.payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund, None
    refund.provider_response = _jsonable(result.raw)
    if result.refund_id:
        refund.provider_refund_id = result.refund_id[:64]
    refund.save(update_fields=["provider_response", "provider_refund_id", "updated"])
    if result.status == "succeeded":
        return refund, refund_succeeded(refund=refund, payment=payment, order=order, ours=True)
    if result.status == "failed":
        refund_failed(refund, str(result.raw)[:255] or "refused by the provider")
    return refund, None


def refund_succeeded(*, refund: Refund, payment: Payment, order: Order, ours: bool) -> RefundDone:
    """The refund completed: record it, mark the payment refunded, reverse the ledger.
    Precondition: order, payment and refund are locked."""
    refund.status = RefundStatus.SUCCEEDED
    refund.completed_at = timezone.now()
    refund.save(update_fields=["status", "completed_at", "updated"])
    if payment_refunded_in_full(payment):
        payment_advance(payment, PaymentStatus.REFUNDED)
    reversed_entries = ledger_record_refund(order=order, refund=refund)
    metrics.incr(f"refund_succeeded:{payment.provider}")
    return RefundDone(
        refund=refund,
        payment=payment,
        order=order,
        paid_goods=bool(reversed_entries) or payment_holds_sale(payment_id=payment.pk),
        ours=ours,
    )


def payment_refunded_in_full(payment: Payment) -> bool:
    """Whether the payment's succeeded refunds give back all of it."""
    back = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
    return (back or Decimal("0")) >= payment.amount


def refund_failed(refund: Refund, reason: str) -> None:
    refund.status = RefundStatus.FAILED
    refund.failure_reason = reason[:255]
    refund.save(update_fields=["status", "failure_reason", "updated"])
    metrics.incr("refund_failed")
    logger.error("refund %s failed: %s", refund.out_refund_no, reason)


def _jsonable(raw: Mapping) -> dict:
    return json.loads(json.dumps(dict(raw), default=str))


def refunds_stale_ids(*, older_than_minutes: int = 10, limit: int = 200) -> list[int]:
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        Refund.objects.filter(status=RefundStatus.PENDING, updated__lt=cutoff)
        .order_by("updated")
        .values_list("pk", flat=True)[:limit]
    )
