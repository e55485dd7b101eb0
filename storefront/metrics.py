"""Best-effort operational counters (forged callbacks, failed enqueues, …).

Counters live in the cache (Redis in production) so every process adds to the
same number; a failing cache never breaks the request that counts.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger("farmgate.metrics")
PREFIX = "metric:"


def incr(name: str, amount: int = 1) -> None:
    try:
        try:
            cache.incr(PREFIX + name, amount)
        except ValueError:  # the key does not exist yet
            cache.add(PREFIX + name, 0, timeout=None)
            cache.incr(PREFIX + name, amount)
    except Exception:  # the cache is down: the log line below still records it
        logger.debug("metric %s not counted: cache unavailable", name)
    logger.info("metric %s +%d", name, amount)


def get(name: str) -> int:
    try:
        return int(cache.get(PREFIX + name) or 0)
    except Exception:
        return 0
