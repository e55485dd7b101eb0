"""Delivery of notices (queue ``default``): thin, idempotent, retried while mail is down."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from storefront.queue import send

from . import selectors, services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=30,
)
def notification_deliver_task(delivery_id: int) -> str:
    return services.notification_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), max_retries=3)
def notifications_sweep_task() -> int:
    """Beat: send again the deliveries whose task was lost. A delivery whose task is
    alive as well is claimed by one of the two, and sent once."""
    ids = selectors.deliveries_stale_ids()
    for delivery_id in ids:
        send(notification_deliver_task, delivery_id)
    return len(ids)
