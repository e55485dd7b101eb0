"""The buyer's order news, told at the one place each event happens, in the transaction
that records it (``notify_in_flow``: the notice commits with the event, its e-mail and
text message are sent on commit, each event once by its ``event_key``). The shipped
news is told by fulfilment (``shipment_mark_shipped``). Managers hear that a paid order was
cancelled (issue 18); what sold and what to pack are told when the parcels are made
(``fulfilment.services.shipments_create_for_order``)."""

from __future__ import annotations

from catalog import news as catalog_news
from notifications.constants import NotificationKind
from notifications.services import notify_in_flow
from orders.models import Order
from payments.models import Refund


def buyer_tell_placed(*, order_id: int) -> None:
    """The receipt of a new order, sent by ``order_receipt_task`` after the order
    committed (off the checkout's own statements); once per order by its event key."""
    order = Order.objects.only("number", "user_id", "total").get(pk=order_id)
    notify_in_flow(
        user_id=order.user_id,
        kind=NotificationKind.ORDER_PLACED,
        event_key=f"order:{order.number}:placed",
        context={"number": order.number, "total": f"{order.total:.2f}"},
    )


def buyer_tell_paid(order: Order) -> None:
    notify_in_flow(
        user_id=order.user_id,
        kind=NotificationKind.ORDER_PAID,
        event_key=f"order:{order.number}:paid",
        context={"number": order.number, "total": f"{order.total:.2f}"},
    )


def managers_tell_paid_order_cancelled(order: Order) -> None:
    """The managers of each cooperative in a paid order the buyer cancelled: do not pack."""
    cooperative_ids = sorted(set(order.lines.values_list("cooperative_id", flat=True)))
    for cooperative_id in cooperative_ids:
        for user_id in catalog_news.manager_ids(cooperative_id):
            notify_in_flow(
                user_id=user_id,
                kind=NotificationKind.PAID_ORDER_CANCELLED,
                event_key=f"order:{order.number}:cancelled",
                context={"number": order.number},
            )


def buyer_tell_refunded(order: Order, refund: Refund) -> None:
    """One notice per refund that reached the buyer (a cancelled order's, a duplicate
    payment's, one made at the provider's console)."""
    notify_in_flow(
        user_id=order.user_id,
        kind=NotificationKind.ORDER_REFUNDED,
        event_key=f"order:{order.number}:refund:{refund.out_refund_no}",
        context={"number": order.number, "amount": f"{refund.amount:.2f}"},
    )
