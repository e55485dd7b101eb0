"""Marketing reads: running campaigns, their featured products and prices."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.selectors import variants_on_sale

from .models import Campaign, CampaignItem, OrderAttribution, Voucher, VoucherUse


def campaigns_running(*, now: datetime | None = None) -> QuerySet[Campaign]:
    now = now or timezone.now()
    return Campaign.objects.filter(starts__lte=now, ends__gt=now).order_by("ends", "id")


def campaigns_running_for(*, county=None, cooperative=None) -> list[Campaign]:
    """Running campaigns of a cooperative or featuring its (or the county's) goods."""
    if cooperative is not None:
        q = Q(cooperative=cooperative) | Q(items__variant__product__cooperative=cooperative)
    else:
        q = Q(cooperative__county=county) | Q(items__variant__product__cooperative__county=county)
    return list(campaigns_running().filter(q).distinct()[:6])


def campaign_get(code: str) -> Campaign | None:
    """A campaign by code (any letter case) that has started, or None."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    return Campaign.objects.filter(code__iexact=code, starts__lte=timezone.now()).first()


def campaign_items(campaign: Campaign) -> list[CampaignItem]:
    """The featured variants still on sale, with product, cooperative and first image."""
    return campaigns_items([campaign])[campaign.pk]


def campaigns_items(campaigns) -> dict[int, list[CampaignItem]]:
    """``campaign_items`` of several campaigns at once (two queries, whatever the count)."""
    on_sale = variants_on_sale().values("pk")
    found: dict[int, list[CampaignItem]] = {c.pk: [] for c in campaigns}
    rows = (
        CampaignItem.objects.filter(campaign__in=list(found), variant__in=on_sale)
        .select_related("variant__product__cooperative")
        .prefetch_related("variant__product__images")
        .order_by("campaign_id", "variant__product_id", "variant_id")
    )
    for item in rows:
        found[item.campaign_id].append(item)
    return found


def order_voucher_code(order) -> str | None:
    """The voucher code of ``order`` (no query when selected with ``voucher_use__voucher``
    or just placed through marketing's plan)."""
    try:
        return order.voucher_use.voucher.code
    except VoucherUse.DoesNotExist:
        return None


def order_campaign_code(order) -> str | None:
    """The campaign (last touch) that brought ``order``, like ``order_voucher_code``."""
    try:
        return order.attribution.last_campaign.code
    except OrderAttribution.DoesNotExist:
        return None


#: What ``order_voucher_code`` and ``order_campaign_code`` read, for ``select_related``.
ORDER_RELATED = ("voucher_use__voucher", "attribution__last_campaign")


def voucher_public(code: str) -> Voucher | None:
    if not isinstance(code, str) or len(code) > 40:
        return None
    now = timezone.now()
    return Voucher.objects.filter(code__iexact=code, is_active=True, valid_until__gt=now).first()
