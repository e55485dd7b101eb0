"""Payment services: start, apply, late payments, refunds, ledger, payouts, reconciliation.

Provider HTTP APIs are faked with pytest-httpserver; their answers are signed with the
provider's key by the provider's SDK (Alipay) or `wechatpayv3` (WeChat).
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from pytest_httpserver import HTTPServer
from wechatpayv3.utils import rsa_sign
from werkzeug import Request, Response

from lifecycle import services as flows
from lifecycle.services import order_cancel
from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from orders.services import (
    order_mark_completed,
    order_mark_delivered,
    order_mark_shipped,
)
from payments import services
from payments.constants import InboxStatus, LedgerKind, PaymentStatus
from payments.exceptions import (
    PaymentInvalidState,
    PaymentProviderError,
    PaymentProviderUnavailable,
    PayoutInsufficientBalance,
    RefundInvalidState,
)
from payments.models import LedgerEntry, PaymentNotification, Payout, Refund
from payments.sandbox.wallet import sandbox_wallet_pay
from payments.selectors import cooperative_balance
from storefront.errors import InvalidState
from tests.factories import make_cooperative, make_county, make_order, make_payment, make_user

from .signers import MCH_ID, PLATFORM_KEY_ID, WX_APP_ID, sandbox_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fulfilment(monkeypatch):
    """The fulfilment app's own tests cover shipments; here paying is what matters."""
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def pay_with_sandbox(order, capture):
    """Order -> sandbox payment -> the wallet pays -> notification applied (eager)."""
    payment = services.payment_start(order=order, provider="sandbox")
    with capture(execute=True):
        sandbox_wallet_pay(out_trade_no=payment.out_trade_no)
    return payment


@pytest.fixture
def callback_server(wallet_delivers_in_process):
    return wallet_delivers_in_process


# ------------------------------------------------------------------ start


def test_start_sandbox_payment():
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    assert payment.status == PaymentStatus.PENDING
    assert payment.amount == order.total
    assert 6 <= len(payment.out_trade_no) <= 32
    assert payment.client_payload == {
        "pay_url": f"http://testserver/pay/sandbox/{payment.out_trade_no}/"
    }
    # Pressing "pay" again reuses the open trade: never two payable trades at once.
    again = services.payment_start(order=order, provider="sandbox")
    assert again.pk == payment.pk


@pytest.mark.parametrize(
    "status", [OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUND_PENDING]
)
def test_start_refuses_orders_not_awaiting_payment(status):
    order = make_order(status=status)
    with pytest.raises(PaymentInvalidState) as excinfo:
        services.payment_start(order=order, provider="sandbox")
    assert excinfo.value.code == "invalid_state"
    assert not order.payments.exists()


def test_start_refuses_an_expired_order():
    order = make_order(expires_in=timedelta(seconds=-1))
    with pytest.raises(PaymentInvalidState):
        services.payment_start(order=order, provider="sandbox")


@pytest.mark.parametrize("provider", ["alipay", "wechat", "paypal"])
def test_start_unconfigured_provider(provider):
    order = make_order()
    with pytest.raises(PaymentProviderUnavailable) as excinfo:
        services.payment_start(order=order, provider=provider)
    assert excinfo.value.code == "provider_unavailable"
    assert not order.payments.exists()


def test_start_sandbox_disabled(settings):
    settings.PAYMENTS_SANDBOX_ENABLED = False
    with pytest.raises(PaymentProviderUnavailable):
        services.payment_start(order=make_order(), provider="sandbox")


def test_start_alipay_returns_order_string_and_page_url(alipay):
    payment = services.payment_start(order=make_order(), provider="alipay")
    assert "alipay.trade.app.pay" in payment.client_payload["order_string"]
    assert "sign=" in payment.client_payload["order_string"]
    assert payment.client_payload["page_pay_url"].startswith("https://openapi.alipay.com/")


def wechat_answer(platform, status: int, data: dict):
    """WeChat's API answering: JSON signed with the platform key in response headers."""
    body = json.dumps(data).encode()
    ts, nonce = str(int(time.time())), secrets.token_hex(8)
    headers = {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": PLATFORM_KEY_ID,
        "Wechatpay-Signature": rsa_sign(platform.private_key, f"{ts}\n{nonce}\n{body.decode()}\n"),
    }
    return Response(body, status=status, headers=headers, content_type="application/json")


def test_start_wechat_native_code_url(wechat, settings, httpserver):
    settings.WECHATPAY_API_BASE = httpserver.url_for("/").rstrip("/")
    seen = {}

    def prepay(request: Request) -> Response:
        seen.update(json.loads(request.get_data()))
        return wechat_answer(wechat, 200, {"code_url": "weixin://wxpay/bizpayurl?pr=abc"})

    httpserver.expect_request("/v3/pay/transactions/native", method="POST").respond_with_handler(
        prepay
    )
    order = make_order()
    payment = services.payment_start(order=order, provider="wechat")
    assert payment.client_payload == {"code_url": "weixin://wxpay/bizpayurl?pr=abc"}
    assert seen["amount"] == {"total": int(order.total * 100), "currency": "CNY"}
    assert seen["notify_url"] == "http://testserver/api/v1/payments/callbacks/wechat/"
    assert (seen["mchid"], seen["appid"]) == (MCH_ID, WX_APP_ID)


def test_start_wechat_down_is_a_provider_error(wechat, settings, closed_port_url):
    settings.WECHATPAY_API_BASE = closed_port_url
    with pytest.raises(PaymentProviderError):
        services.payment_start(order=make_order(), provider="wechat")


# ------------------------------------------------------------------ paying, end to end


def test_sandbox_wallet_pays_the_order(callback_server, django_capture_on_commit_callbacks):
    order = make_order()
    payment = pay_with_sandbox(order, django_capture_on_commit_callbacks)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID
    assert PaymentNotification.objects.get().status == InboxStatus.APPLIED
    assert callback_server == [204]


def test_paid_order_starts_fulfilment(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.undo()  # the real _start_fulfilment
    import fulfilment.tasks

    started = []
    monkeypatch.setattr(
        fulfilment.tasks.shipments_create_task,
        "apply_async",
        lambda args, kwargs: started.append(args),
    )
    payment = make_payment()
    with django_capture_on_commit_callbacks(execute=True):
        inbox = PaymentNotification.objects.create(
            provider="sandbox",
            event_id="e1",
            kind="payment",
            event_status="succeeded",
            out_trade_no=payment.out_trade_no,
            amount=payment.amount,
        )
        flows.payment_notification_apply(inbox_id=inbox.pk)
    assert started == [(payment.order_id,)]


# ------------------------------------------------------------------ ledger


def test_ledger_per_cooperative_with_fee_and_poverty_relief(settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("5")
    poor = make_cooperative(county=make_county(poverty_relief=True))
    other = make_cooperative(county=make_county(poverty_relief=False))
    order = make_order(
        parts=[(poor, [("39.90", 2), ("12.35", 1)], "8.00"), (other, [("10.01", 3)], "6.50")]
    )
    payment = make_payment(order=order)
    _apply_success(payment)
    entries = {(e.cooperative_id, e.kind): e.amount for e in LedgerEntry.objects.all()}
    assert entries == {
        (poor.pk, LedgerKind.SALE): Decimal("100.15"),  # 79.80 + 12.35 + 8.00
        (other.pk, LedgerKind.SALE): Decimal("36.53"),  # 30.03 + 6.50
        (other.pk, LedgerKind.PLATFORM_FEE): Decimal("-1.83"),  # 5 % of 36.53, half up
    }
    # The sales reconcile to the fen with the payment.
    sales = sum(a for (_, kind), a in entries.items() if kind == LedgerKind.SALE)
    assert sales == payment.amount == order.total
    assert cooperative_balance(cooperative=other) == {
        "pending": Decimal("34.70"),
        "available": Decimal("0.00"),
        "paid_out": Decimal("0.00"),
    }


def _apply_success(payment, event_id=None, amount=None):
    inbox = PaymentNotification.objects.create(
        provider=payment.provider,
        event_id=event_id or secrets.token_hex(6),
        kind="payment",
        event_status="succeeded",
        out_trade_no=payment.out_trade_no,
        amount=amount if amount is not None else payment.amount,
    )
    return flows.payment_notification_apply(inbox_id=inbox.pk)


def _complete(order):
    order_mark_shipped(order=order)
    order_mark_delivered(order=order)
    order_mark_completed(order=order)


def test_ledger_release_on_completion_is_idempotent():
    coop = make_cooperative()
    order = make_order(parts=[(coop, [("50.00", 1)], "10.00")])
    _apply_success(make_payment(order=order))
    order.refresh_from_db()
    with pytest.raises(InvalidState):
        services.ledger_release_for_order(order=order)  # paid, not completed
    _complete(order)
    assert services.ledger_release_for_order(order=order) == 2
    assert services.ledger_release_for_order(order=order) == 0
    assert cooperative_balance(cooperative=coop) == {
        "pending": Decimal("0.00"),
        "available": Decimal("60.00"),
        "paid_out": Decimal("0.00"),
    }


def test_payout_takes_the_available_balance_only():
    coop = make_cooperative()
    staff = make_user(is_platform_staff=True)
    done = make_order(parts=[(coop, [("50.00", 1)], "10.00")])
    _apply_success(make_payment(order=done))
    done.refresh_from_db()
    _complete(done)
    services.ledger_release_for_order(order=done)
    open_order = make_order(parts=[(coop, [("20.00", 1)], "0.00")])
    _apply_success(make_payment(order=open_order))  # paid, still pending

    with pytest.raises(PayoutInsufficientBalance):
        services.payout_create(cooperative=coop, created_by=staff, amount=Decimal("60.01"))
    payout = services.payout_create(cooperative=coop, created_by=staff)
    assert payout.amount == Decimal("60.00")
    assert cooperative_balance(cooperative=coop) == {
        "pending": Decimal("20.00"),
        "available": Decimal("0.00"),
        "paid_out": Decimal("60.00"),
    }
    with pytest.raises(PayoutInsufficientBalance):
        services.payout_create(cooperative=coop, created_by=staff)
    assert Payout.objects.count() == 1

    csv_text = services.payouts_export(payout_ids=[payout.pk])
    lines = csv_text.strip().splitlines()
    assert lines[0] == "reference,cooperative,cooperative_slug,amount,currency,created"
    assert lines[1].startswith(f"{payout.reference},{coop.name},{coop.slug},60.00,CNY,")
    payout.refresh_from_db()
    assert payout.status == "exported"


def test_ledger_entries_are_append_only():
    _apply_success(make_payment())
    entry = LedgerEntry.objects.first()
    entry.amount = Decimal("1.00")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


# ------------------------------------------------------------------ refunds


def test_cancel_after_payment_refunds_through_the_wallet(
    callback_server, django_capture_on_commit_callbacks
):
    order = make_order()
    payment = pay_with_sandbox(order, django_capture_on_commit_callbacks)
    order.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order)
    order.refresh_from_db()
    payment.refresh_from_db()
    refund = Refund.objects.get()
    assert refund.status == "succeeded"
    assert refund.amount == payment.amount
    assert payment.status == PaymentStatus.REFUNDED
    assert order.status == OrderStatus.REFUNDED
    # The wallet also notified the refund; applying it changed nothing more.
    refund_inbox = PaymentNotification.objects.get(kind="refund")
    assert refund_inbox.status == InboxStatus.APPLIED
    assert refund_inbox.reason == "no change: refund already recorded"
    reversals = LedgerEntry.objects.filter(kind=LedgerKind.REFUND_REVERSAL)
    assert [r.amount for r in reversals] == [-payment.amount]
    assert sum(e.amount for e in LedgerEntry.objects.all()) == Decimal("0.00")


def test_late_payment_for_an_expired_order_is_refunded(
    callback_server, django_capture_on_commit_callbacks
):
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    with transaction.atomic():
        order_cancel(order=order, note="expired")  # the expiry sweep got there first
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_wallet_pay(out_trade_no=payment.out_trade_no)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED  # never paid, never shipped
    assert payment.status == PaymentStatus.REFUNDED
    assert Refund.objects.get().reason == "paid after the order was cancelled"
    assert not LedgerEntry.objects.exists()


def test_second_payment_for_a_paid_order_is_refunded(django_capture_on_commit_callbacks):
    order = make_order()
    first, second = make_payment(order=order), make_payment(order=order, provider="alipay")
    _apply_success(first)
    with django_capture_on_commit_callbacks(execute=False):  # refund submit not run here
        inbox = _apply_success(second)
    assert inbox.reason.startswith("refund started: second payment")
    assert Refund.objects.get().payment == second
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1


def test_staff_refund_of_a_live_order_payment_is_refused():
    payment = make_payment()
    _apply_success(payment)
    payment.refresh_from_db()
    with pytest.raises(RefundInvalidState):
        flows.payment_refund(payment=payment, reason="staff")


class FakeAlipay:
    """Alipay's gateway: answers with a response node signed by Alipay's key."""

    def __init__(self, alipay_side, httpserver: HTTPServer) -> None:
        self.side, self.server, self.calls = alipay_side, httpserver, []

    def answer(self, method: str, node: dict):
        def handle(request: Request) -> Response:
            params = dict(request.args)
            params.update(request.form)
            self.calls.append(params)
            text = json.dumps(node)
            node_name = method.replace(".", "_") + "_response"
            body = f'{{"{node_name}":{text},"sign":"{self.side.sdk._sign(text)}"}}'
            return Response(body, content_type="application/json;charset=utf-8")

        self.server.expect_request("/gateway.do").respond_with_handler(handle)


def test_alipay_refund_and_reconcile(
    alipay, settings, httpserver, django_capture_on_commit_callbacks
):
    settings.ALIPAY_GATEWAY_URL = httpserver.url_for("/gateway.do")
    gateway = FakeAlipay(alipay, httpserver)
    order = make_order()
    payment = make_payment(order=order, provider="alipay")
    Payment = type(payment)
    Payment.objects.filter(pk=payment.pk).update(created=timezone.now() - timedelta(minutes=11))

    # Reconciliation: the notification never came; the query says it was paid.
    assert services.payments_stale_ids() == [payment.pk]
    gateway.answer(
        "alipay.trade.query",
        {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": payment.out_trade_no,
            "trade_no": "2025X1",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": f"{payment.amount}",
        },
    )
    inbox = flows.payment_reconcile(payment_id=payment.pk)
    assert inbox.status == InboxStatus.APPLIED
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert services.payments_stale_ids() == []

    httpserver.clear()
    gateway.answer(
        "alipay.trade.refund",
        {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": payment.out_trade_no,
            "refund_fee": f"{payment.amount}",
            "fund_change": "Y",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order)
    refund = Refund.objects.get()
    assert refund.status == "succeeded"
    assert json.loads(gateway.calls[-1]["biz_content"])["out_request_no"] == refund.out_refund_no
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_refund_with_provider_down_stays_pending_and_is_retried(
    alipay, settings, closed_port_url, django_capture_on_commit_callbacks
):
    settings.ALIPAY_GATEWAY_URL = closed_port_url + "/gateway.do"
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    order = make_order()
    _apply_success(make_payment(order=order, provider="alipay"))
    order.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order)
    refund = Refund.objects.get()
    assert refund.status == "pending"
    assert refund.attempts >= 1
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUND_PENDING
    Refund.objects.filter(pk=refund.pk).update(updated=timezone.now() - timedelta(minutes=11))
    assert services.refunds_stale_ids() == [refund.pk]


def test_wechat_refund_pending_then_failed_by_notification(wechat, settings, httpserver):
    settings.WECHATPAY_API_BASE = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/v3/refund/domestic/refunds", method="POST").respond_with_handler(
        lambda r: wechat_answer(wechat, 200, {"refund_id": "5000001", "status": "PROCESSING"})
    )
    order = make_order()
    payment = make_payment(order=order, provider="wechat")
    _apply_success(payment)
    order.refresh_from_db()
    order_cancel(order=order)
    refund = Refund.objects.get()
    flows.refund_submit(refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_id) == ("pending", "5000001")
    inbox = PaymentNotification.objects.create(
        provider="wechat",
        event_id="EV-R1",
        kind="refund",
        event_status="refund_failed",
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        refund_amount=payment.amount,
        out_refund_no=refund.out_refund_no,
        payload={"event_type": "REFUND.ABNORMAL"},
    )
    flows.payment_notification_apply(inbox_id=inbox.pk)
    refund.refresh_from_db()
    assert refund.status == "failed"
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUND_PENDING  # staff act on the failed refund
    retry = flows.payment_refund(payment=payment, reason="retry")
    assert retry.pk != refund.pk and retry.out_refund_no.endswith("-R2")


# ------------------------------------------------------------------ sweeps


def test_inbox_sweep_reenqueues_unapplied_rows(monkeypatch):
    from lifecycle import tasks

    payment = make_payment()
    inbox = PaymentNotification.objects.create(
        provider="sandbox",
        event_id="e-old",
        kind="payment",
        event_status="succeeded",
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
    )
    assert tasks.payments_inbox_sweep_task.delay().get() == 0  # too fresh
    PaymentNotification.objects.filter(pk=inbox.pk).update(
        received_at=timezone.now() - timedelta(seconds=61)
    )
    assert tasks.payments_inbox_sweep_task.delay().get() == 1
    inbox.refresh_from_db()
    assert inbox.status == InboxStatus.APPLIED
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID


def test_sandbox_reconcile_from_the_wallet(callback_server, django_capture_on_commit_callbacks):
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    # The wallet paid but its notification is lost (not delivered on commit).
    with django_capture_on_commit_callbacks(execute=False):
        sandbox_wallet_pay(out_trade_no=payment.out_trade_no)
    type(payment).objects.filter(pk=payment.pk).update(
        created=timezone.now() - timedelta(minutes=11)
    )
    from lifecycle import tasks

    assert tasks.payments_reconcile_sweep_task.delay().get() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert sandbox_body  # helper stays importable for the wallet tests
