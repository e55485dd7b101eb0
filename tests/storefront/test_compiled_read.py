"""storefront.db.CompiledRead: a read compiled once per connection and shape, then only
executed, gives exactly what its QuerySet gives (select_related objects, annotations),
with each call's own values, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import Subquery
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from catalog.constants import ProductStatus
from catalog.models import Variant
from orders.models import Order
from orders.selectors import variants_purchasable
from storefront.db import CompiledRead
from tests.factories import make_order, make_product, make_user
from tests.storefront.helpers import compiles_of

pytestmark = pytest.mark.django_db


def _rows(ids, user_id, key):
    return (
        Variant.objects.select_related("product__cooperative")
        .filter(pk__in=ids, product__status=ProductStatus.ACTIVE)
        .annotate(
            placed=Subquery(
                Order.objects.filter(user_id=user_id, idempotency_key=key).values("pk")[:1]
            )
        )
        .order_by("pk")
    )


def _seen(objs):
    return [
        (v.pk, v.price, v.stock, v.product.title, v.product.cooperative.name, v.placed)
        for v in objs
    ]


@pytest.fixture
def compiles(monkeypatch):
    return compiles_of(monkeypatch, SQLCompiler)


def test_same_rows_as_the_queryset_with_each_calls_values(compiles):
    products = [make_product(variants=2) for _ in range(3)]
    make_product(status=ProductStatus.DRAFT)
    ids = list(Variant.objects.order_by("pk").values_list("pk", flat=True))
    buyer, other = make_user(), make_user()
    order = make_order(user=buyer)
    Order.objects.filter(pk=order.pk).update(idempotency_key="k-1")
    read = CompiledRead(_rows)

    cases = [
        (ids[:2], buyer.pk, "k-1"),
        (ids[2:4], buyer.pk, "k-2"),
        (ids[4:6], other.pk, "k-1"),
        (ids[:2][::-1], buyer.pk, "k-1"),
        (ids, buyer.pk, "k-1"),  # another shape (with the draft's variant: not returned)
        ([ids[0]], other.pk, "nope"),
    ]
    for case in cases:
        compiles.clear()
        got = read(ids=case[0], user_id=case[1], key=case[2])
        assert _seen(got) == _seen(_rows(*case))
        assert all(v.product.cooperative_id == v.product.cooperative.pk for v in got)
    assert products
    # Same shape again: no compilation at all, one statement.
    compiles.clear()
    with CaptureQueriesContext(connection) as queries:
        got = read(ids=ids[2:4], user_id=buyer.pk, key="k-1")
    assert compiles == [] and len(queries) == 1
    assert [v.placed for v in got] == [order.pk, order.pk]


def test_a_value_that_cannot_be_placed_falls_back_to_the_queryset(compiles):
    make_product()
    vid = Variant.objects.get().pk
    # The same value used twice in the query: substituting by position is refused, the
    # QuerySet runs every time, and the answer is still right.
    read = CompiledRead(lambda a: Variant.objects.filter(pk=a).filter(pk__gte=a))
    assert [v.pk for v in read(a=vid)] == [vid]
    assert [v.pk for v in read(a=vid + 1)] == []
    assert [v.pk for v in read(a=vid)] == [vid]


def test_values_it_cannot_stand_in_for_run_the_queryset(compiles):
    make_product(variants=2)
    ids = list(Variant.objects.order_by("pk").values_list("pk", flat=True))
    read = CompiledRead(lambda a: Variant.objects.filter(pk__lt=a).order_by("pk"))
    # A float or a bool has no stand-in: the QuerySet runs (and compiles) every time.
    for value in (ids[1] + 0.5, ids[1] + 0.5):
        compiles.clear()
        assert [v.pk for v in read(a=value)] == ids[:2] and compiles == [Variant]
    assert [v.pk for v in read(a=True)] == [v.pk for v in read._build(a=True)]


def test_a_string_never_runs_the_statement_compiled_for_an_int(compiles):
    make_product()
    vid = Variant.objects.get().pk
    read = CompiledRead(lambda a: Variant.objects.filter(pk=a))
    assert [v.pk for v in read(a=vid)] == [vid]
    # Django converts "12" for an integer column and refuses "x"; so does the read, rather
    # than sending the string into the SQL compiled for an int.
    assert [v.pk for v in read(a=str(vid))] == [vid]
    with pytest.raises(ValueError):
        read(a="x")
    compiles.clear()
    assert [v.pk for v in read(a=vid)] == [vid] and compiles == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_thread_uses_its_own_connection():
    make_product(variants=4)
    ids = list(Variant.objects.order_by("pk").values_list("pk", flat=True))
    errors = []

    owners = []

    def work(n):
        try:
            for i in range(20):
                pick = [ids[(n + i) % 4]]
                assert [v.pk for v in variants_purchasable(pick).values()] == pick
            # The compiled statements live on this thread's own connection, bound to it.
            own = connections["default"]
            cached = own.__dict__["_farmgate_compiled_reads"]
            assert cached and all(e.compiler.connection is own for e in cached.values() if e)
            owners.append(own)  # kept alive, so ids cannot be reused
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({id(o) for o in owners}) == 4


def test_values_rows_as_the_queryset_gives_them(compiles):
    from django.db.models import Sum

    make_product(variants=3, stock=4)
    make_product(variants=2, stock=7)
    ids = list(Variant.objects.order_by("pk").values_list("pk", flat=True))
    read = CompiledRead(
        lambda first: (
            Variant.objects.filter(pk__gte=first)
            .values("product")
            .annotate(units=Sum("stock"))
            .order_by("product")
        )
    )
    for first in ids:
        assert read.dicts(first=first) == list(read._build(first=first))
    second = Variant.objects.order_by("pk").last().product_id
    compiles.clear()
    assert read.dicts(first=ids[3]) == [{"product": second, "units": 14}]
    assert compiles == []


def test_a_stand_in_out_of_the_columns_range_falls_back_to_the_queryset():
    make_product(variants=2, stock=4)
    # Django rewrites a lookup whose value lies outside the column's range (stock is
    # positive): the stand-in is not found in the SQL, so nothing is cached and the
    # QuerySet runs each time, with the right answer.
    read = CompiledRead(lambda stock: Variant.objects.filter(stock__gte=stock))
    assert len(read(stock=4)) == 2 and read(stock=5) == []


def test_a_stand_in_the_queryset_refuses_falls_back_to_the_queryset():
    make_product()
    vid = Variant.objects.get().pk
    # An integer column asked with a string: the stand-in cannot be compiled, so the
    # QuerySet itself runs (and converts the string as it always would).
    read = CompiledRead(lambda a: Variant.objects.filter(pk=a))
    assert [v.pk for v in read(a=str(vid))] == [vid]
