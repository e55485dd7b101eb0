"""What a payments service reports back to the flow that called it.

Payments never calls up into orders' transitions or fulfilment: it returns one of
these, and the lifecycle flow (``lifecycle.services``) does what the outcome asks,
in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from orders.models import Order

from .models import Payment, PaymentNotification, Receivable, Refund


class Applied(StrEnum):
    """What applying one inbox row did."""

    #: Already applied or rejected earlier: nothing to do (the task ran twice).
    DONE_BEFORE = "done_before"
    #: Refused; the row is rejected with ``reason``.
    REJECTED = "rejected"
    #: Nothing changed that the order cares about (duplicate, closed, ...).
    NO_CHANGE = "no_change"
    #: The payment succeeded and its order waits for it: mark paid, ledger, fulfilment.
    PAID = "paid"
    #: The payment succeeded for an order that no longer waits: a refund was created.
    LATE_PAYMENT = "late_payment"
    #: A refund of the payment completed (``refund``): see ``RefundDone``.
    REFUNDED = "refunded"
    #: An invoice's payment succeeded (``receivable``): record it against the invoice.
    SETTLED = "settled"


@dataclass
class RefundDone:
    """A refund completed: the money is back with the buyer and the ledger reversed."""

    refund: Refund
    payment: Payment
    #: The order row, locked in the current transaction.
    order: Order
    #: The payment paid for the order's goods (it held a sale entry).
    paid_goods: bool
    #: Refunded by us (cancel, late payment, staff) or outside (the merchant console).
    ours: bool


@dataclass
class NotificationOutcome:
    """The result of ``notification_apply``: the locked rows and what happened to them.

    The caller finishes the inbox row with ``notification_finish`` once it has acted."""

    inbox: PaymentNotification
    outcome: Applied
    reason: str = ""
    order: Order | None = None
    payment: Payment | None = None
    #: Refunds created here that must be submitted to the provider (on commit).
    refunds_to_submit: list[Refund] = field(default_factory=list)
    refund_done: RefundDone | None = None
    #: The receivable an invoice payment pays (locked), for ``SETTLED``.
    receivable: Receivable | None = None
