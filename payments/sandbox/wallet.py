"""The sandbox wallet's own record: what it paid and refunded.

It behaves like a phone wallet run by someone else: it keeps its own record of what
it paid and answers the sandbox provider's query and refund calls from that record;
``notifier`` delivers its signed notifications to our callback.
"""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from storefront.errors import NotFound
from storefront.queue import send_on_commit

from ..constants import PaymentStatus, WalletStatus
from ..models import Payment, SandboxWalletPayment, SandboxWalletRefund
from ..providers import QueryResult, RefundResult

logger = logging.getLogger(__name__)


def sandbox_payment_get(*, out_trade_no: str) -> Payment:
    """The sandbox payment the pay page shows; NotFound for anything else."""
    payment = (
        Payment.objects.filter(out_trade_no=out_trade_no, provider="sandbox")
        .select_related("order", "receivable")
        .first()
    )
    if payment is None:
        raise NotFound("No such sandbox payment.")
    return payment


def sandbox_wallet_pay(*, out_trade_no: str) -> SandboxWalletPayment:
    """The wallet pays the trade (once: paying again re-sends the same event)."""
    payment = sandbox_payment_get(out_trade_no=out_trade_no)
    with transaction.atomic():
        wallet, _created = SandboxWalletPayment.objects.get_or_create(
            out_trade_no=payment.out_trade_no,
            defaults={
                "amount": payment.amount,
                "status": WalletStatus.PAID,
                "trade_no": "SB" + secrets.token_hex(12),
                "pay_event_id": "evt_" + secrets.token_hex(12),
            },
        )
        from .tasks import sandbox_wallet_notify_task

        send_on_commit(sandbox_wallet_notify_task, wallet.pk, "SUCCESS")
    return wallet


def sandbox_wallet_query(out_trade_no: str) -> QueryResult | None:
    """The sandbox provider's `query_lookup`: what the wallet knows about a trade."""
    wallet = SandboxWalletPayment.objects.filter(out_trade_no=out_trade_no).first()
    if wallet is None:
        return None
    status = "succeeded" if wallet.status == WalletStatus.PAID else "refunded"
    return QueryResult(
        status=status,
        amount=wallet.amount,
        trade_no=wallet.trade_no,
        raw={"out_trade_no": out_trade_no, "status": wallet.status, "amount": f"{wallet.amount}"},
    )


def sandbox_wallet_refund(
    *, out_refund_no: str, out_trade_no: str, amount: Decimal, total: Decimal, reason: str = ""
) -> RefundResult:
    """The sandbox provider's `refund_handler`: refunds synchronously (like Alipay), all
    or part of a payment (never more than is left of it), and also sends a REFUNDED
    notification carrying `out_refund_no` and this refund's `refund_amount`. Idempotent
    on `out_refund_no`."""
    with transaction.atomic():
        wallet = (
            SandboxWalletPayment.objects.select_for_update()
            .filter(out_trade_no=out_trade_no)
            .first()
        )
        if wallet is None:
            return RefundResult(status="failed", raw={"error": "TRADE_NOT_EXIST"})
        done = wallet.refunds.filter(out_refund_no=out_refund_no).first()
        if done is None:
            if wallet.refunded_amount + amount > wallet.amount:
                return RefundResult(status="failed", raw={"error": "REFUND_AMOUNT_EXCEEDED"})
            done = SandboxWalletRefund.objects.create(
                wallet=wallet,
                out_refund_no=out_refund_no,
                amount=amount,
                event_id="evt_" + secrets.token_hex(12),
            )
            wallet.refunded_amount += amount
            wallet.refunded_at = timezone.now()
            wallet.out_refund_no = out_refund_no
            wallet.refund_event_id = done.event_id
            if wallet.refunded_amount == wallet.amount:
                wallet.status = WalletStatus.REFUNDED
            wallet.save()
            from .tasks import sandbox_wallet_notify_task

            send_on_commit(sandbox_wallet_notify_task, wallet.pk, "REFUNDED", done.pk)
    return RefundResult(
        status="succeeded",
        refund_id=done.event_id,
        raw={"out_refund_no": out_refund_no, "amount": f"{done.amount}"},
    )


def sandbox_payment_paid(*, payment: Payment) -> bool:
    """Whether the wallet has paid this trade (for the pay page)."""
    return (
        payment.status != PaymentStatus.PENDING
        or SandboxWalletPayment.objects.filter(out_trade_no=payment.out_trade_no).exists()
    )
