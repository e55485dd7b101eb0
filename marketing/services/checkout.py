"""The checkout plan of marketing: campaign prices, a voucher, and the attribution.

``checkout_plan`` reads the cart (or the given lines) once, outside the placement, and
resolves the voucher to an amount; the plan's hook re-checks that amount against the lines
as priced inside the placement transaction (a cart changed in between raises
``CheckoutChanged``, and the caller builds the plan again), claims the use with one
conditional UPDATE and writes the order's attribution."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Variant
from catalog.offers import offer_price, offer_prices
from orders.models import CartItem
from orders.services import PlacementPlan
from orders.validation import clean_lines
from storefront.errors import ApplicationError

from ..exceptions import CheckoutChanged
from .campaigns import attribution_write
from .vouchers import (
    Goods,
    voucher_check_dates,
    voucher_check_left,
    voucher_claim,
    voucher_discount,
    voucher_find,
    voucher_product_ids,
)

NO_VOUCHER = object()


def _requested(*, user, lines, from_cart: bool) -> dict[int, int]:
    if from_cart and not lines:
        return dict(CartItem.objects.filter(user=user).values_list("variant_id", "quantity"))
    if lines is None:
        return {}
    return clean_lines(lines)


def checkout_plan(
    *, user, lines=None, from_cart: bool = False, voucher=NO_VOUCHER, precheck_left: bool = True
) -> PlacementPlan:
    """The plan for one checkout of ``user`` (``voucher``: the code as sent, if sent).

    Raises the voucher refusals (``marketing.exceptions``) before anything is written."""
    requested = _requested(user=user, lines=lines, from_cart=bool(from_cart))
    offers = offer_prices(requested)  # the running campaign prices (cached)
    plan = PlacementPlan(offer_prices=offers)
    if voucher is not NO_VOUCHER:
        found = voucher_find(voucher)
        variants = {
            v.pk: v
            for v in Variant.objects.filter(pk__in=list(requested)).select_related(
                "product__cooperative"
            )
        }
        voucher_check_dates(found)
        if precheck_left:
            voucher_check_left(found)
        product_ids = voucher_product_ids(found)
        goods = [
            Goods.of_variant(
                v,
                unit_price=offer_price(v.price, offers.get(vid)) or v.price,
                quantity=requested[vid],
            )
            for vid, v in variants.items()
        ]
        discount = voucher_discount(found, goods, product_ids=product_ids)
        plan.discounts.append(discount)

        def claim(order, priced) -> None:
            now_goods = [
                Goods.of_variant(line.variant, unit_price=line.unit_price, quantity=line.quantity)
                for line in priced.lines
            ]
            try:
                again = voucher_discount(found, now_goods, product_ids=product_ids)
            except ApplicationError:
                raise CheckoutChanged() from None
            if again != discount:
                raise CheckoutChanged()
            use = voucher_claim(voucher=found, order=order, amount=discount.amount)
            order._state.fields_cache["voucher_use"] = use

        plan.hooks.append(claim)
    plan.hooks.append(_attribute)
    return plan


def _attribute(order, priced) -> None:
    # The order comes back to its caller: what marketing wrote is in its cache (the
    # API renders "voucher" and "campaign" without a query).
    order._state.fields_cache["attribution"] = attribution_write(order)
    order._state.fields_cache.setdefault("voucher_use", None)


def plan_discount(plan: PlacementPlan) -> Decimal:
    return sum((d.amount for d in plan.discounts), Decimal("0.00"))
