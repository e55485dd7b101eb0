"""The campaign page. Thin: a selector, a template."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

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
    return render(
        request,
        "marketing/campaign_detail.html",
        {"campaign": campaign, "items": selectors.campaign_items(campaign), "running": running},
    )
