"""lifecycle.services.extensions: on_unpaid_release runs once per unpaid cancellation
(buyer's cancel or expiry), inside its transaction, with the stock given back."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Variant
from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from lifecycle.services.extensions import off_unpaid_release, on_unpaid_release
from orders.constants import OrderStatus
from orders.exceptions import OrderInvalidState
from orders.models import Order
from orders.services import PlacementPlan
from tests.concurrency import run_together
from tests.factories import ADDRESS, assert_stock_ledger_consistent, make_product, make_user


class Recorder:
    def __init__(self):
        self.calls: list[tuple[int, str, bool, int]] = []
        self.lock = threading.Lock()
        self.raise_next = False

    def __call__(self, order):
        # What the callback sees: the locked order, already cancelled, its stock not back
        # yet (features' rows are given back before the variants are locked: the lock
        # order of checkout, see lifecycle.services).
        stock = Variant.objects.filter(order_lines__order=order).values_list("stock", flat=True)
        with self.lock:
            self.calls.append((order.pk, order.status, connection.in_atomic_block, sum(stock)))
        if self.raise_next:
            raise RuntimeError("feature refused")


@pytest.fixture
def recorder():
    rec = Recorder()
    on_unpaid_release(rec)
    on_unpaid_release(rec)  # registering twice keeps one
    yield rec
    off_unpaid_release(rec)


def _placed(variant, quantity=2, plan=None):
    order, _ = flows.checkout_place(
        user=make_user(),
        shipping_address=ADDRESS,
        lines=[{"variant": variant.pk, "quantity": quantity}],
        plan=plan,
    )
    return order


@pytest.mark.django_db
def test_buyer_cancel_calls_the_release_once_before_the_stock_comes_back(recorder):
    variant = make_product(stock=5).variants.get()
    order = _placed(variant)
    flows.order_cancel(order=order)
    assert recorder.calls == [(order.pk, OrderStatus.CANCELLED, True, 3)]
    assert Variant.objects.get(pk=variant.pk).stock == 5
    with pytest.raises(OrderInvalidState):
        flows.order_cancel(order=Order.objects.get(pk=order.pk))
    assert len(recorder.calls) == 1


@pytest.mark.django_db
def test_expiry_calls_the_release_once(recorder):
    variant = make_product(stock=5).variants.get()
    order = _placed(variant)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert flows.orders_expire_overdue() == 1
    assert flows.orders_expire_overdue() == 0
    assert recorder.calls == [(order.pk, OrderStatus.CANCELLED, True, 3)]
    assert Variant.objects.get(pk=variant.pk).stock == 5


@pytest.mark.django_db
def test_a_paid_cancel_does_not_call_the_unpaid_release(recorder, monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)
    variant = make_product(stock=5).variants.get()
    order = _placed(variant)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    flows.order_cancel(order=Order.objects.get(pk=order.pk))
    assert recorder.calls == []


@pytest.mark.django_db
def test_a_release_that_raises_rolls_the_cancellation_back(recorder):
    variant = make_product(stock=5).variants.get()
    order = _placed(variant)
    recorder.raise_next = True
    with pytest.raises(RuntimeError):
        flows.order_cancel(order=order)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT
    assert Variant.objects.get(pk=variant.pk).stock == 3


@pytest.mark.django_db
def test_a_quota_line_gets_no_stock_back_only_the_release(recorder):
    presale = make_product(stock=0).variants.get()
    order = _placed(presale, 3, PlacementPlan(quota_variants={presale.pk}))
    flows.order_cancel(order=order)
    assert Variant.objects.get(pk=presale.pk).stock == 0
    assert [c[0] for c in recorder.calls] == [order.pk]
    assert_stock_ledger_consistent([presale.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_racing_expiry_releases_each_order_once(recorder):
    variant = make_product(stock=40).variants.get()
    orders = [_placed(variant) for _ in range(6)]
    Order.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    def work(i):
        if i < 2:
            return flows.orders_expire_overdue()
        order = orders[i - 2]
        return flows.order_cancel(order=Order.objects.get(pk=order.pk))

    results = run_together(8, work)
    # a cancel that came after the sweep is refused (invalid state); nothing else fails
    assert not [
        r for r in results if isinstance(r, Exception) and not isinstance(r, OrderInvalidState)
    ]
    flows.orders_expire_overdue()  # whatever a held lock made the sweep skip
    released = sorted(c[0] for c in recorder.calls)
    assert released == sorted(o.pk for o in orders)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert Variant.objects.get(pk=variant.pk).stock == 40
    assert_stock_ledger_consistent([variant.pk])
