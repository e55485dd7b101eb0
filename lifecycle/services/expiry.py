"""Unpaid orders past their time: cancelled, their stock given back."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from catalog.constants import StockReason
from orders.services import order_cancel_unpaid, order_lock_if_overdue, orders_overdue_ids
from storefront import metrics

from .extensions import unpaid_release_run


def orders_expire_overdue(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Cancel every ``pending_payment`` order past ``expires_at`` and return its stock.

    Works through the overdue orders ``batch_size`` ids at a time, one short
    transaction per order, skipping rows another transaction holds (a payment being
    applied right now): the next run retries them. Idempotent: an order already
    cancelled (or paid) no longer matches, so running twice returns stock once.
    Returns how many orders it cancelled.
    """
    now = now or timezone.now()
    expired = 0
    last_id = 0
    while True:
        ids = orders_overdue_ids(now=now, after_id=last_id, limit=batch_size)
        if not ids:
            return expired
        last_id = ids[-1]
        for order_id in ids:
            if order_expire(order_id=order_id, now=now):
                expired += 1


@transaction.atomic
def order_expire(*, order_id: int, now: datetime) -> bool:
    """One overdue order cancelled with its stock returned; False if it is no longer
    overdue or another transaction holds it."""
    order = order_lock_if_overdue(order_id=order_id, now=now)
    if order is None:
        return False
    order_cancel_unpaid(
        order=order,
        reason=StockReason.EXPIRY,
        note="payment time ran out",
        before_stock=unpaid_release_run,  # features' rows before variants (lock order)
    )
    metrics.incr("order_expired")
    return True
