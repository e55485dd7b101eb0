"""Order services: placing, shipping fees, idempotency, cart, cancel, receipt, expiry."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.constants import ProductStatus
from catalog.models import Variant
from catalog.stock import stock_adjust
from lifecycle import services as flows
from lifecycle.tasks import orders_expire_task
from orders import services
from orders.constants import OrderStatus
from orders.exceptions import (
    CartItemNotFound,
    IdempotencyConflict,
    InsufficientStock,
    OrderInvalidState,
    VariantUnavailable,
)
from orders.models import CartItem, Order, OrderEvent, OrderLine, OrderShipping
from storefront.errors import InvalidInput, ServiceUnavailable
from tests.factories import make_cooperative, make_product, make_user, make_variant

pytestmark = pytest.mark.django_db


def _variant(**kwargs) -> Variant:
    return make_product(**kwargs).variants.get()


def _stock(variant: Variant) -> int:
    variant.refresh_from_db()
    return variant.stock


def test_place_copies_lines_and_prices_shipping_per_cooperative(buyer, address):
    coop_a = make_cooperative(
        shipping_base_fee=Decimal("8.00"),
        shipping_fee_per_kg=Decimal("1.50"),
        free_shipping_over=Decimal("199.00"),
    )
    coop_b = make_cooperative(free_shipping_over=Decimal("50.00"))
    flour = _variant(cooperative=coop_a, title="Flour", price="39.90", stock=10)
    honey = _variant(cooperative=coop_b, title="Honey", price="30.00", stock=5)

    order, created = services.order_place(
        user=buyer,
        shipping_address=address,
        lines=[{"variant": flour.pk, "quantity": 2}, {"variant": honey.pk, "quantity": 2}],
    )
    assert created
    assert re.fullmatch(r"FG\d{6}[0-9A-HJKMNP-TV-Z]{8}", order.number)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.subtotal == Decimal("139.80")
    # coop A: 79.80 < 199 → 8.00 + 1.50 × ceil(10.2 kg = 11 started kg) = 24.50; coop B free
    assert order.shipping_fee == Decimal("24.50")
    assert order.total == Decimal("164.30")
    assert order.expires_at - order.created == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=5)
    )
    parts = {p.cooperative_id: p for p in OrderShipping.objects.filter(order=order)}
    assert parts[coop_a.pk].fee == Decimal("24.50") and parts[coop_a.pk].weight_grams == 10200
    assert parts[coop_b.pk].fee == Decimal("0.00")

    line = order.lines.get(variant=flour)
    assert (line.sku, line.unit_price, line.cooperative_id) == (
        flour.sku,
        Decimal("39.90"),
        coop_a.pk,
    )
    assert line.title == f"Flour — {flour.name}"
    assert (_stock(flour), _stock(honey)) == (8, 3)
    # a later price change never touches the order
    Variant.objects.filter(pk=flour.pk).update(price=Decimal("99.00"))
    line.refresh_from_db()
    assert line.unit_price == Decimal("39.90")
    assert OrderEvent.objects.get(order=order).to_status == OrderStatus.PENDING_PAYMENT
    # names matched; the phone in E.164
    assert order.shipping_address == {**address, "phone": "+8613800138000", "region_code": "110108"}


def test_shipping_fee_rule():
    coop = make_cooperative(
        shipping_base_fee=Decimal("5.00"),
        shipping_fee_per_kg=Decimal("2.00"),
        free_shipping_over=None,
    )
    fee = services.shipping_fee_for
    assert fee(cooperative=coop, goods_total=Decimal("10"), weight_grams=1) == Decimal("7.00")
    assert fee(cooperative=coop, goods_total=Decimal("10"), weight_grams=1000) == Decimal("7.00")
    assert fee(cooperative=coop, goods_total=Decimal("10"), weight_grams=1001) == Decimal("9.00")
    assert fee(cooperative=coop, goods_total=Decimal("9999"), weight_grams=1) == Decimal("7.00")
    coop.free_shipping_over = Decimal("100.00")
    assert fee(cooperative=coop, goods_total=Decimal("100.00"), weight_grams=9000) == 0
    assert fee(cooperative=coop, goods_total=Decimal("99.99"), weight_grams=9000) == Decimal(
        "23.00"
    )


def test_duplicate_variants_are_merged(buyer, address):
    variant = _variant(stock=10)
    order, _ = services.order_place(
        user=buyer,
        shipping_address=address,
        lines=[{"variant": variant.pk, "quantity": 2}, {"variant": variant.pk, "quantity": 3}],
    )
    assert list(order.lines.values_list("quantity", flat=True)) == [5]
    assert _stock(variant) == 5


def test_merged_quantity_over_999_is_refused(buyer, address):
    variant = _variant(stock=2000)
    with pytest.raises(InvalidInput):
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[{"variant": variant.pk, "quantity": 500}] * 2,
        )
    assert _stock(variant) == 2000


def test_insufficient_stock_keeps_nothing_and_names_every_short_variant(buyer, address):
    plenty = _variant(stock=10)
    short_a = _variant(stock=1)
    short_b = _variant(stock=0)
    with pytest.raises(InsufficientStock) as exc:
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[
                {"variant": plenty.pk, "quantity": 3},
                {"variant": short_b.pk, "quantity": 1},
                {"variant": short_a.pk, "quantity": 2},
            ],
        )
    assert exc.value.details == {"variants": sorted([short_a.pk, short_b.pk])}
    assert (_stock(plenty), _stock(short_a), _stock(short_b)) == (10, 1, 0)
    assert Order.objects.count() == OrderLine.objects.count() == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: _variant(status=ProductStatus.PENDING_REVIEW),
        lambda: _variant(status=ProductStatus.DRAFT),
        lambda: _variant(status=ProductStatus.ARCHIVED),
        lambda: _variant(cooperative=make_cooperative(is_active=False)),
        lambda: make_variant(product=make_product(variants=0), is_active=False),
    ],
)
def test_unpurchasable_variants_are_refused(buyer, address, make):
    variant = make()
    good = _variant()
    with pytest.raises(VariantUnavailable) as exc:
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[{"variant": good.pk, "quantity": 1}, {"variant": variant.pk, "quantity": 1}],
        )
    assert exc.value.code == "invalid"
    assert exc.value.details == {"variants": [variant.pk]}
    assert _stock(good) == 10 and Order.objects.count() == 0


def test_unknown_variant_is_refused(buyer, address):
    with pytest.raises(VariantUnavailable):
        services.order_place(
            user=buyer, shipping_address=address, lines=[{"variant": 999999, "quantity": 1}]
        )


@pytest.mark.parametrize(
    "lines",
    [
        None,
        [],
        [{"variant": 1, "quantity": 0}],
        [{"variant": 1, "quantity": -1}],
        [{"variant": 1, "quantity": 1000}],
        [{"variant": 1, "quantity": "2"}],
        [{"variant": 1, "quantity": 2.0}],
        [{"variant": 1, "quantity": True}],
        [{"variant": "1", "quantity": 1}],
        [{"variant": 1}],
        [{"variant": 1, "quantity": 1, "price": "0.01"}],
        ["1"],
        [{"variant": 1, "quantity": 1}] * 51,
    ],
)
def test_bad_lines_are_refused(buyer, address, lines):
    with pytest.raises(InvalidInput) as exc:
        services.order_place(user=buyer, shipping_address=address, lines=lines)
    assert "lines" in exc.value.details
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 500}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "1380013800099"}, "phone"),
        ({"address": "x" * 201}, "address"),
        ({"city": 5}, "city"),
        ({"postcode": "ABC"}, "postcode"),
        ({"district": "\x00"}, "district"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_bad_addresses_are_refused(buyer, address, change, field):
    variant = _variant()
    with pytest.raises(InvalidInput) as exc:
        services.order_place(
            user=buyer,
            shipping_address={**address, **change},
            lines=[{"variant": variant.pk, "quantity": 1}],
        )
    assert field in exc.value.details["shipping_address"]
    assert _stock(variant) == 10


def test_address_is_normalised_and_postcode_optional(buyer, address):
    variant = _variant()
    messy = {**address, "name": "  Aynur \n Kadir ", "phone": "+86 138-0013-8000"}
    del messy["postcode"]
    order, _ = services.order_place(
        user=buyer, shipping_address=messy, lines=[{"variant": variant.pk, "quantity": 1}]
    )
    assert order.shipping_address["name"] == "Aynur Kadir"
    assert order.shipping_address["postcode"] == ""


def test_idempotency_key(buyer, address):
    variant = _variant(stock=10)
    lines = [{"variant": variant.pk, "quantity": 2}]
    first, created = services.order_place(
        user=buyer, shipping_address=address, lines=lines, idempotency_key="k-1"
    )
    assert created
    again, created = services.order_place(
        user=buyer, shipping_address=address, lines=lines, idempotency_key="k-1"
    )
    assert (again.pk, created) == (first.pk, False)
    assert _stock(variant) == 8 and Order.objects.count() == 1

    with pytest.raises(IdempotencyConflict) as exc:
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[{"variant": variant.pk, "quantity": 3}],
            idempotency_key="k-1",
        )
    assert exc.value.code == "idempotency_conflict" and exc.value.status_code == 409
    # keys are per user: another buyer's "k-1" is a new order
    other, created = services.order_place(
        user=make_user(), shipping_address=address, lines=lines, idempotency_key="k-1"
    )
    assert created and other.pk != first.pk
    assert _stock(variant) == 6


@pytest.mark.parametrize("key", ["", "x" * 65, "has space", "naïve"])
def test_bad_idempotency_keys_are_refused(buyer, address, key):
    variant = _variant()
    with pytest.raises(InvalidInput) as exc:
        services.order_place(
            user=buyer,
            shipping_address=address,
            lines=[{"variant": variant.pk, "quantity": 1}],
            idempotency_key=key,
        )
    assert "Idempotency-Key" in exc.value.details
    assert Order.objects.count() == 0


def test_failed_attempt_does_not_burn_the_key(buyer, address):
    variant = _variant(stock=1)
    lines = [{"variant": variant.pk, "quantity": 2}]
    with pytest.raises(InsufficientStock):
        services.order_place(
            user=buyer, shipping_address=address, lines=lines, idempotency_key="retry"
        )
    stock_adjust(variant_id=variant.pk, delta=4)  # goods received: 1 -> 5
    order, created = services.order_place(
        user=buyer, shipping_address=address, lines=lines, idempotency_key="retry"
    )
    assert created and order.lines.get().quantity == 2


def test_prices_changing_under_every_try_answer_busy_not_a_crash(buyer, address, monkeypatch):
    from orders.services import placement

    variant = _variant(stock=5)
    tries = []

    def repriced(**kwargs):
        tries.append(1)
        raise placement._Repriced()

    monkeypatch.setattr(placement, "_order_create", repriced)
    with pytest.raises(ServiceUnavailable):
        services.order_place(
            user=buyer, shipping_address=address, lines=[{"variant": variant.pk, "quantity": 1}]
        )
    assert len(tries) == 5 and Order.objects.count() == 0 and _stock(variant) == 5


def test_order_numbers_are_unique_and_random():
    numbers = {services.order_number_generate() for _ in range(500)}
    assert len(numbers) == 500
    assert len({n[8:] for n in numbers}) == 500


# --- cart -------------------------------------------------------------------


def test_cart_above_stock_is_refused_with_what_is_available(buyer):
    variant = _variant(stock=16)
    with pytest.raises(InsufficientStock) as refused:
        services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=50)
    assert refused.value.details == {"variants": [variant.pk], "available": {str(variant.pk): 16}}
    item = services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=10)
    with pytest.raises(InsufficientStock):  # 10 + 7 > 16: the sum counts
        services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=7)
    with pytest.raises(InsufficientStock):
        services.cart_item_update(user=buyer, item_id=item.pk, quantity=17)
    assert services.cart_item_update(user=buyer, item_id=item.pk, quantity=16).quantity == 16
    Variant.objects.filter(pk=variant.pk).update(stock=5)  # sold elsewhere meanwhile
    # Lowering towards what is left is always allowed, even while still above it.
    assert services.cart_item_update(user=buyer, item_id=item.pk, quantity=8).quantity == 8


def test_cart_add_update_remove(buyer):
    variant = _variant(price="12.50")
    item = services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=2)
    same = services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=3)
    assert same.pk == item.pk and same.quantity == 5
    from orders.selectors import cart_get

    cart = cart_get(user=buyer)
    assert [i.quantity for i in cart.items] == [5]
    assert cart.subtotal == Decimal("62.50")
    assert services.cart_item_update(user=buyer, item_id=item.pk, quantity=1).quantity == 1
    services.cart_item_remove(user=buyer, item_id=item.pk)
    assert cart_get(user=buyer).items == []
    assert _stock(variant) == 10  # the cart never reserves


def test_cart_refuses_bad_input_and_others_items(buyer):
    variant = _variant(stock=2000)
    item = services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=998)
    with pytest.raises(InvalidInput):
        services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=2)
    for bad in (0, -1, 1000, "1", 1.5):
        with pytest.raises(InvalidInput):
            services.cart_item_add(user=buyer, variant_id=variant.pk, quantity=bad)
        with pytest.raises(InvalidInput):
            services.cart_item_update(user=buyer, item_id=item.pk, quantity=bad)
    with pytest.raises(VariantUnavailable):
        services.cart_item_add(
            user=buyer, variant_id=_variant(status=ProductStatus.DRAFT).pk, quantity=1
        )
    other = make_user()
    with pytest.raises(CartItemNotFound):
        services.cart_item_update(user=other, item_id=item.pk, quantity=1)
    with pytest.raises(CartItemNotFound):
        services.cart_item_remove(user=other, item_id=item.pk)
    item.refresh_from_db()
    assert item.quantity == 998


def test_order_from_cart_empties_the_cart(buyer, address):
    a = _variant(stock=5)
    b = _variant(stock=5)
    services.cart_item_add(user=buyer, variant_id=a.pk, quantity=2)
    services.cart_item_add(user=buyer, variant_id=b.pk, quantity=1)
    order, _ = services.order_place(
        user=buyer, shipping_address=address, from_cart=True, idempotency_key="cart-1"
    )
    assert sorted(order.lines.values_list("quantity", flat=True)) == [1, 2]
    assert not CartItem.objects.filter(user=buyer).exists()
    # a retry after the cart was emptied still answers with the same order
    again, created = services.order_place(
        user=buyer, shipping_address=address, from_cart=True, idempotency_key="cart-1"
    )
    assert again.pk == order.pk and not created
    with pytest.raises(InvalidInput):
        services.order_place(user=buyer, shipping_address=address, from_cart=True)


def test_order_from_cart_short_of_stock_keeps_the_cart(buyer, address):
    a = _variant(stock=2)
    services.cart_item_add(user=buyer, variant_id=a.pk, quantity=2)
    Variant.objects.filter(pk=a.pk).update(stock=1)  # sold to someone else meanwhile
    with pytest.raises(InsufficientStock):
        services.order_place(user=buyer, shipping_address=address, from_cart=True)
    assert CartItem.objects.filter(user=buyer).count() == 1


def test_lines_and_from_cart_together_are_refused(buyer, address):
    variant = _variant()
    with pytest.raises(InvalidInput):
        services.order_place(
            user=buyer,
            shipping_address=address,
            from_cart=True,
            lines=[{"variant": variant.pk, "quantity": 1}],
        )


# --- life cycle ---------------------------------------------------------------


def _order(buyer, address, variant=None, quantity=2) -> Order:
    variant = variant or _variant(stock=10)
    order, _ = services.order_place(
        user=buyer, shipping_address=address, lines=[{"variant": variant.pk, "quantity": quantity}]
    )
    return order


def test_cancel_before_payment_returns_stock_once(buyer, address):
    variant = _variant(stock=10)
    order = _order(buyer, address, variant, 4)
    assert _stock(variant) == 6
    flows.order_cancel(order=order)
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at
    assert _stock(variant) == 10
    with pytest.raises(OrderInvalidState):
        flows.order_cancel(order=order)
    assert _stock(variant) == 10


def test_cancel_after_payment_starts_refund(buyer, address, monkeypatch):
    from lifecycle.services import cancel

    calls = []
    monkeypatch.setattr(
        cancel,
        "order_refund_start",
        lambda *, order, reason: calls.append((order.pk, order.status, reason)) or [],
    )
    variant = _variant(stock=10)
    order = _order(buyer, address, variant, 2)
    services.order_mark_paid(order=order)
    flows.order_cancel(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUND_PENDING
    assert calls == [(order.pk, OrderStatus.REFUND_PENDING, "cancelled")]
    assert _stock(variant) == 10  # nothing left the cooperative: the units are on sale again


def test_cancel_after_payment_with_the_real_refund_service(buyer, address):
    order = _order(buyer, address)
    services.order_mark_paid(order=order)
    flows.order_cancel(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUND_PENDING


@pytest.mark.parametrize(
    "steps",
    [
        ["order_mark_paid", "order_mark_shipped"],
        ["order_mark_paid", "order_mark_shipped", "order_mark_delivered"],
        ["order_mark_paid", "order_mark_shipped", "order_mark_delivered", "order_mark_completed"],
    ],
)
def test_cancel_after_shipping_is_invalid_state(buyer, address, steps):
    order = _order(buyer, address)
    for step in steps:
        getattr(services, step)(order=order)
    with pytest.raises(OrderInvalidState) as exc:
        flows.order_cancel(order=order)
    assert exc.value.code == "invalid_state"


def test_confirm_receipt(buyer, address):
    order = _order(buyer, address)
    with pytest.raises(OrderInvalidState):
        flows.receipt_confirmed(order=order)
    services.order_mark_paid(order=order)
    with pytest.raises(OrderInvalidState):
        flows.receipt_confirmed(order=order)
    services.order_mark_shipped(order=order)
    flows.receipt_confirmed(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivered_at
    with pytest.raises(OrderInvalidState):
        flows.receipt_confirmed(order=order)


def test_transitions_refuse_wrong_states(buyer, address):
    order = _order(buyer, address)
    for step in (
        "order_mark_shipped",
        "order_mark_delivered",
        "order_mark_completed",
        "order_mark_refunded",
    ):
        with pytest.raises(OrderInvalidState):
            getattr(services, step)(order=order)
    services.order_mark_paid(order=order)
    with pytest.raises(OrderInvalidState):
        services.order_mark_paid(order=order)


def test_expiry_returns_stock_exactly_once(buyer, address):
    variant = _variant(stock=10)
    overdue = [_order(buyer, address, variant, 1) for _ in range(5)]
    fresh = _order(buyer, address, variant, 1)
    paid = _order(buyer, address, variant, 1)
    services.order_mark_paid(order=paid)
    Order.objects.filter(pk__in=[o.pk for o in [*overdue, paid]]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert _stock(variant) == 3

    assert flows.orders_expire_overdue(batch_size=2) == 5
    assert _stock(variant) == 8
    assert flows.orders_expire_overdue(batch_size=2) == 0
    assert orders_expire_task.delay().get() == 0
    assert _stock(variant) == 8
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert {statuses[o.pk] for o in overdue} == {OrderStatus.CANCELLED}
    assert statuses[fresh.pk] == OrderStatus.PENDING_PAYMENT
    assert statuses[paid.pk] == OrderStatus.PAID
    assert OrderEvent.objects.filter(note="payment time ran out").count() == 5


def test_expiry_task_runs_the_service(buyer, address, settings):
    variant = _variant(stock=3)
    order = _order(buyer, address, variant, 3)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire_task.delay().get() == 1
    assert orders_expire_task.delay().get() == 0
    assert _stock(variant) == 3
    assert (
        settings.CELERY_BEAT_SCHEDULE["orders-expire"]["task"]
        == "lifecycle.tasks.orders_expire_task"
    )
