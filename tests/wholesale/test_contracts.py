"""Contracts: an accepted quote becomes a contract with scheduled deliveries; the beat
sweep places each due delivery through checkout at the contract price, exactly once,
from a batch on specification, waiting (with the reason) when stock is short."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.constants import StockReason
from catalog.models import StockMovement, Variant
from catalog.stock import stock_adjust
from lifecycle.services.contracts import contract_deliveries_sweep, contract_delivery_place
from orders.constants import OrderStatus
from orders.models import Order
from storefront.errors import InvalidInput, InvalidState, NotFound
from tests.concurrency import run_together
from tests.factories import (
    make_batch,
    make_cooperative,
    make_manager,
    make_organisation,
    make_product,
)
from wholesale import contracts, services
from wholesale.constants import ContractStatus, DeliveryStatus, QuoteStatus
from wholesale.models import ContractDelivery, CreditAccount, WholesaleOrder

SPEC = {"protein_pct": ["12.5", "14.5"], "moisture_pct": [None, "14.0"]}
TODAY = date(2027, 3, 1)


def _contract(*, dates, quantity=90, stock=1000, credit="100000.00", quantities=None):
    coop = make_cooperative(
        shipping_base_fee=Decimal("0"), shipping_fee_per_kg=Decimal("0"), free_shipping_over=None
    )
    product = make_product(cooperative=coop, price="178.00", stock=stock)
    make_batch(product=product, protein_pct=Decimal("13.5"), moisture_pct=Decimal("13.0"))
    org = make_organisation(cooperative=coop)
    if credit:
        services.credit_grant(organisation=org, cooperative=coop, limit=Decimal(credit))
    member = org.members.get()
    quote = services.quote_request(
        member=member, variant=product.variants.get(), quantity=quantity, schedule="monthly"
    )
    services.quote_answer(
        quote=quote,
        by=make_manager(coop),
        unit_price=Decimal("150.00"),
        valid_until=timezone.localdate() + timedelta(days=14),
        delivery_dates=[str(d) for d in dates],
        spec=SPEC,
    )
    contract = contracts.quote_accept(quote=quote, member=member, quantities=quantities)
    return contract, product.variants.get(), org


@pytest.mark.django_db
def test_accepting_a_quote_makes_a_contract_with_the_schedule():
    contract, _variant, org = _contract(dates=[date(2027, 3, 1), date(2027, 1, 5)], quantity=91)
    assert contract.quote.status == QuoteStatus.ACCEPTED
    assert (contract.unit_price, contract.spec, contract.quantity) == (
        Decimal("150.00"),
        SPEC,
        91,
    )
    rows = list(contract.deliveries.values_list("seq", "due_on", "quantity", "status"))
    assert rows == [
        (1, date(2027, 1, 5), 46, DeliveryStatus.SCHEDULED),
        (2, date(2027, 3, 1), 45, DeliveryStatus.SCHEDULED),
    ]
    with pytest.raises(InvalidState):  # accepted once
        contracts.quote_accept(quote=contract.quote, member=org.members.get())


@pytest.mark.django_db
def test_acceptance_quantities_are_checked_and_nothing_is_kept_on_refusal():
    with pytest.raises(InvalidInput):
        _contract(dates=[TODAY, TODAY + timedelta(days=30)], quantity=90, quantities=[50, 50])
    with pytest.raises(InvalidInput):
        _contract(dates=[TODAY], quantity=90, quantities=[45, 45])
    with pytest.raises(InvalidInput):
        _contract(dates=[TODAY, TODAY], quantity=1)  # more dates than units
    assert not ContractDelivery.objects.exists()
    contract, _v, _org = _contract(dates=[TODAY, TODAY + timedelta(days=30)], quantities=[60, 30])
    assert list(contract.deliveries.values_list("quantity", flat=True)) == [60, 30]


@pytest.mark.django_db
def test_another_organisations_quote_is_not_found():
    _c, variant, org = _contract(dates=[TODAY])
    stranger = make_organisation(cooperative=org.cooperative).members.get()
    quote = services.quote_request(member=stranger, variant=variant, quantity=5)
    with pytest.raises(NotFound):
        contracts.quote_accept(quote=quote, member=org.members.get())


@pytest.mark.django_db
def test_a_due_delivery_is_placed_through_checkout_at_the_contract_price_on_credit():
    contract, variant, org = _contract(dates=[TODAY, TODAY + timedelta(days=31)])
    counts = contract_deliveries_sweep(today=TODAY)
    assert counts == {"placed": 1, "waiting": 0}
    first, second = contract.deliveries.all()
    assert first.status == DeliveryStatus.PLACED and second.status == DeliveryStatus.SCHEDULED
    order = first.order
    line = order.lines.get()
    assert (line.unit_price, line.quantity) == (Decimal("150.00"), 45)
    assert order.status == OrderStatus.PAID and order.channel == "wholesale"
    wo = WholesaleOrder.objects.get(order=order)
    assert wo.po_number == f"C{contract.pk}-1" and wo.on_credit
    assert wo.pricing[str(variant.pk)]["contract"] == contract.pk
    assert CreditAccount.objects.get(organisation=org).used == order.total
    assert first.batch.protein_pct == Decimal("13.5")
    # The stock moved through the stock service, as a movement of the order.
    move = StockMovement.objects.get(order_id=order.pk)
    assert (move.delta, move.reason) == (-45, StockReason.SALE)
    assert Variant.objects.get(pk=variant.pk).stock == 955
    # Nothing more today; the second on its day, then the contract is complete.
    assert contract_deliveries_sweep(today=TODAY) == {"placed": 0, "waiting": 0}
    contract_deliveries_sweep(today=TODAY + timedelta(days=31))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.COMPLETED
    assert Order.objects.filter(channel="wholesale").count() == 2


@pytest.mark.django_db
def test_without_credit_terms_the_delivery_order_waits_for_payment():
    contract, _variant, _org = _contract(dates=[TODAY], credit=None)
    contract_deliveries_sweep(today=TODAY)
    order = contract.deliveries.get().order
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not order.wholesale.on_credit


@pytest.mark.django_db
def test_short_of_stock_the_delivery_waits_with_the_reason_and_is_placed_once_restocked():
    contract, variant, _org = _contract(dates=[TODAY], quantity=90, stock=40)
    assert contract_deliveries_sweep(today=TODAY) == {"placed": 0, "waiting": 1}
    delivery = contract.deliveries.get()
    assert delivery.status == DeliveryStatus.WAITING and delivery.order is None
    assert delivery.reason.startswith("insufficient_stock: 90 due, 40 in stock")
    assert Variant.objects.get(pk=variant.pk).stock == 40  # never oversold
    assert not Order.objects.exists() and not WholesaleOrder.objects.exists()
    assert CreditAccount.objects.get().used == 0  # the credit claim rolled back too
    stock_adjust(variant_id=variant.pk, delta=60, actor=None)
    assert contract_deliveries_sweep(today=TODAY + timedelta(days=1)) == {
        "placed": 1,
        "waiting": 0,
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PLACED and delivery.reason == ""
    assert delivery.attempts == 2
    assert Variant.objects.get(pk=variant.pk).stock == 10


@pytest.mark.django_db
def test_a_delivery_is_never_fulfilled_from_a_batch_off_the_specification():
    contract, variant, _org = _contract(dates=[TODAY])
    # A newer batch, too wet: it is what would be packed, so the delivery waits.
    wet = make_batch(
        product=variant.product,
        harvested_on=date(2026, 9, 1),
        protein_pct=Decimal("13.5"),
        moisture_pct=Decimal("14.6"),
    )
    contract_deliveries_sweep(today=TODAY)
    delivery = contract.deliveries.get()
    assert delivery.status == DeliveryStatus.WAITING
    assert delivery.reason.startswith("batch_off_spec")
    assert f"batch {wet.code}: moisture_pct" in delivery.reason
    assert Variant.objects.get(pk=variant.pk).stock == 1000
    good = make_batch(
        product=variant.product,
        harvested_on=date(2026, 10, 1),
        milled_on=None,
        protein_pct=Decimal("13.0"),
        moisture_pct=Decimal("13.5"),
    )
    contract_deliveries_sweep(today=TODAY)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PLACED and delivery.batch == good


@pytest.mark.django_db
def test_a_sweep_after_months_of_beat_down_places_every_due_delivery_once():
    start = TODAY - timedelta(days=120)
    dates = [start + timedelta(days=30 * i) for i in range(6)]  # 4 past, 1 today... 1 later
    contract, variant, _org = _contract(dates=dates, quantity=60)
    counts = contract_deliveries_sweep(today=TODAY)
    assert counts == {"placed": 5, "waiting": 0}
    assert contract_deliveries_sweep(today=TODAY) == {"placed": 0, "waiting": 0}
    assert Order.objects.count() == 5
    assert Variant.objects.get(pk=variant.pk).stock == 1000 - 50
    assert contract.deliveries.filter(status=DeliveryStatus.SCHEDULED).count() == 1


@pytest.mark.django_db
def test_placing_a_delivery_not_due_or_already_placed_changes_nothing():
    contract, _variant, _org = _contract(dates=[TODAY + timedelta(days=3)])
    delivery = contract.deliveries.get()
    assert contract_delivery_place(delivery_id=delivery.pk, today=TODAY) is None
    assert contract_delivery_place(delivery_id=delivery.pk, today=TODAY + timedelta(days=3))
    assert contract_delivery_place(delivery_id=delivery.pk, today=TODAY + timedelta(days=3)) is None
    assert Order.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_place_each_due_delivery_exactly_once():
    dates = [TODAY - timedelta(days=7 * i) for i in range(8)]
    _c, variant, org = _contract(dates=dates, quantity=80)
    results = run_together(2, lambda i: contract_deliveries_sweep(today=TODAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["placed"] for r in results) == 8
    assert Order.objects.count() == 8
    assert ContractDelivery.objects.filter(status=DeliveryStatus.PLACED).count() == 8
    assert Variant.objects.get(pk=variant.pk).stock == 1000 - 80
    assert CreditAccount.objects.get(organisation=org).used == Decimal("12000.00")
