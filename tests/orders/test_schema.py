"""The OpenAPI schema describes every buyer endpoint of API.md, and validates cleanly."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

OWNED_PATHS = {
    "/api/v1/auth/register/": {"post"},
    "/api/v1/auth/token/": {"post"},
    "/api/v1/me/": {"get"},
    "/api/v1/counties/": {"get"},
    "/api/v1/cooperatives/": {"get"},
    "/api/v1/cooperatives/{slug}/": {"get"},
    "/api/v1/categories/": {"get"},
    "/api/v1/products/": {"get"},
    "/api/v1/products/{slug}/": {"get"},
    "/api/v1/trace/{batch_code}/": {"get"},
    "/api/v1/cart/": {"get"},
    "/api/v1/cart/items/": {"post"},
    "/api/v1/cart/items/{item_id}/": {"patch", "delete"},
    "/api/v1/orders/": {"get", "post"},
    "/api/v1/orders/{number}/": {"get"},
    "/api/v1/orders/{number}/cancel/": {"post"},
    "/api/v1/orders/{number}/confirm-receipt/": {"post"},
}


# How a warning about our code shows: our modules, or one of our paths.
OUR_MARKS = ("accounts", "catalog", "orders", *OWNED_PATHS)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_owned_path_is_in_the_schema(schema):
    for path, methods in OWNED_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_order_create_documents_header_errors_and_statuses(schema):
    post = schema["paths"]["/api/v1/orders/"]["post"]
    headers = [p for p in post["parameters"] if p["in"] == "header"]
    assert [h["name"] for h in headers] == ["Idempotency-Key"]
    assert {"200", "201", "400", "401", "409"} <= set(post["responses"])
    error = post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/Error")
    products = schema["paths"]["/api/v1/products/"]["get"]
    names = {p["name"] for p in products["parameters"]}
    assert {
        "search",
        "category",
        "cooperative",
        "county",
        "certification",
        "min_price",
        "max_price",
        "in_stock",
        "ordering",
        "page",
        "page_size",
    } <= names
    ordering = next(p for p in products["parameters"] if p["name"] == "ordering")
    assert set(ordering["schema"]["enum"]) == {"price", "-price", "-created", "title"}


def test_order_schema_fields_match_api_md(schema):
    order = schema["components"]["schemas"]["Order"]
    assert set(order["properties"]) == {
        "number",
        "status",
        "created",
        "expires_at",
        "lines",
        "subtotal",
        "shipping_fee",
        "total",
        "currency",
        "shipping_address",
        "shipments",
        "payments",
        # Additions in v1 (API.md: vouchers): the order's discount, under the API.md
        # name and as discount_total (total = subtotal - discount_total + shipping_fee).
        "discount",
        "discount_total",
        # API.md "Vouchers and campaigns": the voucher code and the campaign (or null).
        "voucher",
        "campaign",
        # API.md "Stations and pickup": the station's slug and the code (or null).
        "pickup_station",
        "pickup_code",
    }
    line_ref = order["properties"]["lines"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert "discount" in schema["components"]["schemas"][line_ref]["properties"]
    status_ref = order["properties"]["status"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][status_ref]["enum"]) == {
        "pending_payment",
        "paid",
        "shipped",
        "delivered",
        "completed",
        "cancelled",
        "refund_pending",
        "refunded",
    }


def test_docs_page_renders(client):
    assert client.get("/api/docs/").status_code == 200


def test_spectacular_validates_without_warnings_from_our_endpoints():
    """``spectacular --validate --fail-on-warn`` on the whole project. Warnings raised by
    other apps' endpoints are reported by their own tests; ours must not add any."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)
    except Exception:
        ours = [
            line
            for line in err.getvalue().splitlines()
            if "Warning" in line and any(mark in line for mark in OUR_MARKS)
        ]
        assert ours == [], ours


def test_every_operation_documents_the_400_of_a_repeated_parameter(schema, client):
    # Any query parameter given twice answers 400 under /api/v1/, whatever the operation.
    response = client.get("/api/v1/products/?x=1&x=2")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    missing = [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and "400" not in operation["responses"]
    ]
    assert missing == []


def test_every_paginated_operation_documents_its_400(schema):
    # `page_size=101` answers 400 `invalid` everywhere (storefront.api.pagination); an
    # operation that takes it and does not say so breaks the schema's promise.
    missing = [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict)
        and any(p.get("name") == "page_size" for p in operation.get("parameters", []))
        and "400" not in operation["responses"]
    ]
    assert missing == []
