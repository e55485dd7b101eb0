"""Generated money history for the reports tests: paid orders over many days, some
refunded, some completed and paid out, written by the payments services themselves at
simulated times (``timezone.now`` patched per event)."""

from __future__ import annotations

import contextlib
import random
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

from django.db import transaction
from django.utils import timezone

from lifecycle.services.refunds import refund_confirmed
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import RefundStatus
from payments.exceptions import PayoutInsufficientBalance
from payments.models import Refund
from payments.providers import RefundResult

# The payments services the history is written with (one place to follow a move).
from payments.services import (
    ledger_release_for_order,
    payout_create,
    refund_apply_result,
)
from tests.factories import (
    make_cooperative,
    make_county,
    make_paid_order,
    make_product,
    make_user,
    record_sale,
)


@contextmanager
def at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def local(day, hour=12, minute=0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def paid_order(items, moment: datetime, *, user=None, shipping_fee="12.00") -> Order:
    # 12.00 splits evenly over 1 to 4 cooperatives: the shipping parts add up to the fee.
    with at(moment):
        order = make_paid_order(items=items, user=user, shipping_fee=shipping_fee)
        record_sale(order)
    return order


def refund(order: Order, moment: datetime) -> Refund:
    payment = order.payments.get()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUND_PENDING)
    with at(moment):
        created = Refund.objects.create(
            payment=payment,
            out_refund_no=f"{payment.out_trade_no}-R1",
            amount=payment.amount,
            status=RefundStatus.PENDING,
        )
        # As lifecycle.services.refund_submit records a provider's answer: in one
        # transaction, and the completed refund carried to the order.
        with transaction.atomic():
            _refund, done = refund_apply_result(
                refund_id=created.pk, result=RefundResult(status="succeeded")
            )
            if done is not None:
                refund_confirmed(done)
    return created


def complete_and_release(order: Order, moment: datetime) -> None:
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED, completed_at=moment)
    with at(moment):
        ledger_release_for_order(order=order)


def payout(cooperative, moment: datetime, staff):
    with at(moment):
        return payout_create(cooperative=cooperative, created_by=staff)


def generate(*, days: int = 90, seed: int = 16, end=None):
    """``days`` days of orders over three cooperatives in two counties, ending ``end``
    (default yesterday). Returns (cooperatives, counties, first day, last day)."""
    rng = random.Random(seed)
    end = end or timezone.localdate() - timedelta(days=1)
    first = end - timedelta(days=days - 1)
    county_a, county_b = make_county(name="Jeminay"), make_county(name="Leishan")
    coops = [
        make_cooperative(county=county_a, name="Wheat"),
        make_cooperative(county=county_a, name="Honey"),
        make_cooperative(county=county_b, name="Tea"),
    ]
    variants = []
    for coop in coops:
        for price in ("39.90", "75.00", "12.35"):
            product = make_product(cooperative=coop, price=price, stock=100_000)
            variants.append(product.variants.get())
    staff = make_user(is_staff=True, is_platform_staff=True)
    buyers = [make_user() for _ in range(5)]
    released: list[Order] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for _n in range(rng.randint(0, 3)):
            # Orders near midnight too: the day is the local day of the payment.
            moment = local(day, rng.choice([0, 9, 13, 23]), rng.choice([0, 1, 30, 59]))
            items = [(v, rng.randint(1, 4)) for v in rng.sample(variants, rng.randint(1, 3))]
            order = paid_order(items, moment, user=rng.choice(buyers))
            roll = rng.random()
            if roll < 0.15:
                refund(order, moment + timedelta(hours=rng.choice([1, 20, 49])))
            elif roll < 0.6:
                complete_and_release(order, moment + timedelta(days=1))
                released.append(order)
        if offset % 14 == 13:
            for coop in coops:
                with contextlib.suppress(PayoutInsufficientBalance):  # nothing available yet
                    payout(coop, local(day, 18), staff)
    return coops, (county_a, county_b), first, end
