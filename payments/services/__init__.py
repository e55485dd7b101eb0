"""Every payment write, one module per job:

- ``start``: starting a payment with a provider;
- ``notifications``: receiving provider notifications into the inbox and applying them;
- ``refunds``: creating, submitting and completing refunds;
- ``ledger``: the cooperatives' append-only ledger (sale, reversal, release);
- ``receivables``: invoices' receivables in the ledger, and paying them online;
- ``payouts``: payouts of the available balance and their CSV;
- ``reconcile``: asking providers about payments that stayed pending.

Payments sits above orders and beside fulfilment: it reads orders and returns outcomes
(``payments.outcomes``); the lifecycle flows act on them (order paid, fulfilment started).
"""

from .cash import cash_payment_record
from .ledger import ledger_record_refund, ledger_record_sale, ledger_release_for_order
from .notifications import (
    Received,
    inbox_stale_ids,
    inbox_sweep,
    notification_apply,
    notification_finish,
    notification_note_failure,
    payment_notification_receive,
)
from .payment_state import payment_advance
from .payouts import PAYOUT_CSV_HEADER, payout_create, payouts_export
from .provider import provider_get
from .receivables import (
    receivable_balance,
    receivable_balance_expression,
    receivable_credit,
    receivable_open,
    receivable_payment_start,
    receivable_settle,
    receivables_list,
)
from .reconcile import payment_reconcile, payments_stale_ids
from .refunds import (
    FULL,
    order_refund_start,
    payment_refund_start,
    payment_refundable,
    refund_apply_result,
    refund_create,
    refund_partial_create,
    refund_retry,
    refund_submit,
    refunds_stale_ids,
)
from .start import payment_start

__all__ = [
    "FULL",
    "PAYOUT_CSV_HEADER",
    "Received",
    "cash_payment_record",
    "inbox_stale_ids",
    "inbox_sweep",
    "ledger_record_refund",
    "ledger_record_sale",
    "ledger_release_for_order",
    "notification_apply",
    "notification_finish",
    "notification_note_failure",
    "order_refund_start",
    "payment_advance",
    "payment_notification_receive",
    "payment_reconcile",
    "payment_refund_start",
    "payment_refundable",
    "payment_start",
    "payments_stale_ids",
    "payout_create",
    "payouts_export",
    "provider_get",
    "receivable_balance",
    "receivable_balance_expression",
    "receivable_credit",
    "receivable_open",
    "receivable_payment_start",
    "receivable_settle",
    "receivables_list",
    "refund_apply_result",
    "refund_create",
    "refund_partial_create",
    "refund_retry",
    "refund_submit",
    "refunds_stale_ids",
]
