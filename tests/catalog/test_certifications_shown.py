"""A product's certifications are composed one way (catalog.selectors.product_certifications)
for the API's product and trace answers and the product and trace pages: its own and its
cooperative's product-less ones, sorted by kind then number, from prefetched rows."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import selectors
from catalog.models import Certification
from tests.factories import make_batch, make_cooperative, make_product

pytestmark = pytest.mark.django_db


def _certify(product, kind: str, number: str, *, coop_wide: bool = False):
    return Certification.objects.create(
        kind=kind,
        number=number,
        issuer="CNCA",
        cooperative=product.cooperative,
        product=None if coop_wide else product,
    )


@pytest.fixture
def product():
    product = make_product()
    make_batch(product=product, code="CERT-1")
    _certify(product, "organic", "O-2")
    _certify(product, "lab_report", "L-1", coop_wide=True)
    _certify(product, "organic", "O-1", coop_wide=True)
    _certify(product, "green_food", "G-9")
    # Neither another product's nor another cooperative's.
    _certify(make_product(cooperative=product.cooperative), "organic", "O-0")
    _certify(make_product(cooperative=make_cooperative()), "green_food", "G-0", coop_wide=True)
    return product


SHOWN = ["G-9", "L-1", "O-1", "O-2"]  # kinds green_food < lab_report < organic, then number


def test_the_selector_sorts_own_and_cooperative_wide_rows(product):
    assert [c.number for c in selectors.product_certifications(product)] == SHOWN
    detail = selectors.product_detail_queryset().get(pk=product.pk)
    with CaptureQueriesContext(connection) as ctx:
        numbers = [c.number for c in selectors.product_certifications(detail)]
    assert numbers == SHOWN and len(ctx.captured_queries) == 0  # prefetched


def test_the_api_answers_list_them_in_that_order(product, api_client):
    body = api_client.get(f"/api/v1/products/{product.slug}/").json()
    assert [c["number"] for c in body["certifications"]] == SHOWN
    trace = api_client.get("/api/v1/trace/CERT-1/").json()
    assert [c["number"] for c in trace["certifications"]] == SHOWN


@pytest.mark.parametrize("url", ["product", "/trace/CERT-1/"])
def test_the_pages_list_them_in_that_order(product, client, url):
    url = product.get_absolute_url() if url == "product" else url
    body = client.get(url).content.decode()
    assert re.findall(r"\b[GLO]-\d\b", body) == SHOWN


@pytest.mark.parametrize(
    "url", ["product", "/trace/CERT-1/", "api-product", "/api/v1/trace/CERT-1/"]
)
def test_more_certifications_cost_no_more_queries(client, url):
    product = make_product()
    make_batch(product=product, code="CERT-1")
    path = {
        "product": product.get_absolute_url(),
        "api-product": f"/api/v1/products/{product.slug}/",
    }.get(url, url)

    def count() -> int:
        from django.core.cache import cache

        cache.clear()  # the catalogue's page cache would answer without a query
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    _certify(product, "organic", "O-1")
    _certify(product, "organic", "O-2", coop_wide=True)
    few = count()
    for i in range(5):
        _certify(product, "green_food", f"G-{i}")
        _certify(product, "lab_report", f"L-{i}", coop_wide=True)
    assert count() == few
