"""A buyer on a phone: browse, two cooperatives' products in the cart, check out, pay with
the sandbox wallet, and watch the order turn paid (a real Celery worker on Redis applies
the wallet's notification, delivered over HTTP to the live server)."""

from __future__ import annotations

import time

import pytest

from catalog.demo import load_demo
from orders.constants import OrderStatus
from orders.models import Order

from .conftest import DESKTOP, PHONE, log_in, shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _add_to_cart(page, product_slug: str) -> None:
    page.goto(f"/products/{product_slug}/")
    page.click("form.buy button[type=submit]")
    page.wait_for_url("**/cart/")


def test_buyer_buys_from_two_cooperatives_and_pays(
    new_page, live_server, settings, celery_worker_all_queues
):
    settings.PUBLIC_BASE_URL = live_server.url  # where the wallet delivers its notification
    load_demo()
    page = new_page(viewport=PHONE)

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shoot(page, "buyer-01-home-phone")
    page.click("text=全部商品")
    page.wait_for_url("**/products/")
    page.select_option("#id_county", "jeminay")
    page.click("form.filters button[type=submit]")
    assert page.locator(".product-card").count() >= 3
    shoot(page, "buyer-02-product-list-filtered-phone")

    log_in(page, "buyer", next_url="/products/")
    _add_to_cart(page, "jeminay-bread-flour")
    page.goto("/products/chengkou-wild-honey/")
    shoot(page, "buyer-03-product-page-phone")
    page.click("form.buy button[type=submit]")
    page.wait_for_url("**/cart/")
    assert page.locator(".lines > li").count() == 2
    shoot(page, "buyer-04-cart-phone")

    page.click("a[href='/checkout/']")
    page.fill("#id_name", "王芳")
    page.fill("#id_phone", "1380013800")  # one digit short: the service refuses it
    # The region selects fill level by level from /api/v1/regions/ (static/js/regions.js).
    page.select_option("#id_region_province", "110000")
    page.select_option("#id_region_city", "110100")
    page.select_option("#id_region_code", "110108")
    page.fill("#id_address", "中关村大街 27 号")
    page.click("main form button[type=submit]")
    assert page.locator("#id_phone_error").is_visible()
    shoot(page, "buyer-05-checkout-error-phone")
    page.fill("#id_phone", "13800138000")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/")
    order = Order.objects.get(user__username="buyer")
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.lines.values("cooperative").distinct().count() == 2
    shoot(page, "buyer-06-pay-choice-phone")

    page.click("button[value=sandbox]")
    page.wait_for_url("**/pay/sandbox/**")
    shoot(page, "buyer-07-sandbox-wallet-phone")
    page.click("button[name=pay]")
    page.wait_for_load_state()

    page.goto(f"/orders/{order.number}/")
    deadline = time.monotonic() + 30
    while page.locator("[data-order-status]").get_attribute("data-order-status") != "paid":
        assert time.monotonic() < deadline, "the order never became paid"
        time.sleep(0.5)
        page.reload()
    assert "已付款" in page.locator("[data-order-status]").inner_text()
    shoot(page, "buyer-08-order-paid-phone")

    desktop = new_page(viewport=DESKTOP)
    log_in(desktop, "buyer", next_url=f"/orders/{order.number}/")
    shoot(desktop, "buyer-09-order-paid-desktop")
    desktop.goto("/")
    shoot(desktop, "buyer-10-home-desktop")
    desktop.goto("/products/jeminay-bread-flour/")
    shoot(desktop, "buyer-11-product-desktop")
    desktop.goto("/trace/JMN-2026-09-A/")
    shoot(desktop, "buyer-12-trace-desktop")
    page.goto("/trace/JMN-2026-09-A/")
    shoot(page, "buyer-12-trace-phone")
