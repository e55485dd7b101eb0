"""The ``sms`` queue: one task per message, so a slow provider never delays payments."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services

MAX_TRIES = 8


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_jitter=True,
    max_retries=MAX_TRIES,
)
def sms_send_task(self, message_id: int) -> str:
    """Send one queued message; rate-limited or temporarily refused ones come back later."""
    outcome = services.sms_deliver(message_id=message_id, attempt=self.request.retries)
    if outcome.retry_in is None:
        return outcome.status
    if self.request.retries >= MAX_TRIES:
        services.sms_give_up(message_id=message_id, error_code=outcome.error or "retries_exhausted")
        return "failed"
    raise self.retry(countdown=outcome.retry_in)
