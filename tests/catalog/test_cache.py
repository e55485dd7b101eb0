"""The versioned catalogue cache: hits cost no query, and no write is ever served stale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import cache as catalog_cache
from catalog.models import Variant
from catalog.services import variant_update
from catalog.stock import StockChange
from lifecycle.services import order_cancel
from orders.services import order_place
from tests.factories import ADDRESS, make_product, make_user

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def _row(client, slug: str) -> dict:
    body = client.get(LIST).json()
    return next(r for r in body["results"] if r["slug"] == slug)


def _detail(client, slug: str) -> dict:
    return client.get(f"{LIST}{slug}/").json()


def test_a_repeated_page_is_served_without_a_query(api_client, django_assert_num_queries):
    make_product(price="20.00")
    first = api_client.get(LIST, {"page_size": 10, "ordering": "price"})
    assert first.status_code == 200
    with django_assert_num_queries(0):
        # Same query in another parameter order: the same page.
        again = api_client.get(LIST, {"ordering": "price", "page_size": 10})
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"


def test_the_detail_is_cached_too_and_404_is_not(api_client, django_assert_num_queries):
    product = make_product()
    assert api_client.get(f"{LIST}{product.slug}/").status_code == 200
    with django_assert_num_queries(0):
        assert api_client.get(f"{LIST}{product.slug}/").status_code == 200
    assert api_client.get(f"{LIST}no-such-product/").status_code == 404
    assert api_client.get(f"{LIST}no-such-product/").json()["error"]["code"] == "not_found"


def test_etag_revalidation_answers_304_until_the_page_changes(
    api_client, django_capture_on_commit_callbacks
):
    product = make_product(price="20.00")
    first = api_client.get(LIST)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "no-cache"
    unchanged = api_client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    with django_capture_on_commit_callbacks(execute=True):
        variant_update(variant=product.variants.get(), price=Decimal("21.00"))
    changed = api_client.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["results"][0]["price_from"] == "21.00"


def test_price_and_stock_edits_show_on_the_next_request(
    api_client, django_capture_on_commit_callbacks
):
    product = make_product(price="20.00", stock=5)
    variant = product.variants.get()
    assert _row(api_client, product.slug)["price_from"] == "20.00"
    assert _detail(api_client, product.slug)["variants"][0]["available"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        variant_update(
            variant=variant, price=Decimal("18.50"), stock_change=StockChange(shown=5, count=0)
        )
    row = _row(api_client, product.slug)
    assert row["price_from"] == "18.50"
    assert row["in_stock"] is False
    assert _detail(api_client, product.slug)["variants"][0]["available"] == 0


def test_a_direct_save_such_as_a_data_fix_makes_is_seen(
    api_client, django_capture_on_commit_callbacks
):
    product = make_product(price="20.00", stock=5)
    assert _row(api_client, product.slug)["in_stock"] is True
    variant = Variant.objects.get(product=product)
    variant.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        variant.save()  # a save() that bypasses the services still orphans the pages
    assert _row(api_client, product.slug)["in_stock"] is False


def test_checkout_and_cancel_move_stock_visibly(api_client, django_capture_on_commit_callbacks):
    product = make_product(price="20.00", stock=2)
    variant = product.variants.get()
    buyer = make_user()
    assert _detail(api_client, product.slug)["variants"][0]["available"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        order, _ = order_place(
            user=buyer,
            shipping_address=ADDRESS,
            lines=[{"variant": variant.pk, "quantity": 2}],
        )
    assert _detail(api_client, product.slug)["variants"][0]["available"] == 0
    assert _row(api_client, product.slug)["in_stock"] is False
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order)
    assert _detail(api_client, product.slug)["variants"][0]["available"] == 2
    assert _row(api_client, product.slug)["in_stock"] is True


def test_the_bump_waits_for_the_commit(django_capture_on_commit_callbacks):
    product = make_product()
    key = catalog_cache.detail_key(product.pk)  # a stock move bumps its product's version
    catalog_cache.cache.set(key, 1, timeout=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        variant_update(variant=product.variants.get(), stock_change=StockChange(shown=10, count=3))
    # Inside the transaction nothing changed yet: a reader could still cache old rows
    # under the old version, and those must be orphaned by the bump after commit.
    assert catalog_cache.cache.get(key) == 1
    for callback in callbacks:
        callback()
    assert catalog_cache.cache.get(key) not in (1, None)


def test_a_lost_version_key_starts_a_new_version(api_client):
    product = make_product(stock=5)
    assert _row(api_client, product.slug)["in_stock"] is True
    # A write behind the cache's back (no bump), then the version key is evicted:
    # the next request must build the page again rather than serve the old one.
    Variant.objects.filter(product=product).update(is_active=False)
    catalog_cache.cache.delete(catalog_cache.VERSION_KEY)
    assert _row(api_client, product.slug)["in_stock"] is False


def test_a_failing_cache_serves_from_the_database(api_client, monkeypatch):
    product = make_product(price="20.00")

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(catalog_cache.cache, "get", down)
    monkeypatch.setattr(catalog_cache.cache, "incr", down)
    response = api_client.get(LIST)
    assert response.status_code == 200
    assert response.json()["results"][0]["slug"] == product.slug
    catalog_cache._bump()  # logged and counted, never raised into the writer


def test_the_host_is_part_of_the_key(api_client):
    make_product()
    make_product()
    one = api_client.get(LIST, {"page_size": 1}, HTTP_HOST="127.0.0.1")
    two = api_client.get(LIST, {"page_size": 1}, HTTP_HOST="localhost")
    assert one.json()["next"].startswith("http://127.0.0.1/")
    assert two.json()["next"].startswith("http://localhost/")
