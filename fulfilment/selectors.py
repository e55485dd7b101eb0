"""Shipment reads used by the API, the order detail, the admin and the farmer portal."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from catalog.selectors import user_managed_cooperative_ids
from orders.constants import OrderStatus
from orders.models import Order

from .constants import AWAITING_HANDOVER, ShipmentStatus
from .holds import orders_not_held
from .models import Shipment, TrackingEvent


def shipment_queryset() -> QuerySet[Shipment]:
    """Shipments with what the API renders, in a fixed number of queries for any count."""
    return (
        Shipment.objects.select_related("cooperative", "carrier")
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("at", "id")))
        .order_by("id")
    )


def shipments_prefetch(lookup: str = "shipments") -> Prefetch:
    """For an order queryset: ``.prefetch_related(shipments_prefetch())``."""
    return Prefetch(lookup, queryset=shipment_queryset())


def shipments_to_pack_for_user(user) -> QuerySet[Shipment]:
    """Shipments waiting at the cooperatives ``user`` manages, oldest first."""
    return (
        Shipment.objects.filter(
            cooperative_id__in=user_managed_cooperative_ids(user),
            status__in=AWAITING_HANDOVER,
        )
        .select_related("order", "cooperative")
        .order_by("created", "id")
    )


def orders_awaiting_fulfilment_ids(
    *, older_than_seconds: int = 120, within_days: int = 7, limit: int = 500
) -> list[int]:
    """Paid orders whose fulfilment was never started, or stalled before the first steps
    (no shipments; a pending shipment without its slip or its managers' e-mail): what a
    lost ``shipments_create_task`` message leaves behind when the broker was down.
    """
    now = timezone.now()
    shipments = Shipment.objects.filter(order=OuterRef("pk"))
    stalled = shipments.filter(status=ShipmentStatus.PENDING).filter(
        Q(packing_slip="") | Q(managers_notified_at__isnull=True)
    )
    return list(
        orders_not_held(Order.objects.all())
        .filter(
            status=OrderStatus.PAID,
            paid_at__lt=now - timedelta(seconds=older_than_seconds),
            paid_at__gt=now - timedelta(days=within_days),
        )
        .filter(~Exists(shipments) | Exists(stalled))
        .order_by("paid_at")
        .values_list("pk", flat=True)[:limit]
    )
