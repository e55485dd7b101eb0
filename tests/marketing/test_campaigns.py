"""Campaigns: prices while they run, the ``?c=`` attribution kept on the server and
copied onto the order (also through the sandbox wallet), the pages and the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from lifecycle import services as flows
from marketing.models import BuyerTouch, OrderAttribution
from orders.constants import OrderStatus
from orders.models import Order
from payments import services as payment_services
from tests.factories import (
    make_campaign,
    make_cooperative,
    make_product,
    make_user,
    make_voucher,
)

pytestmark = pytest.mark.django_db

D = Decimal
ORDERS = "/api/v1/orders/"


def _place(user, address, variant, quantity=1, **extra):
    order, _ = flows.checkout_place_marketed(
        user=user,
        shipping_address=address,
        lines=[{"variant": variant.pk, "quantity": quantity}],
        **extra,
    )
    return order


def test_a_campaign_price_applies_while_the_campaign_runs(
    buyer, address, django_capture_on_commit_callbacks
):
    variant = make_product(price="40.00", stock=10).variants.get()
    campaign = make_campaign("fest", items=[(variant, "30.00")])
    line = _place(buyer, address, variant, 2).lines.get()
    assert (line.unit_price, line.line_total) == (D("30.00"), D("60.00"))
    with django_capture_on_commit_callbacks(execute=True):  # the edit commits
        campaign.ends = timezone.now() - timedelta(seconds=1)
        campaign.save()
    assert _place(buyer, address, variant).lines.get().unit_price == D("40.00")


def test_a_campaign_price_never_raises_the_list_price(buyer, address):
    variant = make_product(price="40.00", stock=10).variants.get()
    make_campaign("dear", items=[(variant, "45.00")])
    assert _place(buyer, address, variant).lines.get().unit_price == D("40.00")


def test_40_percent_campaign_price_and_70_percent_voucher_make_18_percent(buyer, address):
    variant = make_product(price="100.00", stock=10).variants.get()
    make_campaign("deep", items=[(variant, "60.00")])  # 40 % off
    make_voucher("SEVENTY", value=D("70"))  # 70 % off the campaign-priced goods
    order = _place(buyer, address, variant, voucher="SEVENTY")
    goods = order.subtotal - order.discount_total
    assert goods == D("18.00")  # 18 % of the list price, not 100 - 40 - 70 < 0
    assert order.total == D("18.00") + order.shipping_fee >= order.shipping_fee
    # a fixed voucher larger than the goods stops at the goods: never below shipping
    make_voucher("HUGE", kind="fixed", value=D("500.00"))
    big = _place(make_user(), address, variant, voucher="HUGE")
    assert big.discount_total == D("60.00") and big.total == big.shipping_fee


def test_c_code_is_kept_on_the_server_and_copied_onto_the_next_order(buyer, address):
    variant = make_product(price="40.00", stock=10).variants.get()
    make_campaign("first")
    make_campaign("last")
    client = Client()
    client.force_login(buyer)
    assert client.get("/?c=first").status_code == 200
    assert client.get("/?c=LAST").status_code == 200
    client.get("/?c=nonesuch")  # unknown codes change nothing
    touch = BuyerTouch.objects.get(user=buyer)
    assert (touch.first_campaign.code, touch.last_campaign.code) == ("first", "last")
    order = _place(buyer, address, variant)
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.first_campaign.code, attribution.last_campaign.code) == ("first", "last")
    # the next order starts afresh
    assert not BuyerTouch.objects.filter(user=buyer).exists()
    assert not OrderAttribution.objects.filter(order=_place(buyer, address, variant)).exists()


def test_a_visitor_s_code_follows_them_when_they_sign_in(buyer, address):
    variant = make_product(price="40.00", stock=10).variants.get()
    make_campaign("walkin")
    client = Client()
    client.get("/?c=walkin")  # signed out: kept in the session
    assert not BuyerTouch.objects.exists()
    client.force_login(buyer)
    client.get("/")
    assert BuyerTouch.objects.get(user=buyer).last_campaign.code == "walkin"
    order = _place(buyer, address, variant)
    assert order.attribution.last_campaign.code == "walkin"


def test_api_post_with_c_attributes_that_order(buyer_client, address):
    variant = make_product(price="40.00", stock=10).variants.get()
    make_campaign("live")
    body = {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": address}
    response = buyer_client.post(f"{ORDERS}?c=live", body, format="json")
    assert response.status_code == 201
    assert response.json()["campaign"] == "live"
    # noted once, before the order: nothing is left over for the next order
    assert not BuyerTouch.objects.exists()


def test_token_client_get_with_c_is_noted(buyer, client_for, address):
    variant = make_product(price="40.00", stock=10).variants.get()
    make_campaign("app")
    client_for(buyer).get("/api/v1/campaigns/?c=app")
    assert BuyerTouch.objects.get(user=buyer).last_campaign.code == "app"
    assert _place(buyer, address, variant).attribution.last_campaign.code == "app"


def test_an_order_paid_through_the_sandbox_wallet_keeps_its_campaign(
    buyer, address, wallet_delivers_in_process, django_capture_on_commit_callbacks, client_for
):
    variant = make_product(price="40.00", stock=10).variants.get()
    make_campaign("harvest2026", items=[(variant, "32.90")])
    page = Client()
    page.force_login(buyer)
    page.get("/campaigns/harvest2026/")  # arriving on the campaign's page counts
    order = _place(buyer, address, variant)
    payment = payment_services.payment_start(order=order, provider="sandbox")
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(f"/pay/sandbox/{payment.out_trade_no}/")
    assert answer.status_code == 302
    assert wallet_delivers_in_process == [204]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert OrderAttribution.objects.get(order=order).last_campaign.code == "harvest2026"
    body = client_for(buyer).get(f"{ORDERS}{order.number}/").json()
    assert body["campaign"] == "harvest2026" and body["status"] == "paid"
    assert body["lines"][0]["unit_price"] == "32.90"


def test_campaign_page_shows_featured_products_and_prices(client):
    coop = make_cooperative()
    variant = make_product(cooperative=coop, price="39.90", title="吉木乃面粉").variants.get()
    make_campaign("harvest2026", title="丰收节", items=[(variant, "32.90")])
    html = client.get("/campaigns/HARVEST2026/").content.decode()
    assert "丰收节" in html and "吉木乃面粉" in html and "32.90" in html and "39.90" in html
    assert client.get("/campaigns/nope/").status_code == 404
    future = make_campaign("later", starts=timezone.now() + timedelta(days=2))
    assert client.get(future.get_absolute_url()).status_code == 404
    for language in ("zh-hans", "ug", "en"):
        page = client.get("/campaigns/harvest2026/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200


def test_ended_campaign_page_says_so_and_shows_list_prices(client):
    variant = make_product(price="39.90").variants.get()
    make_campaign(
        "old",
        starts=timezone.now() - timedelta(days=9),
        ends=timezone.now() - timedelta(days=1),
        items=[(variant, "20.00")],
    )
    html = client.get("/campaigns/old/").content.decode()
    assert "ended" in html and "20.00" not in html


def test_county_and_cooperative_pages_show_running_campaigns(client):
    coop = make_cooperative()
    variant = make_product(cooperative=coop).variants.get()
    make_campaign("shown", title="Running festival", items=[(variant, None)])
    make_campaign(
        "gone",
        title="Finished festival",
        starts=timezone.now() - timedelta(days=9),
        ends=timezone.now() - timedelta(days=1),
        items=[(variant, None)],
    )
    for url in (coop.get_absolute_url(), coop.county.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Running festival" in html and "/campaigns/shown/" in html, url
        assert "Finished festival" not in html
    other = make_cooperative()
    assert "Running festival" not in client.get(other.get_absolute_url()).content.decode()


def test_campaign_api_lists_running_campaigns_with_products(api_client):
    variant = make_product(price="39.90").variants.get()
    make_campaign("apiway", items=[(variant, "30.00")])
    make_campaign("over", starts=timezone.now() - timedelta(days=9), ends=timezone.now())
    listed = api_client.get("/api/v1/campaigns/").json()["results"]
    assert [c["code"] for c in listed] == ["apiway"]
    detail = api_client.get("/api/v1/campaigns/APIWAY/").json()
    assert detail["banner"] is None
    assert detail["products"][0]["campaign_price"] == "30.00"
    assert detail["products"][0]["price"] == "39.90"
    # API.md: the products are summaries (GET products/'s items) with campaign_price
    summary = api_client.get("/api/v1/products/").json()["results"][0]
    assert {k: detail["products"][0][k] for k in summary} == summary
    missing = api_client.get("/api/v1/campaigns/nope/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_campaign_api_list_costs_the_same_whatever_the_campaigns(api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        api_client.get("/api/v1/campaigns/")  # campaign prices cached
        with CaptureQueriesContext(connection) as ctx:
            body = api_client.get("/api/v1/campaigns/").json()
        assert all(c["products"] for c in body["results"])
        return len(ctx.captured_queries)

    make_campaign(items=[(make_product().variants.get(), "1.00")])
    one = count()
    for _ in range(4):
        make_campaign(items=[(make_product().variants.get(), "1.00") for _ in range(3)])
    assert count() == one


def test_orders_without_marketing_keep_working(buyer_client, address):
    variant = make_product(price="40.00", stock=10).variants.get()
    body = {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": address}
    response = buyer_client.post(ORDERS, body, format="json")
    assert response.status_code == 201
    assert response.json()["campaign"] is None
    assert Order.objects.get().lines.get().unit_price == D("40.00")
