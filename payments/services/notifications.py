"""Provider notifications: verified and stored in the inbox (``receive``), then applied
exactly once (``notification_apply``), by a task, by the inbox sweep or by reconciliation.

Lock order, everywhere: inbox row, then order (or, for an invoice's payment, its
receivable), then payment, then refund, then the cooperatives of a ledger reversal.
Network calls to a provider are never made while a row lock is held.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone

from orders.constants import OrderStatus
from orders.models import Order
from storefront import metrics
from storefront.db import CompiledRead, save_fields

from ..constants import InboxStatus, PaymentStatus, RefundStatus
from ..models import Payment, PaymentNotification, Receivable, Refund
from ..outcomes import Applied, NotificationOutcome
from ..providers import Notification, NotificationError
from ..providers.base import HttpAnswer
from .payment_state import payment_advance
from .provider import provider_get
from .refunds import FULL, refund_create, refund_failed, refund_succeeded

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- receive


@dataclass(frozen=True)
class Received:
    """What the callback view answers, and the inbox row to apply (None when nothing new
    was stored: a refused or duplicate notification)."""

    answer: HttpAnswer
    inbox_id: int | None = None


def _reject_count(provider: str, code: str) -> None:
    metrics.incr("payment_notification_rejected")
    metrics.incr(f"payment_notification_rejected:{provider}:{code}")


def payment_notification_receive(
    *, provider: str, headers: Mapping[str, str], body: bytes, content_type: str = ""
) -> Received:
    """Verify a provider's notification and store it in the inbox.

    Returns the (status, content type, body) the provider expects and the new inbox
    row's id, which the caller enqueues for applying. A notification that fails
    verification, or names a trade that is not ours, changes nothing: it is logged and
    counted and answered with the provider's failure answer. A duplicate (same
    provider event) is answered with success and changes nothing.
    """
    impl = provider_get(provider)  # ProviderUnavailable: the view answers 404
    try:
        notification = impl.parse_notification(
            headers=headers, body=body, content_type=content_type
        )
    except NotificationError as exc:
        logger.warning("%s notification refused: %s (%s)", provider, exc.code, exc.message)
        _reject_count(provider, exc.code)
        return Received(impl.failure_response(exc.code, exc.message))

    payment = Payment.objects.filter(
        provider=provider, out_trade_no=notification.out_trade_no
    ).first()
    if payment is None:
        logger.warning(
            "%s notification for unknown out_trade_no %s",
            provider,
            notification.out_trade_no[:64],
        )
        _reject_count(provider, "unknown_trade")
        return Received(impl.failure_response("malformed", "unknown out_trade_no"))

    inbox, created = PaymentNotification.objects.get_or_create(
        provider=provider,
        event_id=notification.event_id[:128],
        defaults=_inbox_fields(notification, payment, body),
    )
    if not created:
        metrics.incr(f"payment_notification_duplicate:{provider}")
    return Received(impl.success_response(), inbox.pk if created else None)


def _inbox_fields(notification: Notification, payment: Payment, body: bytes) -> dict:
    return {
        "kind": notification.kind,
        "event_status": notification.status,
        "out_trade_no": notification.out_trade_no,
        "amount": notification.amount,
        "refund_amount": notification.refund_amount,
        "out_refund_no": notification.out_refund_no[:64],
        "trade_no": notification.trade_no[:64],
        "payment": payment,
        "payload": notification.payload,
        "raw_body": body.decode("utf-8", errors="replace"),
    }


# --------------------------------------------------------------------------- apply


def _trade(provider: str, out_trade_no: str):
    return Payment.objects.filter(provider=provider, out_trade_no=out_trade_no)


_inbox_locked = CompiledRead(
    lambda pk: PaymentNotification.objects.select_for_update().filter(pk=pk)
)
_order_of_trade_locked = CompiledRead(
    lambda provider, out_trade_no: (
        Order.objects.select_for_update()
        .filter(pk__in=Subquery(_trade(provider, out_trade_no).values("order_id")[:1]))
        .order_by("pk")[:1]
    )
)
_payment_locked = CompiledRead(
    lambda provider, out_trade_no: (
        _trade(provider, out_trade_no).select_for_update().order_by("pk")[:1]
    )
)


def notification_apply(*, inbox_id: int) -> NotificationOutcome:
    """Apply one stored notification to its payment (PAYMENTS.md steps 3–4) and say
    what happened; the caller acts on the outcome (marks the order paid, ...) and then
    finishes the row with ``notification_finish``.

    Locks the inbox row, the order and the payment; re-checks the amount; moves the
    payment forward only. A row already applied or rejected is ``DONE_BEFORE``, so the
    task may run any number of times. Precondition: inside ``transaction.atomic()``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notification_apply runs inside the caller's transaction")
    # Locks in the one order every payment path uses: inbox, order, payment. The
    # order is locked with a subquery naming it by the inbox row's trade, so finding
    # and locking it is one statement; the payment is then locked and read fresh.
    # Each statement is compiled once per connection (storefront.db.CompiledRead).
    found = _inbox_locked(pk=inbox_id)
    if not found:
        raise PaymentNotification.DoesNotExist(f"no payment notification {inbox_id}")
    inbox = found[0]
    if inbox.status != InboxStatus.RECEIVED:
        return NotificationOutcome(inbox, Applied.DONE_BEFORE)
    inbox.attempts += 1
    order = next(
        iter(_order_of_trade_locked(provider=inbox.provider, out_trade_no=inbox.out_trade_no)),
        None,
    )
    if order is None:
        # Not an order's payment: an invoice's (its receivable is locked instead), or
        # unknown. Asked only here, so an order's payment costs no extra statement.
        trade = _trade(inbox.provider, inbox.out_trade_no)
        receivable_id = trade.values_list("receivable_id", flat=True).first()
        if receivable_id is not None:
            return _apply_receivable_event(inbox, trade, receivable_id)
    payment = None
    if order is not None:
        payment = next(
            iter(_payment_locked(provider=inbox.provider, out_trade_no=inbox.out_trade_no)), None
        )
    if payment is None or payment.order_id != order.pk:
        return NotificationOutcome(inbox, Applied.REJECTED, "unknown out_trade_no")
    inbox.payment = payment
    if inbox.amount != payment.amount:
        metrics.incr("payment_amount_mismatch")
        logger.error(
            "%s %s: notified amount %s, payment amount %s; rejected",
            inbox.provider,
            payment.out_trade_no,
            inbox.amount,
            payment.amount,
        )
        return NotificationOutcome(
            inbox,
            Applied.REJECTED,
            f"amount {inbox.amount} does not match the payment's {payment.amount}",
            order=order,
            payment=payment,
        )
    if inbox.kind == "refund":
        return _apply_refund_event(inbox, order, payment)
    return _apply_payment_event(inbox, order, payment)


def _apply_receivable_event(
    inbox: PaymentNotification, trade, receivable_id: int
) -> NotificationOutcome:
    """An invoice's payment: locks the receivable, then the payment (the order's place
    in the lock order); moves the payment forward only, so a replayed or duplicated
    success is ``NO_CHANGE`` and the invoice is paid once (``SETTLED``)."""
    receivable = Receivable.objects.select_for_update().get(pk=receivable_id)
    payment = trade.select_for_update().get()
    inbox.payment = payment
    rows = {"payment": payment, "receivable": receivable}
    if inbox.amount != payment.amount:
        metrics.incr("payment_amount_mismatch")
        return NotificationOutcome(
            inbox,
            Applied.REJECTED,
            f"amount {inbox.amount} does not match the payment's {payment.amount}",
            **rows,
        )
    if inbox.kind == "refund":
        # Invoice payments are not refunded through the order's flows; staff look.
        return NotificationOutcome(
            inbox, Applied.REJECTED, "refund of an invoice payment: staff must look", **rows
        )
    event = inbox.event_status
    if event in ("succeeded", "finished"):
        extra = []
        if inbox.trade_no and not payment.provider_trade_no:
            payment.provider_trade_no = inbox.trade_no
            extra.append("provider_trade_no")
        if not payment_advance(payment, PaymentStatus.SUCCEEDED, extra_fields=extra):
            return NotificationOutcome(
                inbox, Applied.NO_CHANGE, f"no change: payment already {payment.status}", **rows
            )
        transaction.on_commit(
            partial(metrics.incr, f"payment_succeeded:{payment.provider}"), robust=True
        )
        return NotificationOutcome(inbox, Applied.SETTLED, "invoice paid", **rows)
    if event == "closed" and payment_advance(payment, PaymentStatus.CLOSED):
        return NotificationOutcome(inbox, Applied.NO_CHANGE, "payment closed unpaid", **rows)
    return NotificationOutcome(
        inbox, Applied.NO_CHANGE, f"no change: provider says {event}", **rows
    )


def notification_finish(outcome: NotificationOutcome, reason: str = "") -> PaymentNotification:
    """Write the row's final status (rejected, or applied) with the reason staff see."""
    inbox = outcome.inbox
    if outcome.outcome == Applied.DONE_BEFORE:
        return inbox
    status = InboxStatus.REJECTED if outcome.outcome == Applied.REJECTED else InboxStatus.APPLIED
    inbox.status = status
    inbox.reason = (reason or outcome.reason)[:255]
    inbox.applied_at = timezone.now()
    save_fields(inbox, ["status", "reason", "applied_at", "attempts", "payment"])
    if status == InboxStatus.REJECTED:
        metrics.incr(f"payment_notification_rejected:{inbox.provider}:apply")
    return inbox


def _apply_payment_event(
    inbox: PaymentNotification, order: Order, payment: Payment
) -> NotificationOutcome:
    event = inbox.event_status
    rows = {"order": order, "payment": payment}
    if event in ("succeeded", "finished"):
        # The facts the provider adds are written with the status, in one UPDATE.
        extra = []
        if event == "finished" and not payment.finished:
            payment.finished = True
            extra.append("finished")
        if inbox.trade_no and not payment.provider_trade_no:
            payment.provider_trade_no = inbox.trade_no
            extra.append("provider_trade_no")
        if not payment_advance(payment, PaymentStatus.SUCCEEDED, extra_fields=extra):
            if extra:
                payment.save(update_fields=[*extra, "updated"])
            return NotificationOutcome(
                inbox, Applied.NO_CHANGE, f"no change: payment already {payment.status}", **rows
            )
        # Counted once the payment is committed (and off the row locks' time).
        transaction.on_commit(
            partial(metrics.incr, f"payment_succeeded:{payment.provider}"), robust=True
        )
        if order.status == OrderStatus.PENDING_PAYMENT:
            return NotificationOutcome(inbox, Applied.PAID, "order paid", **rows)
        # The money arrived for an order that no longer waits for it: expired and
        # cancelled, or already paid by another payment. It is given back, never kept.
        reason = (
            "paid after the order was cancelled"
            if order.status == OrderStatus.CANCELLED
            else f"second payment for an order already {order.status}"
        )
        metrics.incr("payment_late_refunded")
        refund, created = refund_create(payment=payment, reason=reason)
        return NotificationOutcome(
            inbox,
            Applied.LATE_PAYMENT,
            f"refund started: {reason}",
            refunds_to_submit=[refund] if created else [],
            **rows,
        )
    if event == "closed":
        if payment_advance(payment, PaymentStatus.CLOSED):
            return NotificationOutcome(inbox, Applied.NO_CHANGE, "payment closed unpaid", **rows)
        return NotificationOutcome(
            inbox, Applied.NO_CHANGE, f"no change: payment already {payment.status}", **rows
        )
    return NotificationOutcome(
        inbox, Applied.NO_CHANGE, f"no change: provider says {event}", **rows
    )


def _apply_refund_event(
    inbox: PaymentNotification, order: Order, payment: Payment
) -> NotificationOutcome:
    rows = {"order": order, "payment": payment}
    refunds = Refund.objects.select_for_update().filter(payment=payment).order_by("-id")
    refund = (
        refunds.filter(out_refund_no=inbox.out_refund_no).first() if inbox.out_refund_no else None
    ) or refunds.exclude(status=RefundStatus.FAILED).filter(key=FULL).first()
    if inbox.event_status == "refunded":
        refunded = inbox.refund_amount if inbox.refund_amount is not None else inbox.amount
        if refund is None and refunded != payment.amount:
            return NotificationOutcome(
                inbox,
                Applied.REJECTED,
                f"partial refund of {refunded} (payment {payment.amount}) needs staff",
                **rows,
            )
        if refund is not None and refunded not in _refund_amounts_reported(refund, refunds):
            return NotificationOutcome(
                inbox,
                Applied.REJECTED,
                f"refund {refund.out_refund_no} of {refund.amount} reported as {refunded}: "
                "needs staff",
                **rows,
            )
        ours = refund is not None
        if refund is not None and refund.status == RefundStatus.FAILED:
            # The provider says a refund we had recorded as failed went through after all.
            # A retry of it may be live: only one refund of a payment may be, and the
            # money must not go back twice, so the retry gives way (the provider refuses
            # it, the payment being refunded in full already).
            live = (
                refunds.exclude(pk=refund.pk)
                .exclude(status=RefundStatus.FAILED)
                .filter(key=refund.key)
                .first()
            )
            if live is not None and live.status == RefundStatus.SUCCEEDED:
                metrics.incr("refund_succeeded_twice")
                return NotificationOutcome(
                    inbox,
                    Applied.REJECTED,
                    f"{refund.out_refund_no} reported refunded, but {live.out_refund_no} "
                    "succeeded already: the buyer may have been paid back twice",
                    **rows,
                )
            if live is not None:
                refund_failed(live, f"superseded: {refund.out_refund_no} succeeded")
        if refund is None:
            # Refunded at the provider's merchant console: record it like our own.
            refund = Refund.objects.create(
                payment=payment,
                out_refund_no=inbox.out_refund_no or f"{payment.out_trade_no}-EXT",
                amount=payment.amount,
                reason="refunded at the provider",
            )
        if refund.status == RefundStatus.SUCCEEDED:
            return NotificationOutcome(
                inbox, Applied.NO_CHANGE, "no change: refund already recorded", **rows
            )
        done = refund_succeeded(refund=refund, payment=payment, order=order, ours=ours)
        return NotificationOutcome(
            inbox, Applied.REFUNDED, "refund succeeded", refund_done=done, **rows
        )
    if inbox.event_status == "refund_failed":
        if refund is not None and refund.status == RefundStatus.PENDING:
            refund_failed(refund, f"provider says {inbox.payload.get('event_type', 'failed')}")
            return NotificationOutcome(inbox, Applied.NO_CHANGE, "refund failed", **rows)
        return NotificationOutcome(inbox, Applied.NO_CHANGE, "no change: no pending refund", **rows)
    return NotificationOutcome(
        inbox, Applied.NO_CHANGE, f"no change: refund event {inbox.event_status}", **rows
    )


def _refund_amounts_reported(refund: Refund, refunds) -> set:
    """What a provider may report for `refund`: its own amount (WeChat's
    ``amount.refund``), or the payment's refunds so far including it (Alipay's
    ``refund_fee`` is cumulative)."""
    before = refunds.filter(status=RefundStatus.SUCCEEDED).exclude(pk=refund.pk)
    done = sum((r.amount for r in before), Decimal("0"))
    return {refund.amount, done + refund.amount}


def notification_note_failure(*, inbox_id: int, error: BaseException) -> None:
    """Keep the last error of a row that could not be applied, for staff (its own
    statement: the apply's transaction rolled back)."""
    text = f"apply failed: {type(error).__name__}: {error}"[:255]
    PaymentNotification.objects.filter(pk=inbox_id, status=InboxStatus.RECEIVED).update(reason=text)


# --------------------------------------------------------------------------- the sweep


def inbox_stale_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        PaymentNotification.objects.filter(status=InboxStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def inbox_sweep(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    """The rows stored but not applied after a while, to be enqueued again; each counts
    as an attempt. A row that has had ``PAYMENTS_INBOX_MAX_ATTEMPTS`` is rejected
    instead, with its last error as the reason (for staff), never retried without end."""
    max_attempts = settings.PAYMENTS_INBOX_MAX_ATTEMPTS
    ids = inbox_stale_ids(older_than_seconds=older_than_seconds, limit=limit)
    rows = PaymentNotification.objects.select_for_update(skip_locked=True).filter(
        pk__in=ids, status=InboxStatus.RECEIVED
    )
    retry, exhausted = [], []
    for row in rows.order_by("pk"):
        (exhausted if row.attempts >= max_attempts else retry).append(row)
    for row in exhausted:
        row.status = InboxStatus.REJECTED
        row.reason = f"not applied after {row.attempts} attempts; {row.reason}"[:255]
        row.applied_at = timezone.now()
        row.save(update_fields=["status", "reason", "applied_at"])
        logger.error("inbox %s: gave up after %d attempts", row.pk, row.attempts)
        metrics.incr(f"payment_notification_rejected:{row.provider}:gave_up")
    PaymentNotification.objects.filter(pk__in=[r.pk for r in retry]).update(
        attempts=F("attempts") + 1
    )
    return [r.pk for r in retry]
