"""On PostgreSQL: the channels share one stock and one pickup handover per code."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connections

from catalog.models import Variant
from channels.constants import PlaceKind
from channels.models import ChannelOrder
from lifecycle.services import channels as flows
from lifecycle.services import checkout_place
from orders.exceptions import InsufficientStock
from orders.models import Order, OrderLine
from tests.channels.conftest import make_place
from tests.concurrency import run_together
from tests.factories import ADDRESS, assert_stock_ledger_consistent, make_product, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_units_sold_at_once_online_at_counters_and_stations_never_oversell():
    variant = make_product(price="12.50", stock=50).variants.get()
    buyers = [make_user() for _ in range(100)]
    clerks = [make_user() for _ in range(2)]
    agents = [make_user() for _ in range(2)]
    store = make_place(kind=PlaceKind.STORE, agents=clerks, is_pickup_point=False)
    station = make_place(kind=PlaceKind.STATION, agents=agents)
    line = [{"variant": variant.pk, "quantity": 1}]

    def work(i):
        # 104 connections at once may exceed a shared server's max_connections: a refused
        # connection did nothing yet, so that participant simply tries again.
        for _attempt in range(50):
            try:
                return sell(i)
            except OperationalError as exc:
                if "too many clients" not in str(exc):
                    raise
                connections.close_all()
                time.sleep(0.1)
        raise RuntimeError("no connection")

    def sell(i):
        if i < 100:
            return checkout_place(
                user=buyers[i], shipping_address=ADDRESS, lines=line, idempotency_key=f"o{i}"
            )
        if i < 102:
            return flows.counter_sale_place(
                clerk=clerks[i - 100], place_slug=store.slug, lines=line, idempotency_key=f"c{i}"
            )
        return flows.station_order_place(
            agent=agents[i - 102],
            place_slug=station.slug,
            villager_name="阿依古丽",
            villager_phone="13900139000",
            lines=line,
            idempotency_key=f"s{i}",
        )

    results = run_together(104, work)
    placed = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(placed) == 50 and len(refused) == 54, [
        r for r in results if not isinstance(r, tuple | InsufficientStock)
    ]
    assert Variant.objects.get(pk=variant.pk).stock == 0
    assert OrderLine.objects.filter(variant=variant).count() == 50
    assert Order.objects.count() == 50
    # Every channel order has its record; no order without one outside "online".
    assert ChannelOrder.objects.count() == Order.objects.exclude(channel="online").count()
    assert_stock_ledger_consistent([variant.pk])


def test_two_pickups_with_the_same_code_at_the_same_moment_give_one_handover():
    agent, other_agent = make_user(), make_user()
    station = make_place(kind=PlaceKind.STATION, agents=[agent, other_agent])
    variant = make_product(price="9.90", stock=5).variants.get()
    order, _ = flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name="叶尔兰",
        villager_phone="13900139001",
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key="p-1",
    )
    flows.channel_cash_take(number=order.number, agent=agent)
    row = flows.parcel_arrived(number=order.number, agent=agent)
    hands = [agent, other_agent]
    results = run_together(
        2,
        lambda i: flows.pickup_collect(
            place_slug=station.slug, code=row.pickup_code, agent=hands[i]
        ),
    )
    handed = [r for r in results if isinstance(r, ChannelOrder)]
    assert len(handed) == 1, results
    assert [getattr(r, "code", None) for r in results if not isinstance(r, ChannelOrder)] == [
        "already_collected"
    ]
    row.refresh_from_db()
    assert row.collected_at is not None


def test_a_station_order_sent_twice_at_once_is_one_order():
    agent = make_user()
    station = make_place(kind=PlaceKind.STATION, agents=[agent])
    variant = make_product(price="9.90", stock=5).variants.get()

    def work(_i):
        return flows.station_order_place(
            agent=agent,
            place_slug=station.slug,
            villager_name="叶尔兰",
            villager_phone="13900139001",
            lines=[{"variant": variant.pk, "quantity": 2}],
            idempotency_key="same-page-key",
        )

    results = run_together(3, work)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0].pk for r in results}) == 1
    assert sum(1 for r in results if r[1]) == 1
    assert Variant.objects.get(pk=variant.pk).stock == 3
    assert ChannelOrder.objects.count() == 1


def test_two_collections_of_a_buyers_own_pickup_order_with_one_code_give_one_handover():
    from lifecycle.services import order_paid
    from payments.constants import PaymentStatus
    from tests.factories import make_payment

    agent, other_agent = make_user(), make_user()
    station = make_place(kind=PlaceKind.STATION, agents=[agent, other_agent])
    buyer = make_user(phone="+8613900139777")
    variant = make_product(price="9.90", stock=5).variants.get()
    order, created = flows.pickup_order_place(
        user=buyer,
        pickup_station=station.slug,
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key="own-1",
    )
    assert created
    payment = make_payment(order=order, status=PaymentStatus.SUCCEEDED)
    from django.db import transaction

    with transaction.atomic():
        order_paid(order=Order.objects.select_for_update().get(pk=order.pk), payment=payment)
    row = flows.parcel_arrived(number=order.number, agent=agent)
    assert row.agent_id is None and row.ready_at is not None
    hands = [agent, other_agent]
    results = run_together(
        2,
        lambda i: flows.pickup_collect(
            place_slug=station.slug, code=row.pickup_code, agent=hands[i]
        ),
    )
    handed = [r for r in results if isinstance(r, ChannelOrder)]
    assert len(handed) == 1, results
    assert handed[0].order_id == order.pk
    assert [getattr(r, "code", None) for r in results if not isinstance(r, ChannelOrder)] == [
        "already_collected"
    ]
    assert ChannelOrder.objects.filter(collected_at__isnull=False).count() == 1


def test_a_clerks_close_and_cash_taken_at_the_same_moment_balance_to_the_fen():
    from decimal import Decimal

    from django.db.models import Sum

    from channels.models import StoreCashEntry
    from payments.models import Payment

    clerk = make_user()
    store = make_place(kind=PlaceKind.STORE, agents=[clerk], is_pickup_point=False)
    variant = make_product(price="13.37", stock=20).variants.get()
    orders = [
        flows.counter_sale_place(
            clerk=clerk,
            place_slug=store.slug,
            lines=[{"variant": variant.pk, "quantity": 1}],
            idempotency_key=f"till-{i}",
        )[0]
        for i in range(6)
    ]

    def work(i):
        if i == 6:
            return flows.cash_day_close(place_slug=store.slug, clerk=clerk)
        return flows.channel_cash_take(number=orders[i].number, agent=clerk)

    results = run_together(7, work)
    refused = [r for r in results if getattr(r, "code", None) == "cash_day_closed"]
    taken = [r for r in results[:6] if isinstance(r, Payment)]
    assert len(taken) + len(refused) == 6, results
    entry = StoreCashEntry.objects.get()
    paid = Payment.objects.filter(provider="cash").aggregate(s=Sum("amount"))["s"]
    assert entry.amount == (paid or Decimal("0.00")) == Decimal("13.37") * len(taken)
    assert entry.payments == len(taken) == Payment.objects.filter(provider="cash").count()
    assert Order.objects.filter(status="paid").count() == len(taken)
