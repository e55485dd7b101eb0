"""The broker settings that make a killed worker's message come back exactly when it
should: acks_late and reject_on_worker_lost on every task, a visibility timeout longer
than the longest task can run, and longer than any retry countdown (Redis would
otherwise hand a message a worker still holds for its countdown to a second worker)."""

from __future__ import annotations

import pytest
from django.conf import settings

from storefront.celery import app

pytestmark = [pytest.mark.resilience]


def _project_tasks():
    app.loader.import_default_modules()
    return [
        task
        for name, task in app.tasks.items()
        if name.split(".")[0] in {"payments", "fulfilment", "orders", "catalog", "lifecycle"}
    ]


def test_every_task_is_acknowledged_late_and_rejected_when_its_worker_dies():
    tasks = _project_tasks()
    assert len(tasks) >= 10
    for task in tasks:
        assert task.acks_late, task.name
        assert task.reject_on_worker_lost, task.name


def test_the_visibility_timeout_outlasts_every_task_and_every_retry_countdown():
    # What production's Redis broker gets (test settings swap the broker for memory://).
    from storefront.settings import base

    visibility = base.REDIS_VISIBILITY_TIMEOUT
    if base.REDIS_URL:
        assert base.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == visibility
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    for task in _project_tasks():
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert limit < visibility, task.name
        backoff = getattr(task, "retry_backoff", False)
        longest_countdown = getattr(task, "retry_backoff_max", 600) if backoff else 0
        longest_countdown = max(longest_countdown, task.default_retry_delay or 0)
        assert longest_countdown < visibility, (task.name, longest_countdown, visibility)


def test_workers_take_one_message_at_a_time():
    assert app.conf.worker_prefetch_multiplier == 1
