"""The Celery app of the killed-worker test's subprocess: the real app, plus a pause of
``FULFILMENT_TEST_PAUSE`` seconds after each pipeline step's work is committed (and
before its message is acknowledged), so the test can kill the worker right there.
Nothing here is imported outside that test."""

from __future__ import annotations

import functools
import os
import time

from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.fulfilment.worker_settings")

from storefront.celery import app

__all__ = ["app"]

STEPS = ("shipments_create_for_order", "shipment_notify_managers", "shipment_render_packing_slip")


def _pausing(func, seconds: float):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        time.sleep(seconds)
        return result

    return wrapper


@worker_process_init.connect
def _install_pause(**kwargs) -> None:
    seconds = float(os.environ.get("FULFILMENT_TEST_PAUSE", "0"))
    if not seconds:
        return
    from fulfilment import services

    for name in STEPS:
        setattr(services, name, _pausing(getattr(services, name), seconds))
