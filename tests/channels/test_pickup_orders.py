"""A buyer's own order collected at a pickup station (API.md "Stations and pickup"):
``GET stations/``, ``POST orders/`` with ``pickup_station``, the code shown only to the
buyer and the station's agents, the handover and the text message."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import Cooperative, Variant
from channels.constants import PlaceKind
from channels.models import ChannelOrder
from lifecycle.services import channels as flows
from lifecycle.services import order_paid
from notifications.constants import NotificationKind
from notifications.models import Notification
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import PaymentStatus
from sms.models import SmsMessage
from tests.channels.conftest import make_place
from tests.factories import ADDRESS, make_county, make_manager, make_payment, make_user

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def buyer():
    return make_user("pickup-buyer", phone="+8613900139555")


def _body(variant, station, **extra):
    return {
        "lines": [{"variant": variant.pk, "quantity": 2}],
        "pickup_station": station.slug,
        **extra,
    }


def _pay(order: Order) -> None:
    payment = make_payment(order=order)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        payment.status = PaymentStatus.SUCCEEDED
        payment.save(update_fields=["status"])
        order_paid(order=locked, payment=payment)


# --- GET stations/ ------------------------------------------------------------------


def test_stations_lists_open_pickup_points_paginated_and_filtered(station):
    other_county = make_county(slug="burqin")
    far = make_place(kind=PlaceKind.STATION, county=other_county, name="禾木服务站", slug="hemu")
    make_place(kind=PlaceKind.STATION, is_pickup_point=False, slug="no-parcels")
    make_place(kind=PlaceKind.STATION, active=False, slug="closed-station")
    make_place(kind=PlaceKind.STORE, is_pickup_point=False, slug="a-store")
    body = _client().get("/api/v1/stations/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert {s["slug"] for s in body["results"]} == {station.slug, far.slug}
    one = next(s for s in body["results"] if s["slug"] == far.slug)
    assert one["county"] == "burqin" and one["pickup"] is True and one["name"] == "禾木服务站"
    assert "托斯特乡村委会旁" in one["address"]
    by_county = _client().get("/api/v1/stations/?county=burqin").json()["results"]
    assert [s["slug"] for s in by_county] == ["hemu"]
    assert _client().get("/api/v1/stations/?search=禾木").json()["count"] == 1
    assert _client().get("/api/v1/stations/?search=nowhere").json()["count"] == 0
    paged = _client().get("/api/v1/stations/?page_size=1").json()
    assert len(paged["results"]) == 1 and paged["next"]
    twice = _client().get("/api/v1/stations/?county=a&county=b")
    assert twice.status_code == 400


def test_stations_list_costs_the_same_queries_for_any_number(django_assert_max_num_queries):
    for i in range(6):
        make_place(kind=PlaceKind.STATION, slug=f"s-{i}")
    with django_assert_max_num_queries(2):  # count + page (county joined)
        assert _client().get("/api/v1/stations/").json()["count"] == 6


def test_the_schema_describes_stations_and_the_pickup_fields():
    schema = _client().get("/api/schema/?format=json").json()
    assert "/api/v1/stations/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/stations/"]["get"]["parameters"]}
    assert {"county", "search", "page", "page_size"} <= params
    order = schema["components"]["schemas"]["Order"]["properties"]
    assert {"pickup_station", "pickup_code"} <= set(order)
    create = schema["components"]["schemas"]["OrderCreateInputRequest"]["properties"]
    assert {"pickup_station", "pickup_contact", "shipping_address"} <= set(create)


# --- POST orders/ with pickup_station -------------------------------------------------


def test_a_pickup_order_ships_to_the_station_with_a_code(buyer, station, variant):
    response = _client(buyer).post(
        "/api/v1/orders/", _body(variant, station), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["pickup_station"] == station.slug
    assert len(order["pickup_code"]) == 6 and order["pickup_code"].isdigit()
    assert order["shipping_address"]["address"] == station.address
    assert order["shipping_address"]["name"] == buyer.username
    assert order["shipping_address"]["phone"] == "+8613900139555"
    row = ChannelOrder.objects.get(order__number=order["number"])
    assert row.agent is None and row.place == station and row.pickup_code == order["pickup_code"]
    assert row.villager_phone == "+8613900139555"
    # Shipping: the cooperative's rules to the station's address, like an assisted order.
    assert Decimal(order["shipping_fee"]) > 0
    assert Variant.objects.get(pk=variant.pk).stock == 8
    station.agents.add(agent := make_user())
    assisted, _ = flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name="古丽米拉",
        villager_phone="13900139000",
        lines=[{"variant": variant.pk, "quantity": 2}],
        idempotency_key=None,
    )
    assert Decimal(order["shipping_fee"]) == assisted.shipping_fee
    again = _client(buyer).post(
        "/api/v1/orders/", _body(variant, station), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again.status_code == 200 and again.json()["number"] == order["number"]
    assert again.json()["pickup_code"] == order["pickup_code"]
    listed = _client(buyer).get("/api/v1/orders/").json()["results"][0]
    assert listed["pickup_code"] == order["pickup_code"]
    detail = _client(buyer).get(f"/api/v1/orders/{order['number']}/").json()
    assert detail["pickup_station"] == station.slug
    other = _client(buyer).post(
        "/api/v1/orders/",
        {**_body(variant, station), "pickup_contact": {"name": "阿曼", "phone": "13900139666"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"


def test_a_home_order_has_no_station_and_costs_no_more_queries(buyer, variant):
    response = _client(buyer).post(
        "/api/v1/orders/",
        {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": ADDRESS},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["pickup_station"] is None and response.json()["pickup_code"] is None
    assert not ChannelOrder.objects.exists()


def test_the_order_list_reads_pickup_stations_without_a_query_per_order(buyer, station, variant):
    client = _client(buyer)
    for _ in range(2):
        client.post("/api/v1/orders/", _body(variant, station), format="json")
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/orders/")
    for _ in range(3):
        client.post(
            "/api/v1/orders/",
            {**_body(variant, station), "lines": [{"variant": variant.pk, "quantity": 1}]},
            format="json",
        )
    with CaptureQueriesContext(connection) as second:
        body = client.get("/api/v1/orders/").json()
    assert len(second.captured_queries) == len(first.captured_queries) <= 12
    assert body["count"] == 5 and all(o["pickup_code"] for o in body["results"])


def test_a_contact_may_replace_the_accounts_name_and_phone(station, variant):
    no_phone = make_user()
    refused = _client(no_phone).post("/api/v1/orders/", _body(variant, station), format="json")
    assert refused.status_code == 400
    assert "pickup_contact" in refused.json()["error"]["details"]
    placed = _client(no_phone).post(
        "/api/v1/orders/",
        _body(variant, station, pickup_contact={"name": "阿曼", "phone": "139 0013 9666"}),
        format="json",
    )
    assert placed.status_code == 201
    row = ChannelOrder.objects.get()
    assert (row.villager_name, row.villager_phone) == ("阿曼", "+8613900139666")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"pickup_station": "nowhere"}, "unknown_station", "pickup_station"),
        ({"pickup_station": 12}, "invalid", "pickup_station"),
        ({"pickup_station": ["x"]}, "invalid", "pickup_station"),
        ({"pickup_station": None}, "invalid", "pickup_station"),
        ({"pickup_station": ""}, "invalid", "pickup_station"),
        ({"pickup_station": "STATION", "shipping_address": ADDRESS}, "invalid", "pickup_station"),
        ({}, "invalid", "shipping_address"),
        ({"pickup_station": "STATION", "pickup_contact": "me"}, "invalid", "pickup_contact"),
        (
            {"pickup_station": "STATION", "pickup_contact": {"phone": 13900139000}},
            "invalid",
            "pickup_contact",
        ),
        (
            {"pickup_station": "STATION", "pickup_contact": {"phone": "12"}},
            "invalid",
            "phone",
        ),
        (
            {"shipping_address": ADDRESS, "pickup_contact": {"phone": "13900139000"}},
            "invalid",
            "pickup_contact",
        ),
    ],
)
def test_bad_pickup_input_is_refused_with_a_code_and_changes_nothing(
    buyer, station, variant, body, code, field
):
    body = {
        "lines": [{"variant": variant.pk, "quantity": 1}],
        **{k: (station.slug if v == "STATION" else v) for k, v in body.items()},
    }
    response = _client(buyer).post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert field in str(error["details"])
    assert not Order.objects.exists() and Variant.objects.get(pk=variant.pk).stock == 10


@pytest.mark.parametrize("what", ["inactive", "not_pickup", "store"])
def test_a_station_that_cannot_receive_parcels_is_refused(buyer, variant, what):
    place = {
        "inactive": lambda: make_place(kind=PlaceKind.STATION, active=False),
        "not_pickup": lambda: make_place(kind=PlaceKind.STATION, is_pickup_point=False),
        "store": lambda: make_place(kind=PlaceKind.STORE, is_pickup_point=True),
    }[what]()
    response = _client(buyer).post("/api/v1/orders/", _body(variant, place), format="json")
    assert response.status_code == 400
    expected = "not_a_pickup_point" if what == "not_pickup" else "unknown_station"
    assert response.json()["error"]["code"] == expected
    assert not Order.objects.exists()


# --- who sees the code ----------------------------------------------------------------


def test_the_code_is_shown_to_the_buyer_and_the_stations_agents_only(
    buyer, agent, station, variant
):
    number = (
        _client(buyer)
        .post("/api/v1/orders/", _body(variant, station), format="json")
        .json()["number"]
    )
    code = ChannelOrder.objects.get().pickup_code
    # Another buyer: 404, like any other user's order.
    stranger = _client(make_user()).get(f"/api/v1/orders/{number}/")
    assert stranger.status_code == 404 and code not in stranger.content.decode()
    # The station's agent sees it in the station's pickup list, with the code.
    listed = _client(agent).get(f"/api/v1/channels/{station.slug}/orders/").json()
    assert [(o["number"], o["pickup_code"], o["buyer_pickup"]) for o in listed] == [
        (number, code, True)
    ]
    # An agent of another station does not.
    elsewhere_agent = make_user()
    elsewhere = make_place(kind=PlaceKind.STATION, agents=[elsewhere_agent])
    theirs = _client(elsewhere_agent).get(f"/api/v1/channels/{elsewhere.slug}/orders/").json()
    assert theirs == []
    # A cooperative's staff: the order as rendered for them carries no code.
    from lifecycle.selectors import order_detail_queryset, order_pickup

    order = order_detail_queryset().get(number=number)
    manager = make_manager(Cooperative.objects.get())
    assert order_pickup(order, viewer=manager) == {
        "pickup_station": station.slug,
        "pickup_code": None,
    }
    assert order_pickup(order, viewer=None)["pickup_code"] is None
    assert order_pickup(order, viewer=agent)["pickup_code"] == code
    assert order_pickup(order, viewer=buyer)["pickup_code"] == code
    # The agent cannot take cash for it or start a payment: it is the buyer's to pay.
    base = f"/api/v1/channels/{station.slug}/orders/{number}/"
    assert _client(agent).post(base + "cash/").status_code == 404
    assert _client(agent).post(base + "wallet/").status_code == 404


# --- arrival, the text message, the handover ----------------------------------------


def test_the_buyers_pickup_order_is_texted_once_and_collected_like_an_assisted_one(
    buyer, agent, station, variant
):
    number = (
        _client(buyer)
        .post("/api/v1/orders/", _body(variant, station), format="json")
        .json()["number"]
    )
    order = Order.objects.get(number=number)
    early = _client(agent).post(f"/api/v1/channels/{station.slug}/orders/{number}/arrived/")
    assert early.status_code == 409
    _pay(order)
    for _ in range(3):  # scanned in three times: one notice, one text
        arrived = _client(agent).post(f"/api/v1/channels/{station.slug}/orders/{number}/arrived/")
        assert arrived.status_code == 200 and arrived.json()["ready_at"]
    code = ChannelOrder.objects.get().pickup_code
    texts = SmsMessage.objects.filter(phone="+8613900139555")
    assert texts.count() == 1
    assert texts.get().template == NotificationKind.ORDER_READY_FOR_PICKUP
    assert texts.get().dedupe_key == f"order:{number}:ready_for_pickup"
    news = Notification.objects.filter(kind=NotificationKind.ORDER_READY_FOR_PICKUP)
    assert [(n.user_id, n.context["pickup_code"]) for n in news] == [(buyer.pk, code)]
    # The SMS preference of the buyer's account does not text it a second time.
    assert SmsMessage.objects.count() == 1
    wrong = _client(agent).post(
        f"/api/v1/channels/{station.slug}/pickup/", {"code": "000000"}, format="json"
    )
    assert wrong.status_code == 400 or code == "000000"
    ok = _client(agent).post(
        f"/api/v1/channels/{station.slug}/pickup/", {"code": code}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["number"] == number
    twice = _client(agent).post(
        f"/api/v1/channels/{station.slug}/pickup/", {"code": code}, format="json"
    )
    assert twice.json()["error"]["code"] == "already_collected"
    row = ChannelOrder.objects.get()
    assert row.collected_by == agent and row.collected_at


def test_an_assisted_order_texts_the_villager_once_and_keeps_the_agents_notice(
    agent, station, variant
):
    order, _ = flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name="古丽米拉",
        villager_phone="139 0013 9000",
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key="v-1",
    )
    flows.channel_cash_take(number=order.number, agent=agent)
    flows.parcel_arrived(number=order.number, agent=agent)
    flows.parcel_arrived(number=order.number, agent=agent)
    texts = SmsMessage.objects.all()
    assert [m.phone for m in texts] == ["+8613900139000"]
    news = Notification.objects.filter(kind=NotificationKind.ORDER_READY_FOR_PICKUP)
    assert [n.user_id for n in news] == [agent.pk]


def test_no_sms_provider_still_marks_the_parcel_ready(settings, agent, station, variant):
    settings.SMS_BACKEND = ""
    order, _ = flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name="古丽米拉",
        villager_phone="13900139000",
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key="v-2",
    )
    flows.channel_cash_take(number=order.number, agent=agent)
    row = flows.parcel_arrived(number=order.number, agent=agent)
    assert row.ready_at is not None and not SmsMessage.objects.exists()


def test_a_buyers_pickup_order_adds_nothing_to_the_stations_commission(
    buyer, agent, station, variant
):
    number = (
        _client(buyer)
        .post("/api/v1/orders/", _body(variant, station), format="json")
        .json()["number"]
    )
    _pay(Order.objects.get(number=number))
    assert Order.objects.get(number=number).status == OrderStatus.PAID
    assert flows.station_commission(place=station) == Decimal("0.00")
