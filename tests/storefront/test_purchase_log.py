"""The log of a whole purchase, written as production writes it (JSON lines at DEBUG):
sign-up, sign-in, cart, order, sandbox payment, the wallet's signed notification
applied, parcels created, a parcel shipped and the buyer mailed. No secret, token,
session, password, signature or personal detail of the buyer appears in it, and every
line written while serving a request carries that request's id."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core import mail

from fulfilment import services as fulfilment_services
from fulfilment.models import Shipment
from orders.constants import OrderStatus
from orders.models import Order
from payments.sandbox import notifier as wallet
from tests.factories import make_carriers, make_manager, make_product, make_variant
from tests.payments.conftest import wallet_delivers_in_process  # noqa: F401 (a fixture)

from .helpers import root_log

PASSWORD = "Buyer-Pa55word-9f3k"
PHONE = "13912345678"
EMAIL = "zhang.wei.buyer@example.cn"
STREET = "Qiaotou Village Road 17"


@pytest.fixture
def production_log():
    """Root logging configured as production's (JSON, filters) at DEBUG, into a buffer."""
    with root_log(level="DEBUG") as buffer:
        yield buffer


@pytest.mark.django_db
def test_a_whole_purchase_logs_no_secret(
    client,
    wallet_delivers_in_process,  # noqa: F811 (the fixture imported above)
    production_log,  # after the wallet's fixture: its django.setup() configures logging
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    make_carriers()
    variant = make_variant(product=make_product(), price="45.50", stock=20)
    manager = make_manager(variant.product.cooperative)
    manager.email = "manager@coop.example.cn"
    manager.save()

    signatures: list[str] = []
    sign = wallet.sandbox_wallet_notification

    def recording_sign(**kwargs):
        body, signature = sign(**kwargs)
        signatures.append(signature)
        return body, signature

    monkeypatch.setattr(wallet, "sandbox_wallet_notification", recording_sign)

    answer = client.post(
        "/api/v1/auth/register/",
        {"username": "zhangwei", "password": PASSWORD, "email": EMAIL, "phone": PHONE},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    token = answer.json()["token"]
    api = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.post(
        "/accounts/login/", {"username": "zhangwei", "password": PASSWORD}
    ).status_code in (200, 302)
    session_id = client.cookies["sessionid"].value
    request_ids = []

    def call(method, path, body=None, **extra):
        response = getattr(client, method)(
            path, body, content_type="application/json", **api, **extra
        )
        request_ids.append(response["X-Request-ID"])
        return response

    assert call("post", "/api/v1/cart/items/", {"variant": variant.pk, "quantity": 2}).status_code
    with django_capture_on_commit_callbacks(execute=True):
        placed = call(
            "post",
            "/api/v1/orders/",
            {
                "from_cart": True,
                "shipping_address": {
                    "name": "Zhang Wei",
                    "phone": PHONE,
                    "province": "Xinjiang",
                    "city": "Altay",
                    "district": "Jeminay",
                    "address": STREET,
                    "postcode": "836800",
                },
            },
            HTTP_IDEMPOTENCY_KEY="purchase-1",
        )
    assert placed.status_code == 201, placed.content
    number = placed.json()["number"]
    started = call("post", f"/api/v1/orders/{number}/payments/", {"provider": "sandbox"})
    assert started.status_code == 201, started.content
    pay_path = started.json()["client_payload"]["pay_url"].removeprefix("http://testserver")
    assert client.get(pay_path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(pay_path)
    request_ids.append(paid["X-Request-ID"])
    assert wallet_delivers_in_process and wallet_delivers_in_process[0] == 204
    order = Order.objects.get(number=number)
    assert order.status == OrderStatus.PAID
    shipment = Shipment.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="sf", tracking_number="SF1400123456789"
        )
    assert call("get", f"/api/v1/orders/{number}/").json()["status"] == OrderStatus.SHIPPED
    assert any(EMAIL in m.to for m in mail.outbox)  # the buyer was mailed
    assert signatures

    text = production_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    # The purchase did log each of its steps, so the scan below means something.
    logged = " ".join(line["message"] for line in lines)
    for step in (
        "order_placed",
        "sandbox_wallet_notify_task",
        "payment_notification_apply_task",
        "shipments_create_task",
        "notification_deliver_task",  # the buyer told of the payment and the parcel
    ):
        assert step in logged, text
    secrets = {
        "SECRET_KEY": settings.SECRET_KEY,
        "sandbox wallet secret": settings.SANDBOX_WALLET_SECRET,
        "API token": token,
        "session id": session_id,
        "CSRF token": client.cookies["csrftoken"].value,
        "password": PASSWORD,
        "manager's password hash": manager.password,
        **{f"signature {i}": s.split("v1=")[1] for i, s in enumerate(signatures)},
        "phone": PHONE,
        "e-mail": EMAIL,
        "street address": STREET,
    }
    leaked = {what: value for what, value in secrets.items() if value in text}
    assert leaked == {}, "\n".join(
        line for line in text.splitlines() if any(v in line for v in leaked.values())
    )
    # Each request's own lines (the wallet's payment included) carry its id.
    by_request = {line["request_id"] for line in lines if line["request_id"]}
    assert set(request_ids) & by_request
    assert all(len(rid) == 32 for rid in request_ids)
    tasks = {line["task"] for line in lines if line["task"]}
    assert "lifecycle.tasks.payment_notification_apply_task" in tasks, tasks
