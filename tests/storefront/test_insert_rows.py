"""storefront.db.insert_rows: bulk_create / save(force_insert=True) with the INSERT
compiled once per process, model and number of rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.sql.compiler import SQLInsertCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Category, StockMovement, Variant
from orders.constants import OrderStatus
from orders.models import Order, OrderEvent
from storefront.db import insert_rows
from tests.factories import make_order, make_product, make_user
from tests.storefront.helpers import compiles_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def insert_compiles(monkeypatch):
    return compiles_of(monkeypatch, SQLInsertCompiler)


def _order(user, number):
    return Order(
        number=number,
        user=user,
        status=OrderStatus.PENDING_PAYMENT,
        subtotal=Decimal("39.90"),
        shipping_fee=Decimal("8.50"),
        discount_total=Decimal("0.00"),
        total=Decimal("48.40"),
        shipping_address={"name": "王芳", "line1": "吉木乃县"},
        idempotency_key="k-1",
        expires_at=timezone.now() + timedelta(minutes=30),
    )


def test_rows_as_django_writes_them_with_keys_and_stamps(insert_compiles):
    user = make_user()
    order = _order(user, "FG000000AAAAAAAA")
    insert_compiles.clear()
    with CaptureQueriesContext(connection) as queries:
        insert_rows([order], as_save=True)
    assert insert_compiles == [] and len(queries) == 1
    assert order.pk and not order._state.adding and order._state.db == "default"
    stored = Order.objects.get(pk=order.pk)
    assert stored.shipping_address == {"name": "王芳", "line1": "吉木乃县"}
    assert stored.total == Decimal("48.40") and stored.created == order.created
    events = [OrderEvent(order=order, to_status="paid", note=f"n{i}") for i in range(3)]
    insert_rows(events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert list(
        OrderEvent.objects.filter(order=order).order_by("pk").values_list("note", flat=True)
    ) == [
        "n0",
        "n1",
        "n2",
    ]
    assert all(e.at is not None for e in events)


def test_a_unique_conflict_raises_integrity_error_and_writes_nothing():
    user = make_user()
    insert_rows([_order(user, "FG000000BBBBBBBB")], as_save=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([_order(user, "FG000000CCCCCCCC")], as_save=True)  # same key, same user
    assert Order.objects.filter(user=user).count() == 1


def test_what_could_differ_goes_through_django(insert_compiles):
    # Variant has save receivers (the catalogue cache): save() runs, and they run.
    product = make_product(variants=0)
    variant = Variant(product=product, name="5 kg", sku="S-1", price="1.00", weight_grams=1)
    insert_compiles.clear()
    insert_rows([variant], as_save=True)
    assert insert_compiles == [Variant] and variant.pk
    # A row that already has its key.
    category = Category(pk=987654, name="X", slug="x-987654")
    insert_rows([category])
    assert Category.objects.filter(pk=987654).exists()
    # Nothing to insert.
    assert insert_rows([]) == []


def test_movements_in_bulk():
    order = make_order()
    variant = Variant.objects.get(product=make_product())
    rows = [
        StockMovement(variant=variant, delta=-1, reason="sale", balance=9 - i, order_id=order.pk)
        for i in range(2)
    ]
    insert_rows(rows)
    stored = StockMovement.objects.filter(pk__in=[r.pk for r in rows]).order_by("pk")
    assert [(m.variant_id, m.balance, m.order_id) for m in stored] == [
        (variant.pk, 9, order.pk),
        (variant.pk, 8, order.pk),
    ]


def test_unless_taken_skips_a_row_that_breaks_the_constraint_without_error_or_savepoint():
    from notifications.models import Notification

    user = make_user()
    first = Notification(user=user, kind="order_paid", event_key="e-1", context={"n": 1})
    assert insert_rows([first], unless_taken=("user", "event_key")) == [first] and first.pk
    again = Notification(user=user, kind="order_paid", event_key="e-1", context={"n": 2})
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows([again], unless_taken=("user", "event_key")) == []
    assert len(queries) == 1 and "SAVEPOINT" not in queries[0]["sql"].upper()
    assert again.pk is None
    assert Notification.objects.get(user=user, event_key="e-1").context == {"n": 1}
    # The transaction is still usable (nothing failed).
    assert Notification.objects.filter(user=user).count() == 1
