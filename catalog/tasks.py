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
