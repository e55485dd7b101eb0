"""storefront.db.save_fields: ``save(update_fields=...)`` with the UPDATE compiled once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.sql.compiler import SQLUpdateCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Variant
from orders.constants import OrderStatus
from orders.models import Order
from storefront.db import save_fields
from tests.factories import make_order, make_product
from tests.storefront.helpers import compiles_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def update_compiles(monkeypatch):
    return compiles_of(monkeypatch, SQLUpdateCompiler)


def test_writes_the_fields_and_stamps_auto_now_with_one_statement(update_compiles):
    order = make_order()
    before = Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(updated=timezone.now() - timedelta(days=1))
    order.status = OrderStatus.PAID
    order.paid_at = timezone.now()
    order.subtotal = 1  # not in the fields: not written
    update_compiles.clear()
    with CaptureQueriesContext(connection) as queries:
        save_fields(order, ["status", "paid_at", "updated"])
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")
    assert update_compiles == []
    again = Order.objects.get(pk=order.pk)
    assert again.status == OrderStatus.PAID and again.paid_at == order.paid_at
    assert again.subtotal == before.subtotal
    assert again.updated == order.updated and again.updated > timezone.now() - timedelta(minutes=1)
    # Another row through the same statement.
    other = make_order()
    other.status = OrderStatus.CANCELLED
    save_fields(other, ("status", "updated"))
    save_fields(other, ("status", "updated"))
    assert Order.objects.get(pk=other.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_a_foreign_key_by_name_or_attname():
    order, spare = make_order(), make_order()
    from payments.models import Payment
    from tests.factories import make_payment

    payment = make_payment(order=order)
    payment.order = spare
    save_fields(payment, ["order"])
    assert Payment.objects.get(pk=payment.pk).order_id == spare.pk
    payment.order_id = order.pk
    save_fields(payment, ["order_id"])
    assert Payment.objects.get(pk=payment.pk).order_id == order.pk


def test_no_row_is_an_error_as_with_save():
    order = make_order()
    Order.objects.filter(pk=order.pk).delete()
    order.status = OrderStatus.PAID
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        save_fields(order, ["status"])


def test_what_could_differ_goes_through_save(update_compiles):
    product = make_product(stock=5)
    variant = Variant.objects.get(product=product)
    # Variant has post_save receivers (the catalogue cache): they must still run.
    variant.name = "25 kg"
    save_fields(variant, ["name"])
    assert update_compiles == [Variant]
    assert Variant.objects.get(pk=variant.pk).name == "25 kg"
    order = make_order()
    update_compiles.clear()
    order.subtotal = F("subtotal") + 1
    save_fields(order, ["subtotal"])
    assert update_compiles == [Order]
    with pytest.raises(ValueError):
        save_fields(Order(pk=None), ["status"])
