"""Reads of the offline channel."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from catalog.models import Batch, Variant
from catalog.qr import trace_qr_svg, trace_url
from catalog.selectors import variants_on_sale

from .constants import PlaceKind
from .models import ChannelOrder, Place, StoreCashEntry


def places_of_agent(user: User) -> QuerySet[Place]:
    return Place.objects.filter(agents=user, active=True).order_by("name")


def channel_orders_of_agent(
    *, user: User, place: Place, own_only: bool = False
) -> QuerySet[ChannelOrder]:
    """The orders this agent placed here (an agent never sees another agent's) and the
    buyers' own orders to collect here (the station's pickup list), newest first;
    ``own_only``: only those the agent placed. Precondition: ``user`` is an agent of
    ``place`` (``services.place_for_agent``)."""
    mine = Q(agent=user) if own_only else Q(agent=user) | Q(agent__isnull=True)
    return (
        ChannelOrder.objects.filter(mine, place=place)
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


def pickup_stations(*, county: str = "", search: str = "", district: str = "") -> QuerySet[Place]:
    """Open village stations that receive parcels, by county then name; ``county`` a
    county slug, ``district`` a district's name (the buyer's address book's), ``search``
    a word of the name, address or district."""
    rows = Place.objects.filter(
        kind=PlaceKind.STATION, active=True, is_pickup_point=True
    ).select_related("county")
    if county:
        rows = rows.filter(county__slug=county)
    if district:
        rows = rows.filter(Q(district=district) | Q(county__name=district))
    search = (search or "").strip()[:60]
    if search:
        rows = rows.filter(
            Q(name__icontains=search)
            | Q(address__icontains=search)
            | Q(district__icontains=search)
            | Q(slug__icontains=search)
        )
    return rows.order_by("county__name", "name", "pk")


def station_is_agent(*, place_id: int, user) -> bool:
    """Is ``user`` one of the agents of place ``place_id``?"""
    if user is None or not user.is_authenticated:
        return False
    return Place.agents.through.objects.filter(place_id=place_id, user_id=user.pk).exists()


def cash_entries_of_day(*, place: Place, day) -> dict[int, dict[str, StoreCashEntry]]:
    """clerk id -> {kind: entry} of the place's cash ledger on ``day``."""
    out: dict[int, dict[str, StoreCashEntry]] = {}
    for entry in StoreCashEntry.objects.filter(place=place, day=day).select_related("clerk"):
        out.setdefault(entry.clerk_id, {})[entry.kind] = entry
    return out


def cash_to_hand_over(place: Place) -> Decimal:
    """The place's cash ledger balance: cash closed by its clerks and not yet confirmed
    handed over (every day)."""
    total = StoreCashEntry.objects.filter(place=place).aggregate(s=Sum("amount"))["s"]
    return (total or Decimal("0")).quantize(Decimal("0.01"))
