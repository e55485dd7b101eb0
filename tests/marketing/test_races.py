"""Vouchers under concurrency, on PostgreSQL: the use limit and the per-buyer limit
hold however many checkouts race, and uses given back by expired orders are usable."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Variant
from lifecycle import services as flows
from marketing.models import Voucher, VoucherUse
from orders.models import Order
from storefront.errors import ApplicationError
from tests.concurrency import run_together
from tests.factories import (
    ADDRESS,
    assert_stock_ledger_consistent,
    make_product,
    make_user,
    make_voucher,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 15


def _attempt(user, variant, code):
    try:
        order, _ = flows.checkout_place_marketed(
            user=user,
            shipping_address=ADDRESS,
            lines=[{"variant": variant.pk, "quantity": 1}],
            voucher=code,
        )
        return order.pk
    except ApplicationError as exc:
        return exc.code


def _race(buyers, variant, code, threads=THREADS):
    """Every buyer tries once; ``threads`` threads share them out, released together."""
    share = [buyers[i::threads] for i in range(threads)]

    def work(i):
        return [_attempt(user, variant, code) for user in share[i]]

    results = []
    for outcome in run_together(threads, work):
        if isinstance(outcome, Exception):
            raise outcome
        results.extend(outcome)
    return results


def _tally(results):
    return Counter("order" if isinstance(r, int) else r for r in results)


def test_a_100_use_voucher_raced_by_300_buyers_then_30_expire():
    variant = make_product(price="20.00", stock=1000).variants.get()
    make_voucher("RUSH", total_limit=100, per_buyer_limit=1)
    buyers = [make_user() for _ in range(300)]

    results = _race(buyers, variant, "RUSH")
    assert _tally(results) == {"order": 100, "voucher_exhausted": 200}
    voucher = Voucher.objects.get(code="RUSH")
    assert voucher.used == 100
    assert VoucherUse.objects.filter(voucher=voucher, released_at=None).count() == 100
    assert Order.objects.count() == 100
    assert Variant.objects.get(pk=variant.pk).stock == 900

    # 30 of those orders go unpaid past their time: their uses come back, once.
    expired = [r for r in results if isinstance(r, int)][:30]
    Order.objects.filter(pk__in=expired).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert flows.orders_expire_overdue() == 30
    assert flows.orders_expire_overdue() == 0
    assert Voucher.objects.get(code="RUSH").used == 70

    # 40 more buyers race for the 30 uses given back.
    more = [make_user() for _ in range(40)]
    again = _race(more, variant, "RUSH", threads=10)
    assert _tally(again) == {"order": 30, "voucher_exhausted": 10}
    assert Voucher.objects.get(code="RUSH").used == 100
    assert VoucherUse.objects.filter(released_at=None).count() == 100
    assert VoucherUse.objects.filter(released_at__isnull=False).count() == 30
    assert Variant.objects.get(pk=variant.pk).stock == 900  # 30 back, 30 taken again
    assert_stock_ledger_consistent([variant.pk])


def test_one_buyer_sending_20_checkouts_at_once_uses_a_1_per_buyer_voucher_once():
    variant = make_product(price="20.00", stock=100).variants.get()
    make_voucher("SOLO", total_limit=None, per_buyer_limit=1)
    buyer = make_user()
    results = run_together(20, lambda i: _attempt(buyer, variant, "SOLO"))
    assert _tally(results) == {"order": 1, "voucher_exhausted": 19}
    assert VoucherUse.objects.filter(buyer=buyer).count() == 1
    assert Voucher.objects.get(code="SOLO").used == 1
    assert Order.objects.filter(user=buyer).count() == 1
    assert Variant.objects.get(pk=variant.pk).stock == 99


def test_cancel_and_checkout_racing_keep_the_count_exact():
    variant = make_product(price="20.00", stock=200).variants.get()
    make_voucher("SWAP", total_limit=10, per_buyer_limit=None)
    first = [make_user() for _ in range(10)]
    placed = [r for r in _race(first, variant, "SWAP", threads=5) if isinstance(r, int)]
    assert len(placed) == 10
    orders = list(Order.objects.filter(pk__in=placed))
    newcomers = [make_user() for _ in range(10)]

    def work(i):
        if i < 10:
            flows.order_cancel(order=orders[i])
            return "cancelled"
        return _attempt(newcomers[i - 10], variant, "SWAP")

    results = run_together(20, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    won = sum(1 for r in results if isinstance(r, int))
    voucher = Voucher.objects.get(code="SWAP")
    assert voucher.used == won == VoucherUse.objects.filter(released_at=None).count()
    assert VoucherUse.objects.filter(released_at__isnull=False).count() == 10
    assert voucher.used <= 10


def test_decimal_amounts_survive_the_race():
    variant = make_product(price="33.33", stock=50).variants.get()
    make_voucher("PCT", kind="percent", value=Decimal("15"), total_limit=None, per_buyer_limit=None)
    buyers = [make_user() for _ in range(16)]
    results = _race(buyers, variant, "PCT", threads=8)
    assert _tally(results) == {"order": 16}
    for order in Order.objects.all():
        assert order.discount_total == Decimal("5.00")  # 33.33 x 15 % = 4.9995 -> 5.00
        assert order.total == Decimal("28.33") + order.shipping_fee
