"""A paid order cancelled before anything left the cooperative puts its units back on
sale, once (issue 11: the cancel flow owns shipments, refund and stock). Before, the
units stayed taken for ever: the order was refunded but the bags were never sold again."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from catalog.constants import StockReason
from catalog.models import StockMovement, Variant
from fulfilment.constants import ShipmentStatus
from fulfilment.models import Shipment
from fulfilment.services import shipment_mark_shipped, shipments_create_for_order
from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from orders.exceptions import OrderInvalidState
from orders.models import Order
from tests.concurrency import run_together
from tests.factories import (
    ADDRESS,
    assert_stock_ledger_consistent,
    make_carriers,
    make_notification,
    make_payment,
    make_product,
    make_user,
)


@pytest.fixture(autouse=True)
def _no_fulfilment_task(monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)
    yield
    assert_stock_ledger_consistent()


def _paid_order(django_capture_on_commit_callbacks, *, stock=10, quantity=3):
    variant = make_product(stock=stock).variants.get()
    buyer = make_user()
    order, _created = flows.checkout_place(
        user=buyer, shipping_address=ADDRESS, lines=[{"variant": variant.pk, "quantity": quantity}]
    )
    payment = make_payment(order=order, provider="alipay")
    with django_capture_on_commit_callbacks(execute=False):
        flows.payment_notification_apply(inbox_id=make_notification(payment).pk)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    return variant, order, payment


def _stock(variant) -> int:
    return Variant.objects.values_list("stock", flat=True).get(pk=variant.pk)


@pytest.mark.django_db
def test_a_paid_cancel_puts_the_units_back_on_sale_once(django_capture_on_commit_callbacks):
    variant, order, _payment = _paid_order(django_capture_on_commit_callbacks)
    assert _stock(variant) == 7
    with django_capture_on_commit_callbacks(execute=False):
        flows.order_cancel(order=Order.objects.get(pk=order.pk))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUND_PENDING
    assert _stock(variant) == 10
    back = StockMovement.objects.get(variant=variant, order_id=order.pk, delta__gt=0)
    assert (back.delta, back.reason, back.actor_id) == (3, StockReason.CANCELLATION, order.user_id)
    with pytest.raises(OrderInvalidState):  # a second cancel changes nothing
        flows.order_cancel(order=Order.objects.get(pk=order.pk))
    assert _stock(variant) == 10


@pytest.mark.django_db
def test_a_console_refund_before_shipping_puts_the_units_back(django_capture_on_commit_callbacks):
    make_carriers()
    variant, order, payment = _paid_order(django_capture_on_commit_callbacks)
    shipments_create_for_order(order_id=order.pk)
    refund = make_notification(payment, kind="refund", event_status="refunded", out_refund_no="C-1")
    flows.payment_notification_apply(inbox_id=refund.pk)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert _stock(variant) == 10


@pytest.mark.django_db
def test_a_console_refund_after_shipping_keeps_the_units_taken(django_capture_on_commit_callbacks):
    make_carriers()
    variant, order, payment = _paid_order(django_capture_on_commit_callbacks)
    shipments_create_for_order(order_id=order.pk)
    shipment = Shipment.objects.get(order=order)
    shipment_mark_shipped(shipment_id=shipment.pk, carrier="sf", tracking_number="SF12345678")
    refund = make_notification(payment, kind="refund", event_status="refunded", out_refund_no="C-2")
    flows.payment_notification_apply(inbox_id=refund.pk)
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.SHIPPED
    assert _stock(variant) == 7  # the bags are on a lorry: not for sale again


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cancels_at_once_return_the_units_once(django_capture_on_commit_callbacks):
    variant, order, _payment = _paid_order(django_capture_on_commit_callbacks, quantity=4)

    def cancel(_i):
        return flows.order_cancel(order=Order.objects.get(pk=order.pk))

    with django_capture_on_commit_callbacks(execute=False):
        results = run_together(4, cancel)
    assert sum(1 for r in results if isinstance(r, Order)) == 1
    assert all(isinstance(r, (Order, OrderInvalidState)) for r in results), results
    assert _stock(variant) == 10
    returned = StockMovement.objects.filter(variant=variant, order_id=order.pk, delta__gt=0)
    assert returned.aggregate(s=Sum("delta"))["s"] == 4
