"""Shipment reads used by the API, the order detail, the admin and the farmer portal."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .constants import ShipmentStatus
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


def shipment_list_for_order(*, order) -> QuerySet[Shipment]:
    return shipment_queryset().filter(order=order)


def shipments_to_pack_for_user(user) -> QuerySet[Shipment]:
    """Shipments waiting at the cooperatives ``user`` manages, oldest first."""
    from catalog.selectors import user_managed_cooperative_ids

    return (
        Shipment.objects.filter(
            cooperative_id__in=user_managed_cooperative_ids(user),
            status__in=(ShipmentStatus.PENDING, ShipmentStatus.PACKED),
        )
        .select_related("order", "cooperative")
        .order_by("created", "id")
    )
