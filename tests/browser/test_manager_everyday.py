"""Issue 18: the manager's day in the admin at 1280×800 with the sidebar open, in the
three languages: the to-pack list first with each row's buttons on screen, the home's
figures at a glance, approving from the product page, the order list and the ledger.
No page wider than the window, no console error. Screenshots: manager-day-*."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services as catalog_services
from catalog.constants import ProductStatus
from catalog.demo import load_demo
from catalog.models import Product, Variant
from fulfilment import services as fulfilment_services
from fulfilment.models import Shipment
from tests.factories import make_carriers, make_paid_order, record_sale
from tests.images import photo

from .conftest import DESKTOP, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"{page.url} is {width}px wide"


def _on_screen(locator) -> None:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"], box
    assert box["y"] + box["height"] <= DESKTOP["height"], box


@pytest.mark.parametrize("lang", ["zh-hans", "ug", "en"])
def test_a_managers_day_in_the_admin(new_page, lang):
    load_demo(with_photos=False)
    make_carriers()
    variants = list(Variant.objects.filter(product__cooperative__slug="jeminay-golden-wheat")[:2])
    orders = [make_paid_order(items=[(v, 2)]) for v in variants]
    for order in orders:
        record_sale(order)
        fulfilment_services.shipments_create_for_order(order_id=order.pk)
    waiting = Product.objects.filter(cooperative__slug="jeminay-golden-wheat").first()
    Product.objects.filter(pk=waiting.pk).update(status=ProductStatus.PENDING_REVIEW)
    catalog_services.product_image_add(
        product=waiting,
        upload=SimpleUploadedFile("p.jpg", photo("JPEG"), content_type="image/jpeg"),
    )

    page = new_page(viewport=DESKTOP, lang=lang)
    errors = _watch(page)
    name = f"manager-day-{lang}"

    # Signing in lands on the to-pack list, each row's buttons on screen.
    log_in(page, "jeminay-manager", next_url="/")
    assert page.url.endswith("/admin/fulfilment/shipment/")
    assert page.locator("#nav-sidebar").is_visible()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == len(orders)
    for i in range(rows.count()):
        _on_screen(rows.nth(i).locator(".row-tools button"))
        _on_screen(rows.nth(i).locator(".row-tools a.button"))
    shoot(page, f"{name}-01-to-pack")
    _fits(page)
    rows.first.locator(".row-tools button").click()
    page.wait_for_load_state()
    assert page.locator(".messagelist .success").count() == 1
    assert Shipment.objects.filter(status="packed").count() == 1
    shoot(page, f"{name}-02-packed")

    # The parcel page: nothing to save.
    page.goto(f"/admin/fulfilment/shipment/{Shipment.objects.first().pk}/change/")
    assert page.locator("input[name=_save]").count() == 0
    shoot(page, f"{name}-03-parcel")
    _fits(page)

    # The home at a glance, each tile a link.
    page.goto("/admin/")
    tiles = page.locator("#glance .glance-tiles a")
    assert tiles.count() == 7
    _on_screen(page.locator("#glance"))
    shoot(page, f"{name}-04-home")
    _fits(page)

    # Approving from the product page.
    page.goto(f"/admin/catalog/product/{waiting.pk}/change/")
    page.locator("#review button[value=approve]").click()
    page.wait_for_load_state()
    waiting.refresh_from_db()
    assert waiting.status == ProductStatus.ACTIVE
    shoot(page, f"{name}-05-approved")
    _fits(page)

    for path, step in (
        ("/admin/orders/order/", "06-orders"),
        ("/admin/catalog/product/", "07-products"),
        ("/admin/payments/ledgerentry/", "08-ledger"),
        ("/admin/payments/cooperativebalance/", "09-balance"),
    ):
        page.goto(path)
        shoot(page, f"{name}-{step}")
        _fits(page)
    assert errors == []
