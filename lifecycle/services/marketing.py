"""Checkout with marketing: campaign prices, an optional voucher and the attribution
(``marketing.services.checkout``), placed through ``checkout_place``."""

from __future__ import annotations

from typing import Any

from marketing.exceptions import CheckoutChanged
from marketing.services.checkout import NO_VOUCHER, checkout_plan
from orders.models import Order
from orders.validation import clean_idempotency_key

from .checkout import checkout_place

ATTEMPTS = 3


def checkout_place_marketed(
    *, user, voucher: Any = NO_VOUCHER, hooks: tuple = (), **fields: Any
) -> tuple[Order, bool]:
    """``checkout_place(**fields)`` with marketing's plan for this buyer's checkout
    (``hooks``: placement hooks of other features, run after marketing's).

    ``voucher`` is the code as sent (leave it out for none). Raises the voucher refusals
    (``voucher_invalid``, ``voucher_expired``, ``voucher_not_applicable``,
    ``voucher_min_spend``, 409 ``voucher_exhausted``) and what ``checkout_place`` raises.
    A cart changed between pricing the voucher and placing is priced again (a few times).

    A repeat of a cart checkout (``from_cart`` with the same Idempotency-Key, e.g. a
    double click) returns the first order as it is: the cart it priced is gone, so its
    plan cannot be built again to compare."""
    key = fields.get("idempotency_key")
    if key and fields.get("from_cart") is True and not fields.get("lines"):
        existing = Order.objects.filter(user=user, idempotency_key=clean_idempotency_key(key))
        if (order := existing.first()) is not None:
            return order, False
    for attempt in range(ATTEMPTS):
        plan = checkout_plan(
            user=user,
            lines=fields.get("lines"),
            from_cart=fields.get("from_cart", False),
            voucher=voucher,
            precheck_left=not fields.get("idempotency_key"),
        )
        plan.hooks.extend(hooks)
        try:
            return checkout_place(user=user, plan=plan, **fields)
        except CheckoutChanged:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
