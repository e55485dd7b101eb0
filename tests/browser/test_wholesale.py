"""The demo flour mill's buyer on a phone and a desktop: the price list with its tiers,
the price shown before ordering, a purchase order on credit, quotes and the statement
(screenshots under test-artifacts/screenshots/, looked at)."""

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


def test_contracts_receivables_and_paying_an_invoice_online_on_a_phone(
    new_page, live_server, settings
):
    """The demo contract's deliveries (one waiting for stock, with the reason), the
    statement's "pay online" through the sandbox wallet, and the cooperative's contracts
    and receivables pages (screenshots looked at)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from lifecycle.services.contracts import contract_deliveries_sweep
    from lifecycle.services.wholesale import wholesale_order_place
    from wholesale import services as wholesale
    from wholesale.models import Contract, Invoice

    settings.PUBLIC_BASE_URL = live_server.url  # where the wallet delivers its notification
    load_demo(with_photos=False)
    contract = Contract.objects.get(accepted_by__username="mill-buyer")
    # Two deliveries due already: the first (20 of the 30 bags in stock) is placed, the
    # second (20 more) waits for stock, with the reason.
    today = timezone.localdate()
    contract.deliveries.filter(seq=1).update(due_on=today)
    assert contract_deliveries_sweep() == {"placed": 1, "waiting": 0}
    contract.deliveries.filter(seq=2).update(due_on=today)
    assert contract_deliveries_sweep() == {"placed": 0, "waiting": 1}
    buyer = get_user_model().objects.get(username="mill-buyer")
    order, _ = wholesale_order_place(
        user=buyer,
        lines=[{"variant": contract.variant_id, "quantity": 2}],
        po_number="XF-PAY-1",
        on_credit=True,
    )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    order.refresh_from_db()
    invoice = wholesale.invoice_issue(wholesale_order=order.wholesale)
    wholesale.invoice_payment_record(invoice=invoice, amount=Decimal("100.00"), reference="ABC-1")

    page = new_page(viewport=PHONE)
    log_in(page, "mill-buyer", next_url="/wholesale/contracts/")
    page.wait_for_url("**/wholesale/contracts/")
    # A delivery short of stock says so in the reader's language (the page is Chinese).
    assert "库存不足" in page.content() and "insufficient_stock" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "wholesale-09-contracts-phone")
    page.goto("/wholesale/statement/")
    shoot(page, "wholesale-10-statement-pay-online-phone")
    page.click(f"form[action*='{invoice.number}/pay/'] button[value=sandbox]")
    page.wait_for_url("**/pay/sandbox/**")
    assert invoice.number in page.content()
    shoot(page, "wholesale-11-invoice-wallet-phone")
    page.click("button[name=pay]")
    page.wait_for_selector(".paid")
    for _ in range(50):  # the wallet's notification, applied through the callback path
        if Invoice.objects.get(pk=invoice.pk).outstanding == 0:
            break
        time.sleep(0.2)
    assert Invoice.objects.get(pk=invoice.pk).outstanding == 0
    page.goto("/wholesale/statement/")
    shoot(page, "wholesale-12-statement-paid-phone")

    for lang in ("zh-hans", "ug", "en"):
        manager = new_page(viewport=PHONE, lang=lang)
        log_in(manager, "jeminay-manager", next_url="/wholesale/cooperative/contracts/")
        manager.wait_for_url("**/wholesale/cooperative/contracts/")
        assert contract.number in manager.content()
        assert manager.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(manager, f"wholesale-13-coop-contracts-phone-{lang}")
        manager.goto("/wholesale/cooperative/receivables/")
        assert invoice.number in manager.content()
        assert manager.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(manager, f"wholesale-14-coop-receivables-phone-{lang}")
