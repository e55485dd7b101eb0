"""/metrics: requests by route and status with latency histograms, tasks by name and
outcome, the events the code counts, the gauges computed at scrape time, who may read
it, and (multiprocess mode) a Celery worker's counts in the web's scrape."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from payments.constants import InboxStatus
from payments.models import PaymentNotification
from storefront import metrics
from tests.factories import make_product

from .helpers import send_in_request

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-" + "x" * 30


def samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    found = [
        s.value
        for s in samples(text)
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(found)


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_requests_are_counted_by_route_and_status_with_latency(client):
    product = make_product()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get(f"/api/v1/products/{product.slug}/").status_code == 200
    assert client.get("/api/v1/products/no-such-product/").status_code == 404
    assert client.get("/no/such/page/at/all/").status_code == 404
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("farmgate_http_requests_total", route="healthz", method="GET", status="200") == 3
    # The route is the URL pattern's name, the same for every product: never the path.
    detail = [
        s.labels["route"]
        for s in samples(after)
        if s.name == "farmgate_http_requests_total" and s.labels["status"] == "404"
    ]
    assert "unmatched" in detail
    assert not any(product.slug in s.labels.get("route", "") for s in samples(after))
    assert not any("no-such" in s.labels.get("route", "") for s in samples(after))
    assert delta("farmgate_http_request_duration_seconds_count", route="healthz") == 3
    assert delta("farmgate_http_request_duration_seconds_bucket", route="healthz", le="+Inf") == 3
    routes = {s.labels["route"] for s in samples(after) if s.name.startswith("farmgate_http")}
    assert any(r.startswith("api-product") or "product" in r for r in routes - {"unmatched"})


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_tasks_events_and_page_cache_are_counted(client):
    from lifecycle.tasks import orders_expire_task

    before = scrape(client)
    orders_expire_task.delay()  # eager in tests: the same signals as in a worker
    metrics.incr("payment_notification_rejected:alipay:bad_signature")
    make_product()
    client.get("/api/v1/products/")  # a miss, then a hit
    client.get("/api/v1/products/")
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert (
        delta(
            "farmgate_celery_tasks_total",
            task="lifecycle.tasks.orders_expire_task",
            outcome="success",
        )
        == 1
    )
    assert delta("farmgate_celery_task_duration_seconds_count") >= 1
    assert (
        delta(
            "farmgate_events_total",
            event="payment_notification_rejected",
            detail="alipay:bad_signature",
        )
        == 1
    )
    assert delta("farmgate_page_cache_lookups_total", result="hit") == 1
    assert delta("farmgate_page_cache_lookups_total", result="miss") == 1
    assert 0 < value(after, "farmgate_page_cache_hit_ratio") <= 1


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_gauges_are_computed_at_scrape_time(client):
    text = scrape(client)
    assert value(text, "farmgate_payment_inbox_unapplied") == 0
    assert value(text, "farmgate_payment_inbox_oldest_unapplied_seconds") == 0
    assert value(text, "farmgate_ready", check="database") == 1
    assert value(text, "farmgate_ready", check="broker") == 1
    queues = {s.labels["queue"] for s in samples(text) if s.name == "farmgate_celery_queue_length"}
    assert queues == set(settings.CELERY_TASK_QUEUES_NAMES)
    for gauge in ("farmgate_fulfilment_backlog", "farmgate_payments_pending_overdue"):
        assert value(text, gauge) == 0
        assert value(text, "farmgate_scrape_gauge_up", gauge=gauge) == 1

    row = PaymentNotification.objects.create(
        provider="sandbox",
        event_id="evt-1",
        kind="payment",
        event_status="success",
        out_trade_no="FG-unknown",
        amount=Decimal("10.00"),
        status=InboxStatus.RECEIVED,
    )
    PaymentNotification.objects.filter(pk=row.pk).update(
        received_at=timezone.now() - timedelta(minutes=7)
    )
    text = scrape(client)
    assert value(text, "farmgate_payment_inbox_unapplied") == 1
    assert 415 < value(text, "farmgate_payment_inbox_oldest_unapplied_seconds") < 480


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_a_failing_gauge_is_marked_and_the_rest_still_answer(client, monkeypatch):
    from payments import metrics as payment_metrics

    def broken():
        raise RuntimeError("database gone")

    name = "farmgate_payment_inbox_unapplied"
    documentation, labelnames, _ = metrics._SCRAPE_GAUGES[name]
    monkeypatch.setitem(metrics._SCRAPE_GAUGES, name, (documentation, labelnames, broken))
    text = scrape(client)
    assert value(text, "farmgate_scrape_gauge_up", gauge=name) == 0
    assert not any(s.name == name for s in samples(text))
    assert value(text, "farmgate_ready", check="database") == 1
    assert payment_metrics.inbox_unapplied() == 0


@pytest.mark.django_db
def test_metrics_are_only_for_the_monitoring_network(client):
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_CIDRS=[]):
        assert client.get("/metrics").status_code == 403  # nothing configured: nobody
    with override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_CIDRS=[]):
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403
        ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert ok.status_code == 200
        assert ok["Cache-Control"].startswith("max-age=0")
        assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_CIDRS=["10.1.0.0/16"]):
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403
        # Relayed by the proxy: its address says nothing about the client.
        relayed = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="8.8.8.8")
        assert relayed.status_code == 403


# --- multiprocess: gunicorn workers and a Celery worker add up in one scrape ---------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _test_database_url() -> str:
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _wait(predicate, timeout: float, what: str, logs_of=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    tails = "\n".join(Path(p).read_text()[-3000:] for p in logs_of)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_workers_counts_show_in_the_webs_scrape(tmp_path):
    from storefront.celery import app

    folder = tmp_path / "prometheus"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "storefront.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": _test_database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "FARMGATE_VAR_DIR": str(tmp_path / "var"),
        "METRICS_TOKEN": TOKEN,
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("default")
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "tests.storefront.worker_app", "worker"),
            *("-Q", "default", "-c", "2", "-P", "prefork", "-n", f"metrics-{port}@%h"),
            *("--without-gossip", "--without-mingle", "--loglevel=INFO"),
        ],
        cwd=ROOT,
        env=env,
        stdout=worker_log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "storefront.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"},
        stdout=web_log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    try:

        def web_up():
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(web_up, 60, "gunicorn", [web_log])
        _wait(lambda: b"ready." in worker_log.read_bytes(), 60, "the worker", [worker_log])
        app.conf.update(broker_url=os.environ["REDIS_URL"], task_always_eager=False)
        app._pool = None
        app.amqp._producer_pool = None
        send_in_request(app, "tests.probe_task", "req-multiprocess-0001", queue="default")
        for _ in range(10):
            assert httpx.get(f"{base}/healthz").status_code == 200

        def scraped() -> str:
            answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert answer.status_code == 200, answer.text
            return answer.text

        task = {"task": "tests.probe_task", "outcome": "success"}
        _wait(
            lambda: value(scraped(), "farmgate_celery_tasks_total", **task) == 1,
            30,
            "the worker's task in the web's scrape",
            [worker_log, web_log],
        )
        text = scraped()
        # Counted by the worker's pool process, read by a gunicorn worker: the folder
        # holds several processes' files and the scrape adds them up.
        assert value(text, "farmgate_events_total", event="probe_task", detail="") == 1
        assert value(text, "farmgate_http_requests_total", route="healthz", status="200") >= 10
        assert len({p.name.split("_", 1)[1] for p in folder.glob("counter_*.db")}) >= 2
        assert value(text, "farmgate_ready", check="database") == 1
        # The request id the task was sent with is on the line the task logged.
        probe_lines = [
            line for line in worker_log.read_text().splitlines() if "probe task ran" in line
        ]
        assert probe_lines, worker_log.read_text()[-3000:]
        assert '"request_id": "req-multiprocess-0001"' in probe_lines[0]
        assert '"task": "tests.probe_task"' in probe_lines[0]
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(5)
