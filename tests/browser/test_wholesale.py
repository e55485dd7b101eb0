"""The demo flour mill's buyer on a phone and a desktop: the price list with its tiers,
the price shown before ordering, a purchase order on credit, quotes and the statement
(screenshots under test-artifacts/screenshots/, looked at)."""

from __future__ import annotations

import pytest

from catalog.demo import load_demo
from orders.constants import OrderStatus
from orders.models import Order

from .conftest import DESKTOP, PHONE, log_in, shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_mill_buyer_sees_tiers_orders_on_credit_and_reads_the_statement(new_page):
    load_demo(with_photos=False)
    page = new_page(viewport=PHONE)
    log_in(page, "mill-buyer", next_url="/wholesale/")
    page.wait_for_url("**/wholesale/")
    assert page.locator("table.list tbody tr").count() == 4  # three tiers + the public price
    assert "¥155.00" in page.content()
    shoot(page, "wholesale-01-price-list-phone")

    page.click("a.button[href*='/wholesale/orders/new/']")
    page.fill("#id_quantity", "13")
    page.click("button[name=preview]")
    page.wait_for_selector("#price")
    assert "¥165.00" in page.inner_text("#price")
    shoot(page, "wholesale-02-price-before-ordering-phone")
    page.fill("#id_po_number", "XF-2026-118")
    page.check("#id_on_credit")
    page.click("button[name=place]")
    page.wait_for_url("**/orders/FG*/")
    order = Order.objects.get(wholesale__po_number="XF-2026-118")
    assert order.status == OrderStatus.PAID and order.lines.get().unit_price == 165
    shoot(page, "wholesale-03-order-on-credit-phone")

    page.goto("/wholesale/quotes/")
    page.fill("#id_quantity", "400")
    page.fill("#id_schedule", "每月 5 日 100 袋")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/wholesale/quotes/")
    assert "400" in page.inner_text("table.list")
    shoot(page, "wholesale-04-quotes-phone")
    page.goto("/wholesale/statement/")
    assert "XF-2026-118" in page.content()
    shoot(page, "wholesale-05-statement-phone")
    # Nothing wider than the phone: wide tables scroll inside their box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    desktop = new_page(viewport=DESKTOP, lang="ug")
    log_in(desktop, "mill-buyer", next_url="/wholesale/")
    desktop.wait_for_url("**/wholesale/")
    assert desktop.locator("html").get_attribute("dir") == "rtl"
    shoot(desktop, "wholesale-06-price-list-desktop-ug")
    desktop.goto("/wholesale/statement/")
    shoot(desktop, "wholesale-07-statement-desktop-ug")
    english = new_page(viewport=DESKTOP, lang="en")
    log_in(english, "mill-buyer", next_url="/wholesale/orders/new/")
    english.wait_for_url("**/wholesale/orders/new/")
    shoot(english, "wholesale-08-order-desktop-en")
