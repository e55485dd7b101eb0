"""Limits such as "one code a minute and ten an hour per number", kept in the database.

Each limit is a fixed window that opens at its first use: ``take`` claims one unit with a
single conditional ``UPDATE`` (PostgreSQL re-checks its ``WHERE`` after waiting for a
concurrent writer of the same row, so two requests can never both take the last unit),
after an ``INSERT … ON CONFLICT DO NOTHING`` that makes sure the row exists.

Several limits that must hold together (per number *and* per client address) are taken
with :func:`take_all` inside one transaction: when one refuses, the transaction rolls back
and none of the others is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from .models import RateLimit


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window: timedelta

    @property
    def row_key(self) -> str:
        # The window is part of the key, so "1 a minute" and "10 an hour" are two rows.
        return f"{self.key}:{int(self.window.total_seconds())}"


class LimitReached(Exception):
    def __init__(self, limit: Limit, retry_after: int) -> None:
        super().__init__(limit.key)
        self.limit = limit
        self.retry_after = retry_after


def take(limit: Limit, *, now: datetime | None = None) -> bool:
    """Claim one unit of ``limit``; False (nothing changed) when it is used up."""
    now = now or timezone.now()
    key = limit.row_key
    RateLimit.objects.bulk_create(
        [RateLimit(key=key, window_start=now, count=0)], ignore_conflicts=True
    )
    expired = Q(window_start__lte=now - limit.window)
    taken = (
        RateLimit.objects.filter(key=key)
        .filter(expired | Q(count__lt=limit.limit))
        .update(
            count=Case(When(expired, then=1), default=F("count") + 1),
            window_start=Case(When(expired, then=now), default=F("window_start")),
        )
    )
    return taken == 1


def retry_after(limit: Limit, *, now: datetime | None = None) -> int:
    """Seconds until ``limit`` frees a unit (at least 1)."""
    now = now or timezone.now()
    start = (
        RateLimit.objects.filter(key=limit.row_key).values_list("window_start", flat=True).first()
    )
    if start is None:
        return 1
    return max(1, int((start + limit.window - now).total_seconds()) + 1)


def take_all(limits: list[Limit], *, now: datetime | None = None) -> None:
    """Take every limit or none: raises ``LimitReached`` (the first refusal) after rolling
    back the units already taken. Keys are taken in sorted order so that two requests
    sharing keys never wait for each other in a circle."""
    now = now or timezone.now()
    refused: Limit | None = None
    with transaction.atomic():
        for limit in sorted(limits, key=lambda item: item.row_key):
            if not take(limit, now=now):
                refused = limit
                transaction.set_rollback(True)
                break
    if refused is not None:
        raise LimitReached(refused, retry_after(refused, now=now))


def prune(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Delete counters whose window closed long ago (a beat task calls this daily)."""
    deleted, _ = RateLimit.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
