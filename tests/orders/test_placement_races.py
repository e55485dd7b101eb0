"""Issue 12 item 4: ``order_place`` prices its lines from a read made before its
transaction. Under real concurrency (PostgreSQL, threads) a price change or a
deactivation made through the catalogue's services while an order is being placed is
never missed:

- every order's line price is the price the variant had when the order's stock was
  taken (the variant's row lock orders the stock take and the price change);
- no order takes stock of a deactivated variant or an archived product after the
  deactivation committed.

The first tests hold the catalogue's change open until the order is waiting for the
row, then commit it: the order's stock statement began while the old row was current.
The last one lets buyers and a farmer race freely.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from catalog import services as catalog
from catalog.models import StockMovement, Variant
from catalog.stock import stock_adjust
from orders import services
from orders.exceptions import VariantUnavailable
from orders.models import Order, OrderLine
from storefront.errors import ServiceUnavailable
from tests.concurrency import run_together
from tests.factories import ADDRESS, make_product, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_until_someone_waits_for_a_lock(timeout: float = 10) -> bool:
    """True once another session of this database waits for a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is a snapshot: take a fresh one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def _place(user, variant, quantity: int = 1):
    return services.order_place(
        user=user,
        shipping_address=ADDRESS,
        lines=[{"variant": variant.pk, "quantity": quantity}],
    )


def _race(change, variant):
    """``change()`` runs in a transaction held open until an order, started after it,
    waits for a row; then it commits. Returns (the order's outcome, whether the order
    was seen waiting for a row)."""
    buyer = make_user()
    changed = threading.Event()
    seen = {}

    def work(i):
        if i == 0:
            with transaction.atomic():
                change()
                changed.set()
                seen["waited"] = _wait_until_someone_waits_for_a_lock()
            return None
        assert changed.wait(10)
        return _place(buyer, variant)

    _none, outcome = run_together(2, work)
    return outcome, seen["waited"]


def test_a_price_committed_while_the_order_waits_is_the_price_it_pays():
    variant = make_product(price="10.00", stock=5).variants.get()

    outcome, waited = _race(
        lambda: catalog.variant_update(variant=variant, price=Decimal("12.00")), variant
    )

    assert waited  # the order's stock statement began before the new price committed
    order, created = outcome
    assert created
    line = order.lines.get()
    # Its stock was taken after the new price committed, so it pays the new price.
    assert line.unit_price == Decimal("12.00")
    assert order.subtotal == Decimal("12.00")
    assert Variant.objects.get(pk=variant.pk).stock == 4


def test_a_variant_taken_off_sale_while_the_order_waits_is_not_sold():
    variant = make_product(stock=5).variants.get()

    outcome, waited = _race(
        lambda: catalog.variant_update(variant=variant, is_active=False), variant
    )

    assert waited
    assert isinstance(outcome, VariantUnavailable), outcome
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 5


def test_a_product_archived_while_the_order_waits_is_not_sold():
    """The archive locks the product, not the variant: here a restock holds the variant
    row while the order's stock statement waits for it, and the archive commits then."""
    product = make_product(stock=5)
    variant = product.variants.get()
    buyer = make_user()
    restocking, archived = threading.Event(), threading.Event()
    seen = {}

    def work(i):
        if i == 0:  # a restock, held open until the archive has committed
            with transaction.atomic():
                stock_adjust(variant_id=variant.pk, delta=5, note="goods received")
                restocking.set()
                assert archived.wait(20)
            return None
        assert restocking.wait(10)
        if i == 1:
            return _place(buyer, variant)
        seen["waited"] = _wait_until_someone_waits_for_a_lock()  # the order, on the variant
        try:
            return catalog.product_archive(product=product)
        finally:
            archived.set()

    _restock, outcome, archive = run_together(3, work)

    assert seen["waited"] and not isinstance(archive, Exception), archive
    assert isinstance(outcome, VariantUnavailable), outcome
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 10


def test_buyers_racing_price_changes_and_an_archive_pay_the_price_of_the_moment():
    product = make_product(price="10.00", stock=10_000)
    variant = product.variants.get()
    buyers = [make_user() for _ in range(6)]
    prices = [Decimal(f"{10 + step}.00") for step in range(1, 9)]
    history: list[tuple[object, Decimal]] = []  # (a moment inside the change's lock, price)
    archived_at = []
    stop = threading.Event()

    def farmer():
        for price in prices:
            with transaction.atomic():
                catalog.variant_update(variant=variant, price=price)
                history.append((timezone.now(), price))
            time.sleep(0.08)
        catalog.product_archive(product=product)
        archived_at.append(timezone.now())
        time.sleep(0.1)
        stop.set()

    def buyer(i):
        placed = refused = 0
        while not stop.is_set():
            try:
                _place(buyers[i], variant)
                placed += 1
            except (VariantUnavailable, ServiceUnavailable):
                # Taken off sale; or re-priced under every try (the price changes
                # every few milliseconds here): refused, nothing taken.
                refused += 1
        return placed, refused

    results = run_together(7, lambda i: farmer() if i == 0 else buyer(i - 1))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(placed for placed, _refused in results[1:]) > 0

    lines = OrderLine.objects.select_related("order")
    taken = dict(
        StockMovement.objects.filter(order_id__isnull=False).values_list("order_id", "created")
    )
    wrong = []
    for line in lines:
        at = taken[line.order_id]
        expected = Decimal("10.00")
        for moment, price in history:
            if moment < at:
                expected = price
        if line.unit_price != expected:
            wrong.append((line.order.number, line.unit_price, expected))
    assert wrong == [], f"orders priced from a row that had changed: {wrong[:5]}"
    late = [order_id for order_id, at in taken.items() if at > archived_at[0]]
    assert late == [], "orders took stock after the product's archive committed"
    assert Variant.objects.get(pk=variant.pk).stock == 10_000 - len(taken)
