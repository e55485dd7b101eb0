"""The sandbox wallet's own side: paying, refunding and delivering its notifications.

It behaves like a phone wallet run by someone else: it keeps its own record of what
it paid, answers the sandbox provider's query and refund calls from that record, and
delivers signed notifications to our callback over HTTP, retrying until answered
2xx and now and then delivering the same event twice, as real providers do.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from decimal import Decimal

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from storefront.errors import NotFound
from storefront.queue import send_on_commit

from .constants import PaymentStatus, WalletStatus
from .models import Payment, SandboxWalletPayment
from .providers import QueryResult, RefundResult, SandboxProvider, callback_url, format_yuan

logger = logging.getLogger(__name__)

#: How long the wallet waits for our callback to answer.
DELIVERY_TIMEOUT = 5.0


def sandbox_payment_get(*, out_trade_no: str) -> Payment:
    """The sandbox payment the pay page shows; NotFound for anything else."""
    payment = (
        Payment.objects.filter(out_trade_no=out_trade_no, provider="sandbox")
        .select_related("order")
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
    *, out_trade_no: str, out_refund_no: str, amount: Decimal, total: Decimal, reason: str = ""
) -> RefundResult:
    """The sandbox provider's `refund_handler`: refunds synchronously (like Alipay) and
    also sends a REFUNDED notification. Idempotent on `out_refund_no`."""
    with transaction.atomic():
        wallet = (
            SandboxWalletPayment.objects.select_for_update()
            .filter(out_trade_no=out_trade_no)
            .first()
        )
        if wallet is None:
            return RefundResult(status="failed", raw={"error": "TRADE_NOT_EXIST"})
        if amount != wallet.amount:
            return RefundResult(status="failed", raw={"error": "PARTIAL_REFUND_NOT_SUPPORTED"})
        if wallet.status == WalletStatus.REFUNDED:
            if wallet.out_refund_no != out_refund_no:
                return RefundResult(status="failed", raw={"error": "TRADE_ALREADY_REFUNDED"})
        else:
            wallet.status = WalletStatus.REFUNDED
            wallet.out_refund_no = out_refund_no
            wallet.refund_event_id = "evt_" + secrets.token_hex(12)
            wallet.refunded_at = timezone.now()
            wallet.save()
            from .tasks import sandbox_wallet_notify_task

            send_on_commit(sandbox_wallet_notify_task, wallet.pk, "REFUNDED")
    return RefundResult(
        status="succeeded",
        refund_id=wallet.refund_event_id,
        raw={"out_refund_no": out_refund_no, "amount": f"{amount}"},
    )


def sandbox_wallet_notification(*, wallet_id: int, event: str) -> tuple[bytes, str]:
    """(body, X-Sandbox-Signature) of the wallet's notification for `event`."""
    wallet = SandboxWalletPayment.objects.get(pk=wallet_id)
    body: dict = {
        "id": wallet.pay_event_id if event == "SUCCESS" else wallet.refund_event_id,
        "out_trade_no": wallet.out_trade_no,
        "trade_no": wallet.trade_no,
        "status": event,
        "amount": format_yuan(wallet.amount),
        "created": int((wallet.paid_at if event == "SUCCESS" else wallet.refunded_at).timestamp()),
    }
    if event == "REFUNDED":
        body["out_refund_no"] = wallet.out_refund_no
        body["refund_amount"] = format_yuan(wallet.amount)
    raw = json.dumps(body, separators=(",", ":")).encode()
    signer = SandboxProvider.from_settings(settings)
    return raw, signer.sign_notification(raw, now=time.time())


def sandbox_wallet_deliver(*, wallet_id: int, event: str) -> int:
    """POST the notification to our sandbox callback; returns the HTTP status.

    Raises httpx.HTTPError (network) or RuntimeError (non-2xx) so the task retries.
    With probability SANDBOX_WALLET_DUPLICATE_RATE (default 0.1) the same event is
    delivered a second time, as real providers sometimes do.
    """
    if event not in ("SUCCESS", "REFUNDED"):
        raise ValueError(f"unknown wallet event {event!r}")
    url = callback_url(
        getattr(settings, "SANDBOX_WALLET_NOTIFY_BASE_URL", "") or settings.PUBLIC_BASE_URL,
        "sandbox",
    )
    deliveries = 1
    if random.random() < float(getattr(settings, "SANDBOX_WALLET_DUPLICATE_RATE", 0.1)):  # noqa: S311
        deliveries = 2
    status = 0
    for attempt in range(deliveries):
        # Signed afresh each time, like a provider's retry: same event id, new timestamp.
        body, signature = sandbox_wallet_notification(wallet_id=wallet_id, event=event)
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", "X-Sandbox-Signature": signature},
            timeout=DELIVERY_TIMEOUT,
        )
        status = response.status_code
        if attempt == 0 and not 200 <= status < 300:
            raise RuntimeError(f"sandbox callback answered {status}")
    return status


def sandbox_payment_paid(*, payment: Payment) -> bool:
    """Whether the wallet has paid this trade (for the pay page)."""
    return (
        payment.status != PaymentStatus.PENDING
        or SandboxWalletPayment.objects.filter(out_trade_no=payment.out_trade_no).exists()
    )
