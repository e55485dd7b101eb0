"""The storefront's "collect at a station" checkout and the order page's pickup code."""

from __future__ import annotations

import pytest
from django.test import Client

from channels.constants import PlaceKind
from channels.models import ChannelOrder
from orders.models import CartItem, Order, SavedAddress
from tests.channels.conftest import make_place
from tests.factories import make_county, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer():
    return make_user("page-buyer", phone="+8613900139555")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_checkout_offers_a_station_and_places_a_pickup_order(buyer, station, variant):
    near = make_place(kind=PlaceKind.STATION, name="托斯特服务站", slug="near", district="吉木乃县")
    make_place(
        kind=PlaceKind.STATION,
        name="禾木服务站",
        slug="far",
        district="布尔津县",
        address="禾木村",
        county=make_county(slug="burqin", name="布尔津县"),
    )
    SavedAddress.objects.create(
        user=buyer,
        is_default=True,
        address={
            "name": "x",
            "phone": "+8613900139555",
            "province": "新疆维吾尔自治区",
            "city": "阿勒泰地区",
            "district": "布尔津县",
            "address": "1",
        },
    )
    CartItem.objects.create(user=buyer, variant=variant, quantity=2)
    client = _client(buyer)
    assert "/checkout/pickup/" in client.get("/checkout/").content.decode()
    page = client.get("/checkout/pickup/").content.decode()
    assert 'value="far"' in page and 'value="near"' not in page  # the buyer's county
    found = client.get("/checkout/pickup/?q=托斯特").content.decode()
    assert 'value="near"' in found and 'value="far"' not in found
    assert 'value="13900139555"' in found  # the account's phone, ready to use
    key = "page-key-1"
    body = {
        "idempotency_key": key,
        "pickup_station": near.slug,
        "name": "王",
        "phone": "13900139555",
    }
    placed = client.post("/checkout/pickup/", body)
    order = Order.objects.get()
    assert placed.status_code == 302 and placed["Location"].endswith(f"/orders/{order.number}/pay/")
    assert not CartItem.objects.exists()
    again = client.post("/checkout/pickup/", body)  # a double click: the same order
    assert again.status_code == 302 and Order.objects.count() == 1
    row = ChannelOrder.objects.get()
    assert row.place == near and row.agent is None
    detail = client.get(f"/orders/{order.number}/").content.decode()
    assert row.pickup_code in detail and "托斯特服务站" in detail
    assert "禾木服务站" not in detail


def test_the_pickup_checkout_refuses_bad_input_and_places_nothing(buyer, station, variant):
    CartItem.objects.create(user=buyer, variant=variant, quantity=1)
    client = _client(buyer)
    base = {"idempotency_key": "k", "name": "王", "phone": "13900139555"}
    unknown = client.post("/checkout/pickup/", {**base, "pickup_station": "nowhere"})
    assert unknown.status_code == 200 and "id_pickup_station_error" in unknown.content.decode()
    none = client.post("/checkout/pickup/", {**base, "pickup_station": ""})
    assert none.status_code == 200
    bad_phone = client.post(
        "/checkout/pickup/", {**base, "pickup_station": station.slug, "phone": "12"}
    )
    assert bad_phone.status_code == 200 and "id_phone_error" in bad_phone.content.decode()
    assert not Order.objects.exists() and CartItem.objects.count() == 1


def test_another_buyer_gets_404_and_the_order_page_of_a_home_order_has_no_code(
    buyer, station, variant
):
    CartItem.objects.create(user=buyer, variant=variant, quantity=1)
    _client(buyer).post(
        "/checkout/pickup/",
        {
            "idempotency_key": "k2",
            "pickup_station": station.slug,
            "name": "王",
            "phone": "13900139555",
        },
    )
    order = Order.objects.get()
    assert _client(make_user()).get(f"/orders/{order.number}/").status_code == 404
    empty = _client(make_user()).get("/checkout/pickup/")
    assert empty.status_code == 302  # an empty cart goes back to the cart
