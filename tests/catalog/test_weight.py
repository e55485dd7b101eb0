"""Selling by weight: the arithmetic, to the fen, never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.weight import amount_for_grams, estimate_to_pay, settle
from storefront.errors import InvalidInput


def test_the_issues_example_charges_33_14_and_refunds_0_86():
    # 6.80 yuan/kg, estimate 5.000 kg, paid 34.00, weighed 4.873 kg.
    price = Decimal("6.80")
    assert estimate_to_pay(estimated_grams=5000, price_per_kg=price) == Decimal("34.00")
    result = settle(paid=Decimal("34.00"), actual_grams=4873, price_per_kg=price)
    assert result.weighed == Decimal("33.14")  # 33.1364 rounded half-up once
    assert result.charged == Decimal("33.14")
    assert result.refund == Decimal("0.86")
    assert result.charged + result.refund == Decimal("34.00")


def test_half_a_fen_rounds_up():
    assert amount_for_grams(125, Decimal("0.20")) == Decimal("0.03")  # 0.025
    assert amount_for_grams(Decimal("4873.5"), Decimal("6.80")) == Decimal("33.14")


def test_heavier_than_paid_is_capped_unless_the_buffer_covers_it():
    price = Decimal("6.80")
    no_buffer = settle(paid=Decimal("34.00"), actual_grams=5200, price_per_kg=price)
    assert no_buffer.weighed == Decimal("35.36") and no_buffer.charged == Decimal("34.00")
    assert no_buffer.refund == 0
    paid = estimate_to_pay(estimated_grams=5000, price_per_kg=price, buffer_bp=500)
    assert paid == Decimal("35.70")  # 34.00 + 5 %
    with_buffer = settle(paid=paid, actual_grams=5200, price_per_kg=price)
    assert with_buffer.charged == Decimal("35.36") and with_buffer.refund == Decimal("0.34")


@pytest.mark.parametrize("bad", [4.873, "4873", True, Decimal("-1"), Decimal("NaN")])
def test_floats_and_nonsense_are_refused(bad):
    with pytest.raises(InvalidInput):
        amount_for_grams(bad, Decimal("6.80"))
