"""The agent texts the villager a link to pay from their own wallet (issue 14 §3):
``POST channels/<place>/orders/<number>/pay-link/``."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channels.constants import PlaceKind
from lifecycle.services import channels as flows
from notifications.constants import NotificationKind
from payments.models import Payment
from sms import sealing
from sms.models import SmsMessage
from tests.channels.conftest import make_place
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _place(agent, station, variant, key="pl-1"):
    order, _ = flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name="古丽米拉",
        villager_phone="139 0013 9000",
        lines=[{"variant": variant.pk, "quantity": 2}],
        idempotency_key=key,
    )
    return order


def _url(station, number):
    return f"/api/v1/channels/{station.slug}/orders/{number}/pay-link/"


def test_the_pay_link_is_texted_to_the_villager_once_however_often_it_is_pressed(
    agent, station, variant
):
    order = _place(agent, station, variant)
    answers = [_client(agent).post(_url(station, order.number)) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert answers[0].json()["sent_to"] == "+86139****9000"
    pay_url = answers[0].json()["pay_url"]
    assert pay_url and all(a.json()["pay_url"] == pay_url for a in answers)
    # One trade (the pending payment is reused), one text to the villager's phone.
    assert Payment.objects.filter(order=order).count() == 1
    text = SmsMessage.objects.get()
    assert text.phone == "+8613900139000"
    assert text.template == NotificationKind.ORDER_PAY_LINK
    sealed = sealing.unseal(text.payload_sealed)
    assert pay_url in sealed["text"] and order.number in sealed["text"]
    assert sealed["params"] == {
        "number": order.number,
        "total": str(order.total),
        "pay_url": pay_url,
    }


def test_a_paid_order_gets_no_pay_link(agent, station, variant):
    order = _place(agent, station, variant)
    flows.channel_cash_take(number=order.number, agent=agent)
    answer = _client(agent).post(_url(station, order.number))
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "invalid_state"
    assert not SmsMessage.objects.exists()


def test_another_agents_order_is_not_found_and_nothing_is_texted(agent, station, variant):
    order = _place(agent, station, variant)
    other = make_user("agent-two")
    station.agents.add(other)  # an agent of the same station who did not place it
    assert _client(other).post(_url(station, order.number)).status_code == 404
    stranger = make_user("not-an-agent")
    assert _client(stranger).post(_url(station, order.number)).status_code == 403
    assert APIClient().post(_url(station, order.number)).status_code == 401
    assert not SmsMessage.objects.exists() and not Payment.objects.exists()


def test_a_counter_sale_has_no_phone_to_text(clerk, variant):
    store = make_place(kind=PlaceKind.STORE, agents=[clerk], is_pickup_point=False)
    order, _ = flows.counter_sale_place(
        clerk=clerk,
        place_slug=store.slug,
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key="c-1",
    )
    answer = _client(clerk).post(_url(store, order.number))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "no_phone"
    assert not SmsMessage.objects.exists()
