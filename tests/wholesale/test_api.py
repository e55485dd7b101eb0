"""The wholesale API: answers, error codes, and the endpoints in the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import ADDRESS, make_cooperative, make_user

from .test_orders import _setup

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _code(response):
    return response.json()["error"]["code"]


def test_price_then_purchase_order_on_credit_and_the_errors():
    _coop, variant, _org, buyer, pl = _setup(limit="1000.00")
    api = _api(buyer)
    price = api.get(f"/api/v1/wholesale/price/?variant={variant.pk}&quantity=13").json()
    assert price["unit_price"] == "90.00" and price["min_quantity"] == 10
    assert price["price_list"] == pl.pk and price["source"] == "organisation"
    assert _code(api.get("/api/v1/wholesale/price/?variant=x&quantity=1")) == "invalid"
    assert api.get("/api/v1/wholesale/price/?variant=999999&quantity=1").status_code == 404
    sheet = api.get("/api/v1/wholesale/prices/").json()
    assert [t["min_quantity"] for t in sheet[0]["tiers"]] == [1, 10]

    body = {
        "po_number": "PO-9",
        "lines": [{"variant": variant.pk, "quantity": 10}],
        "on_credit": True,
        "shipping_address": ADDRESS,
    }
    created = api.post("/api/v1/wholesale/orders/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "paid" and created.json()["total"] == "900.00"
    again = api.post("/api/v1/wholesale/orders/", {**body, "po_number": "PO-10"}, format="json")
    assert again.status_code == 409 and _code(again) == "credit_limit_exceeded"
    dup = api.post("/api/v1/wholesale/orders/", {**body, "on_credit": False}, format="json")
    assert dup.status_code == 409 and _code(dup) == "duplicate_po"
    bad = api.post(
        "/api/v1/wholesale/orders/",
        {**body, "lines": [{"variant": variant.pk, "quantity": 0}], "po_number": "Z"},
        format="json",
    )
    assert bad.status_code == 400 and _code(bad) == "invalid"
    stranger = _api(make_user()).post("/api/v1/wholesale/orders/", body, format="json")
    assert stranger.status_code == 403 and _code(stranger) == "not_wholesale_buyer"
    listed = api.get("/api/v1/wholesale/orders/").json()
    assert [po["po_number"] for po in listed] == ["PO-9"]
    assert api.get("/api/v1/wholesale/statement/").json()["receivable"] == "0.00"
    quote = api.post(
        "/api/v1/wholesale/quotes/", {"variant": variant.pk, "quantity": 500}, format="json"
    )
    assert quote.status_code == 201 and quote.json()["status"] == "requested"


def test_applying_checks_the_credit_code():
    coop = make_cooperative()
    api = _api(make_user())
    body = {
        "cooperative": coop.slug,
        "name": "Canteen",
        "credit_code": "91350100M000100Y44",
        "invoice_title": "Canteen",
        "tax_number": "T",
        "address": "Altay",
    }
    bad = api.post("/api/v1/wholesale/organisation/", body, format="json")
    assert bad.status_code == 400 and _code(bad) == "bad_credit_code"
    good = api.post(
        "/api/v1/wholesale/organisation/",
        {**body, "credit_code": "91350100M000100Y43"},
        format="json",
    )
    assert good.status_code == 201 and good.json()["status"] == "pending"
    assert api.get("/api/v1/wholesale/organisation/").json()["status"] == "pending"
    # Pending is not approved: no prices yet.
    assert _code(api.get("/api/v1/wholesale/prices/")) == "not_wholesale_buyer"


def test_the_endpoints_are_in_the_schema():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("organisation", "prices", "price", "statement", "quotes", "orders"):
        assert f"/api/v1/wholesale/{path}/" in schema["paths"], path
    create = schema["paths"]["/api/v1/wholesale/orders/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409"} <= set(create)
