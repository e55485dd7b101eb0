"""POST /api/v1/orders/{number}/payments/, the order's payments list, the sandbox pay
page and the wallet's notification delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

import httpx
import pytest
from rest_framework.authtoken.models import Token

from lifecycle.services import paid as paid_flow
from orders.constants import OrderStatus
from payments import services
from payments.models import Payment, SandboxWalletPayment
from payments.sandbox.notifier import sandbox_wallet_deliver
from payments.sandbox.wallet import sandbox_wallet_pay
from tests.factories import make_order, make_user

from .signers import SANDBOX_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fulfilment(monkeypatch):
    monkeypatch.setattr(paid_flow, "fulfilment_start", lambda order: None)


def authed(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api_client


def url(order) -> str:
    return f"/api/v1/orders/{order.number}/payments/"


def test_start_payment_api(api_client):
    order = make_order()
    response = authed(api_client, order.user).post(url(order), {"provider": "sandbox"})
    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get()
    assert body == {
        "id": payment.pk,
        "provider": "sandbox",
        "out_trade_no": payment.out_trade_no,
        "amount": f"{order.total:.2f}",
        "status": "pending",
        "client_payload": {"pay_url": f"http://testserver/pay/sandbox/{payment.out_trade_no}/"},
    }


def test_start_payment_api_errors(api_client):
    order = make_order()
    client = authed(api_client, order.user)
    assert client.post(url(order), {"provider": "paypal"}).json()["error"]["code"] == "invalid"
    answer = client.post(url(order), {"provider": "alipay"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "provider_unavailable"
    paid = make_order(user=order.user, status=OrderStatus.PAID)
    answer = client.post(url(paid), {"provider": "sandbox"})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "invalid_state"
    assert not Payment.objects.exists()


def test_another_users_order_is_404(api_client):
    order = make_order()
    answer = authed(api_client, make_user()).post(url(order), {"provider": "sandbox"})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert (
        api_client.post("/api/v1/orders/NOPE/payments/", {"provider": "sandbox"}).status_code == 404
    )


def test_anonymous_is_refused(api_client):
    order = make_order()
    assert api_client.post(url(order), {"provider": "sandbox"}).status_code in (401, 403)


def test_order_detail_lists_payments(api_client):
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    answer = authed(api_client, order.user).get(f"/api/v1/orders/{order.number}/")
    assert answer.status_code == 200
    assert answer.json()["payments"] == [
        {
            "id": payment.pk,
            "provider": "sandbox",
            "out_trade_no": payment.out_trade_no,
            "amount": f"{payment.amount:.2f}",
            "status": "pending",
            "created": answer.json()["payments"][0]["created"],
        }
    ]


def test_schema_describes_payment_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/orders/{number}/payments/",
        "/api/v1/payments/callbacks/alipay/",
        "/api/v1/payments/callbacks/wechat/",
        "/api/v1/payments/callbacks/sandbox/",
    ):
        assert path in schema


# ------------------------------------------------------------------ the wallet page


def test_pay_page_shows_amount_qr_and_button(client):
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    page = client.get(payment.client_payload["pay_url"].removeprefix("http://testserver"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"¥{order.total}" in html
    assert "<svg" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<form method="post">' in html


def test_pay_page_post_needs_csrf_and_pays(
    client, wallet_delivers_in_process, django_capture_on_commit_callbacks
):
    from django.test import Client

    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    path = f"/pay/sandbox/{payment.out_trade_no}/"
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path).status_code == 403
    assert not SandboxWalletPayment.objects.exists()

    page = strict.get(path)
    token = page.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        answer = strict.post(path, {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    assert wallet_delivers_in_process == [204]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert "Paid." in strict.get(path).content.decode()


def test_pay_page_unknown_or_disabled(client, settings):
    assert client.get("/pay/sandbox/NOPE-123456/").status_code == 404
    payment = services.payment_start(order=make_order(), provider="sandbox")
    settings.PAYMENTS_SANDBOX_ENABLED = False
    assert client.get(f"/pay/sandbox/{payment.out_trade_no}/").status_code == 404


# ------------------------------------------------------------------ wallet delivery


def test_wallet_delivery_retries_until_2xx_and_may_duplicate(
    httpserver, settings, django_capture_on_commit_callbacks
):
    settings.SANDBOX_WALLET_NOTIFY_BASE_URL = httpserver.url_for("/").rstrip("/")
    path = "/api/v1/payments/callbacks/sandbox/"
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    with django_capture_on_commit_callbacks(execute=False):
        wallet = sandbox_wallet_pay(out_trade_no=payment.out_trade_no)

    httpserver.expect_oneshot_request(path).respond_with_data("down", status=503)
    with pytest.raises(RuntimeError):
        sandbox_wallet_deliver(wallet_id=wallet.pk, event="SUCCESS")
    settings.SANDBOX_WALLET_DUPLICATE_RATE = 1.0  # always deliver twice
    httpserver.expect_request(path).respond_with_data("", status=204)
    assert sandbox_wallet_deliver(wallet_id=wallet.pk, event="SUCCESS") == 204
    requests = [request for request, _ in httpserver.log]
    assert len(requests) == 3
    assert len({json.loads(r.get_data())["id"] for r in requests}) == 1  # one event, 3 times
    request = requests[-1]
    assert Decimal(json.loads(request.get_data())["amount"]) == order.total
    # The receiving side checks the signature with the shared secret (PAYMENTS.md).
    t, v1 = (p.split("=", 1)[1] for p in request.headers["X-Sandbox-Signature"].split(","))
    message = f"{t}.".encode() + request.get_data()
    expected = hmac.new(SANDBOX_SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)


def test_wallet_delivery_network_error_raises(settings, closed_port_url):
    settings.SANDBOX_WALLET_NOTIFY_BASE_URL = closed_port_url
    order = make_order()
    payment = services.payment_start(order=order, provider="sandbox")
    wallet = SandboxWalletPayment.objects.create(
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        status="paid",
        trade_no="SB1",
        pay_event_id="evt_1",
    )
    with pytest.raises(httpx.HTTPError):
        sandbox_wallet_deliver(wallet_id=wallet.pk, event="SUCCESS")
