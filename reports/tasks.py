"""Celery tasks of the reports app (queue ``reports``): thin, idempotent, by id or day."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import aggregates, jobs

_RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**_RETRY)
def aggregates_build_day_task(day: str) -> int:
    """Rebuild one day's aggregates (ISO date)."""
    return aggregates.aggregates_build_day(day=date.fromisoformat(day))


@shared_task(**_RETRY)
def aggregates_build_recent_task() -> int:
    """Beat: rebuild yesterday and today (a late refund or payout lands in today)."""
    for day in aggregates.recent_days():
        aggregates.aggregates_build_day(day=day)
    return 2


@shared_task(**_RETRY)
def aggregates_check_day_task(day: str) -> int:
    return len(aggregates.aggregates_check_day(day=date.fromisoformat(day)))


@shared_task(**_RETRY)
def aggregates_check_yesterday_task() -> int:
    """Beat: compare yesterday's aggregates with the ledger once the day is over."""
    yesterday = timezone.localdate() - timedelta(days=1)
    return len(aggregates.aggregates_check_day(day=yesterday))


# A long export may take minutes: its own limits, still well under the broker's
# visibility timeout (REDIS_VISIBILITY_TIMEOUT, 2 h), so it is never handed out twice.
@shared_task(time_limit=1800, soft_time_limit=1750)
def job_run_task(job_id: int) -> str:
    job = jobs.job_run(job_id=job_id)
    return job.status if job else "missing"


@shared_task(**_RETRY)
def jobs_expire_task() -> int:
    return jobs.jobs_expire()
