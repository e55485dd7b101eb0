"""Requests for quotation: the cooperative answers with a price and a quality
specification; a batch outside the specification cannot fulfil the quote."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from storefront.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from tests.factories import make_batch, make_manager, make_organisation, make_product
from wholesale import contracts, services
from wholesale import exceptions as exc

pytestmark = pytest.mark.django_db

SPEC = {"protein_pct": ["12.5", "14.5"], "moisture_pct": [None, "14.0"], "ash_pct": [None, "0.60"]}


def _quoted():
    product = make_product(price="178.00")
    coop = product.cooperative
    org = make_organisation(cooperative=coop)
    member = org.members.get()
    quote = services.quote_request(
        member=member, variant=product.variants.get(), quantity=400, schedule="100 bags a month"
    )
    manager = make_manager(coop)
    services.quote_answer(
        quote=quote,
        by=manager,
        unit_price=Decimal("150.00"),
        valid_until=timezone.localdate() + timedelta(days=14),
        delivery_dates=["2027-01-05", "2027-02-05"],
        spec=SPEC,
    )
    return quote, member, product


def test_a_batch_that_misses_the_specification_cannot_fulfil_the_quote():
    quote, member, product = _quoted()
    contracts.quote_accept(quote=quote, member=member)
    good = make_batch(
        product=product,
        protein_pct=Decimal("13.5"),
        moisture_pct=Decimal("13.0"),
        ash_pct=Decimal("0.55"),
    )
    services.quote_batch_check(quote, good)
    wet = make_batch(
        product=product,
        protein_pct=Decimal("13.5"),
        moisture_pct=Decimal("14.5"),
        ash_pct=Decimal("0.55"),
    )
    with pytest.raises(exc.BatchOffSpec) as raised:
        services.quote_batch_check(quote, wet)
    assert raised.value.details["figures"] == ["moisture_pct"]
    unmeasured = make_batch(product=product, ash_pct=None)
    with pytest.raises(exc.BatchOffSpec):
        services.quote_batch_check(quote, unmeasured)  # a missing figure is not a pass
    other = make_batch(product=make_product(), ash_pct=Decimal("0.5"))
    with pytest.raises(exc.BatchOffSpec):
        services.quote_batch_check(quote, other)


def test_quote_answers_and_acceptance_are_checked():
    quote, member, product = _quoted()
    with pytest.raises(PermissionDenied):
        services.quote_answer(
            quote=quote,
            by=make_manager(make_product().cooperative),
            unit_price=Decimal("1"),
            valid_until=timezone.localdate(),
        )
    with pytest.raises(InvalidInput):
        services.quote_answer(
            quote=quote,
            by=make_manager(product.cooperative),
            unit_price=Decimal("1"),
            valid_until=timezone.localdate(),
            spec={"colour": [1, 2]},
        )
    stranger = make_organisation(cooperative=product.cooperative).members.get()
    with pytest.raises(NotFound):
        contracts.quote_accept(quote=quote, member=stranger)
    quote.valid_until = timezone.localdate() - timedelta(days=1)
    quote.save()
    with pytest.raises(InvalidState):
        contracts.quote_accept(quote=quote, member=member)
