"""API.md: ``GET team-offers/`` and ``GET presales/`` give ``product`` as the product
summary of ``GET products/`` (the same serializer), in a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from .helpers import make_offer, make_presale

pytestmark = pytest.mark.django_db


def _summaries_of_products_list() -> dict[str, dict]:
    body = APIClient().get("/api/v1/products/", {"page_size": 100}).json()
    return {item["slug"]: item for item in body["results"]}


def _count(url: str) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as ctx:
        r = APIClient().get(url)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries), r.json()


@pytest.mark.parametrize(
    ("url", "make"),
    [("/api/v1/team-offers/", make_offer), ("/api/v1/presales/", make_presale)],
)
def test_product_is_the_products_list_summary_without_n_plus_1(url, make):
    make()
    one, _ = _count(url)
    for _ in range(4):
        make()
    many, body = _count(url)
    assert many == one == 3  # the rows, the summaries, their certification kinds
    assert len(body) == 5
    listed = _summaries_of_products_list()
    for row in body:
        product = row["product"]
        assert isinstance(product, dict)
        assert product == listed[product["slug"]]
        assert set(product) == {
            "slug",
            "title",
            "cooperative",
            "county",
            "category",
            "grade",
            "price_from",
            "in_stock",
            "thumbnail",
            "certifications",
        }


def test_a_presale_answer_carries_the_summary_too():
    presale = make_presale()
    body = APIClient().get(f"/api/v1/presales/{presale.pk}/").json()
    assert body["product"]["slug"] == presale.variant.product.slug
    assert body["product"]["price_from"] == f"{presale.variant.price:.2f}"
