"""An order with its payments and shipments: the reads the buyer's pages and API render.

Composed here, above the three apps, so ``orders`` never imports ``payments`` or
``fulfilment``; each read costs the same number of queries at any page size.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from fulfilment.constants import LEFT_COOPERATIVE
from fulfilment.selectors import shipments_prefetch
from marketing.selectors import ORDER_RELATED as MARKETING_RELATED
from orders import selectors as order_selectors
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import PaymentStatus


def order_detail_queryset() -> QuerySet[Order]:
    """Orders with lines, payments and shipments (with their tracking events)."""
    return (
        order_selectors.order_queryset()
        .select_related(*MARKETING_RELATED)
        .prefetch_related("payments", shipments_prefetch())
    )


def order_prime_new(order: Order) -> Order:
    """A just-placed order has no payments or shipments: say so to the prefetch cache."""
    order_selectors.prefetch_known(order, "payments", [])
    order_selectors.prefetch_known(order, "shipments", [])
    return order


def order_list_for_user(*, user: User) -> QuerySet[Order]:
    """The user's orders, newest first, ready to render."""
    return order_selectors.order_list_for_user(user=user, queryset=order_detail_queryset())


def order_get_for_user(*, user: User, number: str) -> Order:
    """A buyer's order ready to render, or ``OrderNotFound`` (404)."""
    return order_selectors.order_get_for_user(
        user=user, number=number, queryset=order_detail_queryset()
    )


def order_actions(*, order: Order) -> dict[str, bool]:
    """What a buyer may try on this order now, from its prefetched payments and shipments
    (no query). It mirrors the services' checks for showing buttons; the services
    (``order_cancel``, ``receipt_confirmed``, ``payment_start``) still decide."""
    pending = order.status == OrderStatus.PENDING_PAYMENT
    shipped = any(s.status in LEFT_COOPERATIVE for s in order.shipments.all())
    return {
        "can_pay": pending,
        "can_cancel": pending or (order.status == OrderStatus.PAID and not shipped),
        "can_confirm": order.status == OrderStatus.SHIPPED,
        # A wallet payment is on its way: the page reloads until its notification lands.
        "awaiting_payment": pending
        and any(p.status == PaymentStatus.PENDING for p in order.payments.all()),
    }
