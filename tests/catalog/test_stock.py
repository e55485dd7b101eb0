"""catalog.stock: every stock change is a conditional UPDATE plus a movement row."""

from __future__ import annotations

import pytest
from django.db import transaction

from catalog.constants import StockReason
from catalog.exceptions import StockChanged, StockWouldGoNegative
from catalog.models import StockMovement, Variant
from catalog.stock import (
    STOCK_MAX,
    StockChange,
    stock_adjust,
    stock_change_apply,
    stock_record_opening,
    stock_return,
    stock_set_if_unchanged,
    stock_take,
)
from storefront.errors import InvalidInput, NotFound
from tests.concurrency import run_together
from tests.factories import assert_stock_ledger_consistent, make_product, make_user


def _variant(stock=10) -> Variant:
    return make_product(stock=stock).variants.get()


@pytest.mark.django_db
def test_opening_stock_is_a_receipt_movement():
    variant = _variant(stock=7)
    (movement,) = variant.movements.all()
    assert (movement.delta, movement.reason, movement.balance) == (7, StockReason.RECEIPT, 7)
    assert_stock_ledger_consistent([variant.pk])


@pytest.mark.django_db
def test_take_records_a_movement_per_variant_with_the_balance():
    a, b = _variant(stock=5), _variant(stock=3)
    with transaction.atomic():
        short = stock_take(quantities={b.pk: 3, a.pk: 2}, order_id=99)
    assert short == []
    assert Variant.objects.get(pk=a.pk).stock == 3
    assert Variant.objects.get(pk=b.pk).stock == 0
    sale = StockMovement.objects.filter(reason=StockReason.SALE).order_by("variant_id")
    assert [(m.variant_id, m.delta, m.balance, m.order_id) for m in sale] == [
        (a.pk, -2, 3, 99),
        (b.pk, -3, 0, 99),
    ]
    assert_stock_ledger_consistent()


@pytest.mark.django_db
def test_take_reports_short_variants_and_the_rollback_keeps_nothing():
    a, b = _variant(stock=5), _variant(stock=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        short = stock_take(quantities={a.pk: 2, b.pk: 2})
        assert short == [b.pk]
        raise RuntimeError("the caller rolls back")
    assert Variant.objects.get(pk=a.pk).stock == 5
    assert not StockMovement.objects.filter(reason=StockReason.SALE).exists()
    assert_stock_ledger_consistent()


@pytest.mark.django_db(transaction=True)
def test_take_and_return_need_a_transaction():
    variant = _variant()
    with pytest.raises(RuntimeError):
        stock_take(quantities={variant.pk: 1})
    with pytest.raises(RuntimeError):
        stock_return(quantities={variant.pk: 1}, reason=StockReason.CANCELLATION)


@pytest.mark.django_db
def test_return_puts_units_back_with_its_reason():
    variant = _variant(stock=4)
    with transaction.atomic():
        stock_take(quantities={variant.pk: 4}, order_id=5)
        stock_return(quantities={variant.pk: 4}, reason=StockReason.EXPIRY, order_id=5)
    assert Variant.objects.get(pk=variant.pk).stock == 4
    assert list(variant.movements.order_by("id").values_list("reason", "delta", "balance")) == [
        ("receipt", 4, 4),
        ("sale", -4, 0),
        ("expiry", 4, 4),
    ]


@pytest.mark.django_db
def test_adjust_is_relative_and_records_who():
    variant = _variant(stock=10)
    farmer = make_user()
    movement = stock_adjust(variant_id=variant.pk, delta=20, actor=farmer, note="new harvest")
    assert (movement.balance, movement.actor_id, movement.reason) == (30, farmer.pk, "receipt")
    stock_adjust(variant_id=variant.pk, delta=-3, reason=StockReason.CORRECTION, actor=farmer)
    assert Variant.objects.get(pk=variant.pk).stock == 27
    assert_stock_ledger_consistent([variant.pk])


@pytest.mark.django_db
def test_adjust_below_zero_is_refused_with_the_current_figure():
    variant = _variant(stock=2)
    with pytest.raises(StockWouldGoNegative) as caught:
        stock_adjust(variant_id=variant.pk, delta=-3, reason=StockReason.CORRECTION)
    assert caught.value.code == "stock_negative"
    assert caught.value.details["stock"] == 2
    assert Variant.objects.get(pk=variant.pk).stock == 2
    assert variant.movements.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("delta", [0, True, 1.5, "3", 10**7, -(10**7), 2**63])
def test_adjust_refuses_bad_figures(delta):
    variant = _variant(stock=2)
    with pytest.raises(InvalidInput):
        stock_adjust(variant_id=variant.pk, delta=delta)
    assert variant.movements.count() == 1


@pytest.mark.django_db
def test_adjust_refuses_going_above_the_ceiling():
    variant = _variant(stock=999_999)
    with pytest.raises(InvalidInput):
        stock_adjust(variant_id=variant.pk, delta=2)
    assert Variant.objects.get(pk=variant.pk).stock == 999_999


@pytest.mark.django_db
def test_unknown_variant_is_not_found():
    with pytest.raises(NotFound):
        stock_adjust(variant_id=987654, delta=1)
    with pytest.raises(NotFound):
        stock_set_if_unchanged(variant_id=987654, expected=1, new=1)


@pytest.mark.django_db
def test_set_if_unchanged_applies_the_difference():
    variant = _variant(stock=10)
    movement = stock_set_if_unchanged(variant_id=variant.pk, expected=10, new=15)
    assert (movement.delta, movement.balance, movement.reason) == (5, 15, "correction")
    assert stock_set_if_unchanged(variant_id=variant.pk, expected=15, new=15) is None
    assert variant.movements.count() == 2
    assert_stock_ledger_consistent([variant.pk])


@pytest.mark.django_db
def test_set_from_a_stale_figure_is_refused_and_changes_nothing():
    """The page showed 10; checkout sold 5 meanwhile; saving 12 must not resurrect them."""
    variant = _variant(stock=10)
    with transaction.atomic():
        stock_take(quantities={variant.pk: 5})
    with pytest.raises(StockChanged) as caught:
        stock_set_if_unchanged(variant_id=variant.pk, expected=10, new=12)
    assert caught.value.code == "stock_changed"
    assert caught.value.details == {"variant": variant.pk, "stock": 5}
    assert Variant.objects.get(pk=variant.pk).stock == 5
    assert_stock_ledger_consistent([variant.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_removals_of_one_from_ten_take_exactly_ten():
    variant = _variant(stock=10)
    results = run_together(
        30,
        lambda i: stock_adjust(variant_id=variant.pk, delta=-1, reason=StockReason.CORRECTION),
    )
    refused = [r for r in results if isinstance(r, StockWouldGoNegative)]
    assert len(refused) == 20
    assert len([r for r in results if isinstance(r, StockMovement)]) == 10
    assert Variant.objects.get(pk=variant.pk).stock == 0
    assert_stock_ledger_consistent()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_guarded_sets_from_the_same_page_let_exactly_one_through():
    variant = _variant(stock=10)
    results = run_together(
        12, lambda i: stock_set_if_unchanged(variant_id=variant.pk, expected=10, new=20 + i)
    )
    winners = [r for r in results if isinstance(r, StockMovement)]
    assert len(winners) == 1
    assert all(isinstance(r, StockChanged) for r in results if r not in winners)
    assert Variant.objects.get(pk=variant.pk).stock == winners[0].balance
    assert_stock_ledger_consistent()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_takes_and_receipts_interleaved_keep_the_ledger():
    variant = _variant(stock=5)

    def work(i):
        if i % 3 == 0:
            return stock_adjust(variant_id=variant.pk, delta=2)
        with transaction.atomic():
            short = stock_take(quantities={variant.pk: 1})
            if short:
                raise StockWouldGoNegative()
            return "taken"

    results = run_together(30, work)
    taken = results.count("taken")
    assert Variant.objects.get(pk=variant.pk).stock == 5 + 2 * 10 - taken
    assert_stock_ledger_consistent()


# --- what pages send: a change relative to the figure they showed ---------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "stock", "reason"),
    [
        (StockChange(shown=10, delta=20, note="harvest"), 30, "receipt"),
        (StockChange(shown=10, delta=-3, note="damaged"), 7, "correction"),
        (StockChange(shown=10, count=4), 4, "correction"),
        (StockChange(shown=10, count=10, delta=2), 12, "receipt"),  # the count left as shown
    ],
)
def test_a_page_change_is_applied_as_one_recorded_movement(change, stock, reason):
    variant = _variant(stock=10)
    movement = stock_change_apply(variant_id=variant.pk, change=change, actor=make_user())
    assert (movement.balance, movement.reason, movement.note) == (stock, reason, change.note)
    assert Variant.objects.get(pk=variant.pk).stock == stock
    assert_stock_ledger_consistent([variant.pk])


@pytest.mark.django_db
def test_a_page_change_with_nothing_in_it_writes_nothing():
    variant = _variant(stock=10)
    assert StockChange(shown=10, count=10).is_empty and StockChange(shown=3).is_empty
    assert stock_change_apply(variant_id=variant.pk, change=StockChange(shown=10, count=10)) is None
    assert variant.movements.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        StockChange(shown=10, count=12, delta=3),  # which one? refused, not guessed
        StockChange(shown=-1, count=3),
        StockChange(shown=10, count=-3),
        StockChange(shown=10, count=STOCK_MAX + 1),
        StockChange(shown="10", count=3),
    ],
)
def test_a_confused_or_impossible_page_change_is_refused(change):
    variant = _variant(stock=10)
    with pytest.raises(InvalidInput):
        stock_change_apply(variant_id=variant.pk, change=change)
    assert Variant.objects.get(pk=variant.pk).stock == 10


@pytest.mark.django_db
def test_a_count_from_a_stale_page_is_refused_but_a_delta_is_not():
    variant = _variant(stock=10)
    stock_adjust(variant_id=variant.pk, delta=-5, reason=StockReason.CORRECTION)
    stale = StockChange(shown=10, count=12)
    with pytest.raises(StockChanged) as caught:
        stock_change_apply(variant_id=variant.pk, change=stale)
    assert caught.value.details["stock"] == 5
    movement = stock_change_apply(variant_id=variant.pk, change=StockChange(shown=10, delta=2))
    assert movement.balance == 7


@pytest.mark.django_db
def test_opening_stock_is_recorded_in_bulk_once():
    product = make_product(variants=0)
    rows = Variant.objects.bulk_create(
        Variant(product=product, name=f"{i} kg", sku=f"BULK-{i}", price=1, weight_grams=1, stock=i)
        for i in range(4)
    )
    created = stock_record_opening(variants=rows, note="seed")
    assert [m.delta for m in created] == [1, 2, 3]  # the empty one needs no movement
    assert all(m.reason == "receipt" and m.balance == m.delta for m in created)
    assert_stock_ledger_consistent([v.pk for v in rows])
    with pytest.raises(RuntimeError):
        stock_record_opening(variants=rows)
    assert StockMovement.objects.filter(variant__in=rows).count() == 3
