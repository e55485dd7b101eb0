"""Paid orders whose fulfilment a feature holds back (a team not yet filled, a
pre-sale not yet converted): the fulfilment sweep leaves them alone until the feature
sends them on. Features register a function returning a subquery of order ids (from
``lifecycle``, which sits above both); fulfilment never imports them."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

HeldOrderIds = Callable[[], QuerySet]

_holds: list[HeldOrderIds] = []


def fulfilment_hold_register(held_order_ids: HeldOrderIds) -> HeldOrderIds:
    """Register ``held_order_ids()`` (a ``.values("order_id")`` queryset); once."""
    if held_order_ids not in _holds:
        _holds.append(held_order_ids)
    return held_order_ids


def orders_not_held(orders: QuerySet) -> QuerySet:
    """``orders`` without those a registered feature holds back."""
    for held in _holds:
        orders = orders.exclude(pk__in=held())
    return orders
