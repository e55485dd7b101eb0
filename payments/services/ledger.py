"""The cooperatives' ledger: a sale when an order is paid, its reversal when the money is
given back, the release to ``available`` when the order completes. Append-only."""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from catalog.models import Cooperative
from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping
from storefront import metrics
from storefront.db import CompiledRead, insert_rows
from storefront.errors import InvalidState

from ..constants import LedgerAccount, LedgerKind
from ..models import LedgerEntry, Payment, Refund

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def _fee_percent(*, poverty_relief: bool) -> Decimal:
    if poverty_relief:
        return Decimal(str(getattr(settings, "PLATFORM_FEE_PERCENT_POVERTY_RELIEF", "0")))
    return Decimal(str(settings.PLATFORM_FEE_PERCENT))


# Read for every payment applied: compiled once per connection.
_line_sums = CompiledRead(
    lambda order_id: (
        OrderLine.objects.filter(order_id=order_id)
        .values("cooperative", "cooperative__county__poverty_relief")
        .annotate(s=Sum("line_total"), d=Sum("discount"), p=Sum("discount_platform"))
        .order_by()
    )
)
_shipping_fees = CompiledRead(
    lambda order_id: OrderShipping.objects.filter(order_id=order_id).values(
        "cooperative", "fee", "cooperative__county__poverty_relief"
    )
)


def ledger_record_sale(*, order: Order, payment: Payment) -> list[LedgerEntry]:
    """Per cooperative, in the pending account: a sale (what the buyer paid for its part:
    its lines less their discounts, plus its shipping), the platform's subsidy (the part
    of those discounts the platform funds, so a platform-funded discount costs the
    cooperative nothing) and the platform fee (on sale + subsidy). The sales add up to
    the payment to the fen. Precondition: the order row is locked. Once per order (a
    unique constraint backs this up)."""
    # Each cooperative's poverty-relief flag comes with its sums (no third query).
    goods: dict[int, Decimal] = defaultdict(Decimal)
    subsidy: dict[int, Decimal] = defaultdict(Decimal)
    relief: dict[int, bool] = {}
    for row in _line_sums.dicts(order_id=order.pk):
        goods[row["cooperative"]] += row["s"] - row["d"]
        subsidy[row["cooperative"]] += row["p"]
        relief[row["cooperative"]] = row["cooperative__county__poverty_relief"]
    shipping: dict[int, Decimal] = {}
    for row in _shipping_fees.dicts(order_id=order.pk):
        coop_id, fee, poverty_relief = (
            row["cooperative"],
            row["fee"],
            row["cooperative__county__poverty_relief"],
        )
        shipping[coop_id] = fee
        relief[coop_id] = poverty_relief
    coop_ids = sorted(set(goods) | set(shipping))
    entries: list[LedgerEntry] = []
    for coop_id in coop_ids:
        sale = goods.get(coop_id, Decimal("0")) + shipping.get(coop_id, Decimal("0"))
        common = {"cooperative_id": coop_id, "order": order, "payment": payment}
        entries.append(
            LedgerEntry(
                **common,
                account=LedgerAccount.PENDING,
                kind=LedgerKind.SALE,
                amount=sale,
                memo=f"order {order.number}",
            )
        )
        if subsidy.get(coop_id):
            entries.append(
                LedgerEntry(
                    **common,
                    account=LedgerAccount.PENDING,
                    kind=LedgerKind.PLATFORM_SUBSIDY,
                    amount=subsidy[coop_id],
                    memo=f"platform-funded discount on order {order.number}",
                )
            )
        gross = sale + subsidy.get(coop_id, Decimal("0"))
        fee = (gross * _fee_percent(poverty_relief=relief[coop_id]) / HUNDRED).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        if fee:
            entries.append(
                LedgerEntry(
                    **common,
                    account=LedgerAccount.PENDING,
                    kind=LedgerKind.PLATFORM_FEE,
                    amount=-fee,
                    memo=f"platform fee on order {order.number}",
                )
            )
    total = sum((e.amount for e in entries if e.kind == LedgerKind.SALE), Decimal("0"))
    if total != payment.amount:
        # The order's lines and shipping must add up to what was paid; staff must look.
        logger.error("ledger: order %s sales %s != paid %s", order.number, total, payment.amount)
        metrics.incr("ledger_mismatch")
    insert_rows(entries)
    return entries


def ledger_record_refund(*, order: Order, refund: Refund) -> list[LedgerEntry]:
    """Reverse what the order left in each cooperative's accounts (sale less fee, in
    whichever account it sits now). Nothing for a payment that never paid the order."""
    if not LedgerEntry.objects.filter(payment_id=refund.payment_id, kind=LedgerKind.SALE).exists():
        return []
    if refund.order_line_id is not None:
        return _ledger_record_line_refund(order=order, refund=refund)
    # A reversal may take from ``available`` (a completed order refunded at the provider):
    # lock the cooperatives first, in pk order, as a payout does, so a payout racing it
    # waits and then sees the reversal (never an available balance below zero).
    cooperatives_lock(
        Cooperative.objects.filter(
            pk__in=LedgerEntry.objects.filter(order=order).values("cooperative")
        )
    )
    nets = (
        LedgerEntry.objects.filter(order=order)
        .values("cooperative", "account")
        .annotate(net=Sum("amount"))
        .order_by("cooperative", "account")
    )
    entries = [
        LedgerEntry(
            cooperative_id=row["cooperative"],
            account=row["account"],
            kind=LedgerKind.REFUND_REVERSAL,
            amount=-row["net"],
            order=order,
            payment_id=refund.payment_id,
            refund=refund,
            memo=f"refund {refund.out_refund_no}",
        )
        for row in nets
        if row["net"]
    ]
    LedgerEntry.objects.bulk_create(entries)
    return entries


def _ledger_record_line_refund(*, order: Order, refund: Refund) -> list[LedgerEntry]:
    """A partial refund of one line: its cooperative gives back the refunded amount and
    the platform-funded discount it takes back (``refund.subsidy``), and gets back the
    platform fee on both (rounded half-up to the fen), in the account the order's money
    sits in now (``available`` once released). A whole refund later reverses what is
    left, so the order's entries still come to zero."""
    coop_id = OrderLine.objects.filter(pk=refund.order_line_id).values_list(
        "cooperative_id", "cooperative__county__poverty_relief"
    )
    coop_id, poverty_relief = coop_id.get()
    cooperatives_lock(Cooperative.objects.filter(pk=coop_id))
    released = LedgerEntry.objects.filter(
        order=order, cooperative_id=coop_id, kind=LedgerKind.RELEASE
    ).exists()
    account = LedgerAccount.AVAILABLE if released else LedgerAccount.PENDING
    gross = refund.amount + refund.subsidy
    fee = (gross * _fee_percent(poverty_relief=poverty_relief) / HUNDRED).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    common = {
        "cooperative_id": coop_id,
        "account": account,
        "order": order,
        "payment_id": refund.payment_id,
        "refund": refund,
    }
    entries = [
        LedgerEntry(
            **common,
            kind=LedgerKind.PARTIAL_REFUND,
            amount=-refund.amount,
            memo=f"refund {refund.out_refund_no}",
        )
    ]
    if refund.subsidy:
        entries.append(
            LedgerEntry(
                **common,
                kind=LedgerKind.SUBSIDY_REVERSAL,
                amount=-refund.subsidy,
                memo=f"platform-funded discount given back by refund {refund.out_refund_no}",
            )
        )
    if fee:
        entries.append(
            LedgerEntry(
                **common,
                kind=LedgerKind.FEE_REVERSAL,
                amount=fee,
                memo=f"platform fee on refund {refund.out_refund_no}",
            )
        )
    LedgerEntry.objects.bulk_create(entries)
    return entries


def cooperatives_lock(queryset) -> list[int]:
    """Lock cooperative rows in pk order (the ledger's balances are theirs to guard);
    returns their ids. Precondition: inside ``transaction.atomic()``."""
    return list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def ledger_release_for_order(*, order: Order) -> int:
    """Make a completed order's money available for payout; returns the number of
    ledger entries written (0 when already released: idempotent)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.COMPLETED:
            raise InvalidState(
                "Only a completed order's money can be released.",
                details={"status": locked.status, "number": locked.number},
            )
        released = set(
            LedgerEntry.objects.filter(order=locked, kind=LedgerKind.RELEASE).values_list(
                "cooperative", flat=True
            )
        )
        nets = (
            LedgerEntry.objects.filter(order=locked, account=LedgerAccount.PENDING)
            .values("cooperative")
            .annotate(net=Sum("amount"))
            .order_by("cooperative")
        )
        entries: list[LedgerEntry] = []
        for row in nets:
            if row["cooperative"] in released or not row["net"]:
                continue
            for account, amount in (
                (LedgerAccount.PENDING, -row["net"]),
                (LedgerAccount.AVAILABLE, row["net"]),
            ):
                entries.append(
                    LedgerEntry(
                        cooperative_id=row["cooperative"],
                        account=account,
                        kind=LedgerKind.RELEASE,
                        amount=amount,
                        order=locked,
                        memo=f"order {locked.number} completed",
                    )
                )
        LedgerEntry.objects.bulk_create(entries)
        return len(entries)
