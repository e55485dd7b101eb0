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


def test_buyer_shipping_email_is_in_the_buyers_language(django_capture_on_commit_callbacks):
    make_carriers()
    order = make_paid_order()
    order.user.email = "buyer@example.com"
    order.user.language = "zh-hans"
    order.user.save()
    (shipment,) = fulfilment_services.shipments_create_for_order(order_id=order.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment_services.shipment_mark_shipped(
            shipment_id=shipment.pk, carrier="sf", tracking_number="SF1234567890"
        )
    sent = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert sent, [m.to for m in mail.outbox]
    assert sent[0].extra_headers.get("Content-Language") == "zh-hans"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in sent[0].subject), sent[0].subject


def test_sms_sign_in_keeps_the_language_of_a_new_or_languageless_account(
    api_client, django_capture_on_commit_callbacks
):
    """The language the person signs in with by SMS code: kept for a new account and for
    one that has none yet; an account's own choice is never overwritten."""
    import re

    from sms.models import OutboxMessage

    def sign_in(phone, language):
        address = f"10.0.0.{phone[-1]}"  # one code a minute per client address
        with django_capture_on_commit_callbacks(execute=True):
            asked = api_client.post(
                "/api/v1/auth/sms/code/", {"phone": phone}, format="json", REMOTE_ADDR=address
            )
        assert asked.status_code == 202, asked.content
        code = re.search(r"\b(\d{6})\b", OutboxMessage.objects.latest("id").text).group(1)
        answer = api_client.post(
            "/api/v1/auth/sms/token/",
            {"phone": phone, "code": code},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert answer.status_code == 200, answer.content
        return User.objects.get(pk=answer.json()["user"]["id"])

    assert sign_in("+8613800138000", "ug").language == "ug"  # a new buyer
    old = User.objects.create(username="old", phone="+8613900139001", phone_verified=True)
    assert sign_in("+8613900139001", "zh-hans").language == "zh-hans"
    chosen = User.objects.create(
        username="chosen", phone="+8613700137002", phone_verified=True, language="en"
    )
    assert sign_in("+8613700137002", "ug").language == "en"
    assert old.pk != chosen.pk
