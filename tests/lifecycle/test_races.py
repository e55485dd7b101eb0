"""The lifecycle flows under real concurrency (PostgreSQL row locks, threads):

- a buyer cancelling while the payment notification is applied;
- the expiry sweep running while payment notifications are applied;
- issue 12 item 3: a payout racing a refund reversal of the same cooperative.

After each, the stock equals the sum of its movements (checked for every concurrency
test by tests/conftest.py)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Variant
from lifecycle import services as flows
from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from orders.models import Order
from orders.services import order_mark_completed, order_mark_delivered, order_mark_shipped
from payments import services as payments
from payments.constants import LedgerKind, PaymentStatus
from payments.exceptions import PayoutInsufficientBalance
from payments.models import LedgerEntry, Payment, Refund
from payments.selectors import cooperative_balance
from payments.services import refunds as refund_services
from tests.concurrency import run_together
from tests.factories import (
    ADDRESS,
    make_notification,
    make_order,
    make_payment,
    make_product,
    make_user,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_fulfilment(monkeypatch):
    # The stock-ledger invariant is checked after each test by tests/conftest.py.
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def _success(payment, event_id: str) -> int:
    return make_notification(payment, event_id=event_id).pk


def _placed_orders(count: int, variant: Variant) -> list[tuple[Order, Payment]]:
    placed = []
    for _ in range(count):
        order, _created = flows.checkout_place(
            user=make_user(),
            shipping_address=ADDRESS,
            lines=[{"variant": variant.pk, "quantity": 2}],
        )
        placed.append((order, make_payment(order=order, provider="alipay")))
    return placed


def _assert_each_order_consistent(placed, variant, initial: int) -> None:
    kept = 0
    for order, payment in placed:
        order.refresh_from_db()
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        sales = LedgerEntry.objects.filter(order=order, kind=LedgerKind.SALE).count()
        refunds = Refund.objects.filter(payment=payment).count()
        if order.status == OrderStatus.CANCELLED:
            # cancelled (or expired) first: the late payment is refunded, nothing sold
            assert (sales, refunds) == (0, 1), order.number
        elif order.status == OrderStatus.REFUND_PENDING:
            # paid first, then cancelled: the sale is written and its refund started;
            # nothing left the cooperative, so its units are back on sale
            assert (sales, refunds) == (1, 1), order.number
        else:
            assert order.status == OrderStatus.PAID and (sales, refunds) == (1, 0), order.number
            kept += 2
    assert Variant.objects.get(pk=variant.pk).stock == initial - kept


def test_cancel_racing_the_payment_apply(django_capture_on_commit_callbacks):
    variant = make_product(stock=40).variants.get()
    placed = _placed_orders(8, variant)
    inboxes = [_success(payment, f"race-{i}") for i, (_o, payment) in enumerate(placed)]

    def work(i):
        order, _payment = placed[i // 2]
        if i % 2:
            return flows.payment_notification_apply(inbox_id=inboxes[i // 2])
        return flows.order_cancel(order=Order.objects.get(pk=order.pk))

    with django_capture_on_commit_callbacks(execute=False):
        results = run_together(16, work)
    assert not [r for r in results if isinstance(r, Exception)]
    _assert_each_order_consistent(placed, variant, 40)


def test_expiry_racing_the_payment_apply(django_capture_on_commit_callbacks):
    variant = make_product(stock=40).variants.get()
    placed = _placed_orders(8, variant)
    inboxes = [_success(payment, f"late-{i}") for i, (_o, payment) in enumerate(placed)]
    Order.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    def work(i):
        if i < 2:
            return flows.orders_expire_overdue()
        return flows.payment_notification_apply(inbox_id=inboxes[i - 2])

    with django_capture_on_commit_callbacks(execute=False):
        results = run_together(10, work)
    assert not [r for r in results if isinstance(r, Exception)]
    flows.orders_expire_overdue()  # whatever a held lock made the sweep skip
    _assert_each_order_consistent(placed, variant, 40)


def test_a_payout_racing_a_refund_reversal_never_overdraws(
    monkeypatch, django_capture_on_commit_callbacks
):
    """Item 3: a completed order's money is available; the buyer is refunded at the
    provider's console (the reversal takes it from available) while staff pay the
    cooperative out. Without the cooperative lock in the reversal the payout reads the
    balance before the reversal commits and the balance ends below zero."""
    order = make_order(parts=[(None, [("50.00", 1)], "0.00")])
    payment = make_payment(order=order, provider="alipay")
    with django_capture_on_commit_callbacks(execute=False):
        flows.payment_notification_apply(inbox_id=_success(payment, "paid"))
    for step in (order_mark_shipped, order_mark_delivered, order_mark_completed):
        step(order=order.pk)
    payments.ledger_release_for_order(order=order)
    cooperative = order.lines.get().cooperative
    assert cooperative_balance(cooperative=cooperative)["available"] == Decimal("50.00")

    reversed_, paid_out = threading.Event(), threading.Event()
    real = refund_services.ledger_record_refund

    def reversal_then_wait(**kwargs):
        entries = real(**kwargs)
        reversed_.set()
        paid_out.wait(timeout=3)  # the payout gets every chance to run before we commit
        return entries

    monkeypatch.setattr(refund_services, "ledger_record_refund", reversal_then_wait)
    refund_inbox = make_notification(payment, kind="refund", out_refund_no="CONSOLE-9")
    staff = make_user(is_staff=True)

    def work(i):
        if i == 0:
            return flows.payment_notification_apply(inbox_id=refund_inbox.pk)
        reversed_.wait(timeout=10)
        try:
            return payments.payout_create(cooperative=cooperative, created_by=staff)
        finally:
            paid_out.set()

    reversal, payout = run_together(2, work)
    assert not isinstance(reversal, Exception), reversal
    assert isinstance(payout, PayoutInsufficientBalance), payout
    assert cooperative_balance(cooperative=cooperative)["available"] == Decimal("0.00")
    Order.objects.get(pk=order.pk)  # the flagged order is still there for staff
