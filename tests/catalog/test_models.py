from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Variant
from tests.factories import make_category, make_cooperative, make_product, make_variant

pytestmark = pytest.mark.django_db


def test_database_refuses_negative_stock_even_through_a_bulk_update():
    variant = make_variant(product=make_product(variants=0), stock=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=variant.pk).update(stock=-1)
    variant.refresh_from_db()
    assert variant.stock == 3


def test_database_refuses_zero_price():
    product = make_product(variants=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(
            product=product, name="x", sku="ZERO", price=Decimal("0"), weight_grams=100, stock=1
        )


def test_sku_is_unique():
    product = make_product(variants=0)
    make_variant(product=product, sku="JMN-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_variant(product=product, sku="JMN-1")


def test_product_slug_is_unique():
    make_product(slug="bread-flour")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_product(slug="bread-flour")


def test_cooperative_and_category_slugs_are_unique():
    make_cooperative(slug="jeminay")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_cooperative(slug="jeminay")
    make_category(slug="flour")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_category(slug="flour")


def test_batch_cannot_be_milled_before_harvest():
    from datetime import date

    from tests.factories import make_batch

    with pytest.raises(IntegrityError), transaction.atomic():
        make_batch(
            product=make_product(), harvested_on=date(2026, 9, 1), milled_on=date(2026, 8, 1)
        )


def test_string_forms_are_readable():
    product = make_product(title="Bread flour")
    variant = product.variants.get()
    assert str(product) == "Bread flour"
    assert str(variant) == f"Bread flour — {variant.name}"
    assert str(product.cooperative.county).endswith("(Xinjiang)")
