"""Order and cart reads shared by the API, the storefront pages and the admin.

An order rendered with its payments and shipments is composed a layer up
(``lifecycle.selectors``); here are the order's own rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from catalog.models import Variant
from catalog.offers import variant_offer_prices
from catalog.selectors import variants_on_sale
from storefront.db import CompiledRead

from .constants import OrderStatus
from .exceptions import OrderNotFound, VariantUnavailable
from .models import CartItem, Order, OrderLine, SavedAddress


def order_lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=OrderLine.objects.select_related("cooperative"))


def order_queryset() -> QuerySet[Order]:
    """Orders with their lines (and each line's cooperative)."""
    return Order.objects.prefetch_related(order_lines_prefetch())


def prefetch_known(instance, name: str, rows: Iterable) -> None:
    """Put ``rows`` in ``instance``'s prefetch cache for relation ``name``, as
    ``prefetch_related`` would have: for rows just written (or known to be none), so
    rendering them costs no query."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def order_prime_fresh(order: Order, *, lines: list[OrderLine]) -> Order:
    """Fill the prefetch cache of an order created in this transaction with the lines just
    written (their cooperatives set): it renders like an order read through
    ``order_queryset``, without a query."""
    prefetch_known(order, "lines", lines)
    return order


def order_list_for_user(*, user: User, queryset: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """The user's orders, newest first."""
    return (
        (queryset if queryset is not None else order_queryset())
        .filter(user=user)
        .order_by("-created", "-id")
    )


def order_get_for_user(
    *, user: User, number: str, queryset: QuerySet[Order] | None = None
) -> Order:
    """A buyer's order, or ``OrderNotFound`` (404, never 403: another user's order is simply
    not there). The one way every page and endpoint opens a buyer's order; ``queryset``
    adds what the caller renders (prefetches)."""
    qs = queryset if queryset is not None else Order.objects.all()
    order = qs.filter(user=user, number=number).first() if isinstance(number, str) else None
    if order is None:
        raise OrderNotFound(details={"number": number})
    return order


def _purchasable_rows(ids):
    return variants_on_sale().select_related("product__cooperative").filter(pk__in=ids)


# Every checkout (and every sold-out refusal) runs this read: compiled once per
# connection and number of variants (storefront.db.CompiledRead), then only executed.
_purchasable = CompiledRead(_purchasable_rows)
_purchasable_with_key = CompiledRead(
    lambda ids, user_id, key: _purchasable_rows(ids).annotate(
        placed_order_id=Subquery(
            Order.objects.filter(user_id=user_id, idempotency_key=key).values("pk")[:1]
        )
    )
)


def variants_purchasable(
    ids: Iterable[int], *, placed_with_key: tuple[User, str] | None = None
) -> dict[int, Variant]:
    """The variants ``ids`` with product and cooperative, all of them on sale now, or
    ``VariantUnavailable`` naming those that are not (cart and checkout).

    ``placed_with_key=(user, key)`` also reads, in the same statement (so from the same
    snapshot as the stock), the id of ``user``'s order placed with Idempotency-Key
    ``key``: each variant carries it as ``placed_order_id`` (None when there is none)."""
    ids = list(ids)
    if placed_with_key is None:
        rows = _purchasable(ids=ids)
    else:
        user, key = placed_with_key
        rows = _purchasable_with_key(ids=ids, user_id=user.pk, key=key)
    found = {v.pk: v for v in rows}
    missing = [vid for vid in ids if vid not in found]
    if missing:
        raise VariantUnavailable(details={"variants": sorted(missing)})
    return found


@dataclass(frozen=True)
class Cart:
    items: list[CartItem]
    subtotal: Decimal


def cart_items_queryset() -> QuerySet[CartItem]:
    return CartItem.objects.select_related("variant__product__cooperative").order_by(
        "created", "id"
    )


def cart_get(*, user: User) -> Cart:
    """The user's cart at today's prices (the cart holds quantities, never prices): each
    item's ``unit_price`` is what checkout charges now (its ``offer_price``, a running
    campaign's price, when one applies: ``catalog.offers``, the rule the order is priced
    by; else the list price), ``line_total`` and the subtotal at those prices."""
    items = list(cart_items_queryset().filter(user=user))
    offers = variant_offer_prices(i.variant for i in items)
    subtotal = Decimal("0.00")
    for item in items:
        item.offer_price = offers.get(item.variant_id)
        item.unit_price = item.offer_price or item.variant.price
        item.line_total = item.unit_price * item.quantity
        subtotal += item.line_total
    return Cart(items=items, subtotal=subtotal.quantize(Decimal("0.01")))


def orders_due_for_completion_ids(*, delivered_before, limit: int = 500) -> list[int]:
    """Delivered orders whose return window has passed (delivered before the cutoff)."""
    return list(
        Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=delivered_before)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# Orders whose goods count as sold (paid and on their way, or done).
SOLD_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)


def cooperative_sales_since(*, cooperative_ids, since) -> dict[str, Decimal | int]:
    """``{"total", "units"}`` of the cooperatives' order lines paid since ``since`` (the
    farm dashboard's "sales this month"). One aggregate query."""
    sales = OrderLine.objects.filter(
        cooperative_id__in=cooperative_ids,
        order__status__in=SOLD_STATUSES,
        order__paid_at__gte=since,
    ).aggregate(
        # A weighed line sold for its final amount (the difference went back).
        total=Sum(Coalesce("final_amount", "line_total")),
        units=Sum("quantity"),
    )
    return {"total": sales["total"] or Decimal("0"), "units": sales["units"] or 0}


def order_numbers(*, ids) -> dict[int, str]:
    """Order id → number, for records that name an order by id (stock movements)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(Order.objects.filter(pk__in=ids).values_list("pk", "number"))


def saved_addresses(*, user: User) -> list[SavedAddress]:
    """The buyer's address book, the default first."""
    return list(SavedAddress.objects.filter(user=user))


def saved_address_get(*, user: User, address_id: int | None = None) -> SavedAddress | None:
    """One of the buyer's addresses by id, or (no id) the default; ``None`` when absent."""
    qs = SavedAddress.objects.filter(user=user)
    if address_id is None:
        return qs.filter(is_default=True).first()
    return qs.filter(pk=address_id).first()


def lines_to_weigh(*, cooperative_ids: Iterable[int], limit: int = 100) -> list[OrderLine]:
    """Lines sold by weight of these cooperatives in paid orders: those waiting for the
    scale first (oldest order first), then the latest weighed (for a look back)."""
    base = OrderLine.objects.filter(
        cooperative_id__in=list(cooperative_ids),
        price_per_kg__isnull=False,
        order__status=OrderStatus.PAID,
    ).select_related("order", "weighed_by")
    waiting = list(base.filter(final_weight_grams__isnull=True).order_by("order_id", "id")[:limit])
    weighed = list(base.filter(final_weight_grams__isnull=False).order_by("-weighed_at")[:20])
    return waiting + weighed


def line_of_cooperatives(*, line_id: int, cooperative_ids: Iterable[int]) -> bool:
    """Whether the order line is one of these cooperatives' (else: a 404 for them)."""
    return OrderLine.objects.filter(pk=line_id, cooperative_id__in=list(cooperative_ids)).exists()
