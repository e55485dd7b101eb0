"""Every write of the members app: households, produce payments and dividends.

Keyword-only, typed, one transaction each. Amounts are Decimal yuan with two places; a
dividend is split to the fen by largest remainder, so its payments add up to it exactly.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from catalog.models import Cooperative
from storefront.errors import InvalidInput
from storefront.money import CENT, split_largest_remainder
from storefront.text import clean_line

from .constants import MAX_AMOUNT, DividendRule, PaymentKind
from .exceptions import NoHouseholdsToShare
from .models import Dividend, Household, HouseholdPayment

HOUSEHOLD_FIELDS = ("name", "village", "registered_poor", "share_units", "is_active", "user")


def _amount(value, field: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(details={field: [_("Enter an amount in yuan.")]}) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise InvalidInput(details={field: [_("Enter an amount with at most two decimals.")]})
    low_ok = amount >= 0 if allow_zero else amount > 0
    if not low_ok or amount > MAX_AMOUNT:
        raise InvalidInput(
            details={field: [_("Enter an amount between 0.01 and %(max)s.") % {"max": MAX_AMOUNT}]}
        )
    return amount.quantize(CENT)


def _clean_household_fields(fields: dict) -> dict:
    unknown = set(fields) - set(HOUSEHOLD_FIELDS)
    if unknown:
        raise InvalidInput(details={name: [_("Not editable.")] for name in sorted(unknown)})
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = clean_line(cleaned["name"], max_length=100)
        if not cleaned["name"]:
            raise InvalidInput(details={"name": [_("A name is required.")]})
    if "village" in cleaned:
        cleaned["village"] = clean_line(cleaned["village"], max_length=100)
    if "share_units" in cleaned:
        units = cleaned["share_units"]
        if not isinstance(units, int) or isinstance(units, bool) or not 0 <= units <= 1_000_000:
            raise InvalidInput(details={"share_units": [_("Enter a whole number of shares.")]})
    return cleaned


@transaction.atomic
def household_register(*, cooperative: Cooperative, name: str, **fields) -> Household:
    """A household of ``cooperative`` (``village``, ``registered_poor``, ``share_units``,
    ``user`` optional)."""
    cleaned = _clean_household_fields({"name": name, **fields})
    household = Household(cooperative=cooperative, **cleaned)
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def household_update(*, household: Household, **fields) -> Household:
    cleaned = _clean_household_fields(fields)
    household = Household.objects.select_for_update().get(pk=household.pk)
    for name, value in cleaned.items():
        setattr(household, name, value)
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def produce_payment_record(
    *,
    household: Household,
    paid_on: date,
    amount: Decimal,
    quantity_kg: Decimal | None = None,
    note: str = "",
    actor=None,
) -> HouseholdPayment:
    """What the cooperative paid ``household`` for produce it delivered."""
    amount = _amount(amount, "amount")
    if quantity_kg is not None and not Decimal(0) <= Decimal(quantity_kg) <= Decimal(1_000_000):
        raise InvalidInput(details={"quantity_kg": [_("Enter a weight between 0 and 1000000 kg.")]})
    return HouseholdPayment.objects.create(
        cooperative_id=household.cooperative_id,
        household=household,
        kind=PaymentKind.PRODUCE,
        paid_on=paid_on,
        amount=amount,
        quantity_kg=quantity_kg,
        note=clean_line(note, max_length=255),
        recorded_by=actor,
    )


def _dividend_weights(
    *,
    cooperative: Cooperative,
    rule: str,
    period_start: date | None,
    period_end: date | None,
) -> list[tuple[int, Decimal]]:
    households = Household.objects.filter(cooperative=cooperative, is_active=True).order_by("pk")
    if rule == DividendRule.EQUAL:
        return [(pk, Decimal(1)) for pk in households.values_list("pk", flat=True)]
    if rule == DividendRule.SHARE_UNITS:
        return [
            (pk, Decimal(units))
            for pk, units in households.values_list("pk", "share_units")
            if units
        ]
    if period_start is None or period_end is None or period_end < period_start:
        raise InvalidInput(
            details={"period_end": [_("Give the period of produce the dividend rewards.")]}
        )
    delivered = (
        HouseholdPayment.objects.filter(
            household__in=households,
            kind=PaymentKind.PRODUCE,
            paid_on__range=(period_start, period_end),
        )
        .values("household")
        .annotate(kg=Sum("quantity_kg"))
        .order_by("household")
    )
    return [(row["household"], row["kg"]) for row in delivered if row["kg"]]


@transaction.atomic
def dividend_distribute(
    *,
    cooperative: Cooperative,
    amount: Decimal,
    paid_on: date,
    rule: str,
    period_start: date | None = None,
    period_end: date | None = None,
    note: str = "",
    actor=None,
) -> Dividend:
    """Split ``amount`` between the cooperative's active households by ``rule`` and record
    each household's share; the shares add up to ``amount`` to the fen.

    Raises ``InvalidInput`` for a bad amount or rule, ``NoHouseholdsToShare`` when no
    household has a share under the rule.
    """
    amount = _amount(amount, "amount")
    if rule not in DividendRule.values:
        raise InvalidInput(details={"rule": [_("Unknown rule.")]})
    # One dividend at a time per cooperative: the household list cannot change mid-split.
    Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
    weights = _dividend_weights(
        cooperative=cooperative, rule=rule, period_start=period_start, period_end=period_end
    )
    if not weights:
        raise NoHouseholdsToShare()
    dividend = Dividend.objects.create(
        cooperative=cooperative,
        paid_on=paid_on,
        amount=amount,
        rule=rule,
        period_start=period_start if rule == DividendRule.PRODUCE else None,
        period_end=period_end if rule == DividendRule.PRODUCE else None,
        note=clean_line(note, max_length=255),
        recorded_by=actor,
    )
    parts = split_largest_remainder(amount, [w for _pk, w in weights])
    HouseholdPayment.objects.bulk_create(
        HouseholdPayment(
            cooperative=cooperative,
            household_id=household_id,
            kind=PaymentKind.DIVIDEND,
            paid_on=paid_on,
            amount=part,
            dividend=dividend,
            recorded_by=actor,
        )
        for (household_id, _w), part in zip(weights, parts, strict=True)
    )
    return dividend
