"""Gauges of the payments app, computed at each scrape of /metrics (storefront.metrics)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from storefront import metrics

from .constants import InboxStatus, PaymentStatus
from .models import Payment, PaymentNotification


@metrics.gauge_at_scrape(
    "farmgate_payment_inbox_unapplied",
    "Stored payment notifications not applied yet (status received).",
)
def inbox_unapplied() -> float:
    return float(PaymentNotification.objects.filter(status=InboxStatus.RECEIVED).count())


@metrics.gauge_at_scrape(
    "farmgate_payment_inbox_oldest_unapplied_seconds",
    "Age of the oldest stored payment notification not applied yet (0 when none).",
)
def inbox_oldest_unapplied_seconds() -> float:
    oldest = PaymentNotification.objects.filter(status=InboxStatus.RECEIVED).aggregate(
        oldest=Min("received_at")
    )["oldest"]
    return (timezone.now() - oldest).total_seconds() if oldest else 0.0


@metrics.gauge_at_scrape(
    "farmgate_payments_pending_overdue",
    "Payments still pending after the order's payment window (ORDER_PAYMENT_TIMEOUT).",
)
def payments_pending_overdue() -> float:
    cutoff = timezone.now() - settings.ORDER_PAYMENT_TIMEOUT
    return float(Payment.objects.filter(status=PaymentStatus.PENDING, created__lt=cutoff).count())
