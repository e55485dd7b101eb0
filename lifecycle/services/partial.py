"""Partial refunds of one order line, across orders and payments:

- ``line_weigh``: a line sold by weight is weighed at packing (issue 14 §6): the final
  amount is the actual grams × the price per kg, rounded half-up to the fen once
  (``catalog.weight.settle``), capped at what was paid for the line (which includes the
  buffer when the buyer paid one); the difference goes back to the buyer by a partial
  refund keyed ``weigh:line:<id>``, so it is refunded exactly once, however many times
  (and however concurrently) the form is saved.
- ``line_refund_units``: N units of a line given back (issue 13 §1): what they cost
  after the line's share of the discount, N/qty of the line's net split by largest
  remainder per unit, so refunding every unit in several steps adds up exactly to the
  line's net. Keyed ``line:<id>:<first>-<last>``: the same units never twice.

Neither moves the order (a partial refund is not a cancellation). Lock order: order,
order line, payment (then refunds, cooperatives in the ledger), as in every flow.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from catalog.weight import settle
from fulfilment.services import shipment_slips_outdated
from orders.constants import OrderStatus
from orders.models import Order, OrderLine
from orders.services import order_line_weighed, order_shipping_reprice
from payments import services as payments
from payments.constants import RefundStatus
from payments.models import Payment, Refund
from payments.selectors import order_sale_payment_id
from storefront.errors import InvalidInput, InvalidState, NotFound
from storefront.money import split_largest_remainder

from .refunds import refunds_submit_on_commit

#: The heaviest line a scale may report (1 t): anything above is a typing error.
MAX_LINE_GRAMS = 1_000_000

#: Orders whose lines may be weighed: paid, not yet on their way.
WEIGHABLE = (OrderStatus.PAID,)
#: Orders whose units may be given back: paid, whatever happened to the parcel since.
REFUNDABLE = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)


@dataclass(frozen=True)
class PartialRefundResult:
    line: OrderLine
    #: The refund of this cause (None when nothing is given back).
    refund: Refund | None
    #: Whether this call did it (False: the same cause was recorded before).
    created: bool


def _line_locked(
    *, line_id: int, cooperative_ids: Collection[int] | None
) -> tuple[Order, OrderLine]:
    """The order and line rows, locked in that order; another cooperative's line (when
    ``cooperative_ids`` scopes the caller) is a plain 404."""
    scope = OrderLine.objects.filter(pk=line_id)
    if cooperative_ids is not None:
        scope = scope.filter(cooperative_id__in=list(cooperative_ids))
    order_id = scope.values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound("No such order line.")
    order = Order.objects.select_for_update().get(pk=order_id)
    line = OrderLine.objects.select_for_update().get(pk=line_id)
    return order, line


def _sale_payment_locked(order: Order) -> Payment:
    payment_id = order_sale_payment_id(order_id=order.pk)
    if payment_id is None:
        raise InvalidState("This order has no payment to refund.", code="order_not_paid")
    return Payment.objects.select_for_update().get(pk=payment_id)


def _grams(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_LINE_GRAMS:
        raise InvalidInput(
            "The weight is a whole number of grams, more than 0 and at most 1,000,000.",
            code="weight_invalid",
            details={"grams": str(value)},
        )
    return value


def line_weigh(
    *,
    line_id: int,
    grams: int,
    by: User | None,
    cooperative_ids: Collection[int] | None = None,
) -> PartialRefundResult:
    """Record the actual weight of a by-weight line and give back the difference.

    Weighing a line again with the same grams changes nothing (the form saved twice);
    with other grams it is refused (``already_weighed``): the refund has gone."""
    grams = _grams(grams)
    with transaction.atomic():
        order, line = _line_locked(line_id=line_id, cooperative_ids=cooperative_ids)
        if not line.by_weight:
            raise InvalidInput("This line is not sold by weight.", code="not_sold_by_weight")
        if line.final_weight_grams is not None:
            if line.final_weight_grams != grams:
                raise InvalidState(
                    "This line was weighed already.",
                    code="already_weighed",
                    details={"grams": line.final_weight_grams},
                )
            refund = (
                line.refunds.filter(key=weigh_key(line)).exclude(status=RefundStatus.FAILED).first()
            )
            return PartialRefundResult(line=line, refund=refund, created=False)
        if order.status not in WEIGHABLE:
            raise InvalidState(
                "Only a paid order waiting to be packed can be weighed.",
                code="order_not_packing",
                details={"status": order.status},
            )
        result = settle(paid=line.line_total, actual_grams=grams, price_per_kg=line.price_per_kg)
        # A discount stays the buyer's: the line never gives back more than it cost.
        back = min(result.refund, line.line_total - line.discount)
        order_line_weighed(line=line, grams=grams, final_amount=result.charged, by=by)
        shipment_slips_outdated(order_line_id=line.pk)
        part = order_shipping_reprice(order=order, cooperative_id=line.cooperative_id)
        shipping_back = part.fee - part.final_fee if part is not None else Decimal("0.00")
        if back <= 0 and shipping_back <= 0:
            return PartialRefundResult(line=line, refund=None, created=True)
        payment = _sale_payment_locked(order)
        refund = None
        created = False
        if back > 0:
            refund, created = payments.refund_partial_create(
                payment=payment,
                amount=back,
                key=weigh_key(line),
                reason=f"weighed {grams} g of {line.sku} (order {order.number})",
                order_line_id=line.pk,
            )
        if shipping_back > 0:
            # The parcel weighs less than paid for: its shipping difference goes back too,
            # from the same cooperative (the refund names the line that completed it).
            shipping_refund, _new = payments.refund_partial_create(
                payment=payment,
                amount=shipping_back,
                key=f"weigh:shipping:{part.pk}",
                reason=f"shipping at {part.final_weight_grams} g weighed (order {order.number})",
                order_line_id=line.pk,
            )
            refunds_submit_on_commit([shipping_refund])
        if created:
            refunds_submit_on_commit([refund])
    return PartialRefundResult(line=line, refund=refund, created=created)


def weigh_key(line: OrderLine) -> str:
    return f"weigh:line:{line.pk}"


_UNITS_KEY = re.compile(r"^line:(\d+):(\d+)-(\d+)$")


def line_units_refunded(line: OrderLine) -> int:
    """How many of the line's units live refunds give back (their keys say which)."""
    return lines_units_refunded([line])[line.pk]


def lines_units_refunded(lines) -> dict[int, int]:
    """``{line id: units given back by live refunds}`` for ``lines``, in one query."""
    done = {line.pk: 0 for line in lines}
    rows = (
        Refund.objects.filter(order_line_id__in=list(done))
        .exclude(status=RefundStatus.FAILED)
        .values_list("order_line_id", "key")
    )
    for line_id, key in rows:
        match = _UNITS_KEY.match(key)
        if match and int(match.group(1)) == line_id:
            done[line_id] = max(done[line_id], int(match.group(3)))
    return done


def line_net(line: OrderLine) -> Decimal:
    """What the buyer paid for the line's goods, after its share of the discount and
    after a weighing's refund: what giving back every unit refunds."""
    return max(line.charged - line.discount, Decimal("0.00"))


def line_units_amounts(line: OrderLine, first: int, last: int) -> tuple[Decimal, Decimal]:
    """(refund, platform subsidy given back) for units ``first..last`` (1-based): the
    line's net and its platform-funded discount each split over its units by largest
    remainder, summed over those units."""
    per_unit = split_largest_remainder(line_net(line), [1] * line.quantity)
    subsidy = split_largest_remainder(line.discount_platform, [1] * line.quantity)
    zero = Decimal("0.00")
    return sum(per_unit[first - 1 : last], zero), sum(subsidy[first - 1 : last], zero)


def line_refund_units(
    *,
    line_id: int,
    units: int,
    by: User | None,
    already: int | None = None,
    cooperative_ids: Collection[int] | None = None,
    reason: str = "",
) -> PartialRefundResult:
    """Give back ``units`` units of a line: the next units not refunded yet.

    ``already`` is how many units the person saw refunded when they sent the form: when
    it is given and no longer true, the same form was sent before (its refund is
    returned) or someone else refunded meanwhile (refused, ``stale_form``), so a form
    sent twice never refunds twice."""
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise InvalidInput("Refund at least one unit.", code="units_invalid")
    with transaction.atomic():
        order, line = _line_locked(line_id=line_id, cooperative_ids=cooperative_ids)
        if order.status not in REFUNDABLE:
            raise InvalidState(
                "Only a paid order's lines can be refunded in part.",
                code="order_not_paid",
                details={"status": order.status},
            )
        if line.by_weight and line.final_amount is None:
            raise InvalidState(
                "Weigh this line before refunding part of it.", code="line_not_weighed"
            )
        done = line_units_refunded(line)
        start = done if already is None else already
        if already is not None and already != done:
            key = f"line:{line.pk}:{start + 1}-{start + units}"
            same = line.refunds.filter(key=key).exclude(status=RefundStatus.FAILED).first()
            if same is not None:
                return PartialRefundResult(line=line, refund=same, created=False)
            raise InvalidState(
                "Units of this line were refunded meanwhile; look again.",
                code="stale_form",
                details={"refunded_units": done},
            )
        if start + units > line.quantity:
            raise InvalidInput(
                "More units than are left to refund.",
                code="units_invalid",
                details={"left": line.quantity - done},
            )
        amount, subsidy = line_units_amounts(line, start + 1, start + units)
        if amount <= 0:
            raise InvalidState("Nothing is left to refund on this line.", code="nothing_to_refund")
        payment = _sale_payment_locked(order)
        refund, created = payments.refund_partial_create(
            payment=payment,
            amount=amount,
            key=f"line:{line.pk}:{start + 1}-{start + units}",
            reason=(reason or f"{units} × {line.sku} refunded (order {order.number})"),
            order_line_id=line.pk,
            subsidy=subsidy,
        )
        if created:
            refunds_submit_on_commit([refund])
        return PartialRefundResult(line=line, refund=refund, created=created)


__all__ = [
    "MAX_LINE_GRAMS",
    "PartialRefundResult",
    "line_net",
    "line_refund_units",
    "line_units_amounts",
    "line_units_refunded",
    "line_weigh",
    "lines_units_refunded",
]
