"""The farmer portal on a 390×844 phone, and the storefront in Uyghur (right to left)."""

from __future__ import annotations

import pytest

from catalog.constants import ProductStatus
from catalog.demo import load_demo
from catalog.models import Product
from tests.images import pdf_bytes, photo

from .conftest import DESKTOP, PHONE, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _files(*items):
    return [{"name": name, "mimeType": mime, "buffer": data} for name, mime, data in items]


def test_farmer_lists_a_product_with_two_photos_and_a_manager_approves_it(new_page):
    load_demo(with_photos=False)
    page = new_page(viewport=PHONE)
    log_in(page, "jeminay-farmer", next_url="/farm/")
    assert page.url.endswith("/farm/")
    shoot(page, "farmer-01-dashboard-phone")

    page.click("text=+ 新商品 >> nth=0")
    page.fill("#id_title", "吉木乃石磨全麦粉 新麦")
    page.select_option("#id_category", label="面粉")
    page.fill("#id_title_ug", "جېمىنەي پۈتۈن بۇغداي ئۇنى")
    page.fill("#id_title_en", "Jeminay new-wheat whole flour")
    page.fill("#id_description", "新麦石磨，保留麸皮。")
    page.fill("#id_variant_name", "2.5 kg 袋")
    page.fill("#id_variant_price", "29.90")
    page.fill("#id_variant_stock", "40")
    page.fill("#id_variant_weight_grams", "2600")
    shoot(page, "farmer-02-new-product-phone")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/farm/products/*/")
    product = Product.objects.get(title_zh_hans="吉木乃石磨全麦粉 新麦")
    assert product.status == ProductStatus.DRAFT and product.variants.count() == 1
    assert product.title_ug == "جېمىنەي پۈتۈن بۇغداي ئۇنى"
    assert product.slug.startswith("jeminay-new-wheat-whole-flour")

    page.set_input_files(
        "#photo-files",
        _files(
            ("field.jpg", "image/jpeg", photo("JPEG", size=(800, 600))),
            ("sack.png", "image/png", photo("PNG", size=(600, 800), color=(90, 140, 60))),
        ),
    )
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector("ul.photos li >> nth=1")  # the page reloads once both are in
    assert product.images.count() == 2
    shoot(page, "farmer-03-photos-uploaded-phone")

    # A refused file: the farmer reads why, next to the upload button.
    page.set_input_files(
        "#photo-files", _files(("certificate.pdf", "application/pdf", pdf_bytes()))
    )
    page.click("form[data-upload] button[type=submit]")
    error = page.locator("[data-upload-errors] li")
    error.wait_for()
    assert "JPEG" in error.inner_text() and "certificate.pdf" in error.inner_text()
    assert page.locator("[data-upload-status]").get_attribute("class").endswith("error")
    assert product.images.count() == 2
    shoot(page, "farmer-04-upload-refused-phone")

    page.click("text=提交审核")
    page.wait_for_selector(".review-box")
    product.refresh_from_db()
    assert product.status == ProductStatus.PENDING_REVIEW
    shoot(page, "farmer-05-submitted-phone")

    manager = new_page(viewport=PHONE)
    log_in(manager, "jeminay-manager", next_url="/farm/review/")
    assert manager.locator(".farm-list > li").count() >= 1
    shoot(manager, "manager-01-review-phone")
    manager.locator(f"form[action='/farm/products/{product.pk}/approve/'] button").click()
    manager.wait_for_load_state()
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE

    buyer = new_page(viewport=PHONE)
    buyer.goto("/products/?search=石磨全麦粉")
    card = buyer.locator(".product-card", has_text="新麦")
    assert card.count() == 1
    card.locator("a").first.click()
    assert buyer.locator(".thumbs img").count() == 2
    shoot(buyer, "farmer-06-product-live-phone")


def test_refused_upload_without_javascript_shows_the_reason(browser, live_server):
    load_demo(with_photos=False)
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, java_script_enabled=False
    )
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    try:
        log_in(page, "jeminay-farmer", next_url="/farm/products/")
        page.locator(".farm-item h3 a").first.click()
        page.set_input_files("#photo-files", _files(("notes.pdf", "application/pdf", pdf_bytes())))
        page.click("form[data-upload] button[type=submit]")
        page.wait_for_load_state()
        message = page.locator(".msg-error")
        assert "notes.pdf was refused" in message.inner_text()
        assert "not a JPEG, PNG or WebP" in message.inner_text()
        shoot(page, "farmer-07-upload-refused-nojs-phone")
    finally:
        context.close()


def test_uyghur_home_renders_right_to_left(new_page):
    load_demo(with_photos=False)
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(viewport=viewport, lang="ug")
        page.goto("/")
        html = page.locator("html")
        assert html.get_attribute("dir") == "rtl"
        assert html.get_attribute("lang") == "ug"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        # Mirrored: the brand sits on the right half, where left-to-right pages start.
        brand = page.locator(".brand").bounding_box()
        assert brand["x"] > viewport["width"] / 2
        assert "ئۇن" in page.locator("h1").inner_text()
        shoot(page, f"ug-home-{name}")
    page.goto("/farm/")  # not logged in: the log-in page, also right to left
    assert page.locator("html").get_attribute("dir") == "rtl"


@pytest.mark.parametrize("lang", ["zh-hans", "ug", "en"])
def test_a_stale_stock_save_is_refused_with_the_current_figure(new_page, lang):
    """The farmer opens the stock page, a buyer takes 5 bags, the farmer types the count
    the page had in mind: refused in that row, with the figure on the shelf now."""
    from django.db import transaction

    from catalog.models import Variant
    from catalog.stock import stock_adjust, stock_take
    from tests.factories import assert_stock_ledger_consistent

    load_demo(with_photos=False)
    variant = Variant.objects.get(sku="JMN-BF-5")
    page = new_page(viewport=PHONE, lang=lang)
    log_in(page, "jeminay-farmer", next_url="/farm/stock/")
    row = page.locator(f"#variant-{variant.pk}")
    shown = int(row.locator("input[type=number]").first.input_value())
    with transaction.atomic():  # a buyer's checkout while the page is open
        assert stock_take(quantities={variant.pk: 5}) == []
    row.locator("input[type=number]").first.fill(str(shown + 10))
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    row = page.locator(f"#variant-{variant.pk}")
    message = row.locator(".msg-error")
    assert str(shown - 5) in message.inner_text()
    assert row.locator("input[type=number]").first.input_value() == str(shown - 5)
    assert Variant.objects.get(pk=variant.pk).stock == shown - 5
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    path = shoot(page, f"farmer-08-stock-refused-{lang}")  # the whole page
    row.scroll_into_view_if_needed()  # and what the phone shows where the person is
    page.screenshot(path=str(path.with_name(f"farmer-08-stock-refused-{lang}-view.png")))

    stock_adjust(variant_id=variant.pk, delta=20, note="新麦入库")
    row.locator("a[href*='/history/']").click()
    page.wait_for_load_state()
    assert page.locator(".movement").count() == 3  # opening, sale, receipt
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, f"farmer-09-variant-history-{lang}")

    # The product page's card: a new price and a count typed over a figure that a sale
    # made stale. Refused as a whole; the card keeps the typed price, shows the figure now.
    page.goto(f"/farm/products/{variant.product_id}/")
    card = page.locator(f"#variant-{variant.pk}")
    before = Variant.objects.get(pk=variant.pk)
    with transaction.atomic():
        assert stock_take(quantities={variant.pk: 2}) == []
    card.locator(f"#id_v{variant.pk}-price").fill("99.00")
    card.locator(f"#id_v{variant.pk}-stock_0").fill(str(before.stock + 1))
    card.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    card = page.locator(f"#variant-{variant.pk}")
    assert str(before.stock - 2) in card.locator(".errorlist").inner_text()
    assert card.locator(f"#id_v{variant.pk}-price").input_value() == "99.00"
    assert Variant.objects.get(pk=variant.pk).price == before.price
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.scroll_into_view_if_needed()
    page.screenshot(
        path=str(shoot(page, f"farmer-10-card-refused-{lang}").with_suffix(".view.png"))
    )
    assert_stock_ledger_consistent()


def test_the_uyghur_product_page_shows_the_uyghur_title_and_description(new_page):
    load_demo(with_photos=True)
    product = Product.objects.get(slug="jeminay-stone-ground")
    page = new_page(viewport=PHONE, lang="ug")
    page.goto("/products/jeminay-stone-ground/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text().strip() == product.title_ug
    assert product.description_ug in page.locator("main").inner_text()
    assert product.title_zh_hans not in page.locator("main").inner_text()
    shoot(page, "ug-product-phone")
    # The search box finds it by a word of its Uyghur title.
    page.goto("/products/?search=تۈگمەن")
    assert product.title_ug in page.locator("main").inner_text()
    shoot(page, "ug-search-phone")
