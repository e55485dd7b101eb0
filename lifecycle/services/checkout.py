"""Checkout: placing an order (and, as features arrive, what they add to it) in one
transaction."""

from __future__ import annotations

from typing import Any

from orders.models import Order
from orders.services import order_place

from ..selectors import order_prime_new


def checkout_place(**fields: Any) -> tuple[Order, bool]:
    """Place an order: ``order_place(**fields)`` (``orders.services``: see it for the
    keyword arguments, the rules and the errors).

    ``plan`` is what features add to this checkout (``orders.services.plan``).
    A created order comes back with its lines, and its empty payments and shipments, in
    the prefetch cache, so rendering it costs no query."""
    order, created = order_place(**fields)
    if created:
        order_prime_new(order)
    return order, created
