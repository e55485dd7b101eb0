"""Checkout under real concurrency (PostgreSQL row locks; skipped on SQLite outside CI)."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Variant
from lifecycle import services as flows
from orders import services
from orders.exceptions import InsufficientStock
from orders.models import Order
from tests.concurrency import run_together
from tests.factories import ADDRESS, make_product, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_forty_buyers_ten_units(client_for):
    variant = make_product(stock=10).variants.get()
    buyers = [make_user() for _ in range(40)]
    clients = [client_for(user) for user in buyers]
    body = {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": ADDRESS}

    responses = run_together(40, lambda i: clients[i].post("/api/v1/orders/", body, format="json"))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 10
    assert statuses.count(409) == 30
    assert all(
        r.json()["error"]["code"] == "insufficient_stock" for r in responses if r.status_code == 409
    )
    variant.refresh_from_db()
    assert variant.stock == 0
    assert Order.objects.count() == 10


def test_twenty_requests_one_idempotency_key(client_for):
    variant = make_product(stock=5).variants.get()
    user = make_user()
    clients = [client_for(user) for _ in range(20)]  # one client per thread, one user
    body = {"lines": [{"variant": variant.pk, "quantity": 2}], "shipping_address": ADDRESS}

    responses = run_together(
        20,
        lambda i: clients[i].post(
            "/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
        ),
    )
    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["number"] for r in responses}) == 1
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 3


def test_opposite_line_orders_do_not_deadlock():
    a = make_product(stock=1000).variants.get()
    b = make_product(stock=1000).variants.get()
    users = [make_user() for _ in range(10)]

    def place(i):
        pairs = [(a, b), (b, a)][i % 2]
        return services.order_place(
            user=users[i],
            shipping_address=ADDRESS,
            lines=[{"variant": v.pk, "quantity": 3} for v in pairs],
        )

    results = run_together(10, place)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert Order.objects.count() == 10
    assert Variant.objects.get(pk=a.pk).stock == 970
    assert Variant.objects.get(pk=b.pk).stock == 970


def test_concurrent_expiry_and_cancel_return_stock_once():
    from datetime import timedelta

    from django.utils import timezone

    variant = make_product(stock=10).variants.get()
    user = make_user()
    orders = [
        services.order_place(
            user=user, shipping_address=ADDRESS, lines=[{"variant": variant.pk, "quantity": 1}]
        )[0]
        for _ in range(5)
    ]
    Order.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    def work(i):
        if i < 3:
            return flows.orders_expire_overdue()
        for order in orders:
            try:
                flows.order_cancel(order=order)
            except Exception:  # noqa: S112 - another thread got there first
                continue
        return None

    run_together(6, work)
    variant.refresh_from_db()
    assert variant.stock == 10
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    assert connection.vendor == "postgresql"
    with pytest.raises(InsufficientStock):
        services.order_place(
            user=user, shipping_address=ADDRESS, lines=[{"variant": variant.pk, "quantity": 11}]
        )
