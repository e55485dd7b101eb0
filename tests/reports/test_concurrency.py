"""Reports under concurrency (PostgreSQL): two rebuilds of one day never double its rows,
and an import applied while buyers take stock keeps the stock equal to its movements."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import transaction

from catalog.stock import stock_take
from reports import imports
from reports.aggregates import aggregates_build_day, aggregates_check_day
from reports.models import DailySales
from tests.concurrency import run_together
from tests.factories import (
    assert_stock_ledger_consistent,
    make_category,
    make_cooperative,
    make_product,
)

from .history import local, paid_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_rebuilds_of_one_day_at_once_leave_one_set_of_rows():
    product = make_product(price="20.00", stock=100)
    day = date(2026, 7, 1)
    paid_order([(product.variants.get(), 2)], local(day, 9))
    results = run_together(6, lambda i: aggregates_build_day(day=day))
    assert results == [2] * 6
    assert DailySales.objects.filter(day=day).count() == 2
    assert aggregates_check_day(day=day) == []


def test_an_import_and_checkouts_on_the_same_variants_keep_stock_and_movements_equal():
    make_category(slug="flour")
    coop = make_cooperative()
    product = make_product(cooperative=coop, title="Flour", stock=50, variants=0)
    from tests.factories import make_variant

    skus = [make_variant(product=product, sku=f"CC-{i}", stock=50).sku for i in range(4)]
    rows = "\n".join(f"{sku},Flour,flour,,{i} kg,10.00,80,1000" for i, sku in enumerate(skus))
    data = ("sku,title,category,description,variant,price,stock,weight_grams\n" + rows).encode()
    variant_ids = list(product.variants.order_by("pk").values_list("pk", flat=True))

    def work(i):
        if i == 0:
            return imports.import_apply(
                cooperative=coop, upload=io.BytesIO(data), name="p.csv", actor=None
            ).stock_changes
        with transaction.atomic():
            return stock_take(quantities={variant_ids[i % 4]: 1})

    results = run_together(5, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    # Whatever the order, every change is a movement: the import set 80 under the lock,
    # a checkout before or after it took one.
    assert_stock_ledger_consistent()
    stocks = sorted(product.variants.values_list("stock", flat=True))
    assert all(s in (79, 80) for s in stocks), stocks
