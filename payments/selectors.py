"""Reads of the payments app: balances, payments of an order, ledger listings."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Cooperative
from orders.models import OrderShipping

from .constants import LedgerAccount, LedgerKind, PaymentStatus
from .models import LedgerEntry, Payment

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum(condition: Q, prefix: str = "") -> Coalesce:
    return Coalesce(Sum(f"{prefix}amount", filter=condition), Value(ZERO), output_field=_MONEY)


def cooperative_balance(*, cooperative: Cooperative) -> dict[str, Decimal]:
    """`pending` (paid orders not completed yet), `available` (may be paid out) and
    `paid_out`, as Decimals: sums of the ledger, never stored numbers."""
    totals = LedgerEntry.objects.filter(cooperative=cooperative).aggregate(
        pending=_sum(Q(account=LedgerAccount.PENDING)),
        available=_sum(Q(account=LedgerAccount.AVAILABLE)),
        payouts=_sum(Q(kind=LedgerKind.PAYOUT)),
    )
    return {
        "pending": totals["pending"],
        "available": totals["available"],
        "paid_out": -totals["payouts"] + ZERO,
    }


def cooperatives_with_balances(queryset: QuerySet | None = None) -> QuerySet:
    """Cooperatives annotated with `balance_pending`, `balance_available`,
    `balance_paid_out` in one query (admin list)."""
    qs = queryset if queryset is not None else Cooperative.objects.all()
    p = "ledger_entries__"
    return qs.annotate(
        balance_pending=_sum(Q(ledger_entries__account=LedgerAccount.PENDING), p),
        balance_available=_sum(Q(ledger_entries__account=LedgerAccount.AVAILABLE), p),
        balance_payouts=_sum(Q(ledger_entries__kind=LedgerKind.PAYOUT), p),
    )


def payment_holds_sale(*, payment_id: int) -> bool:
    """Whether the payment paid for its order's goods (a sale entry was written for it)."""
    return LedgerEntry.objects.filter(payment_id=payment_id, kind=LedgerKind.SALE).exists()


def order_sale_payment_id(*, order_id: int) -> int | None:
    """The payment that paid for the order's goods (it holds the sale entries)."""
    return (
        LedgerEntry.objects.filter(order_id=order_id, kind=LedgerKind.SALE)
        .order_by("id")
        .values_list("payment_id", flat=True)
        .first()
    )


def order_sale_payments_refunded(*, order_id: int) -> bool:
    """Whether every payment of the order that holds a sale entry has been refunded
    (True when none does): only then is the order's money all given back."""
    return not (
        Payment.objects.filter(
            order_id=order_id,
            ledger_entries__kind=LedgerKind.SALE,
        )
        .exclude(status=PaymentStatus.REFUNDED)
        .exists()
    )


def with_cooperative_share(
    queryset: QuerySet, *, order_field: str, cooperative_ids: Collection[int]
) -> QuerySet:
    """Annotate ``cooperative_share``: the goods and shipping these cooperatives sell in
    the order reached through ``order_field`` (``"order"``, ``"payment__order"``), which
    is what their ledger's sale entries hold once it is paid. A cooperative manager sees
    this instead of the payment's whole amount, which includes other cooperatives'
    goods. One subquery per row, in the list's own query."""
    parts = (
        OrderShipping.objects.filter(
            order_id=OuterRef(order_field), cooperative_id__in=list(cooperative_ids)
        )
        .order_by()
        .values("order_id")
        .annotate(total=Sum(F("goods_total") + F("fee")))
        .values("total")
    )
    return queryset.annotate(
        cooperative_share=Coalesce(Subquery(parts, output_field=_MONEY), Value(ZERO))
    )
