"""Which unpaid orders have run out of time, and the lock that claims one for expiry.

The flow that cancels them (and gives back whatever else they hold) is the
lifecycle's ``orders_expire_overdue``.
"""

from __future__ import annotations

from datetime import datetime

from ..constants import OrderStatus
from ..models import Order


def orders_overdue_ids(*, now: datetime, after_id: int = 0, limit: int = 200) -> list[int]:
    """Ids of ``pending_payment`` orders past ``expires_at``, in id order, after ``after_id``."""
    return list(
        Order.objects.filter(
            status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now, pk__gt=after_id
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def order_lock_if_overdue(*, order_id: int, now: datetime) -> Order | None:
    """The order locked, if it is still unpaid and overdue and no other transaction holds
    it (a payment being applied right now: the next run retries it); else None.

    Precondition: inside ``transaction.atomic()``."""
    return (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=order_id, status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now)
        .first()
    )
