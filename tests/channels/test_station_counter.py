"""The offline channel: station orders, counter sales, cash, pickup, commission."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Cooperative, Variant
from channels.exceptions import (
    AlreadyCollected,
    NotAnAgent,
    NotReadyForPickup,
    PlaceNotFound,
    WrongPickupCode,
)
from channels.models import ChannelOrder
from lifecycle.services import channels as flows
from notifications.constants import NotificationKind
from notifications.models import Notification
from orders.constants import OrderStatus
from payments.constants import LedgerKind, RefundStatus
from payments.models import LedgerEntry, Refund
from storefront.errors import InvalidInput
from tests.factories import assert_stock_ledger_consistent, make_user

pytestmark = pytest.mark.django_db


def _station_order(agent, station, variant, *, key="k-1", quantity=2, phone="138 0013 8000"):
    return flows.station_order_place(
        agent=agent,
        place_slug=station.slug,
        villager_name=" 努尔兰 ",
        villager_phone=phone,
        lines=[{"variant": variant.pk, "quantity": quantity}],
        idempotency_key=key,
    )


def test_station_order_is_placed_for_the_villager_delivered_to_the_station(agent, station, variant):
    order, created = _station_order(agent, station, variant)
    assert created
    assert order.channel == "station" and order.placed_by_id == agent.pk
    row = ChannelOrder.objects.get(order=order)
    assert row.place == station and row.agent == agent
    assert row.villager_name == "努尔兰" and row.villager_phone == "+8613800138000"
    assert len(row.pickup_code) == 6 and row.pickup_code.isdigit()
    assert order.shipping_address["address"] == station.address
    assert order.shipping_address["name"] == "努尔兰"
    assert Variant.objects.get(pk=variant.pk).stock == 8
    assert_stock_ledger_consistent([variant.pk])


def test_a_resent_station_order_is_one_order(agent, station, variant):
    first, created = _station_order(agent, station, variant, key="page-key-1")
    again, created_again = _station_order(agent, station, variant, key="page-key-1")
    assert created and not created_again and again.pk == first.pk
    assert ChannelOrder.objects.count() == 1
    assert Variant.objects.get(pk=variant.pk).stock == 8


def test_only_the_places_agents_may_order_there(station, variant):
    with pytest.raises(NotAnAgent):
        _station_order(make_user(), station, variant)
    with pytest.raises(PlaceNotFound):
        flows.station_order_place(
            agent=make_user(),
            place_slug="nowhere",
            villager_name="x",
            villager_phone="13800138000",
            lines=[],
            idempotency_key=None,
        )


def test_a_bad_villager_phone_is_refused(agent, station, variant):
    with pytest.raises(InvalidInput) as caught:
        _station_order(agent, station, variant, phone="12")
    assert "phone" in caught.value.details
    assert ChannelOrder.objects.count() == 0


def test_counter_sale_has_no_shipping_and_cash_pays_it_once(clerk, store, variant):
    order, _ = flows.counter_sale_place(
        clerk=clerk,
        place_slug=store.slug,
        lines=[{"variant": variant.pk, "quantity": 3}],
        idempotency_key="c-1",
    )
    assert order.channel == "counter" and order.shipping_fee == 0
    assert order.total == Decimal("60.00")
    order.refresh_from_db()
    assert order.total == Decimal("60.00") and order.shipping_fee == 0
    payment = flows.channel_cash_take(number=order.number, agent=clerk)
    again = flows.channel_cash_take(number=order.number, agent=clerk)
    assert again.pk == payment.pk and payment.provider == "cash"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    sales = LedgerEntry.objects.filter(order=order, kind=LedgerKind.SALE)
    assert sales.count() == 1
    assert sales.aggregate(s=Sum("amount"))["s"] == payment.amount == Decimal("60.00")
    report = flows.cash_report(place=store, day=timezone.localdate(payment.succeeded_at))
    assert report == [{"clerk": clerk.username, "cash": Decimal("60.00")}]


def test_another_agent_sees_nothing_of_the_order(agent, station, variant):
    order, _ = _station_order(agent, station, variant)
    other = make_user()
    station.agents.add(other)
    with pytest.raises(Exception) as caught:
        flows.channel_cash_take(number=order.number, agent=other)
    assert getattr(caught.value, "code", "") == "not_found"


def test_pickup_needs_the_parcel_at_the_station_and_works_once(agent, station, variant):
    order, _ = _station_order(agent, station, variant)
    flows.channel_cash_take(number=order.number, agent=agent)
    code = ChannelOrder.objects.get(order=order).pickup_code
    with pytest.raises(NotReadyForPickup):
        flows.pickup_collect(place_slug=station.slug, code=code, agent=agent)
    flows.parcel_arrived(number=order.number, agent=agent)
    flows.parcel_arrived(number=order.number, agent=agent)  # a second scan: no second news
    news = Notification.objects.filter(kind=NotificationKind.ORDER_READY_FOR_PICKUP)
    assert news.count() == 1
    with pytest.raises(WrongPickupCode):
        flows.pickup_collect(place_slug=station.slug, code="12345", agent=agent)
    row = flows.pickup_collect(place_slug=station.slug, code=code, agent=agent)
    assert row.order_id == order.pk and row.collected_by_id == agent.pk
    with pytest.raises(AlreadyCollected):
        flows.pickup_collect(place_slug=station.slug, code=code, agent=agent)


def test_commission_after_a_partial_refund_is_right_to_the_fen(agent, station, variant):
    # 3 % on 2 × 20.00 = 40.00 → 1.20; after 13.37 is refunded: 26.63 × 3 % = 0.7989 → 0.80.
    Cooperative.objects.update(shipping_base_fee=0, shipping_fee_per_kg=0)
    order, _ = _station_order(agent, station, variant)
    assert order.total == Decimal("40.00")
    payment = flows.channel_cash_take(number=order.number, agent=agent)
    assert flows.station_commission(place=station) == Decimal("1.20")
    Refund.objects.create(
        payment=payment,
        out_refund_no=f"{payment.out_trade_no}-R1",
        amount=Decimal("13.37"),
        status=RefundStatus.SUCCEEDED,
    )
    assert flows.order_net_paid(order.pk) == Decimal("26.63")
    assert flows.station_commission(place=station) == Decimal("0.80")
    # A second order: each order's share is rounded once, then summed.
    order2, _ = _station_order(agent, station, variant, key="k-2", quantity=1)
    flows.channel_cash_take(number=order2.number, agent=agent)
    assert flows.station_commission(place=station) == Decimal("1.40")


def test_uncollected_parcels_are_flagged_once_after_the_stations_days(agent, station, variant):
    from datetime import timedelta

    from channels.services import uncollected_flag

    order, _ = _station_order(agent, station, variant)
    flows.channel_cash_take(number=order.number, agent=agent)
    flows.parcel_arrived(number=order.number, agent=agent)
    later = timezone.now() + timedelta(days=station.pickup_days, hours=1)
    assert uncollected_flag(now=timezone.now()) == 0
    assert uncollected_flag(now=later) == 1
    assert uncollected_flag(now=later) == 0
    assert ChannelOrder.objects.get(order=order).flagged_at is not None


def test_a_counter_sale_gets_no_pickup_code_even_at_a_pickup_point(clerk, store, variant):
    store.is_pickup_point = True
    store.save()
    order, _ = flows.counter_sale_place(
        clerk=clerk,
        place_slug=store.slug,
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key=None,
    )
    assert ChannelOrder.objects.get(order=order).pickup_code == ""


def test_a_cash_order_cancelled_is_handed_back_and_the_commission_reversed(
    agent, station, variant, django_capture_on_commit_callbacks
):
    from lifecycle.services import order_cancel
    from payments.constants import PaymentStatus

    order, _ = _station_order(agent, station, variant)
    payment = flows.channel_cash_take(number=order.number, agent=agent)
    assert flows.station_commission(place=station) > 0
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, note="villager changed their mind")
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert payment.status == PaymentStatus.REFUNDED
    refund = Refund.objects.get(payment=payment)
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == payment.amount
    assert LedgerEntry.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] == 0
    assert flows.station_commission(place=station) == Decimal("0.00")
    assert Variant.objects.get(pk=variant.pk).stock == 10
