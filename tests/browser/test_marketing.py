"""Issue 13 on a phone in headless Chromium: the demo campaign page (harvest2026) and the
county page listing it, and a checkout with the demo voucher FESTIVAL10. Screenshots land
in test-artifacts/screenshots/."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.demo import load_demo
from marketing.models import OrderAttribution, VoucherUse
from orders.models import Order

from .conftest import PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_campaign_page_and_a_festival_checkout_on_a_phone(new_page):
    load_demo(with_photos=True)
    page = new_page(viewport=PHONE)
    page.goto("/campaigns/harvest2026/")
    assert "丰收节" in page.locator("h1").inner_text()
    card = page.locator(".product-card", has_text="5 kg").first
    assert "32.90" in card.inner_text() and "39.90" in card.inner_text()
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "marketing-01-campaign-phone")

    page.goto("/counties/jeminay/")
    assert page.locator(".campaign-card").count() >= 1
    shoot(page, "marketing-02-county-campaigns-phone")

    log_in(page, "buyer", next_url="/campaigns/harvest2026/?c=harvest2026")
    page.goto("/products/jeminay-bread-flour/")
    # the campaign price checkout charges, the list price struck through
    choice = page.locator(".variant-choice", has_text="32.90")
    assert "32.90" in choice.inner_text() and "39.90" in choice.locator("s").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "marketing-05-product-campaign-price-phone")
    page.fill("#qty", "2")  # 2 x 32.90 = 65.80: over the voucher's ¥50
    page.click("main form button[type=submit]")
    page.goto("/cart/")
    line = page.locator(".line").first
    assert "65.80" in line.inner_text() and "79.80" in line.locator(".price s").inner_text()
    assert "65.80" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "marketing-06-cart-campaign-price-phone")
    page.goto("/products/?q=flour")
    assert page.locator(".product-card s").count() >= 1
    shoot(page, "marketing-07-cards-campaign-price-phone")
    page.goto("/checkout/")
    page.select_option("#id_region_province", "110000")
    page.select_option("#id_region_city", "110100")
    page.select_option("#id_region_code", "110108")
    page.fill("#id_name", "王小明")
    page.fill("#id_phone", "13800138000")
    page.fill("#id_address", "中关村大街 1 号")
    page.fill("#id_voucher", "festival10")
    shoot(page, "marketing-03-checkout-voucher-phone")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/")
    shoot(page, "marketing-04-pay-with-discount-phone")
    order = Order.objects.get(user__username="buyer")
    assert order.subtotal == Decimal("65.80") and order.discount_total == Decimal("6.58")
    assert VoucherUse.objects.get(order=order).voucher.code == "FESTIVAL10"
    assert OrderAttribution.objects.get(order=order).last_campaign.code == "harvest2026"
