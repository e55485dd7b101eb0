"""Addresses from the official regions: ``region_code`` fills the names, an unknown code
is refused, names are matched to a code, remote provinces cost the cooperative's
surcharge, and the checkout page's selects work without JavaScript."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Cooperative
from orders import services
from orders.models import CartItem, Order, OrderShipping
from tests.factories import make_cooperative, make_product

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _body(variant, address, **extra):
    return {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": address, **extra}


def test_region_code_fills_province_city_and_district(buyer_client, address):
    variant = make_product().variants.get()
    given = {**address, "province": "", "city": "", "district": "", "region_code": "654326"}
    response = buyer_client.post(ORDERS, _body(variant, given), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["shipping_address"] | {} == {
        **address,
        "phone": "+8613800138000",  # stored E.164, like accounts' numbers
        "province": "新疆维吾尔自治区",
        "city": "阿勒泰地区",
        "district": "吉木乃县",
        "region_code": "654326",
    }


@pytest.mark.parametrize("code", ["999999", "650000", "654300", "65432", "abcdef", 654326])
def test_an_address_without_a_valid_district_code_is_refused(buyer_client, address, code):
    variant = make_product().variants.get()
    response = buyer_client.post(ORDERS, _body(variant, {**address, "region_code": code}))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "region_code" in error["details"]["shipping_address"]
    assert not Order.objects.exists()


def test_names_that_match_the_table_get_their_code(buyer, address):
    variant = make_product().variants.get()
    typed = {**address, "province": "重庆市", "city": "重庆市", "district": "城口县"}
    order, _ = services.order_place(
        user=buyer, shipping_address=typed, lines=[{"variant": variant.pk, "quantity": 1}]
    )
    assert order.shipping_address["region_code"] == "500229"


def test_remote_province_surcharge_is_added_even_to_free_shipping(buyer, address):
    coop = make_cooperative(
        shipping_base_fee=Decimal("8.00"),
        shipping_fee_per_kg=Decimal("0.00"),
        free_shipping_over=Decimal("100.00"),
        shipping_region_surcharges={"650000": "12.00", "540000": "15.50"},
    )
    cheap = make_product(cooperative=coop, price="20.00").variants.get()
    dear = make_product(cooperative=coop, price="150.00").variants.get()

    def fee(variant, code):
        order, _ = services.order_place(
            user=buyer,
            shipping_address={**address, "region_code": code},
            lines=[{"variant": variant.pk, "quantity": 1}],
        )
        return OrderShipping.objects.get(order=order).fee

    assert fee(cheap, "654326") == Decimal("20.00")  # Xinjiang: 8 + 12
    assert fee(cheap, "540102") == Decimal("23.50")  # Lhasa, Tibet: 8 + 15.50
    assert fee(cheap, "110108") == Decimal("8.00")  # Beijing: no surcharge
    assert fee(dear, "654326") == Decimal("12.00")  # free shipping, the surcharge stays
    assert fee(dear, "110108") == Decimal("0.00")


def test_shipping_fee_rule_with_a_region():
    coop = make_cooperative(free_shipping_over=None, shipping_region_surcharges={"650000": "3.10"})
    fee = services.shipping_fee_for
    base = fee(cooperative=coop, goods_total=Decimal("10"), weight_grams=1000)
    assert fee(
        cooperative=coop, goods_total=Decimal("10"), weight_grams=1000, region_code="654326"
    ) == base + Decimal("3.10")
    assert (
        fee(cooperative=coop, goods_total=Decimal("10"), weight_grams=1000, region_code="") == base
    )


@pytest.mark.parametrize(
    "value",
    [
        {"999999": "1.00"},
        {"654300": "1.00"},
        {"650000": "-1"},
        {"650000": "abc"},
        {"650000": "1.001"},
        {"650000": "1000"},
        ["650000"],
    ],
)
def test_surcharges_must_be_province_codes_and_amounts(value):
    coop = make_cooperative()
    coop.shipping_region_surcharges = value
    with pytest.raises(ValidationError):
        coop.full_clean()
    assert Cooperative.objects.get(pk=coop.pk).shipping_region_surcharges == {}


# --- the checkout page, without JavaScript ----------------------------------------
@pytest.fixture
def page_buyer(client, buyer):
    client.force_login(buyer)
    variant = make_product().variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=1)
    return client


def test_checkout_selects_fill_level_by_level_by_reloading(page_buyer, address):
    body = page_buyer.get("/checkout/").content.decode()
    assert 'name="region_province"' in body and "新疆维吾尔自治区" in body
    assert "阿勒泰地区" not in body  # no city list before a province
    step = {**address, "idempotency_key": "k", "region_province": "650000", "region_refresh": "1"}
    body = page_buyer.post("/checkout/", step).content.decode()
    assert "阿勒泰地区" in body and "吉木乃县" not in body
    assert not Order.objects.exists()  # a refresh never places the order
    step |= {"region_city": "654300"}
    body = page_buyer.post("/checkout/", step).content.decode()
    assert "吉木乃县" in body and f'value="{address["address"]}"' in body  # typed text kept
    del step["region_refresh"]
    response = page_buyer.post("/checkout/", step | {"region_code": "654326"})
    assert response.status_code == 302
    assert Order.objects.get().shipping_address["district"] == "吉木乃县"


def test_checkout_page_asks_for_the_district(page_buyer, address):
    data = {**address, "idempotency_key": "k", "region_province": "650000"}
    body = page_buyer.post("/checkout/", data).content.decode()
    assert "Choose your province, city and district." in body
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "typed", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "86 13800138000"]
)
def test_an_address_phone_is_stored_in_e164_however_it_was_typed(buyer_client, address, typed):
    variant = make_product().variants.get()
    response = buyer_client.post(ORDERS, _body(variant, {**address, "phone": typed}), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["shipping_address"]["phone"] == "+8613800138000"


@pytest.mark.parametrize("typed", ["12345678901", "0000000000", "010 0000000"])
def test_an_address_phone_of_no_real_number_is_refused(buyer_client, address, typed):
    variant = make_product().variants.get()
    response = buyer_client.post(ORDERS, _body(variant, {**address, "phone": typed}), format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["details"]["shipping_address"]
