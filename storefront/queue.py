"""Sending Celery tasks safely: after commit, and never failing the caller.

A request that has committed its work (an order, a stored payment notification)
must not turn into a 500 because the broker is down. The failure is logged and
counted; the periodic sweepers pick the work up again from the database, which
is the source of truth (see ARCHITECTURE.md, "inbox sweep").
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from . import metrics

logger = logging.getLogger(__name__)


def send(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Enqueue now. Returns False (logged and counted) when the broker refuses."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    except Exception as exc:  # kombu/redis raise many types for "broker down": all mean the same
        logger.error(
            "could not enqueue %s%r (%s: %s); a sweeper will retry",
            task.name,
            args,
            type(exc).__name__,
            exc,
        )
        metrics.incr("enqueue_failed")
        metrics.incr(f"enqueue_failed:{task.name}")
        return False


def send_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue once the surrounding transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: send(task, *args, **kwargs))
