"""The channels API: idempotent resend, error codes, the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channels.models import ChannelOrder
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(variant, quantity=1):
    return {
        "lines": [{"variant": variant.pk, "quantity": quantity}],
        "villager": {"name": "古丽米拉", "phone": "139 0013 9000"},
    }


def test_a_resend_whose_first_answer_was_lost_is_the_same_order(agent, station, variant):
    client = _client(agent)
    url = f"/api/v1/channels/{station.slug}/orders/"
    first = client.post(url, _body(variant), format="json", HTTP_IDEMPOTENCY_KEY="pg-1")
    again = client.post(url, _body(variant), format="json", HTTP_IDEMPOTENCY_KEY="pg-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == again.json()["number"]
    assert len(first.json()["pickup_code"]) == 6
    assert ChannelOrder.objects.count() == 1
    other = client.post(url, _body(variant, 2), format="json", HTTP_IDEMPOTENCY_KEY="pg-1")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"


def test_station_flow_cash_arrival_pickup_over_the_api(agent, station, variant):
    client = _client(agent)
    base = f"/api/v1/channels/{station.slug}/"
    number = client.post(base + "orders/", _body(variant), format="json").json()["number"]
    early = client.post(base + f"orders/{number}/arrived/")
    assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_state"
    paid = client.post(base + f"orders/{number}/cash/")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    arrived = client.post(base + f"orders/{number}/arrived/").json()
    assert arrived["ready_at"]
    code = arrived["pickup_code"]
    ok = client.post(base + "pickup/", {"code": code}, format="json")
    assert ok.status_code == 200 and ok.json()["collected_at"]
    twice = client.post(base + "pickup/", {"code": code}, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_collected"
    wrong = client.post(base + "pickup/", {"code": "abc"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_pickup_code"
    listed = client.get(base + "orders/").json()
    assert [o["number"] for o in listed] == [number]
    report = client.get(base + "cash-report/").json()
    assert report["clerks"][0]["clerk"] == agent.username
    bad_day = client.get(base + "cash-report/?day=yesterday")
    assert bad_day.status_code == 400 and bad_day.json()["error"]["code"] == "invalid"


def test_errors_have_codes(agent, station, variant):
    client = _client(agent)
    base = f"/api/v1/channels/{station.slug}/"
    no_villager = client.post(base + "orders/", {"lines": _body(variant)["lines"]}, format="json")
    assert no_villager.status_code == 400 and "villager" in no_villager.json()["error"]["details"]
    bad_phone = client.post(
        base + "orders/",
        {**_body(variant), "villager": {"name": "x", "phone": "12"}},
        format="json",
    )
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()["error"]["details"]
    short = client.post(base + "orders/", _body(variant, 11), format="json")
    assert short.status_code == 409 and short.json()["error"]["code"] == "insufficient_stock"
    stranger = _client(make_user()).get(base + "orders/")
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "not_an_agent"
    nowhere = client.get("/api/v1/channels/nowhere/orders/")
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "place_not_found"
    not_mine = client.post(base + "orders/FG000000XXXX/cash/")
    assert not_mine.status_code == 404


def test_scan_finds_the_exact_sku_first(agent, station, variant):
    client = _client(agent)
    found = client.get(f"/api/v1/channels/{station.slug}/lookup/?q={variant.sku.lower()}")
    assert [v["id"] for v in found.json()] == [variant.pk]


def test_the_counter_sells_without_villager_and_without_shipping(clerk, store, variant):
    client = _client(clerk)
    body = {"lines": [{"variant": variant.pk, "quantity": 1}]}
    made = client.post(f"/api/v1/channels/{store.slug}/orders/", body, format="json")
    assert made.status_code == 201
    assert made.json()["channel"] == "counter" and made.json()["shipping_fee"] == "0.00"


def test_the_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/channels/{slug}/orders/",
        "/api/v1/channels/{slug}/orders/{number}/cash/",
        "/api/v1/channels/{slug}/orders/{number}/arrived/",
        "/api/v1/channels/{slug}/orders/{number}/wallet/",
        "/api/v1/channels/{slug}/pickup/",
        "/api/v1/channels/{slug}/lookup/",
        "/api/v1/channels/{slug}/cash-report/",
    ):
        assert path in paths, path
    pickup = paths["/api/v1/channels/{slug}/pickup/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "409"} <= set(pickup)


def test_the_wallet_pay_link_comes_with_its_qr(agent, station, variant):
    client = _client(agent)
    base = f"/api/v1/channels/{station.slug}/"
    number = client.post(base + "orders/", _body(variant), format="json").json()["number"]
    answer = client.post(base + f"orders/{number}/wallet/")
    assert answer.status_code == 200
    assert "/pay/sandbox/" in answer.json()["pay_url"]
    assert answer.json()["qr_svg"].startswith("<svg")
