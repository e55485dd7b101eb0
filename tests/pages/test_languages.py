"""Issue 18, languages: fixed platform words (categories, counties, provinces, grades,
variant sizes, carriers) in the reader's language; English dates in ISO order."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from django.utils.formats import date_format

from catalog.models import Category, County
from storefront.labels import platform_label
from tests.factories import make_cooperative, make_product

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "county", "size", "carrier", "grade"),
    [
        ("zh-hans", "吉木乃县", "5 kg 袋", "顺丰速运", "特级"),
        ("ug", "جېمىنەي ناھىيىسى", "5 kg خالتا", "SF Express (شۇنفېڭ)", "ئالاھىدە دەرىجە"),
        ("en", "Jeminay County", "5 kg bag", "SF Express", "Premium grade"),
    ],
)
def test_platform_words_in_each_language(lang, county, size, carrier, grade):
    with translation.override(lang):
        assert platform_label("吉木乃县") == county
        assert platform_label("5 kg 袋") == size
        assert platform_label("SF Express 顺丰速运") == carrier
        assert platform_label("特级") == grade
        assert platform_label("某个新合作社") == "某个新合作社"  # unknown: as stored
        assert platform_label("") == ""


def test_product_page_and_filters_show_fixed_labels_in_english(client):
    county = County.objects.create(name="吉木乃县", slug="jeminay", province="新疆维吾尔自治区")
    Category.objects.create(name="面粉", slug="flour")
    product = make_product(cooperative=make_cooperative(county=county), grade="特级")
    product.variants.update(name="5 kg 袋")
    client.cookies["django_language"] = "en"
    page = client.get(product.get_absolute_url()).content.decode()
    assert "Jeminay County" in page and "Premium grade" in page and "5 kg bag" in page
    assert "吉木乃县" not in page and "5 kg 袋" not in page
    listing = client.get("/products/").content.decode()
    assert ">Flour</option>" in listing and ">Jeminay County</option>" in listing
    assert "Any certification" in listing and "Subtotal" not in listing


def test_english_dates_are_iso_not_us_style():
    moment = datetime.datetime(2026, 12, 1, 18, 5)
    with translation.override("en"):
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "2026-12-01 18:05"
        assert date_format(moment.date(), "SHORT_DATE_FORMAT") == "2026-12-01"
