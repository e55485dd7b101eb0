"""The daily aggregates: built from orders, refunds and payouts, equal to the ledger day
by day, idempotent, rebuilt on demand, and a difference from the ledger is flagged."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from payments.constants import LedgerKind
from payments.models import LedgerEntry
from reports.aggregates import (
    aggregates_build_day,
    aggregates_build_range,
    aggregates_check_day,
    day_bounds,
)
from reports.constants import Figure
from reports.models import AggregateDay, AggregateDifference, DailyCooperative, DailySales
from storefront import metrics
from tests.factories import make_paid_order, make_product

from .history import generate, local, paid_order, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("3")
    settings.PLATFORM_FEE_PERCENT_POVERTY_RELIEF = Decimal("1.5")


def _ledger_by_created_day(kind, first, last):
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    return LedgerEntry.objects.filter(kind=kind, created__gte=start, created__lt=end).aggregate(
        s=Sum("amount")
    )["s"] or Decimal("0")


@pytest.mark.slow
def test_ninety_days_of_aggregates_equal_the_ledger(fees):
    _coops, _counties, first, last = generate(days=90)
    # Refunds may come two days after the last order.
    built = aggregates_build_range(first=first, last=last + timedelta(days=3))
    assert built == 93

    differences = []
    day = first
    while day <= last + timedelta(days=3):
        differences += aggregates_check_day(day=day)
        day += timedelta(days=1)
    assert differences == []
    assert AggregateDifference.objects.count() == 0

    # And over the whole range, independently of the check's own sums:
    rows = DailySales.objects.all()
    coop_rows = rows.filter(sku="")
    sales = rows.aggregate(s=Sum("sales"))["s"] + coop_rows.aggregate(s=Sum("shipping"))["s"]
    refunds = coop_rows.aggregate(s=Sum("refunds"))["s"]
    fees_ = coop_rows.aggregate(s=Sum("fees"))["s"]
    payouts = DailyCooperative.objects.aggregate(s=Sum("payouts"))["s"]
    end = last + timedelta(days=3)
    assert sales == _ledger_by_created_day(LedgerKind.SALE, first, end)
    assert fees_ == -_ledger_by_created_day(LedgerKind.PLATFORM_FEE, first, end)
    assert payouts == -_ledger_by_created_day(LedgerKind.PAYOUT, first, end)
    reversals = _ledger_by_created_day(LedgerKind.REFUND_REVERSAL, first, end)
    refunded_fees = LedgerEntry.objects.filter(
        kind=LedgerKind.PLATFORM_FEE,
        order_id__in=LedgerEntry.objects.filter(kind=LedgerKind.REFUND_REVERSAL).values("order_id"),
    ).aggregate(s=Sum("amount"))["s"]
    assert refunds == -(reversals + (refunded_fees or 0))
    assert sales > 0 and refunds > 0 and payouts > 0 and fees_ > 0
    # The variant rows add up to the cooperative rows' goods.
    assert rows.exclude(sku="").aggregate(s=Sum("refunds"))["s"] <= refunds


def test_a_rebuild_is_idempotent_and_follows_late_changes(fees):
    product = make_product(price="50.00", stock=100)
    variant = product.variants.get()
    day = local(__import__("datetime").date(2026, 3, 10), 23, 59).date()
    order = paid_order([(variant, 2)], local(day, 23, 59))
    assert aggregates_build_day(day=day) == 2  # the variant row and the cooperative row
    first = list(DailySales.objects.values_list("sku", "units", "sales", "shipping", "refunds"))
    aggregates_build_day(day=day)
    assert (
        list(DailySales.objects.values_list("sku", "units", "sales", "shipping", "refunds"))
        == first
    )
    assert aggregates_check_day(day=day) == []

    # Refunded the next day: the refund counts on its own day, the sale stays.
    next_day = day + timedelta(days=1)
    refund(order, local(next_day, 0, 5))
    aggregates_build_day(day=next_day)
    coop_row = DailySales.objects.get(day=next_day, sku="")
    assert coop_row.refunds == Decimal("112.00")  # 2 × 50 + 12 shipping
    assert DailySales.objects.get(day=next_day, sku=variant.sku).refunded_units == 2
    assert aggregates_check_day(day=next_day) == []


def test_the_check_flags_a_difference_with_a_row_and_a_metric(
    fees, django_capture_on_commit_callbacks
):
    product = make_product(price="20.00", stock=100)
    day = __import__("datetime").date(2026, 4, 2)
    order = paid_order([(product.variants.get(), 1)], local(day, 10))
    aggregates_build_day(day=day)
    # Someone edits an order line after the fact: the order tables no longer say what the
    # ledger recorded.
    order.lines.update(line_total=Decimal("25.00"))
    aggregates_build_day(day=day)
    before = metrics.get("aggregate_ledger_mismatch")
    with django_capture_on_commit_callbacks(execute=True):
        found = aggregates_check_day(day=day)
    assert [(d.figure, d.aggregated - d.ledger) for d in found] == [(Figure.SALES, Decimal("5.00"))]
    assert AggregateDifference.objects.get().cooperative_id == product.cooperative_id
    assert AggregateDay.objects.get(day=day).differences == 1
    assert metrics.get("aggregate_ledger_mismatch") == before + 1

    # Put right, the next check clears the row.
    order.lines.update(line_total=Decimal("20.00"))
    aggregates_build_day(day=day)
    assert aggregates_check_day(day=day) == []
    assert not AggregateDifference.objects.exists()


def test_the_command_rebuilds_a_range_and_reports(capsys, fees):
    product = make_product(price="20.00", stock=100)
    day = __import__("datetime").date(2026, 5, 1)
    paid_order([(product.variants.get(), 3)], local(day, 8))
    call_command("aggregates_rebuild", "2026-04-30", "2026-05-02")
    out = capsys.readouterr().out
    assert "rebuilt 3 day(s)" in out and "equal the ledger" in out
    assert DailySales.objects.get(day=day, sku="").orders == 1


def test_the_admin_action_rebuilds_selected_days(admin_client, fees):
    product = make_product(price="20.00", stock=100)
    day = __import__("datetime").date(2026, 5, 3)
    paid_order([(product.variants.get(), 1)], local(day, 8))
    marker = AggregateDay.objects.create(day=day)
    response = admin_client.post(
        "/admin/reports/aggregateday/",
        {"action": "rebuild_and_check", "_selected_action": [marker.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert DailySales.objects.filter(day=day).count() == 2
    marker.refresh_from_db()
    assert marker.built_at and marker.checked_at and marker.differences == 0


def test_discounted_orders_still_equal_the_ledger(fees):
    # A platform-funded and a cooperative-funded discount (as PlacementPlan writes them):
    # the aggregates count each line less its cooperative's own discount, the ledger's
    # sales include the platform's subsidy; both sides agree, on the sale day and the
    # refund day.
    from datetime import date

    from orders.models import Order, OrderLine
    from tests.factories import record_sale

    from .history import at

    variant = make_product(price="50.00", stock=100).variants.get()
    day = date(2026, 3, 12)
    with at(local(day)):
        order = make_paid_order(items=[(variant, 2)], shipping_fee="12.00")
        OrderLine.objects.filter(order=order).update(
            discount=Decimal("15.00"), discount_platform=Decimal("10.00")
        )
        Order.objects.filter(pk=order.pk).update(
            discount_total=Decimal("15.00"), total=Decimal("97.00")
        )
        order.refresh_from_db()
        record_sale(order)
    aggregates_build_day(day=day)
    assert DailySales.objects.get(day=day, sku=variant.sku).sales == Decimal("95.00")
    assert aggregates_check_day(day=day) == []
    next_day = day + timedelta(days=1)
    refund(order, local(next_day, 9))
    aggregates_build_day(day=next_day)
    assert DailySales.objects.get(day=next_day, sku="").refunds == Decimal("107.00")
    assert aggregates_check_day(day=next_day) == []
