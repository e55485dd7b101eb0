"""Checkout: placing an order (and, as features arrive, what they add to it) in one
transaction."""

from __future__ import annotations

from typing import Any

from orders.models import Order
from orders.services import order_place
from storefront.queue import send_on_commit

from ..selectors import order_prime_new


def checkout_place(**fields: Any) -> tuple[Order, bool]:
    """Place an order: ``order_place(**fields)`` (``orders.services``: see it for the
    keyword arguments, the rules and the errors).

    ``plan`` is what features add to this checkout (``orders.services.plan``).
    A created order comes back with its lines, and its empty payments and shipments, in
    the prefetch cache, so rendering it costs no query. A new order's receipt is sent on
    commit (``order_receipt_task``)."""
    order, created = order_place(**fields)
    if created:
        order_prime_new(order)
        # The receipt is told by a task once the order has committed.
        from ..tasks import order_receipt_task

        send_on_commit(order_receipt_task, order.pk)
    return order, created
