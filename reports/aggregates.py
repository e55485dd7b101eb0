"""The daily aggregates: built from orders, refunds, payouts and shipments, and checked
against the ledger.

``aggregates_build_day`` rebuilds one day from scratch (delete and insert under the
day's row lock), so it may run any number of times for any day: the beat task runs it
for today and yesterday, staff for any day (admin action, ``manage.py
aggregates_rebuild``). A sale counts on the local day its order was paid, a refund on
the day it succeeded, a payout on the day it was made.

``aggregates_check_day`` compares a day's stored aggregates with the ledger, figure by
figure and cooperative by cooperative, records each difference as a row staff see and
counts it (metric ``aggregate_ledger_mismatch``). The two sides come from different
tables (order lines and shipping fees against ledger sales, refunded lines against
refund reversals, payouts against payout entries), so a difference means the money
records disagree, or the day was not rebuilt after a late change.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from fulfilment.models import Shipment
from orders.models import OrderLine, OrderShipping
from payments.constants import LedgerKind, RefundStatus
from payments.models import LedgerEntry, Payout, Refund
from storefront import metrics

from .constants import Figure
from .models import AggregateDay, AggregateDifference, DailyCooperative, DailySales

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


# What a line brings its cooperative: its total less the discount the cooperative funds
# (a platform-funded discount is credited back to it: ledger kind platform_subsidy).
LINE_KEPT = F("line_total") - F("discount") + F("discount_platform")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as [start, end) aware datetimes."""
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
    return start, end


def _in(field: str, day: date) -> Q:
    start, end = day_bounds(day)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _refunded_order_ids(day: date):
    """Orders whose paying payment was refunded (all that was left of it) on ``day`` (a
    refund of a payment that never paid its order — a late or second payment — gave
    back no sale). Partial refunds of a line are ``_partial_refunds``."""
    paid_a_sale = LedgerEntry.objects.filter(payment=OuterRef("payment"), kind=LedgerKind.SALE)
    return (
        Refund.objects.filter(
            _in("completed_at", day), status=RefundStatus.SUCCEEDED, order_line__isnull=True
        )
        .filter(Exists(paid_a_sale))
        .values("payment__order_id")
    )


def _partial_refunds(**filters) -> list[dict]:
    """Succeeded partial refunds of a line: its cooperative, SKU, variant and title, the
    gross it took from the cooperative (what the buyer got back and the platform-funded
    discount given back with it) and the units it gave back (a weighing: none)."""
    rows = Refund.objects.filter(
        status=RefundStatus.SUCCEEDED, order_line__isnull=False, **filters
    ).values(
        "key",
        "amount",
        "subsidy",
        cooperative=F("order_line__cooperative"),
        sku=F("order_line__sku"),
        variant_id=F("order_line__variant"),
        title=F("order_line__title"),
    )
    out = []
    for r in rows:
        units = _UNITS_KEY.match(r["key"])
        out.append(
            {
                **r,
                "gross": r["amount"] + r["subsidy"],
                "units": int(units.group(2)) - int(units.group(1)) + 1 if units else 0,
            }
        )
    return out


_UNITS_KEY = re.compile(r"^line:\d+:(\d+)-(\d+)$")


def _refund_day_filter(day: date) -> dict:
    start, end = day_bounds(day)
    return {"completed_at__gte": start, "completed_at__lt": end}


def _per_variant(lines, **more):
    """Order lines summed per cooperative and SKU: units, ``s`` (what the lines bring
    their cooperative: ``LINE_KEPT``) and ``more``."""
    return (
        lines.values("cooperative", "sku")
        .annotate(
            variant_id=Max("variant"),
            title_=Max("title"),
            units=Sum("quantity"),
            s=Sum(LINE_KEPT),
            **more,
        )
        .order_by()
    )


@transaction.atomic
def aggregates_build_day(*, day: date) -> int:
    """Rebuild ``day``'s aggregates; returns the number of sales rows written."""
    marker, _created = AggregateDay.objects.get_or_create(day=day)
    AggregateDay.objects.select_for_update().filter(pk=marker.pk).first()

    rows: dict[tuple[int, str], DailySales] = {}

    def row(coop_id: int, sku: str = "") -> DailySales:
        key = (coop_id, sku)
        if key not in rows:
            rows[key] = DailySales(day=day, cooperative_id=coop_id, sku=sku)
        return rows[key]

    paid = _in("order__paid_at", day)
    for r in _per_variant(OrderLine.objects.filter(paid), orders=Count("order", distinct=True)):
        sold = row(r["cooperative"], r["sku"])
        sold.variant_id, sold.title = r["variant_id"], r["title_"][:240]
        sold.units, sold.sales, sold.orders = r["units"], r["s"], r["orders"]
    for r in (
        OrderLine.objects.filter(paid)
        .values("cooperative")
        .annotate(orders=Count("order", distinct=True))
        .order_by()
    ):
        row(r["cooperative"]).orders = r["orders"]
    for r in (
        OrderShipping.objects.filter(paid).values("cooperative").annotate(s=Sum("fee")).order_by()
    ):
        row(r["cooperative"]).shipping = r["s"]
    for r in (
        LedgerEntry.objects.filter(paid, kind=LedgerKind.PLATFORM_FEE)
        .values("cooperative")
        .annotate(s=Sum("amount"))
        .order_by()
    ):
        row(r["cooperative"]).fees = -r["s"]

    refunded = _refunded_order_ids(day)
    for r in _per_variant(OrderLine.objects.filter(order_id__in=refunded)):
        back = row(r["cooperative"], r["sku"])
        back.variant_id = back.variant_id or r["variant_id"]
        back.title = back.title or r["title_"][:240]
        back.refunded_units, back.refunds = r["units"], r["s"]
        coop_row = row(r["cooperative"])
        coop_row.refunds += r["s"]
    for r in (
        OrderShipping.objects.filter(order_id__in=refunded)
        .values("cooperative")
        .annotate(s=Sum("fee"))
        .order_by()
    ):
        row(r["cooperative"]).refunds += r["s"]
    # Partial refunds of a line count on the day they succeeded; a whole refund (just
    # above) gave back what they had not, so theirs before it are taken off it.
    for sign, partial in (
        (1, _partial_refunds(**_refund_day_filter(day))),
        (-1, _partial_refunds(payment__order_id__in=refunded)),
    ):
        for r in partial:
            back = row(r["cooperative"], r["sku"])
            back.variant_id = back.variant_id or r["variant_id"]
            back.title = back.title or r["title"][:240]
            back.refunds += sign * r["gross"]
            back.refunded_units += sign * r["units"]
            row(r["cooperative"]).refunds += sign * r["gross"]
    # The cooperative row's refunds hold the whole refund (goods and shipping); the
    # variant rows hold the goods part of it per variant.

    days = _cooperative_days(day, paid)
    DailySales.objects.filter(day=day).delete()
    DailyCooperative.objects.filter(day=day).delete()
    DailySales.objects.bulk_create(rows.values())
    DailyCooperative.objects.bulk_create(days.values())
    AggregateDay.objects.filter(pk=marker.pk).update(built_at=timezone.now())
    return len(rows)


def _cooperative_days(day: date, paid: Q) -> dict[int, DailyCooperative]:
    days: dict[int, DailyCooperative] = {}

    def get(coop_id: int) -> DailyCooperative:
        if coop_id not in days:
            days[coop_id] = DailyCooperative(day=day, cooperative_id=coop_id)
        return days[coop_id]

    for r in (
        Payout.objects.filter(_in("created", day))
        .values("cooperative")
        .annotate(s=Sum("amount"))
        .order_by()
    ):
        get(r["cooperative"]).payouts = r["s"]
    for r in (
        OrderLine.objects.filter(paid)
        .values("cooperative", province=KeyTextTransform("province", "order__shipping_address"))
        .annotate(orders=Count("order", distinct=True), sales=Sum(LINE_KEPT))
        .order_by()
    ):
        province = (r["province"] or "").strip()[:40] or "?"
        get(r["cooperative"]).provinces[province] = {
            "orders": r["orders"],
            "sales": f"{r['sales']:.2f}",
        }
    for coop_id, code, name, shipped_at, delivered_at in Shipment.objects.filter(
        _in("delivered_at", day), shipped_at__isnull=False, carrier__isnull=False
    ).values_list("cooperative", "carrier__code", "carrier__name", "shipped_at", "delivered_at"):
        hours = max((delivered_at - shipped_at).total_seconds(), 0) / 3600
        carrier = get(coop_id).carriers.setdefault(
            code, {"name": name, "delivered": 0, "hours": 0.0}
        )
        carrier["delivered"] += 1
        carrier["hours"] = round(carrier["hours"] + hours, 2)
    return days


def aggregates_build_range(*, first: date, last: date) -> int:
    """Rebuild every day from ``first`` to ``last`` (one transaction per day)."""
    built, day = 0, first
    while day <= last:
        aggregates_build_day(day=day)
        built += 1
        day += timedelta(days=1)
    return built


# --------------------------------------------------------------------------- check


def _ledger_figures(day: date) -> dict[tuple[int, str], Decimal]:
    figures: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    paid = _in("order__paid_at", day)

    def add(qs, figure: str, sign: int) -> None:
        for r in qs.values("cooperative").annotate(s=Sum("amount")).order_by():
            figures[(r["cooperative"], figure)] += sign * r["s"]

    # The cooperative's sales: what the buyer paid and what the platform's discount
    # credited to it (the aggregates count lines less only the cooperative's own discount).
    add(
        LedgerEntry.objects.filter(paid, kind__in=[LedgerKind.SALE, LedgerKind.PLATFORM_SUBSIDY]),
        Figure.SALES,
        1,
    )
    add(LedgerEntry.objects.filter(paid, kind=LedgerKind.PLATFORM_FEE), Figure.FEES, -1)
    # A reversal gives back the sale less its fee: the refunded gross is the reversal
    # and the order's fee entry, negated.
    refunds_today = _in("refund__completed_at", day)
    add(
        LedgerEntry.objects.filter(
            refunds_today,
            kind__in=[
                LedgerKind.REFUND_REVERSAL,
                LedgerKind.PARTIAL_REFUND,
                LedgerKind.SUBSIDY_REVERSAL,
            ],
        ),
        Figure.REFUNDS,
        -1,
    )
    reversed_orders = LedgerEntry.objects.filter(
        refunds_today, kind=LedgerKind.REFUND_REVERSAL
    ).values("order_id")
    add(
        LedgerEntry.objects.filter(kind=LedgerKind.PLATFORM_FEE, order_id__in=reversed_orders),
        Figure.REFUNDS,
        -1,
    )
    # A whole reversal after partial refunds also reversed the fee they had returned.
    add(
        LedgerEntry.objects.filter(kind=LedgerKind.FEE_REVERSAL, order_id__in=reversed_orders),
        Figure.REFUNDS,
        -1,
    )
    add(
        LedgerEntry.objects.filter(_in("payout__created", day), kind=LedgerKind.PAYOUT),
        Figure.PAYOUTS,
        -1,
    )
    return figures


def _aggregated_figures(day: date) -> dict[tuple[int, str], Decimal]:
    figures: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for r in (
        DailySales.objects.filter(day=day, sku="")
        .values("cooperative")
        .annotate(ship=Sum("shipping"), fees=Sum("fees"), refunds=Sum("refunds"))
        .order_by()
    ):
        figures[(r["cooperative"], Figure.SALES)] += r["ship"]
        figures[(r["cooperative"], Figure.FEES)] += r["fees"]
        figures[(r["cooperative"], Figure.REFUNDS)] += r["refunds"]
    for r in (
        DailySales.objects.filter(day=day).values("cooperative").annotate(s=Sum("sales")).order_by()
    ):
        figures[(r["cooperative"], Figure.SALES)] += r["s"]
    for coop_id, payouts in DailyCooperative.objects.filter(day=day).values_list(
        "cooperative", "payouts"
    ):
        figures[(coop_id, Figure.PAYOUTS)] += payouts
    return figures


@transaction.atomic
def aggregates_check_day(*, day: date) -> list[AggregateDifference]:
    """Compare ``day``'s aggregates with the ledger; store and count every difference.

    Idempotent: the day's difference rows are replaced by what this check finds, so a
    difference fixed by a rebuild disappears on the next check.
    """
    marker, _created = AggregateDay.objects.get_or_create(day=day)
    AggregateDay.objects.select_for_update().filter(pk=marker.pk).first()
    aggregated = _aggregated_figures(day)
    ledger = _ledger_figures(day)
    differences = [
        AggregateDifference(
            day=day,
            cooperative_id=coop_id,
            figure=figure,
            aggregated=aggregated.get((coop_id, figure), ZERO),
            ledger=ledger.get((coop_id, figure), ZERO),
        )
        for coop_id, figure in sorted(set(aggregated) | set(ledger))
        if aggregated.get((coop_id, figure), ZERO) != ledger.get((coop_id, figure), ZERO)
    ]
    AggregateDifference.objects.filter(day=day).delete()
    AggregateDifference.objects.bulk_create(differences)
    AggregateDay.objects.filter(pk=marker.pk).update(
        checked_at=timezone.now(), differences=len(differences)
    )
    if differences:
        logger.error(
            "aggregates of %s differ from the ledger: %s",
            day,
            ", ".join(
                f"{d.cooperative_id}/{d.figure} {d.aggregated} != {d.ledger}" for d in differences
            ),
        )
        transaction.on_commit(
            lambda: metrics.incr("aggregate_ledger_mismatch", len(differences)), robust=True
        )
    return differences


def recent_days(today: date | None = None) -> Iterable[date]:
    today = today or timezone.localdate()
    return (today - timedelta(days=1), today)
