"""Issue 18: the farmer's everyday flow on 390×844 and 360×740 phones, in the three
languages: no page wider than the phone, no console error, every result where the
person is looking. Screenshots: test-artifacts/screenshots/farmer-day-*."""

from __future__ import annotations

import pytest

from catalog.constants import ProductStatus
from catalog.demo import load_demo
from catalog.models import Batch, Product, Variant
from tests.images import photo

from .conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}


def _watch(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{page.url} is {width}px wide"


def _in_view(locator, viewport) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + 10 <= viewport["height"], box


@pytest.mark.parametrize("lang", ["zh-hans", "ug", "en"])
@pytest.mark.parametrize("size", ["390", "360"])
def test_a_farmers_day_on_a_phone(new_page, lang, size):
    load_demo(with_photos=False)
    viewport = PHONE if size == "390" else SMALL
    page = new_page(viewport=viewport, lang=lang)
    # Where a page opens, measured without the smooth scroll's animation in between.
    page.emulate_media(reduced_motion="reduce")
    errors = _watch(page)
    name = f"farmer-day-{lang}-{size}"

    # Signing in from the home page lands in the portal.
    page.goto("/")
    log_in(page, "jeminay-farmer", next_url="/")
    assert page.url.endswith("/farm/")
    _fits(page, viewport)
    shoot(page, f"{name}-01-dashboard")

    # A new product whose weight was typed without its unit: saved, with a warning.
    page.goto("/farm/products/new/")
    page.fill("#id_title", "石磨面粉 新麦 2026")
    page.select_option("#id_category", index=1)
    page.fill("#id_variant_name", "5 kg 袋")
    page.fill("#id_variant_price", "39.90")
    page.fill("#id_variant_stock", "12")
    page.fill("#id_variant_weight_grams", "5")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/farm/products/*/")
    product = Product.objects.get(title_zh_hans="石磨面粉 新麦 2026")
    assert product.slug.startswith("shi-mo-mian-fen-xin-mai-2026")
    warning = page.locator(".msg-warning")
    assert "5 kg" in warning.inner_text()
    _in_view(warning, viewport)
    _fits(page, viewport)
    shoot(page, f"{name}-02-weight-warning")

    # The same name again is asked about, not created silently.
    page.goto("/farm/products/new/")
    page.fill("#id_title", "石磨面粉 新麦 2026")
    page.select_option("#id_category", index=1)
    page.fill("#id_variant_name", "5 kg 袋")
    page.fill("#id_variant_price", "39.90")
    page.fill("#id_variant_stock", "1")
    page.fill("#id_variant_weight_grams", "5.1 kg")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#id_same_name_ok")
    assert Product.objects.filter(title_zh_hans="石磨面粉 新麦 2026").count() == 1
    _fits(page, viewport)
    shoot(page, f"{name}-03-same-name-asked")

    # Without a photo there is no "send for review"; with two, a cover is chosen.
    page.goto(f"/farm/products/{product.pk}/")
    assert page.locator(f"form[action='/farm/products/{product.pk}/submit/']").count() == 0
    page.set_input_files(
        "#photo-files",
        [
            {"name": f"p{i}.jpg", "mimeType": "image/jpeg", "buffer": photo("JPEG")}
            for i in range(2)
        ],
    )
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector("ul.photos li >> nth=1")
    second = product.images.order_by("position", "id").last()
    page.locator(f"form[action$='/photos/{second.pk}/move/'] button[value=cover]").click()
    page.wait_for_load_state()
    assert product.images.order_by("position", "id").first() == second
    # Removing asks first: the button is inside a closed <details>.
    delete = page.locator("ul.photos li >> nth=1").locator("button.danger")
    assert not delete.is_visible()
    page.locator("ul.photos li >> nth=1").locator("details summary").click()
    assert delete.is_visible()
    _fits(page, viewport)
    shoot(page, f"{name}-04-photos-cover-confirm")

    # The size card's save: the figure after the save, in the card, on screen.
    variant = product.variants.get()
    card = page.locator(f"#variant-{variant.pk}")
    card.locator(f"#id_v{variant.pk}-stock_0").fill("15")
    card.locator(f"#id_v{variant.pk}-weight_grams").fill("5.1 kg")
    card.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    message = page.locator(f"#variant-{variant.pk} .msg-success")
    assert "15" in message.inner_text()
    _in_view(message, viewport)
    assert Variant.objects.get(pk=variant.pk).stock == 15
    page.screenshot(path=str(shoot(page, f"{name}-05-card-saved").with_suffix(".view.png")))

    # Send, take back, send again.
    page.locator(f"form[action='/farm/products/{product.pk}/submit/'] button").click()
    page.wait_for_load_state()
    page.locator(f"form[action='/farm/products/{product.pk}/withdraw/'] button").click()
    page.wait_for_load_state()
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT
    _fits(page, viewport)
    shoot(page, f"{name}-06-taken-back")

    # The stock page: the new figure in the row saved, on screen.
    page.goto("/farm/stock/")
    row = page.locator(f"#variant-{variant.pk}")
    row.locator("input[type=number]").first.fill("18")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    message = page.locator(f"#variant-{variant.pk} .msg-success")
    assert "18" in message.inner_text()
    _in_view(message, viewport)
    _fits(page, viewport)
    page.screenshot(path=str(shoot(page, f"{name}-07-stock-saved").with_suffix(".view.png")))

    # Batches: a wrong form opens at the form, the list of what to correct on screen
    # (and the page's top says it too); a batch is corrected.
    page.goto("/farm/batches/")
    page.click("#record ~ form button[type=submit]")
    page.wait_for_load_state()
    _in_view(page.locator("#form-errors"), viewport)
    assert page.locator("main > .msg-error").count() == 1
    _fits(page, viewport)
    shoot(page, f"{name}-08-batch-errors")
    batch = Batch.objects.filter(product__cooperative=product.cooperative).first()
    page.goto(f"/farm/batches/{batch.pk}/")
    page.fill("#id_notes", "含水率复测")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/farm/batches/")
    batch.refresh_from_db()
    assert batch.notes == "含水率复测"
    _fits(page, viewport)
    shoot(page, f"{name}-09-batch-corrected")

    # The draft is deleted after asking.
    page.goto(f"/farm/products/{product.pk}/")
    page.locator("#h-delete ~ details summary").click()
    page.locator(f"form[action='/farm/products/{product.pk}/delete/'] button").click()
    page.wait_for_url("**/farm/products/")
    assert not Product.objects.filter(pk=product.pk).exists()
    _fits(page, viewport)
    shoot(page, f"{name}-10-draft-deleted")
    assert errors == []
