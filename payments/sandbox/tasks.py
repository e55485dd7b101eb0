"""The sandbox wallet's task (queue `payments`): delivering its notifications."""

from __future__ import annotations

import httpx
from celery import shared_task

from . import notifier


@shared_task(
    bind=True,
    autoretry_for=(httpx.HTTPError, RuntimeError),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def sandbox_wallet_notify_task(
    self, wallet_id: int, event: str, refund_id: int | None = None
) -> int:
    """The sandbox wallet delivers its notification until our callback answers 2xx."""
    return notifier.sandbox_wallet_deliver(wallet_id=wallet_id, event=event, refund_id=refund_id)
