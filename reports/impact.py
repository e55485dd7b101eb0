"""The poverty-relief impact report: per county and month (or year), what buyers paid,
what was refunded, what reached each cooperative (the ledger), what was paid out, and —
where a cooperative records it — what reached its member households, registered poor
households counted apart.

Every money figure is summed from the money tables themselves, and the report
reconciles them to the fen: the county's part of the payments received less its part of
the refunds given must equal what the order lines and shipping fees say, and what the
ledger says; the report shows the difference when they do not agree.

Three versions: the cooperative's (its managers and platform staff: household by
household), the county's and the public one (aggregates only, small cells suppressed:
``reports.suppression``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Cooperative, County
from members.models import Household, HouseholdPayment
from orders.models import OrderLine, OrderShipping
from payments.constants import LedgerKind, RefundStatus
from payments.models import LedgerEntry, Payment, Refund
from storefront.errors import InvalidInput

from .suppression import Cell, Group, suppress

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
YEAR = "year"
TOTAL = "total"


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None

    @property
    def first(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def after(self) -> date:
        if self.month is None:
            return date(self.year + 1, 1, 1)
        return date(self.year + (self.month == 12), self.month % 12 + 1, 1)

    @property
    def last(self) -> date:
        if self.month is None:
            return date(self.year, 12, 31)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_default_timezone()
        return (
            timezone.make_aware(datetime.combine(self.first, time.min), tz),
            timezone.make_aware(datetime.combine(self.after, time.min), tz),
        )

    def q(self, field: str) -> Q:
        start, end = self.bounds()
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)


def period_parse(year, month=None) -> Period:
    """A period from query parameters; ``InvalidInput`` for anything else."""
    try:
        y = int(year)
        m = int(month) if month not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidInput(details={"period": [_("Give a year (and a month).")]}) from None
    if not 2000 <= y <= 2100 or (m is not None and not 1 <= m <= 12):
        raise InvalidInput(details={"period": [_("Give a year (and a month).")]})
    return Period(y, m)


@dataclass
class CoopFigures:
    cooperative: Cooperative
    paid: Decimal = ZERO
    refunds: Decimal = ZERO
    fees: Decimal = ZERO
    reached: Decimal = ZERO
    payouts: Decimal = ZERO
    records_households: bool = False
    households: Cell = field(default_factory=Cell)
    poor: Cell = field(default_factory=Cell)


@dataclass
class Reconciliation:
    paid_orders: Decimal
    payments_received: Decimal
    payments_other_counties: Decimal
    ledger_sales: Decimal
    refunds_orders: Decimal
    refunds_given: Decimal
    refunds_other_counties: Decimal
    ledger_refunds: Decimal

    @property
    def net_orders(self) -> Decimal:
        return self.paid_orders - self.refunds_orders

    @property
    def net_payments(self) -> Decimal:
        return (self.payments_received - self.payments_other_counties) - (
            self.refunds_given - self.refunds_other_counties
        )

    @property
    def net_ledger(self) -> Decimal:
        return self.ledger_sales - self.ledger_refunds

    @property
    def reconciled(self) -> bool:
        # Gross as well as net: a sale and a refund wrong by the same amount in one
        # period would cancel out in the net.
        return (
            self.paid_orders
            == self.payments_received - self.payments_other_counties
            == self.ledger_sales
        ) and (
            self.refunds_orders
            == self.refunds_given - self.refunds_other_counties
            == self.ledger_refunds
        )


@dataclass
class HouseholdLine:
    household: Household
    payments: int
    amount: Decimal


@dataclass
class ImpactReport:
    county: County
    period: Period
    version: str  # "cooperative", "county" or "public"
    rows: list[CoopFigures]
    total: CoopFigures
    reconciliation: Reconciliation
    months: list[dict] = field(default_factory=list)
    household_lines: list[HouseholdLine] = field(default_factory=list)


# What the buyer paid for a line (its total less its share of the order's discounts):
# with shipping, what the payments received add up to, as the ledger's sales do.
LINE_PAID = F("line_total") - F("discount")


def _by_coop(qs: QuerySet, *, sign: int = 1, field_name: str | F = "amount") -> dict[int, Decimal]:
    # quantize: SQLite hands sums of decimals back with ten places.
    return {
        r["cooperative"]: (sign * r["s"]).quantize(CENT)
        for r in qs.values("cooperative").annotate(s=Sum(field_name)).order_by()
    }


def _money(coops: list[int], period: Period) -> dict[str, dict[int, Decimal]]:
    in_coops = Q(cooperative_id__in=coops)
    paid = period.q("order__paid_at")
    lines = _by_coop(OrderLine.objects.filter(in_coops, paid), field_name=LINE_PAID)
    shipping = _by_coop(OrderShipping.objects.filter(in_coops, paid), field_name="fee")
    sale_of_payment = LedgerEntry.objects.filter(payment=OuterRef("payment"), kind=LedgerKind.SALE)
    # Whole refunds give back the order's lines and shipping less what partial refunds
    # of its lines gave back before; partial refunds count on their own day.
    refunded = (
        Refund.objects.filter(
            period.q("completed_at"), status=RefundStatus.SUCCEEDED, order_line__isnull=True
        )
        .filter(Exists(sale_of_payment))
        .values("payment__order_id")
    )
    refunded_lines = _by_coop(
        OrderLine.objects.filter(in_coops, order_id__in=refunded), field_name=LINE_PAID
    )
    refunded_shipping = _by_coop(
        OrderShipping.objects.filter(in_coops, order_id__in=refunded), field_name="fee"
    )
    partial = Refund.objects.filter(
        status=RefundStatus.SUCCEEDED, order_line__cooperative_id__in=coops
    ).annotate(cooperative=F("order_line__cooperative"))
    partial_before = _by_coop(partial.filter(payment__order_id__in=refunded), sign=-1)
    partial_now = _by_coop(partial.filter(period.q("completed_at")))
    ledger = LedgerEntry.objects.filter(in_coops)
    reversals = ledger.filter(
        period.q("refund__completed_at"),
        kind__in=[LedgerKind.REFUND_REVERSAL, LedgerKind.PARTIAL_REFUND],
    )
    return {
        "paid": _add(lines, shipping),
        "refunds": _add(refunded_lines, refunded_shipping, partial_before, partial_now),
        "ledger_sales": _by_coop(ledger.filter(paid, kind=LedgerKind.SALE)),
        "fees": _by_coop(ledger.filter(paid, kind=LedgerKind.PLATFORM_FEE), sign=-1),
        "reversals": _by_coop(reversals),
        "refunded_fees": _by_coop(
            ledger.filter(
                kind__in=[LedgerKind.PLATFORM_FEE, LedgerKind.FEE_REVERSAL],
                order_id__in=reversals.filter(kind=LedgerKind.REFUND_REVERSAL).values("order_id"),
            )
        ),
        "payouts": _by_coop(
            ledger.filter(period.q("payout__created"), kind=LedgerKind.PAYOUT), sign=-1
        ),
    }


def _add(*maps: dict[int, Decimal]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(Decimal)
    for m in maps:
        for k, v in m.items():
            out[k] += v
    return out


def _reconcile(coops: list[int], period: Period, money: dict) -> Reconciliation:
    """The county's part of the payments and refunds, from the payment and refund rows."""
    in_county = set(coops)
    paid = period.q("order__paid_at")
    sales = LedgerEntry.objects.filter(paid, kind=LedgerKind.SALE)
    paying = sales.filter(cooperative_id__in=coops).values("payment_id")
    received = (
        Payment.objects.filter(pk__in=paying).aggregate(s=Sum("amount"))["s"] or ZERO
    ).quantize(CENT)
    orders = Payment.objects.filter(pk__in=paying).values("order_id")
    other = _other_part(orders, in_county)
    sale_of_payment = LedgerEntry.objects.filter(payment=OuterRef("payment"), kind=LedgerKind.SALE)
    refunds = (
        Refund.objects.filter(period.q("completed_at"), status=RefundStatus.SUCCEEDED)
        .filter(Exists(sale_of_payment))
        .filter(payment__order__lines__cooperative_id__in=coops)
        .distinct()
    )
    given = Refund.objects.filter(pk__in=refunds.values("pk")).aggregate(s=Sum("amount"))["s"]
    refunded_orders = Refund.objects.filter(
        pk__in=refunds.values("pk"), order_line__isnull=True
    ).values("payment__order_id")
    other_refunded = _other_part(refunded_orders, in_county)
    return Reconciliation(
        paid_orders=sum(money["paid"].values(), ZERO),
        payments_received=received,
        payments_other_counties=other,
        ledger_sales=sum(money["ledger_sales"].values(), ZERO),
        refunds_orders=sum(money["refunds"].values(), ZERO),
        refunds_given=(given or ZERO).quantize(CENT),
        refunds_other_counties=other_refunded,
        ledger_refunds=-(
            sum(money["reversals"].values(), ZERO) + sum(money["refunded_fees"].values(), ZERO)
        ),
    )


def _other_part(order_ids, in_county: set[int]) -> Decimal:
    """What orders ``order_ids`` paid to cooperatives outside the county."""
    lines = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .exclude(cooperative_id__in=in_county)
        .aggregate(s=Sum(LINE_PAID))["s"]
    )
    shipping = (
        OrderShipping.objects.filter(order_id__in=order_ids)
        .exclude(cooperative_id__in=in_county)
        .aggregate(s=Sum("fee"))["s"]
    )
    return ((lines or ZERO) + (shipping or ZERO)).quantize(CENT)


def _household_cells(coops: list[int], year: int) -> tuple[dict, dict, set[int]]:
    """(all, poor) cells keyed (coop|TOTAL, month|YEAR) for every month of ``year``,
    and the cooperatives that record households at all."""
    payments = HouseholdPayment.objects.filter(cooperative_id__in=coops, paid_on__year=year)
    cells: dict[str, dict] = {"all": defaultdict(Cell), "poor": defaultdict(Cell)}
    for poor_only, key in ((False, "all"), (True, "poor")):
        qs = payments.filter(household__registered_poor=True) if poor_only else payments
        grid = cells[key]
        for r in (
            qs.annotate(m=ExtractMonth("paid_on"))
            .values("cooperative", "m")
            .annotate(n=Count("household", distinct=True), s=Sum("amount"))
            .order_by()
        ):
            grid[(r["cooperative"], r["m"])] = Cell(r["n"], r["s"].quantize(CENT))
        for r in (
            qs.values("cooperative")
            .annotate(n=Count("household", distinct=True), s=Sum("amount"))
            .order_by()
        ):
            grid[(r["cooperative"], YEAR)] = Cell(r["n"], r["s"].quantize(CENT))
        # A household belongs to one cooperative: the county's count is the sum.
        for column in [*range(1, 13), YEAR]:
            parts = [grid[(c, column)] for c in coops if (c, column) in grid]
            grid[(TOTAL, column)] = Cell(
                sum(p.households for p in parts), sum((p.amount for p in parts), ZERO)
            )
    recording = set(
        Household.objects.filter(cooperative_id__in=coops).values_list("cooperative", flat=True)
    )
    return dict(cells["all"]), dict(cells["poor"]), recording


def _suppress_grid(grid: dict, coops: list[int]) -> None:
    columns = [*range(1, 13), YEAR]
    for c in [*coops, TOTAL]:
        for column in columns:
            grid.setdefault((c, column), Cell())
    groups = [Group(tuple((c, col) for c in coops), (TOTAL, col)) for col in columns]
    groups += [Group(tuple((c, m) for m in range(1, 13)), (c, YEAR)) for c in [*coops, TOTAL]]
    suppress(grid, groups)


def impact_report(
    *, county: County, period: Period, version: str, cooperative: Cooperative | None = None
) -> ImpactReport:
    """The report of ``county`` for ``period``. ``version`` "cooperative" (needs
    ``cooperative``: that cooperative only, household by household), "county" or
    "public" (aggregates, small cells suppressed)."""
    if version == "cooperative":
        coop_list = [cooperative]
    else:
        coop_list = list(Cooperative.objects.filter(county=county).order_by("name", "pk"))
    coops = [c.pk for c in coop_list]
    money = _money(coops, period)
    all_grid, poor_grid, recording = _household_cells(coops, period.year)
    if version != "cooperative":
        _suppress_grid(all_grid, coops)
        _suppress_grid(poor_grid, coops)
    column = period.month or YEAR

    rows = []
    for coop in coop_list:
        rows.append(_figures(coop, money, all_grid, poor_grid, column, coop.pk in recording))
    total = CoopFigures(cooperative=None)
    for name in ("paid", "refunds", "fees", "reached", "payouts"):
        setattr(total, name, sum((getattr(r, name) for r in rows), ZERO))
    total.records_households = bool(recording)
    total.households = all_grid.get((TOTAL, column), Cell())
    total.poor = poor_grid.get((TOTAL, column), Cell())
    report = ImpactReport(
        county=county,
        period=period,
        version=version,
        rows=rows,
        total=total,
        reconciliation=_reconcile(coops, period, money),
    )
    if period.month is None:
        report.months = _months(coops, period, all_grid, poor_grid)
    if version == "cooperative":
        report.household_lines = _household_lines(cooperative, period)
    return report


def _figures(coop, money, all_grid, poor_grid, column, records: bool) -> CoopFigures:
    pk = coop.pk
    return CoopFigures(
        cooperative=coop,
        paid=money["paid"].get(pk, ZERO),
        refunds=money["refunds"].get(pk, ZERO),
        fees=money["fees"].get(pk, ZERO),
        reached=money["ledger_sales"].get(pk, ZERO)
        - money["fees"].get(pk, ZERO)
        + money["reversals"].get(pk, ZERO),
        payouts=money["payouts"].get(pk, ZERO),
        records_households=records,
        households=all_grid.get((pk, column), Cell()),
        poor=poor_grid.get((pk, column), Cell()),
    )


def _months(coops, period, all_grid, poor_grid) -> list[dict]:
    """Month by month for the year's chart: paid, reached and households (as shown)."""
    out = []
    for month in range(1, 13):
        money = _money(coops, Period(period.year, month)) if coops else {}
        paid = sum(money.get("paid", {}).values(), ZERO)
        reached = (
            sum(money.get("ledger_sales", {}).values(), ZERO)
            - sum(money.get("fees", {}).values(), ZERO)
            + sum(money.get("reversals", {}).values(), ZERO)
        )
        out.append(
            {
                "month": month,
                "paid": paid,
                "reached": reached,
                "households": all_grid.get((TOTAL, month), Cell()),
                "poor": poor_grid.get((TOTAL, month), Cell()),
            }
        )
    return out


def _household_lines(cooperative: Cooperative, period: Period) -> list[HouseholdLine]:
    rows = (
        HouseholdPayment.objects.filter(
            cooperative=cooperative, paid_on__gte=period.first, paid_on__lt=period.after
        )
        .values("household")
        .annotate(n=Count("id"), s=Sum("amount"))
        .order_by()
    )
    totals = {r["household"]: (r["n"], r["s"]) for r in rows}
    households = Household.objects.filter(pk__in=totals).order_by("-registered_poor", "name", "pk")
    return [HouseholdLine(h, *totals[h.pk]) for h in households]
