"""Broker outage: with Redis (broker *and* cache) stopped, checkout still creates orders,
payment callbacks are still stored and answered, and every failed enqueue is caught,
logged and counted. When Redis returns, the beat sweepers apply every stored
notification and start every missed fulfilment: nothing lost, nothing applied twice.

Design (ARCHITECTURE.md's inbox sweep, not an outbox table): the database is the
source of truth. A callback is stored in the payments inbox before it is answered;
an order that became paid is visible as ``paid`` without shipments. So a message the
broker never took is re-derived from the rows by ``payments_inbox_sweep_task`` and
``shipments_sweep_task``, and every task is idempotent, so a message sent twice (once
by the request, once by a sweep) changes nothing the second time.

The Redis here is a private ``redis-server`` on a free port that the test stops and
starts; the shared one is never touched.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from fulfilment.models import Shipment
from lifecycle import services as flows
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import InboxStatus, LedgerKind
from payments.models import LedgerEntry, Payment, PaymentNotification
from storefront.celery import app
from storefront.queue import send
from tests.factories import make_manager, make_product
from tests.payments.signers import sandbox_body, sandbox_headers

from .conftest import point_celery_at, restore_celery, wait_for

pytestmark = [
    pytest.mark.resilience,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

QUEUES = ["payments", "fulfilment", "default"]


@pytest.fixture
def redis_everywhere(private_redis, settings):
    """Broker and cache both on the private Redis, as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": "farmgate",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    saved = point_celery_at(private_redis.url, eager=False)
    try:
        yield private_redis
    finally:
        restore_celery(saved)


def _checkout(client, variant, address) -> dict:
    response = client.post(
        "/api/v1/orders/",
        {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": address},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _pay_sandbox(client, number: str) -> Payment:
    response = client.post(
        f"/api/v1/orders/{number}/payments/", {"provider": "sandbox"}, format="json"
    )
    assert response.status_code == 201, response.content
    return Payment.objects.get(out_trade_no=response.json()["out_trade_no"])


def _notify(payment: Payment) -> int:
    body = sandbox_body(payment.out_trade_no, f"{payment.amount}", id=f"evt-{payment.pk}")
    response = APIClient().post(
        "/api/v1/payments/callbacks/sandbox/",
        data=body,
        content_type="application/json",
        **sandbox_headers(body),
    )
    return response.status_code


def test_nothing_is_lost_or_applied_twice_across_a_broker_outage(
    redis_everywhere, buyer, address, caplog
):
    caplog.set_level(logging.INFO)
    variant = make_product(stock=10, price="20.00").variants.get()
    manager = make_manager(variant.product.cooperative)
    manager.email = "manager@example.com"
    manager.save()
    client = APIClient()
    client.force_authenticate(buyer)
    order_a = _checkout(client, variant, address)  # broker up: a normal order
    payment_a = _pay_sandbox(client, order_a["number"])

    redis_everywhere.stop()  # ---------------------------------------- outage

    started = time.monotonic()
    assert client.get("/api/v1/products/").status_code == 200  # catalogue from the database
    order_b = _checkout(client, variant, address)  # checkout still works
    payment_b = _pay_sandbox(client, order_b["number"])
    assert _notify(payment_a) == 204  # callbacks still stored and answered
    assert _notify(payment_a) == 204  # a provider's duplicate: stored once
    assert time.monotonic() - started < 30  # enqueueing gave up quickly every time

    # The worker had already taken payment B's notification when the broker fell: it
    # applies it, but cannot send the fulfilment step that follows.
    inbox_b = PaymentNotification.objects.create(
        provider="sandbox",
        event_id="evt-during-outage",
        kind="payment",
        event_status="succeeded",
        out_trade_no=payment_b.out_trade_no,
        amount=payment_b.amount,
        payment=payment_b,
    )
    flows.payment_notification_apply(inbox_id=inbox_b.pk)
    assert Order.objects.get(number=order_b["number"]).status == OrderStatus.PAID

    failed = [r.getMessage() for r in caplog.records if "could not enqueue" in r.getMessage()]
    assert any("payment_notification_apply_task" in m for m in failed), failed
    assert any("shipments_create_task" in m for m in failed), failed
    counted = [r.getMessage() for r in caplog.records if r.name == "farmgate.metrics"]
    assert "metric enqueue_failed +1" in counted
    inbox_a = PaymentNotification.objects.get(payment=payment_a)
    assert inbox_a.status == InboxStatus.RECEIVED  # stored, not yet applied
    assert not Shipment.objects.exists()

    redis_everywhere.start()  # ------------------------------------- recovery
    point_celery_at(None, eager=False)
    with app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_purge(queue)
    # The sweeps only pick up work older than a minute (a fresh row is still in flight).
    PaymentNotification.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    Order.objects.filter(status=OrderStatus.PAID).update(
        paid_at=timezone.now() - timedelta(minutes=5)
    )

    from celery.contrib.testing.worker import start_worker

    from fulfilment.tasks import shipments_sweep_task
    from lifecycle.tasks import payments_inbox_sweep_task

    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=QUEUES, loglevel="WARNING"
    ):
        # What beat sends every minute or two.
        assert send(payments_inbox_sweep_task)
        assert send(shipments_sweep_task)
        for number in (order_a["number"], order_b["number"]):
            wait_for(
                lambda number=number: (
                    Shipment.objects.filter(order__number=number, packing_slip__gt="").count() == 1
                ),
                what=f"fulfilment of {number}",
            )
        # A second round of sweeps finds nothing left to do.
        assert payments_inbox_sweep_task.apply().get() == 0
        assert shipments_sweep_task.apply().get() == 0

    for number in (order_a["number"], order_b["number"]):
        assert Order.objects.get(number=number).status == OrderStatus.PAID
    assert PaymentNotification.objects.count() == 2  # the duplicate callback stored once
    assert set(PaymentNotification.objects.values_list("status", flat=True)) == {
        InboxStatus.APPLIED
    }
    # Each order's sale is in the ledger exactly once: its entries add up to its total.
    for number in (order_a["number"], order_b["number"]):
        order = Order.objects.get(number=number)
        sales = LedgerEntry.objects.filter(order=order, kind=LedgerKind.SALE)
        assert sales.count() == 1
        assert sales.get().amount == order.total
    assert Shipment.objects.count() == 2
    connection.close()
