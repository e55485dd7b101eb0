"""Order and cart reads shared by the API, the storefront pages and the admin.

``order_detail_queryset`` holds every prefetch an order's rendering needs, so a
list of orders costs the same number of queries at any page size. The payments
and fulfilment apps add their relations to ``order_detail_prefetches``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from accounts.models import User

from .constants import OrderStatus
from .exceptions import OrderNotFound
from .models import CartItem, Order, OrderLine


def _has_relation(name: str) -> bool:
    return any(rel.get_accessor_name() == name for rel in Order._meta.related_objects)


def order_detail_prefetches() -> list:
    """Prefetches for rendering an order. ``payments``/``shipments`` are included as soon
    as those apps give Order such a relation; extend here for their nested rows
    (e.g. ``Prefetch("shipments", queryset=Shipment.objects.prefetch_related("events"))``)."""
    prefetches: list = [
        Prefetch("lines", queryset=OrderLine.objects.select_related("cooperative")),
    ]
    if _has_relation("payments"):
        prefetches.append("payments")
    if _has_relation("shipments"):
        from fulfilment.selectors import shipments_prefetch

        prefetches.append(shipments_prefetch())
    return prefetches


def order_detail_queryset() -> QuerySet[Order]:
    return Order.objects.prefetch_related(*order_detail_prefetches())


def order_prime_fresh(order: Order, *, lines: list[OrderLine]) -> Order:
    """Fill the prefetch cache of an order created in this transaction from the rows just
    written (``lines`` with their cooperatives set): it is rendered like an order read
    through ``order_detail_queryset``, without a query. A new order has no payments or
    shipments yet."""
    cache = {"lines": _known_rows(order.lines, lines)}
    for name in ("payments", "shipments"):
        if _has_relation(name):
            cache[name] = _known_rows(getattr(order, name), [])
    order._prefetched_objects_cache = cache
    return order


def _known_rows(manager, rows: list) -> QuerySet:
    # What ``prefetch_related`` stores: the related queryset with its results filled in.
    queryset = manager.get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    return queryset


def order_list_for_user(*, user: User) -> QuerySet[Order]:
    """The user's orders, newest first."""
    return order_detail_queryset().filter(user=user).order_by("-created", "-id")


def order_get_for_user(*, user: User, number: str) -> Order:
    """One of the user's orders; another user's order is ``OrderNotFound`` (404), never 403."""
    order = order_detail_queryset().filter(user=user, number=number).first()
    if order is None:
        raise OrderNotFound(details={"number": number})
    return order


@dataclass(frozen=True)
class Cart:
    items: list[CartItem]
    subtotal: Decimal


def cart_items_queryset() -> QuerySet[CartItem]:
    return CartItem.objects.select_related("variant__product").order_by("created", "id")


def cart_get(*, user: User) -> Cart:
    """The user's cart at today's prices (the cart holds quantities, never prices)."""
    items = list(cart_items_queryset().filter(user=user))
    subtotal = sum((i.variant.price * i.quantity for i in items), Decimal("0.00"))
    return Cart(items=items, subtotal=subtotal.quantize(Decimal("0.01")))


def order_actions(*, order: Order) -> dict[str, bool]:
    """What a buyer may try on this order now, from its prefetched payments and shipments
    (no query). It mirrors the services' checks for showing buttons; the services
    (``order_cancel``, ``order_confirm_receipt``, ``payment_start``) still decide."""
    from fulfilment.constants import LEFT_COOPERATIVE
    from payments.constants import PaymentStatus

    pending = order.status == OrderStatus.PENDING_PAYMENT
    shipped = any(s.status in LEFT_COOPERATIVE for s in order.shipments.all())
    return {
        "can_pay": pending,
        "can_cancel": pending or (order.status == OrderStatus.PAID and not shipped),
        "can_confirm": order.status == OrderStatus.SHIPPED,
        # A wallet payment is on its way: the page reloads until its notification lands.
        "awaiting_payment": pending
        and any(p.status == PaymentStatus.PENDING for p in order.payments.all()),
    }


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
    ).aggregate(total=Sum("line_total"), units=Sum("quantity"))
    return {"total": sales["total"] or Decimal("0"), "units": sales["units"] or 0}


def order_numbers(*, ids) -> dict[int, str]:
    """Order id → number, for records that name an order by id (stock movements)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(Order.objects.filter(pk__in=ids).values_list("pk", "number"))
