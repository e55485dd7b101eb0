"""The station agent's and the store clerk's pages. The page is a shell: the work is
done through the channels API (``lifecycle.api.channels``) by ``static/js/channel.js``,
which keeps an Idempotency-Key per submission so a resend never orders or pays twice."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from channels import selectors as channel_selectors
from channels import services as channel_services
from channels.constants import PlaceKind
from channels.exceptions import NotAnAgent, PlaceNotFound


@login_required
def channel_places(request):
    """The places where the signed-in user is an agent or clerk."""
    places = channel_selectors.places_of_agent(request.user)
    return render(request, "channels/places.html", {"places": places})


@login_required
def channel_page(request, slug: str):
    """The counter (a county store) or the station page (a village station)."""
    try:
        place = channel_services.place_for_agent(slug=slug, user=request.user)
    except PlaceNotFound:
        raise Http404 from None
    except NotAnAgent:
        raise PermissionDenied from None
    return render(
        request,
        "channels/page.html",
        {"place": place, "is_station": place.kind == PlaceKind.STATION},
    )


@login_required
def channel_receipt(request, slug: str, number: str):
    """The receipt of an order this agent placed here: its lines, what was paid, and the
    trace QR of each product's batch (printable; shown on screen at the counter)."""
    try:
        place = channel_services.place_for_agent(slug=slug, user=request.user)
    except PlaceNotFound:
        raise Http404 from None
    except NotAnAgent:
        raise PermissionDenied from None
    row = (
        channel_selectors.channel_orders_of_agent(user=request.user, place=place)
        .filter(order__number=number)
        .prefetch_related("order__lines__variant")
        .first()
    )
    if row is None:
        raise Http404
    traces = channel_selectors.receipt_traces(row.order)
    lines = [
        (line, traces.get(line.variant.product_id) if line.variant is not None else None)
        for line in row.order.lines.all()
    ]
    return render(request, "channels/receipt.html", {"place": place, "row": row, "lines": lines})
