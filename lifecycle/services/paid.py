"""After a provider speaks: a notification received and applied, or a reconciliation
query answered. A payment that succeeded for an order waiting for it makes the order
paid, writes its ledger sale and starts fulfilment, in the apply transaction."""

from __future__ import annotations

from django.db import transaction

from fulfilment.tasks import shipments_create_task
from orders.models import Order
from orders.services import order_mark_paid
from payments import services as payments
from payments.models import Payment, PaymentNotification
from payments.outcomes import Applied
from payments.providers.base import HttpAnswer
from storefront.queue import send_on_commit

from .extensions import paid_hold_run
from .news import buyer_tell_paid
from .receivables import invoice_paid_online
from .refunds import refund_confirmed, refunds_submit_on_commit


def payment_notification_receive(
    *, provider: str, headers, body: bytes, content_type: str = ""
) -> HttpAnswer:
    """Verify and store a provider's notification; a new one is applied by a task."""
    received = payments.payment_notification_receive(
        provider=provider, headers=headers, body=body, content_type=content_type
    )
    if received.inbox_id is not None:
        from ..tasks import payment_notification_apply_task

        # The row is committed already: a lost message is found by the inbox sweep.
        send_on_commit(payment_notification_apply_task, received.inbox_id)
    return received.answer


def payment_notification_apply(*, inbox_id: int) -> PaymentNotification:
    """Apply one stored notification, exactly once, and do what it means for the order.

    One transaction: payments locks the inbox row, the order and the payment and moves
    the payment forward; then, by the outcome, the order is paid (ledger sale,
    fulfilment started on commit), a late payment's refund is submitted, a refund's
    completion is carried to the order (``refund_confirmed``), or an invoice's payment
    pays the invoice (``invoice_paid_online``). Safe to run any number of
    times: a finished row is left alone."""
    with transaction.atomic():
        outcome = payments.notification_apply(inbox_id=inbox_id)
        reason = outcome.reason
        if outcome.outcome == Applied.PAID:
            order_paid(order=outcome.order, payment=outcome.payment)
        elif outcome.outcome == Applied.SETTLED:
            reason = invoice_paid_online(receivable=outcome.receivable, payment=outcome.payment)
        elif outcome.outcome == Applied.REFUNDED:
            note = refund_confirmed(outcome.refund_done)
            reason = f"{reason}; {note}" if note else reason
        refunds_submit_on_commit(outcome.refunds_to_submit)
        return payments.notification_finish(outcome, reason)


def order_paid(*, order: Order, payment: Payment) -> None:
    """pending_payment → paid, the cooperatives' ledger sale, the buyer told (in-app,
    and by e-mail / text message on commit), fulfilment started.

    Precondition: ``order`` and ``payment`` are locked in the current transaction."""
    # The order row is locked by the apply, in this transaction: no second lock.
    order_mark_paid(order=order, note=f"{payment.provider} {payment.out_trade_no}", locked=True)
    payments.ledger_record_sale(order=order, payment=payment)
    buyer_tell_paid(order)
    if not paid_hold_run(order):  # a team not yet filled, a pre-sale not yet converted
        fulfilment_start(order)


def fulfilment_start(order: Order) -> None:
    """One shipment per cooperative, made by a task once the payment is committed (the
    fulfilment sweep restarts it if the message is lost)."""
    send_on_commit(shipments_create_task, order.pk)


def payment_reconcile(*, payment_id: int) -> PaymentNotification | None:
    """Ask the provider about a payment pending too long and apply its answer."""
    inbox_id = payments.payment_reconcile(payment_id=payment_id)
    if inbox_id is None:
        return None
    return payment_notification_apply(inbox_id=inbox_id)
