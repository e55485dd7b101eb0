"""The flows that cross orders, payments and fulfilment, each in one place:

- ``checkout``: ``checkout_place``;
- ``paid``: a provider notification received and applied (order paid, ledger sale,
  fulfilment started), reconciliation;
- ``cancel``: ``order_cancel`` (stock, or shipments and refunds);
- ``refunds``: refund submission and ``refund_confirmed`` (what a completed refund
  means for the order), staff refunds;
- ``delivery``: receipt confirmed, completion (ledger release);
- ``expiry``: unpaid orders past their time;
- ``extensions``: ``on_unpaid_release`` (features give back what checkout claimed).

Lock order, in every flow: inbox row, order, payments, refunds, shipments,
cooperatives (ledger), the features' rows a checkout claims (a wholesale credit
account, a voucher, a team or pre-sale quota), variants (stock) last. Checkout takes
the features' rows in its hooks before the stock UPDATE; an unpaid cancellation or
expiry gives them back before the stock returns (``order_cancel_unpaid(before_stock=
...)``), and a cancelled order on credit gives its credit back before its stock: the
credit row and the variant rows are always taken in that order, so a credit order
and a cancellation of the same organisation never deadlock
(``tests/wholesale/test_deadlock.py``).
"""

from .cancel import order_cancel
from .checkout import checkout_place
from .delivery import order_complete, orders_complete_due, receipt_confirmed
from .expiry import order_expire, orders_expire_overdue
from .groupbuy import presale_convert, teams_fail_overdue
from .marketing import checkout_place_marketed
from .news import buyer_tell_placed
from .paid import (
    fulfilment_start,
    order_paid,
    payment_notification_apply,
    payment_notification_receive,
    payment_reconcile,
)
from .partial import line_refund_units, line_weigh
from .refunds import (
    payment_refund,
    refund_confirmed,
    refund_retry,
    refund_submit,
    refunds_submit_on_commit,
)

__all__ = [
    "buyer_tell_placed",
    "checkout_place",
    "checkout_place_marketed",
    "fulfilment_start",
    "line_refund_units",
    "line_weigh",
    "order_cancel",
    "order_complete",
    "order_expire",
    "order_paid",
    "orders_complete_due",
    "orders_expire_overdue",
    "payment_notification_apply",
    "payment_notification_receive",
    "payment_reconcile",
    "payment_refund",
    "presale_convert",
    "receipt_confirmed",
    "refund_confirmed",
    "refund_retry",
    "refund_submit",
    "refunds_submit_on_commit",
    "teams_fail_overdue",
]
