"""Lines sold by weight: the weighing record, and the shipping of a parcel repriced at
the final weight (issue 14 §6). The money rule is ``catalog.weight``; the refund of the
difference is the lifecycle's (``lifecycle.services.partial``)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from accounts.models import User

from ..models import Order, OrderLine, OrderShipping
from .pricing import shipping_fee_for


def order_line_weighed(
    *, line: OrderLine, grams: int, final_amount: Decimal, by: User | None
) -> None:
    """Record the weighing (who, when, the grams and the final amount).
    Precondition: the order and line rows are locked and the line is not weighed yet."""
    line.final_weight_grams = grams
    line.final_amount = final_amount
    line.weighed_by = by
    line.weighed_at = timezone.now()
    line.save(update_fields=["final_weight_grams", "final_amount", "weighed_by", "weighed_at"])


def shipping_weight_of(line: OrderLine) -> int:
    """What the line weighs in the parcel: once weighed, the actual grams plus the
    packaging its unit weight allows above the estimate; otherwise as ordered."""
    if line.final_weight_grams is None or line.estimated_weight_grams is None:
        return line.weight_grams * line.quantity
    packaging = max(line.weight_grams - line.estimated_weight_grams, 0) * line.quantity
    return line.final_weight_grams + packaging


def order_shipping_reprice(*, order: Order, cooperative_id: int) -> OrderShipping | None:
    """Once every by-weight line of the cooperative's part is weighed, price its shipping
    again by the same rule at the final weight and goods: ``final_fee`` (never above the
    fee paid) and ``final_weight_grams``. None while a line waits to be weighed or when
    it was repriced before. Precondition: the order row is locked."""
    part = (
        OrderShipping.objects.select_for_update()
        .filter(order=order, cooperative_id=cooperative_id)
        .select_related("cooperative")
        .first()
    )
    if part is None or part.final_fee is not None:
        return None
    lines = list(OrderLine.objects.filter(order=order, cooperative_id=cooperative_id))
    if any(line.price_per_kg is not None and line.final_amount is None for line in lines):
        return None
    goods = sum((line.charged for line in lines), Decimal("0.00"))
    weight = sum(shipping_weight_of(line) for line in lines)
    fee = shipping_fee_for(
        cooperative=part.cooperative,
        goods_total=goods,
        weight_grams=weight,
        region_code=(order.shipping_address or {}).get("region_code", ""),
    )
    part.final_fee = min(fee, part.fee)
    part.final_weight_grams = weight
    part.save(update_fields=["final_fee", "final_weight_grams"])
    return part
