"""An order with its payments and shipments: the reads the buyer's pages and API render.

Composed here, above the three apps, so ``orders`` never imports ``payments`` or
``fulfilment``; each read costs the same number of queries at any page size.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog.models import Variant
from channels.models import ChannelOrder
from channels.selectors import station_is_agent
from fulfilment.constants import LEFT_COOPERATIVE
from fulfilment.selectors import shipments_prefetch
from marketing.selectors import ORDER_RELATED as MARKETING_RELATED
from orders import selectors as order_selectors
from orders.constants import OrderStatus
from orders.models import Order
from payments.constants import LedgerAccount, LedgerKind, PaymentStatus, RefundStatus
from payments.models import LedgerEntry
from payments.services import receivables_list
from wholesale.selectors import statement


def order_detail_queryset() -> QuerySet[Order]:
    """Orders with lines, payments (with their refunds), shipments (with their
    tracking events) and the station the order is collected at, if any."""
    return (
        order_selectors.order_queryset()
        .select_related(*MARKETING_RELATED, "channel_order__place")
        .prefetch_related("payments__refunds", shipments_prefetch())
    )


def order_prime_new(order: Order) -> Order:
    """A just-placed order has no payments or shipments: say so to the prefetch cache."""
    order_selectors.prefetch_known(order, "payments", [])
    order_selectors.prefetch_known(order, "shipments", [])
    # A pickup order's hook left its station row here; any other order has none.
    order._state.fields_cache.setdefault("channel_order", None)
    return order


#: The order list's tabs: ``(key, label, statuses)``; "all" first.
ORDER_TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("all", gettext_lazy("All"), ()),
    ("to_pay", gettext_lazy("To pay"), (OrderStatus.PENDING_PAYMENT,)),
    (
        "in_progress",
        gettext_lazy("On the way"),
        (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    ),
    ("completed", gettext_lazy("Completed"), (OrderStatus.COMPLETED,)),
    (
        "cancelled",
        gettext_lazy("Cancelled"),
        (OrderStatus.CANCELLED, OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED),
    ),
)


def order_list_for_user(*, user: User, tab: str = "all") -> QuerySet[Order]:
    """The user's orders, newest first, ready to render with a photo of each line's
    product; ``tab`` (a key of ``ORDER_TABS``; unknown means all) narrows the statuses."""
    statuses = next((t[2] for t in ORDER_TABS if t[0] == tab), ())
    queryset = order_detail_queryset().prefetch_related(
        Prefetch(
            "lines__variant",
            queryset=Variant.objects.select_related("product").prefetch_related("product__images"),
        )
    )
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    return order_selectors.order_list_for_user(user=user, queryset=queryset)


def order_get_for_user(*, user: User, number: str) -> Order:
    """A buyer's order ready to render, or ``OrderNotFound`` (404)."""
    return order_selectors.order_get_for_user(
        user=user, number=number, queryset=order_detail_queryset()
    )


def order_actions(*, order: Order) -> dict[str, bool]:
    """What a buyer may try on this order now, from its prefetched payments and shipments
    (no query). It mirrors the services' checks for showing buttons; the services
    (``order_cancel``, ``receipt_confirmed``, ``payment_start``) still decide."""
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


@dataclass(frozen=True)
class BuyerState:
    """One true state of an order in the buyer's words: a short label for the badge
    (``key`` is the CSS/test hook), one sentence of what it means, and, for money that
    goes back, how much and whether it is back already."""

    key: str
    label: str
    sentence: str
    refund_amount: Decimal | None = None
    refund_done: bool = False


def _money_back(order: Order) -> tuple[Decimal, bool, bool]:
    """(amount taken, refunded in full?, any payment succeeded after the order stopped
    waiting for it?) from the prefetched payments and refunds (no query)."""
    taken = Decimal("0.00")
    all_back = True
    late = False
    for payment in order.payments.all():
        if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            continue
        taken += payment.amount
        back = sum(
            (r.amount for r in payment.refunds.all() if r.status == RefundStatus.SUCCEEDED),
            Decimal("0"),
        )
        if payment.status != PaymentStatus.REFUNDED and back < payment.amount:
            all_back = False
        if (
            order.cancelled_at
            and payment.succeeded_at
            and payment.succeeded_at > order.cancelled_at
        ):
            late = True
    return taken, all_back, late


def order_buyer_state(*, order: Order) -> BuyerState:
    """What the order page says about the order as a whole, from the prefetched rows (no
    query): never "cancelled" next to "being prepared", never a payment "processing"
    on an order that no longer waits for one. A payment that arrives after the order
    expired is always given back (payments app); this says so."""
    status = order.status
    if status == OrderStatus.PENDING_PAYMENT:
        if any(p.status == PaymentStatus.PENDING for p in order.payments.all()):
            return BuyerState(
                "confirming",
                _("Confirming your payment"),
                _("Your payment is being confirmed; this page updates by itself."),
            )
        return BuyerState(
            "pending_payment",
            _("Awaiting payment"),
            _("Pay before the time runs out; the items are held for you until then."),
        )
    if status in (OrderStatus.CANCELLED, OrderStatus.REFUND_PENDING, OrderStatus.REFUNDED):
        taken, all_back, late = _money_back(order)
        expired = (
            status == OrderStatus.CANCELLED
            and order.cancelled_at is not None
            and order.cancelled_at >= order.expires_at
        )
        if taken and late:
            sentence = (
                _(
                    "Your payment arrived after the time to pay had run out, so the order "
                    "was already cancelled. The money has been returned to you in full."
                )
                if all_back
                else _(
                    "Your payment arrived after the time to pay had run out, so the order "
                    "was already cancelled. The money is being returned to you in full, "
                    "the same way you paid; you do not need to do anything."
                )
            )
            label = _("Cancelled · refunded") if all_back else _("Cancelled · refund on its way")
            return BuyerState("late_refund", label, sentence, taken, all_back)
        if taken:
            if all_back:
                return BuyerState(
                    "refunded",
                    _("Cancelled · refunded"),
                    _("The order was cancelled and your money has been returned in full."),
                    taken,
                    True,
                )
            return BuyerState(
                "refund_pending",
                _("Cancelled · refund on its way"),
                _(
                    "The order was cancelled. Your money is being returned in full, the same "
                    "way you paid; it usually arrives within a few days."
                ),
                taken,
                False,
            )
        if expired:
            return BuyerState(
                "expired",
                _("Expired"),
                _("The time to pay ran out, so the order was cancelled. Nothing was charged."),
            )
        return BuyerState(
            "cancelled", _("Cancelled"), _("The order was cancelled. Nothing was charged.")
        )
    if status == OrderStatus.PAID:
        return BuyerState(
            "paid", _("Paid"), _("Paid. The cooperatives are getting your parcels ready.")
        )
    if status == OrderStatus.SHIPPED:
        return BuyerState("shipped", _("Shipped"), _("On its way. Follow each parcel below."))
    if status == OrderStatus.DELIVERED:
        return BuyerState(
            "delivered", _("Delivered"), _("Delivered. Tell us when you have received it.")
        )
    return BuyerState("completed", _("Completed"), _("Completed. Thank you for your order."))


def order_refund_preview(*, order: Order) -> list[tuple[str, Decimal]]:
    """What cancelling now would give back: ``[(provider label, amount)]`` for each
    payment taken (none for an unpaid order). From the prefetched payments (no query)."""
    return [
        (p.get_provider_display(), p.amount)
        for p in order.payments.all()
        if p.status == PaymentStatus.SUCCEEDED
    ]


def order_pickup(order: Order, *, viewer) -> dict[str, str | None]:
    """``{"pickup_station": slug or None, "pickup_code": code or None}`` of an order read
    through ``order_detail_queryset`` (or just placed): the code only for the order's
    buyer and the station's agents, never anyone else (a cooperative's staff, say)."""
    try:
        row = order.channel_order
    except ChannelOrder.DoesNotExist:
        row = None
    if row is None or not row.place.is_pickup_point or not row.pickup_code:
        return {"pickup_station": None, "pickup_code": None}
    viewer_id = getattr(viewer, "pk", None)
    allowed = viewer_id is not None and (
        viewer_id == order.user_id or station_is_agent(place_id=row.place_id, user=viewer)
    )
    return {"pickup_station": row.place.slug, "pickup_code": row.pickup_code if allowed else None}


# --- wholesale receivables (the payments ledger) --------------------------------------


def debtor_key(organisation_id: int) -> str:
    """How the payments ledger names a wholesale organisation (``Receivable.debtor_key``)."""
    return f"wholesale.organisation:{organisation_id}"


def wholesale_statement(*, organisation_id: int | None = None, cooperative_ids=None):
    """A wholesale statement whose figures are read from the payments ledger: invoiced,
    credited and paid are the sums of the receivable entries of each kind, what is owed
    their sum, overdue the positive balances past their due date; each invoice carries
    its ledger ``balance`` and ``overdue`` flag. The documents (invoices, credit notes,
    payments, credit lines) come from wholesale. A fixed number of queries."""
    s = statement(organisation_id=organisation_id, cooperative_ids=cooperative_ids)
    entries = LedgerEntry.objects.filter(account=LedgerAccount.RECEIVABLE)
    receivables = receivables_list(
        cooperative_ids=cooperative_ids,
        debtor_key=debtor_key(organisation_id) if organisation_id is not None else None,
    )
    if organisation_id is not None:
        entries = entries.filter(receivable__debtor_key=debtor_key(organisation_id))
    if cooperative_ids is not None:
        entries = entries.filter(cooperative_id__in=list(cooperative_ids))
    zero = Decimal("0.00")
    sums = entries.aggregate(
        invoiced=Sum("amount", filter=Q(kind=LedgerKind.INVOICE)),
        credited=Sum("amount", filter=Q(kind=LedgerKind.CREDIT_NOTE)),
        paid=Sum("amount", filter=Q(kind=LedgerKind.SETTLEMENT)),
    )
    s.invoiced = sums["invoiced"] or zero
    s.credited = -(sums["credited"] or zero)
    s.paid = -(sums["paid"] or zero)
    s.receivable = s.invoiced - s.credited - s.paid
    today = timezone.localdate()
    balances = {r.reference: r for r in receivables}
    for r in balances.values():
        r.overdue = bool(r.balance > 0 and r.due_on and r.due_on < today)
    s.overdue = sum(
        (r.balance for r in balances.values() if r.overdue),
        zero,
    )
    for invoice in s.invoices:
        row = balances.get(invoice.number)
        invoice.balance = row.balance if row is not None else invoice.outstanding
        invoice.overdue = row.overdue if row is not None else False
    s.receivables = list(balances.values())
    return s
