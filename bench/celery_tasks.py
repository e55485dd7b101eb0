"""A no-op Celery task for bench/callbacks.py, loaded by its workers only (``--include``).

It measures what a task costs on this worker and broker when it does (almost)
nothing: the payment task's rate is reported relative to it. The single RPUSH
lets the benchmark see when each ran, exactly as ``applied_at`` does for payments.
"""

from __future__ import annotations

import os
import time

import redis
from celery import shared_task

_redis = None


@shared_task(acks_late=True)
def noop_task(key: str) -> None:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(os.environ["REDIS_URL"])
    _redis.rpush(key, time.time())
