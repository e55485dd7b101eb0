"""Against PostgreSQL and a real Celery worker on the Redis broker.

* 20 copies of one notification delivered concurrently: one payment success, one set
  of ledger entries, every copy answered success.
* Two different events for the same payment applied concurrently: the row lock lets
  exactly one of them pay the order.
* End to end over HTTP: order -> sandbox payment (API) -> the wallet page is paid ->
  the wallet task POSTs the notification to the live server -> the worker applies it
  -> the order is paid.
* Two staff creating payouts for one cooperative at once never exceed its balance.
"""

from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

import httpx
import pytest
from django.db import connection
from django.test import Client

from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from orders.models import Order
from orders.services import order_mark_completed, order_mark_delivered, order_mark_shipped
from payments import services
from payments.constants import LedgerKind, PaymentStatus
from payments.exceptions import PayoutInsufficientBalance
from payments.models import LedgerEntry, Payment, PaymentNotification, Payout
from tests.factories import make_cooperative, make_order, make_payment, make_user

from .signers import sandbox_body, sandbox_headers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_fulfilment(monkeypatch):
    # The worker runs in this process, so this also holds inside it.
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def _forget_connections(app) -> None:
    """Drop connections and producers made for the previous broker (as app.close() does
    for the pool; the producer pool is cached separately)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker():
    """A real worker (thread, solo pool) consuming the `payments` queue on Redis."""
    from celery.contrib.testing.worker import start_worker

    from storefront.celery import app

    keys = ("broker_url", "task_always_eager", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=os.environ["REDIS_URL"],
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    _forget_connections(app)
    with app.connection_for_write() as conn:
        for queue in ("payments",):
            conn.default_channel.queue_purge(queue)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=["payments"], loglevel="WARNING"
        ):
            yield app
    finally:
        app.conf.update(saved)
        _forget_connections(app)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def run_threads(target, count):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


@pytest.mark.redis
def test_twenty_concurrent_copies_apply_once(worker):
    payment = make_payment(provider="sandbox")
    body = sandbox_body(payment.out_trade_no, f"{payment.amount}")

    def deliver():
        return (
            Client()
            .post(
                "/api/v1/payments/callbacks/sandbox/",
                data=body,
                content_type="application/json",
                **sandbox_headers(body),
            )
            .status_code
        )

    statuses, errors = run_threads(deliver, 20)
    assert errors == []
    assert statuses == [204] * 20
    assert wait_for(lambda: Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID)
    time.sleep(0.5)  # let any stray duplicate task finish before counting
    assert PaymentNotification.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1
    assert sum(e.amount for e in LedgerEntry.objects.filter(kind=LedgerKind.SALE)) == payment.amount


def test_two_events_for_one_payment_race_on_the_row_lock():
    payment = make_payment(provider="sandbox")
    inbox_ids = [
        PaymentNotification.objects.create(
            provider="sandbox",
            event_id=event,
            kind="payment",
            event_status="succeeded",
            out_trade_no=payment.out_trade_no,
            amount=payment.amount,
        ).pk
        for event in ("evt_notify", f"query:succeeded:{payment.out_trade_no}")
    ]
    ids = iter(inbox_ids)
    lock = threading.Lock()

    def apply():
        with lock:
            inbox_id = next(ids)
        return flows.payment_notification_apply(inbox_id=inbox_id).reason

    reasons, errors = run_threads(apply, 2)
    assert errors == []
    assert sorted(reasons) == ["no change: payment already succeeded", "order paid"]
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1


def test_two_staff_paying_out_at_once_never_exceed_the_balance():
    coop = make_cooperative()
    staff = make_user(is_platform_staff=True)
    order = make_order(parts=[(coop, [("80.00", 1)], "0.00")])
    payment = make_payment(order=order)
    inbox = PaymentNotification.objects.create(
        provider="sandbox",
        event_id="e1",
        kind="payment",
        event_status="succeeded",
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
    )
    flows.payment_notification_apply(inbox_id=inbox.pk)
    for step in (order_mark_shipped, order_mark_delivered, order_mark_completed):
        step(order=order)
    services.ledger_release_for_order(order=order)

    def pay_out():
        return services.payout_create(
            cooperative=coop, created_by=staff, amount=Decimal("50.00")
        ).amount

    amounts, errors = run_threads(pay_out, 2)
    assert amounts == [Decimal("50.00")]
    assert [type(e) for e in errors] == [PayoutInsufficientBalance]
    assert Payout.objects.count() == 1
    from payments.selectors import cooperative_balance

    assert cooperative_balance(cooperative=coop)["available"] == Decimal("30.00")


@pytest.mark.redis
def test_end_to_end_sandbox_payment_over_http(worker, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SANDBOX_WALLET_DUPLICATE_RATE = 1.0  # the wallet delivers twice, as providers may
    buyer = make_user()
    order = make_order(user=buyer)
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=buyer).key
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        started = http.post(
            f"/api/v1/orders/{order.number}/payments/",
            json={"provider": "sandbox"},
            headers={"Authorization": f"Token {token}"},
        )
        assert started.status_code == 201, started.text
        pay_url = started.json()["client_payload"]["pay_url"]
        assert pay_url.startswith(live_server.url)
        page = http.get(pay_url)
        assert page.status_code == 200
        paid = http.post(
            pay_url,
            data={"csrfmiddlewaretoken": page.cookies["csrftoken"]},
            headers={"Referer": pay_url},
        )
        assert paid.status_code == 302
    assert wait_for(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.PAID)
    assert wait_for(lambda: PaymentNotification.objects.count() == 1)
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1
