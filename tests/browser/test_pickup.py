"""A buyer on a phone (390×844) has the cart collected at a village station: the
checkout offers it, the station is chosen (a search), the order page shows the pickup
code big enough to show across a counter; the station's agent finds the buyer's order
in the pickup list, scans it in and hands it over with the code."""

from __future__ import annotations

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from catalog.demo import load_demo
from channels.models import ChannelOrder
from lifecycle.services import order_paid
from orders.models import Order
from payments.constants import PaymentStatus
from tests.factories import make_payment

from .conftest import PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_buyer_collects_at_tost_station_with_the_code(new_page):
    load_demo()
    User.objects.filter(username="buyer").update(phone="+8613900139555")
    page = new_page(viewport=PHONE)
    log_in(page, "buyer", next_url="/")
    page.goto("/products/jeminay-bread-flour/")
    page.click("form.buy button[type=submit]")
    page.wait_for_url("**/cart/")
    page.goto("/checkout/")
    page.click("[data-pickup-offer]")
    page.wait_for_url("**/checkout/pickup/**")
    page.fill("#id_q", "托斯特")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-station=tost-station]")
    page.click("[data-station=tost-station]")
    shoot(page, "pickup-01-choose-station-phone")
    page.click("[data-pickup-form] button[type=submit]")
    page.wait_for_url("**/pay/")
    order = Order.objects.get(user__username="buyer")
    row = ChannelOrder.objects.get(order=order)
    assert row.agent is None and row.place.slug == "tost-station"

    page.goto(f"/orders/{order.number}/")
    expect(page.locator("[data-pickup-code]")).to_contain_text(row.pickup_code)
    box = page.locator("[data-pickup-code]").bounding_box()
    assert box and box["width"] <= 390 and box["height"] >= 40  # big, and on the screen
    shoot(page, "pickup-02-order-code-waiting-phone")

    payment = make_payment(order=order, status=PaymentStatus.SUCCEEDED)
    with transaction.atomic():
        order_paid(order=Order.objects.select_for_update().get(pk=order.pk), payment=payment)

    agent_page = new_page(viewport=PHONE)
    log_in(agent_page, "tost-agent", next_url="/channels/")
    agent_page.goto("/channels/tost-station/")
    mine = agent_page.locator("#mine li", has_text=order.number)
    expect(mine).to_be_visible()
    mine.locator("button").click()
    agent_page.wait_for_function(
        "n => ![...document.querySelectorAll('#mine li')].some("
        "li => li.textContent.includes(n) && li.querySelector('button'))",
        arg=order.number,
    )
    row.refresh_from_db()
    assert row.ready_at is not None
    shoot(agent_page, "pickup-03-agent-pickup-list-phone")

    page.reload()
    expect(page.locator("[data-pickup-state]")).to_contain_text("")
    shoot(page, "pickup-04-order-code-at-station-phone")

    agent_page.fill("#pickup-code", row.pickup_code)
    agent_page.click("#pickup-form button[type=submit]")
    expect(agent_page.locator("#pickup-status")).to_contain_text(order.number)
    row.refresh_from_db()
    assert row.collected_at is not None


def test_clerk_closes_the_days_cash_and_the_manager_confirms_the_handover(new_page):
    from rest_framework.test import APIClient

    from catalog.models import Variant
    from channels.models import StoreCashEntry
    from lifecycle.services import channels as flows

    load_demo()
    clerk = User.objects.get(username="jeminay-clerk")
    variant = Variant.objects.filter(product__slug="jeminay-bread-flour").order_by("pk").first()
    order, _ = flows.counter_sale_place(
        clerk=clerk,
        place_slug="jeminay-store",
        lines=[{"variant": variant.pk, "quantity": 2}],
        idempotency_key=None,
    )
    flows.channel_cash_take(number=order.number, agent=clerk)
    page = new_page(viewport=PHONE)
    log_in(page, "jeminay-clerk", next_url="/channels/")
    page.goto("/channels/jeminay-store/")
    expect(page.locator("#day-rows")).to_contain_text(f"¥{order.total}")
    page.click("#close-day")
    expect(page.locator("#day-status")).to_contain_text(f"¥{order.total}")
    expect(page.locator("#day-left")).to_contain_text(f"¥{order.total}")
    entry = StoreCashEntry.objects.get()
    assert entry.amount == order.total and entry.clerk == clerk
    page.locator("#day").scroll_into_view_if_needed()
    shoot(page, "pickup-05-counter-day-closed-phone")

    manager = APIClient()
    manager.force_authenticate(User.objects.get(username="jeminay-store-manager"))
    done = manager.post(
        "/api/v1/channels/jeminay-store/cash-handover/",
        {"clerk": "jeminay-clerk", "day": entry.day.isoformat()},
        format="json",
    )
    assert done.status_code == 201
    page.reload()
    expect(page.locator("#day-left")).to_contain_text("¥0.00")
    shoot(page, "pickup-06-counter-handed-over-phone")
