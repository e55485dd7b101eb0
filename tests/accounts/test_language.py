"""A person's language is remembered at sign-up and used for their e-mails."""

import pytest
from django.core import mail

from accounts.models import User
from fulfilment import services as fulfilment_services
from tests.factories import make_carriers, make_paid_order

pytestmark = pytest.mark.django_db


def test_api_registration_keeps_the_requests_language(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"username": "nurlan", "password": "wheat-and-wind-42"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ug",
    )
    assert response.status_code == 201, response.content
    assert User.objects.get(username="nurlan").language == "ug"


def test_buyer_shipping_email_is_in_the_buyers_language():
    make_carriers()
    order = make_paid_order()
    order.user.email = "buyer@example.com"
    order.user.language = "zh-hans"
    order.user.save()
    (shipment,) = fulfilment_services.shipments_create_for_order(order_id=order.pk)
    mail.outbox.clear()
    fulfilment_services.shipment_mark_shipped(
        shipment_id=shipment.pk, carrier="sf", tracking_number="SF1234567890"
    )
    fulfilment_services.shipment_notify_buyer_shipped(shipment_id=shipment.pk)
    sent = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert sent, [m.to for m in mail.outbox]
    assert sent[0].extra_headers.get("Content-Language") == "zh-hans"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in sent[0].subject), sent[0].subject
