"""The Celery app of the metrics test's worker subprocess: the real app plus one task
that logs a line and counts an event (nothing here is imported outside that test)."""

from __future__ import annotations

import logging

from storefront import metrics
from storefront.celery import app

__all__ = ["app"]


@app.task(name="tests.probe_task")
def probe_task() -> bool:
    logging.getLogger("tests.probe").info("probe task ran")
    metrics.incr("probe_task")
    return True
