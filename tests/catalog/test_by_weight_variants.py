"""Variants sold by weight: priced per kg, with an estimated weight and a buffer; their
unit price is always the estimate plus the buffer (one rule, catalog.weight)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from catalog import services
from catalog.constants import Pricing
from storefront.errors import InvalidInput
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_a_per_kg_variant_costs_its_estimate_plus_buffer():
    product = make_product(variants=0)
    variant = services.variant_create(
        product=product,
        name="about 2.5 kg",
        price=None,
        weight_grams=2700,
        pricing=Pricing.WEIGHT,
        price_per_kg=D("68.00"),
        estimated_weight_grams=2500,
        weight_buffer_bp=500,
    )
    assert variant.price == D("178.50")  # 170.00 + 5 %
    updated = services.variant_update(variant=variant, estimated_weight_grams=2000)
    updated.refresh_from_db()
    assert updated.price == D("142.80")  # 136.00 + 6.80
    unit = services.variant_update(variant=updated, pricing=Pricing.UNIT, price=D("99.00"))
    unit.refresh_from_db()
    assert (unit.price, unit.price_per_kg, unit.estimated_weight_grams) == (D("99.00"), None, None)


def test_a_per_kg_variant_without_its_price_or_estimate_is_refused():
    product = make_product(variants=0)
    with pytest.raises(InvalidInput) as err:
        services.variant_create(
            product=product,
            name="by weight",
            price=None,
            weight_grams=1000,
            pricing=Pricing.WEIGHT,
            price_per_kg=None,
            estimated_weight_grams=0,
        )
    assert set(err.value.details) >= {"price_per_kg", "estimated_weight_grams"}
    assert not product.variants.exists()


def test_the_api_gives_the_pricing_fields(api_client):
    from tests.lifecycle.weight_helpers import make_weight_variant

    variant = make_weight_variant(buffer_bp=500)
    body = api_client.get(f"/api/v1/products/{variant.product.slug}/").json()
    row = body["variants"][0]
    assert row["pricing"] == "weight"
    assert (row["price_per_kg"], row["estimated_weight_grams"], row["price"]) == (
        "6.80",
        5000,
        "35.70",
    )
    assert row["buffer_percent"] == "5.00"
    plain = make_product().variants.get()
    row = api_client.get(f"/api/v1/products/{plain.product.slug}/").json()["variants"][0]
    assert (row["pricing"], row["price_per_kg"], row["estimated_weight_grams"]) == (
        "unit",
        None,
        None,
    )
