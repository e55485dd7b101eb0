"""The station agent's and the store clerk's pages. The page is a shell: the work is
done through the channels API (``lifecycle.api.channels``) by ``static/js/channel.js``,
which keeps an Idempotency-Key per submission so a resend never orders or pays twice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from channels import selectors as channel_selectors
from channels import services as channel_services
from channels.constants import PlaceKind
from channels.exceptions import NotAnAgent, PlaceNotFound
from orders import selectors as order_selectors
from orders.exceptions import InsufficientStock, VariantUnavailable
from storefront.errors import ApplicationError
from storefront.pages import form_add_error, message_error
from storefront.phones import phone_national

from .forms import PickupCheckoutForm
from .services.channels import pickup_order_place


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


def _near_district(user) -> str:
    """The district of the buyer's default address (the stations shown first)."""
    saved = order_selectors.saved_address_get(user=user)
    district = saved.address.get("district", "") if saved else ""
    return district if isinstance(district, str) else ""


@login_required
@require_http_methods(["GET", "POST"])
def checkout_pickup(request):
    """Checkout collected at a village station: the stations of the buyer's county (from
    the default address) or found by a search, who collects it, then the order
    (``pickup_order_place``: the cart's items, shipped to the station, a pickup code)."""
    cart = order_selectors.cart_get(user=request.user)
    if not cart.items:
        messages.info(request, _("Your cart is empty."))
        return redirect("cart")
    initial = {"name": request.user.get_full_name() or request.user.username}
    if request.user.phone:
        initial["phone"] = phone_national(request.user.phone)
    if request.GET.get("station"):
        initial["pickup_station"] = request.GET["station"][:60]
    form = PickupCheckoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        voucher = data.get("voucher", "").strip()
        try:
            order, _created = pickup_order_place(
                **({"voucher": voucher} if voucher else {}),
                user=request.user,
                pickup_station=data["pickup_station"],
                pickup_contact={"name": data["name"], "phone": data["phone"]},
                from_cart=True,
                idempotency_key=data["idempotency_key"],
            )
        except (InsufficientStock, VariantUnavailable) as exc:
            message_error(request, exc)
            return redirect("cart")
        except ApplicationError as exc:
            if exc.code.startswith("voucher_"):
                form.add_error("voucher", _(exc.message))
            elif exc.code in ("unknown_station", "not_a_pickup_point"):
                form.add_error("pickup_station", _(exc.message))
            else:
                form_add_error(form, exc)
        else:
            return redirect("order_pay", number=order.number)
    search = request.GET.get("q", "").strip()[:60]
    district = "" if search else _near_district(request.user)
    stations = list(channel_selectors.pickup_stations(search=search, district=district)[:30])
    if not stations and not search:
        stations = list(channel_selectors.pickup_stations()[:30])
        district = ""
    chosen = form["pickup_station"].value() or (stations[0].slug if len(stations) == 1 else "")
    return render(
        request,
        "orders/checkout_pickup.html",
        {
            "form": form,
            "cart": cart,
            "stations": stations,
            "search": search,
            "district": district,
            "chosen": chosen,
        },
    )
