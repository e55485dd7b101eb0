"""What a checkout costs in SQL, and that the cheap answer is the same answer.

The flash-sale benchmark (bench/flash_sale.py) showed the order endpoint's own cost,
not the hot row, limits a sale: these tests lock in the statement counts and the
order of the writes (the stock is taken last, so its row lock is held briefly).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Variant
from orders import services
from orders.exceptions import InsufficientStock
from orders.models import CartItem, Order
from orders.services import placement
from tests.factories import make_cooperative, make_product

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _sql(context) -> list[str]:
    # Savepoints belong to the test's wrapping transaction, not to the checkout.
    return [q["sql"] for q in context.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def test_placed_order_costs_few_statements_with_the_stock_moved_last(buyer_client, address):
    variant = make_product(stock=10).variants.get()
    body = {"lines": [{"variant": variant.pk, "quantity": 2}], "shipping_address": address}
    with CaptureQueriesContext(connection) as ctx:
        response = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.content
    sql = _sql(ctx)
    # On a cold cache (the first order after a campaign change, or the buyer's first):
    # marketing's campaign-price read, variant pre-check, order (claims the key), lines,
    # shipping, event, marketing's read of the buyer's campaign touch, then the stock:
    # its conditional UPDATE ... RETURNING, on PostgreSQL the re-read of the rows it now
    # holds (share-locking their products: issue 12 item 4), and the movement row
    locked_reread = connection.features.has_select_for_update
    assert len(sql) == (10 if locked_reread else 9), "\n".join(sql)
    assert sql[0].startswith('SELECT "marketing_campaignitem"'), sql[0]
    update = sql[-3] if locked_reread else sql[-2]
    assert update.startswith('UPDATE "catalog_variant"'), update
    if locked_reread:
        assert sql[-2].startswith('SELECT "catalog_variant"') and "FOR KEY SHARE" in sql[-2]
    assert sql[-1].startswith('INSERT INTO "catalog_stockmovement"'), sql[-1]
    assert not any(s.startswith('UPDATE "orders_order"') for s in sql)
    assert Variant.objects.get(pk=variant.pk).stock == 8


def test_on_a_warm_cache_an_order_costs_no_marketing_statement(buyer_client, address):
    variant = make_product(stock=10).variants.get()
    body = {"lines": [{"variant": variant.pk, "quantity": 1}], "shipping_address": address}
    first = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        response = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="w-2")
    assert response.status_code == 201, response.content
    sql = _sql(ctx)
    # The campaign prices and "this buyer has no campaign touch" come from the shared
    # cache (marketing/pricing.py, marketing/services/campaigns.py): variant pre-check,
    # order, lines, shipping, event, then the stock as above.
    locked_reread = connection.features.has_select_for_update
    assert len(sql) == (8 if locked_reread else 7), "\n".join(sql)
    assert not any("marketing_" in s for s in sql), "\n".join(sql)
    assert sql[0].startswith('SELECT "catalog_variant"'), sql[0]
    assert sql[-1].startswith('INSERT INTO "catalog_stockmovement"'), sql[-1]


def test_sold_out_variant_is_refused_by_one_read_with_its_key_lookup(buyer_client, address):
    variant = make_product(stock=1).variants.get()
    body = {"lines": [{"variant": variant.pk, "quantity": 2}], "shipping_address": address}
    with CaptureQueriesContext(connection) as ctx:
        response = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert response.json()["error"]["details"] == {"variants": [variant.pk]}
    # marketing's campaign-price read (a cold cache), then the one read of the refusal:
    # the variants with the buyer's order under this key (none) from the same snapshot
    sql = _sql(ctx)
    assert len(sql) == 2, "\n".join(sql)
    assert sql[1].startswith('SELECT "catalog_variant"') and '"orders_order"' in sql[1], sql[1]
    with CaptureQueriesContext(connection) as warm:
        again = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2b")
    assert again.status_code == 409
    assert len(_sql(warm)) == 1, "\n".join(_sql(warm))  # warm: the refusal's one read
    assert not any(s.startswith("INSERT") for s in _sql(ctx))
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 1


def test_replay_after_the_stock_ran_out_still_returns_the_first_order(buyer_client, address):
    variant = make_product(stock=2).variants.get()
    body = {"lines": [{"variant": variant.pk, "quantity": 2}], "shipping_address": address}
    first = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == 201
    again = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Variant.objects.get(pk=variant.pk).stock == 0


def test_replay_while_stock_remains_places_nothing_more(buyer_client, address):
    variant = make_product(stock=10).variants.get()
    body = {"lines": [{"variant": variant.pk, "quantity": 2}], "shipping_address": address}
    first = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    again = buyer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert Variant.objects.get(pk=variant.pk).stock == 8
    other = {**body, "lines": [{"variant": variant.pk, "quantity": 3}]}
    conflict = buyer_client.post(ORDERS, other, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert Variant.objects.get(pk=variant.pk).stock == 8


def test_201_body_of_a_two_cooperative_order_equals_the_order_read_back(buyer_client, address):
    a = make_product(stock=5, price="12.30", cooperative=make_cooperative()).variants.get()
    b = make_product(stock=5, price="7.05", cooperative=make_cooperative()).variants.get()
    body = {
        "lines": [{"variant": b.pk, "quantity": 3}, {"variant": a.pk, "quantity": 1}],
        "shipping_address": address,
    }
    response = buyer_client.post(ORDERS, body, format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["lines"]) == 2
    read_back = buyer_client.get(f"{ORDERS}{response.json()['number']}/")
    assert response.content == read_back.content


def test_201_body_from_cart_equals_the_order_read_back(buyer, buyer_client, address):
    variant = make_product(stock=5, price="3.10").variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=4)
    response = buyer_client.post(
        ORDERS, {"from_cart": True, "shipping_address": address}, format="json"
    )
    assert response.status_code == 201, response.content
    read_back = buyer_client.get(f"{ORDERS}{response.json()['number']}/")
    assert response.content == read_back.content
    assert not CartItem.objects.filter(user=buyer).exists()


def test_shortfall_at_the_final_update_rolls_everything_back(buyer, address, monkeypatch):
    # The pre-check read sees enough stock; the conditional UPDATE (the arbiter) does
    # not, as when another buyer takes the units in between.
    variant = make_product(stock=3).variants.get()
    monkeypatch.setattr(placement, "_short_of_stock", lambda requested, variants: [])
    with pytest.raises(InsufficientStock) as refused:
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[{"variant": variant.pk, "quantity": 4}],
        )
    assert refused.value.details == {"variants": [variant.pk]}
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 3
