"""Purchase orders through checkout: the buyer's prices on the lines, the pricing
recorded, credit claimed in the placement and given back on an unpaid cancellation;
on PostgreSQL, 20 credit orders at once never pass the limit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lifecycle import services as flows
from lifecycle.services.wholesale import wholesale_order_place
from orders.constants import OrderStatus
from orders.models import Order
from tests.concurrency import run_together
from tests.factories import ADDRESS, make_cooperative, make_organisation, make_product, make_user
from wholesale import exceptions as exc
from wholesale import services
from wholesale.models import CreditAccount, Invoice, PriceList, PriceTier, WholesaleOrder


def _setup(*, price="100.00", stock=1000, limit=None, shipping="0.00", **credit):
    coop = make_cooperative(
        shipping_base_fee=Decimal(shipping),
        shipping_fee_per_kg=Decimal("0"),
        free_shipping_over=None,
    )
    variant = make_product(cooperative=coop, price="120.00", stock=stock).variants.get()
    org = make_organisation(cooperative=coop)
    pl = PriceList.objects.create(
        cooperative=coop, name="mill", organisation=org, valid_from=timezone.localdate()
    )
    PriceTier.objects.create(
        price_list=pl, variant=variant, min_quantity=1, unit_price=Decimal(price)
    )
    PriceTier.objects.create(
        price_list=pl, variant=variant, min_quantity=10, unit_price=Decimal("90.00")
    )
    if limit is not None:
        services.credit_grant(organisation=org, cooperative=coop, limit=Decimal(limit), **credit)
    buyer = org.members.get().user
    return coop, variant, org, buyer, pl


def _place(buyer, variant, qty=1, po="PO-1", on_credit=False):
    return wholesale_order_place(
        user=buyer,
        lines=[{"variant": variant.pk, "quantity": qty}],
        po_number=po,
        on_credit=on_credit,
        shipping_address=ADDRESS,
    )


@pytest.mark.django_db
def test_lines_carry_the_tier_price_and_the_order_records_list_and_tier():
    _coop, variant, _org, buyer, pl = _setup()
    order, created = _place(buyer, variant, qty=13)
    assert created and order.channel == "wholesale" and order.placed_by == buyer
    line = order.lines.get()
    assert line.unit_price == Decimal("90.00") and line.line_total == Decimal("1170.00")
    record = order.wholesale.pricing[str(variant.pk)]
    tier = PriceTier.objects.get(price_list=pl, min_quantity=10)
    assert (record["price_list"], record["tier"], record["source"]) == (
        pl.pk,
        tier.pk,
        "organisation",
    )
    assert order.status == OrderStatus.PENDING_PAYMENT  # not on credit: paid online


@pytest.mark.django_db
def test_errors_each_have_a_code():
    _coop, variant, org, buyer, pl = _setup(limit="500.00", approval_above="300.00")
    with pytest.raises(exc.NotWholesaleBuyer):
        _place(make_user(), variant)
    _place(buyer, variant, po="DUP")
    with pytest.raises(exc.DuplicatePurchaseOrder):
        _place(buyer, variant, po="DUP")
    with pytest.raises(exc.ApprovalRequired):
        _place(buyer, variant, qty=4, po="BIG", on_credit=True)
    PriceList.objects.filter(pk=pl.pk).update(min_order_amount=Decimal("1000.00"))
    with pytest.raises(exc.BelowMinimumOrder):
        _place(buyer, variant, po="SMALL")
    assert CreditAccount.objects.get(organisation=org).used == 0
    other = make_product(cooperative=make_cooperative()).variants.get()
    with pytest.raises(exc.OneCooperativePerOrder):
        wholesale_order_place(
            user=buyer,
            lines=[{"variant": variant.pk, "quantity": 10}, {"variant": other.pk, "quantity": 1}],
            po_number="TWO",
            shipping_address=ADDRESS,
        )


@pytest.mark.django_db
def test_a_credit_order_skips_payment_and_an_overdue_invoice_blocks_the_next():
    _coop, variant, org, buyer, _pl = _setup(limit="1000.00")
    order, _ = _place(buyer, variant, qty=2, on_credit=True)
    assert order.status == OrderStatus.PAID and order.wholesale.on_credit
    assert CreditAccount.objects.get(organisation=org).used == Decimal("200.00")
    with pytest.raises(exc.CreditLimitExceeded):
        _place(buyer, variant, qty=10, po="PO-2", on_credit=True)  # 900 > 800 left
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    invoice = services.invoice_issue(wholesale_order=order.wholesale)
    Invoice.objects.filter(pk=invoice.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(exc.CreditBlockedOverdue):
        _place(buyer, variant, po="PO-3", on_credit=True)
    services.invoice_payment_record(invoice=invoice, amount=Decimal("200.00"), reference="BANK-1")
    assert CreditAccount.objects.get(organisation=org).used == 0
    _place(buyer, variant, po="PO-3", on_credit=True)


@pytest.mark.django_db
def test_no_credit_terms_no_credit_order():
    _coop, variant, _org, buyer, _pl = _setup()
    with pytest.raises(exc.NoCredit):
        _place(buyer, variant, on_credit=True)


@pytest.mark.django_db
def test_an_unpaid_credit_order_gives_its_credit_back_once_when_it_expires(monkeypatch):
    _coop, variant, org, buyer, _pl = _setup(limit="1000.00")
    # The process dies between the placement and the "on credit" mark: the order stays
    # unpaid with the credit taken, and its expiry gives the credit back.
    monkeypatch.setattr(
        "lifecycle.services.wholesale.order_mark_paid",
        lambda **kw: (_ for _ in ()).throw(RuntimeError("died")),
    )
    with pytest.raises(RuntimeError):
        _place(buyer, variant, qty=3, on_credit=True)
    order = Order.objects.get(wholesale__po_number="PO-1")
    assert CreditAccount.objects.get(organisation=org).used == Decimal("300.00")
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    flows.orders_expire_overdue()
    flows.orders_expire_overdue()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert CreditAccount.objects.get(organisation=org).used == 0
    assert WholesaleOrder.objects.get(order=order).credit_released


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_credit_orders_at_once_against_a_limit_that_fits_seven():
    _coop, variant, org, buyer, _pl = _setup(limit="700.00")

    def work(i):
        order, _ = _place(buyer, variant, qty=1, po=f"PO-{i}", on_credit=True)
        return order.pk

    results = run_together(20, work)
    placed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, exc.CreditLimitExceeded)]
    assert len(placed) == 7 and len(refused) == 13, results
    assert CreditAccount.objects.get(organisation=org).used == Decimal("700.00")
    assert WholesaleOrder.objects.filter(on_credit=True).count() == 7


@pytest.mark.django_db
def test_a_paid_credit_order_cancelled_before_shipping_gives_the_credit_back():
    _coop, variant, org, buyer, _pl = _setup(limit="1000.00")
    order, _ = _place(buyer, variant, qty=3, on_credit=True)
    assert CreditAccount.objects.get(organisation=org).used == Decimal("300.00")
    flows.order_cancel(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert CreditAccount.objects.get(organisation=org).used == 0
    assert variant.__class__.objects.get(pk=variant.pk).stock == 1000
