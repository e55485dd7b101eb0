"""Reads of the payments app: balances, payments of an order, ledger listings."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Cooperative

from .constants import LedgerAccount, LedgerKind
from .models import LedgerEntry

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
