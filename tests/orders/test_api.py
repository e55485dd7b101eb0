"""Cart and order API: shapes, bad input, idempotency, life cycle, 404 for others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.constants import ProductStatus
from catalog.models import Variant
from lifecycle.api.serializers import OrderSerializer
from orders import services
from orders.models import CartItem, Order
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _variant(**kwargs) -> Variant:
    return make_product(**kwargs).variants.get()


def _stock(variant) -> int:
    variant.refresh_from_db()
    return variant.stock


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code, body
    return body["error"]


def _body(variant, address, quantity=1, **extra) -> dict:
    return {
        "lines": [{"variant": variant.pk, "quantity": quantity}],
        "shipping_address": address,
        **extra,
    }


def test_create_order_answers_201_with_the_order(buyer_client, address):
    variant = _variant(price="39.90", stock=10, title="Flour")
    response = buyer_client.post(ORDERS, _body(variant, address, 2), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == set(OrderSerializer().fields)
    assert body["status"] == "pending_payment"
    assert body["currency"] == "CNY"
    assert body["subtotal"] == "79.80"
    assert body["total"] == "%.2f" % (79.80 + float(body["shipping_fee"]))
    assert body["shipments"] == [] and body["payments"] == []
    (line,) = body["lines"]
    assert line["variant"] == variant.pk and line["sku"] == variant.sku
    assert line["quantity"] == 2 and line["unit_price"] == "39.90" and line["line_total"] == "79.80"
    assert line["cooperative"]["slug"] == variant.product.cooperative.slug
    # The names are the official ones for Beijing › Haidian: the address gains its code.
    assert body["shipping_address"] == {
        **address,
        "phone": "+8613800138000",
        "region_code": "110108",
    }
    assert _stock(variant) == 8
    assert buyer_client.get(f"{ORDERS}{body['number']}/").json() == body


def test_insufficient_stock_answers_409_and_keeps_nothing(buyer_client, address):
    variant = _variant(stock=1)
    error = _error(
        buyer_client.post(ORDERS, _body(variant, address, 2), format="json"),
        409,
        "insufficient_stock",
    )
    assert error["details"] == {"variants": [variant.pk]}
    assert _stock(variant) == 1 and Order.objects.count() == 0


BAD_LINES = [
    {"variant": None, "quantity": 0},
    {"variant": None, "quantity": -1},
    {"variant": None, "quantity": 1000},
    {"variant": None, "quantity": "2"},
    {"variant": None, "quantity": 1.5},
    {"variant": None, "quantity": 2.0},
    {"variant": "abc", "quantity": 1},
    {"variant": 987654, "quantity": 1},
]


@pytest.mark.parametrize("line", BAD_LINES)
def test_bad_lines_answer_400(buyer_client, address, line):
    variant = _variant(stock=10)
    line = {**line, "variant": variant.pk if line["variant"] is None else line["variant"]}
    response = buyer_client.post(
        ORDERS, {"lines": [line], "shipping_address": address}, format="json"
    )
    error = _error(response, 400, "invalid")
    assert "lines" in error["details"] or "variants" in error["details"]
    assert _stock(variant) == 10 and Order.objects.count() == 0


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW])
def test_unapproved_variant_answers_400(buyer_client, address, status):
    variant = _variant(status=status)
    error = _error(
        buyer_client.post(ORDERS, _body(variant, address), format="json"), 400, "invalid"
    )
    assert error["details"] == {"variants": [variant.pk]}


def test_inactive_variant_answers_400(buyer_client, address):
    variant = _variant()
    Variant.objects.filter(pk=variant.pk).update(is_active=False)
    _error(buyer_client.post(ORDERS, _body(variant, address), format="json"), 400, "invalid")


def test_duplicate_variant_is_merged(buyer_client, address):
    variant = _variant(stock=10)
    body = {"lines": [{"variant": variant.pk, "quantity": 1}] * 2, "shipping_address": address}
    response = buyer_client.post(ORDERS, body, format="json")
    assert [line["quantity"] for line in response.json()["lines"]] == [2]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "abc"}, "phone"),
        ({"name": "x" * 500}, "name"),
        ({"city": ""}, "city"),
        ({"extra": "x"}, "extra"),
    ],
)
def test_bad_address_answers_400(buyer_client, address, change, field):
    variant = _variant()
    error = _error(
        buyer_client.post(ORDERS, _body(variant, {**address, **change}), format="json"),
        400,
        "invalid",
    )
    assert field in error["details"]["shipping_address"]
    assert _stock(variant) == 10


def test_missing_address_answers_400(buyer_client, address):
    variant = _variant()
    body = _body(variant, address)
    del body["shipping_address"]
    error = _error(buyer_client.post(ORDERS, body, format="json"), 400, "invalid")
    assert "shipping_address" in error["details"]


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '"text"'])
def test_non_json_or_non_object_body_answers_400(buyer_client, payload):
    response = buyer_client.post(ORDERS, payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"parse_error", "invalid"}
    assert Order.objects.count() == 0


def test_idempotency_key_header(buyer_client, address):
    variant = _variant(stock=10)
    first = buyer_client.post(
        ORDERS, _body(variant, address, 2), format="json", HTTP_IDEMPOTENCY_KEY="abc-123"
    )
    assert first.status_code == 201
    again = buyer_client.post(
        ORDERS, _body(variant, address, 2), format="json", HTTP_IDEMPOTENCY_KEY="abc-123"
    )
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    _error(
        buyer_client.post(
            ORDERS, _body(variant, address, 3), format="json", HTTP_IDEMPOTENCY_KEY="abc-123"
        ),
        409,
        "idempotency_conflict",
    )
    error = _error(
        buyer_client.post(
            ORDERS, _body(variant, address, 2), format="json", HTTP_IDEMPOTENCY_KEY="k" * 65
        ),
        400,
        "invalid",
    )
    assert "Idempotency-Key" in error["details"]
    assert Order.objects.count() == 1 and _stock(variant) == 8


def test_orders_need_authentication(api_client, address):
    _error(api_client.get(ORDERS), 401, "not_authenticated")
    _error(api_client.post(ORDERS, {}, format="json"), 401, "not_authenticated")
    _error(api_client.get("/api/v1/cart/"), 401, "not_authenticated")


def test_another_users_order_is_404(buyer, address, client_for):
    order, _ = services.order_place(
        user=buyer, shipping_address=address, lines=[{"variant": _variant().pk, "quantity": 1}]
    )
    stranger = client_for(make_user())
    for response in (
        stranger.get(f"{ORDERS}{order.number}/"),
        stranger.post(f"{ORDERS}{order.number}/cancel/"),
        stranger.post(f"{ORDERS}{order.number}/confirm-receipt/"),
    ):
        _error(response, 404, "not_found")
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert stranger.get(ORDERS).json()["count"] == 0


def test_cancel_and_confirm_receipt(buyer, buyer_client, address):
    variant = _variant(stock=10)
    number = buyer_client.post(ORDERS, _body(variant, address, 3), format="json").json()["number"]
    _error(buyer_client.post(f"{ORDERS}{number}/confirm-receipt/"), 409, "invalid_state")
    response = buyer_client.post(f"{ORDERS}{number}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert _stock(variant) == 10
    _error(buyer_client.post(f"{ORDERS}{number}/cancel/"), 409, "invalid_state")
    assert _stock(variant) == 10

    order, _ = services.order_place(
        user=buyer, shipping_address=address, lines=[{"variant": variant.pk, "quantity": 1}]
    )
    services.order_mark_paid(order=order)
    services.order_mark_shipped(order=order)
    _error(buyer_client.post(f"{ORDERS}{order.number}/cancel/"), 409, "invalid_state")
    response = buyer_client.post(f"{ORDERS}{order.number}/confirm-receipt/")
    assert response.status_code == 200 and response.json()["status"] == "delivered"


def test_order_list_newest_first_with_constant_queries(buyer, buyer_client, address):
    variant = _variant(stock=500)
    other = _variant(stock=500)
    for _ in range(105):
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[{"variant": variant.pk, "quantity": 1}, {"variant": other.pk, "quantity": 1}],
        )
    Order.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as ctx:
            response = buyer_client.get(ORDERS, {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    numbers = [o["number"] for o in response.json()["results"]]
    newest = list(Order.objects.order_by("-created", "-id").values_list("number", flat=True))
    assert numbers == newest[:100]
    _error(buyer_client.get(ORDERS, {"page_size": 10000}), 400, "invalid")


def test_cart_api(buyer_client, address):
    variant = _variant(price="12.50", stock=3, title="Flour")
    response = buyer_client.post(
        "/api/v1/cart/items/", {"variant": variant.pk, "quantity": 2}, format="json"
    )
    assert response.status_code == 201
    item = response.json()
    assert item == {
        "id": item["id"],
        "variant": variant.pk,
        "product": variant.product.slug,
        "name": f"Flour — {variant.name}",
        "quantity": 2,
        "unit_price": "12.50",
        "line_total": "25.00",
    }
    again = buyer_client.post(
        "/api/v1/cart/items/", {"variant": variant.pk, "quantity": 3}, format="json"
    )
    # API.md: 201 whatever the stock (the pages say what is left; the order decides).
    assert again.json()["id"] == item["id"] and again.json()["quantity"] == 5
    assert _stock(variant) == 3  # more than in stock is fine in a cart: no reservation

    cart = buyer_client.get("/api/v1/cart/").json()
    assert cart["subtotal"] == "62.50" and len(cart["items"]) == 1

    url = f"/api/v1/cart/items/{item['id']}/"
    assert buyer_client.patch(url, {"quantity": 1}, format="json").json()["quantity"] == 1
    for bad in (0, -1, 1000, "2", 1.5):
        _error(buyer_client.patch(url, {"quantity": bad}, format="json"), 400, "invalid")
        _error(
            buyer_client.post(
                "/api/v1/cart/items/", {"variant": variant.pk, "quantity": bad}, format="json"
            ),
            400,
            "invalid",
        )
    _error(
        buyer_client.post("/api/v1/cart/items/", {"variant": 999999, "quantity": 1}, format="json"),
        400,
        "invalid",
    )

    order = buyer_client.post(
        ORDERS, {"from_cart": True, "shipping_address": address}, format="json"
    )
    assert order.status_code == 201
    assert buyer_client.get("/api/v1/cart/").json() == {"items": [], "subtotal": "0.00"}
    _error(buyer_client.delete(url), 404, "not_found")


def test_cart_items_of_others_are_404(buyer, client_for):
    variant = _variant()
    item = services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=1)
    stranger = client_for(make_user())
    url = f"/api/v1/cart/items/{item.pk}/"
    _error(stranger.patch(url, {"quantity": 3}, format="json"), 404, "not_found")
    _error(stranger.delete(url), 404, "not_found")
    assert CartItem.objects.get(pk=item.pk).quantity == 1


def test_delete_cart_item(buyer, buyer_client):
    item = services.cart_item_add(user=buyer, variant_id=_variant().pk, quantity=1)
    assert buyer_client.delete(f"/api/v1/cart/items/{item.pk}/").status_code == 204
    assert not CartItem.objects.exists()
