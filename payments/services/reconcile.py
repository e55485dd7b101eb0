"""Reconciliation: asking a provider about payments that stayed pending too long."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..constants import PaymentStatus
from ..models import Payment, PaymentNotification
from ..providers import QueryResult
from .provider import provider_get


def payment_reconcile(*, payment_id: int) -> int | None:
    """Ask the provider about a pending payment; what it says is stored in the inbox like
    a notification (so the same checks run and it is applied once). Returns the inbox
    row's id for the caller to apply, or None when there is nothing to apply."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != PaymentStatus.PENDING:
        return None
    result: QueryResult = provider_get(payment.provider).query(out_trade_no=payment.out_trade_no)
    Payment.objects.filter(pk=payment.pk).update(last_queried_at=timezone.now())
    if result.status not in ("succeeded", "finished", "closed"):
        return None
    if result.amount is None and result.status != "closed":
        return None
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
            "payload": json.loads(json.dumps(dict(result.raw), default=str)),
        },
    )
    return inbox.pk


def payments_stale_ids(*, older_than_minutes: int = 10, limit: int = 200) -> list[int]:
    now = timezone.now()
    cutoff = now - timedelta(minutes=older_than_minutes)
    return list(
        Payment.objects.filter(
            status=PaymentStatus.PENDING,
            created__lt=cutoff,
            created__gt=now - timedelta(days=3),
        )
        .filter(Q(last_queried_at__isnull=True) | Q(last_queried_at__lt=cutoff))
        .order_by("created")
        .values_list("pk", flat=True)[:limit]
    )
