"""Reads of the offline channel."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from catalog.models import Batch, Variant
from catalog.qr import trace_qr_svg, trace_url
from catalog.selectors import variants_on_sale

from .models import ChannelOrder, Place


def places_of_agent(user: User) -> QuerySet[Place]:
    return Place.objects.filter(agents=user, active=True).order_by("name")


def channel_orders_of_agent(*, user: User, place: Place) -> QuerySet[ChannelOrder]:
    """The orders this agent placed here (an agent never sees another's), newest first."""
    return (
        ChannelOrder.objects.filter(agent=user, place=place)
        .select_related("order")
        .order_by("-created", "-id")
    )


def variant_lookup(query: str, *, limit: int = 8) -> list[Variant]:
    """What a scan or a typed search finds: the exact SKU first (a barcode scanner types
    it and presses Enter), else on-sale variants whose SKU or product title contains it."""
    query = (query or "").strip()[:60]
    if not query:
        return []
    on_sale = variants_on_sale().select_related("product")
    exact = list(on_sale.filter(sku__iexact=query)[:1])
    if exact:
        return exact
    return list(
        on_sale.filter(
            Q(sku__icontains=query)
            | Q(product__title_zh_hans__icontains=query)
            | Q(product__title_ug__icontains=query)
            | Q(product__title_en__icontains=query)
        ).order_by("product__title", "pk")[:limit]
    )


def receipt_traces(order) -> dict[int, dict[str, str]]:
    """product id -> the latest batch's code and trace URL, for the receipt's QR codes."""
    product_ids = {
        line.variant.product_id for line in order.lines.all() if line.variant is not None
    }
    latest: dict[int, dict[str, str]] = {}
    for product_id, code in (
        Batch.objects.filter(product_id__in=product_ids)
        .order_by("product_id", "-harvested_on", "-created", "-id")
        .values_list("product_id", "code")
    ):
        if product_id not in latest:
            latest[product_id] = {"code": code, "url": trace_url(code), "svg": trace_qr_svg(code)}
    return latest
