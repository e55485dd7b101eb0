"""Partial refunds under concurrency, on PostgreSQL with threads: the weighing form sent
three times at once refunds the difference once; partial refunds racing for one payment
never give back more than it; a station's commission after a real partial refund."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import Sum

from catalog.models import Cooperative
from lifecycle import services as flows
from lifecycle.services import channels as channel_flows
from orders.constants import OrderStatus
from payments import services as payments
from payments.constants import LedgerKind, PaymentStatus, RefundStatus
from payments.models import LedgerEntry, Payment, Refund
from storefront.errors import ApplicationError
from tests.channels.conftest import make_place
from tests.concurrency import run_together
from tests.factories import make_cooperative, make_county, make_product, make_user
from tests.lifecycle.weight_helpers import make_weight_variant, place_and_pay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _sum(qs) -> D:
    return qs.aggregate(s=Sum("amount"))["s"] or D("0")


def test_three_weighings_at_once_charge_33_14_and_refund_0_86_once(settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    coop = make_cooperative(county=make_county(poverty_relief=False))
    variant = make_weight_variant(cooperative=coop)
    order, payment = place_and_pay([(variant, 1)])
    line = order.lines.get()
    packers = [make_user() for _ in range(3)]

    def weigh(i):
        return flows.line_weigh(line_id=line.pk, grams=4873, by=packers[i])

    results = run_together(3, weigh)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 1
    line.refresh_from_db()
    assert (line.final_weight_grams, line.final_amount) == (4873, D("33.14"))
    refunds = Refund.objects.filter(payment=payment)
    assert refunds.count() == 1
    refund = refunds.get()
    # Submitted on commit (the eager task) by the one that created it.
    assert (refund.amount, refund.status) == (D("0.86"), RefundStatus.SUCCEEDED)
    # Submitting the form three more times (one after another) changes nothing.
    for packer in packers:
        again = flows.line_weigh(line_id=line.pk, grams=4873, by=packer)
        assert again.refund == refund and not again.created
    assert Refund.objects.filter(payment=payment).count() == 1
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and order.status == OrderStatus.PAID
    # The ledger balances to the fen: sales = paid; partial refund = refunded; the fee
    # kept is the fee on the sale less the fee on the refund.
    entries = LedgerEntry.objects.filter(order=order)
    assert _sum(entries.filter(kind=LedgerKind.SALE)) == payment.amount
    assert _sum(entries.filter(kind=LedgerKind.PARTIAL_REFUND)) == -refund.amount
    fee = -_sum(entries.filter(kind=LedgerKind.PLATFORM_FEE))
    returned = _sum(entries.filter(kind=LedgerKind.FEE_REVERSAL))
    assert returned == D("0.03")
    assert _sum(entries) == payment.amount - refund.amount - fee + returned
    assert _sum(Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED)) == D("0.86")


def test_twelve_partial_refunds_at_once_never_exceed_the_payment():
    _order, payment = place_and_pay([(make_product(price="50.00").variants.get(), 1)])
    share = (payment.amount / 5).quantize(D("0.01"))  # five fit, a sixth does not

    def refund(i):
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            _refund, created = payments.refund_partial_create(
                payment=locked, amount=share, key=f"race:{i}", reason="race"
            )
            return created

    results = run_together(12, refund)
    made = [r for r in results if r is True]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(made) == int(payment.amount // share) == 5
    assert len(refused) == 7 and {e.code for e in refused} == {"refund_exceeds_payment"}
    live = Refund.objects.filter(payment=payment).exclude(status=RefundStatus.FAILED)
    assert _sum(live) <= payment.amount


def test_the_same_units_refunded_from_two_forms_at_once_are_refunded_once():
    variant = make_product(price="12.34", stock=20).variants.get()
    order, payment = place_and_pay([(variant, 3)])
    line = order.lines.get()

    def send(_i):
        return flows.line_refund_units(line_id=line.pk, units=1, by=None, already=0)

    results = run_together(4, send)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 1
    assert Refund.objects.filter(payment=payment).count() == 1


def test_station_commission_after_a_weighed_partial_refund_is_right_to_the_fen():
    # 3 % of what the villager finally paid: 34.00 paid in cash, 0.86 handed back after
    # weighing: 33.14 × 3 % = 0.9942 → 0.99 (before the refund: 1.02).
    agent = make_user()
    station = make_place(agents=[agent])
    variant = make_weight_variant()
    Cooperative.objects.update(shipping_base_fee=0, shipping_fee_per_kg=0)
    order, _ = channel_flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name="Nurlan",
        villager_phone="138 0013 8000",
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key="weigh-1",
    )
    assert order.total == D("34.00")
    payment = channel_flows.channel_cash_take(number=order.number, agent=agent)
    assert channel_flows.station_commission(place=station) == D("1.02")
    result = flows.line_weigh(line_id=order.lines.get().pk, grams=4873, by=agent)
    result.refund.refresh_from_db()
    assert (result.refund.amount, result.refund.status) == (D("0.86"), RefundStatus.SUCCEEDED)
    assert channel_flows.order_net_paid(order.pk) == D("33.14")
    assert channel_flows.station_commission(place=station) == D("0.99")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
