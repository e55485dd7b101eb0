"""Catalogue API: shapes, visibility, filters, ordering, pagination and query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.api import serializers as api_serializers
from catalog.constants import CertificationKind, ProductStatus
from catalog.models import Certification, ProductImage
from tests.factories import (
    make_batch,
    make_category,
    make_cooperative,
    make_county,
    make_product,
    make_variant,
)

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def _declared(serializer_class) -> set[str]:
    return set(serializer_class().fields)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def test_product_list_shape_and_visibility(api_client):
    county = make_county(slug="jeminay", name="Jeminay")
    coop = make_cooperative(county=county, slug="ak-su", name="Ak-Su")
    category = make_category(slug="flour")
    live = make_product(
        cooperative=coop,
        category=category,
        title="Stone-milled flour",
        price="39.90",
        grade="Grade 1",
    )
    make_variant(product=live, price="12.50", stock=0)
    ProductImage.objects.create(
        product=live, token="t1", image="products/1/a.jpg", thumbnail="products/1/thumbs/a.webp"
    )
    Certification.objects.create(
        kind=CertificationKind.ORGANIC, number="O-1", issuer="X", cooperative=coop
    )
    Certification.objects.create(
        kind=CertificationKind.GREEN_FOOD, number="G-1", issuer="X", cooperative=coop, product=live
    )
    make_product(cooperative=coop, status=ProductStatus.DRAFT)
    make_product(cooperative=coop, status=ProductStatus.PENDING_REVIEW)
    make_product(cooperative=coop, status=ProductStatus.ARCHIVED)
    make_product(cooperative=make_cooperative(is_active=False))

    body = api_client.get(PRODUCTS).json()
    assert body["count"] == 1
    assert body["next"] is None and body["previous"] is None
    (row,) = body["results"]
    assert set(row) == _declared(api_serializers.ProductSummarySerializer)
    assert row == {
        "slug": live.slug,
        "title": "Stone-milled flour",
        "cooperative": {"slug": "ak-su", "name": "Ak-Su"},
        "county": {"slug": "jeminay", "name": "Jeminay"},
        "category": "flour",
        "grade": "Grade 1",
        "price_from": "12.50",
        "in_stock": True,
        "thumbnail": "http://testserver/media/products/1/thumbs/a.webp",
        "certifications": ["green_food", "organic"],
    }


def test_product_detail(api_client):
    product = make_product(title="Wheat", description="From the valley", price="20.00")
    sold_out = make_variant(product=product, price="35.00", stock=0, name="10 kg")
    make_variant(product=product, price="1.00", is_active=False)
    make_batch(product=product, code="B-2026-1", harvested_on=date(2026, 7, 1), milled_on=None)
    Certification.objects.create(
        kind=CertificationKind.LAB_REPORT,
        number="L-9",
        issuer="Lab",
        valid_until=date(2027, 1, 1),
        cooperative=product.cooperative,
        product=product,
    )
    body = api_client.get(f"{PRODUCTS}{product.slug}/").json()
    assert set(body) == _declared(api_serializers.ProductDetailSerializer)
    assert body["description"] == "From the valley"
    assert body["price_from"] == "20.00"
    assert [v["sku"] for v in body["variants"]][-1] == sold_out.sku
    assert {v["available"] for v in body["variants"]} == {10, 0}
    assert len(body["variants"]) == 2  # the inactive variant is not offered
    assert body["certifications"] == [
        {"kind": "lab_report", "number": "L-9", "issuer": "Lab", "valid_until": "2027-01-01"}
    ]
    assert body["batches"] == [
        {"code": "B-2026-1", "harvested_on": "2026-07-01", "milled_on": None}
    ]
    assert body["images"] == [] and body["thumbnail"] is None


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.REJECTED])
def test_unpublished_product_detail_is_404(api_client, status):
    product = make_product(status=status)
    _error(api_client.get(f"{PRODUCTS}{product.slug}/"), 404, "not_found")
    _error(api_client.get(f"{PRODUCTS}no-such-thing/"), 404, "not_found")


def test_filters(api_client):
    north = make_county(slug="north")
    coop_a = make_cooperative(county=north, slug="coop-a")
    coop_b = make_cooperative(slug="coop-b")
    parent = make_category(slug="grain")
    child = make_category(slug="wheat", parent=parent)
    cheap = make_product(
        cooperative=coop_a,
        category=child,
        price="10.00",
        title="Barley",
        description="hardy highland grain",
    )
    dear = make_product(cooperative=coop_b, price="99.00", stock=0, title="Honey")
    Certification.objects.create(
        kind=CertificationKind.ORGANIC, number="O-2", issuer="X", cooperative=coop_b
    )

    def slugs(**params):
        response = api_client.get(PRODUCTS, params)
        assert response.status_code == 200, response.content
        return [r["slug"] for r in response.json()["results"]]

    assert slugs(search="highland") == [cheap.slug]
    assert slugs(search="HONEY") == [dear.slug]
    assert slugs(category="grain") == [cheap.slug]
    assert slugs(category="wheat") == [cheap.slug]
    assert slugs(cooperative="coop-b") == [dear.slug]
    assert slugs(county="north") == [cheap.slug]
    assert slugs(certification="organic") == [dear.slug]
    assert slugs(min_price="50") == [dear.slug]
    assert slugs(max_price="50") == [cheap.slug]
    assert slugs(in_stock="true") == [cheap.slug]
    assert slugs(ordering="price") == [cheap.slug, dear.slug]
    assert slugs(ordering="-price") == [dear.slug, cheap.slug]
    assert slugs(ordering="title") == [cheap.slug, dear.slug]
    assert slugs(ordering="-created") == [dear.slug, cheap.slug]


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "stock"},
        {"ordering": "-title"},
        {"ordering": "price;drop"},
        {"min_price": "cheap"},
        {"certification": "bogus"},
        {"page_size": "10000"},
        {"page_size": "0"},
        {"page_size": "-1"},
        {"page_size": "ten"},
    ],
)
def test_bad_query_parameters_answer_400(api_client, params):
    make_product()
    error = _error(api_client.get(PRODUCTS, params), 400, "invalid")
    assert set(error["details"]) <= set(params)
    assert error["details"]


def test_page_out_of_range_is_404(api_client):
    make_product()
    _error(api_client.get(PRODUCTS, {"page": 5}), 404, "not_found")


def test_page_size_100_is_allowed(api_client):
    for _ in range(3):
        make_product()
    body = api_client.get(PRODUCTS, {"page_size": 100}).json()
    assert body["count"] == 3


def _count_queries(api_client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api_client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_product_list_is_constant_queries(api_client):
    coop = make_cooperative()
    Certification.objects.create(kind="organic", number="C-1", issuer="X", cooperative=coop)
    for i in range(105):
        product = make_product(cooperative=coop, variants=2)
        ProductImage.objects.create(product=product, token=f"tok{i}", image=f"p/{i}.jpg")
        Certification.objects.create(
            kind="green_food", number=f"P-{i}", issuer="X", cooperative=coop, product=product
        )
    small, body10 = _count_queries(api_client, PRODUCTS, {"page_size": 10})
    large, body100 = _count_queries(api_client, PRODUCTS, {"page_size": 100})
    filtered, _ = _count_queries(
        api_client, PRODUCTS, {"page_size": 100, "certification": "organic", "ordering": "price"}
    )
    assert len(body10["results"]) == 10 and len(body100["results"]) == 100
    assert body100["results"][0]["certifications"] == ["green_food", "organic"]
    # count + page + certifications of the page
    assert small == large == filtered == 3


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/api/v1/counties/", lambda i: make_county()),
        ("/api/v1/cooperatives/", lambda i: make_product(cooperative=make_cooperative())),
        ("/api/v1/categories/", lambda i: make_category(parent=make_category())),
    ],
)
def test_other_lists_are_constant_queries(api_client, url, make):
    for i in range(55):
        make(i)
    small, body10 = _count_queries(api_client, url, {"page_size": 10})
    large, body100 = _count_queries(api_client, url, {"page_size": 100})
    assert len(body10["results"]) == 10 and len(body100["results"]) >= 55
    assert small == large == 2


def test_counties_cooperatives_categories(api_client):
    county = make_county(slug="jeminay", name="Jeminay", province="Xinjiang")
    coop = make_cooperative(county=county, slug="ak-su", name="Ak-Su", story="Since 2015")
    make_product(cooperative=coop)
    make_product(cooperative=coop, status=ProductStatus.DRAFT)
    make_cooperative(is_active=False, slug="closed")
    parent = make_category(slug="grain", name="Grain")
    make_category(slug="wheat", name="Wheat", parent=parent)

    counties = api_client.get("/api/v1/counties/").json()["results"]
    assert {"slug": "jeminay", "name": "Jeminay", "province": "Xinjiang"} in counties

    coops = api_client.get("/api/v1/cooperatives/").json()["results"]
    assert [c["slug"] for c in coops] == ["ak-su"]
    detail = api_client.get("/api/v1/cooperatives/ak-su/").json()
    assert detail == {
        "slug": "ak-su",
        "name": "Ak-Su",
        "county": {"slug": "jeminay", "name": "Jeminay"},
        "story": "Since 2015",
        "logo": None,
        "product_count": 1,
    }
    _error(api_client.get("/api/v1/cooperatives/closed/"), 404, "not_found")

    categories = api_client.get("/api/v1/categories/").json()["results"]
    assert {"slug": "wheat", "name": "Wheat", "parent": "grain"} in categories
    assert {"slug": "grain", "name": "Grain", "parent": None} in categories


def test_trace(api_client):
    county = make_county(slug="jeminay", name="Jeminay", province="Xinjiang")
    coop = make_cooperative(county=county, slug="ak-su", name="Ak-Su")
    product = make_product(cooperative=coop, title="Flour", grade="Special", origin="Valley")
    make_batch(
        product=product,
        code="AKSU-2026-09",
        quantity_kg=Decimal("1200.0"),
        protein_pct=Decimal("13.5"),
        moisture_pct=Decimal("12.8"),
        ash_pct=Decimal("0.55"),
    )
    Certification.objects.create(kind="organic", number="O-7", issuer="CQC", cooperative=coop)

    body = api_client.get("/api/v1/trace/AKSU-2026-09/").json()
    assert set(body) == _declared(api_serializers.TraceSerializer)
    assert body["code"] == "AKSU-2026-09"
    assert body["harvested_on"] == "2026-08-01" and body["milled_on"] == "2026-09-01"
    assert body["quantity_kg"] == "1200.0"
    assert body["quality"] == {
        "protein_pct": "13.5",
        "moisture_pct": "12.8",
        "ash_pct": "0.55",
        "gluten_pct": None,
    }
    assert body["product"]["title"] == "Flour" and body["product"]["grade"] == "Special"
    assert body["cooperative"] == {"slug": "ak-su", "name": "Ak-Su"}
    assert body["county"]["slug"] == "jeminay" and body["county"]["poverty_relief"] is True
    assert body["certifications"] == [
        {"kind": "organic", "number": "O-7", "issuer": "CQC", "valid_until": None}
    ]
    _error(api_client.get("/api/v1/trace/NOPE/"), 404, "not_found")


def test_catalogue_is_read_only(api_client):
    _error(api_client.post(PRODUCTS, {}), 405, "method_not_allowed")
