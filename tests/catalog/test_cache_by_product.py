"""Issue 20 item 1: the catalogue cache is invalidated by what changed, and stays never stale.

A stock move that does not cross zero rebuilds only its product's detail; a zero
crossing also its cards and the ``in_stock`` lists; a price change its detail, its cards
and the price-ordered lists; a product edit everything; a campaign price the featured
products. Each mechanism: the change shows on the very next request, and a page it
does not touch is still served without a query. Anonymous hits are answered by
``catalog.middleware`` with the full stack's headers.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import cache as catalog_cache
from catalog import selectors
from catalog.services import product_update, variant_update
from catalog.stock import stock_adjust
from tests.factories import make_campaign, make_product, make_user

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def _warm(client, *urls):
    # A new page is trusted from its third build at the latest: the versions of its
    # products are read before the database on the second (catalog/cache.py).
    for _ in range(3):
        for url in urls:
            assert client.get(url).status_code == 200


def _row(client, slug, url=LIST):
    return next(r for r in client.get(url).json()["results"] if r["slug"] == slug)


@pytest.fixture
def two(api_client):
    hot = make_product(price="20.00", stock=5)
    other = make_product(price="30.00", stock=5)
    _warm(api_client, LIST, f"{LIST}{hot.slug}/", f"{LIST}{other.slug}/")
    return hot, other


def test_a_stock_move_within_stock_rebuilds_only_its_detail(
    api_client, two, django_assert_num_queries, django_capture_on_commit_callbacks
):
    hot, other = two
    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(variant_id=hot.variants.get().pk, delta=-2)
    assert api_client.get(f"{LIST}{hot.slug}/").json()["variants"][0]["available"] == 3
    with django_assert_num_queries(0):
        assert api_client.get(LIST).status_code == 200  # cards unchanged: still cached
        assert api_client.get(f"{LIST}{other.slug}/").status_code == 200


def test_stock_crossing_zero_rebuilds_cards_and_in_stock_lists(
    api_client, two, django_assert_num_queries, django_capture_on_commit_callbacks
):
    hot, other = two
    in_stock = f"{LIST}?in_stock=true"
    _warm(api_client, in_stock)
    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(variant_id=hot.variants.get().pk, delta=-5)
    assert _row(api_client, hot.slug)["in_stock"] is False
    assert [r["slug"] for r in api_client.get(in_stock).json()["results"]] == [other.slug]
    assert api_client.get(f"{LIST}{hot.slug}/").json()["variants"][0]["available"] == 0
    with django_assert_num_queries(0):
        assert api_client.get(f"{LIST}{other.slug}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(variant_id=hot.variants.get().pk, delta=1)  # back in stock
    assert _row(api_client, hot.slug)["in_stock"] is True
    assert len(api_client.get(in_stock).json()["results"]) == 2


def test_a_price_change_reorders_price_lists_and_leaves_other_details(
    api_client, two, django_assert_num_queries, django_capture_on_commit_callbacks
):
    hot, other = two
    by_price = f"{LIST}?ordering=price"
    cheap = f"{LIST}?max_price=25"
    _warm(api_client, by_price, cheap)
    assert [r["slug"] for r in api_client.get(by_price).json()["results"]] == [
        hot.slug,
        other.slug,
    ]
    with django_capture_on_commit_callbacks(execute=True):
        variant_update(variant=hot.variants.get(), price=Decimal("35.00"))
    assert [r["slug"] for r in api_client.get(by_price).json()["results"]] == [
        other.slug,
        hot.slug,
    ]
    assert api_client.get(cheap).json()["count"] == 0
    assert _row(api_client, hot.slug)["price_from"] == "35.00"
    assert api_client.get(f"{LIST}{hot.slug}/").json()["variants"][0]["price"] == "35.00"
    with django_assert_num_queries(0):
        assert api_client.get(f"{LIST}{other.slug}/").status_code == 200


def test_a_product_edit_shows_everywhere(api_client, two, django_capture_on_commit_callbacks):
    hot, _ = two
    with django_capture_on_commit_callbacks(execute=True):
        product_update(product=hot, title="Renamed flour")
    assert _row(api_client, hot.slug)["title"] == "Renamed flour"
    assert api_client.get(f"{LIST}{hot.slug}/").json()["title"] == "Renamed flour"


def test_a_campaign_price_rebuilds_the_featured_product_only(
    api_client, two, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from marketing.models import CampaignItem

    hot, other = two
    before = catalog_cache.cache.get(catalog_cache.detail_key(hot.pk))
    with django_capture_on_commit_callbacks(execute=True):
        campaign = make_campaign(items=[(hot.variants.get(), "15.00")])
    after = catalog_cache.cache.get(catalog_cache.detail_key(hot.pk))
    assert after != before
    item = CampaignItem.objects.get(campaign=campaign)
    item.campaign_price = Decimal("12.00")
    with django_capture_on_commit_callbacks(execute=True):
        item.save()  # the admin's inline saves the item
    assert catalog_cache.cache.get(catalog_cache.detail_key(hot.pk)) != after
    assert catalog_cache.cache.get(catalog_cache.card_key(hot.pk)) is not None
    with django_assert_num_queries(0):
        assert api_client.get(f"{LIST}{other.slug}/").status_code == 200
    # The featured product's pages are built again (queries), from the database.
    assert api_client.get(f"{LIST}{hot.slug}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        campaign.delete()
    assert catalog_cache.cache.get(catalog_cache.detail_key(hot.pk)) != after


def test_invalidate_products_waits_for_the_commit(django_capture_on_commit_callbacks):
    product = make_product()
    catalog_cache.cache.set(catalog_cache.detail_key(product.pk), 7, timeout=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalog_cache.invalidate_product(product.pk)
    assert catalog_cache.cache.get(catalog_cache.detail_key(product.pk)) == 7
    for callback in callbacks:
        callback()
    assert catalog_cache.cache.get(catalog_cache.detail_key(product.pk)) not in (7, None)


@pytest.mark.parametrize("warm", [False, True])
def test_a_write_committed_during_a_rebuild_is_never_cached_as_current(
    api_client, monkeypatch, django_capture_on_commit_callbacks, warm
):
    # The page's rows are read, then a sale sells the product out and bumps its
    # versions before the page is stored: the stored page must not be served.
    product = make_product(stock=1)
    if warm:
        _warm(api_client, LIST)
        with django_capture_on_commit_callbacks(execute=True):
            catalog_cache.catalog_changed()  # the next request rebuilds
    real = selectors.certification_kinds_for
    fired = []

    def sale_meanwhile(products):
        if not fired:
            fired.append(True)
            with django_capture_on_commit_callbacks(execute=True):
                stock_adjust(variant_id=product.variants.get().pk, delta=-1)
        return real(products)

    monkeypatch.setattr(selectors, "certification_kinds_for", sale_meanwhile)
    assert _row(api_client, product.slug)["in_stock"] is True  # built from the old rows
    assert fired
    assert _row(api_client, product.slug)["in_stock"] is False


def test_anonymous_hits_come_with_the_full_stacks_headers(api_client, two):
    hot, _ = two
    client_full = api_client.get(f"{LIST}{hot.slug}/", HTTP_COOKIE="sessionid=nothing")
    fast = api_client.get(f"{LIST}{hot.slug}/")
    assert fast.content == client_full.content
    skip = {"x-request-id", "date"}
    assert {k.lower(): v for k, v in fast.items() if k.lower() not in skip} == {
        k.lower(): v for k, v in client_full.items() if k.lower() not in skip
    }
    assert fast["Content-Length"] == str(len(fast.content))
    assert fast["Content-Language"] == "en"
    assert "Accept-Language" in fast["Vary"]
    assert api_client.get(f"{LIST}{hot.slug}/", HTTP_IF_NONE_MATCH=fast["ETag"]).status_code == 304


def test_the_fast_path_answers_in_the_requests_language(api_client, two):
    from catalog.models import Product

    hot, _ = two
    Product.objects.filter(pk=hot.pk).update(title_ug="ئۇن")
    catalog_cache._bump()
    url = f"{LIST}{hot.slug}/"
    for _ in range(3):
        english = api_client.get(url)
        uyghur = api_client.get(url, HTTP_ACCEPT_LANGUAGE="ug")
    assert uyghur["Content-Language"] == "ug"
    assert uyghur.json()["title"] == "ئۇن"
    assert english.json()["title"] != "ئۇن"


def test_signed_in_requests_go_through_the_whole_stack(api_client, two, monkeypatch):
    from catalog import middleware

    hot, _ = two
    looked_up = []
    real = catalog_cache.lookup
    # The middleware's lookups name the language; the view's do not.
    monkeypatch.setattr(
        middleware.cache,
        "lookup",
        lambda *a, **kw: ("language" in kw and looked_up.append(1)) or real(*a, **kw),
    )
    # A bad token is refused by authentication, never answered from the cache.
    assert api_client.get(f"{LIST}{hot.slug}/", HTTP_AUTHORIZATION="Token x").status_code == 401
    api_client.force_login(make_user())  # a signed-in browser: its session cookie
    assert api_client.get(f"{LIST}{hot.slug}/").status_code == 200
    api_client.logout()
    assert api_client.get(f"{LIST}{hot.slug}/?c=SPRING").status_code == 200
    assert looked_up == []  # none was answered by the middleware
    assert api_client.get(f"{LIST}{hot.slug}/").status_code == 200
    assert looked_up == [1]
