"""Money helpers shared by every app: splits that add up to the fen."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

CENT = Decimal("0.01")


def to_fen(amount: Decimal) -> int:
    """A yuan amount with at most two places as integer fen (refuses a third place)."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(fen)


def split_largest_remainder(total: Decimal, weights: Sequence[int | Decimal]) -> list[Decimal]:
    """Split ``total`` yuan in proportion to ``weights``, exact to the fen.

    Each part gets its floor in fen; the fen left over go one each to the parts with
    the largest remainders (ties to the earlier part), so the parts always add up to
    ``total``. Zero weights get zero. Raises ``ValueError`` for negative weights or when
    every weight is zero.
    """
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum((Decimal(w) for w in weights), Decimal(0))
    if not weights or weight_sum == 0:
        raise ValueError("at least one weight must be positive")
    total_fen = to_fen(total)
    floors: list[int] = []
    remainders: list[tuple[Decimal, int]] = []
    for index, weight in enumerate(weights):
        exact = Decimal(total_fen) * Decimal(weight) / weight_sum
        floor = int(exact)  # exact >= 0, so int() floors
        floors.append(floor)
        remainders.append((exact - floor, index))
    left = total_fen - sum(floors)
    for _remainder, index in sorted(remainders, key=lambda r: (-r[0], r[1]))[:left]:
        floors[index] += 1
    return [(Decimal(f) / 100).quantize(CENT) for f in floors]
