"""Issue 12, money items 1, 2, 4 and 5 (item 3, a race, is in test_races.py).

Each test fails without its fix; how that was checked is in the branch's report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Variant
from fulfilment.constants import ShipmentStatus
from fulfilment.models import Shipment
from fulfilment.services import shipment_mark_shipped, shipments_create_for_order
from lifecycle import services as flows
from lifecycle import tasks
from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from orders.models import Order
from orders.services import placement
from payments.constants import InboxStatus, LedgerKind, PaymentStatus, RefundStatus
from payments.models import LedgerEntry, PaymentNotification, Refund
from tests.factories import (
    make_carriers,
    make_notification,
    make_order,
    make_payment,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fulfilment_task(monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def _apply(payment, *, kind="payment", status="succeeded", out_refund_no=""):
    inbox = make_notification(payment, kind=kind, event_status=status, out_refund_no=out_refund_no)
    return flows.payment_notification_apply(inbox_id=inbox.pk)


def _status(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


# --- 1. refunded only when every payment holding a sale is; staff can always retry ---


def test_a_refunded_duplicate_does_not_close_the_order_and_a_failed_refund_is_retried(
    django_capture_on_commit_callbacks, client
):
    order = make_order()
    real = make_payment(order=order, provider="wechat")
    duplicate = make_payment(order=order, provider="alipay")
    with django_capture_on_commit_callbacks(execute=False):  # no provider is called here
        _apply(real)
        _apply(duplicate)  # second payment: its refund is started at once
        flows.order_cancel(order=Order.objects.get(pk=order.pk))
    duplicate_refund = Refund.objects.get(payment=duplicate)
    real_refund = Refund.objects.get(payment=real)
    assert _status(order) == OrderStatus.REFUND_PENDING

    # The duplicate's refund succeeds first: the goods' money is still out.
    _apply(
        duplicate, kind="refund", status="refunded", out_refund_no=duplicate_refund.out_refund_no
    )
    assert _status(order) == OrderStatus.REFUND_PENDING
    # The real refund fails; staff retry it from the admin (a service does the work).
    _apply(real, kind="refund", status="refund_failed", out_refund_no=real_refund.out_refund_no)
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False) as submitted:
        response = client.post(
            "/admin/payments/refund/",
            {"action": "retry_failed", "_selected_action": [real_refund.pk]},
        )
    assert response.status_code == 302
    retry = Refund.objects.exclude(pk__in=[real_refund.pk, duplicate_refund.pk]).get()
    assert (retry.payment, retry.status) == (real, RefundStatus.PENDING)
    assert retry.out_refund_no.endswith("-R2")
    assert len(submitted) == 1  # the new refund goes to the provider on commit
    _apply(real, kind="refund", status="refunded", out_refund_no=retry.out_refund_no)
    assert _status(order) == OrderStatus.REFUNDED
    assert LedgerEntry.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] == 0


def test_a_failed_refund_can_be_retried_whatever_the_order_status(
    django_capture_on_commit_callbacks,
):
    order = make_order()
    first, second = make_payment(order=order), make_payment(order=order, provider="alipay")
    with django_capture_on_commit_callbacks(execute=False):
        _apply(first)
        _apply(second)  # a late duplicate of a paid order: refunded automatically
    refund = Refund.objects.get(payment=second)
    _apply(second, kind="refund", status="refund_failed", out_refund_no=refund.out_refund_no)
    assert _status(order) == OrderStatus.PAID  # the order goes on; its duplicate is owed
    with django_capture_on_commit_callbacks(execute=False):
        retry = flows.refund_retry(refund_id=refund.pk)
    assert retry.pk != refund.pk and retry.status == RefundStatus.PENDING
    with pytest.raises(Exception, match="failed refund"):
        flows.refund_retry(refund_id=retry.pk)  # a live refund is not "retried"


# --- 2. a success for a failed refund while its retry is live: applied once, right row ---


def test_success_for_a_failed_refund_while_its_retry_is_live_is_applied_once(
    django_capture_on_commit_callbacks,
):
    order = make_order()
    payment = make_payment(order=order, provider="wechat")
    with django_capture_on_commit_callbacks(execute=False):
        _apply(payment)
        flows.order_cancel(order=Order.objects.get(pk=order.pk))
    first = Refund.objects.get()
    _apply(payment, kind="refund", status="refund_failed", out_refund_no=first.out_refund_no)
    with django_capture_on_commit_callbacks(execute=False):
        retry = flows.refund_retry(refund_id=first.pk)

    # The provider says the first one went through after all.
    inbox = _apply(payment, kind="refund", status="refunded", out_refund_no=first.out_refund_no)
    assert inbox.status == InboxStatus.APPLIED, inbox.reason
    first.refresh_from_db()
    retry.refresh_from_db()
    assert first.status == RefundStatus.SUCCEEDED
    assert retry.status == RefundStatus.FAILED and "superseded" in retry.failure_reason
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert LedgerEntry.objects.filter(kind=LedgerKind.REFUND_REVERSAL).count() == 1
    assert _status(order) == OrderStatus.REFUNDED
    # Delivered again: nothing more happens.
    again = _apply(payment, kind="refund", status="refunded", out_refund_no=first.out_refund_no)
    assert again.reason == "no change: refund already recorded"
    assert LedgerEntry.objects.filter(kind=LedgerKind.REFUND_REVERSAL).count() == 1


def test_a_notification_that_keeps_failing_is_rejected_not_swept_for_ever(monkeypatch, settings):
    settings.PAYMENTS_INBOX_MAX_ATTEMPTS = 3
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    payment = make_payment()
    inbox = make_notification(payment, event_id="stuck")
    PaymentNotification.objects.filter(pk=inbox.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )

    def broken(**kwargs):
        raise ValueError("cannot apply this one")

    monkeypatch.setattr("payments.services.notification_apply", broken)
    swept = [tasks.payments_inbox_sweep_task.delay().get() for _ in range(5)]
    assert swept == [1, 1, 1, 0, 0]
    inbox.refresh_from_db()
    assert inbox.status == InboxStatus.REJECTED
    assert inbox.reason.startswith("not applied after 3 attempts")
    assert "cannot apply this one" in inbox.reason  # the last error, for staff


# --- 4. the order is priced from the row as it is when the stock is taken -------------


def test_a_price_change_before_the_stock_update_is_seen(monkeypatch):
    variant = make_product(price="10.00", stock=5).variants.get()
    real = placement._order_create

    def price_changes_meanwhile(**kwargs):
        # The lines were priced from a read made before this transaction; the farmer
        # changes the price now, before the order's stock UPDATE.
        Variant.objects.filter(pk=variant.pk).update(price=Decimal("12.00"))
        monkeypatch.setattr(placement, "_order_create", real)
        return real(**kwargs)

    monkeypatch.setattr(placement, "_order_create", price_changes_meanwhile)
    order, _created = flows.checkout_place(
        user=make_user(),
        shipping_address={
            "name": "A",
            "phone": "13800138000",
            "province": "Xinjiang",
            "city": "Altay",
            "district": "Jeminay",
            "address": "1 Road",
        },
        lines=[{"variant": variant.pk, "quantity": 2}],
    )
    line = order.lines.get()
    assert line.unit_price == Decimal("12.00")
    assert order.subtotal == Decimal("24.00")
    assert Variant.objects.get(pk=variant.pk).stock == 3


# --- 5. a refund in the provider's merchant console stops fulfilment -------------------


def _paid_order_with_shipments(django_capture_on_commit_callbacks):
    make_carriers()
    order = make_order()
    payment = make_payment(order=order, provider="alipay")
    with django_capture_on_commit_callbacks(execute=False):
        _apply(payment)
    shipments_create_for_order(order_id=order.pk)
    return order, payment


def test_a_console_refund_of_a_paid_order_stops_fulfilment(django_capture_on_commit_callbacks):
    order, payment = _paid_order_with_shipments(django_capture_on_commit_callbacks)
    inbox = _apply(payment, kind="refund", status="refunded", out_refund_no="CONSOLE-1")
    assert inbox.status == InboxStatus.APPLIED
    assert "fulfilment stopped" in inbox.reason
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {
        ShipmentStatus.CANCELLED
    }
    assert _status(order) == OrderStatus.REFUNDED
    assert LedgerEntry.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] == 0


def test_a_console_refund_after_shipping_is_flagged_to_staff(django_capture_on_commit_callbacks):
    order, payment = _paid_order_with_shipments(django_capture_on_commit_callbacks)
    shipment = Shipment.objects.get(order=order)
    shipment_mark_shipped(shipment_id=shipment.pk, carrier="sf", tracking_number="SF12345678")
    assert _status(order) == OrderStatus.SHIPPED
    inbox = _apply(payment, kind="refund", status="refunded", out_refund_no="CONSOLE-2")
    assert "flagged to staff" in inbox.reason
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # the goods are on their way: a person decides
    assert "after shipping" in order.attention
    assert LedgerEntry.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] == 0
