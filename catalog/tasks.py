"""Celery tasks of the catalogue (``media`` queue). Thin: each calls one service."""

from celery import shared_task

from . import services


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def product_image_thumbnail_task(self, image_id: int) -> bool:
    return services.product_image_render_thumbnail(image_id=image_id)


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def stock_low_check_task(movement_ids: list[int]) -> int:
    """After a sale commits: tell farmers whose sizes crossed their low-stock threshold."""
    from .news import stock_tell_low

    return stock_tell_low(movement_ids=movement_ids)
