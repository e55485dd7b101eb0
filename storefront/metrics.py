"""Prometheus metrics: what the code counts, HTTP requests, Celery tasks, and gauges
computed when ``/metrics`` is scraped.

``incr(name)`` is how the code counts an event (a forged callback, a failed enqueue …).
The name's first part is the event, the rest its detail:
``incr("payment_notification_rejected:alipay:bad_signature")`` adds one to
``farmgate_events_total{event="payment_notification_rejected",detail="alipay:bad_signature"}``
and writes the log line ``metric payment_notification_rejected:alipay:bad_signature +1``.
Counting is local to the process (no network round trip), so it never fails a request.

Multiprocess mode: when ``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py, the
Procfiles, compose.yaml and ``make run`` set it), every process — each gunicorn
worker, each Celery worker process, beat — writes its values to files there, and
``/metrics`` on any web worker adds up every process on the host that shares the
folder. Without it (tests, a shell) the values are the process's own.

Gauges that describe the state of the shop (queue lengths, unapplied payment
notifications …) are not kept anywhere: each app registers a function with
``gauge_at_scrape`` and it is called at each scrape. A failing one is left out of
that scrape and marked ``farmgate_scrape_gauge_up{gauge=...} 0``; the others still
answer.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger("farmgate.metrics")

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def process_identifier() -> str:
    """Names this process's files. Containers that share one metrics volume all have
    pids 1, 7, …: the host name (the container id) keeps their files apart."""
    return f"{socket.gethostname()}-{os.getpid()}".replace("_", "-")


# The *_created series double the output and no rule here uses them.
disable_created_metrics()
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    # Must be in place before the first metric is created below.
    values.ValueClass = values.MultiProcessValue(process_identifier)

EVENTS = Counter(
    "farmgate_events",
    "Events the code counts with storefront.metrics.incr, by event and detail.",
    ["event", "detail"],
)
HTTP_REQUESTS = Counter(
    "farmgate_http_requests",
    "HTTP requests answered, by route (the URL pattern's name), method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "farmgate_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASKS = Counter(
    "farmgate_celery_tasks",
    "Celery tasks run, by task name and outcome (success, failure, retry, ...).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "farmgate_celery_task_duration_seconds",
    "Run time of a Celery task, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 240.0),
)
PAGE_CACHE = Counter(
    "farmgate_page_cache_lookups",
    "Catalogue page cache lookups, by result (hit or miss).",
    ["result"],
)


def incr(name: str, amount: int = 1) -> None:
    """Count an event; ``name`` is ``event`` or ``event:detail`` (see the module doc)."""
    event, _, detail = name.partition(":")
    try:
        EVENTS.labels(event=event, detail=detail).inc(amount)
    except Exception:  # a full disk under the metrics folder must not fail the caller
        logger.debug("metric %s not counted", name, exc_info=True)
    logger.info("metric %s +%d", name, amount)


def get(name: str) -> int:
    """This process's count of ``name`` (``event`` or ``event:detail``): for tests."""
    event, _, detail = name.partition(":")
    for metric in EVENTS.collect():
        for sample in metric.samples:
            if (
                sample.name == "farmgate_events_total"
                and sample.labels.get("event") == event
                and sample.labels.get("detail") == detail
            ):
                return int(sample.value)
    return 0


def reset_for_tests() -> None:
    """Forget this process's event counts (tests start each from zero)."""
    EVENTS.clear()


def page_cache_lookup(*, hit: bool) -> None:
    try:
        PAGE_CACHE.labels(result="hit" if hit else "miss").inc()
    except Exception:
        logger.debug("page cache lookup not counted", exc_info=True)


# --- Celery tasks ---------------------------------------------------------------
_task_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _task_started[task_id] = time.monotonic()


def task_finished(task_id: str, task_name: str, state: str | None) -> None:
    """Count a finished run by its outcome: Celery's final state, lower-cased."""
    started = _task_started.pop(task_id, None)
    try:
        TASKS.labels(task=task_name, outcome=(state or "unknown").lower()).inc()
        if started is not None:
            TASK_DURATION.labels(task=task_name).observe(time.monotonic() - started)
    except Exception:
        logger.debug("task %s not counted", task_name, exc_info=True)


# --- gauges computed at scrape time ------------------------------------------------
GaugeValue = float | Mapping[tuple[str, ...], float]
_SCRAPE_GAUGES: dict[str, tuple[str, tuple[str, ...], Callable[[], GaugeValue]]] = {}


def gauge_at_scrape(
    name: str, documentation: str, labelnames: Iterable[str] = ()
) -> Callable[[Callable[[], GaugeValue]], Callable[[], GaugeValue]]:
    """Register ``func`` to be called at each scrape. It returns a number, or with
    ``labelnames`` a mapping of label-value tuples to numbers."""

    def register(func: Callable[[], GaugeValue]) -> Callable[[], GaugeValue]:
        _SCRAPE_GAUGES[name] = (documentation, tuple(labelnames), func)
        return func

    return register


def _scrape_gauges(collected: list[Metric]) -> Iterable[Metric]:
    up = GaugeMetricFamily(
        "farmgate_scrape_gauge_up",
        "1 when the gauge could be computed at this scrape, 0 when it failed.",
        labels=["gauge"],
    )
    for name, (documentation, labelnames, func) in sorted(_SCRAPE_GAUGES.items()):
        try:
            value = func()
        except Exception:
            logger.warning("metrics: gauge %s could not be computed", name, exc_info=True)
            up.add_metric([name], 0)
            continue
        up.add_metric([name], 1)
        family = GaugeMetricFamily(name, documentation, labels=list(labelnames))
        if labelnames:
            for label_values, number in sorted(value.items()):  # type: ignore[union-attr]
                family.add_metric(list(label_values), number)
        else:
            family.add_metric([], value)  # type: ignore[arg-type]
        yield family
    yield up
    # The page cache's hit ratio since the processes started, from the counters of
    # every process (rate-based ratios belong in PromQL; this one needs no query).
    lookups = {"hit": 0.0, "miss": 0.0}
    for metric in collected:
        if metric.name == "farmgate_page_cache_lookups":
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    lookups[sample.labels["result"]] += sample.value
    ratio = GaugeMetricFamily(
        "farmgate_page_cache_hit_ratio",
        "Share of catalogue page cache lookups that were hits, since the processes started.",
    )
    total = lookups["hit"] + lookups["miss"]
    ratio.add_metric([], lookups["hit"] / total if total else 0.0)
    yield ratio


class _Collected:
    def __init__(self, metrics: list[Metric]):
        self._metrics = metrics

    def collect(self) -> list[Metric]:
        return self._metrics


def exposition() -> bytes:
    """The text every scrape gets: all processes' counters and histograms, then gauges."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    collected = list(registry.collect())
    return generate_latest(_Collected(collected + list(_scrape_gauges(collected))))


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit: drop the live-gauge files of a worker that exited."""
    if MULTIPROC_DIR:
        identifier = f"{socket.gethostname()}-{pid}".replace("_", "-")
        multiprocess.mark_process_dead(identifier, MULTIPROC_DIR)
