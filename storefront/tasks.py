"""Housekeeping of the shared helpers."""

from celery import shared_task

from . import ratelimit


@shared_task(ignore_result=True)
def ratelimits_prune_task() -> int:
    """Forget rate-limit windows that closed two days ago (idempotent)."""
    return ratelimit.prune()
