"""PlacementPlan: what features add to a placement (orders.services.plan)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from catalog.models import StockMovement, Variant
from orders.exceptions import IdempotencyConflict, InsufficientStock
from orders.models import CartItem, Order, OrderLine
from orders.services import Discount, PlacementPlan, order_place, placement
from orders.services.plan import discounts_apply
from payments.constants import LedgerKind
from payments.models import LedgerEntry
from payments.services.ledger import ledger_record_sale
from storefront.errors import ApplicationError, InvalidInput
from tests.factories import make_cooperative, make_county, make_payment, make_product, make_user

pytestmark = pytest.mark.django_db

D = Decimal


class ClaimRefused(ApplicationError):
    code = "claim_refused"
    status_code = 409


def _line(variant, quantity):
    return [{"variant": variant.pk, "quantity": quantity}]


def _place(buyer, address, lines, plan=None, key=None):
    return order_place(
        user=buyer, shipping_address=address, lines=lines, plan=plan, idempotency_key=key
    )


def test_no_plan_places_as_before(buyer, address):
    variant = make_product(price="10.00", stock=5).variants.get()
    order, created = _place(buyer, address, _line(variant, 2))
    assert created and order.discount_total == D("0.00") and order.channel == "online"
    assert order.placed_by is None
    assert order.total == order.subtotal + order.shipping_fee
    assert order.lines.get().discount == D("0.00")


def test_unit_price_override_prices_the_line(buyer, address):
    variant = make_product(price="10.00", stock=5).variants.get()
    plan = PlacementPlan(unit_prices={variant.pk: D("7.50")})
    order, _ = _place(buyer, address, _line(variant, 2), plan)
    line = order.lines.get()
    assert (line.unit_price, line.line_total) == (D("7.50"), D("15.00"))
    assert order.subtotal == D("15.00")
    assert order.total == D("15.00") + order.shipping_fee
    assert Variant.objects.get(pk=variant.pk).stock == 3


def test_a_list_price_change_still_reprices_an_overridden_line(buyer, address, monkeypatch):
    # The stock UPDATE guards the LIST price: a change before it rolls back and prices
    # again (the override itself is the feature's and stays).
    variant = make_product(price="10.00", stock=5).variants.get()
    real = placement._order_create
    calls = []

    def change_meanwhile(**kwargs):
        calls.append(1)
        Variant.objects.filter(pk=variant.pk).update(price=D("12.00"))
        monkeypatch.setattr(placement, "_order_create", real)
        return real(**kwargs)

    monkeypatch.setattr(placement, "_order_create", change_meanwhile)
    hooked = []
    plan = PlacementPlan(
        unit_prices={variant.pk: D("8.00")},
        hooks=[lambda order, priced: hooked.append(dict(priced.prices))],
    )
    order, _ = _place(buyer, address, _line(variant, 1), plan)
    assert order.lines.get().unit_price == D("8.00")
    # first try priced against 10.00 and rolled back; the second against 12.00
    assert hooked == [{variant.pk: D("10.00")}, {variant.pk: D("12.00")}]
    assert Variant.objects.get(pk=variant.pk).stock == 4


def test_discount_split_over_lines_to_the_fen(buyer, address):
    coop = make_cooperative()
    a = make_product(cooperative=coop, price="10.00").variants.get()
    b = make_product(cooperative=coop, price="20.00").variants.get()
    plan = PlacementPlan(discounts=[Discount(source="voucher:TEN", amount=D("10.00"))])
    order, _ = _place(buyer, address, [*_line(a, 1), *_line(b, 1)], plan)
    by_variant = {line.variant_id: line for line in order.lines.all()}
    assert by_variant[a.pk].discount == D("3.33")
    assert by_variant[b.pk].discount == D("6.67")
    assert by_variant[a.pk].discount_platform == D("3.33")
    assert order.discount_total == D("10.00")
    assert order.total == D("20.00") + order.shipping_fee
    assert order.total == Order.objects.get(pk=order.pk).total


def test_discount_only_on_eligible_variants_and_capped_at_their_goods(buyer, address):
    a = make_product(price="10.00").variants.get()
    b = make_product(price="20.00").variants.get()
    plan = PlacementPlan(
        discounts=[Discount(source="voucher:BIG", amount=D("50.00"), variants=frozenset({a.pk}))]
    )
    order, _ = _place(buyer, address, [*_line(a, 1), *_line(b, 1)], plan)
    by_variant = {line.variant_id: line for line in order.lines.all()}
    assert by_variant[a.pk].discount == D("10.00")
    assert by_variant[b.pk].discount == D("0.00")
    assert order.discount_total == D("10.00")
    assert order.total == D("20.00") + order.shipping_fee


def test_a_cooperative_funded_discount_applies_only_to_its_lines(buyer, address):
    mine, other = make_cooperative(), make_cooperative()
    a = make_product(cooperative=mine, price="10.00").variants.get()
    b = make_product(cooperative=other, price="10.00").variants.get()
    plan = PlacementPlan(discounts=[Discount("coop:5", D("5.00"), funded_by=mine.pk)])
    order, _ = _place(buyer, address, [*_line(a, 1), *_line(b, 1)], plan)
    by_variant = {line.variant_id: line for line in order.lines.all()}
    assert (by_variant[a.pk].discount, by_variant[a.pk].discount_platform) == (D("5"), D("0"))
    assert by_variant[b.pk].discount == D("0")


def test_random_carts_split_exactly_and_never_below_shipping():
    # Property-style: pure split over unsaved lines (no database), a few hundred carts.
    rng = random.Random(20261201)
    for _ in range(400):
        lines = []
        for i in range(rng.randint(1, 6)):
            unit = D(rng.randint(1, 50000)) / 100
            quantity = rng.randint(1, 9)
            lines.append(
                OrderLine(
                    variant_id=i + 1,
                    cooperative_id=rng.randint(1, 3),
                    unit_price=unit,
                    quantity=quantity,
                    line_total=unit * quantity,
                )
            )
        goods = sum((line.line_total for line in lines), D("0"))
        discounts = [
            Discount(
                source=f"d{k}",
                amount=D(rng.randint(0, int(goods * 150))) / 100,
                variants=(
                    None
                    if rng.random() < 0.5
                    else frozenset(rng.sample(range(1, 7), rng.randint(1, 6)))
                ),
                funded_by="platform" if rng.random() < 0.6 else rng.randint(1, 3),
            )
            for k in range(rng.randint(1, 3))
        ]
        total = discounts_apply(lines, discounts)
        assert sum((line.discount for line in lines), D("0")) == total
        assert D("0") <= total <= goods
        for line in lines:
            assert D("0") <= line.discount_platform <= line.discount <= line.line_total
            assert line.discount == line.discount.quantize(D("0.01"))
        shipping = D(rng.randint(0, 3000)) / 100
        assert goods - total + shipping >= shipping


def test_random_carts_placed_add_up(buyer, address):
    rng = random.Random(7)
    variants = [
        make_product(price=f"{rng.randint(100, 9999) / 100:.2f}", stock=10_000).variants.get()
        for _ in range(5)
    ]
    for _ in range(25):
        chosen = rng.sample(variants, rng.randint(1, 5))
        lines = [{"variant": v.pk, "quantity": rng.randint(1, 5)} for v in chosen]
        amount = D(rng.randint(1, 60000)) / 100
        plan = PlacementPlan(discounts=[Discount("voucher:R", amount)])
        order, _ = _place(buyer, address, lines, plan)
        saved = Order.objects.get(pk=order.pk)
        line_sum = OrderLine.objects.filter(order=order).aggregate(s=Sum("discount"))["s"]
        assert line_sum == saved.discount_total == min(amount, saved.subtotal)
        assert saved.total == saved.subtotal - saved.discount_total + saved.shipping_fee
        assert saved.total >= saved.shipping_fee


def test_hooks_run_in_the_transaction_after_lines_and_before_stock(buyer, address):
    variant = make_product(price="10.00", stock=5).variants.get()
    seen = {}

    def hook(order, priced):
        seen["lines"] = OrderLine.objects.filter(order=order).count()
        seen["stock"] = Variant.objects.get(pk=variant.pk).stock
        seen["in_atomic"] = connection.in_atomic_block
        seen["subtotal"] = priced.subtotal

    _place(buyer, address, _line(variant, 2), PlacementPlan(hooks=[hook]))
    assert seen == {"lines": 1, "stock": 5, "in_atomic": True, "subtotal": D("20.00")}
    assert Variant.objects.get(pk=variant.pk).stock == 3


def test_a_hook_that_raises_leaves_no_order_and_takes_no_stock(buyer, address):
    variant = make_product(price="10.00", stock=5).variants.get()
    CartItem.objects.create(user=buyer, variant=variant, quantity=2)

    def refuse(order, priced):
        raise ClaimRefused("No slot left.")

    with pytest.raises(ClaimRefused):
        order_place(
            user=buyer,
            shipping_address=address,
            from_cart=True,
            plan=PlacementPlan(hooks=[refuse]),
        )
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 5
    assert not StockMovement.objects.filter(order_id__isnull=False).exists()
    assert CartItem.objects.filter(user=buyer).count() == 1


def test_quota_variants_take_no_stock(buyer, address):
    presale = make_product(price="30.00", stock=0).variants.get()
    shelf = make_product(price="10.00", stock=5).variants.get()
    claimed = []
    plan = PlacementPlan(
        quota_variants={presale.pk},
        hooks=[lambda order, priced: claimed.append(order.pk)],
    )
    order, _ = _place(buyer, address, [*_line(presale, 3), *_line(shelf, 1)], plan)
    assert claimed == [order.pk]
    lines = {line.variant_id: line for line in order.lines.all()}
    assert lines[presale.pk].from_quota and not lines[shelf.pk].from_quota
    assert Variant.objects.get(pk=presale.pk).stock == 0
    assert Variant.objects.get(pk=shelf.pk).stock == 4
    assert not StockMovement.objects.filter(variant=presale, order_id=order.pk).exists()


def test_quota_only_order_runs_no_stock_update(buyer, address):
    presale = make_product(price="30.00", stock=0).variants.get()
    plan = PlacementPlan(quota_variants={presale.pk})
    with CaptureQueriesContext(connection) as ctx:
        order, _ = _place(buyer, address, _line(presale, 2), plan)
    assert not any('UPDATE "catalog_variant"' in q["sql"] for q in ctx.captured_queries)
    assert order.lines.get().from_quota


def test_without_quota_the_same_variant_is_short(buyer, address):
    presale = make_product(price="30.00", stock=0).variants.get()
    with pytest.raises(InsufficientStock):
        _place(buyer, address, _line(presale, 2))


def test_same_key_same_plan_replays_another_plan_conflicts(buyer, address):
    variant = make_product(price="10.00", stock=5).variants.get()

    def plan(code):
        return PlacementPlan(discounts=[Discount(f"voucher:{code}", D("1.00"))])

    first, created = _place(buyer, address, _line(variant, 1), plan("A"), key="k-plan")
    again, created_again = _place(buyer, address, _line(variant, 1), plan("A"), key="k-plan")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(IdempotencyConflict):
        _place(buyer, address, _line(variant, 1), plan("B"), key="k-plan")
    with pytest.raises(IdempotencyConflict):
        _place(buyer, address, _line(variant, 1), None, key="k-plan")
    assert Variant.objects.get(pk=variant.pk).stock == 4


def test_no_plan_keeps_the_old_fingerprint(address):
    lines = {1: 2}
    old = placement.request_fingerprint(lines=lines, shipping_address=address, from_cart=False)
    assert old == placement.request_fingerprint(
        lines=lines, shipping_address=address, from_cart=False, plan=None
    )


def test_channel_and_placed_by_are_stored(buyer, address):
    clerk = make_user()
    variant = make_product(stock=5).variants.get()
    plan = PlacementPlan(channel="station", placed_by=clerk)
    order, _ = _place(buyer, address, _line(variant, 1), plan)
    saved = Order.objects.get(pk=order.pk)
    assert (saved.channel, saved.placed_by_id, saved.user_id) == ("station", clerk.pk, buyer.pk)
    assert Order.objects.filter(channel="station").count() == 1


@pytest.mark.parametrize(
    "plan",
    [
        PlacementPlan(unit_prices={1: D("-1.00")}),
        PlacementPlan(unit_prices={1: D("1.001")}),
        PlacementPlan(discounts=[Discount("x", D("-5"))]),
        PlacementPlan(discounts=[Discount("x", D("0.005"))]),
        PlacementPlan(channel=""),
    ],
)
def test_a_bad_plan_is_refused_before_anything(buyer, address, plan):
    variant = make_product(stock=5).variants.get()
    with pytest.raises(InvalidInput):
        _place(buyer, address, _line(variant, 1), plan)
    assert Order.objects.count() == 0


def test_plan_none_adds_no_statement(buyer, address):
    variant = make_product(stock=10).variants.get()
    with CaptureQueriesContext(connection) as plain:
        _place(buyer, address, _line(variant, 1), None, key="q-1")
    with CaptureQueriesContext(connection) as empty:
        _place(buyer, address, _line(variant, 1), PlacementPlan(), key="q-2")

    def count(ctx):
        return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()])

    assert count(plain) == count(empty)


# --- the ledger: the sale is what was paid; a platform-funded discount is a subsidy ----


def _ledger(order):
    rows = LedgerEntry.objects.filter(order=order).values_list("cooperative", "kind", "amount")
    out: dict = {}
    for coop, kind, amount in rows:
        out[(coop, kind)] = out.get((coop, kind), D("0")) + amount
    return out


def test_ledger_balances_with_platform_and_cooperative_funded_discounts(buyer, address, settings):
    settings.PLATFORM_FEE_PERCENT = "0"
    one, two = make_cooperative(), make_cooperative()
    a = make_product(cooperative=one, price="40.00").variants.get()
    b = make_product(cooperative=two, price="25.55").variants.get()
    plan = PlacementPlan(
        discounts=[
            Discount("voucher:PLAT", D("7.77")),  # platform-funded, over both
            Discount("coop-sale", D("3.00"), funded_by=one.pk),  # cooperative one's own
        ]
    )
    order, _ = _place(buyer, address, [*_line(a, 1), *_line(b, 2)], plan)
    payment = make_payment(order=order)
    assert payment.amount == order.total
    ledger_record_sale(order=order, payment=payment)
    entries = _ledger(order)
    sales = sum(v for (c, k), v in entries.items() if k == LedgerKind.SALE)
    subsidies = sum(v for (c, k), v in entries.items() if k == LedgerKind.PLATFORM_SUBSIDY)
    # payments received = the sales, to the fen
    assert sales == payment.amount
    # the platform bears exactly its discount
    platform = OrderLine.objects.filter(order=order).aggregate(s=Sum("discount_platform"))["s"]
    assert subsidies == platform == D("7.77")
    # each cooperative keeps list-price goods + shipping, less only what it funds
    for coop in (one, two):
        goods = sum(
            (line.line_total for line in order.lines.all() if line.cooperative_id == coop.pk),
            D("0"),
        )
        shipping = order.shipping_parts.get(cooperative=coop).fee
        own = D("3.00") if coop == one else D("0")
        kept = entries[(coop.pk, LedgerKind.SALE)] + entries.get(
            (coop.pk, LedgerKind.PLATFORM_SUBSIDY), D("0")
        )
        assert kept == goods + shipping - own


def test_ledger_fee_is_on_the_cooperatives_gross(buyer, address, settings):
    settings.PLATFORM_FEE_PERCENT = "10"
    coop = make_cooperative(county=make_county(poverty_relief=False))
    a = make_product(cooperative=coop, price="100.00").variants.get()
    plan = PlacementPlan(discounts=[Discount("voucher:P", D("20.00"))])
    order, _ = _place(buyer, address, _line(a, 1), plan)
    ledger_record_sale(order=order, payment=make_payment(order=order))
    entries = _ledger(order)
    gross = D("100.00") + order.shipping_fee
    assert entries[(coop.pk, LedgerKind.SALE)] == gross - D("20.00")
    assert entries[(coop.pk, LedgerKind.PLATFORM_SUBSIDY)] == D("20.00")
    assert entries[(coop.pk, LedgerKind.PLATFORM_FEE)] == -(gross / 10).quantize(D("0.01"))


def test_api_order_shows_discounts_as_extra_fields(buyer, address, client_for):
    from lifecycle.api.serializers import OrderSerializer

    variant = make_product(price="10.00", stock=5).variants.get()
    plan = PlacementPlan(discounts=[Discount("voucher:X", D("2.50"))])
    order, _ = _place(buyer, address, _line(variant, 1), plan)
    body = OrderSerializer(order).data
    assert body["discount_total"] == body["discount"] == "2.50"
    assert body["lines"][0]["discount"] == "2.50"
    assert body["total"] == f"{D('7.50') + order.shipping_fee:.2f}"
    listed = client_for(buyer).get("/api/v1/orders/").json()
    first = listed["results"][0] if isinstance(listed, dict) else listed[0]
    assert first["discount_total"] == "2.50"


def test_the_order_summary_shows_the_discount_only_when_there_is_one(buyer, address):
    from django.template.loader import render_to_string

    variant = make_product(price="10.00", stock=5).variants.get()
    plain, _ = _place(buyer, address, _line(variant, 1))
    assert "Discount" not in render_to_string("orders/_order_summary.html", {"order": plain})
    plan = PlacementPlan(discounts=[Discount("voucher:X", D("2.50"))])
    order, _ = _place(buyer, address, _line(variant, 1), plan)
    html = render_to_string("orders/_order_summary.html", {"order": order})
    assert "Discount" in html and "2.50" in html
