"""What the dashboards show, read from the daily aggregates (plus current stock).

A scope is what a person may look at: one cooperative (its managers; platform staff
too), one county's cooperatives side by side, or all counties (platform staff). There
is no county-manager role yet: platform staff choose the county.

Each chart is one structure (labels, series, and the same numbers as a table) that the
page draws with Chart.js and also prints as a table, for screen readers and paper.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Cooperative, County, StockMovement, Variant
from catalog.selectors import user_managed_cooperative_ids
from storefront.errors import InvalidInput, NotFound

from .models import DailyCooperative, DailySales

ZERO = Decimal("0.00")
GRAINS = ("day", "week", "month")
MAX_DAYS = 731


@dataclass
class Scope:
    level: str  # "platform", "county" or "cooperative"
    title: str
    cooperative_ids: list[int]
    county: County | None = None
    cooperative: Cooperative | None = None
    choices: list[Cooperative] = field(default_factory=list)


def dashboard_scope(user, *, cooperative_id: str | None = None, county: str | None = None) -> Scope:
    """The scope ``user`` asked for, or ``NotFound`` when it is not theirs to see."""
    platform = bool(getattr(user, "is_platform", False))
    managed = set() if platform else user_managed_cooperative_ids(user)
    if not platform and not managed:
        raise NotFound()
    if cooperative_id:
        try:
            pk = int(cooperative_id)
        except ValueError:
            raise NotFound() from None
        coop = Cooperative.objects.select_related("county").filter(pk=pk).first()
        if coop is None or (not platform and pk not in managed):
            raise NotFound()
        choices = [] if platform else list(Cooperative.objects.filter(pk__in=managed))
        return Scope("cooperative", coop.name, [coop.pk], coop.county, coop, choices)
    if county:
        found = County.objects.filter(slug=county).first()
        if found is None or not platform:
            raise NotFound()
        ids = list(Cooperative.objects.filter(county=found).values_list("pk", flat=True))
        return Scope("county", found.name, ids, found)
    if platform:
        return Scope(
            "platform", _("All counties"), list(Cooperative.objects.values_list("pk", flat=True))
        )
    coops = list(
        Cooperative.objects.select_related("county").filter(pk__in=managed).order_by("name")
    )
    coop = coops[0]
    return Scope("cooperative", coop.name, [coop.pk], coop.county, coop, coops)


def date_range(first: str | None, last: str | None, grain: str | None) -> tuple[date, date, str]:
    """The range asked for (default: the last 30 days, by day)."""
    today = timezone.localdate()
    try:
        end = date.fromisoformat(last) if last else today
        start = date.fromisoformat(first) if first else end - timedelta(days=29)
    except ValueError:
        raise InvalidInput(details={"first": [_("Dates are YYYY-MM-DD.")]}) from None
    grain = grain if grain in GRAINS else "day"
    if start > end or (end - start).days > MAX_DAYS:
        raise InvalidInput(details={"first": [_("Choose at most two years, first day first.")]})
    return start, end, grain


def _bucket(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _buckets(start: date, end: date, grain: str) -> list[date]:
    out, day = [], _bucket(start, grain)
    while day <= end:
        out.append(day)
        if grain == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=7 if grain == "week" else 1)
    return out


def _chart(chart_id, title, kind, labels, series, *, money=True, note="") -> dict:
    """One chart: the page draws ``series`` over ``labels`` and prints the same as a table."""
    series = [(name, list(values)) for name, values in series]
    return {
        "id": chart_id,
        "title": title,
        "type": kind,
        "money": money,
        "note": note,
        "labels": [str(label) for label in labels],
        "series": [
            {"label": str(name), "data": [f"{v:.2f}" if money else v for v in values]}
            for name, values in series
        ],
        # The same numbers row by row, for the table under the chart.
        "rows": [
            [str(label), *(values[i] for _name, values in series)] for i, label in enumerate(labels)
        ],
    }


def dashboard_data(scope: Scope, *, start: date, end: date, grain: str) -> dict:
    rows = DailySales.objects.filter(
        cooperative_id__in=scope.cooperative_ids, day__range=(start, end)
    )
    coop_row = Q(sku="")
    totals = rows.aggregate(
        sales=Sum("sales"),
        shipping=Sum("shipping"),
        fees=Sum("fees"),
        refunds=Sum("refunds", filter=coop_row),
        orders=Sum("orders", filter=coop_row),
        units=Sum("units"),
    )
    totals = {k: v or (0 if k in ("orders", "units") else ZERO) for k, v in totals.items()}
    totals["paid"] = totals["sales"] + totals["shipping"]
    totals["net"] = totals["paid"] - totals["refunds"] - totals["fees"]
    days = DailyCooperative.objects.filter(
        cooperative_id__in=scope.cooperative_ids, day__range=(start, end)
    )
    totals["payouts"] = days.aggregate(s=Sum("payouts"))["s"] or ZERO

    charts = [_sales_chart(rows, start, end, grain), _products_chart(rows), _channels_chart(rows)]
    charts.append(_provinces_chart(days))
    charts.append(_carriers_chart(days))
    if scope.level == "county":
        charts.insert(1, _side_by_side(rows, "cooperative", _("Cooperatives side by side")))
    elif scope.level == "platform":
        charts.insert(1, _side_by_side(rows, "county", _("Counties side by side")))
    stock = _stock(scope, rows, start, end) if scope.level == "cooperative" else []
    return {"totals": totals, "charts": charts, "stock": stock}


def _sales_chart(rows, start, end, grain) -> dict:
    per_day = {
        r["day"]: r
        for r in rows.values("day")
        .annotate(
            s=Sum("sales"),
            ship=Sum("shipping"),
            refunds=Sum("refunds", filter=Q(sku="")),
        )
        .order_by()
    }
    buckets = _buckets(start, end, grain)
    paid: dict[date, Decimal] = defaultdict(Decimal)
    refunds: dict[date, Decimal] = defaultdict(Decimal)
    for day, r in per_day.items():
        b = _bucket(day, grain)
        paid[b] += (r["s"] or ZERO) + (r["ship"] or ZERO)
        refunds[b] += r["refunds"] or ZERO
    titles = {"day": _("Sales per day"), "week": _("Sales per week"), "month": _("Sales per month")}
    return _chart(
        "sales",
        titles[grain],
        "bar",
        [b.isoformat() if grain != "month" else b.strftime("%Y-%m") for b in buckets],
        [
            (_("Paid by buyers"), [paid[b] for b in buckets]),
            (_("Refunds"), [refunds[b] for b in buckets]),
        ],
    )


def _products_chart(rows) -> dict:
    top = list(
        rows.exclude(sku="")
        .values("variant__product__title")
        .annotate(s=Sum("sales"), u=Sum("units"))
        .order_by("-s")[:10]
    )
    labels = [r["variant__product__title"] or "—" for r in top]
    return _chart(
        "products",
        _("Sales by product (top 10)"),
        "hbar",
        labels,
        [(_("Sales"), [r["s"] or ZERO for r in top])],
    )


def _channels_chart(rows) -> dict:
    by = list(
        rows.values("channel").annotate(s=Sum("sales"), ship=Sum("shipping")).order_by("channel")
    )
    labels = [{"online": _("Online shop")}.get(r["channel"], r["channel"]) for r in by]
    return _chart(
        "channels",
        _("Sales by channel"),
        "hbar",
        labels,
        [(_("Paid by buyers"), [(r["s"] or ZERO) + (r["ship"] or ZERO) for r in by])],
        note=_("Campaigns will appear here once there are any."),
    )


def _side_by_side(rows, level: str, title: str) -> dict:
    key = "cooperative__name" if level == "cooperative" else "cooperative__county__name"
    by = list(
        rows.values(key)
        .annotate(s=Sum("sales"), ship=Sum("shipping"), refunds=Sum("refunds", filter=Q(sku="")))
        .order_by(key)
    )
    return _chart(
        "compare",
        title,
        "hbar",
        [r[key] for r in by],
        [
            (_("Paid by buyers"), [(r["s"] or ZERO) + (r["ship"] or ZERO) for r in by]),
            (_("Refunds"), [r["refunds"] or ZERO for r in by]),
        ],
    )


def _provinces_chart(days) -> dict:
    orders: dict[str, int] = defaultdict(int)
    sales: dict[str, Decimal] = defaultdict(Decimal)
    for provinces in days.values_list("provinces", flat=True):
        for name, figures in provinces.items():
            orders[name] += figures["orders"]
            sales[name] += Decimal(figures["sales"])
    ranked = sorted(sales, key=lambda n: (-sales[n], n))[:15]
    return _chart(
        "provinces",
        _("Buyers' provinces (top 15)"),
        "hbar",
        ranked,
        [(_("Sales"), [sales[n] for n in ranked])],
    )


def _carriers_chart(days) -> dict:
    delivered: dict[str, int] = defaultdict(int)
    hours: dict[str, float] = defaultdict(float)
    names: dict[str, str] = {}
    for carriers in days.values_list("carriers", flat=True):
        for code, figures in carriers.items():
            names[code] = figures["name"]
            delivered[code] += figures["delivered"]
            hours[code] += figures["hours"]
    codes = sorted(delivered, key=lambda c: names[c])
    average = [round(hours[c] / delivered[c] / 24, 1) if delivered[c] else 0 for c in codes]
    return _chart(
        "carriers",
        _("Average delivery time per carrier (days)"),
        "hbar",
        [f"{names[c]} ({delivered[c]})" for c in codes],
        [(_("Days from shipped to delivered"), average)],
        money=False,
    )


def _stock(scope: Scope, rows, start: date, end: date) -> list[dict]:
    """Per active variant: stock now, units sold in the range, turnover and days left."""
    days = (end - start).days + 1
    sold = {
        r["variant"]: r["u"]
        for r in rows.exclude(variant=None).values("variant").annotate(u=Sum("units")).order_by()
    }
    start_dt = timezone.make_aware(timezone.datetime.combine(start, timezone.datetime.min.time()))
    moved = {
        r["variant"]: r["d"]
        for r in StockMovement.objects.filter(
            variant__product__cooperative_id__in=scope.cooperative_ids, created__gte=start_dt
        )
        .values("variant")
        .annotate(d=Sum("delta"))
        .order_by()
    }
    out = []
    for variant in (
        Variant.objects.filter(product__cooperative_id__in=scope.cooperative_ids, is_active=True)
        .select_related("product")
        .order_by("product__title", "position", "pk")
    ):
        units = sold.get(variant.pk, 0)
        at_start = max(variant.stock - moved.get(variant.pk, 0), 0)
        average_stock = Decimal(variant.stock + at_start) / 2
        per_day = Decimal(units) / days
        out.append(
            {
                "title": f"{variant.product.title} — {variant.name}",
                "sku": variant.sku,
                "stock": variant.stock,
                "sold": units,
                "turnover": (Decimal(units) / average_stock).quantize(Decimal("0.1"))
                if average_stock
                else None,
                "days_left": int(variant.stock / per_day) if per_day else None,
            }
        )
    return out
