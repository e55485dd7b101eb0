"""Celery tasks of the offline channel (thin: one service call each)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def uncollected_flag_task() -> int:
    """Flag to their agents the parcels waiting at a station longer than it allows."""
    return services.uncollected_flag()
