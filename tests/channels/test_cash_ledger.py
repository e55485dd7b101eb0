"""The counter's day's cash as a ledger: each clerk's close enters the cash taken (to the
fen) as the store's cash to hand over; the store manager's confirmation enters it handed
over; the report reads the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Cooperative
from channels.constants import PlaceKind
from channels.exceptions import CashDayClosed, CashNotClosed, NotAStoreManager
from channels.models import CashEntryKind, StoreCashEntry
from lifecycle.services import channels as flows
from payments.models import Payment
from tests.channels.conftest import make_place
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def manager():
    return make_user("store-boss")


@pytest.fixture
def two_clerk_store(clerk, manager):
    other = make_user("clerk-two")
    store = make_place(kind=PlaceKind.STORE, agents=[clerk, other], is_pickup_point=False)
    store.managers.add(manager)
    return store, other


def _sell(clerk, store, variant, quantity=1, key=None):
    order, _ = flows.counter_sale_place(
        clerk=clerk,
        place_slug=store.slug,
        lines=[{"variant": variant.pk, "quantity": quantity}],
        idempotency_key=key,
    )
    flows.channel_cash_take(number=order.number, agent=clerk)
    return order


def test_each_clerks_close_enters_their_cash_to_the_fen_and_the_handover_balances_it(
    clerk, manager, two_clerk_store
):
    store, other = two_clerk_store
    Cooperative.objects.update(shipping_base_fee=0, shipping_fee_per_kg=0)
    odd = make_product(price="13.37", stock=50).variants.get()
    cheap = make_product(price="0.99", stock=50).variants.get()
    _sell(clerk, store, odd, 3)  # 40.11
    _sell(clerk, store, cheap, 7)  # 6.93
    _sell(other, store, odd, 1)  # 13.37
    entry, created = flows.cash_day_close(place_slug=store.slug, clerk=clerk)
    again, created_again = flows.cash_day_close(place_slug=store.slug, clerk=clerk)
    assert created and not created_again and again.pk == entry.pk
    assert entry.kind == CashEntryKind.TAKEN
    assert entry.amount == Decimal("47.04") and entry.payments == 2
    clerk_cash = Payment.objects.filter(provider="cash", order__channel_order__agent=clerk)
    assert entry.amount == clerk_cash.aggregate(s=Sum("amount"))["s"]
    today = timezone.localdate()
    report = flows.cash_day_report(place=store, day=today)
    assert report["to_hand_over"] == Decimal("47.04")
    rows = {r["clerk"]: r for r in report["clerks"]}
    assert rows[clerk.username]["closed"] == Decimal("47.04") and rows[clerk.username]["balanced"]
    assert rows[other.username]["closed"] is None and not rows[other.username]["balanced"]
    assert rows[other.username]["cash"] == Decimal("13.37")
    handed, created = flows.cash_handover_confirm(
        place_slug=store.slug, manager=manager, clerk_username=clerk.username, day=today
    )
    twice, _ = flows.cash_handover_confirm(
        place_slug=store.slug, manager=manager, clerk_username=clerk.username, day=today
    )
    assert created and twice.pk == handed.pk
    assert handed.amount == Decimal("-47.04") and handed.recorded_by == manager
    assert flows.cash_day_report(place=store, day=today)["to_hand_over"] == Decimal("0.00")
    flows.cash_day_close(place_slug=store.slug, clerk=other)
    report = flows.cash_day_report(place=store, day=today)
    assert report["to_hand_over"] == Decimal("13.37")
    assert {r["clerk"]: r["handed_over"] for r in report["clerks"]} == {
        clerk.username: Decimal("47.04"),
        other.username: None,
    }
    assert StoreCashEntry.objects.aggregate(s=Sum("amount"))["s"] == Decimal("13.37")


def test_after_the_close_the_clerk_takes_no_more_cash_today_but_a_resend_is_fine(
    clerk, two_clerk_store, variant
):
    store, _other = two_clerk_store
    paid = _sell(clerk, store, variant)
    flows.cash_day_close(place_slug=store.slug, clerk=clerk)
    flows.channel_cash_take(number=paid.number, agent=clerk)  # a resend: same payment
    order, _ = flows.counter_sale_place(
        clerk=clerk,
        place_slug=store.slug,
        lines=[{"variant": variant.pk, "quantity": 1}],
        idempotency_key=None,
    )
    with pytest.raises(CashDayClosed):
        flows.channel_cash_take(number=order.number, agent=clerk)
    assert Payment.objects.filter(order=order).count() == 0
    entry = StoreCashEntry.objects.get()
    assert entry.amount == Payment.objects.get().amount


def test_the_handover_needs_a_manager_and_a_closed_day(clerk, manager, two_clerk_store):
    store, other = two_clerk_store
    today = timezone.localdate()
    with pytest.raises(CashNotClosed):
        flows.cash_handover_confirm(
            place_slug=store.slug, manager=manager, clerk_username=clerk.username, day=today
        )
    flows.cash_day_close(place_slug=store.slug, clerk=clerk)
    with pytest.raises(NotAStoreManager):
        flows.cash_handover_confirm(
            place_slug=store.slug, manager=other, clerk_username=clerk.username, day=today
        )
    assert StoreCashEntry.objects.count() == 1


def test_the_cash_api_with_bad_input(clerk, manager, two_clerk_store, variant):
    store, other = two_clerk_store
    _sell(clerk, store, variant)
    base = f"/api/v1/channels/{store.slug}/"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future = _client(clerk).post(base + "cash-close/", {"day": tomorrow}, format="json")
    assert future.status_code == 400 and future.json()["error"]["code"] == "invalid"
    bad = _client(clerk).post(base + "cash-close/", {"day": 5}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    stranger = _client(make_user()).post(base + "cash-close/", {}, format="json")
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "not_an_agent"
    nowhere = _client(clerk).post("/api/v1/channels/nowhere/cash-close/", {}, format="json")
    assert nowhere.status_code == 404
    closed = _client(clerk).post(base + "cash-close/", {}, format="json")
    assert closed.status_code == 201 and closed.json()["amount"] == "20.00"
    assert closed.json()["kind"] == "taken" and closed.json()["payments"] == 1
    assert _client(clerk).post(base + "cash-close/", {}, format="json").status_code == 200
    today = timezone.localdate().isoformat()
    body = {"clerk": clerk.username, "day": today}
    not_boss = _client(other).post(base + "cash-handover/", body, format="json")
    assert not_boss.status_code == 403
    assert not_boss.json()["error"]["code"] == "not_a_store_manager"
    not_clerk = _client(manager).post(
        base + "cash-handover/", {"clerk": "nobody", "day": today}, format="json"
    )
    assert not_clerk.status_code == 404
    open_day = _client(manager).post(
        base + "cash-handover/", {"clerk": other.username, "day": today}, format="json"
    )
    assert open_day.status_code == 409 and open_day.json()["error"]["code"] == "cash_not_closed"
    no_day = _client(manager).post(base + "cash-handover/", {"clerk": clerk.username})
    assert no_day.status_code == 400 and "day" in no_day.json()["error"]["details"]
    done = _client(manager).post(base + "cash-handover/", body, format="json")
    assert done.status_code == 201 and done.json()["amount"] == "-20.00"
    assert done.json()["recorded_by"] == manager.username
    report = _client(manager).get(base + "cash-report/").json()
    assert report["to_hand_over"] == "0.00"
    mine = next(r for r in report["clerks"] if r["clerk"] == clerk.username)
    assert mine == {
        "clerk": clerk.username,
        "cash": "20.00",
        "closed": "20.00",
        "handed_over": "20.00",
        "balanced": True,
    }
    outsider = _client(make_user()).get(base + "cash-report/")
    assert outsider.status_code == 403
