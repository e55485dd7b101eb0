"""The members admin (households, produce payments, dividends) as a cooperative's
manager uses it: scoped to their cooperative, every save through members.services,
payments and dividends append-only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from members import services as members
from members.models import Dividend, Household, HouseholdPayment
from tests.factories import make_cooperative, make_manager

pytestmark = pytest.mark.django_db

ADMIN = "/admin/members/"


@pytest.fixture
def two_coops():
    coop, other = make_cooperative(name="金麦田合作社"), make_cooperative(name="别家合作社")
    mine = members.household_register(cooperative=coop, name="阿依古丽家", registered_poor=True)
    theirs = members.household_register(cooperative=other, name="别家农户")
    return coop, other, mine, theirs


def test_a_manager_lists_and_opens_only_their_cooperatives_households(client, two_coops):
    coop, _other, mine, theirs = two_coops
    client.force_login(make_manager(coop))
    listing = client.get(f"{ADMIN}household/").content.decode()
    assert "阿依古丽家" in listing and "别家农户" not in listing
    assert client.get(f"{ADMIN}household/{mine.pk}/change/").status_code == 200
    foreign = client.get(f"{ADMIN}household/{theirs.pk}/change/", follow=True)
    assert "别家农户" not in foreign.content.decode()
    payment = members.produce_payment_record(
        household=theirs, paid_on=date(2026, 3, 1), amount=Decimal("88.00")
    )
    assert "88.00" not in client.get(f"{ADMIN}householdpayment/").content.decode()
    opened = client.get(f"{ADMIN}householdpayment/{payment.pk}/change/", follow=True)
    assert "88.00" not in opened.content.decode()


def test_a_produce_payment_is_recorded_through_the_service_for_own_households_only(
    client, two_coops
):
    coop, _other, mine, theirs = two_coops
    manager = make_manager(coop)
    client.force_login(manager)
    form = {"paid_on": "2026-03-02", "amount": "120.50", "quantity_kg": "300", "note": "小麦"}
    added = client.post(f"{ADMIN}householdpayment/add/", {**form, "household": mine.pk})
    assert added.status_code == 302, added.content.decode()[:2000]
    payment = HouseholdPayment.objects.get(household=mine)
    assert (payment.amount, payment.cooperative_id, payment.recorded_by_id) == (
        Decimal("120.50"),
        coop.pk,
        manager.pk,
    )
    refused = client.post(f"{ADMIN}householdpayment/add/", {**form, "household": theirs.pk})
    assert refused.status_code == 200  # the form again, with the household refused
    assert not HouseholdPayment.objects.filter(household=theirs).exists()
    negative = client.post(
        f"{ADMIN}householdpayment/add/", {**form, "household": mine.pk, "amount": "-5"}
    )
    assert negative.status_code == 200 and HouseholdPayment.objects.count() == 1


def test_payments_and_dividends_cannot_be_changed_or_deleted(client, two_coops):
    coop, _other, mine, _theirs = two_coops
    payment = members.produce_payment_record(
        household=mine, paid_on=date(2026, 3, 1), amount=Decimal("50.00")
    )
    client.force_login(make_manager(coop))
    client.post(
        f"{ADMIN}householdpayment/{payment.pk}/change/",
        {"household": mine.pk, "paid_on": "2026-03-01", "amount": "5000.00"},
    )
    assert HouseholdPayment.objects.get(pk=payment.pk).amount == Decimal("50.00")
    assert client.post(f"{ADMIN}householdpayment/{payment.pk}/delete/").status_code == 403
    assert HouseholdPayment.objects.filter(pk=payment.pk).exists()


def test_a_dividend_from_the_admin_splits_to_the_fen(client, two_coops):
    coop, _other, _mine, _theirs = two_coops
    members.household_register(cooperative=coop, name="第二户")
    members.household_register(cooperative=coop, name="第三户")
    client.force_login(make_manager(coop))
    response = client.post(
        f"{ADMIN}dividend/add/",
        {"cooperative": coop.pk, "paid_on": "2026-04-01", "amount": "100.00", "rule": "equal"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dividend = Dividend.objects.get(cooperative=coop)
    shares = HouseholdPayment.objects.filter(dividend=dividend)
    assert shares.count() == Household.objects.filter(cooperative=coop).count() == 3
    assert sum(s.amount for s in shares) == Decimal("100.00")
    assert sorted(s.amount for s in shares) == [Decimal("33.33")] * 2 + [Decimal("33.34")]
