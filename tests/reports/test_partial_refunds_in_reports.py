"""Reports after partial refunds: a weighed line's difference and units given back count
as refunds on the day they succeed, a later cancellation only what was left, and the day's
aggregates still agree with the ledger to the fen."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from lifecycle import services as flows
from reports.aggregates import aggregates_build_day, aggregates_check_day
from reports.models import DailySales
from tests.factories import make_cooperative, make_county, make_product
from tests.lifecycle.weight_helpers import make_weight_variant, place_and_pay

pytestmark = pytest.mark.django_db


def test_weighed_and_unit_refunds_then_a_cancellation_agree_with_the_ledger(
    settings, django_capture_on_commit_callbacks
):
    settings.PLATFORM_FEE_PERCENT = "3"
    coop = make_cooperative(county=make_county(poverty_relief=False))
    mutton = make_weight_variant(cooperative=coop)
    flour = make_product(cooperative=coop, price="10.01", stock=20).variants.get()
    order, _payment = place_and_pay([(mutton, 1), (flour, 3)])
    weighed, units = order.lines.get(variant=mutton), order.lines.get(variant=flour)
    with django_capture_on_commit_callbacks(execute=True):
        flows.line_weigh(line_id=weighed.pk, grams=4873, by=None)
    with django_capture_on_commit_callbacks(execute=True):
        flows.line_refund_units(line_id=units.pk, units=1, by=None, already=0)
    today = timezone.localdate()
    aggregates_build_day(day=today)
    assert aggregates_check_day(day=today) == []
    coop_row = DailySales.objects.get(day=today, cooperative=coop, sku="")
    assert coop_row.refunds == D("0.86") + D("10.01")
    flour_row = DailySales.objects.get(day=today, cooperative=coop, sku=flour.sku)
    assert (flour_row.refunded_units, flour_row.refunds) == (1, D("10.01"))

    with django_capture_on_commit_callbacks(execute=True):
        flows.order_cancel(order=order, note="test")
    aggregates_build_day(day=today)
    assert aggregates_check_day(day=today) == []
    coop_row = DailySales.objects.get(day=today, cooperative=coop, sku="")
    order.refresh_from_db()
    assert coop_row.refunds == order.total  # everything is back, counted once
    flour_row = DailySales.objects.get(day=today, cooperative=coop, sku=flour.sku)
    assert flour_row.refunded_units == 3
