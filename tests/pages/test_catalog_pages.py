"""Storefront catalogue pages: status, content, what a buyer must never see, query counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.constants import CertificationKind, ProductStatus
from catalog.models import Certification, Product
from catalog.stock import stock_adjust
from tests.factories import (
    make_batch,
    make_campaign,
    make_category,
    make_cooperative,
    make_county,
    make_product,
)

pytestmark = pytest.mark.django_db


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_home_lists_live_products_cooperatives_and_counties(client):
    live = make_product(title="Stone-ground flour")
    make_product(title="Secret draft", status=ProductStatus.DRAFT)
    body = client.get("/").content.decode()
    assert "Stone-ground flour" in body
    assert live.cooperative.name in body and live.cooperative.county.name in body
    assert "Secret draft" not in body
    assert 'lang="en"' in body and 'dir="ltr"' in body


def test_default_language_is_simplified_chinese(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    make_product()
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert 'lang="zh-hans"' in body
    assert "新鲜上市" in body  # "New harvests", from the compiled catalogue


def test_uyghur_pages_are_right_to_left_with_uyghur_prices(client):
    make_product(price="1234.50")
    client.cookies["django_language"] = "ug"
    body = client.get("/products/").content.decode()
    assert 'dir="rtl"' in body and 'lang="ug"' in body
    assert "1,234.50 يۈەن" in body
    client.cookies["django_language"] = "en"
    assert "¥1,234.50" in client.get("/products/").content.decode()


def test_language_switcher_sets_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "ug", "next": "/products/"})
    assert response.status_code == 302 and response["Location"] == "/products/"
    assert 'dir="rtl"' in client.get("/products/").content.decode()


def test_product_list_filters_orders_and_paginates(client):
    county = make_county(slug="jeminay")
    flour = make_category(slug="flour")
    coop = make_cooperative(county=county)
    cheap = make_product(cooperative=coop, category=flour, title="Cheap flour", price="10.00")
    dear = make_product(cooperative=coop, category=flour, title="Dear flour", price="99.00")
    other = make_product(title="Honey from elsewhere", price="50.00")
    Certification.objects.create(
        kind=CertificationKind.ORGANIC, number="ORG-1", issuer="X", cooperative=coop, product=dear
    )

    body = client.get("/products/?county=jeminay&ordering=price").content.decode()
    assert body.index("Cheap flour") < body.index("Dear flour")
    assert other.title not in body
    body = client.get("/products/?ordering=-price").content.decode()
    assert body.index("Dear flour") < body.index("Honey from elsewhere") < body.index("Cheap")
    body = client.get("/products/?certification=organic").content.decode()
    assert "Dear flour" in body and "Cheap flour" not in body
    body = client.get("/products/?search=honey").content.decode()
    assert "Honey from elsewhere" in body
    assert "Cheap flour" not in body and "Dear flour" not in body
    assert cheap.get_absolute_url() in client.get("/products/?category=flour").content.decode()
    # A nonsense filter value does not break the page.
    assert client.get("/products/?ordering=DROP&min_price=abc").status_code == 200


def test_product_list_pages_and_its_query_count_does_not_grow(
    client, django_capture_on_commit_callbacks
):
    coop = make_cooperative()
    for _ in range(5):
        make_product(cooperative=coop)
    client.get("/products/")  # the first request caches the campaign prices (one read)
    few = _count_queries(client, "/products/")
    for _ in range(40):
        make_product(cooperative=coop)
    many = _count_queries(client, "/products/")
    assert many == few
    assert few <= 8
    # Campaign prices on the cards: one more query for the whole page, however many.
    with django_capture_on_commit_callbacks(execute=True):
        make_campaign(items=[(p.variants.get(), "1.00") for p in Product.objects.all()[:2]])
    client.get("/products/")
    two_offered = _count_queries(client, "/products/")
    with django_capture_on_commit_callbacks(execute=True):
        make_campaign(items=[(p.variants.get(), "1.00") for p in Product.objects.all()[2:20]])
    client.get("/products/")
    assert _count_queries(client, "/products/") == two_offered == few + 1
    body = client.get("/products/?page=2").content.decode()
    assert "Page 2 of 2" in body and 'rel="prev"' in body


def test_product_page_shows_variants_certifications_batches_and_buy_form(client):
    product = make_product(variants=2, stock=3, description="Milled in October.")
    batch = make_batch(product=product, code="JMN-T-1")
    sold_out = product.variants.last()
    stock_adjust(variant_id=sold_out.pk, delta=-3)  # sold out: 3 -> 0
    body = client.get(product.get_absolute_url()).content.decode()
    assert "Milled in October." in body
    assert "Only 3 left" in body and "Sold out" in body
    assert f'href="{batch.get_absolute_url()}"' in body
    assert 'action="/cart/add/"' in body
    assert re.search(rf'value="{sold_out.pk}"\s+disabled', body)


@pytest.mark.parametrize(
    "status",
    [
        ProductStatus.DRAFT,
        ProductStatus.PENDING_REVIEW,
        ProductStatus.REJECTED,
        ProductStatus.ARCHIVED,
    ],
)
def test_unpublished_products_answer_404(client, status):
    product = make_product(status=status)
    assert client.get(product.get_absolute_url()).status_code == 404


def test_inactive_cooperative_hides_its_page_and_products(client):
    coop = make_cooperative(is_active=False)
    product = make_product(cooperative=coop)
    assert client.get(coop.get_absolute_url()).status_code == 404
    assert client.get(product.get_absolute_url()).status_code == 404
    assert product.title not in client.get("/products/").content.decode()


def test_cooperative_brand_page(client):
    coop = make_cooperative(story="We mill our own wheat.")
    make_product(cooperative=coop, title="Bread flour")
    Certification.objects.create(
        kind=CertificationKind.GREEN_FOOD, number="GF-9", issuer="CGFDC", cooperative=coop
    )
    body = client.get(coop.get_absolute_url()).content.decode()
    assert "We mill our own wheat." in body and "Bread flour" in body and "GF-9" in body


def test_county_page(client):
    county = make_county(description="Wheat below the mountains.")
    coop = make_cooperative(county=county)
    make_product(cooperative=coop, title="County flour")
    body = client.get(county.get_absolute_url()).content.decode()
    assert "Wheat below the mountains." in body and coop.name in body and "County flour" in body
    assert client.get("/counties/nowhere/").status_code == 404


def test_trace_page_is_light_and_links_to_buying(client):
    product = make_product(title="Traced flour")
    batch = make_batch(product=product, code="TR-1", ash_pct="0.52")
    response = client.get(batch.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Traced flour" in body and "0.52%" in body and "<svg" in body
    assert product.get_absolute_url() in body
    assert len(response.content) < 60_000
    assert _count_queries(client, batch.get_absolute_url()) <= 6


def test_product_list_page_weight_budget(client):
    """First load without photos: HTML + CSS + JS must stay under 300 KB."""
    coop = make_cooperative()
    for _ in range(30):
        make_product(cooperative=coop, description="x" * 400)
    html = client.get("/products/").content
    static_dir = Path(settings.BASE_DIR) / "static"
    assets = [
        m.removeprefix(settings.STATIC_URL)
        for m in re.findall(r'(?:href|src)="(/static/[^"]+)"', html.decode())
    ]
    assert "css/site.css" in assets
    weight = len(html) + sum((static_dir / a).stat().st_size for a in assets)
    assert weight < 300 * 1024, weight
    assert "https://" not in html.decode().split("<body")[0]  # nothing loaded from outside


def test_images_are_lazy_with_dimensions(client):
    from django.core.files.base import ContentFile

    from catalog.models import ProductImage

    product = make_product()
    image = ProductImage(product=product, token="t1", width=640, height=480, alt="sack")
    image.image.save("p.jpg", ContentFile(b"fake"), save=False)
    image.save()
    body = client.get("/products/").content.decode()
    tags = re.findall(r"<img [^>]*>", body.split("<main")[1])
    assert tags and all('loading="lazy"' in t and "width=" in t and "height=" in t for t in tags)


def test_pages_need_no_inline_styles_or_scripts(client):
    """The site's CSP allows only our own files: no style="" or inline <script>."""
    product = make_product()
    make_batch(product=product, code="CSP-1")
    for url in (
        "/",
        "/products/",
        product.get_absolute_url(),
        "/trace/CSP-1/",
        product.cooperative.get_absolute_url(),
        "/accounts/login/",
    ):
        body = client.get(url).content.decode()
        assert ' style="' not in body, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), url


def test_product_list_form_with_empty_choices_still_filters(client):
    from tests.factories import make_category, make_product

    flour, tea = make_category(slug="flour-x"), make_category(slug="tea-x")
    make_product(title="Only flour", category=flour)
    make_product(title="Only tea", category=tea)
    body = client.get(
        "/products/?search=&category=tea-x&county=&certification=&ordering=-created"
    ).content.decode()
    assert "Only tea" in body and "Only flour" not in body


def test_filter_selects_offer_words_not_dashes(client):
    body = client.get("/products/").content.decode()
    assert "---------" not in body


def test_sold_out_product_has_a_disabled_button_that_says_so(client):
    from tests.factories import make_product as _make

    product = _make(title="Sold-out flour", stock=0)
    body = client.get(product.get_absolute_url()).content.decode()
    assert "data-sold-out" in body and "Sold out — none left in any size" in body
    assert 'type="submit" class="grow">Add to cart' not in body
    on_sale = _make(title="Flour in stock", stock=16)
    body = client.get(on_sale.get_absolute_url()).content.decode()
    assert "Add to cart" in body and "data-sold-out" not in body and 'max="16"' in body


def test_product_page_has_a_share_card(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.services import product_image_add
    from tests.factories import make_product as _make
    from tests.images import photo

    settings.MEDIA_ROOT = str(tmp_path)
    product = _make(title="Stone-ground flour", price="68.00")
    product_image_add(
        product=product, upload=SimpleUploadedFile("a.jpg", photo(), content_type="image/jpeg")
    )
    body = client.get(product.get_absolute_url()).content.decode()
    assert '<meta property="og:type" content="product">' in body
    assert '<meta property="og:title" content="Stone-ground flour · ¥68.00">' in body
    assert f'<meta property="og:url" content="http://testserver/products/{product.slug}/">' in body
    assert '<meta property="product:price:amount" content="68.00">' in body
    assert '<meta property="product:price:currency" content="CNY">' in body
    assert '<meta property="og:image" content="http://testserver/media/' in body


@pytest.mark.parametrize("kind", ["cooperative", "county"])
def test_cooperative_and_county_pages_paginate_at_a_constant_cost(client, kind):
    county = make_county()
    coop = make_cooperative(county=county)
    url = (coop if kind == "cooperative" else county).get_absolute_url()
    first = make_product(cooperative=coop, title="Aaa flour")
    Certification.objects.create(
        kind=CertificationKind.ORGANIC, number="ORG-P1", issuer="X", cooperative=coop, product=first
    )
    for _ in range(4):
        make_product(cooperative=coop)
    client.get(url)  # the first request caches the campaign prices (one read)
    few = _count_queries(client, url)
    for i in range(25):
        product = make_product(cooperative=coop, title=f"Zzz flour {i:02}")
        Certification.objects.create(
            kind=CertificationKind.ORGANIC,
            number=f"ORG-Z{i}",
            issuer="X",
            cooperative=coop,
            product=product,
        )
    many = _count_queries(client, url)
    assert many == few
    body = client.get(url).content.decode()
    assert body.count('<article class="card product-card">') == 24
    assert "Page 1 of 2" in body and 'rel="next"' in body and "#products" in body
    second = client.get(f"{url}?page=2").content.decode()
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert second.count('<article class="card product-card">') == 6
    if kind == "cooperative":
        # Titles in order: the first page starts with A, the second ends with the last Z;
        # a product's own certification is listed with its page, not on every page.
        assert "Aaa flour" in body and "Zzz flour 24" in second and "Aaa flour" not in second
        assert "ORG-P1" in body and "ORG-P1" not in second
    assert client.get(f"{url}?page=99").status_code == 200  # the last page, as the list does
