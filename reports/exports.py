"""What each export holds and how it is written: CSV (UTF-8 with BOM, so Excel on
Chinese Windows opens it) or XLSX, row by row to a file, never the whole table in memory.

An export starts from an admin list: the rows are that list's rows with its current
filters, search and scope (the list's own ``ModelAdmin`` rebuilds its change list for
the job's owner), and each export maps them to the rows it writes. A manager's export
holds only their cooperatives' part of an order, as the admin shows it.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.constants import StockReason
from catalog.models import StockMovement, Variant
from fulfilment.constants import ShipmentStatus
from fulfilment.models import Shipment
from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping
from payments.constants import LedgerAccount, LedgerKind, PayoutStatus
from payments.models import LedgerEntry, Payout
from storefront.errors import InvalidInput, NotFound
from storefront.spreadsheet import cell_safe

from .constants import ExportFormat

TEXT, MONEY, INT, WHEN = "text", "money", "int", "datetime"
_TZ = timezone.get_default_timezone()
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: Any  # a lazy translation
    field: Any  # a values() lookup (str) or an expression
    kind: str = TEXT
    labels: dict | None = None  # choices: stored code -> label


@dataclass(frozen=True)
class Export:
    name: str
    label: Any
    sources: tuple[type, ...]
    columns: tuple[Column, ...]
    rows: Callable[[QuerySet, list[int] | None], QuerySet]

    def values(self, source: QuerySet, scope: list[int] | None) -> QuerySet:
        """The rows to write, as tuples in column order."""
        return self.rows(source, scope).values_list(*[c.field for c in self.columns])


def _scoped(qs: QuerySet, scope: list[int] | None, path: str = "cooperative_id") -> QuerySet:
    return qs if scope is None else qs.filter(**{f"{path}__in": scope})


def _choices(choices) -> dict:
    return dict(choices.choices) if hasattr(choices, "choices") else dict(choices)


ORDER_STATUS = _choices(OrderStatus)
# The order's own columns, first in both order exports.
ORDER_COLUMNS = (
    Column(gettext_lazy("order"), "order__number"),
    Column(gettext_lazy("status"), "order__status", labels=ORDER_STATUS),
    Column(gettext_lazy("created"), "order__created", WHEN),
    Column(gettext_lazy("paid at"), "order__paid_at", WHEN),
)
# Where an order went, from its shipping address.
ADDRESS_COLUMNS = (
    Column(gettext_lazy("province"), KeyTextTransform("province", "order__shipping_address")),
    Column(gettext_lazy("city"), KeyTextTransform("city", "order__shipping_address")),
)
EXPORTS: dict[str, Export] = {}


def _register(**fields: Any) -> None:
    export = Export(**fields)
    EXPORTS[export.name] = export


def _listed_rows(source: QuerySet, scope: list[int] | None) -> QuerySet:
    """The admin list's own rows, in the order they were made."""
    return _scoped(source, scope).order_by("id")


def _rows_of_orders(model: type, *ordering: str) -> Callable[..., QuerySet]:
    """The ``model`` rows (a part of an order) of the listed orders."""
    return lambda source, scope: _scoped(
        model.objects.filter(order__in=source.values("pk")), scope
    ).order_by(*ordering)


_register(
    name="orders",
    label=gettext_lazy("Orders (one row per order and cooperative)"),
    sources=(Order,),
    columns=(
        *ORDER_COLUMNS,
        Column(gettext_lazy("shipped at"), "order__shipped_at", WHEN),
        Column(gettext_lazy("delivered at"), "order__delivered_at", WHEN),
        Column(gettext_lazy("cooperative"), "cooperative__name"),
        *ADDRESS_COLUMNS,
        Column(gettext_lazy("goods"), "goods_total", MONEY),
        Column(gettext_lazy("shipping fee"), "fee", MONEY),
    ),
    rows=_rows_of_orders(OrderShipping, "order_id", "cooperative_id"),
)
_register(
    name="lines",
    label=gettext_lazy("Order lines"),
    sources=(Order,),
    columns=(
        *ORDER_COLUMNS,
        Column(gettext_lazy("cooperative"), "cooperative__name"),
        Column(gettext_lazy("SKU"), "sku"),
        Column(gettext_lazy("title"), "title"),
        Column(gettext_lazy("unit price"), "unit_price", MONEY),
        Column(gettext_lazy("quantity"), "quantity", INT),
        Column(gettext_lazy("line total"), "line_total", MONEY),
        Column(gettext_lazy("weighed (g)"), "final_weight_grams", INT),
        Column(gettext_lazy("final amount"), "final_amount", MONEY),
    ),
    rows=_rows_of_orders(OrderLine, "order_id", "id"),
)
_register(
    name="shipments",
    label=gettext_lazy("Shipments"),
    sources=(Shipment,),
    columns=(
        Column(gettext_lazy("order"), "order__number"),
        Column(gettext_lazy("cooperative"), "cooperative__name"),
        Column(gettext_lazy("status"), "status", labels=_choices(ShipmentStatus)),
        Column(gettext_lazy("carrier"), "carrier__name"),
        Column(gettext_lazy("tracking number"), "tracking_number"),
        Column(gettext_lazy("created"), "created", WHEN),
        Column(gettext_lazy("packed at"), "packed_at", WHEN),
        Column(gettext_lazy("shipped at"), "shipped_at", WHEN),
        Column(gettext_lazy("delivered at"), "delivered_at", WHEN),
        *ADDRESS_COLUMNS,
    ),
    rows=_listed_rows,
)
_register(
    name="ledger",
    label=gettext_lazy("Ledger entries"),
    sources=(LedgerEntry,),
    columns=(
        Column(gettext_lazy("created"), "created", WHEN),
        Column(gettext_lazy("cooperative"), "cooperative__name"),
        Column(gettext_lazy("account"), "account", labels=_choices(LedgerAccount)),
        Column(gettext_lazy("kind"), "kind", labels=_choices(LedgerKind)),
        Column(gettext_lazy("amount"), "amount", MONEY),
        Column(gettext_lazy("order"), "order__number"),
        Column(gettext_lazy("payout"), "payout__reference"),
        Column(gettext_lazy("memo"), "memo"),
    ),
    rows=_listed_rows,
)
_register(
    name="payouts",
    label=gettext_lazy("Payouts"),
    sources=(Payout,),
    columns=(
        Column(gettext_lazy("reference"), "reference"),
        Column(gettext_lazy("cooperative"), "cooperative__name"),
        Column(gettext_lazy("amount"), "amount", MONEY),
        Column(gettext_lazy("status"), "status", labels=_choices(PayoutStatus)),
        Column(gettext_lazy("created"), "created", WHEN),
        Column(gettext_lazy("exported at"), "exported_at", WHEN),
    ),
    rows=_listed_rows,
)
_register(
    name="stock_movements",
    label=gettext_lazy("Stock movements"),
    sources=(Variant, StockMovement),
    columns=(
        Column(gettext_lazy("at"), "created", WHEN),
        Column(gettext_lazy("cooperative"), "variant__product__cooperative__name"),
        Column(gettext_lazy("SKU"), "variant__sku"),
        Column(gettext_lazy("product"), "variant__product__title"),
        Column(gettext_lazy("variant"), "variant__name"),
        Column(gettext_lazy("change"), "delta", INT),
        Column(gettext_lazy("reason"), "reason", labels=_choices(StockReason)),
        Column(gettext_lazy("stock after"), "balance", INT),
        Column(gettext_lazy("by"), "actor__username"),
        Column(gettext_lazy("order id"), "order_id", INT),
        Column(gettext_lazy("note"), "note"),
    ),
    rows=lambda source, scope: _scoped(
        StockMovement.objects.filter(variant__in=source.values("pk"))
        if source.model is Variant
        else source,
        scope,
        "variant__product__cooperative_id",
    ).order_by("id"),
)


def exports_for(model: type) -> list[Export]:
    """The exports an admin list of ``model`` offers."""
    return [e for e in EXPORTS.values() if model in e.sources]


def export_get(name: str, model: type) -> Export:
    export = EXPORTS.get(name)
    if export is None or model not in export.sources:
        raise InvalidInput(details={"export": [_("Unknown export for this list.")]})
    return export


# --------------------------------------------------------------------------- rows


def changelist_queryset(*, user, model: type, params: dict[str, list[str]]) -> QuerySet:
    """The rows ``user`` sees in ``model``'s admin list with ``params`` (its query string):
    its filters, search, date hierarchy and the user's cooperative scope.

    Raises ``NotFound`` when the user may not view that list, ``InvalidInput`` for a
    filter the list does not know.
    """
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        raise NotFound()
    opts = model._meta
    request = RequestFactory().get(f"/admin/{opts.app_label}/{opts.model_name}/", params)
    request.user = user
    if not (
        model_admin.has_module_permission(request) and model_admin.has_view_permission(request)
    ):
        raise NotFound()
    try:
        changelist = model_admin.get_changelist_instance(request)
    except (IncorrectLookupParameters, DjangoPermissionDenied) as exc:
        raise InvalidInput(details={"filters": [_("This list's filters are not valid.")]}) from exc
    return changelist.queryset


# --------------------------------------------------------------------------- writers


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # astimezone directly: Django's localtime() checks and looks up the zone per call,
    # which was a third of a 100,000-row export.
    if value is None:
        return None
    return value.astimezone(_TZ).replace(tzinfo=None, microsecond=0)


def _converters(export: Export, *, for_csv: bool) -> list[Callable[[Any], Any]]:
    def text(value):
        return "" if value is None else cell_safe(str(value))

    def labelled(labels):
        return lambda value: "" if value is None else cell_safe(str(labels.get(value, value)))

    def money(value):
        if value is None:
            return ""
        value = Decimal(value)
        return f"{value:.2f}" if for_csv else value

    def integer(value):
        return "" if value is None else value

    def when(value):
        local = _local(value)
        if local is None:
            return ""
        return local.isoformat(sep=" ") if for_csv else local

    out = []
    for column in export.columns:
        if column.labels:
            out.append(labelled({k: str(v) for k, v in column.labels.items()}))
        else:
            out.append({TEXT: text, MONEY: money, INT: integer, WHEN: when}[column.kind])
    return out


def export_rows(export: Export, rows: QuerySet, *, for_csv: bool) -> Iterator[list]:
    convert = _converters(export, for_csv=for_csv)
    for raw in rows.iterator(chunk_size=CHUNK):
        yield [fn(value) for fn, value in zip(convert, raw, strict=True)]


def write_export(
    export: Export, rows: QuerySet, fmt: str, out: IO[bytes], advance: Callable[[int], None]
) -> None:
    """Write the header and every row to ``out`` (a binary file), calling ``advance``
    as rows go out."""
    headers = [str(c.header) for c in export.columns]
    if fmt == ExportFormat.CSV:
        _write_csv(export, rows, headers, out, advance)
    else:
        _write_xlsx(export, rows, headers, out, advance)


def _write_csv(export, rows, headers, out, advance) -> None:
    import io

    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    writer = csv.writer(text)
    writer.writerow(headers)
    count = 0
    for row in export_rows(export, rows, for_csv=True):
        writer.writerow(row)
        count += 1
        if count == CHUNK:
            advance(count)
            count = 0
    advance(count)
    text.flush()
    text.detach()


def _write_xlsx(export, rows, headers, out, advance) -> None:
    # XlsxWriter in constant-memory mode writes each row to disk as it goes (openpyxl's
    # write-only mode was six times slower here); numbers stay numbers, money with two
    # places, times as Excel dates.
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(str(export.label)[:31].translate(_SHEET_NAME))
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "0.00"})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, headers, bold)
    kinds = [c.kind for c in export.columns]
    count = 0
    for index, row in enumerate(export_rows(export, rows, for_csv=False), start=1):
        for col, (kind, value) in enumerate(zip(kinds, row, strict=True)):
            if value == "":
                continue
            if kind == MONEY:
                sheet.write_number(index, col, value, money)
            elif kind == WHEN:
                sheet.write_datetime(index, col, value, when)
            elif kind == INT:
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, value)
        count += 1
        if count == CHUNK:
            advance(count)
            count = 0
    advance(count)
    workbook.close()


_SHEET_NAME = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def output_file() -> IO[bytes]:
    """A temporary file on disk for a job's output (never held in memory), copied to the
    job's storage when complete."""
    return tempfile.TemporaryFile(mode="w+b")
