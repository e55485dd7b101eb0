"""The checkout page's voucher field, and the admin of vouchers and campaigns scoped
per cooperative (a manager: their own cooperative-funded vouchers and campaigns)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import Campaign, Voucher
from orders.models import CartItem, Order
from tests.factories import (
    ADDRESS,
    make_campaign,
    make_cooperative,
    make_manager,
    make_product,
    make_user,
    make_voucher,
)

pytestmark = pytest.mark.django_db

REGION = {"region_province": "110000", "region_city": "110100", "region_code": "110108"}
ADMIN = "/admin/marketing/"


@pytest.fixture
def buyer_page(client):
    buyer = make_user()
    client.force_login(buyer)
    client.buyer = buyer
    return client


def test_checkout_page_applies_a_voucher(buyer_page):
    variant = make_product(price="30.00", stock=10).variants.get()
    CartItem.objects.create(user=buyer_page.buyer, variant=variant, quantity=2)
    make_voucher("FESTIVAL10", min_spend=Decimal("50.00"))
    page = buyer_page.get("/checkout/").content.decode()
    assert 'name="voucher"' in page
    data = {**ADDRESS, **REGION, "idempotency_key": "p-1", "voucher": " festival10 "}
    answer = buyer_page.post("/checkout/", data)
    order = Order.objects.get()
    assert answer["Location"] == f"/orders/{order.number}/pay/"
    assert order.discount_total == Decimal("6.00")
    assert "6.00" in buyer_page.get(f"/orders/{order.number}/pay/").content.decode()


@pytest.mark.parametrize(
    ("terms", "text"),
    [
        ({"min_spend": Decimal("500.00")}, "minimum spend"),
        ({"valid_until": timezone.now() - timedelta(days=1)}, "not valid at this time"),
        ({"total_limit": 0}, "used up"),
    ],
)
def test_checkout_page_shows_a_refused_voucher_on_its_field(buyer_page, terms, text):
    variant = make_product(price="30.00", stock=10).variants.get()
    CartItem.objects.create(user=buyer_page.buyer, variant=variant, quantity=1)
    make_voucher("NOPE", **terms)
    data = {**ADDRESS, **REGION, "idempotency_key": "p-2", "voucher": "NOPE"}
    answer = buyer_page.post("/checkout/", data)
    assert answer.status_code == 200
    assert text in answer.content.decode()
    assert not Order.objects.exists() and CartItem.objects.exists()


def test_checkout_page_in_chinese_translates_the_refusal(buyer_page):
    variant = make_product(price="30.00", stock=10).variants.get()
    CartItem.objects.create(user=buyer_page.buyer, variant=variant, quantity=1)
    data = {**ADDRESS, **REGION, "idempotency_key": "p-3", "voucher": "MISSING"}
    html = buyer_page.post("/checkout/", data, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "没有这个优惠券" in html


def _voucher_form(**extra):
    now = timezone.now()
    return {
        "code": "COOPSALE",
        "kind": "percent",
        "value": "15",
        "min_spend": "0",
        "valid_from_0": now.strftime("%Y-%m-%d"),
        "valid_from_1": "00:00:00",
        "valid_until_0": (now + timedelta(days=9)).strftime("%Y-%m-%d"),
        "valid_until_1": "00:00:00",
        "total_limit": "100",
        "per_buyer_limit": "1",
        "scope": "site",
        "is_active": "on",
        **extra,
    }


def test_a_manager_creates_only_vouchers_their_cooperative_funds(client):
    mine, theirs = make_cooperative(), make_cooperative()
    client.force_login(make_manager(mine))
    refused = client.post(f"{ADMIN}voucher/add/", _voucher_form())  # platform-funded
    assert refused.status_code == 200 and not Voucher.objects.exists()
    foreign = client.post(f"{ADMIN}voucher/add/", _voucher_form(funded_by=theirs.pk))
    assert foreign.status_code == 200 and not Voucher.objects.exists()
    added = client.post(f"{ADMIN}voucher/add/", _voucher_form(funded_by=mine.pk))
    assert added.status_code == 302, added.content.decode()[-2000:]
    assert Voucher.objects.get().funded_by == mine
    other = make_voucher("THEIRS", funded_by=theirs)
    platform = make_voucher("PLATFORM")
    listing = client.get(f"{ADMIN}voucher/").content.decode()
    assert "COOPSALE" in listing and "THEIRS" not in listing and "PLATFORM" not in listing
    for hidden in (other, platform):
        assert client.get(f"{ADMIN}voucher/{hidden.pk}/change/", follow=True).status_code in (
            200,
            302,
        )
        assert hidden.code not in client.get(f"{ADMIN}voucher/{hidden.pk}/change/").content.decode()


def test_platform_staff_create_platform_vouchers_and_the_terms_are_checked(client):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    bad = client.post(f"{ADMIN}voucher/add/", _voucher_form(value="150"))
    assert bad.status_code == 200 and "at most 100" in bad.content.decode()
    scoped = client.post(f"{ADMIN}voucher/add/", _voucher_form(scope="county"))
    assert scoped.status_code == 200 and not Voucher.objects.exists()
    assert client.post(f"{ADMIN}voucher/add/", _voucher_form()).status_code == 302
    assert Voucher.objects.get().platform_funded


def test_a_manager_sees_and_creates_only_their_own_campaigns(client):
    mine, theirs = make_cooperative(), make_cooperative()
    variant = make_product(cooperative=mine).variants.get()
    client.force_login(make_manager(mine))
    now = timezone.now()
    form = {
        "code": "ourfest",
        "title_zh_hans": "我们的丰收节",
        "title_ug": "بىزنىڭ بايرىمىمىز",
        "title_en": "Our festival",
        "description_zh_hans": "",
        "starts_0": now.strftime("%Y-%m-%d"),
        "starts_1": "00:00:00",
        "ends_0": (now + timedelta(days=5)).strftime("%Y-%m-%d"),
        "ends_1": "00:00:00",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-variant": variant.pk,
        "items-0-campaign_price": "30.00",
    }
    page = client.get(f"{ADMIN}campaign/add/").content.decode()
    for name in ("title_zh_hans", "title_ug", "title_en", "description_ug"):
        assert f'name="{name}"' in page
    assert client.post(f"{ADMIN}campaign/add/", form).status_code == 200  # no cooperative
    no_chinese = {**form, "cooperative": mine.pk, "title_zh_hans": ""}
    assert client.post(f"{ADMIN}campaign/add/", no_chinese).status_code == 200
    added = client.post(f"{ADMIN}campaign/add/", {**form, "cooperative": mine.pk})
    assert added.status_code == 302, added.content.decode()[-3000:]
    campaign = Campaign.objects.get()
    assert campaign.cooperative == mine and campaign.items.get().variant == variant
    assert (campaign.title_zh_hans, campaign.title_ug, campaign.title_en) == (
        "我们的丰收节",
        "بىزنىڭ بايرىمىمىز",
        "Our festival",
    )
    make_campaign("theirfest", title_zh_hans="他们的节", cooperative=theirs)
    listing = client.get(f"{ADMIN}campaign/").content.decode()
    assert "Our festival" in listing and "他们的节" not in listing  # the admin speaks English


def test_load_demo_marketing_is_idempotent():
    from marketing.demo import load_marketing_demo

    load_marketing_demo()
    load_marketing_demo()
    voucher = Voucher.objects.get(code="FESTIVAL10")
    assert (voucher.kind, voucher.value, voucher.min_spend) == ("percent", 10, 50)
    assert (voucher.total_limit, voucher.per_buyer_limit, voucher.platform_funded) == (
        1000,
        1,
        True,
    )
    assert Campaign.objects.filter(code="harvest2026").count() == 1


def test_checkout_page_shows_the_campaign_price_it_will_charge(buyer_page):
    variant = make_product(price="39.90", stock=10).variants.get()
    make_campaign("fest", items=[(variant, "32.90")])
    CartItem.objects.create(user=buyer_page.buyer, variant=variant, quantity=2)
    html = buyer_page.get("/checkout/").content.decode()
    assert "65.80" in html and "Campaign price" in html
    # the list price shows only struck through
    assert html.count("79.80") == 1 and re.search(r"<s[^>]*>(?:(?!</s>).)*79\.80", html)


def test_a_double_click_on_a_voucher_checkout_gives_the_first_order(buyer_page):
    variant = make_product(price="39.90", stock=10).variants.get()
    make_campaign("fest", items=[(variant, "32.90")])
    make_voucher("FESTIVAL10", min_spend=Decimal("50.00"))
    CartItem.objects.create(user=buyer_page.buyer, variant=variant, quantity=2)
    data = {**ADDRESS, **REGION, "idempotency_key": "twice", "voucher": "FESTIVAL10"}
    first = buyer_page.post("/checkout/", data)
    CartItem.objects.create(user=buyer_page.buyer, variant=variant, quantity=2)
    again = buyer_page.post("/checkout/", data)
    order = Order.objects.get()
    assert first["Location"] == again["Location"] == f"/orders/{order.number}/pay/"
    assert order.discount_total == Decimal("6.58")


@pytest.mark.parametrize(
    ("language", "title"),
    [("zh-hans", "吉木乃丰收节"), ("ug", "جېمىنەي ھوسۇل بايرىمى"), ("en", "Harvest festival")],
)
def test_campaign_texts_answer_in_the_active_language(client, language, title):
    make_campaign(
        "fest",
        title_zh_hans="吉木乃丰收节",
        title_ug="جېمىنەي ھوسۇل بايرىمى",
        title_en="Harvest festival",
        description_zh_hans="新麦上市",
    )
    body = client.get("/api/v1/campaigns/fest/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert body["title"] == title
    assert body["description"] == "新麦上市"  # no translation yet: the Chinese text
    listed = client.get("/api/v1/campaigns/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert listed["results"][0]["title"] == title
    page = client.get("/campaigns/fest/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert title in page
