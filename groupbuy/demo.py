"""Demo: a team offer on Jeminay bread flour (5 kg bag, team of 2, 24 h) and an open
pre-sale of Jeminay new-harvest flour (quota 500), for `load_demo` (idempotent)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Variant

from .models import PreSale, TeamOffer

TEAM_OFFER_SKU = "JMN-BF-5"
PRESALE_SKU = "JMN-BF-10"
PRESALE_TITLE = "吉木乃新麦面粉预售 · Jeminay new-harvest flour"


def load_groupbuy_demo() -> dict:
    counts: dict[str, int] = {}
    variant = Variant.objects.filter(sku=TEAM_OFFER_SKU).first()
    if variant is not None:
        TeamOffer.objects.get_or_create(
            variant=variant,
            team_size=2,
            defaults={
                "team_price": Decimal("32.90"),
                "time_to_fill": timedelta(hours=24),
                "stock_cap": 100,
            },
        )
        counts["team offers"] = TeamOffer.objects.filter(variant=variant).count()
    variant = Variant.objects.filter(sku=PRESALE_SKU).first()
    if variant is not None:
        now = timezone.now()
        PreSale.objects.get_or_create(
            variant=variant,
            title=PRESALE_TITLE,
            defaults={
                "price": Decimal("68.00"),
                "quota": 500,
                "opens_at": now - timedelta(days=1),
                "closes_at": now + timedelta(days=60),
                "ships_on": (now + timedelta(days=75)).date(),
            },
        )
        counts["pre-sales"] = PreSale.objects.filter(variant=variant).count()
    return counts
