"""What a feature adds to one checkout, decided before the order is placed.

A ``PlacementPlan`` is the one extension point of ``order_place`` (and of
``lifecycle.services.checkout_place``): features above orders (vouchers, campaign or
team or wholesale prices, pre-sale quotas, counter orders) build one and pass it in;
orders never imports them. Everything in it is generic: prices per variant, discounts
spread over lines, variants taken from a quota instead of stock, hooks run inside the
placement transaction, and who placed the order through which channel.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storefront.errors import InvalidInput
from storefront.money import CENT, split_largest_remainder, to_fen

if TYPE_CHECKING:
    from accounts.models import User

    from ..models import Order, OrderLine
    from .pricing import Priced

PLATFORM = "platform"
ONLINE = "online"


@dataclass(frozen=True)
class Discount:
    """An order-level discount, already resolved to an amount in yuan by the caller
    (a percent rule is the caller's to turn into an amount).

    ``source`` names it for the fingerprint and the logs (``"voucher:FESTIVAL10"``);
    ``variants`` are the variant ids it applies to (``None``: every line);
    ``funded_by`` is ``"platform"`` or a cooperative id: a cooperative-funded discount
    applies only to that cooperative's lines (it cannot give away another's goods).
    The amount is capped at the eligible goods still undiscounted, so goods never go
    below zero and an order never costs less than its shipping."""

    source: str
    amount: Decimal
    variants: frozenset[int] | None = None
    funded_by: str | int = PLATFORM

    @property
    def platform_funded(self) -> bool:
        return self.funded_by == PLATFORM


Hook = Callable[["Order", "Priced"], None]


@dataclass
class PlacementPlan:
    """A feature's additions to one placement (see the module docstring).

    - ``unit_prices``: ``{variant_id: unit price}`` for the lines instead of the list
      price; the stock UPDATE still checks the LIST price is unchanged (a list-price
      change re-prices as before);
    - ``offer_prices``: ``{variant_id: offer}`` (running campaign prices): a line gets
      its offer only when it is below the list price read in the placement
      (``catalog.offers.offer_price``, the rule the pages use too); ``unit_prices`` win;
    - ``discounts``: spread over eligible lines by largest remainder (to the fen);
    - ``quota_variants``: units a hook takes instead of stock (no ``stock_take`` for
      them, and no stock comes back when the order is cancelled: the feature gives its
      quota back through ``lifecycle.services.extensions.on_unpaid_release``);
    - ``hooks``: ``hook(order, priced)`` run inside the placement transaction after the
      lines are written and before the stock UPDATE; raise an ``ApplicationError`` to
      roll everything back (no order, no stock taken). A hook may run more than once for
      one placement (a re-price or a conflict retries the whole transaction, rolled back
      in between): it must only write to the database, never call out;
    - ``channel`` / ``placed_by``: stored on the order.

    The plan's content (not its hooks) is part of the Idempotency-Key fingerprint.
    """

    unit_prices: dict[int, Decimal] = field(default_factory=dict)
    offer_prices: dict[int, Decimal] = field(default_factory=dict)
    discounts: list[Discount] = field(default_factory=list)
    quota_variants: set[int] = field(default_factory=set)
    hooks: list[Hook] = field(default_factory=list)
    channel: str = ONLINE
    placed_by: User | None = None

    def fingerprint_body(self) -> dict[str, Any]:
        """The plan as the idempotency fingerprint sees it (canonical, JSON-able)."""
        body = {
            "unit_prices": sorted((vid, f"{p:.2f}") for vid, p in self.unit_prices.items()),
            "discounts": [
                [
                    d.source,
                    f"{d.amount:.2f}",
                    sorted(d.variants) if d.variants is not None else None,
                    str(d.funded_by),
                ]
                for d in self.discounts
            ],
            "quota_variants": sorted(self.quota_variants),
            "channel": self.channel,
            "placed_by": self.placed_by.pk if self.placed_by is not None else None,
        }
        if self.offer_prices:  # absent when empty: earlier fingerprints stay the same
            body["offer_prices"] = sorted((v, f"{p:.2f}") for v, p in self.offer_prices.items())
        return body

    def fingerprint(self) -> str:
        canonical = json.dumps(self.fingerprint_body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def clean(self) -> None:
        """Refuse amounts a feature should never hand over (programming errors surface
        as 400 ``invalid_input`` rather than a corrupt order)."""
        errors: dict[str, list[str]] = {}
        for name in ("unit_prices", "offer_prices"):
            for vid, price in getattr(self, name).items():
                if not isinstance(price, Decimal) or price < 0 or price != price.quantize(CENT):
                    errors.setdefault(name, []).append(f"{vid}: bad price {price!r}")
        for d in self.discounts:
            if not isinstance(d.amount, Decimal) or d.amount < 0:
                errors.setdefault("discounts", []).append(f"{d.source}: bad amount {d.amount!r}")
            else:
                try:
                    to_fen(d.amount)
                except ValueError:
                    errors.setdefault("discounts", []).append(f"{d.source}: more than 2 places")
        if not self.channel or len(self.channel) > 20:
            errors.setdefault("channel", []).append("1 to 20 characters.")
        if errors:
            raise InvalidInput(details=errors)


def discounts_apply(lines: Iterable[OrderLine], discounts: Iterable[Discount]) -> Decimal:
    """Set each line's ``discount`` and ``discount_platform`` from ``discounts`` (in the
    plan's order) and return the order's discount total.

    Each discount is capped at what its eligible lines still cost, then split over them
    in proportion to that by largest remainder, so the lines' discounts add up to the
    order's to the fen and no line's discount exceeds its total."""
    lines = list(lines)
    total = Decimal("0.00")
    for discount in discounts:
        eligible = [
            line
            for line in lines
            if (discount.variants is None or line.variant_id in discount.variants)
            and (discount.platform_funded or line.cooperative_id == int(discount.funded_by))
        ]
        left = [to_fen(line.line_total - line.discount) for line in eligible]
        room = sum(left)
        amount_fen = min(to_fen(discount.amount), room)
        if amount_fen <= 0:
            continue
        parts = split_largest_remainder(Decimal(amount_fen) / 100, left)
        for line, part in zip(eligible, parts, strict=True):
            line.discount += part
            if discount.platform_funded:
                line.discount_platform += part
        total += Decimal(amount_fen) / 100
    return total.quantize(CENT)
