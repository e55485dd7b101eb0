"""The campaign page. Thin: a selector, a template."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from catalog.offers import variant_offer_prices

from . import selectors
from .middleware import campaign_touch


@require_safe
def campaign_detail(request, code: str):
    campaign = selectors.campaign_get(code)
    if campaign is None:
        raise Http404("no such campaign")
    running = campaign.starts <= timezone.now() < campaign.ends
    if running and "c" not in request.GET:
        # Arriving on the campaign's own page counts as arriving through it.
        request.GET = request.GET.copy()
        request.GET["c"] = campaign.code
        campaign_touch(request)
    items = selectors.campaign_items(campaign)
    offers = variant_offer_prices(item.variant for item in items)  # what checkout charges
    for item in items:
        item.variant.offer_price = offers.get(item.variant_id)
    return render(
        request,
        "marketing/campaign_detail.html",
        {"campaign": campaign, "items": items, "running": running},
    )
