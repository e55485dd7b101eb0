"""The Celery app, configured from Django settings (``CELERY_`` namespace).

Also the worker side of observability: Django's ``LOGGING`` is kept (JSON lines with
the request id that enqueued the task), every finished task is counted by name and
outcome, and the queue lengths are a gauge of ``/metrics``.
"""

import logging.config
import os

from celery import Celery, signals
from kombu import Queue

from . import logs, metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings.local")

from django.conf import settings

# One list of queues, in settings: routes, workers and the deploy files are checked against it.
QUEUES = tuple(settings.CELERY_TASK_QUEUES_NAMES)

app = Celery("storefront")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Separate queues so that a burst of thumbnails never delays a payment.
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()
# The sandbox wallet is a subpackage of payments with tasks of its own.
app.autodiscover_tasks(["payments.sandbox"])


@signals.setup_logging.connect
def _django_logging(loglevel=None, **kwargs) -> None:
    # Connected, so Celery leaves the root logger alone: workers log like the web (JSON,
    # request ids), at the level of the command's --loglevel when it gives one.
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@signals.before_task_publish.connect
def _stamp_request_id(headers=None, **kwargs) -> None:
    logs.add_request_id_header(headers)


_contexts: dict[str, tuple] = {}


@signals.task_prerun.connect
def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    _contexts[task_id] = logs.task_context_enter(task, task_id)
    metrics.task_started(task_id)


@signals.task_postrun.connect
def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    metrics.task_finished(task_id, getattr(task, "name", "unknown"), state)
    logs.task_context_exit(_contexts.pop(task_id, None))


@metrics.gauge_at_scrape(
    "farmgate_celery_queue_length", "Messages waiting in each Celery queue.", ["queue"]
)
def _queue_lengths() -> dict[tuple[str, ...], float]:
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        channel = conn.default_channel
        # A plain declare answers the count without side effects on Redis and the
        # filesystem broker (a passive one refuses a queue that is empty on Redis).
        return {(name,): channel.queue_declare(queue=name).message_count for name in QUEUES}
