"""The Celery app of the worker-death tests' subprocess: the real app, plus a pause at
the point the test chooses, so the test can SIGKILL the worker right there.

``RESIL_PAUSE`` names the point: ``payment:in_transaction`` (the order is marked paid,
the transaction is still open), ``payment:after_commit`` (committed, not yet
acknowledged), ``shipment:in_transaction``, ``shipment:after_commit``. The first run
to reach it writes its pid to ``RESIL_MARKER`` and sleeps; a redelivered run finds
the marker and goes straight through. Nothing here is imported outside these tests.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.resilience.worker_settings")

from storefront.celery import app

__all__ = ["app"]


def _pause_once() -> None:
    marker = Path(os.environ["RESIL_MARKER"])
    if marker.exists():
        return
    marker.write_text(str(os.getpid()))
    time.sleep(60)


def _after(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        _pause_once()
        return result

    return wrapper


@worker_process_init.connect
def _install_pause(**kwargs) -> None:
    point = os.environ.get("RESIL_PAUSE", "")
    if point == "payment:in_transaction":
        from lifecycle.services import paid

        paid.order_mark_paid = _after(paid.order_mark_paid)
    elif point == "payment:after_commit":
        from lifecycle import services

        services.payment_notification_apply = _after(services.payment_notification_apply)
    elif point == "shipment:in_transaction":
        from fulfilment import services

        services._add_event = _after(services._add_event)
    elif point == "shipment:after_commit":
        from fulfilment import services

        services.shipments_create_for_order = _after(services.shipments_create_for_order)
