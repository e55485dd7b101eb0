"""Issue 17 on a phone in headless Chromium: search with suggestions (pinyin initials),
signing in by SMS code read from the development outbox, and the address form's region
selects, with JavaScript and without. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from catalog.demo import load_demo
from catalog.models import Variant
from orders.models import CartItem, Order

from .conftest import PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_search_box_suggests_products_for_pinyin_initials(new_page):
    load_demo(with_photos=False)
    page = new_page(viewport=PHONE)
    page.goto("/products/")
    page.locator("#id_search").press_sequentially("mf", delay=80)
    first = page.locator(".suggestions [role=option]").first
    first.wait_for(state="visible")
    assert first.inner_text() == "吉木乃石磨面粉"
    assert page.locator("#id_search").get_attribute("aria-expanded") == "true"
    shoot(page, "china-01-search-suggestions-phone")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/products/jeminay-stone-ground/")

    page.goto("/products/?search=wallnut")
    assert "漾濞泡核桃" in page.locator(".product-card").first.inner_text()
    shoot(page, "china-02-search-typo-phone")


def test_sign_in_by_sms_code_from_the_development_outbox(new_page, settings):
    settings.DEBUG = True  # the outbox page exists only then
    page = new_page(viewport=PHONE)
    page.goto("/accounts/login/")
    page.click("text=用短信验证码登录")
    page.fill("#id_phone", "138 0013 8000")
    shoot(page, "china-03-sms-login-phone")
    page.click("button:has-text('获取验证码')")
    page.locator("#id_code").wait_for()
    shoot(page, "china-04-sms-code-phone")

    page.goto("/dev/sms/")
    text = page.locator(".sms-text").first.inner_text()
    shoot(page, "china-05-dev-sms-outbox-phone")
    code = re.search(r"\d{6}", text).group()

    page.goto("/accounts/login/sms/")
    page.fill("#id_code", code)
    page.click("button:has-text('登录')")
    page.wait_for_url(re.compile(r".*/$"))
    assert page.locator("text=退出").count() >= 1
    assert User.objects.get(phone="+8613800138000").phone_verified

    uyghur = new_page(viewport=PHONE, lang="ug")
    uyghur.goto("/accounts/login/sms/")
    assert uyghur.locator("html").get_attribute("dir") == "rtl"
    shoot(uyghur, "china-08-sms-login-uyghur-phone")


def _cart_with_flour(username: str) -> None:
    user = User.objects.get(username=username)
    variant = Variant.objects.get(sku="JMN-BF-5")
    CartItem.objects.create(user=user, variant=variant, quantity=1)


def test_address_form_region_selects_with_javascript(new_page):
    load_demo(with_photos=False)
    _cart_with_flour("buyer")
    page = new_page(viewport=PHONE)
    log_in(page, "buyer", next_url="/checkout/")
    page.goto("/checkout/")
    assert page.locator("[data-region-refresh]").count() == 0  # removed by regions.js
    page.fill("#id_name", "阿依努尔")
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_region_province", "650000")
    page.select_option("#id_region_city", "654300")
    page.select_option("#id_region_code", "654326")
    page.fill("#id_address", "托斯特乡麦田路 12 号")
    shoot(page, "china-06-address-form-phone")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/pay/")
    address = Order.objects.get().shipping_address
    assert (address["province"], address["city"], address["district"]) == (
        "新疆维吾尔自治区",
        "阿勒泰地区",
        "吉木乃县",
    )


def test_address_form_region_selects_without_javascript(browser, live_server):
    load_demo(with_photos=False)
    _cart_with_flour("buyer")
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="zh-CN", java_script_enabled=False
    )
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    try:
        log_in(page, "buyer", next_url="/checkout/")
        page.goto("/checkout/")
        page.fill("#id_name", "李娜")
        page.select_option("#id_region_province", "500000")
        page.click("[data-region-refresh]")
        page.select_option("#id_region_city", "500100")
        page.click("[data-region-refresh]")
        page.select_option("#id_region_code", "500229")
        assert page.locator("#id_name").input_value() == "李娜"  # kept across reloads
        shoot(page, "china-07-address-form-no-js-phone")
        assert not Order.objects.exists()
    finally:
        context.close()
