"""Issue 18, the farmer on a phone: what a person stumbled over in the portal."""

from __future__ import annotations

import pytest

from catalog.models import Product
from tests.factories import make_category

pytestmark = pytest.mark.django_db


def _new_product(client, **fields):
    data = {
        "title": "Stone flour",
        "category": make_category().pk,
        "variant_name": "5 kg bag",
        "variant_price": "39.90",
        "variant_weight_grams": "5100",
        "variant_stock": "10",
        **fields,
    }
    return client.post("/farm/products/new/", data, follow=True)


@pytest.mark.parametrize(
    ("typed", "grams"), [("5.2 kg", 5200), ("5,2kg", 5200), ("5200", 5200), ("5 公斤", 5000)]
)
def test_weight_may_be_typed_in_kg(farmer_client, typed, grams):
    _new_product(farmer_client, variant_weight_grams=typed)
    assert Product.objects.get().variants.get().weight_grams == grams


def test_weight_that_disagrees_with_the_name_is_saved_with_a_warning(farmer_client):
    """Issue 18: a 5 kg bag could be given a shipping weight of 5 g without a word."""
    body = _new_product(farmer_client, variant_weight_grams="5").content.decode()
    assert Product.objects.get().variants.get().weight_grams == 5
    assert "Check the shipping weight of “5 kg bag”: it is 5 g, but the name says 5 kg." in body
    assert "msg-warning" in body


def test_matching_weight_gives_no_warning(farmer_client):
    body = _new_product(farmer_client, variant_weight_grams="5.1 kg").content.decode()
    assert "Check the shipping weight" not in body


def test_unreadable_weight_is_refused_on_the_field(farmer_client):
    response = _new_product(farmer_client, variant_weight_grams="five")
    assert response.status_code == 200 and not Product.objects.exists()
    assert "Type a weight such as" in response.content.decode()
