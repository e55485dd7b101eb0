"""Celery tasks that run the lifecycle flows. Thin, idempotent, by id; each calls one
flow and owns its retry policy. Routed by ``CELERY_TASK_ROUTES``: the payment and
refund tasks to ``payments``, completion to ``fulfilment``, expiry to ``default``.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError, OperationalError

from payments import services as payments
from payments.providers import ProviderError, ProviderUnavailable
from storefront.queue import send

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
)
def payment_notification_apply_task(self, inbox_id: int) -> str:
    """Apply one inbox row (exactly once, however often this runs)."""
    try:
        return services.payment_notification_apply(inbox_id=inbox_id).status
    except Exception as exc:
        payments.notification_note_failure(inbox_id=inbox_id, error=exc)
        raise


@shared_task(
    bind=True,
    autoretry_for=(ProviderError, DatabaseError),
    retry_backoff=10,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=10,
)
def refund_submit_task(self, refund_id: int) -> str:
    """Ask the provider to refund (same out_refund_no on every try: idempotent there)."""
    try:
        return services.refund_submit(refund_id=refund_id).status
    except ProviderUnavailable:
        # Configuration, not weather: retrying in seconds will not help. The refund stays
        # pending, visible to staff, and the reconcile sweep tries again.
        logger.error("refund %s: provider unavailable", refund_id)
        return "pending"


@shared_task
def payment_reconcile_task(payment_id: int) -> str:
    """Query the provider about one payment that stayed pending too long."""
    try:
        inbox = services.payment_reconcile(payment_id=payment_id)
    except (ProviderError, ProviderUnavailable) as exc:
        # The next sweep asks again; no fast retries against a provider that is down.
        logger.warning("reconcile payment %s: %s", payment_id, exc)
        return "error"
    return inbox.status if inbox is not None else "unchanged"


@shared_task
def payments_inbox_sweep_task() -> int:
    """Beat: re-enqueue inbox rows stored but not applied after a minute (a row that
    keeps failing is rejected after ``PAYMENTS_INBOX_MAX_ATTEMPTS``)."""
    ids = payments.inbox_sweep(older_than_seconds=60)
    for inbox_id in ids:
        send(payment_notification_apply_task, inbox_id)
    if ids:
        logger.warning("inbox sweep re-enqueued %d notifications", len(ids))
    return len(ids)


@shared_task
def payments_reconcile_sweep_task() -> int:
    """Beat: query providers about payments pending over ten minutes, and submit again
    refunds still pending after ten minutes."""
    payment_ids = payments.payments_stale_ids(older_than_minutes=10)
    for payment_id in payment_ids:
        send(payment_reconcile_task, payment_id)
    refund_ids = payments.refunds_stale_ids(older_than_minutes=10)
    for refund_id in refund_ids:
        send(refund_submit_task, refund_id)
    return len(payment_ids) + len(refund_ids)


@shared_task(acks_late=True, time_limit=240, soft_time_limit=200, ignore_result=True)
def orders_expire_task() -> int:
    """Beat, every minute. Idempotent; a run that dies midway is finished by the next."""
    return services.orders_expire_overdue()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def orders_complete_task() -> int:
    """Beat: delivered orders complete after ``RETURN_WINDOW_DAYS`` and credit the ledger."""
    return services.orders_complete_due()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, ignore_result=True)
def teams_fail_overdue_task() -> dict:
    """Beat: teams past their deadline fail and their paid members are refunded, each
    once, however long the beat was stopped. Idempotent; safe to overlap."""
    from .services.groupbuy import teams_fail_overdue

    return teams_fail_overdue()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=5, max_retries=8)
def wholesale_invoices_task() -> int:
    """Beat: every delivered purchase order gets its invoice (idempotent)."""
    from .services.wholesale import wholesale_invoices_issue_due

    return wholesale_invoices_issue_due()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, ignore_result=True)
def contract_deliveries_task() -> dict:
    """Beat: every due delivery of a wholesale contract placed through checkout, each
    exactly once however long the beat was stopped; short ones wait and are tried on
    the next run. Idempotent; safe to overlap."""
    from .services.contracts import contract_deliveries_sweep

    return contract_deliveries_sweep()


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=2, retry_jitter=True, max_retries=5)
def order_receipt_task(order_id: int) -> None:
    """The buyer's receipt of a new order (once per order, however often this runs)."""
    services.buyer_tell_placed(order_id=order_id)
