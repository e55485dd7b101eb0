"""Bounded retries of transactions PostgreSQL aborted to resolve a conflict.

PostgreSQL may end a transaction with a serialization failure (SQLSTATE 40001) or
pick it as a deadlock victim (40P01). Neither is the caller's fault and both
usually succeed on a second try, so a service that owns its transaction may be
wrapped in :func:`retry_on_conflict`: it runs again a few times with a short,
jittered pause, and when the conflicts persist the caller gets
``ServiceUnavailable`` (503 ``service_unavailable``) instead of a stack trace.
Every other database error passes through unchanged.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

from . import metrics
from .errors import ServiceUnavailable

logger = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected

P = ParamSpec("P")
R = TypeVar("R")


def conflict_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a serialization failure or deadlock behind ``exc``, else None."""
    cause = exc.__cause__ or exc.__context__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code if code in RETRYABLE_SQLSTATES else None


def retry_on_conflict(
    *, attempts: int = 3, base_delay: float = 0.05, name: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run the wrapped function up to ``attempts`` times while PostgreSQL reports a
    serialization failure or deadlock; then raise ``ServiceUnavailable``.

    The function must open its own ``transaction.atomic()`` (a savepoint when called
    inside another transaction), so each try starts from a clean state.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        label = name or func.__qualname__

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    sqlstate = conflict_sqlstate(exc)
                    if sqlstate is None:
                        raise
                    metrics.incr(f"db_conflict:{label}:{sqlstate}")
                    if attempt == attempts:
                        metrics.incr(f"db_conflict_gave_up:{label}")
                        logger.error(
                            "%s: database conflict %s persisted after %d tries",
                            label,
                            sqlstate,
                            attempts,
                        )
                        raise ServiceUnavailable(
                            "The service is busy; please try again in a moment.",
                            details={"retry_after_seconds": 2},
                        ) from exc
                    pause = random.uniform(0, base_delay * 2**attempt)  # noqa: S311 (jitter)
                    logger.warning(
                        "%s: database conflict %s (try %d of %d); again in %.0f ms",
                        label,
                        sqlstate,
                        attempt,
                        attempts,
                        pause * 1000,
                    )
                    time.sleep(pause)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return decorate


def prepared_statements() -> AbstractContextManager:
    """Statements run inside are prepared once per connection on PostgreSQL
    (``storefront.postgres``): PostgreSQL plans them once, not at every execution.
    Elsewhere (SQLite, or ``DB_PREPARED_STATEMENTS=0``) it changes nothing."""
    enter = getattr(connection, "prepared_statements", None)
    return enter() if enter is not None else nullcontext()
