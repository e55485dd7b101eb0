"""Worker death: a worker SIGKILLed in the middle of ``payment_notification_apply_task``
or ``shipments_create_task`` loses nothing and does nothing twice.

A real ``celery worker`` subprocess (prefork, one child) on a private Redis and the
test's PostgreSQL database pauses at a chosen point (see ``worker_app.py``) and is
killed there, in two ways:

* ``child``: only the pool process dies; the worker sees ``WorkerLostError`` and, with
  ``reject_on_worker_lost``, puts the message back at once;
* ``worker``: the whole worker dies (a host crash); the message stays unacknowledged
  (``acks_late``) and Redis hands it to the next worker after the visibility timeout.

Either way the task runs again, and the final state is what one clean run gives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from fulfilment.models import Shipment, ShipmentLine, TrackingEvent
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import InboxStatus, LedgerKind, PaymentStatus
from payments.models import LedgerEntry, Payment, PaymentNotification
from storefront.celery import app
from storefront.queue import send
from tests.factories import make_order, make_payment

from .conftest import point_celery_at, restore_celery, wait_for

pytestmark = [
    pytest.mark.resilience,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker(private_redis):
    saved = point_celery_at(private_redis.url, eager=False)
    try:
        yield private_redis
    finally:
        restore_celery(saved)


class Worker:
    def __init__(self, redis_url: str, queue: str, pause: str, marker: Path) -> None:
        self.log = open(marker.with_name(f"worker-{os.getpid()}-{id(self)}.log"), "wb")  # noqa: SIM115
        db = settings.DATABASES["default"]
        url = (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "RESIL_PAUSE": pause,
            "RESIL_MARKER": str(marker),
            "RESIL_VISIBILITY_TIMEOUT": "3",
            "PYTHONPATH": str(BASE_DIR),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.resilience.worker_app",
                "worker",
                "-Q",
                queue,
                "-c",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the worker and its pool child
            self.proc.wait(timeout=10)
        self.log.close()


def _run_killed(broker, tmp_path, *, queue: str, pause: str, kill: str, task, task_id: int, done):
    """Send the task, kill the worker at ``pause`` the way ``kill`` says, let it rerun.

    Waits until ``done()`` holds (the work is in the database) and the broker holds no
    message: the broker alone can look empty for an instant while a rejected message
    moves from "unacked" back to its queue.
    """
    marker = tmp_path / "paused"
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    workers = [Worker(broker.url, queue, pause, marker)]
    try:
        assert send(task, task_id)
        wait_for(marker.exists, what=f"the worker to reach {pause}")
        child_pid = int(wait_for(lambda: marker.read_text().strip(), what="the child pid"))
        if kill == "child":
            os.kill(child_pid, signal.SIGKILL)
        else:
            workers[0].kill()
            workers.append(Worker(broker.url, queue, pause, marker))
        redis = broker_client(broker)
        wait_for(
            lambda: done() and redis.hlen("unacked") == 0 and redis.llen(queue) == 0,
            timeout=60,
            what="the message to be redelivered and acknowledged",
        )
    finally:
        for worker in workers:
            worker.kill()
        for log in sorted(tmp_path.glob("worker-*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
    connection.close()


def broker_client(broker):
    import redis

    return redis.Redis.from_url(broker.url)


def _paid_notification():
    payment = make_payment(provider="sandbox")
    inbox = PaymentNotification.objects.create(
        provider="sandbox",
        event_id="evt-kill",
        kind="payment",
        event_status="succeeded",
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        payment=payment,
    )
    return payment, inbox


@pytest.mark.parametrize(
    ("pause", "kill"),
    [("in_transaction", "child"), ("after_commit", "worker")],
)
def test_payment_apply_survives_a_killed_worker(broker, tmp_path, pause, kill):
    from lifecycle.tasks import payment_notification_apply_task

    payment, inbox = _paid_notification()
    _run_killed(
        broker,
        tmp_path,
        queue="payments",
        pause=f"payment:{pause}",
        kill=kill,
        task=payment_notification_apply_task,
        task_id=inbox.pk,
        done=lambda: PaymentNotification.objects.filter(
            pk=inbox.pk, status=InboxStatus.APPLIED
        ).exists(),
    )
    inbox.refresh_from_db()
    assert inbox.status == InboxStatus.APPLIED
    assert inbox.reason == "order paid"  # the rerun found the work undone, or done
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    sales = LedgerEntry.objects.filter(order_id=payment.order_id, kind=LedgerKind.SALE)
    assert [e.amount for e in sales] == [payment.amount]  # one sale, not two
    order_events = Order.objects.get(pk=payment.order_id).events.filter(to_status="paid")
    assert order_events.count() == 1


@pytest.mark.parametrize(
    ("pause", "kill"),
    [("in_transaction", "worker"), ("after_commit", "child")],
)
def test_shipment_creation_survives_a_killed_worker(broker, tmp_path, pause, kill):
    from fulfilment.tasks import shipments_create_task

    order = make_order(status=OrderStatus.PAID)
    _run_killed(
        broker,
        tmp_path,
        queue="fulfilment",
        pause=f"shipment:{pause}",
        kill=kill,
        task=shipments_create_task,
        task_id=order.pk,
        done=lambda: Shipment.objects.filter(order=order).exists(),
    )
    shipments = Shipment.objects.filter(order=order)
    assert shipments.count() == 1  # one cooperative, one shipment, however many runs
    assert ShipmentLine.objects.filter(shipment__order=order).count() == order.lines.count()
    assert TrackingEvent.objects.filter(shipment__order=order).count() == 1
