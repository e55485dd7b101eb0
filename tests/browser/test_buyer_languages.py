"""Issue 18: the buyer's whole flow on small phones in the three languages — browse, cart
(shipping shown before the order), checkout, pay in the sandbox wallet, the order page,
cancel with its confirmation — with no horizontal overflow and no console error on any
page. Screenshots: test-artifacts/screenshots/buyer18-<lang>-<width>-<step>.png.

Tasks run eagerly here (the wallet's notification is delivered over HTTP to the live
server from inside its request); test_buyer.py walks the same payment with a real
Celery worker on Redis."""

from __future__ import annotations

import time

import pytest

from catalog.constants import StockReason
from catalog.demo import load_demo
from catalog.models import Variant
from catalog.stock import stock_adjust
from orders.models import Order

from .conftest import log_in, shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

SMALL = {"390": {"width": 390, "height": 844}, "360": {"width": 360, "height": 740}}


# The elements that stick out of the screen, innermost first (what to fix).
WIDEST = """() => [...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect();
  return r.width && (r.right > window.innerWidth + 1 || r.left < -1);
}).slice(-6).map(e => e.tagName + '.' + e.className + ' '
  + Math.round(e.getBoundingClientRect().width))"""


class Watch:
    """Console errors and uncaught exceptions of a page, and the overflow check."""

    def __init__(self, page, name: str):
        self.page, self.name, self.errors = page, name, []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check(self, step: str) -> None:
        self.page.wait_for_load_state()
        widths = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        shoot(self.page, f"{self.name}-{step}")
        if widths[0] > widths[1]:
            wide = self.page.evaluate(WIDEST)
            raise AssertionError(f"{step}: page {widths[0]}px on a {widths[1]}px screen: {wide}")
        assert not self.errors, f"{step}: console errors {self.errors}"


@pytest.mark.parametrize("width", list(SMALL))
@pytest.mark.parametrize("lang", ["zh-hans", "ug", "en"])
def test_buyer_flow_fits_small_phones_in_each_language(
    new_page, live_server, settings, lang, width
):
    settings.PUBLIC_BASE_URL = live_server.url  # where the wallet delivers its notification
    load_demo(with_photos=False)
    page = new_page(viewport=SMALL[width], lang=lang)
    watch = Watch(page, f"buyer18-{lang}-{width}")

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == lang
    watch.check("01-home")
    page.goto("/products/")
    watch.check("02-products")
    for variant in Variant.objects.filter(product__slug="jeminay-stone-ground", stock__gt=0):
        # Sold out, through the stock ledger like every stock change.
        stock_adjust(variant_id=variant.pk, delta=-variant.stock, reason=StockReason.CORRECTION)
    page.goto("/products/jeminay-stone-ground/")
    assert page.locator("[data-sold-out]").is_disabled()
    watch.check("03-sold-out")

    log_in(page, "buyer", next_url="/products/jeminay-bread-flour/")
    watch.check("04-product")
    # The quantity field offers no more than is in stock (the service refuses more too:
    # tests/pages/test_account_and_order_pages.py).
    assert int(page.locator("#qty").get_attribute("max")) == 120
    page.fill("#qty", "2")
    page.click("form.buy button[type=submit]")
    page.wait_for_url("**/cart/")
    page.goto("/products/chengkou-wild-honey/")
    page.click("form.buy button[type=submit]")
    page.wait_for_url("**/cart/")
    assert page.locator("[data-shipping-fee]").count() == 2  # two cooperatives' parcels
    assert page.locator("[data-free-hint]").count() >= 1
    watch.check("06-cart")

    page.click("a[href='/checkout/']")
    page.fill("#id_name", "Aygul")
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_region_province", "650000")
    page.select_option("#id_region_city", "654300")
    page.select_option("#id_region_code", "654326")
    page.fill("#id_address", "Tosite 12")
    watch.check("07-checkout")
    page.click("main form.form button[type=submit]:not([name])")
    page.wait_for_url("**/pay/")
    order = Order.objects.get(user__username="buyer")
    watch.check("08-pay-choice")

    page.click("button[value=sandbox]")
    page.wait_for_url("**/pay/sandbox/**")
    watch.check("09-wallet")
    page.click("button[name=pay]")
    page.wait_for_load_state()
    page.goto(f"/orders/{order.number}/")
    deadline = time.monotonic() + 30
    while page.locator("[data-order-status]").get_attribute("data-order-status") != "paid":
        assert time.monotonic() < deadline, "the order never became paid"
        time.sleep(0.5)
        page.reload()
    watch.check("10-order-paid")

    page.click(f"a[href='/orders/{order.number}/cancel/']")
    page.wait_for_url("**/cancel/")
    assert page.locator("[data-refund]").count() == 1
    watch.check("11-cancel-confirm")
    page.click("main form button.danger")
    page.wait_for_url(f"**/orders/{order.number}/")
    assert page.locator("[data-state]").get_attribute("data-state") in (
        "refund_pending",
        "refunded",
    )
    watch.check("12-cancelled")
    page.goto("/orders/")
    assert page.locator(".order-row").count() == 1
    watch.check("13-order-list")
    page.goto("/accounts/addresses/")
    assert page.locator("[data-addresses] li").count() == 1  # saved at checkout
    watch.check("14-address-book")
    page.goto("/no-such-page/")
    watch.errors.clear()  # the 404 itself is logged by the browser as a failed load
    watch.check("15-not-found")
