"""Celery tasks of the orders app (``default`` queue). Thin: each calls one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=240, soft_time_limit=200, ignore_result=True)
def orders_expire_task() -> int:
    """Beat, every minute. Idempotent; a run that dies midway is finished by the next."""
    return services.orders_expire_overdue()
