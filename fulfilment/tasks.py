"""Celery tasks of the fulfilment pipeline (queue ``fulfilment``).

Each is thin: it takes ids, calls one service and owns its retry policy. Every service
they call is idempotent, so a redelivered message (``acks_late``: a worker killed
mid-task) or a duplicate enqueue changes nothing the second time.
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from storefront.queue import send

from . import services
from .selectors import orders_awaiting_fulfilment_ids

# Database hiccups (a lock timeout, a failover) are worth another try for every task.
_RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
# A mail server that is down must not lose the e-mail: retry for about a day.
_MAIL_RETRY = {
    **_RETRY,
    "autoretry_for": (OperationalError, SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "max_retries": 30,
}


@shared_task(**_RETRY)
def shipments_create_task(order_id: int) -> int:
    """A paid order → one shipment per cooperative (then notify and render, on commit)."""
    return len(services.shipments_create_for_order(order_id=order_id))


@shared_task(**_MAIL_RETRY)
def shipment_notify_managers_task(shipment_id: int) -> int:
    return services.shipment_notify_managers(shipment_id=shipment_id)


@shared_task(**_RETRY)
def shipment_render_packing_slip_task(shipment_id: int) -> bool:
    return services.shipment_render_packing_slip(shipment_id=shipment_id)


@shared_task(**_RETRY)
def shipment_notify_buyer_shipped_task(shipment_id: int) -> bool:
    """Kept for messages queued before ``shipment_mark_shipped`` told the buyer itself
    (the notice, not an e-mail: ``notifications`` delivers it)."""
    return services.shipment_notify_buyer_shipped(shipment_id=shipment_id)


@shared_task(**_RETRY)
def shipments_sweep_task() -> int:
    """Beat: start fulfilment again for paid orders whose pipeline messages were lost
    (the broker was down when the payment was applied). Every step is idempotent."""
    ids = orders_awaiting_fulfilment_ids()
    for order_id in ids:
        send(shipments_create_task, order_id)
    return len(ids)


@shared_task(**_RETRY)
def shipments_auto_deliver_task() -> int:
    """Beat: shipments shipped ``AUTO_DELIVER_DAYS`` ago count as delivered."""
    return services.shipments_auto_deliver_due()
