"""A station agent and a store clerk on a phone (390×844): a scan typed as keyboard
input, an order whose first answer is lost and is sent again (one order), cash taken,
the parcel scanned in and collected with its pickup code."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from catalog.demo import load_demo
from catalog.models import Variant
from channels.models import ChannelOrder
from orders.models import Order
from sms.models import SmsMessage

from .conftest import PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _scan(page, sku: str) -> None:
    """A barcode scanner is a keyboard: it types the code and presses Enter."""
    page.click("#scan")
    page.keyboard.type(sku, delay=5)
    page.keyboard.press("Enter")
    page.wait_for_selector("#lines tr")


def test_station_agent_orders_for_a_villager_and_resends_after_a_lost_answer(new_page):
    load_demo()
    variant = Variant.objects.filter(product__slug="jeminay-bread-flour").order_by("pk").first()
    page = new_page(viewport=PHONE)
    log_in(page, "tost-agent", next_url="/channels/")
    page.goto("/channels/tost-station/")
    shoot(page, "channels-01-station-empty-phone")

    _scan(page, variant.sku)
    assert page.locator("#lines tr").count() == 1
    page.fill("#villager-name", "阿依古丽")
    page.fill("#villager-phone", "139 0013 9000")
    shoot(page, "channels-02-station-scanned-phone")

    # The first submission reaches the server but its answer is lost on the way back.
    dropped = []

    def drop_answer(route):
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server places the order...
            dropped.append(True)
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/channels/tost-station/orders/", drop_answer)
    page.click("#send")
    page.wait_for_selector("#resend:not([hidden])")
    assert "不知道" in page.inner_text("#status") or "know" in page.inner_text("#status")
    assert Order.objects.filter(channel="station").count() == 1
    shoot(page, "channels-03-station-answer-lost-phone")

    page.click("#resend")
    page.wait_for_selector("#result .channel-placed")
    order = Order.objects.get(channel="station")
    assert order.number in page.inner_text("#result")
    assert Order.objects.filter(channel="station").count() == 1  # one order, not two
    code = ChannelOrder.objects.get(order=order).pickup_code
    assert code in page.inner_text("#result")
    shoot(page, "channels-04-station-resent-one-order-phone")

    # A villager who pays later from their own wallet gets the pay link by text message.
    page.click("#pay-link-sms")
    expect(page.locator("#status")).to_contain_text("****9000")
    assert SmsMessage.objects.filter(phone="+8613900139000", template="order_pay_link").count() == 1
    shoot(page, "channels-04b-station-pay-link-texted-phone")

    page.click("#take-cash")
    page.wait_for_selector("#take-cash", state="detached")
    order.refresh_from_db()
    assert order.status == "paid"

    # The parcel reaches the station: scanned in from "my orders", then collected.
    page.locator("#mine li button").first.click()
    page.wait_for_selector("#mine li button", state="detached")
    assert ChannelOrder.objects.get(order=order).ready_at is not None
    page.fill("#pickup-code", code)
    page.click("#pickup-form button[type=submit]")
    expect(page.locator("#pickup-status")).to_contain_text(order.number)
    assert ChannelOrder.objects.get(order=order).collected_at is not None
    shoot(page, "channels-05-station-collected-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"


def test_store_clerk_sells_over_the_counter_with_a_scan(new_page):
    load_demo()
    variant = Variant.objects.filter(product__slug="jeminay-bread-flour").order_by("pk").first()
    page = new_page(viewport=PHONE)
    log_in(page, "jeminay-clerk", next_url="/channels/")
    shoot(page, "channels-06-my-places-phone")
    page.goto("/channels/jeminay-store/")
    _scan(page, variant.sku)
    _scan(page, variant.sku)  # a second bag of the same: the quantity goes up
    expect(page.locator("#lines input[type=number]")).to_have_value("2")
    page.click("#send")
    page.wait_for_selector("#result .channel-placed")
    order = Order.objects.get(channel="counter")
    assert order.shipping_fee == 0 and order.lines.get().quantity == 2
    # The buyer may scan a wallet QR shown on screen instead.
    page.click("#wallet-qr")
    page.wait_for_selector(".channel-wallet svg")
    shoot(page, "channels-07a-counter-wallet-qr-phone")
    page.click("#take-cash")
    page.wait_for_selector("#take-cash", state="detached")
    order.refresh_from_db()
    assert order.status == "paid"
    shoot(page, "channels-07-counter-paid-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    # The receipt shows the trace QR of the bag's batch.
    page.click("a.channel-receipt")
    page.wait_for_url("**/receipt/")
    assert page.locator(".channel-trace svg").count() == 1
    shoot(page, "channels-08-counter-receipt-phone")
