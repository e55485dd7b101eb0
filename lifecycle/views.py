"""Buyer pages: cart, checkout, choosing how to pay, order list and order detail.

Thin: each view parses a form, calls one service, flow or selector, and shows the
service's own error message when it refuses.
Another buyer's order or cart item answers 404, as in the API.
"""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from orders import selectors as order_selectors
from orders import services as order_services
from orders.constants import MAX_LINE_QUANTITY, OrderStatus
from orders.exceptions import InsufficientStock, VariantUnavailable
from payments.exceptions import PaymentProviderUnavailable
from payments.providers import configured_providers
from payments.services import payment_start
from storefront import pages
from storefront.errors import ApplicationError, InvalidInput, NotFound
from storefront.pages import form_add_error, message_error
from storefront.qr import qr_svg

from . import selectors, services
from .forms import AddressBookForm, AddressForm, AddToCartForm, QuantityForm

ORDERS_PER_PAGE = 10
PROVIDER_LABELS = {
    "sandbox": gettext_lazy("Sandbox wallet (demo, no real money)"),
    "alipay": gettext_lazy("Alipay"),
    "wechat": gettext_lazy("WeChat Pay"),
}


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- cart -----------------------------------------------------------------
def _costs(cart, region_code: str = "") -> dict:
    """Each cooperative's shipping for the cart (``shipping_fee_for``, the rule the order
    is priced by) and the total, shown before the order is placed."""
    parts = order_services.shipping_preview(
        lines=[(i.variant, i.quantity) for i in cart.items], region_code=region_code
    )
    fee = sum((p.fee for p in parts), Decimal("0.00"))
    return {
        "shipping_parts": parts,
        "shipping_total": fee,
        "grand_total": cart.subtotal + fee,
        "surcharge_unknown": any(p.surcharges and not p.region_known for p in parts),
    }


def _over_stock(exc: InsufficientStock) -> str:
    """What is available, in the buyer's words (the service's message is the API's)."""
    available = next(iter(((exc.details or {}).get("available") or {}).values()), 0)
    if not available:
        return _("Sorry, this size is sold out.")
    return ngettext(
        "Only %(n)d left: you can order up to %(n)d.",
        "Only %(n)d left: you can order up to %(n)d.",
        available,
    ) % {"n": available}


@login_required
def cart(request):
    cart = order_selectors.cart_get(user=request.user)
    return render(
        request,
        "orders/cart.html",
        {"cart": cart, "max_quantity": MAX_LINE_QUANTITY, **_costs(cart)},
    )


@login_required
@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    back = _back(request, reverse("product_list"))
    if not form.is_valid():
        messages.error(request, _("Choose a size and a quantity."))
        return redirect(back)
    try:
        order_services.cart_item_add(
            user=request.user,
            variant_id=form.cleaned_data["variant"],
            quantity=form.cleaned_data["quantity"],
        )
    except VariantUnavailable:
        messages.error(request, _("Sorry, this item is not for sale any more."))
        return redirect(back)
    except InsufficientStock as exc:
        messages.error(request, _over_stock(exc))
        return redirect(back)
    except ApplicationError as exc:
        message_error(request, exc)
        return redirect(back)
    messages.success(request, _("Added to your cart."))
    return redirect("cart")


@login_required
@require_POST
def cart_item(request, item_id: int):
    try:
        if "remove" in request.POST:
            order_services.cart_item_remove(user=request.user, item_id=item_id)
            messages.success(request, _("Removed from your cart."))
        else:
            form = QuantityForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("A quantity is a whole number."))
                return redirect("cart")
            order_services.cart_item_update(
                user=request.user, item_id=item_id, quantity=form.cleaned_data["quantity"]
            )
            messages.success(request, _("Cart updated."))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except InsufficientStock as exc:
        messages.error(request, _over_stock(exc))
    except ApplicationError as exc:
        message_error(request, exc)
    return redirect("cart")


# --- checkout -------------------------------------------------------------
def _stock_problem(cart, exc: ApplicationError) -> str:
    ids = set((exc.details or {}).get("variants", []))
    names = [
        f"{i.variant.product.title} — {i.variant.name}" for i in cart.items if i.variant_id in ids
    ]
    if isinstance(exc, InsufficientStock):
        text = _("Not enough stock left for: %(items)s. Lower the quantity and try again.")
    else:
        text = _("These items are not for sale any more: %(items)s. Remove them to continue.")
    return text % {"items": ", ".join(names) or "—"}


CHECKOUT_ADDRESS_KEY = "checkout_address"


def _checkout_initial(request) -> dict:
    """Where the checkout form starts: what the buyer typed before an over-stock cart
    sent them back, else the address chosen from the book (``?address=<id>``), else the
    default address."""
    typed = request.session.pop(CHECKOUT_ADDRESS_KEY, None)
    if isinstance(typed, dict):
        return {k: v for k, v in typed.items() if isinstance(v, str)}
    chosen = request.GET.get("address", "")
    saved = order_selectors.saved_address_get(
        user=request.user, address_id=int(chosen) if chosen.isdigit() and len(chosen) < 10 else None
    )
    return dict(saved.address) if saved else {}


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = order_selectors.cart_get(user=request.user)
    if not cart.items:
        messages.info(request, _("Your cart is empty."))
        return redirect("cart")
    form = AddressForm(request.POST or None, initial=_checkout_initial(request))
    if request.method == "POST" and not form.region_refresh_requested and form.is_valid():
        voucher = form.cleaned_data.get("voucher", "").strip()
        try:
            order, _created = services.checkout_place_marketed(
                **({"voucher": voucher} if voucher else {}),
                user=request.user,
                shipping_address=form.address(),
                from_cart=True,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except (InsufficientStock, VariantUnavailable) as exc:
            messages.error(request, _stock_problem(cart, exc))
            # Kept for the way back: the buyer lowers a quantity and comes back to it.
            request.session[CHECKOUT_ADDRESS_KEY] = form.typed()
            return redirect("cart")
        except InvalidInput as exc:
            address_errors = (exc.details or {}).get("shipping_address")
            if isinstance(address_errors, dict):
                exc = InvalidInput(exc.message, details=address_errors)
            form_add_error(form, exc)
        except ApplicationError as exc:
            if exc.code.startswith("voucher_"):
                form.add_error("voucher", _(exc.message))
            else:
                form_add_error(form, exc)
        else:
            if form.cleaned_data.get("save_address"):
                # The order is placed: the address book is a convenience, never a failure.
                with suppress(ApplicationError):
                    order_services.address_save(user=request.user, address=order.shipping_address)
            return redirect("order_pay", number=order.number)
    region_code = form.data.get("region_code", "") if form.is_bound else ""
    if not form.is_bound:
        region_code = form.initial.get("region_code", "")
    if not isinstance(region_code, str) or not region_code.isdigit():
        region_code = ""
    return render(
        request,
        "orders/checkout.html",
        {
            "form": form,
            "cart": cart,
            "saved_addresses": order_selectors.saved_addresses(user=request.user),
            **_costs(cart, region_code),
        },
    )


# --- address book -----------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def address_book(request):
    form = AddressBookForm(request.POST or None)
    if request.method == "POST" and not form.region_refresh_requested and form.is_valid():
        try:
            order_services.address_save(
                user=request.user,
                address=form.address(),
                make_default=form.cleaned_data.get("make_default", False),
            )
        except InvalidInput as exc:
            address_errors = (exc.details or {}).get("shipping_address")
            if isinstance(address_errors, dict):
                exc = InvalidInput(exc.message, details=address_errors)
            form_add_error(form, exc)
        else:
            messages.success(request, _("Address saved."))
            return redirect("address_book")
    return render(
        request,
        "orders/address_book.html",
        {"form": form, "addresses": order_selectors.saved_addresses(user=request.user)},
    )


@login_required
@require_POST
def address_change(request, address_id: int):
    try:
        if "delete" in request.POST:
            order_services.address_delete(user=request.user, address_id=address_id)
            messages.success(request, _("Address removed."))
        else:
            order_services.address_set_default(user=request.user, address_id=address_id)
            messages.success(request, _("This is now your default address."))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return redirect("address_book")


# --- orders ---------------------------------------------------------------
def _order_or_404(request, number: str):
    try:
        return selectors.order_get_for_user(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
def order_list(request):
    tab = request.GET.get("status", "all")
    if tab not in {t[0] for t in selectors.ORDER_TABS}:
        tab = "all"
    page = Paginator(
        selectors.order_list_for_user(user=request.user, tab=tab), ORDERS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/order_list.html",
        {"page": page, "tabs": selectors.ORDER_TABS, "tab": tab},
    )


@login_required
@require_POST
def order_buy_again(request, number: str):
    order = _order_or_404(request, number)
    added, missed = order_services.cart_add_from_order(user=request.user, order=order)
    if added:
        messages.success(request, _("The items are in your cart again, at today's prices."))
    if missed:
        messages.warning(
            request,
            _("Not available any more (or sold out): %(items)s.") % {"items": ", ".join(missed)},
        )
    return redirect("cart")


@login_required
def order_detail(request, number: str):
    order = _order_or_404(request, number)
    actions = selectors.order_actions(order=order)
    pickup = selectors.order_pickup(order, viewer=request.user)
    pickup_row = order.channel_order if pickup["pickup_station"] else None
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "pickup": pickup,
            "pickup_row": pickup_row,
            "pickup_place": pickup_row.place if pickup_row else None,
            "state": selectors.order_buyer_state(order=order),
            **actions,
            "refresh_seconds": 4 if actions["awaiting_payment"] else None,
        },
    )


def _providers() -> list[tuple[str, str]]:
    return [(name, PROVIDER_LABELS.get(name, name)) for name in configured_providers(settings)]


def pay_in_browser(request, start, *, back: str, qr_template: str, context: dict):
    """Run ``start()`` (a payment start: an order's or an invoice's) and take the buyer
    on: to the provider's page, or a page with the provider's QR code; a refusal is a
    message on ``back`` (a URL)."""
    try:
        payment = start()
    except PaymentProviderUnavailable:
        messages.error(request, _("This payment provider is not available."))
        return redirect(back)
    except ApplicationError as exc:
        message_error(request, exc)
        return redirect(back)
    payload = payment.client_payload or {}
    target = payload.get("pay_url") or payload.get("page_pay_url")
    if target:
        return redirect(target)
    if payload.get("code_url"):
        qr = qr_svg(payload["code_url"], scale=5)
        return render(request, qr_template, {**context, "payment": payment, "qr_svg": qr})
    messages.error(request, _("This way of paying does not work in a browser."))
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def order_pay(request, number: str):
    """Choose how to pay; the chosen provider's page (or QR code) takes it from there."""
    order = _order_or_404(request, number)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect("order_detail", number=order.number)
    providers = _providers()
    if request.method == "POST":
        provider = request.POST.get("provider", "")
        detail = reverse("order_detail", kwargs={"number": order.number})
        return pay_in_browser(
            request,
            lambda: payment_start(
                order=order,
                provider=provider,
                client_ip=request.META.get("REMOTE_ADDR"),
                return_url=request.build_absolute_uri(detail),
            ),
            back=reverse("order_pay", kwargs={"number": order.number}),
            qr_template="orders/pay_qr.html",
            context={"order": order},
        )
    return render(request, "orders/pay.html", {"order": order, "providers": providers})


@login_required
@require_POST
def order_button(request, number: str, button: str):
    """A button on the buyer's order page (``button``: a key of ``ORDER_BUTTONS``): its
    service call, then back to the order with its success or refusal flashed."""
    act, success = ORDER_BUTTONS[button]
    order = _order_or_404(request, number)
    pages.button_action(request, lambda: act(order), lambda: success(order))
    return redirect("order_detail", number=order.number)


#: button -> (what it does to the order, the sentence once done)
ORDER_BUTTONS = {
    "cancel": (
        lambda order: services.order_cancel(order=order),
        lambda order: (
            _("Order cancelled. Your money is on its way back.")
            if order.status == OrderStatus.REFUND_PENDING
            else _("Order cancelled.")
        ),
    ),
    "confirm": (
        lambda order: services.receipt_confirmed(order=order),
        lambda order: _("Thank you! The cooperative will be told the parcel arrived."),
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request, number: str):
    """GET asks first and says what will happen (a refund of how much, to where);
    the page's POST cancels (``order_button``)."""
    if request.method == "POST":
        return order_button(request, number=number, button="cancel")
    order = _order_or_404(request, number)
    if not selectors.order_actions(order=order)["can_cancel"]:
        messages.info(request, _("This order can no longer be cancelled."))
        return redirect("order_detail", number=order.number)
    return render(
        request,
        "orders/order_cancel.html",
        {"order": order, "refund": selectors.order_refund_preview(order=order)},
    )


order_confirm = partial(order_button, button="confirm")


# --- wholesale purchase orders ----------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def wholesale_order_new(request):
    """A purchase order: choose a product and quantity, see the price the one pricing
    rule gives (list and tier), then place it (on credit when granted)."""
    from wholesale import selectors as wholesale_selectors
    from wholesale import services as wholesale
    from wholesale.exceptions import NotWholesaleBuyer
    from wholesale.forms import PurchaseOrderForm
    from wholesale.pricing import price_for

    from .services.wholesale import wholesale_order_place

    try:
        member = wholesale.buyer_for(request.user)
    except NotWholesaleBuyer:
        return redirect("wholesale_home")
    sheet = wholesale_selectors.price_sheet(member.organisation)
    choices = [
        (row["variant"].pk, f"{row['variant'].product.title} — {row['variant'].name}")
        for row in sheet
    ]
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = PurchaseOrderForm(data, choices=choices, initial={"quantity": 10})
    price = None
    if data is not None and form.is_valid():
        variant = next(
            r["variant"] for r in sheet if r["variant"].pk == form.cleaned_data["variant"]
        )
        price = price_for(
            organisation=member.organisation,
            variant=variant,
            quantity=form.cleaned_data["quantity"],
        )
        if request.method == "POST" and "place" in request.POST:
            try:
                order, _created = wholesale_order_place(
                    user=request.user,
                    lines=[{"variant": variant.pk, "quantity": form.cleaned_data["quantity"]}],
                    po_number=form.cleaned_data["po_number"],
                    on_credit=form.cleaned_data["on_credit"],
                )
            except ApplicationError as exc:
                form_add_error(form, exc)
            else:
                if order.status == OrderStatus.PENDING_PAYMENT:
                    return redirect("order_pay", number=order.number)
                messages.success(request, _("Purchase order placed on credit."))
                return redirect("order_detail", number=order.number)
    return render(
        request,
        "wholesale/order_new.html",
        {"form": form, "price": price, "member": member, "sheet": sheet},
        status=400 if request.method == "POST" and form.errors else 200,
    )
