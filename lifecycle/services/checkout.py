"""Checkout: placing an order (and, as features arrive, what they add to it) in one
transaction."""

from __future__ import annotations

from accounts.models import User
from orders.models import Order
from orders.services import order_place
from storefront.queue import send_on_commit

from ..selectors import order_prime_new


def checkout_place(
    *,
    user: User,
    shipping_address: dict,
    lines: list[dict] | None = None,
    from_cart: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Order, bool]:
    """Place an order (``orders.services.order_place``: see it for the rules and errors).

    A created order comes back with its lines, and its empty payments and shipments, in
    the prefetch cache, so rendering it costs no query. A new order's receipt is sent on
    commit (``order_receipt_task``)."""
    order, created = order_place(
        user=user,
        shipping_address=shipping_address,
        lines=lines,
        from_cart=from_cart,
        idempotency_key=idempotency_key,
    )
    if created:
        order_prime_new(order)
        # The receipt is told by a task once the order has committed.
        from ..tasks import order_receipt_task

        send_on_commit(order_receipt_task, order.pk)
    return order, created
