"""Checkout: placing an order (and, as features arrive, what they add to it) in one
transaction."""

from __future__ import annotations

from accounts.models import User
from orders.models import Order
from orders.services import order_place
from orders.services.plan import PlacementPlan

from ..selectors import order_prime_new


def checkout_place(
    *,
    user: User,
    shipping_address: dict,
    lines: list[dict] | None = None,
    from_cart: bool = False,
    idempotency_key: str | None = None,
    plan: PlacementPlan | None = None,
) -> tuple[Order, bool]:
    """Place an order (``orders.services.order_place``: see it for the rules and errors).

    ``plan`` is what features add to this checkout (``orders.services.plan``).
    A created order comes back with its lines, and its empty payments and shipments, in
    the prefetch cache, so rendering it costs no query."""
    order, created = order_place(
        user=user,
        shipping_address=shipping_address,
        lines=lines,
        from_cart=from_cart,
        idempotency_key=idempotency_key,
        plan=plan,
    )
    if created:
        order_prime_new(order)
    return order, created
