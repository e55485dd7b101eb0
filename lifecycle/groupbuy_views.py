"""Buyer pages of group buying and pre-sales: a team's share page (its state, a QR
code of itself, a form to join) and a pre-sale's page (quota left, a form to order).
Thin: each parses a form and calls one flow; a refusal shows the flow's message."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from groupbuy import selectors as gb_selectors
from storefront.errors import ApplicationError, InvalidInput
from storefront.pages import form_add_error
from storefront.qr import qr_svg

from .forms import AddressForm
from .services import groupbuy as flows


def _address_form_post(request, form, place):
    """Place with ``place(address, key)`` on a valid POST; the order's pay page or None."""
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?next={request.path}")
    if request.method != "POST" or form.region_refresh_requested or not form.is_valid():
        return None
    try:
        order, _created = place(form.address(), form.cleaned_data["idempotency_key"])
    except InvalidInput as exc:
        address_errors = (exc.details or {}).get("shipping_address")
        if isinstance(address_errors, dict):
            exc = InvalidInput(exc.message, details=address_errors)
        form_add_error(form, exc)
    except ApplicationError as exc:
        form_add_error(form, exc)
    else:
        return redirect("order_pay", number=order.number)
    return None


def team_detail(request, team_id: int):
    team = gb_selectors.team_get(team_id)
    if team is None:
        raise Http404(_("No such team."))
    form = AddressForm(request.POST or None)
    done = _address_form_post(
        request,
        form,
        lambda address, key: flows.team_join(
            team=team, user=request.user, shipping_address=address, idempotency_key=key
        ),
    )
    if done is not None:
        return done
    share_url = f"{settings.PUBLIC_BASE_URL}{reverse('team_detail', args=[team.pk])}"
    return render(
        request,
        "groupbuy/team_detail.html",
        {
            "team": team,
            "offer": team.offer,
            "variant": team.offer.variant,
            "paid": gb_selectors.team_paid_count(team),
            "form": form,
            "share_url": share_url,
            "qr_svg": qr_svg(share_url, title=f"Team {team.pk}"),
        },
    )


def team_offer_start(request, offer_id: int):
    offer = gb_selectors.offers_running().filter(pk=offer_id).first()
    if offer is None:
        raise Http404(_("No such team offer."))
    form = AddressForm(request.POST or None)
    done = _address_form_post(
        request,
        form,
        lambda address, key: flows.team_start(
            offer=offer, user=request.user, shipping_address=address, idempotency_key=key
        ),
    )
    if done is not None:
        messages.success(request, _("Your team is started: pay, then share its page."))
        return done
    return render(
        request,
        "groupbuy/offer_start.html",
        {
            "offer": offer,
            "variant": offer.variant,
            "teams": gb_selectors.teams_open_for_offer(offer)[:10],
            "form": form,
        },
    )


def presale_detail(request, presale_id: int):
    presale = gb_selectors.presale_get(presale_id)
    if presale is None:
        raise Http404(_("No such pre-sale."))
    form = AddressForm(request.POST or None)

    def place(address, key):
        try:
            quantity = int(request.POST.get("quantity", "1"))
        except ValueError:
            raise InvalidInput(details={"quantity": [_("A whole number.")]}) from None
        return flows.presale_buy(
            presale=presale,
            user=request.user,
            quantity=quantity,
            shipping_address=address,
            idempotency_key=key,
        )

    done = _address_form_post(request, form, place)
    if done is not None:
        return done
    return render(
        request,
        "groupbuy/presale_detail.html",
        {"presale": presale, "variant": presale.variant, "form": form},
    )
