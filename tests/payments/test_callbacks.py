"""The three callback endpoints against notifications signed by the providers' side.

Bad input changes nothing and is logged and counted; good input is stored once,
answered as the protocol wants, and applied once by the task.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from orders.constants import OrderStatus
from payments.constants import InboxStatus, LedgerKind, PaymentStatus
from payments.models import LedgerEntry, PaymentNotification
from storefront import metrics
from tests.factories import make_payment

from .signers import (
    ALIPAY_APP_ID,
    APIV3_KEY,
    FORM,
    sandbox_body,
    sandbox_headers,
    wechat_body,
    wechat_encrypt,
    wechat_headers,
    wechat_refund,
    wechat_transaction,
)

pytestmark = pytest.mark.django_db

ALIPAY_URL = "/api/v1/payments/callbacks/alipay/"
WECHAT_URL = "/api/v1/payments/callbacks/wechat/"
SANDBOX_URL = "/api/v1/payments/callbacks/sandbox/"


def post(client, url, body: bytes, content_type: str, **headers):
    return client.post(url, data=body, content_type=content_type, **headers)


def assert_nothing_changed(payment) -> None:
    payment.refresh_from_db()
    payment.order.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.order.status == OrderStatus.PENDING_PAYMENT
    assert not PaymentNotification.objects.exists()
    assert not LedgerEntry.objects.exists()


# ------------------------------------------------------------------ Alipay


def test_alipay_success_pays_the_order(client, alipay, django_capture_on_commit_callbacks):
    payment = make_payment(provider="alipay")
    body = alipay.body(alipay.fields(payment.out_trade_no, f"{payment.amount}"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, ALIPAY_URL, body, FORM)
    assert response.status_code == 200
    assert response.content == b"success"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_trade_no == "2025010122001400000000000001"
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID
    inbox = PaymentNotification.objects.get()
    assert inbox.status == InboxStatus.APPLIED
    assert inbox.raw_body == body.decode()
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).get().amount == payment.amount


@pytest.mark.parametrize(
    "tamper",
    ["forged", "other_key", "altered_amount", "altered_out_trade_no", "not_a_form", "json"],
)
def test_alipay_bad_signature_or_body_is_refused(client, alipay, intruder_keys, tamper):
    from .signers import AlipaySide

    payment = make_payment(provider="alipay")
    fields = alipay.fields(payment.out_trade_no, f"{payment.amount}")
    body = alipay.body(fields)
    content_type = FORM
    if tamper == "forged":
        body = body.replace(b"sign=", b"sign=AAAA", 1)
    elif tamper == "other_key":
        body = AlipaySide(intruder_keys, intruder_keys).body(fields)
    elif tamper == "altered_amount":
        body = body.replace(f"total_amount={payment.amount}".encode(), b"total_amount=0.01")
    elif tamper == "altered_out_trade_no":
        body = body.replace(payment.out_trade_no.encode(), b"SOMEONE-ELSE-1")
    elif tamper == "not_a_form":
        body = b"\xff\xfe not a form"
    elif tamper == "json":
        body, content_type = json.dumps(fields).encode(), "application/json"
    response = post(client, ALIPAY_URL, body, content_type)
    assert response.status_code == 400
    assert response.content == b"failure"
    assert metrics.get("payment_notification_rejected") == 1
    assert_nothing_changed(payment)


@pytest.mark.parametrize(
    "overrides", [{"app_id": "2021009999999999"}, {"seller_id": "2088999999999999"}]
)
def test_alipay_another_merchant_is_refused(client, alipay, overrides):
    payment = make_payment(provider="alipay")
    body = alipay.body(alipay.fields(payment.out_trade_no, f"{payment.amount}", **overrides))
    response = post(client, ALIPAY_URL, body, FORM)
    assert (response.status_code, response.content) == (400, b"failure")
    assert metrics.get("payment_notification_rejected:alipay:merchant_mismatch") == 1
    assert_nothing_changed(payment)


def test_alipay_unknown_out_trade_no_is_refused(client, alipay):
    payment = make_payment(provider="alipay")
    body = alipay.body(alipay.fields("NOT-OURS-123", f"{payment.amount}"))
    response = post(client, ALIPAY_URL, body, FORM)
    assert (response.status_code, response.content) == (400, b"failure")
    assert metrics.get("payment_notification_rejected:alipay:unknown_trade") == 1
    assert_nothing_changed(payment)


@pytest.mark.parametrize("delta", [Decimal("-0.01"), Decimal("0.01")])
def test_alipay_amount_one_fen_off_is_rejected_in_the_inbox(
    client, alipay, delta, django_capture_on_commit_callbacks
):
    payment = make_payment(provider="alipay")
    body = alipay.body(alipay.fields(payment.out_trade_no, f"{payment.amount + delta}"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, ALIPAY_URL, body, FORM)
    # Stored (so Alipay stops retrying), rejected for staff to see, order left unpaid.
    assert (response.status_code, response.content) == (200, b"success")
    inbox = PaymentNotification.objects.get()
    assert inbox.status == InboxStatus.REJECTED
    assert "does not match" in inbox.reason
    payment.refresh_from_db()
    payment.order.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.order.status == OrderStatus.PENDING_PAYMENT
    assert not LedgerEntry.objects.exists()
    assert metrics.get("payment_amount_mismatch") == 1


def test_alipay_replayed_20_times_is_applied_once(
    client, alipay, django_capture_on_commit_callbacks
):
    payment = make_payment(provider="alipay")
    body = alipay.body(alipay.fields(payment.out_trade_no, f"{payment.amount}"))
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post(client, ALIPAY_URL, body, FORM) for _ in range(20)]
    assert {(a.status_code, a.content) for a in answers} == {(200, b"success")}
    assert PaymentNotification.objects.get().attempts == 1  # applied by one task run
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1
    assert metrics.get("payment_notification_duplicate:alipay") == 19


def test_alipay_finished_after_success_and_out_of_order_events(
    client, alipay, django_capture_on_commit_callbacks
):
    payment = make_payment(provider="alipay")
    total = f"{payment.amount}"
    events = [
        alipay.fields(payment.out_trade_no, total, trade_status="TRADE_SUCCESS"),
        alipay.fields(payment.out_trade_no, total, trade_status="WAIT_BUYER_PAY"),
        alipay.fields(payment.out_trade_no, total, trade_status="TRADE_FINISHED"),
        # An unpaid-close arriving late must not take a paid trade backwards.
        alipay.fields(payment.out_trade_no, total, trade_status="TRADE_CLOSED"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for fields in events:
            assert post(client, ALIPAY_URL, alipay.body(fields), FORM).content == b"success"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.finished is True
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1
    assert set(PaymentNotification.objects.values_list("status", flat=True)) == {"applied"}


def test_alipay_finished_alone_pays(client, alipay, django_capture_on_commit_callbacks):
    payment = make_payment(provider="alipay")
    fields = alipay.fields(payment.out_trade_no, f"{payment.amount}", trade_status="TRADE_FINISHED")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, ALIPAY_URL, alipay.body(fields), FORM)
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID


def test_alipay_success_after_refund_changes_nothing(
    client, alipay, django_capture_on_commit_callbacks
):
    payment = make_payment(provider="alipay")
    total = f"{payment.amount}"
    with django_capture_on_commit_callbacks(execute=True):
        post(client, ALIPAY_URL, alipay.body(alipay.fields(payment.out_trade_no, total)), FORM)
        refund = alipay.fields(
            payment.out_trade_no,
            total,
            trade_status="TRADE_CLOSED",
            refund_fee=total,
            gmt_refund="2025-01-02 10:00:00.123",
            out_biz_no=f"{payment.out_trade_no}-R1",
        )
        post(client, ALIPAY_URL, alipay.body(refund), FORM)
        late = alipay.fields(payment.out_trade_no, total, trade_status="TRADE_SUCCESS")
        post(client, ALIPAY_URL, alipay.body(late), FORM)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert LedgerEntry.objects.filter(kind=LedgerKind.SALE).count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.REFUND_REVERSAL).count() == 1
    last = PaymentNotification.objects.order_by("id").last()
    assert last.status == InboxStatus.APPLIED
    assert last.reason == "no change: payment already refunded"


# ------------------------------------------------------------------ WeChat Pay


def test_wechat_success_pays_the_order(client, wechat, django_capture_on_commit_callbacks):
    payment = make_payment(provider="wechat")
    fen = int(payment.amount * 100)
    body = wechat_body(
        "TRANSACTION.SUCCESS", wechat_encrypt(wechat_transaction(payment.out_trade_no, fen))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, WECHAT_URL, body, "application/json", **wechat_headers(body, wechat)
        )
    assert response.status_code == 204
    assert response.content == b""
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID


@pytest.mark.parametrize(
    "tamper",
    [
        "forged",
        "other_key",
        "stale",
        "future",
        "undecryptable",
        "altered_body",
        "not_json",
        "mchid",
        "appid",
        "unknown_trade",
    ],
)
def test_wechat_bad_notifications_are_refused(client, wechat, intruder_keys, tamper):
    payment = make_payment(provider="wechat")
    fen = int(payment.amount * 100)
    tx = wechat_transaction(payment.out_trade_no, fen)
    if tamper == "mchid":
        tx["mchid"] = "1900000999"
    elif tamper == "appid":
        tx["appid"] = "wx0000000000000000"
    elif tamper == "unknown_trade":
        tx["out_trade_no"] = "NOT-OURS-123"
    resource = wechat_encrypt(
        tx,
        key="0" * 32 if tamper == "undecryptable" else APIV3_KEY,
    )
    body = wechat_body("TRANSACTION.SUCCESS", resource)
    if tamper == "not_json":
        body = b"mchid=1&amount=1"
    headers = wechat_headers(body, intruder_keys if tamper == "other_key" else wechat)
    if tamper == "forged":
        headers["HTTP_WECHATPAY_SIGNATURE"] = "Zm9yZ2Vk" * 43
    elif tamper == "stale":
        headers = wechat_headers(body, wechat, timestamp=int(time.time()) - 330)
    elif tamper == "future":
        headers = wechat_headers(body, wechat, timestamp=int(time.time()) + 330)
    elif tamper == "altered_body":
        body = body.replace(b'"summary": "ok"', b'"summary": "ko"')
    response = post(client, WECHAT_URL, body, "application/json", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "FAIL"
    assert response.json()["message"]
    assert metrics.get("payment_notification_rejected") == 1
    assert_nothing_changed(payment)


@pytest.mark.parametrize("delta", [-1, 1])
def test_wechat_amount_one_fen_off_is_rejected(
    client, wechat, delta, django_capture_on_commit_callbacks
):
    payment = make_payment(provider="wechat")
    fen = int(payment.amount * 100) + delta
    body = wechat_body(
        "TRANSACTION.SUCCESS", wechat_encrypt(wechat_transaction(payment.out_trade_no, fen))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, WECHAT_URL, body, "application/json", **wechat_headers(body, wechat)
        )
    assert response.status_code == 204
    assert PaymentNotification.objects.get().status == InboxStatus.REJECTED
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PENDING_PAYMENT


def test_wechat_replays_and_refund_notification(client, wechat, django_capture_on_commit_callbacks):
    payment = make_payment(provider="wechat")
    fen = int(payment.amount * 100)
    body = wechat_body(
        "TRANSACTION.SUCCESS", wechat_encrypt(wechat_transaction(payment.out_trade_no, fen))
    )
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            headers = wechat_headers(body, wechat)
            assert post(client, WECHAT_URL, body, "application/json", **headers).status_code == 204
    assert PaymentNotification.objects.count() == 1
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID
    # The order is cancelled after payment (the orders app moves it to refund_pending),
    # the refund is started, and WeChat reports it done by notification.
    from lifecycle.services import order_cancel

    with django_capture_on_commit_callbacks(execute=False):  # WeChat's refund API not faked here
        order_cancel(order=payment.order, note="buyer cancelled")
    refund = payment.refunds.get()
    refund_body = wechat_body(
        "REFUND.SUCCESS",
        wechat_encrypt(
            wechat_refund(payment.out_trade_no, refund.out_refund_no, fen), aad="refund"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        headers = wechat_headers(refund_body, wechat)
        assert (
            post(client, WECHAT_URL, refund_body, "application/json", **headers).status_code == 204
        )
    refund.refresh_from_db()
    payment.refresh_from_db()
    payment.order.refresh_from_db()
    assert refund.status == "succeeded"
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.order.status == OrderStatus.REFUNDED
    net = sum(e.amount for e in LedgerEntry.objects.all())
    assert net == Decimal("0.00")


# ------------------------------------------------------------------ sandbox


def test_sandbox_callback(client, django_capture_on_commit_callbacks):
    payment = make_payment(provider="sandbox")
    body = sandbox_body(payment.out_trade_no, f"{payment.amount}")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, SANDBOX_URL, body, "application/json", **sandbox_headers(body))
    assert response.status_code == 204
    payment.order.refresh_from_db()
    assert payment.order.status == OrderStatus.PAID


@pytest.mark.parametrize("tamper", ["secret", "stale", "missing", "altered"])
def test_sandbox_bad_signature(client, tamper):
    payment = make_payment(provider="sandbox")
    body = sandbox_body(payment.out_trade_no, f"{payment.amount}")
    headers = {
        "secret": sandbox_headers(body, secret="not-the-secret"),
        "stale": sandbox_headers(body, t=int(time.time()) - 330),
        "missing": {},
        "altered": sandbox_headers(body),
    }[tamper]
    if tamper == "altered":
        body = body.replace(b'"SUCCESS"', b'"REFUNDED"')
    response = post(client, SANDBOX_URL, body, "application/json", **headers)
    assert response.status_code == 401
    assert_nothing_changed(payment)


def test_unconfigured_provider_callback_is_404(client):
    response = post(client, ALIPAY_URL, b"a=b", FORM)
    assert response.status_code == 404
    assert ALIPAY_APP_ID  # the fixture constants stay importable
