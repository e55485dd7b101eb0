"""Payouts of a cooperative's available balance, and their CSV for the bank transfer."""

from __future__ import annotations

import csv
import io
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog import news as catalog_news
from catalog.models import Cooperative
from notifications.constants import NotificationKind
from notifications.services import notify_in_flow

from ..constants import LedgerAccount, LedgerKind, PayoutStatus
from ..exceptions import PayoutInsufficientBalance
from ..models import LedgerEntry, Payout
from ..selectors import cooperative_balance


def payout_create(*, cooperative: Cooperative, created_by, amount: Decimal | None = None) -> Payout:
    """A payout of `amount` (default: everything available) from the cooperative's
    available balance. Locks the cooperative row, so two staff clicking at once can
    never pay out more than there is. Raises `PayoutInsufficientBalance` (409)."""
    with transaction.atomic():
        # The same lock a refund reversal takes (``ledger.cooperatives_lock``), so the
        # balance read below already counts any reversal that raced this payout.
        locked = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
        available = cooperative_balance(cooperative=locked)["available"]
        amount = available if amount is None else amount
        if amount <= 0 or amount > available:
            raise PayoutInsufficientBalance(
                details={"available": f"{available:.2f}", "amount": f"{amount:.2f}"}
            )
        payout = Payout.objects.create(
            cooperative=locked,
            amount=amount,
            reference=f"PO{timezone.now():%Y%m%d}{secrets.token_hex(5).upper()}",
            created_by=created_by,
        )
        LedgerEntry.objects.create(
            cooperative=locked,
            account=LedgerAccount.AVAILABLE,
            kind=LedgerKind.PAYOUT,
            amount=-amount,
            payout=payout,
            memo=f"payout {payout.reference}",
        )
        for user_id in catalog_news.manager_ids(locked.pk):
            notify_in_flow(
                user_id=user_id,
                kind=NotificationKind.PAYOUT_MADE,
                event_key=f"payout:{payout.reference}",
                context={"amount": f"{payout.amount:.2f}", "reference": payout.reference},
            )
        return payout


PAYOUT_CSV_HEADER = [
    "reference",
    "cooperative",
    "cooperative_slug",
    "amount",
    "currency",
    "created",
]


def payouts_export(*, payout_ids: list[int]) -> str:
    """CSV of the payouts for the bank transfer; marks them exported."""
    with transaction.atomic():
        payouts = list(
            Payout.objects.select_for_update()
            .filter(pk__in=payout_ids)
            .select_related("cooperative")
            .order_by("id")
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(PAYOUT_CSV_HEADER)
        for p in payouts:
            writer.writerow(
                [
                    p.reference,
                    _csv_safe(p.cooperative.name),
                    p.cooperative.slug,
                    f"{p.amount:.2f}",
                    "CNY",
                    p.created.isoformat(),
                ]
            )
        now = timezone.now()
        Payout.objects.filter(pk__in=[p.pk for p in payouts], exported_at__isnull=True).update(
            status=PayoutStatus.EXPORTED, exported_at=now
        )
        return out.getvalue()


def _csv_safe(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
