"""The whole pipeline on real Celery workers, PostgreSQL and Redis."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from fulfilment import services, tasks
from fulfilment.models import Shipment, ShipmentLine, TrackingEvent
from lifecycle import tasks as lifecycle_tasks
from orders.constants import OrderStatus
from orders.models import Order
from storefront.celery import app
from storefront.queue import send, send_on_commit
from tests.factories import balances, make_carriers, make_manager, make_two_coop_order, record_sale

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(__file__).resolve().parents[2]


def wait_for(condition, *, timeout: float = 30, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or condition}")


@pytest.fixture
def redis_broker():
    """Point the Celery app at Redis (tests otherwise run tasks eagerly) and purge it."""
    saved = {
        k: app.conf[k] for k in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    app.conf.update(
        broker_url=os.environ["REDIS_URL"],
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    _reset_pools()
    with app.connection_for_write() as conn:
        for queue in ("fulfilment", "default"):
            conn.default_channel.queue_purge(queue) if _exists(conn, queue) else None
        conn.default_channel.client.delete("unacked", "unacked_index")
    yield app
    app.conf.update(saved)
    _reset_pools()


def _reset_pools():
    # Earlier tests published through the in-memory broker: drop those cached pools.
    app._pool = None
    app.amqp._producer_pool = None


def _exists(conn, queue: str) -> bool:
    try:
        conn.default_channel.queue_declare(queue, passive=True)
        return True
    except Exception:
        return False


@pytest.fixture
def worker(redis_broker):
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        redis_broker,
        queues=["fulfilment", "default"],
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
    ):
        yield


def _with_manager_emails(*coops):
    for coop in coops:
        m = make_manager(coop)
        m.email = f"{m.username}@example.com"
        m.save()


def test_paid_order_to_completed_with_a_real_worker(worker, settings):
    settings.RETURN_WINDOW_DAYS = 7
    make_carriers()
    order, coop_a, coop_b = make_two_coop_order()
    order.user.email = "buyer@example.com"
    order.user.save()
    _with_manager_emails(coop_a, coop_b)
    record_sale(order)
    mail.outbox.clear()

    # What the payments app does when the order becomes paid.
    from django.db import transaction

    with transaction.atomic():
        send_on_commit(tasks.shipments_create_task, order.pk)

    # paid → two shipments → one e-mail per cooperative → a slip per shipment
    wait_for(lambda: Shipment.objects.filter(order=order).count() == 2, what="shipments")
    wait_for(lambda: len(mail.outbox) == 2, what="manager e-mails")
    managers = {
        m.user.email for coop in (coop_a, coop_b) for m in coop.memberships.select_related("user")
    }
    assert {m.to[0] for m in mail.outbox} == managers
    assert all(order.number in m.subject for m in mail.outbox)
    wait_for(
        lambda: not Shipment.objects.filter(order=order, packing_slip="").exists(), what="slips"
    )
    for shipment in Shipment.objects.filter(order=order):
        with shipment.packing_slip.open("rb") as f:
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages)
        assert order.number in text

    # shipped → the buyer's e-mail with the tracking link
    a, b = Shipment.objects.filter(order=order).order_by("pk")
    services.shipment_mark_shipped(shipment_id=a.pk, carrier="sf", tracking_number="SF5550000001")
    services.shipment_mark_shipped(shipment_id=b.pk, carrier="jd", tracking_number="JD5550000002")
    wait_for(lambda: len(mail.outbox) == 4, what="buyer e-mails")
    buyer_mails = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert any("SF5550000001" in m.body for m in buyer_mails)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED

    # delivered (the buyer confirms) → completed by the beat task → ledger available
    services.shipments_mark_delivered_for_order(order=order, by="buyer")
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=8))
    assert send(lifecycle_tasks.orders_complete_task)
    wait_for(
        lambda: Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED, what="completion"
    )
    for coop in (coop_a, coop_b):
        wait_for(lambda coop=coop: balances(coop).get("available", 0) > 0, what="ledger")
        assert balances(coop)["pending"] == 0


def _worker_env(pause: float) -> dict:
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    url = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host}:{port}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.fulfilment.worker_settings",
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "FULFILMENT_TEST_PAUSE": str(pause),
        "FULFILMENT_TEST_VISIBILITY": "3",
        "PYTHONPATH": str(BASE_DIR),
    }


def _start_worker_process(pause: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.fulfilment.worker_app",
            "worker",
            "-Q",
            "fulfilment",
            "-c",
            "1",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=BASE_DIR,
        env=_worker_env(pause),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool child, as a crash would
        proc.wait(timeout=10)


def test_a_worker_killed_mid_task_redelivers_and_the_result_is_the_same(redis_broker):
    make_carriers()
    order, *_ = make_two_coop_order()
    redis = redis_broker.connection_for_write().default_channel.client

    first = _start_worker_process(pause=30)
    second = None
    try:
        assert send(tasks.shipments_create_task, order.pk)
        # The task did its work and committed, and sits unacknowledged (acks_late)...
        wait_for(lambda: Shipment.objects.filter(order=order).count() == 2, what="first run")
        wait_for(lambda: redis.hlen("unacked") >= 1, what="unacked message")
        _kill(first)  # ...when the worker dies.
        assert redis.hlen("unacked") >= 1
        created = list(Shipment.objects.filter(order=order).values_list("pk", flat=True))

        second = _start_worker_process(pause=0)
        # Redis hands the unacknowledged message to the new worker after the
        # visibility timeout; it runs the task again, then the slip/notify tasks.
        wait_for(lambda: redis.hlen("unacked") == 0, timeout=60, what="redelivery")
        wait_for(
            lambda: not Shipment.objects.filter(order=order, packing_slip="").exists(),
            timeout=60,
            what="slips after redelivery",
        )
    finally:
        _kill(first)
        if second is not None:
            _kill(second)
    assert list(Shipment.objects.filter(order=order).values_list("pk", flat=True)) == created
    assert ShipmentLine.objects.filter(shipment__order=order).count() == 2
    assert TrackingEvent.objects.filter(shipment__order=order).count() == 2
    slips = sorted(Path(settings.MEDIA_ROOT, "packing-slips").glob(f"{order.number}-*"))
    assert len(slips) == 2  # one file per shipment: the rerun overwrote nothing extra
    connection.close()
