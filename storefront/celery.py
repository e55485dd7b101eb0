"""The Celery app, configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings.local")

app = Celery("storefront")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Separate queues so that a burst of thumbnails never delays a payment.
app.conf.task_queues = [
    Queue(name) for name in ("default", "payments", "fulfilment", "media", "reports")
]
app.autodiscover_tasks()
