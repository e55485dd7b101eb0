"""Product texts (and category names) in Chinese, Uyghur and English (issue 17): pages
and the API in the buyer's language with the Chinese text when a translation is empty,
the search in all three, the writes (services, farmer portal, admin) each language in
its own column."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from catalog import services
from catalog.constants import ProductStatus
from catalog.demo import COOPERATIVES, load_demo
from catalog.models import Category, Product, ProductSearch
from catalog.search import query as search_query
from catalog.search.query import product_search
from tests.factories import make_category, make_cooperative, make_product, make_user

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
UG_TITLE = "جېمىنەي تاش تۈگمەن ئۇنى"
UG_DESCRIPTION = "ئەنئەنىۋى تاش تۈگمەندە ئاستا تارتىلغان."


@pytest.fixture
def flour():
    return make_product(
        title="吉木乃石磨面粉",
        description="传统石磨低速研磨。",
        title_ug=UG_TITLE,
        description_ug=UG_DESCRIPTION,
        title_en="Jeminay stone-ground flour",
        description_en="Slow stone-milled.",
        slug="stone-ground",
    )


def _api(api_client, path, language):
    response = api_client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return response.json()


# --- the "done when" --------------------------------------------------------
def test_a_uyghur_title_shows_on_the_uyghur_page_and_in_the_api(client, api_client, flour):
    client.cookies["django_language"] = "ug"
    body = client.get("/products/stone-ground/").content.decode()
    assert UG_TITLE in body and UG_DESCRIPTION in body
    assert "吉木乃石磨面粉" not in body
    assert UG_TITLE in client.get("/products/").content.decode()

    detail = _api(api_client, f"{PRODUCTS}stone-ground/", "ug")
    assert detail["title"] == UG_TITLE and detail["description"] == UG_DESCRIPTION
    response = api_client.get(f"{PRODUCTS}stone-ground/", HTTP_ACCEPT_LANGUAGE="ug")
    assert response["Content-Language"] == "ug" and "Accept-Language" in response["Vary"]
    listed = _api(api_client, PRODUCTS, "ug")["results"]
    assert [p["title"] for p in listed] == [UG_TITLE]


def test_english_and_chinese_each_get_their_own_text(client, api_client, flour):
    detail = _api(api_client, f"{PRODUCTS}stone-ground/", "en")
    assert detail["title"] == "Jeminay stone-ground flour"
    assert detail["description"] == "Slow stone-milled."
    detail = _api(api_client, f"{PRODUCTS}stone-ground/", "zh-hans")
    assert detail["title"] == "吉木乃石磨面粉" and detail["description"] == "传统石磨低速研磨。"
    client.cookies["django_language"] = "en"
    assert "Jeminay stone-ground flour" in client.get("/products/stone-ground/").content.decode()


def test_an_empty_translation_falls_back_to_chinese(client, api_client):
    make_product(title="漾濞泡核桃", description="手剥薄壳核桃。", title_en="", slug="walnuts")
    for language in ("ug", "en"):
        detail = _api(api_client, f"{PRODUCTS}walnuts/", language)
        assert detail["title"] == "漾濞泡核桃" and detail["description"] == "手剥薄壳核桃。"
        assert _api(api_client, PRODUCTS, language)["results"][0]["title"] == "漾濞泡核桃"
    client.cookies["django_language"] = "ug"
    assert "漾濞泡核桃" in client.get("/products/walnuts/").content.decode()


def test_each_language_is_cached_on_its_own(api_client, flour):
    assert _api(api_client, PRODUCTS, "ug")["results"][0]["title"] == UG_TITLE
    assert _api(api_client, PRODUCTS, "zh-hans")["results"][0]["title"] == "吉木乃石磨面粉"
    assert _api(api_client, PRODUCTS, "ug")["results"][0]["title"] == UG_TITLE


def test_the_api_list_costs_the_same_queries_in_every_language(api_client):
    for i in range(5):
        make_product(title=f"面粉 {i}", title_ug=f"ئۇن {i}")
    counts = {}
    for language in ("ug", "en", "zh-hans"):
        with CaptureQueriesContext(connection) as queries:
            _api(api_client, PRODUCTS, language)
        counts[language] = len(queries.captured_queries)
    # The count, the page, the certification kinds (catalog/selectors.py): no join, no
    # query per product for its translations.
    assert counts == {"ug": 3, "en": 3, "zh-hans": 3}


# --- the search covers all three languages --------------------------------------------
def _slugs(query: str) -> list[str]:
    return list(product_search(Product.objects.all(), query).values_list("slug", flat=True))


@pytest.mark.parametrize("full_text", [True, False], ids=["postgresql", "fallback"])
def test_search_finds_a_product_by_its_english_and_uyghur_titles(monkeypatch, full_text):
    if full_text and connection.vendor != "postgresql":
        pytest.skip("the full-text path needs PostgreSQL")
    if not full_text:
        monkeypatch.setattr(search_query, "_use_full_text", lambda: False)
    make_product(title="漾濞泡核桃", slug="walnuts")
    make_product(
        title="吉木乃石磨面粉",
        title_en="Stone-ground flour",
        title_ug=UG_TITLE,
        description_ug=UG_DESCRIPTION,
        slug="stone-ground",
    )
    assert _slugs("stone-ground flour") == ["stone-ground"]
    assert _slugs("flour") == ["stone-ground"]
    assert _slugs("ئۇنى") == ["stone-ground"]  # one word of the Uyghur title
    assert _slugs(UG_TITLE) == ["stone-ground"]  # the whole title
    assert _slugs("تارتىلغان") == ["stone-ground"]  # a word of the Uyghur description
    assert _slugs("mianfen") == ["stone-ground"]  # Chinese pinyin still in
    assert _slugs("石磨") == ["stone-ground"]


def test_the_index_holds_every_language_and_follows_an_edit():
    product = make_product(title="吉木乃雪花粉", slug="snowflake")
    services.product_update(product=product, title_en="Snowflake flour", title_ug="قار ئۇنى")
    entry = ProductSearch.objects.get(product=product)
    for token in ("snowflake", "flour", "قار", "ئۇنى", "xuehua"):
        assert f" {token} " in entry.terms, token
    assert entry.title_text.splitlines() == ["吉木乃雪花粉", "قار ئۇنى", "snowflake flour"]
    assert str(entry) == "吉木乃雪花粉"


# --- writes: the services, the farmer portal, the admin ------------------------------
def test_services_write_each_language_to_its_column_whatever_the_active_language():
    coop, category = make_cooperative(), make_category()
    with translation.override("ug"):
        product = services.product_create(
            cooperative=coop,
            title=" 吉木乃全麦粉 ",
            category=category,
            description="整粒小麦石磨。",
            title_ug="پۈتۈن بۇغداي ئۇنى",
            title_en="Whole-wheat flour",
        )
    product = Product.objects.get(pk=product.pk)
    assert product.title_zh_hans == "吉木乃全麦粉"
    assert product.description_zh_hans == "整粒小麦石磨。"
    assert product.title_ug == "پۈتۈن بۇغداي ئۇنى" and product.title_en == "Whole-wheat flour"
    assert product.slug.startswith("whole-wheat-flour")  # readable, from the English title
    # The original columns keep the Chinese texts (raw reads, other apps' joins).
    raw = Product.objects.rewrite(False).values_list("title", "description").get(pk=product.pk)
    assert raw == ("吉木乃全麦粉", "整粒小麦石磨。")

    with translation.override("en"):
        services.product_update(product=product, title="吉木乃全麦面粉", description_en=" Kept. ")
    product.refresh_from_db()
    assert product.title_zh_hans == "吉木乃全麦面粉" and product.title_en == "Whole-wheat flour"
    assert product.description_en == "Kept."
    services.product_update(product=product, title_en="")  # an emptied translation
    with translation.override("en"):
        assert Product.objects.get(pk=product.pk).title == "吉木乃全麦面粉"


def test_services_refuse_an_unknown_language_and_an_empty_chinese_title():
    from storefront.errors import InvalidInput

    coop, category = make_cooperative(), make_category()
    with pytest.raises(InvalidInput) as refused:
        services.product_create(cooperative=coop, title="面粉", category=category, title_fr="x")
    assert "title_fr" in refused.value.details
    with pytest.raises(InvalidInput) as refused:
        services.product_create(cooperative=coop, title=" ", category=category, title_en="Flour")
    assert "title" in refused.value.details
    product = make_product(title="面粉")
    with pytest.raises(InvalidInput):
        services.product_update(product=product, title="")


def test_the_farmer_portal_enters_the_three_languages(farmer_client):
    client = farmer_client
    client.cookies["django_language"] = "ug"
    page = client.get("/farm/products/new/").content.decode()
    for name in ("title", "title_ug", "title_en", "description_ug", "description_en"):
        assert f'name="{name}"' in page, name
    assert "مەھسۇلات نامى (ئۇيغۇرچە)" in page  # the labels are translated (locale/ug)
    assert 'lang="ug" dir="rtl"' in page
    response = client.post(
        "/farm/products/new/",
        {
            "title": "吉木乃雪花粉",
            "title_ug": "قار ئۇنى",
            "title_en": "Snowflake flour",
            "description": "细腻洁白。",
            "description_ug": "ئاق ۋە يۇمشاق.",
            "description_en": "Fine and white.",
            "category": make_category().pk,
            "variant_name": "5 kg",
            "variant_price": "36.00",
            "variant_weight_grams": "5100",
            "variant_stock": "3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(slug__startswith="snowflake-flour")
    assert (product.title_zh_hans, product.title_ug, product.title_en) == (
        "吉木乃雪花粉",
        "قار ئۇنى",
        "Snowflake flour",
    )
    assert product.description_ug == "ئاق ۋە يۇمشاق."

    edit = f"/farm/products/{product.pk}/"
    page = client.get(edit).content.decode()
    assert 'value="قار ئۇنى"' in page and 'value="吉木乃雪花粉"' in page
    form = {
        "title": "吉木乃雪花粉",
        "title_ug": "قار ئاق ئۇنى",
        "title_en": "",
        "description": "细腻洁白。",
        "description_ug": "",
        "description_en": "Fine and white.",
        "category": product.category_id,
        "grade": "",
        "origin": "",
    }
    assert client.post(edit, form).status_code == 302
    product.refresh_from_db()
    assert product.title_zh_hans == "吉木乃雪花粉" and product.title_ug == "قار ئاق ئۇنى"
    assert product.title_en == "" and product.description_ug == ""


def test_the_admin_enters_the_three_languages(manager_client, coop):
    client = manager_client
    product = make_product(cooperative=coop, title="吉木乃面粉", status="draft")
    url = f"/admin/catalog/product/{product.pk}/change/"
    page = client.get(url).content.decode()
    for name in ("title_zh_hans", "title_ug", "title_en", "description_ug", "description_en"):
        assert f'name="{name}"' in page, name
    response = client.post(
        url,
        {
            "title_zh_hans": "吉木乃面粉",
            "title_ug": "جېمىنەي ئۇنى",
            "title_en": "Jeminay flour",
            "description_zh_hans": "",
            "description_ug": "",
            "description_en": "From the valley.",
            "category": product.category_id,
            "grade": "",
            "origin": "",
            "farmer": "",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product.refresh_from_db()
    assert (product.title_zh_hans, product.title_ug, product.title_en) == (
        "吉木乃面粉",
        "جېمىنەي ئۇنى",
        "Jeminay flour",
    )
    assert product.description_en == "From the valley."
    # The Chinese title stays required.
    response = client.post(url, {"title_zh_hans": "", "category": product.category_id})
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.title_zh_hans == "吉木乃面粉"


# --- the demo ---------------------------------------------------------------------------
def test_the_demo_products_have_english_and_uyghur_texts(api_client):
    load_demo(with_photos=False)
    slugs = [p.slug for spec in COOPERATIVES for p in spec["products"]]
    products = Product.objects.filter(slug__in=slugs)
    assert products.count() == len(slugs)
    for product in products:
        assert product.title_zh_hans and product.title_ug and product.title_en, product.slug
        assert product.description_ug and product.description_en, product.slug
    for category in Category.objects.all():
        assert category.name_zh_hans and category.name_ug and category.name_en, category.slug
    detail = _api(api_client, f"{PRODUCTS}jeminay-stone-ground/", "ug")
    assert detail["title"] == Product.objects.get(slug="jeminay-stone-ground").title_ug
    assert _slugs("walnuts")[0] == "yangbi-walnuts"
    assert _slugs("ياڭىقى")[0] == "yangbi-walnuts"


def test_the_demo_fills_missing_translations_and_keeps_edits():
    load_demo(with_photos=False)
    product = Product.objects.get(slug="yangbi-walnuts")
    services.product_update(product=product, title_en="", title_ug="Edited")
    load_demo(with_photos=False)
    product.refresh_from_db()
    assert product.title_en and product.title_ug == "Edited"
    assert product.status == ProductStatus.ACTIVE


# --- categories: platform data, the same treatment -----------------------------------
def test_category_names_follow_the_language_with_the_chinese_fallback(api_client, client):
    make_category(name="面粉", name_ug="ئۇن", name_en="Flour", slug="flour")
    make_category(name="蔬菜", slug="vegetables")  # no translations
    names = {c["slug"]: c["name"] for c in _api(api_client, "/api/v1/categories/", "ug")["results"]}
    assert names == {"flour": "ئۇن", "vegetables": "蔬菜"}
    names = {c["slug"]: c["name"] for c in _api(api_client, "/api/v1/categories/", "en")["results"]}
    assert names == {"flour": "Flour", "vegetables": "蔬菜"}
    client.cookies["django_language"] = "ug"
    assert '<option value="flour">ئۇن</option>' in client.get("/products/").content.decode()


def test_category_save_writes_each_language_to_its_column():
    with translation.override("ug"):
        category = services.category_save(
            category=Category(name_zh_hans=" 蜂蜜 ", name_ug="ھەسەل", name_en="Honey")
        )
    category = Category.objects.get(pk=category.pk)
    assert (category.name_zh_hans, category.name_ug, category.name_en) == ("蜂蜜", "ھەسەل", "Honey")
    assert category.slug == "honey"  # readable, from the English name
    assert Category.objects.rewrite(False).values_list("name", flat=True).get() == "蜂蜜"
    # Built the plain way, the name is the Chinese one.
    plain = services.category_save(category=Category(name="茶叶"))
    assert Category.objects.get(pk=plain.pk).name_zh_hans == "茶叶"


def test_a_product_is_found_by_its_category_in_any_language():
    category = make_category(name="蜂蜜", name_ug="ھەسەل", name_en="Honey")
    make_product(title="城口土蜂蜜", category=category, slug="honey")
    make_product(title="漾濞泡核桃", slug="walnuts")
    assert _slugs("ھەسەل") == ["honey"] and _slugs("honey") == ["honey"]


def test_the_admin_names_a_category_in_the_three_languages(client):
    client.force_login(make_user(is_staff=True, is_superuser=True, is_platform_staff=True))
    page = client.get("/admin/catalog/category/add/").content.decode()
    for name in ("name_zh_hans", "name_ug", "name_en"):
        assert f'name="{name}"' in page, name
    assert 'name="name"' not in page
    response = client.post(
        "/admin/catalog/category/add/",
        {"name_zh_hans": "茶叶", "name_ug": "چاي", "name_en": "Tea", "slug": "tea", "position": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tea = Category.objects.get(slug="tea")
    assert (tea.name_zh_hans, tea.name_ug, tea.name_en) == ("茶叶", "چاي", "Tea")
