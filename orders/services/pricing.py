"""What an order costs: its lines at the variants' prices and each cooperative's shipping."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from catalog.constants import Pricing
from catalog.models import Cooperative, Variant
from catalog.offers import offer_price
from regions.selectors import province_code_of

from ..models import OrderLine, OrderShipping

CENT = Decimal("0.01")


def shipping_fee_for(
    *, cooperative: Cooperative, goods_total: Decimal, weight_grams: int, region_code: str = ""
) -> Decimal:
    """One cooperative's rule: base fee + fee per started kilogram, free at or above
    ``free_shipping_over`` (when it is set), plus the cooperative's surcharge for the
    destination's province (remote regions such as Xinjiang or Tibet), which applies
    even to free shipping."""
    surcharge = Decimal(
        cooperative.shipping_region_surcharges.get(province_code_of(region_code), "0")
    )
    free_over = cooperative.free_shipping_over
    if free_over is not None and goods_total >= free_over:
        return surcharge.quantize(CENT)
    started_kg = math.ceil(weight_grams / 1000)
    fee = cooperative.shipping_base_fee + cooperative.shipping_fee_per_kg * started_kg
    return (fee + surcharge).quantize(CENT)


@dataclass(frozen=True)
class ShippingPreview:
    """One cooperative's parcel of a cart, priced by ``shipping_fee_for`` before the
    order exists (cart and checkout pages): what it costs and what makes it free."""

    cooperative: Cooperative
    goods_total: Decimal
    weight_grams: int
    fee: Decimal
    #: Goods total at which this parcel ships free (``None``: never free).
    free_over: Decimal | None
    #: How much more from this cooperative makes it free (``None``: already free or never).
    short_of_free: Decimal | None
    #: The destination's surcharge is in ``fee`` (a region was given) or not known yet.
    region_known: bool
    #: ``{province code: amount}`` the cooperative adds for remote provinces.
    surcharges: dict[str, str]


def shipping_preview(
    *, lines: list[tuple[Variant, int]], region_code: str = ""
) -> list[ShippingPreview]:
    """Each cooperative's shipping for ``[(variant, quantity)]`` (variants with
    ``product__cooperative`` loaded), by the same rule the order will be priced with.
    Pure: reads only the given rows."""
    parts: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"goods_total": Decimal("0.00"), "weight_grams": 0}
    )
    for variant, quantity in lines:
        part = parts[variant.product.cooperative_id]
        part["cooperative"] = variant.product.cooperative
        part["goods_total"] += (variant.price * quantity).quantize(CENT)
        part["weight_grams"] += variant.weight_grams * quantity
    out = []
    for _, part in sorted(parts.items()):
        coop, goods = part["cooperative"], part["goods_total"]
        free_over = coop.free_shipping_over
        out.append(
            ShippingPreview(
                cooperative=coop,
                goods_total=goods,
                weight_grams=part["weight_grams"],
                fee=shipping_fee_for(
                    cooperative=coop,
                    goods_total=goods,
                    weight_grams=part["weight_grams"],
                    region_code=region_code,
                ),
                free_over=free_over,
                short_of_free=(free_over - goods).quantize(CENT)
                if free_over is not None and goods < free_over
                else None,
                region_known=bool(region_code),
                surcharges=dict(coop.shipping_region_surcharges or {}),
            )
        )
    return out


@dataclass
class Priced:
    """Unsaved lines and shipping parts of an order, and its sums."""

    lines: list[OrderLine]
    shipping: list[OrderShipping]
    subtotal: Decimal
    shipping_fee: Decimal
    #: ``{variant_id: unit price}`` the lines were priced at (the stock UPDATE checks it).
    prices: dict[int, Decimal]


def order_price(
    *,
    requested: dict[int, int],
    variants: dict[int, Variant],
    region_code: str = "",
    unit_prices: dict[int, Decimal] | None = None,
    offer_prices: dict[int, Decimal] | None = None,
) -> Priced:
    """Lines copy what the buyer saw (title, SKU, price, cooperative); shipping is priced
    per cooperative. ``unit_prices`` (a ``PlacementPlan``'s) replace a variant's list price
    on its line; ``Priced.prices`` stays the list prices (what the stock UPDATE checks).
    ``offer_prices`` (running campaign prices) apply where ``catalog.offers.offer_price``
    says (below the list price of the row read here). Pure: reads only the given rows,
    writes nothing."""
    unit_prices = unit_prices or {}
    offer_prices = offer_prices or {}
    order_lines = []
    parts: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"goods_total": Decimal("0.00"), "weight_grams": 0}
    )
    for vid, quantity in requested.items():
        variant = variants[vid]
        product = variant.product
        if vid in unit_prices:
            unit_price = unit_prices[vid]
        else:
            unit_price = offer_price(variant.price, offer_prices.get(vid)) or variant.price
        line_total = (unit_price * quantity).quantize(CENT)
        order_lines.append(
            OrderLine(
                variant=variant,
                cooperative=product.cooperative,
                sku=variant.sku,
                title=f"{product.title} — {variant.name}"[:240],
                unit_price=unit_price,
                quantity=quantity,
                line_total=line_total,
                weight_grams=variant.weight_grams,
                price_per_kg=variant.price_per_kg if variant.pricing == Pricing.WEIGHT else None,
                estimated_weight_grams=(
                    variant.estimated_weight_grams if variant.pricing == Pricing.WEIGHT else None
                ),
            )
        )
        part = parts[product.cooperative_id]
        part["cooperative"] = product.cooperative
        part["goods_total"] += line_total
        part["weight_grams"] += variant.weight_grams * quantity
    shipping = [
        OrderShipping(
            cooperative=part["cooperative"],
            goods_total=part["goods_total"],
            weight_grams=part["weight_grams"],
            fee=shipping_fee_for(
                cooperative=part["cooperative"],
                goods_total=part["goods_total"],
                weight_grams=part["weight_grams"],
                region_code=region_code,
            ),
        )
        for _, part in sorted(parts.items())
    ]
    return Priced(
        lines=order_lines,
        shipping=shipping,
        subtotal=sum((line.line_total for line in order_lines), Decimal("0.00")),
        shipping_fee=sum((s.fee for s in shipping), Decimal("0.00")),
        prices={vid: variants[vid].price for vid in requested},
    )
