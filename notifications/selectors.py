"""Reads of a person's notices (the API now; the in-app list and header count later)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User

from .constants import DeliveryStatus
from .models import Delivery, Notification

#: A delivery tried this often is no longer swept (its row keeps the attempts and status).
DELIVERY_MAX_ATTEMPTS = 30


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, is_read=False).count()


def deliveries_stale_ids(*, older_than_minutes: int = 10, limit: int = 500) -> list[int]:
    """Deliveries still pending a while after their notice was written: their task was
    lost (the broker was down at commit) or is waiting out a retry."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            notification__created__lt=cutoff,
            attempts__lt=DELIVERY_MAX_ATTEMPTS,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
