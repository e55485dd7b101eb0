"""Order news under real concurrency (PostgreSQL, threads released together): two
workers applying one payment, delivering one notice, telling one parcel or reporting one
refund send each channel once."""

from __future__ import annotations

import pytest
from django.core import mail

from fulfilment import services as fulfilment
from fulfilment.exceptions import ShipmentInvalidState
from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from notifications import services as notifications
from notifications.constants import DeliveryStatus, NotificationKind
from notifications.models import Delivery, Notification
from orders.models import Order
from payments.models import Refund
from payments.providers.base import RefundResult
from sms.models import OutboxMessage
from tests.concurrency import run_together
from tests.factories import (
    make_carriers,
    make_notification,
    make_order,
    make_payment,
    make_two_coop_order,
    make_user,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_fulfilment_task(monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def _buyer():
    return make_user(
        email="amina@example.com", phone="+8613800138000", phone_verified=True, language="ug"
    )


def _once_each(kind: str, count: int = 1) -> None:
    assert Notification.objects.filter(kind=kind).count() == count
    assert len(mail.outbox) == count and OutboxMessage.objects.count() == count
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()


def test_two_workers_applying_one_payment_tell_the_buyer_once():
    order = make_order(user=_buyer())
    payment = make_payment(order=order, provider="alipay")
    same = make_notification(payment, event_id="ev-1").pk
    retry = make_notification(payment, event_id="ev-2").pk  # the provider said it twice
    results = run_together(
        4, lambda i: flows.payment_notification_apply(inbox_id=(same, retry)[i % 2])
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    _once_each(NotificationKind.ORDER_PAID)


def test_four_workers_delivering_one_notice_send_each_channel_once(monkeypatch):
    buyer = _buyer()
    # The notice is written, its tasks not sent yet (the broker was slow).
    monkeypatch.setattr(notifications.queue, "send_on_commit", lambda *a, **k: None)
    notifications.notify(
        user=buyer,
        kind=NotificationKind.ORDER_PAID,
        event_key="order:FG1:paid",
        context={"number": "FG1", "total": "88.30"},
    )
    monkeypatch.undo()
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert len(ids) == 2
    results = run_together(8, lambda i: notifications.notification_deliver(delivery_id=ids[i % 2]))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count(DeliveryStatus.SENT) >= 2
    _once_each(NotificationKind.ORDER_PAID)


def test_two_people_shipping_one_parcel_at_once_tell_the_buyer_once():
    make_carriers()
    order, *_ = make_two_coop_order(user=_buyer())
    shipment, _other = fulfilment.shipments_create_for_order(order_id=order.pk)
    mail.outbox.clear()
    results = run_together(
        2,
        lambda i: fulfilment.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="sf", tracking_number="SF1234567890"
        ),
    )
    assert sum(isinstance(r, ShipmentInvalidState) for r in results) == 1, results
    _once_each(NotificationKind.ORDER_SHIPPED)
    assert "SF1234567890" in OutboxMessage.objects.get().text


def test_old_tell_the_buyer_tasks_running_together_tell_once(monkeypatch):
    """Messages an older release queued (``shipment_notify_buyer_shipped_task``) for a
    parcel nobody told the buyer about yet, delivered to several workers at once."""
    make_carriers()
    order, *_ = make_two_coop_order(user=_buyer())
    shipment, _other = fulfilment.shipments_create_for_order(order_id=order.pk)
    monkeypatch.setattr(fulfilment, "_tell_buyer_shipped", lambda order, shipment: None)
    fulfilment.shipment_mark_shipped(
        shipment_id=shipment.pk, carrier="sf", tracking_number="SF1234567890"
    )
    monkeypatch.undo()
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)
    mail.outbox.clear()
    results = run_together(
        3, lambda i: fulfilment.shipment_notify_buyer_shipped(shipment_id=shipment.pk)
    )
    assert sorted(results) == [False, False, True], results
    _once_each(NotificationKind.ORDER_SHIPPED)


def test_a_refund_answered_and_notified_at_once_is_told_once(monkeypatch):
    order = make_order(user=_buyer())
    payment = make_payment(order=order, provider="alipay")
    flows.payment_notification_apply(inbox_id=make_notification(payment).pk)

    class Provider:
        def refund(self, **kwargs):
            return RefundResult(status="succeeded", refund_id="R-1", raw={"ok": True})

    monkeypatch.setattr("payments.services.refunds.provider_get", lambda name: Provider())
    monkeypatch.setattr("lifecycle.services.cancel.refunds_submit_on_commit", lambda refunds: None)
    flows.order_cancel(order=Order.objects.get(pk=order.pk))
    refund = Refund.objects.get()
    inbox = make_notification(
        payment, kind="refund", event_status="refunded", out_refund_no=refund.out_refund_no
    ).pk
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    results = run_together(
        2,
        lambda i: (
            flows.refund_submit(refund_id=refund.pk)
            if i == 0
            else flows.payment_notification_apply(inbox_id=inbox)
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Notification.objects.filter(kind=NotificationKind.ORDER_REFUNDED).count() == 1
    assert len(mail.outbox) == 1 and OutboxMessage.objects.count() == 1
