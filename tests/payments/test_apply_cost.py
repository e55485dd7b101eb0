"""What applying a payment notification costs in SQL (bench/callbacks.py measured the
apply task at 0.059x a no-op task): the count is locked in here, with the outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from orders.models import Order, OrderEvent
from orders.services import order_mark_paid
from payments.constants import InboxStatus, LedgerKind, PaymentStatus
from payments.models import LedgerEntry, PaymentNotification
from tests.factories import make_cooperative, make_order, make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fulfilment(monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def _inbox(payment, **fields) -> PaymentNotification:
    return PaymentNotification.objects.create(
        provider=payment.provider,
        event_id=fields.pop("event_id", "e-1"),
        kind="payment",
        event_status=fields.pop("event_status", "succeeded"),
        out_trade_no=payment.out_trade_no,
        amount=fields.pop("amount", payment.amount),
        **fields,
    )


def _statements(context) -> list[str]:
    # Savepoints belong to the test's wrapping transaction.
    return [q["sql"] for q in context.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def test_applying_a_payment_for_two_cooperatives_is_thirteen_statements():
    order = make_order(
        parts=[(make_cooperative(), [("10.00", 2)], "5.00"), (None, [("3.30", 1)], "4.00")]
    )
    payment = make_payment(order=order)
    inbox = _inbox(payment, trade_no="2026113022001")
    with CaptureQueriesContext(connection) as ctx:
        done = flows.payment_notification_apply(inbox_id=inbox.pk)
    sql = _statements(ctx)
    # inbox lock, order lock, payment lock, payment update, order update, order event,
    # ledger sums of lines, ledger shipping, ledger insert, the buyer's notice (the
    # buyer with their choice of channels, the notice, its deliveries), inbox update
    assert len(sql) == 13, "\n".join(sql)
    # Savepoints (each a SAVEPOINT and a RELEASE round trip): the apply's transaction
    # (a savepoint only inside this test's transaction) and the notice's, which keeps a
    # failed notice from failing the payment. A repeated event needs none: its insert is
    # ON CONFLICT DO NOTHING.
    own = [q["sql"] for q in ctx.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    assert len(own) == 2, own
    assert done.status == InboxStatus.APPLIED and done.reason == "order paid"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_trade_no == "2026113022001"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.PAID).count() == 1
    sales = LedgerEntry.objects.filter(order=order, kind=LedgerKind.SALE)
    assert sorted(e.amount for e in sales) == [Decimal("7.30"), Decimal("25.00")]
    # Applying again changes nothing and costs one statement.
    with CaptureQueriesContext(connection) as again:
        flows.payment_notification_apply(inbox_id=inbox.pk)
    assert len(_statements(again)) == 1
    assert LedgerEntry.objects.filter(order=order, kind=LedgerKind.SALE).count() == 2


def test_a_finished_event_for_a_paid_payment_records_finished_in_one_update():
    payment = make_payment()
    flows.payment_notification_apply(inbox_id=_inbox(payment).pk)
    inbox = _inbox(payment, event_id="e-2", event_status="finished", trade_no="T-9")
    done = flows.payment_notification_apply(inbox_id=inbox.pk)
    assert done.reason == f"no change: payment already {PaymentStatus.SUCCEEDED}"
    payment.refresh_from_db()
    assert payment.finished is True and payment.provider_trade_no == "T-9"
    assert LedgerEntry.objects.filter(order=payment.order, kind=LedgerKind.SALE).count() == 1


def test_an_inbox_row_for_an_unknown_trade_is_rejected():
    payment = make_payment()
    inbox = _inbox(payment)
    PaymentNotification.objects.filter(pk=inbox.pk).update(out_trade_no="NOT-OURS")
    done = flows.payment_notification_apply(inbox_id=inbox.pk)
    assert done.status == InboxStatus.REJECTED and done.reason == "unknown out_trade_no"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PENDING_PAYMENT


def test_mark_paid_with_locked_needs_a_transaction_and_a_row():
    order = make_order()
    with pytest.raises(ValueError):
        order_mark_paid(order=order.pk, locked=True)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    order.refresh_from_db()
    from orders.exceptions import OrderInvalidState

    with pytest.raises(OrderInvalidState):
        order_mark_paid(order=order, locked=True)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
