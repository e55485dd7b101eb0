"""Issue 12 item 12: every integer id and count a client sends is range-checked before
it reaches the database.

SQLite (the embedded default) raises ``OverflowError`` for an int past 2**63 - 1, a
500; PostgreSQL stops ``integer`` columns at 2**31 - 1. The ``database_like_sqlite``
fixture makes the test database behave as SQLite does whatever it is, so a number
that slips through reaches it and fails these tests on PostgreSQL too. The fuzzer
(``scripts/fuzz_api.py --sqlite`` in ``.ci/run``) then throws generated numbers at
the real SQLite set-up, starting from the bounds the schema now states.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from orders.models import CartItem
from storefront.ids import MAX_COUNT, MAX_ID, IdConverter, parse_id
from tests.factories import make_cooperative, make_farmer, make_product, make_user

pytestmark = [pytest.mark.resilience, pytest.mark.django_db]

HUGE = 75587974742179587338750918656  # the number of the report
ADDRESS = {
    "name": "李娜",
    "phone": "13800138000",
    "province": "北京市",
    "city": "北京市",
    "district": "海淀区",
    "address": "中关村大街 1 号",
}


def _flat(params):
    for p in params or ():
        if isinstance(p, list | tuple):
            yield from _flat(p)
        else:
            yield p


@pytest.fixture(autouse=True)
def database_like_sqlite():
    """Refuse what SQLite refuses: an integer parameter beyond 64 bits."""

    def refuse_big_ints(execute, sql, params, many, context):
        for value in _flat(params):
            if isinstance(value, int) and not -(2**63) <= value <= MAX_ID:
                raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_big_ints):
        yield


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(make_user())
    return client


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    body = response.json()
    assert body["error"]["code"] == code, body
    return body["error"]["details"]


@pytest.mark.parametrize("variant", [HUGE, MAX_ID + 1, -HUGE])
def test_cart_refuses_a_variant_id_past_64_bits(api, variant):
    details = _error(
        api.post("/api/v1/cart/items/", {"variant": variant, "quantity": 1}, format="json"),
        400,
        "invalid",
    )
    assert "variant" in details
    assert not CartItem.objects.exists()


def test_checkout_refuses_a_variant_id_past_64_bits(api):
    details = _error(
        api.post(
            "/api/v1/orders/",
            {"lines": [{"variant": HUGE, "quantity": 1}], "shipping_address": ADDRESS},
            format="json",
            HTTP_IDEMPOTENCY_KEY="bounds-1",
        ),
        400,
        "invalid",
    )
    assert "variant" in str(details)


@pytest.mark.parametrize("item", [str(HUGE), str(MAX_ID + 1), "0" * 30 + "1"])
def test_cart_item_urls_past_64_bits_are_no_route(api, item):
    _error(
        api.patch(f"/api/v1/cart/items/{item}/", {"quantity": 1}, format="json"), 404, "not_found"
    )
    _error(api.delete(f"/api/v1/cart/items/{item}/"), 404, "not_found")


def test_the_schema_states_the_bounds_the_fuzzer_starts_from(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    variant = schema["components"]["schemas"]["CartItemInputRequest"]["properties"]["variant"]
    assert variant["maximum"] == MAX_ID and variant["minimum"] == 1


def test_the_cart_page_refuses_a_variant_id_past_64_bits():
    client = Client(raise_request_exception=False)
    client.force_login(make_user())
    response = client.post("/cart/add/", {"variant": str(HUGE), "quantity": "1"})
    assert response.status_code == 302
    assert not CartItem.objects.exists()
    response = client.post(f"/cart/items/{HUGE}/", {"quantity": "1"})
    assert response.status_code == 404


@pytest.fixture
def farmer_client():
    coop = make_cooperative()
    client = Client(raise_request_exception=False)
    client.force_login(make_farmer(coop))
    return client, make_product(cooperative=coop, stock=5)


@pytest.mark.parametrize("variant", ["abc", "²", "٣", str(HUGE), "-1", "", "1.0"])
def test_the_stock_page_answers_404_for_a_variant_that_is_no_id(farmer_client, variant):
    client, _product = farmer_client
    # Each row saves to /farm/stock/<variant id>/: anything but an id in range is no page.
    assert client.post(f"/farm/stock/{variant}/", {"v1-stock_delta": "1"}).status_code == 404


@pytest.mark.parametrize("number", [MAX_COUNT + 1, HUGE])
def test_portal_counts_stop_where_postgresql_integer_columns_do(farmer_client, number):
    client, product = farmer_client
    variant = product.variants.get()
    prefix = f"v{variant.pk}-"
    client.post(
        f"/farm/stock/{variant.pk}/",
        {f"{prefix}stock_0": str(number), f"{prefix}stock_1": "5", f"{prefix}stock_delta": ""},
    )
    client.post(f"/farm/stock/{variant.pk}/", {f"{prefix}stock_delta": str(number)})
    client.post(
        f"/farm/products/{product.pk}/variants/",
        {"new-name": "big", "new-price": "1", "new-weight_grams": str(number), "new-stock": "1"},
    )
    variant.refresh_from_db()
    assert variant.stock == 5
    assert not product.variants.filter(name="big").exists()
    response = client.get(f"/farm/products/{HUGE}/")
    assert response.status_code == 404


def test_parse_id_and_the_url_converter_take_ascii_digits_within_64_bits():
    assert parse_id("42") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    for bad in ("0", str(MAX_ID + 1), "²", "٣", " 4", "4 ", "-4", "", None, True, 4.0, "1e3"):
        assert parse_id(bad) is None, bad
    converter = IdConverter()
    assert converter.to_python("7") == 7
    with pytest.raises(ValueError):
        converter.to_python(str(MAX_ID + 1))


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/orders/order/?id__in=1,{HUGE}",
        f"/admin/payments/payment/?order__id__in={HUGE}",
        f"/admin/catalog/variant/?product__in={HUGE},{MAX_ID + 1}",
        f"/admin/catalog/product/?id__gte={HUGE}",
    ],
)
def test_admin_lists_filtered_by_ids_past_64_bits_answer(client, url):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(url).status_code in (200, 302)


def test_the_orm_leaves_out_in_values_an_integer_column_cannot_hold():
    from catalog.models import Variant

    product = make_product()
    variant = product.variants.get()
    assert list(Variant.objects.filter(pk__in=[HUGE, variant.pk])) == [variant]
    assert not Variant.objects.filter(pk__in=[HUGE, -HUGE]).exists()
    assert list(Variant.objects.filter(product__in=[HUGE, product.pk])) == [variant]
    assert not Variant.objects.filter(stock__in=[MAX_COUNT + 1, 2**70]).exists()
