"""wholesale.pricing.price_for: the one rule, over the tier table of the issue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_cooperative, make_organisation, make_product
from wholesale.models import BuyerGroup, PriceList, PriceTier
from wholesale.pricing import GROUP, ORGANISATION, PUBLIC, price_for
from wholesale.validators import credit_code_is_valid

pytestmark = pytest.mark.django_db


def _list(coop, tiers, *, organisation=None, group=None, **fields):
    today = timezone.localdate()
    pl = PriceList.objects.create(
        cooperative=coop,
        name=fields.pop("name", "list"),
        organisation=organisation,
        group=group,
        valid_from=fields.pop("valid_from", today - timedelta(days=1)),
        **fields,
    )
    for variant, minimum, price in tiers:
        PriceTier.objects.create(
            price_list=pl, variant=variant, min_quantity=minimum, unit_price=Decimal(price)
        )
    return pl


@pytest.fixture
def world():
    coop = make_cooperative()
    variant = make_product(cooperative=coop, price="178.00").variants.get()
    org = make_organisation(cooperative=coop)
    group = BuyerGroup.objects.create(cooperative=coop, name="mills")
    group.organisations.add(org)
    _list(
        coop,
        [(variant, 1, "170.00"), (variant, 10, "160.00"), (variant, 100, "150.00")],
        group=group,
        name="mills",
    )
    return coop, variant, org, group


@pytest.mark.parametrize(
    ("quantity", "price", "minimum"),
    [
        (1, "170.00", 1),
        (9, "170.00", 1),
        (10, "160.00", 10),
        (13, "160.00", 10),
        (99, "160.00", 10),
        (100, "150.00", 100),
    ],
)
def test_the_highest_tier_at_or_below_the_quantity_prices_it(world, quantity, price, minimum):
    _coop, variant, org, _group = world
    got = price_for(organisation=org, variant=variant, quantity=quantity)
    assert (got.unit_price, got.min_quantity, got.source) == (Decimal(price), minimum, GROUP)
    assert got.tier_id is not None and got.price_list_name == "mills"


def test_an_organisation_in_two_groups_gets_the_lowest_group_price(world):
    coop, variant, org, _group = world
    other = BuyerGroup.objects.create(cooperative=coop, name="canteens")
    other.organisations.add(org)
    _list(coop, [(variant, 1, "168.00"), (variant, 10, "161.00")], group=other, name="canteens")
    assert price_for(organisation=org, variant=variant, quantity=5).unit_price == Decimal("168.00")
    assert price_for(organisation=org, variant=variant, quantity=13).unit_price == Decimal("160.00")


def test_an_organisation_list_wins_over_a_group_list_even_when_dearer(world):
    coop, variant, org, _group = world
    _list(coop, [(variant, 10, "162.00")], organisation=org, name="contract")
    got = price_for(organisation=org, variant=variant, quantity=13)
    assert (got.unit_price, got.source, got.price_list_name) == (
        Decimal("162.00"),
        ORGANISATION,
        "contract",
    )
    # Below the organisation list's first tier the group list still applies.
    assert price_for(organisation=org, variant=variant, quantity=3).source == GROUP


def test_an_expired_or_future_or_inactive_list_is_ignored(world):
    coop, variant, org, group = world
    today = timezone.localdate()
    PriceList.objects.filter(group=group).update(valid_until=today - timedelta(days=1))
    _list(coop, [(variant, 1, "100.00")], organisation=org, valid_from=today + timedelta(days=1))
    _list(coop, [(variant, 1, "90.00")], organisation=org, is_active=False)
    got = price_for(organisation=org, variant=variant, quantity=13)
    assert (got.unit_price, got.source, got.price_list_id) == (Decimal("178.00"), PUBLIC, None)
    # The last valid day still counts.
    PriceList.objects.filter(group=group).update(valid_until=today)
    assert price_for(organisation=org, variant=variant, quantity=13).unit_price == Decimal("160.00")


def test_another_organisation_and_another_cooperative_lists_do_not_apply(world):
    coop, variant, org, _group = world
    stranger = make_organisation(cooperative=coop)
    _list(coop, [(variant, 1, "1.00")], organisation=stranger)
    _list(make_cooperative(), [(variant, 1, "2.00")], organisation=org)
    assert price_for(organisation=org, variant=variant, quantity=1).unit_price == Decimal("170.00")
    assert price_for(organisation=stranger, variant=variant, quantity=1).unit_price == Decimal(
        "1.00"
    )


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("91350100M000100Y43", True),
        ("91350100M000100Y44", False),
        ("91350100M000100Y4", False),
        ("91350100M000100YI3", False),
    ],
)
def test_credit_code_check_character(code, ok):
    assert credit_code_is_valid(code) is ok
