"""A page left open while checkout sells: saving it never puts sold units back on sale.

Each test loads a page that shows stock 10, sells 5 through the checkout API, then posts
what the page showed with a changed price (saved; stock stays 5) and then with a changed
count as well (refused with the current figure; nothing saved). Farmer portal (stock
page and variant card), admin product page (variant rows) and admin variant list.
PostgreSQL: real row locks, separate transactions as in production.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import StockMovement, Variant
from tests.concurrency import run_together
from tests.factories import (
    ADDRESS,
    assert_stock_ledger_consistent,
    make_cooperative,
    make_farmer,
    make_manager,
    make_product,
    make_user,
)
from tests.forms import form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _stock_equals_its_movements():
    yield
    assert_stock_ledger_consistent()


@pytest.fixture
def world():
    coop = make_cooperative()
    product = make_product(cooperative=coop, price="40.00", stock=10)
    return {
        "coop": coop,
        "product": product,
        "variant": product.variants.get(),
        "farmer": make_farmer(coop),
        "manager": make_manager(coop),
    }


def sell(variant: Variant, quantity: int) -> None:
    """A buyer checks out through the API (the same path the shop and the app use)."""
    api = APIClient()
    api.force_authenticate(make_user())
    body = {"lines": [{"variant": variant.pk, "quantity": quantity}], "shipping_address": ADDRESS}
    response = api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.content


def assert_refused_showing_5(response, variant: Variant, prefix: str, **form) -> dict:
    """The refused page says the stock now, shows it in the boxes (the count and the
    figure shown), and nothing of the submit was saved. Returns what it shows now."""
    body = response.content.decode()
    assert "it is now 5" in body
    again = form_data(body, **form)
    assert again[f"{prefix}stock_0"] == again[f"{prefix}stock_1"] == "5"
    assert (stock_of(variant), price_of(variant)) == (5, Decimal("42.00"))
    return again


def stock_of(variant: Variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock


def price_of(variant: Variant) -> Decimal:
    return Variant.objects.get(pk=variant.pk).price


# --- farmer portal ---------------------------------------------------------------
def test_portal_variant_card_price_change_keeps_what_checkout_sold(client, world):
    variant, product = world["variant"], world["product"]
    client.force_login(world["farmer"])
    page = client.get(f"/farm/products/{product.pk}/").content.decode()
    action = f"/farm/products/{product.pk}/variants/{variant.pk}/"
    shown = form_data(page, action=action)
    assert shown[f"v{variant.pk}-stock_0"] == shown[f"v{variant.pk}-stock_1"] == "10"

    sell(variant, 5)

    response = client.post(action, {**shown, f"v{variant.pk}-price": "42.00"})
    assert response.status_code == 302
    assert price_of(variant) == Decimal("42.00")
    assert stock_of(variant) == 5  # never 10 again
    page = client.get(response["Location"]).content.decode()
    assert "stock is now 5" in page

    # The same stale page, now also with a new count typed over the 10 it showed.
    response = client.post(
        action, {**shown, f"v{variant.pk}-price": "45.00", f"v{variant.pk}-stock_0": "12"}
    )
    assert response.status_code == 409
    again = assert_refused_showing_5(response, variant, f"v{variant.pk}-", action=action)
    assert again[f"v{variant.pk}-price"] == "45.00"  # what they typed is kept to resend


def test_portal_stock_page_refuses_a_stale_count_and_shows_the_current_one(client, world):
    variant = world["variant"]
    client.force_login(world["farmer"])
    action = f"/farm/stock/{variant.pk}/"
    shown = form_data(client.get("/farm/stock/").content.decode(), action=action)
    assert shown[f"v{variant.pk}-stock_1"] == "10"

    sell(variant, 5)

    response = client.post(action, {**shown, f"v{variant.pk}-stock_0": "12"}, follow=True)
    body = response.content.decode()
    assert "it is now 5" in body
    assert stock_of(variant) == 5
    fresh = form_data(body, action=action)
    assert fresh[f"v{variant.pk}-stock_0"] == fresh[f"v{variant.pk}-stock_1"] == "5"

    # A change relative to the shelf is never stale: "20 bags came in" is 5 + 20.
    response = client.post(action, {**shown, f"v{variant.pk}-stock_delta": "20"}, follow=True)
    assert stock_of(variant) == 25
    assert "stock is now 25" in response.content.decode()


def test_portal_receipts_racing_checkouts_lose_nothing(world):
    """Farmers booking goods in while buyers check out: every unit is accounted for."""
    from django.test import Client

    variant = world["variant"]
    farmers = [make_farmer(world["coop"]) for _ in range(4)]
    clients = []
    for farmer in farmers:
        c = Client()
        c.force_login(farmer)
        clients.append(c)
    buyers = []
    for _ in range(16):
        api = APIClient()
        api.force_authenticate(make_user())
        buyers.append(api)
    body = {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": ADDRESS}

    def work(i):
        if i < 4:
            return (
                clients[i]
                .post(
                    f"/farm/stock/{variant.pk}/",
                    {f"v{variant.pk}-stock_1": "10", f"v{variant.pk}-stock_delta": "2"},
                )
                .status_code
            )
        return buyers[i - 4].post("/api/v1/orders/", body, format="json").status_code

    results = run_together(20, work)
    sold = results[4:].count(201)
    assert results[:4] == [302] * 4
    assert set(results[4:]) <= {201, 409}
    assert stock_of(variant) == 10 + 4 * 2 - sold
    assert StockMovement.objects.filter(variant=variant, reason="receipt").count() == 1 + 4


# --- admin: the product page's variant rows ------------------------------------------
def test_admin_variant_inline_keeps_what_checkout_sold(client, world):
    variant, product = world["variant"], world["product"]
    client.force_login(world["manager"])
    url = f"/admin/catalog/product/{product.pk}/change/"
    shown = form_data(client.get(url).content.decode(), id="product_form")
    assert shown["variants-0-stock_0"] == shown["variants-0-stock_1"] == "10"

    sell(variant, 5)

    response = client.post(url, {**shown, "variants-0-price": "42.00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert price_of(variant) == Decimal("42.00")
    assert stock_of(variant) == 5

    response = client.post(url, {**shown, "variants-0-price": "45.00", "variants-0-stock_0": "12"})
    assert response.status_code == 200  # the form again, with the error on the row
    assert_refused_showing_5(response, variant, "variants-0-", id="product_form")


def test_admin_refuses_a_sale_that_slips_in_after_validation(client, world, monkeypatch):
    """Checkout sells between the form's check and the save: the service refuses, the
    person reads the current figure, and nothing of the submit is kept."""
    import threading

    from django.db import connections

    from catalog import services

    variant, product = world["variant"], world["product"]
    client.force_login(world["manager"])
    url = f"/admin/catalog/product/{product.pk}/change/"
    shown = form_data(client.get(url).content.decode(), id="product_form")
    real = services.variant_update

    def checkout_commits_first(**kwargs):
        def buyer():
            try:
                sell(variant, 5)  # its own connection and transaction, committed
            finally:
                connections.close_all()

        thread = threading.Thread(target=buyer)
        thread.start()
        thread.join(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(services, "variant_update", checkout_commits_first)
    response = client.post(
        url, {**shown, "title": "Renamed", "variants-0-price": "45.00", "variants-0-stock_0": "12"}
    )
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "it is now 5" in page and "changed successfully" not in page
    assert stock_of(variant) == 5
    assert price_of(variant) == Decimal("40.00")
    product.refresh_from_db()
    assert product.title != "Renamed"


# --- admin: the variant list's editable columns ------------------------------------
def test_admin_variant_list_keeps_what_checkout_sold(client, world):
    variant = world["variant"]
    client.force_login(world["manager"])
    url = "/admin/catalog/variant/"
    shown = form_data(client.get(url).content.decode(), id="changelist-form")
    assert shown["form-0-id"] == str(variant.pk)
    assert shown["form-0-stock_0"] == shown["form-0-stock_1"] == "10"

    sell(variant, 5)

    response = client.post(url, {**shown, "form-0-price": "42.00", "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert price_of(variant) == Decimal("42.00")
    assert stock_of(variant) == 5

    response = client.post(
        url, {**shown, "form-0-price": "45.00", "form-0-stock_0": "12", "_save": "Save"}
    )
    assert response.status_code == 200
    again = assert_refused_showing_5(response, variant, "form-0-", id="changelist-form")

    # From the refreshed figure the count is taken, as a correction of the difference.
    response = client.post(url, {**again, "form-0-stock_0": "12", "_save": "Save"})
    assert response.status_code == 302
    assert stock_of(variant) == 12
    last = StockMovement.objects.filter(variant=variant).first()
    assert (last.delta, last.reason, last.actor_id) == (7, "correction", world["manager"].pk)
