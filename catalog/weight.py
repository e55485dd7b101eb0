"""Selling by weight: the money arithmetic (issue 14 §6), pure and exact.

A variant priced per kilogram with an estimated weight: the buyer pays the estimate
(plus an optional buffer, in basis points); at packing the actual grams give the final
amount, ``grams × price per kg / 1000`` rounded half-up to the fen ONCE; what was paid
above it is given back; a final amount above what was paid is capped at what was paid.
Weights and prices are ``Decimal`` or ``int`` (grams), never floats.

The catalogue prices a per-kg variant with ``estimate_to_pay`` (``Variant.save``); the
weighing at packing and the refund of the difference are ``lifecycle.services.weighing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from storefront.errors import InvalidInput
from storefront.money import CENT

GRAMS_PER_KG = Decimal(1000)
BASIS_POINTS = 10000


def _exact(value, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidInput(details={name: ["A whole number or a Decimal, never a float."]})
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise InvalidInput(details={name: ["Zero or more."]})
    return value


def amount_for_grams(grams, price_per_kg) -> Decimal:
    """``grams × price per kg / 1000``, rounded half-up to the fen once."""
    grams = _exact(grams, "grams")
    price = _exact(price_per_kg, "price_per_kg")
    return (grams * price / GRAMS_PER_KG).quantize(CENT, rounding=ROUND_HALF_UP)


def estimate_to_pay(*, estimated_grams, price_per_kg, buffer_bp: int = 0) -> Decimal:
    """What the buyer pays before weighing: the estimate, plus the buffer if any
    (the buffer rounded half-up to the fen too)."""
    estimate = amount_for_grams(estimated_grams, price_per_kg)
    if not buffer_bp:
        return estimate
    buffer = (estimate * Decimal(buffer_bp) / BASIS_POINTS).quantize(CENT, rounding=ROUND_HALF_UP)
    return estimate + buffer


@dataclass(frozen=True)
class Settlement:
    weighed: Decimal  # the actual weight's amount
    charged: Decimal  # what the buyer finally pays: weighed, capped at what was paid
    refund: Decimal  # paid − charged (zero or more)


def settle(*, paid, actual_grams, price_per_kg) -> Settlement:
    """The final amount of a weighed line and the difference to give back.

    Never more than was paid: without a buffer the estimate is the most the buyer can
    be charged; with one, the estimate plus the buffer (what they paid)."""
    paid = _exact(paid, "paid")
    weighed = amount_for_grams(actual_grams, price_per_kg)
    charged = min(weighed, paid)
    return Settlement(weighed=weighed, charged=charged, refund=paid - charged)
