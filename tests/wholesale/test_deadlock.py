"""The lock order of a credit order and a cancellation (``lifecycle.services``).

A purchase order on credit claims the organisation's credit row in a checkout hook and
then takes the stock (variant rows); an unpaid cancellation or expiry of an order on
credit, and the cancellation of a paid one, used to give the stock back first and the
credit after: the opposite order, so the two could deadlock. Now every flow takes the
credit row before the variant rows. On PostgreSQL, many rounds of credit orders raced
by expiries and cancellations of the same organisation end without one deadlock (the
server's own deadlock counter stays where it was).
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from lifecycle import services as flows
from lifecycle.services.checkout import checkout_place
from lifecycle.services.expiry import order_expire
from orders.constants import OrderStatus
from orders.models import Order
from tests.concurrency import run_together
from tests.factories import ADDRESS
from wholesale import services
from wholesale.models import CreditAccount

from .test_orders import _place, _setup


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _unpaid_credit_order(buyer, variant, po):
    """A credit order whose process died between the placement and the "on credit" mark
    (``lifecycle.services.wholesale``): placed, credit claimed, still unpaid, overdue."""
    member = services.buyer_for(buyer)
    plan = services.purchase_plan(
        member=member,
        lines=[{"variant": variant.pk, "quantity": 1}],
        po_number=po,
        on_credit=True,
    )
    order, _ = checkout_place(
        user=buyer,
        shipping_address=ADDRESS,
        lines=[{"variant": variant.pk, "quantity": 1}],
        plan=plan,
    )
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now())
    return order


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_credit_orders_raced_by_expiries_and_cancels_of_the_same_organisation_never_deadlock():
    _coop, variant, org, buyer, _pl = _setup(limit="100000.00", stock=5000)
    rounds, per_round = 12, 8
    before = _deadlocks()
    outcomes = []
    for r in range(rounds):
        expiring = [_unpaid_credit_order(buyer, variant, f"X-{r}-{i}") for i in range(3)]
        paid = [_place(buyer, variant, po=f"P-{r}-{i}", on_credit=True)[0] for i in range(2)]
        for order in paid:
            assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID

        def work(i, r=r, expiring=expiring, paid=paid):
            if i < 3:
                return order_expire(order_id=expiring[i].pk, now=timezone.now())
            if i < 5:
                return flows.order_cancel(order=Order.objects.get(pk=paid[i - 3].pk)).pk
            return _place(buyer, variant, po=f"N-{r}-{i}", on_credit=True)[0].pk

        outcomes.extend(run_together(per_round, work))
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    time.sleep(0.2)
    assert _deadlocks() == before
    # Every unit and every yuan of credit is where it should be.
    live = Order.objects.filter(status=OrderStatus.PAID)
    assert live.count() == rounds * (per_round - 5)
    assert CreditAccount.objects.get(organisation=org).used == sum(
        (o.total for o in live), Decimal("0")
    )
    variant.refresh_from_db()
    assert variant.stock == 5000 - live.count()
