"""The one place a wholesale price is decided.

The rule (documented in the README):

1. Candidate lists are the variant's cooperative's active price lists valid on the day
   (``valid_from <= day <= valid_until``; an open end never expires) that name the
   organisation itself, or a buyer group the organisation belongs to.
2. In each list, the tier that applies is the highest whose ``min_quantity`` is
   ``<= quantity`` (quantity 13 with tiers 1/10/100 takes the 10 tier); a list with no
   tier for the variant at that quantity is not a candidate.
3. The most specific level wins: organisation lists, else group lists, else the public
   (catalogue) price. An organisation list beats a group list even when dearer: it is
   the contract made for that buyer.
4. Several candidates on the winning level (an organisation in two groups): the lowest
   price wins; equal prices go to the older list (lowest id), so the answer is stable.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from catalog.models import Variant

from .models import Organisation, PriceTier

ORGANISATION = "organisation"
GROUP = "group"
PUBLIC = "public"


@dataclass(frozen=True)
class WholesalePrice:
    unit_price: Decimal
    source: str  # organisation | group | public
    price_list_id: int | None = None
    price_list_name: str = ""
    tier_id: int | None = None
    min_quantity: int | None = None

    def as_record(self) -> dict:
        return {
            "unit_price": f"{self.unit_price:.2f}",
            "source": self.source,
            "price_list": self.price_list_id,
            "price_list_name": self.price_list_name,
            "tier": self.tier_id,
            "min_quantity": self.min_quantity,
        }


def _candidate_tiers(organisation: Organisation, variant: Variant, quantity: int, day):
    return (
        PriceTier.objects.filter(
            variant=variant,
            min_quantity__lte=quantity,
            price_list__is_active=True,
            price_list__cooperative_id=variant.product.cooperative_id,
            price_list__valid_from__lte=day,
        )
        .filter(Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=day))
        .filter(
            Q(price_list__organisation=organisation)
            | Q(price_list__group__organisations=organisation)
        )
        .select_related("price_list")
        .distinct()
    )


def price_for(
    *,
    organisation: Organisation,
    variant: Variant,
    quantity: int,
    day: datetime.date | None = None,
) -> WholesalePrice:
    """The unit price ``organisation`` pays for ``quantity`` of ``variant`` on ``day``
    (today by default), and what decided it (see the module docstring)."""
    day = day or timezone.localdate()
    best_per_list: dict[int, PriceTier] = {}
    for tier in _candidate_tiers(organisation, variant, quantity, day):
        held = best_per_list.get(tier.price_list_id)
        if held is None or tier.min_quantity > held.min_quantity:
            best_per_list[tier.price_list_id] = tier
    for level in (ORGANISATION, GROUP):
        tiers = [
            t
            for t in best_per_list.values()
            if (t.price_list.organisation_id is not None) == (level == ORGANISATION)
        ]
        if tiers:
            tier = min(tiers, key=lambda t: (t.unit_price, t.price_list_id))
            return WholesalePrice(
                unit_price=tier.unit_price,
                source=level,
                price_list_id=tier.price_list_id,
                price_list_name=tier.price_list.name,
                tier_id=tier.pk,
                min_quantity=tier.min_quantity,
            )
    return WholesalePrice(unit_price=variant.price, source=PUBLIC)
