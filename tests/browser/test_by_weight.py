"""Selling by weight on a phone (390×844): the buyer sees the price per kg, the estimate
and the buffer before paying (product, cart, checkout); the cooperative's manager types
the scale's reading on the parcel's weigh page and the difference is refunded once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.demo import load_demo
from catalog.models import Variant
from fulfilment.services import shipments_create_for_order
from lifecycle.services import checkout_place
from payments.models import Refund
from tests.factories import ADDRESS
from tests.lifecycle.weight_helpers import pay_in_wallet

from .conftest import PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_buyer_sees_the_estimate_and_the_manager_weighs_the_parcel(new_page):
    load_demo(with_photos=False)
    variant = Variant.objects.get(sku="JMN-MUTTON-LEG")
    assert variant.price == Decimal("178.50")  # 2.5 kg × 68.00 + 5 %
    page = new_page(viewport=PHONE)
    log_in(page, "buyer", next_url="/products/jeminay-mutton-leg/")
    page.goto("/products/jeminay-mutton-leg/")
    note = page.locator("[data-by-weight]").first
    assert "68.00" in note.inner_text() and "2.500 kg" in note.inner_text()
    shoot(page, "by-weight-01-product-phone")
    page.click("form.buy button[type=submit]")
    page.wait_for_url("**/cart/")
    assert page.locator("[data-by-weight]").count() == 1
    shoot(page, "by-weight-02-cart-phone")
    page.goto("/checkout/")
    assert "5%" in page.locator("[data-by-weight]").first.inner_text()
    shoot(page, "by-weight-03-checkout-phone")

    # A paid order of it, its parcel waiting to be packed.
    from accounts.models import User

    order, _ = checkout_place(
        user=User.objects.get(username="buyer"),
        shipping_address=ADDRESS,
        lines=[{"variant": variant.pk, "quantity": 1}],
    )
    payment = pay_in_wallet(order)
    (shipment,) = shipments_create_for_order(order_id=order.pk)
    manager = new_page(viewport=PHONE)
    log_in(manager, "jeminay-manager", next_url="/admin/fulfilment/shipment/")
    manager.goto("/admin/fulfilment/shipment/")
    manager.click(f"a[href='/admin/fulfilment/shipment/{shipment.pk}/weigh/']")
    line = order.lines.get()
    manager.fill(f"#id_grams_{line.pk}", "2430")
    shoot(manager, "by-weight-04-weigh-form-phone")
    for _ in range(3):  # saved three times: one refund
        manager.click("input[type=submit]")
        manager.wait_for_load_state()
    shoot(manager, "by-weight-05-weighed-phone")
    refund = Refund.objects.get(payment=payment)
    # 2430 g × 68.00 = 165.24; paid 178.50: 13.26 back.
    assert refund.amount == Decimal("13.26")
    line.refresh_from_db()
    assert line.final_amount == Decimal("165.24")

    # The next one is weighed on the farm portal (any member of the cooperative).
    second, _ = checkout_place(
        user=User.objects.get(username="buyer"),
        shipping_address=ADDRESS,
        lines=[{"variant": variant.pk, "quantity": 1}],
    )
    pay_in_wallet(second)
    farmer = new_page(viewport=PHONE)
    log_in(farmer, "jeminay-manager", next_url="/farm/weigh/")
    farmer.goto("/farm/weigh/")
    next_line = second.lines.get()
    farmer.fill(f"#id_l{next_line.pk}-grams", "2612")
    shoot(farmer, "by-weight-06-farm-weigh-phone")
    farmer.click(f"#line-{next_line.pk} button[type=submit]")
    farmer.wait_for_selector(f"#line-{next_line.pk} [data-weighed]")
    shoot(farmer, "by-weight-07-farm-weighed-phone")
    next_line.refresh_from_db()
    assert next_line.final_amount == Decimal("177.62")  # 2.612 kg × 68.00

    # The manager gives back the weighed leg from the order page (what it finally cost).
    manager.goto(f"/admin/orders/order/{order.pk}/change/")
    manager.click(f"a[href='/admin/orders/order/{order.pk}/refund-units/']")
    shoot(manager, "by-weight-08-refund-units-phone")
    manager.click("form input[type=submit]")
    manager.wait_for_selector(".messagelist")
    shoot(manager, "by-weight-09-refunded-units-phone")
    back = Refund.objects.filter(payment=payment, key=f"line:{line.pk}:1-1").get()
    assert back.amount == Decimal("165.24")
