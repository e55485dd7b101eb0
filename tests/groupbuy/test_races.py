"""Group buying and pre-sales under real concurrency (PostgreSQL row locks, threads):
seats never above the team's size, failed teams refunded once each by overlapping or
late sweeps, a pre-sale quota never oversold, a shortfall refunded latest first once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Variant
from fulfilment.models import Shipment
from groupbuy.constants import PreSaleStatus, TeamStatus
from groupbuy.models import PreSale, PreSaleOrder, Team, TeamMember, TeamOffer
from lifecycle import services as flows
from lifecycle.services import groupbuy as gb_flows
from orders.constants import OrderStatus
from orders.models import Order
from payments.models import Refund
from tests.concurrency import run_together
from tests.factories import ADDRESS, assert_stock_ledger_consistent, make_user

from .helpers import make_offer, make_presale, pay

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _stock_equals_its_movements():
    yield
    assert_stock_ledger_consistent()


def _start(offer, user=None):
    order, _ = gb_flows.team_start(offer=offer, user=user or make_user(), shipping_address=ADDRESS)
    return order, order.team_member.team


def test_twenty_buyers_race_for_a_team_of_two():
    offer = make_offer(stock=50, size=2)
    leader_order, team = _start(offer)
    buyers = [make_user() for _ in range(20)]

    results = run_together(
        20, lambda i: gb_flows.team_join(team=team, user=buyers[i], shipping_address=ADDRESS)
    )
    joined = [r[0] for r in results if isinstance(r, tuple)]
    refused = [r for r in results if not isinstance(r, tuple)]
    assert len(joined) == 1
    assert {getattr(r, "code", repr(r)) for r in refused} == {"team_full"}
    team.refresh_from_db()
    assert team.seats_taken == 2
    variant = Variant.objects.get(pk=offer.variant_id)
    assert variant.stock == 48  # stock taken at joining, only for the two seats

    # Both members pay at once: the team fills once, both orders go to fulfilment.
    orders = [leader_order, joined[0]]
    assert all(o.total == o.shipping_fee + offer.team_price for o in orders)
    paid = run_together(2, lambda i: pay(orders[i]))
    assert not [p for p in paid if isinstance(p, Exception)]
    team.refresh_from_db()
    assert team.status == TeamStatus.FILLED
    assert TeamMember.objects.filter(team=team, paid_at__isnull=False).count() == 2
    assert Shipment.objects.filter(order__in=orders).count() == 2


def test_many_teams_raced_never_exceed_their_size():
    offer = make_offer(stock=100, size=2)
    teams = [_start(offer)[1] for _ in range(4)]
    buyers = [make_user() for _ in range(20)]

    run_together(
        20,
        lambda i: gb_flows.team_join(team=teams[i % 4], user=buyers[i], shipping_address=ADDRESS),
    )
    for team in teams:
        team.refresh_from_db()
        assert team.seats_taken == 2
        assert TeamMember.objects.filter(team=team).count() == 2
    orders = list(Order.objects.filter(team_member__team__in=teams))
    run_together(len(orders), lambda i: pay(orders[i]))
    for team in teams:
        team.refresh_from_db()
        assert team.status == TeamStatus.FILLED
        assert TeamMember.objects.filter(team=team, paid_at__isnull=False).count() == 2


def _unfilled_teams(offer, count):
    """``count`` teams: a paid leader and an unpaid joiner of a team of 3 each."""
    teams = []
    for _ in range(count):
        leader_order, team = _start(offer)
        pay(leader_order)
        gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
        teams.append(team)
    return teams


def _assert_refunded_once(teams, offer, initial_stock):
    for team in teams:
        team.refresh_from_db()
        assert team.status == TeamStatus.FAILED
        for member in TeamMember.objects.filter(team=team).select_related("order"):
            assert member.settled_at is not None or member.released_at is not None
            if member.paid_at is not None:
                assert member.order.status in (OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED)
                assert member.refund_key == f"team-{team.pk}-order-{member.order_id}"
                assert Refund.objects.filter(payment__order=member.order).count() == 1
            else:
                assert member.order.status == OrderStatus.CANCELLED
    assert Variant.objects.get(pk=offer.variant_id).stock == initial_stock
    assert TeamOffer.objects.get(pk=offer.pk).units_claimed == 0
    # Nothing of a failed team ever went to the cooperative.
    assert not Shipment.objects.filter(order__team_member__team__in=teams).exists()


def test_two_sweeps_at_once_refund_each_unfilled_team_once():
    offer = make_offer(stock=40, size=3)
    teams = _unfilled_teams(offer, 5)
    Team.objects.filter(pk__in=[t.pk for t in teams]).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )

    results = run_together(2, lambda i: gb_flows.teams_fail_overdue())
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(r["failed"] for r in results) == 5
    assert sum(r["settled"] for r in results) == 10
    _assert_refunded_once(teams, offer, 40)
    assert gb_flows.teams_fail_overdue() == {"failed": 0, "settled": 0}


def test_a_sweep_stopped_for_three_hours_catches_up_on_every_team():
    offer = make_offer(stock=40, size=3)
    teams = _unfilled_teams(offer, 4)
    now = timezone.now()
    # Deadlines spread over the three hours the beat was down, the oldest long past.
    for k, team in enumerate(teams):
        Team.objects.filter(pk=team.pk).update(deadline=now - timedelta(hours=3, minutes=-k * 40))
    results = run_together(2, lambda i: gb_flows.teams_fail_overdue())
    assert sum(r["failed"] for r in results) == 4
    _assert_refunded_once(teams, offer, 40)


def test_a_payment_racing_the_failure_sweep_is_refunded_once():
    offer = make_offer(stock=10, size=2)
    leader_order, team = _start(offer)
    Team.objects.filter(pk=team.pk).update(deadline=timezone.now() - timedelta(seconds=1))

    results = run_together(
        2, lambda i: gb_flows.teams_fail_overdue() if i == 0 else pay(leader_order)
    )
    gb_flows.teams_fail_overdue()  # a later run settles what the race left
    assert not [r for r in results if isinstance(r, Exception)]
    leader_order.refresh_from_db()
    assert leader_order.status in (
        OrderStatus.REFUND_PENDING,
        OrderStatus.REFUNDED,
        OrderStatus.CANCELLED,
    )
    assert Refund.objects.filter(payment__order=leader_order).count() <= 1
    assert not Shipment.objects.filter(order=leader_order).exists()
    assert Variant.objects.get(pk=offer.variant_id).stock == 10


def test_a_quota_of_100_raced_by_120_buyers_sells_exactly_100():
    presale = make_presale(quota=100, stock=7)
    buyers = [make_user() for _ in range(120)]

    def four_buyers(i):
        out = []
        for k in range(4):
            try:
                out.append(
                    gb_flows.presale_buy(
                        presale=presale,
                        user=buyers[i * 4 + k],
                        quantity=1,
                        shipping_address=ADDRESS,
                    )[0]
                )
            except Exception as exc:
                out.append(exc)
        return out

    results = [r for batch in run_together(30, four_buyers) for r in batch]
    orders = [r for r in results if isinstance(r, Order)]
    codes = Counter(getattr(r, "code", repr(r)) for r in results if not isinstance(r, Order))
    assert len(orders) == 100
    assert codes == {"presale_sold_out": 20}
    presale.refresh_from_db()
    assert presale.sold == 100
    assert PreSaleOrder.objects.filter(presale=presale).count() == 100
    assert Variant.objects.get(pk=presale.variant_id).stock == 7  # the quota, not the stock
    assert all(o.lines.get().from_quota for o in orders[:5])


def test_shortfall_refunds_the_latest_orders_first_each_once():
    presale = make_presale(quota=20)
    orders = []
    for _ in range(5):
        order, _ = gb_flows.presale_buy(
            presale=presale, user=make_user(), quantity=2, shipping_address=ADDRESS
        )
        pay(order)
        orders.append(order)
    unpaid, _ = gb_flows.presale_buy(
        presale=presale, user=make_user(), quantity=1, shipping_address=ADDRESS
    )
    # Paid pre-sale orders wait for the harvest: no shipments yet.
    assert not Shipment.objects.filter(order__in=orders).exists()

    # Two cooperative staff press "convert" at once: one conversion happens.
    results = run_together(
        2, lambda i: gb_flows.presale_convert(presale_id=presale.pk, shortfall=3)
    )
    done = [r for r in results if isinstance(r, dict)]
    assert len(done) >= 1
    assert sum(d["refunded"] for d in done) == 2 and sum(d["converted"] for d in done) == 3
    for order in orders:
        order.refresh_from_db()
    refunded = [o for o in orders if o.status in (OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED)]
    assert refunded == orders[3:]  # the two latest
    for order in refunded:
        assert Refund.objects.filter(payment__order=order).count() == 1
        assert order.presale_claim.refund_key == f"presale-{presale.pk}-order-{order.pk}"
    assert all(o.status == OrderStatus.PAID for o in orders[:3])
    assert Shipment.objects.filter(order__in=orders[:3]).count() == 3
    assert not Shipment.objects.filter(order__in=orders[3:]).exists()
    unpaid.refresh_from_db()
    assert unpaid.status == OrderStatus.CANCELLED
    presale.refresh_from_db()
    assert presale.status == PreSaleStatus.CONVERTED
    assert presale.sold == 10  # the unpaid order's unit went back
    assert PreSale.objects.get(pk=presale.pk).shortfall == 3


def test_joins_and_a_paid_members_cancel_at_once_never_exceed_the_size():
    offer = make_offer(stock=100, size=3)
    for _round in range(3):
        leader, team = _start(offer)
        member, _ = gb_flows.team_join(team=team, user=make_user(), shipping_address=ADDRESS)
        pay(leader)
        pay(member)
        buyers = [make_user() for _ in range(6)]

        def work(i, team=team, member=member, buyers=buyers):
            if i == 0:
                return flows.order_cancel(order=Order.objects.get(pk=member.pk))
            return gb_flows.team_join(team=team, user=buyers[i - 1], shipping_address=ADDRESS)

        results = run_together(7, work)
        joined = [r for r in results[1:] if isinstance(r, tuple)]
        refused = [r for r in results[1:] if not isinstance(r, tuple)]
        assert not isinstance(results[0], Exception), results[0]
        assert {getattr(r, "code", repr(r)) for r in refused} <= {"team_full"}
        team.refresh_from_db()
        seated = TeamMember.objects.filter(team=team, released_at__isnull=True).count()
        assert team.seats_taken == seated <= 3
        assert len(joined) in (1, 2)  # one free seat, two if the cancel came first
        assert seated == 2 + len(joined) - 1
        assert Refund.objects.filter(payment__order=member).count() == 1
    offer.refresh_from_db()
    assert (
        offer.units_claimed
        == TeamMember.objects.filter(team__offer=offer, released_at__isnull=True).count()
    )
