"""Every payment write: starting a payment, receiving and applying provider
notifications, refunds, the cooperative ledger, payouts and reconciliation.

Lock order, everywhere: inbox row, then order, then payment, then refund. (orders'
``order_cancel`` locks the order and then calls ``order_refund_start``, which locks
payments: the same order, so the two never deadlock.) Network calls to a provider are
never made while a row lock is held.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Subquery, Sum
from django.utils import timezone

from catalog.models import Cooperative
from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping
from orders.services import order_mark_paid, order_mark_refunded
from storefront import metrics
from storefront.errors import InvalidState
from storefront.queue import send_on_commit

from .constants import (
    PAYMENT_RANK,
    InboxStatus,
    LedgerAccount,
    LedgerKind,
    PaymentStatus,
    PayoutStatus,
    RefundStatus,
)
from .exceptions import (
    PaymentInvalidState,
    PaymentProviderError,
    PaymentProviderUnavailable,
    PayoutInsufficientBalance,
    RefundInvalidState,
)
from .models import LedgerEntry, Payment, PaymentNotification, Payout, Refund
from .providers import (
    PROVIDERS,
    Notification,
    NotificationError,
    PaymentRequest,
    Provider,
    ProviderError,
    ProviderUnavailable,
    QueryResult,
    RefundResult,
    SandboxProvider,
    callback_url,
    get_provider,
)
from .providers.base import HttpAnswer

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


# --------------------------------------------------------------------------- providers


def provider_get(name: str) -> Provider:
    """The configured provider `name`; the sandbox answers query/refund from its wallet.

    Raises `ProviderUnavailable`.
    """
    if name == "sandbox":
        from . import wallet

        return SandboxProvider.from_settings(
            settings,
            query_lookup=wallet.sandbox_wallet_query,
            refund_handler=wallet.sandbox_wallet_refund,
        )
    return get_provider(name)


# --------------------------------------------------------------------------- start


def _new_out_trade_no(order: Order) -> str:
    # The order number keeps it readable for staff; the random tail makes it unique per
    # attempt. At most 20 + 1 + 8 = 29 characters of [A-Za-z0-9-].
    base = re.sub(r"[^A-Za-z0-9]", "", order.number)[:20] or "FG"
    return f"{base}-{secrets.token_hex(4)}"


def payment_start(
    *,
    order: Order,
    provider: str,
    client_ip: str | None = None,
    return_url: str | None = None,
    payer_openid: str | None = None,
) -> Payment:
    """Start paying `order` with `provider`; returns the payment with `client_payload`.

    Raises `PaymentProviderUnavailable` (400 `provider_unavailable`) for an unknown or
    unconfigured provider, `PaymentInvalidState` (409 `invalid_state`) unless the order
    is `pending_payment` and not expired, `PaymentProviderError` (502) when the
    provider does not answer. A pending payment of the same provider and amount is
    reused, so pressing "pay" twice never opens two trades that could both be paid.
    """
    if provider not in PROVIDERS:
        raise PaymentProviderUnavailable(details={"provider": provider})
    try:
        impl = provider_get(provider)
    except ProviderUnavailable as exc:
        raise PaymentProviderUnavailable(exc.message, details={"provider": provider}) from exc

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        details = {"status": locked.status, "number": locked.number}
        if locked.status != OrderStatus.PENDING_PAYMENT:
            raise PaymentInvalidState(details=details)
        if locked.expires_at <= timezone.now():
            raise PaymentInvalidState("The time to pay this order has run out.", details=details)
        payment = (
            Payment.objects.filter(
                order=locked, provider=provider, status=PaymentStatus.PENDING, amount=locked.total
            )
            .order_by("-created", "-id")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(
                order=locked,
                provider=provider,
                out_trade_no=_new_out_trade_no(locked),
                amount=locked.total,
            )

    request = PaymentRequest(
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        subject=f"Farmgate {locked.number}",
        notify_url=callback_url(settings.PUBLIC_BASE_URL, provider),
        return_url=return_url,
        client_ip=client_ip,
        expires_at=locked.expires_at,
        payer_openid=payer_openid,
    )
    try:
        result = impl.start(request)
    except ProviderError as exc:
        logger.warning("payment start %s failed: %s", payment.out_trade_no, exc.message)
        metrics.incr(f"payment_start_failed:{provider}")
        raise PaymentProviderError(details={"provider": provider}) from exc
    Payment.objects.filter(pk=payment.pk).update(
        client_payload=result.client_payload, updated=timezone.now()
    )
    payment.client_payload = result.client_payload
    return payment


# --------------------------------------------------------------------------- receive


def _reject_count(provider: str, code: str) -> None:
    metrics.incr("payment_notification_rejected")
    metrics.incr(f"payment_notification_rejected:{provider}:{code}")


def payment_notification_receive(
    *, provider: str, headers: Mapping[str, str], body: bytes, content_type: str = ""
) -> HttpAnswer:
    """Verify a provider's notification, store it in the inbox, enqueue it on commit.

    Returns the (status, content type, body) the provider expects. A notification that
    fails verification, or names a trade that is not ours, changes nothing: it is
    logged and counted and answered with the provider's failure answer. A duplicate
    (same provider event) is answered with success and changes nothing.
    """
    impl = provider_get(provider)  # ProviderUnavailable: the view answers 404
    try:
        notification = impl.parse_notification(
            headers=headers, body=body, content_type=content_type
        )
    except NotificationError as exc:
        logger.warning("%s notification refused: %s (%s)", provider, exc.code, exc.message)
        _reject_count(provider, exc.code)
        return impl.failure_response(exc.code, exc.message)

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
        return impl.failure_response("malformed", "unknown out_trade_no")

    with transaction.atomic():
        inbox, created = PaymentNotification.objects.get_or_create(
            provider=provider,
            event_id=notification.event_id[:128],
            defaults=_inbox_fields(notification, payment, body),
        )
        if created:
            from .tasks import payment_notification_apply_task

            send_on_commit(payment_notification_apply_task, inbox.pk)
    if not created:
        metrics.incr(f"payment_notification_duplicate:{provider}")
    return impl.success_response()


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


def payment_notification_apply(*, inbox_id: int) -> PaymentNotification:
    """Apply one stored notification, exactly once (PAYMENTS.md steps 3–4).

    Locks the inbox row, the order and the payment; re-checks the amount; moves the
    payment forward only. A row already applied or rejected is left alone, so the task
    may run any number of times.
    """
    with transaction.atomic():
        # Locks in the one order every payment path uses: inbox, order, payment. The
        # order is locked with a subquery naming it by the inbox row's trade, so finding
        # and locking it is one statement; the payment is then locked and read fresh.
        inbox = PaymentNotification.objects.select_for_update().get(pk=inbox_id)
        if inbox.status != InboxStatus.RECEIVED:
            return inbox
        inbox.attempts += 1
        trade = Payment.objects.filter(provider=inbox.provider, out_trade_no=inbox.out_trade_no)
        order = (
            Order.objects.select_for_update()
            .filter(pk__in=Subquery(trade.values("order_id")[:1]))
            .first()
        )
        payment = trade.select_for_update().first() if order is not None else None
        if payment is None or payment.order_id != order.pk:
            return _inbox_finish(inbox, InboxStatus.REJECTED, "unknown out_trade_no")
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
            return _inbox_finish(
                inbox,
                InboxStatus.REJECTED,
                f"amount {inbox.amount} does not match the payment's {payment.amount}",
            )
        if inbox.kind == "refund":
            status, note = _apply_refund_event(inbox, order, payment)
        else:
            status, note = _apply_payment_event(inbox, order, payment)
        return _inbox_finish(inbox, status, note)


def _inbox_finish(inbox: PaymentNotification, status: str, reason: str) -> PaymentNotification:
    inbox.status = status
    inbox.reason = reason[:255]
    inbox.applied_at = timezone.now()
    inbox.save(update_fields=["status", "reason", "applied_at", "attempts", "payment"])
    if status == InboxStatus.REJECTED:
        metrics.incr(f"payment_notification_rejected:{inbox.provider}:apply")
    return inbox


def _advance(payment: Payment, to: str, *, extra_fields: Sequence[str] = ()) -> bool:
    """Move `payment` forward to `to` (saving `extra_fields` with it); False (and
    nothing written) if that is not forward."""
    if PAYMENT_RANK[to] <= PAYMENT_RANK[payment.status]:
        return False
    payment.status = to
    fields = ["status", "updated", *extra_fields]
    if to == PaymentStatus.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        fields.append("succeeded_at")
    payment.save(update_fields=fields)
    return True


def _apply_payment_event(
    inbox: PaymentNotification, order: Order, payment: Payment
) -> tuple[str, str]:
    event = inbox.event_status
    if event in ("succeeded", "finished"):
        # The facts the provider adds are written with the status, in one UPDATE.
        extra = []
        if event == "finished" and not payment.finished:
            payment.finished = True
            extra.append("finished")
        if inbox.trade_no and not payment.provider_trade_no:
            payment.provider_trade_no = inbox.trade_no
            extra.append("provider_trade_no")
        if not _advance(payment, PaymentStatus.SUCCEEDED, extra_fields=extra):
            if extra:
                payment.save(update_fields=[*extra, "updated"])
            return InboxStatus.APPLIED, f"no change: payment already {payment.status}"
        # Counted once the payment is committed (and off the row locks' time).
        transaction.on_commit(
            partial(metrics.incr, f"payment_succeeded:{payment.provider}"), robust=True
        )
        if order.status == OrderStatus.PENDING_PAYMENT:
            # The order row is locked above, in this transaction: no second lock.
            order_mark_paid(
                order=order, note=f"{payment.provider} {payment.out_trade_no}", locked=True
            )
            ledger_record_sale(order=order, payment=payment)
            _start_fulfilment(order)
            return InboxStatus.APPLIED, "order paid"
        # The money arrived for an order that no longer waits for it: expired and
        # cancelled, or already paid by another payment. It is given back, never kept.
        reason = (
            "paid after the order was cancelled"
            if order.status == OrderStatus.CANCELLED
            else f"second payment for an order already {order.status}"
        )
        metrics.incr("payment_late_refunded")
        _refund_create(payment=payment, reason=reason)
        return InboxStatus.APPLIED, f"refund started: {reason}"
    if event == "closed":
        if _advance(payment, PaymentStatus.CLOSED):
            return InboxStatus.APPLIED, "payment closed unpaid"
        return InboxStatus.APPLIED, f"no change: payment already {payment.status}"
    return InboxStatus.APPLIED, f"no change: provider says {event}"


def _start_fulfilment(order: Order) -> None:
    try:
        from fulfilment.tasks import shipments_create_task
    except ImportError:
        # Paying must never fail on a missing downstream step; staff see the counter.
        logger.error("fulfilment.tasks.shipments_create_task missing; order %s", order.number)
        metrics.incr("fulfilment_start_missing")
        return
    send_on_commit(shipments_create_task, order.pk)


def _apply_refund_event(
    inbox: PaymentNotification, order: Order, payment: Payment
) -> tuple[str, str]:
    refunds = Refund.objects.select_for_update().filter(payment=payment).order_by("-id")
    refund = (
        refunds.filter(out_refund_no=inbox.out_refund_no).first() if inbox.out_refund_no else None
    ) or refunds.exclude(status=RefundStatus.FAILED).first()
    if inbox.event_status == "refunded":
        refunded = inbox.refund_amount if inbox.refund_amount is not None else inbox.amount
        if refunded != payment.amount:
            return InboxStatus.REJECTED, (
                f"partial refund of {refunded} (payment {payment.amount}) needs staff"
            )
        if refund is None:
            # Refunded at the provider's merchant console: record it like our own.
            refund = Refund.objects.create(
                payment=payment,
                out_refund_no=inbox.out_refund_no or f"{payment.out_trade_no}-EXT",
                amount=payment.amount,
                reason="refunded at the provider",
            )
        if refund.status == RefundStatus.SUCCEEDED:
            return InboxStatus.APPLIED, "no change: refund already recorded"
        _refund_succeeded(refund=refund, payment=payment, order=order)
        return InboxStatus.APPLIED, "refund succeeded"
    if inbox.event_status == "refund_failed":
        if refund is not None and refund.status == RefundStatus.PENDING:
            _refund_failed(refund, f"provider says {inbox.payload.get('event_type', 'failed')}")
            return InboxStatus.APPLIED, "refund failed"
        return InboxStatus.APPLIED, "no change: no pending refund"
    return InboxStatus.APPLIED, f"no change: refund event {inbox.event_status}"


# --------------------------------------------------------------------------- refunds


def order_refund_start(*, order: Order, reason: str) -> Refund | None:
    """Give back the money of `order`'s succeeded payments; returns the first refund,
    or None when nothing was paid.

    Called by ``orders.services.order_cancel`` inside its transaction after moving the
    order to `refund_pending`, and here for late payments. The provider call happens
    on commit, in `refund_submit_task`. When it completes, an order that is
    `refund_pending` moves to `refunded` and the ledger is reversed.
    """
    with transaction.atomic():
        first: Refund | None = None
        payments = Payment.objects.select_for_update().filter(
            order_id=order.pk, status=PaymentStatus.SUCCEEDED
        )
        for payment in payments.order_by("succeeded_at", "id"):
            refund = _refund_create(payment=payment, reason=reason)
            first = first or refund
        if first is None:
            first = (
                Refund.objects.filter(payment__order_id=order.pk)
                .exclude(status=RefundStatus.FAILED)
                .order_by("id")
                .first()
            )
        return first


def payment_refund_start(*, payment: Payment, reason: str) -> Refund:
    """Staff refund of one payment that does not (or no longer) pay for live goods:
    a duplicate or late payment, or a retry after a failed refund. A payment that
    pays for an order still being fulfilled is refunded by cancelling the order."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise RefundInvalidState(details={"status": locked.status})
        pays_live_order = (
            order.status
            not in (
                OrderStatus.CANCELLED,
                OrderStatus.REFUND_PENDING,
            )
            and LedgerEntry.objects.filter(payment=locked, kind=LedgerKind.SALE).exists()
        )
        if pays_live_order:
            raise RefundInvalidState(
                "This payment pays for an order in progress: cancel the order instead.",
                details={"order_status": order.status},
            )
        return _refund_create(payment=locked, reason=reason)


def _refund_create(*, payment: Payment, reason: str) -> Refund:
    """The live refund of `payment` (created, and submitted on commit, if none).
    Precondition: the payment row is locked."""
    existing = payment.refunds.exclude(status=RefundStatus.FAILED).order_by("id").first()
    if existing is not None:
        return existing
    attempt = payment.refunds.count() + 1
    refund = Refund.objects.create(
        payment=payment,
        out_refund_no=f"{payment.out_trade_no}-R{attempt}",
        amount=payment.amount,
        reason=reason[:255],
    )
    from .tasks import refund_submit_task

    send_on_commit(refund_submit_task, refund.pk)
    return refund


def refund_submit(*, refund_id: int) -> Refund:
    """Ask the provider to refund; idempotent at the provider on `out_refund_no`.

    Raises `ProviderError` / `ProviderUnavailable` when the outcome is unknown (the
    task retries with backoff; the reconcile sweep repeats it later).
    """
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    Refund.objects.filter(pk=refund.pk).update(attempts=refund.attempts + 1)
    result = provider_get(payment.provider).refund(
        out_trade_no=payment.out_trade_no,
        out_refund_no=refund.out_refund_no,
        amount=refund.amount,
        total=payment.amount,
        reason=refund.reason,
    )
    return refund_apply_result(refund_id=refund.pk, result=result)


def refund_apply_result(*, refund_id: int, result: RefundResult) -> Refund:
    """Record the provider's answer to a refund request."""
    with transaction.atomic():
        refund = Refund.objects.get(pk=refund_id)
        order = Order.objects.select_for_update().get(pk=refund.payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != RefundStatus.PENDING:
            return refund
        refund.provider_response = _jsonable(result.raw)
        if result.refund_id:
            refund.provider_refund_id = result.refund_id[:64]
        refund.save(update_fields=["provider_response", "provider_refund_id", "updated"])
        if result.status == "succeeded":
            _refund_succeeded(refund=refund, payment=payment, order=order)
        elif result.status == "failed":
            _refund_failed(refund, str(result.raw)[:255] or "refused by the provider")
        return refund


def _refund_succeeded(*, refund: Refund, payment: Payment, order: Order) -> None:
    refund.status = RefundStatus.SUCCEEDED
    refund.completed_at = timezone.now()
    refund.save(update_fields=["status", "completed_at", "updated"])
    _advance(payment, PaymentStatus.REFUNDED)
    ledger_record_refund(order=order, refund=refund)
    metrics.incr(f"refund_succeeded:{payment.provider}")
    if order.status == OrderStatus.REFUND_PENDING:
        order_mark_refunded(order=order, note=f"refund {refund.out_refund_no}")


def _refund_failed(refund: Refund, reason: str) -> None:
    refund.status = RefundStatus.FAILED
    refund.failure_reason = reason[:255]
    refund.save(update_fields=["status", "failure_reason", "updated"])
    metrics.incr("refund_failed")
    logger.error("refund %s failed: %s", refund.out_refund_no, reason)


def _jsonable(raw: Mapping) -> dict:
    import json

    return json.loads(json.dumps(dict(raw), default=str))


# --------------------------------------------------------------------------- ledger


def _fee_percent(*, poverty_relief: bool) -> Decimal:
    if poverty_relief:
        return Decimal(str(getattr(settings, "PLATFORM_FEE_PERCENT_POVERTY_RELIEF", "0")))
    return Decimal(str(settings.PLATFORM_FEE_PERCENT))


def ledger_record_sale(*, order: Order, payment: Payment) -> list[LedgerEntry]:
    """Per cooperative: a sale (its lines plus its shipping) and the platform fee, in the
    pending account. Precondition: the order row is locked. Once per order (a unique
    constraint backs this up)."""
    # Each cooperative's poverty-relief flag comes with its sums (no third query).
    goods: dict[int, Decimal] = defaultdict(Decimal)
    relief: dict[int, bool] = {}
    for row in (
        OrderLine.objects.filter(order=order)
        .values("cooperative", "cooperative__county__poverty_relief")
        .annotate(s=Sum("line_total"))
        .order_by()
    ):
        goods[row["cooperative"]] += row["s"]
        relief[row["cooperative"]] = row["cooperative__county__poverty_relief"]
    shipping: dict[int, Decimal] = {}
    for coop_id, fee, poverty_relief in OrderShipping.objects.filter(order=order).values_list(
        "cooperative", "fee", "cooperative__county__poverty_relief"
    ):
        shipping[coop_id] = fee
        relief[coop_id] = poverty_relief
    coop_ids = sorted(set(goods) | set(shipping))
    entries: list[LedgerEntry] = []
    for coop_id in coop_ids:
        sale = goods.get(coop_id, Decimal("0")) + shipping.get(coop_id, Decimal("0"))
        common = {"cooperative_id": coop_id, "order": order, "payment": payment}
        entries.append(
            LedgerEntry(
                **common,
                account=LedgerAccount.PENDING,
                kind=LedgerKind.SALE,
                amount=sale,
                memo=f"order {order.number}",
            )
        )
        fee = (sale * _fee_percent(poverty_relief=relief[coop_id]) / HUNDRED).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        if fee:
            entries.append(
                LedgerEntry(
                    **common,
                    account=LedgerAccount.PENDING,
                    kind=LedgerKind.PLATFORM_FEE,
                    amount=-fee,
                    memo=f"platform fee on order {order.number}",
                )
            )
    total = sum((e.amount for e in entries if e.kind == LedgerKind.SALE), Decimal("0"))
    if total != payment.amount:
        # The order's lines and shipping must add up to what was paid; staff must look.
        logger.error("ledger: order %s sales %s != paid %s", order.number, total, payment.amount)
        metrics.incr("ledger_mismatch")
    LedgerEntry.objects.bulk_create(entries)
    return entries


def ledger_record_refund(*, order: Order, refund: Refund) -> list[LedgerEntry]:
    """Reverse what the order left in each cooperative's accounts (sale less fee, in
    whichever account it sits now). Nothing for a payment that never paid the order."""
    if not LedgerEntry.objects.filter(payment_id=refund.payment_id, kind=LedgerKind.SALE).exists():
        return []
    nets = (
        LedgerEntry.objects.filter(order=order)
        .values("cooperative", "account")
        .annotate(net=Sum("amount"))
        .order_by("cooperative", "account")
    )
    entries = [
        LedgerEntry(
            cooperative_id=row["cooperative"],
            account=row["account"],
            kind=LedgerKind.REFUND_REVERSAL,
            amount=-row["net"],
            order=order,
            payment_id=refund.payment_id,
            refund=refund,
            memo=f"refund {refund.out_refund_no}",
        )
        for row in nets
        if row["net"]
    ]
    LedgerEntry.objects.bulk_create(entries)
    return entries


def ledger_release_for_order(*, order: Order) -> int:
    """Make a completed order's money available for payout; returns the number of
    ledger entries written (0 when already released: idempotent)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.COMPLETED:
            raise InvalidState(
                "Only a completed order's money can be released.",
                details={"status": locked.status, "number": locked.number},
            )
        released = set(
            LedgerEntry.objects.filter(order=locked, kind=LedgerKind.RELEASE).values_list(
                "cooperative", flat=True
            )
        )
        nets = (
            LedgerEntry.objects.filter(order=locked, account=LedgerAccount.PENDING)
            .values("cooperative")
            .annotate(net=Sum("amount"))
            .order_by("cooperative")
        )
        entries: list[LedgerEntry] = []
        for row in nets:
            if row["cooperative"] in released or not row["net"]:
                continue
            for account, amount in (
                (LedgerAccount.PENDING, -row["net"]),
                (LedgerAccount.AVAILABLE, row["net"]),
            ):
                entries.append(
                    LedgerEntry(
                        cooperative_id=row["cooperative"],
                        account=account,
                        kind=LedgerKind.RELEASE,
                        amount=amount,
                        order=locked,
                        memo=f"order {locked.number} completed",
                    )
                )
        LedgerEntry.objects.bulk_create(entries)
        return len(entries)


# --------------------------------------------------------------------------- payouts


def payout_create(*, cooperative: Cooperative, created_by, amount: Decimal | None = None) -> Payout:
    """A payout of `amount` (default: everything available) from the cooperative's
    available balance. Locks the cooperative row, so two staff clicking at once can
    never pay out more than there is. Raises `PayoutInsufficientBalance` (409)."""
    from .selectors import cooperative_balance

    with transaction.atomic():
        locked = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
        available = cooperative_balance(cooperative=locked)["available"]
        amount = available if amount is None else amount
        if amount <= 0 or amount > available:
            raise PayoutInsufficientBalance(
                details={"available": f"{available:.2f}", "amount": f"{amount:.2f}"}
            )
        payout = Payout.objects.create(
            cooperative=locked,
            amount=amount,
            reference=f"PO{timezone.now():%Y%m%d}{secrets.token_hex(5).upper()}",
            created_by=created_by,
        )
        LedgerEntry.objects.create(
            cooperative=locked,
            account=LedgerAccount.AVAILABLE,
            kind=LedgerKind.PAYOUT,
            amount=-amount,
            payout=payout,
            memo=f"payout {payout.reference}",
        )
        return payout


PAYOUT_CSV_HEADER = [
    "reference",
    "cooperative",
    "cooperative_slug",
    "amount",
    "currency",
    "created",
]


def payouts_export(*, payout_ids: list[int]) -> str:
    """CSV of the payouts for the bank transfer; marks them exported."""
    with transaction.atomic():
        payouts = list(
            Payout.objects.select_for_update()
            .filter(pk__in=payout_ids)
            .select_related("cooperative")
            .order_by("id")
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(PAYOUT_CSV_HEADER)
        for p in payouts:
            writer.writerow(
                [
                    p.reference,
                    _csv_safe(p.cooperative.name),
                    p.cooperative.slug,
                    f"{p.amount:.2f}",
                    "CNY",
                    p.created.isoformat(),
                ]
            )
        now = timezone.now()
        Payout.objects.filter(pk__in=[p.pk for p in payouts], exported_at__isnull=True).update(
            status=PayoutStatus.EXPORTED, exported_at=now
        )
        return out.getvalue()


def _csv_safe(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --------------------------------------------------------------------------- reconcile


def payment_reconcile(*, payment_id: int) -> PaymentNotification | None:
    """Ask the provider about a pending payment and apply what it says, through the
    inbox like a notification (so the same checks run and it is applied once)."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != PaymentStatus.PENDING:
        return None
    result: QueryResult = provider_get(payment.provider).query(out_trade_no=payment.out_trade_no)
    Payment.objects.filter(pk=payment.pk).update(last_queried_at=timezone.now())
    if result.status not in ("succeeded", "finished", "closed"):
        return None
    if result.amount is None and result.status != "closed":
        return None
    with transaction.atomic():
        inbox, _created = PaymentNotification.objects.get_or_create(
            provider=payment.provider,
            event_id=f"query:{result.status}:{payment.out_trade_no}",
            defaults={
                "kind": "payment",
                "event_status": result.status,
                "out_trade_no": payment.out_trade_no,
                "amount": result.amount if result.amount is not None else payment.amount,
                "trade_no": result.trade_no[:64],
                "payment": payment,
                "payload": _jsonable(result.raw),
            },
        )
    return payment_notification_apply(inbox_id=inbox.pk)


def inbox_stale_ids(*, older_than_seconds: int = 60, limit: int = 500) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        PaymentNotification.objects.filter(status=InboxStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def payments_stale_ids(*, older_than_minutes: int = 10, limit: int = 200) -> list[int]:
    now = timezone.now()
    cutoff = now - timedelta(minutes=older_than_minutes)
    queried_cutoff = now - timedelta(minutes=older_than_minutes)
    return list(
        Payment.objects.filter(
            status=PaymentStatus.PENDING,
            created__lt=cutoff,
            created__gt=now - timedelta(days=3),
        )
        .filter(Q(last_queried_at__isnull=True) | Q(last_queried_at__lt=queried_cutoff))
        .order_by("created")
        .values_list("pk", flat=True)[:limit]
    )


def refunds_stale_ids(*, older_than_minutes: int = 10, limit: int = 200) -> list[int]:
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        Refund.objects.filter(status=RefundStatus.PENDING, updated__lt=cutoff)
        .order_by("updated")
        .values_list("pk", flat=True)[:limit]
    )
