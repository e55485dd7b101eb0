"""The sandbox wallet's notifier: signed notifications delivered to our callback over
HTTP, retried (by ``tasks.sandbox_wallet_notify_task``) until answered 2xx, and now and
then delivered twice, as real providers do."""

from __future__ import annotations

import json
import random
import time

import httpx
from django.conf import settings

from ..models import SandboxWalletPayment, SandboxWalletRefund
from ..providers import SandboxProvider, callback_url, format_yuan

#: How long the wallet waits for our callback to answer.
DELIVERY_TIMEOUT = 5.0


def sandbox_wallet_notification(
    *, wallet_id: int, event: str, refund_id: int | None = None
) -> tuple[bytes, str]:
    """(body, X-Sandbox-Signature) of the wallet's notification for `event` (a REFUNDED
    event names one of its refunds, whole or partial; without it, the latest)."""
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
        refunds = SandboxWalletRefund.objects.filter(wallet=wallet)
        refund = (refunds.filter(pk=refund_id) if refund_id else refunds.order_by("-id")).first()
        if refund is None:  # refunded before the wallet kept one row per refund
            body["out_refund_no"] = wallet.out_refund_no
            body["refund_amount"] = format_yuan(wallet.amount)
        else:
            body["id"] = refund.event_id
            body["out_refund_no"] = refund.out_refund_no
            body["refund_amount"] = format_yuan(refund.amount)
            body["created"] = int(refund.created.timestamp())
    raw = json.dumps(body, separators=(",", ":")).encode()
    signer = SandboxProvider.from_settings(settings)
    return raw, signer.sign_notification(raw, now=time.time())


def sandbox_wallet_deliver(*, wallet_id: int, event: str, refund_id: int | None = None) -> int:
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
        body, signature = sandbox_wallet_notification(
            wallet_id=wallet_id, event=event, refund_id=refund_id
        )
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
