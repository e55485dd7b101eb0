"""Product search: the issue's queries on PostgreSQL, the same products from the SQLite
fallback, ranking, the index kept at save time, the GIN indexes, the suggestions."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from catalog import selectors, services
from catalog.demo import load_demo
from catalog.models import Product, ProductSearch
from catalog.search import query as search_query
from catalog.search.analysis import query_words, tokens
from catalog.search.demo_queries import DEMO_QUERIES
from catalog.search.query import product_search
from tests.factories import make_category, make_cooperative, make_product

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
SUGGEST = "/api/v1/search/suggest/"


@pytest.fixture
def demo():
    load_demo(with_photos=False)


def _first(api_client, query, **params) -> str | None:
    response = api_client.get(PRODUCTS, {"search": query, **params})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    return results[0]["slug"] if results else None


def test_tokens_hold_words_bigrams_pinyin_and_initials():
    found = tokens("吉木乃石磨面粉 Walnuts")
    for token in ("吉木乃", "面粉", "吉木", "木乃", "面", "mianfen", "mf", "jimunai", "jmn"):
        assert token in found, token
    assert "walnuts" in found and "walnut" in found
    assert [w.required for w in query_words("吉木乃 面粉")] == [("吉木", "木乃"), ("面粉",)]
    assert query_words("ＭＩＡＮＦＥＮ")[0].text == "mianfen"  # full-width and capitals


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("mianfen", "jeminay-stone-ground"),
        ("mf", "jeminay-stone-ground"),
        ("面粉", "jeminay-stone-ground"),
        ("吉木乃 面粉", "jeminay-stone-ground"),
        ("wallnut", "yangbi-walnuts"),
    ],
)
def test_issue_queries_find_the_demo_products_first_on_postgresql(api_client, demo, query, first):
    assert _first(api_client, query) == first
    slugs = [r["slug"] for r in api_client.get(PRODUCTS, {"search": query}).json()["results"]]
    if query in ("mianfen", "mf", "面粉", "吉木乃 面粉"):
        assert set(slugs) == {p.slug for p in Product.objects.filter(category__slug="flour")}


@pytest.mark.postgres
def test_all_demo_queries_on_postgresql(api_client, demo):
    assert [(q, _first(api_client, q)) for q, _ in DEMO_QUERIES] == DEMO_QUERIES


def test_sqlite_fallback_finds_the_same_first_products(api_client, demo, monkeypatch):
    # The fallback is plain ORM: forced here, it runs on whichever database the tests use.
    monkeypatch.setattr(search_query, "_use_full_text", lambda: False)
    assert [(q, _first(api_client, q)) for q, _ in DEMO_QUERIES] == DEMO_QUERIES


def test_exact_phrase_and_title_rank_first(api_client):
    category = make_category(name="Grain")
    described = make_product(
        category=category, title="Mountain honey", description="Better than stone flour"
    )
    titled = make_product(category=category, title="Stone flour", description="Milled slowly")
    assert _first(api_client, "stone flour") == titled.slug
    assert _first(api_client, "flour") == titled.slug  # title above description
    # an explicit ordering replaces the ranking
    assert _first(api_client, "flour", ordering="-created") == titled.slug
    assert _first(api_client, "flour", ordering="title") == described.slug


def test_words_must_all_match_and_drafts_stay_hidden(api_client):
    make_product(title="石磨面粉", status="draft")
    live = make_product(title="石磨面粉 五公斤")
    assert _first(api_client, "石磨 面粉") == live.slug
    assert _first(api_client, "石磨 蜂蜜") is None


def _found(query) -> list[str]:
    return list(product_search(selectors.public_products(), query).values_list("slug", flat=True))


def test_index_follows_the_product_services():
    coop = make_cooperative()
    product = services.product_create(
        cooperative=coop, title="春小麦面粉", category=make_category()
    )
    Product.objects.filter(pk=product.pk).update(status="active")
    product.refresh_from_db()
    assert _found("xiaomai") == [product.slug]
    services.product_update(product=product, title="雪花粉")
    assert _found("xiaomai") == []
    assert _found("xuehua") == [product.slug]


def test_rebuild_command_indexes_missing_products():
    product = make_product(title="漾濞核桃")
    ProductSearch.objects.all().delete()
    assert _found("hetao") == []
    call_command("search_rebuild", "--missing", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _found("hetao") == [product.slug]


def test_search_list_has_no_n_plus_one(api_client, django_assert_max_num_queries):
    for i in range(12):
        make_product(title=f"面粉 {i}")
    with django_assert_max_num_queries(3):
        body = api_client.get(PRODUCTS, {"search": "mianfen", "page_size": 12}).json()
    assert body["count"] == 12


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "index"),
    [("mianfen", "product_search_document_idx"), ("wallnut", "product_search_terms_trgm")],
)
def test_search_conditions_use_the_gin_indexes(demo, query, index):
    (word,) = query_words(query)
    condition = search_query._postgres(Product.objects.all(), [word], query).query.where
    assert condition  # the same lookups, here on the index table alone:
    lookups = {
        "product_search_document_idx": {
            "document": search_query.SearchQuery(
                search_query._tsquery(word), config="simple", search_type="raw"
            )
        },
        "product_search_terms_trgm": {"terms__trigram_word_similar": word.text},
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = ProductSearch.objects.filter(**lookups[index]).explain()
    assert index in plan


def test_suggestions_as_the_buyer_types(api_client, demo):
    body = api_client.get(SUGGEST, {"q": "mf"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["suggestions"][0] == {"text": "吉木乃石磨面粉", "product": "jeminay-stone-ground"}
    # The text in the buyer's language (the demo has English titles).
    response = api_client.get(SUGGEST, {"q": "mf"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["suggestions"][0]["text"] == "Jeminay Stone-Ground Flour"
    assert "Accept-Language" in response["Vary"]
    assert all(s["product"].startswith("jeminay-") for s in body["suggestions"])
    assert api_client.get(SUGGEST, {"q": "fengm"}).json()["suggestions"][0]["product"] == (
        "chengkou-wild-honey"
    )
    assert api_client.get(SUGGEST, {"q": ""}).json() == {"suggestions": []}
    assert api_client.get(SUGGEST, {"q": "  \x00 "}).json() == {"suggestions": []}
    Product.objects.filter(slug="jeminay-stone-ground").update(status="archived")
    texts = [s["product"] for s in api_client.get(SUGGEST, {"q": "mf"}).json()["suggestions"]]
    assert "jeminay-stone-ground" not in texts


def test_suggestions_refuse_a_huge_query(api_client):
    response = api_client.get(SUGGEST, {"q": "x" * 101})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    # The limit counts what was sent: control characters cleaned away later still count
    # (the schema's maxLength, which the fuzzer checks, is on the raw parameter).
    response = api_client.get(SUGGEST, {"q": "\x01" * 95 + "mf" + "\r" * 10})
    assert response.status_code == 400
    assert api_client.get(SUGGEST, {"q": "\x01" * 90 + "mf"}).status_code == 200


def test_the_page_search_ranks_and_offers_suggestions(client, demo):
    body = client.get(
        "/products/", {"search": "mianfen"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert body.index("吉木乃石磨面粉") < body.index("吉木乃雪花粉")
    assert 'data-suggest="/api/v1/search/suggest/"' in body and "js/search.js" in body
    assert "<script>" not in body  # no inline script (CSP)
