"""Campaign prices shown where the buyer looks (product page, product cards, cart,
checkout, campaign page) are the prices checkout charges (``catalog.offers``, one rule),
read from the shared cache under a version bumped on commit of any campaign write: the
first request after a change sees it, and a warm cache costs the order no statement."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.offers import offer_price
from lifecycle import services as flows
from marketing.models import CampaignItem, OrderAttribution
from marketing.pricing import campaign_offers
from orders.models import CartItem
from tests.factories import make_campaign, make_product, make_user

pytestmark = pytest.mark.django_db

D = Decimal


def _place(user, address, variant, quantity=1):
    order, _ = flows.checkout_place_marketed(
        user=user,
        shipping_address=address,
        lines=[{"variant": variant.pk, "quantity": quantity}],
    )
    return order


def _struck(html: str, amount: str) -> bool:
    return bool(re.search(r"<s[\s>][^>]*>?(?:(?!</s>).)*" + re.escape(amount), html, re.S))


def test_the_rule_applies_an_offer_only_below_the_list_price():
    assert offer_price(D("40.00"), D("30.00")) == D("30.00")
    assert offer_price(D("40.00"), D("40.00")) is None
    assert offer_price(D("40.00"), D("45.00")) is None
    assert offer_price(D("40.00"), None) is None


def test_product_page_card_cart_and_checkout_show_and_charge_the_same_price(client, address):
    product = make_product(price="39.90", stock=10, title="Jeminay flour")
    variant = product.variants.get()
    make_campaign("fest", items=[(variant, "32.90")])
    page = client.get(product.get_absolute_url()).content.decode()
    assert "32.90" in page and _struck(page, "39.90")
    listing = client.get("/products/").content.decode()
    assert "32.90" in listing and _struck(listing, "39.90") and "Campaign price" in listing

    buyer = make_user()
    client.force_login(buyer)
    CartItem.objects.create(user=buyer, variant=variant, quantity=2)
    cart = client.get("/cart/").content.decode()
    assert "32.90" in cart and "65.80" in cart and _struck(cart, "79.80")
    api_cart = client.get("/api/v1/cart/").json()
    assert api_cart["items"][0]["unit_price"] == "32.90" and api_cart["subtotal"] == "65.80"

    order = _place(buyer, address, variant, 2)
    assert order.subtotal == D("65.80")  # what the pages showed


def test_a_campaign_price_at_or_above_the_list_price_is_shown_nowhere(client):
    product = make_product(price="39.90", stock=10)
    make_campaign("dear", items=[(product.variants.get(), "45.00")])
    page = client.get(product.get_absolute_url()).content.decode()
    assert "¥45.00" not in page and not _struck(page, "39.90") and "¥39.90" in page


def test_the_first_request_after_a_campaign_change_sees_it(
    client, address, django_capture_on_commit_callbacks
):
    product = make_product(price="40.00", stock=50)
    variant = product.variants.get()
    campaign = make_campaign("fest", items=[(variant, "30.00")])
    assert "30.00" in client.get(product.get_absolute_url()).content.decode()  # cached now
    assert campaign_offers([variant.pk])[variant.pk][1] == D("30.00")

    item = CampaignItem.objects.get(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        item.campaign_price = D("25.00")
        item.save()
    assert "25.00" in client.get(product.get_absolute_url()).content.decode()
    assert _place(make_user(), address, variant).lines.get().unit_price == D("25.00")

    with django_capture_on_commit_callbacks(execute=True):
        campaign.ends = timezone.now() - timedelta(seconds=1)
        campaign.save()
    page = client.get(product.get_absolute_url()).content.decode()
    assert "25.00" not in page
    assert _place(make_user(), address, variant).lines.get().unit_price == D("40.00")

    with django_capture_on_commit_callbacks(execute=True):
        make_campaign("again", items=[(variant, "35.00")])
    assert _place(make_user(), address, variant).lines.get().unit_price == D("35.00")
    with django_capture_on_commit_callbacks(execute=True):
        CampaignItem.objects.get(campaign__code="again").delete()
    assert _place(make_user(), address, variant).lines.get().unit_price == D("40.00")


def test_a_cached_campaign_starts_and_ends_on_time_without_any_write():
    variant = make_product(price="40.00", stock=5).variants.get()
    now = timezone.now()
    make_campaign(
        "later",
        items=[(variant, "30.00")],
        starts=now + timedelta(hours=1),
        ends=now + timedelta(hours=2),
    )
    assert campaign_offers([variant.pk], now=now) == {}  # caches the rows
    with CaptureQueriesContext(connection) as ctx:
        during = campaign_offers([variant.pk], now=now + timedelta(minutes=90))
        after = campaign_offers([variant.pk], now=now + timedelta(hours=3))
    assert during[variant.pk][1] == D("30.00") and after == {}
    assert len(ctx.captured_queries) == 0


def _sql(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def test_a_warm_cache_takes_both_marketing_reads_out_of_the_order(address):
    variant = make_product(price="40.00", stock=50).variants.get()
    make_campaign("fest", items=[(variant, "30.00")])
    buyer = make_user()
    with CaptureQueriesContext(connection) as cold:
        _place(buyer, address, variant)
    cold_sql = _sql(cold)
    assert any('FROM "marketing_campaignitem"' in s for s in cold_sql)
    assert any('FROM "marketing_buyertouch"' in s for s in cold_sql)
    with CaptureQueriesContext(connection) as warm:
        order = _place(buyer, address, variant)
    warm_sql = _sql(warm)
    assert order.lines.get().unit_price == D("30.00")  # still the campaign price
    assert not any("marketing_campaignitem" in s for s in warm_sql), warm_sql
    assert not any("marketing_buyertouch" in s for s in warm_sql), warm_sql
    assert len(warm_sql) == len(cold_sql) - 2


def test_a_touch_after_a_cached_no_touch_is_copied_onto_the_next_order(address):
    variant = make_product(price="40.00", stock=50).variants.get()
    campaign = make_campaign("live")
    buyer = make_user()
    _place(buyer, address, variant)  # no touch: noted in the cache
    client = Client()
    client.force_login(buyer)
    client.get("/?c=live")
    order = _place(buyer, address, variant)
    attribution = OrderAttribution.objects.get(order=order)
    assert attribution.last_campaign == campaign
    later = _place(buyer, address, variant)  # the touch was used up
    assert not OrderAttribution.objects.filter(order=later).exists()
