"""Every order write, one module per job:

- ``addresses``: the buyer's address book;
- ``cart``: the cart's items;
- ``pricing``: an order's lines and each cooperative's shipping fee;
- ``placement``: ``order_place`` (the order and its stock, one transaction);
- ``plan``: ``PlacementPlan`` and ``Discount``, what features add to a placement;
- ``transitions``: each status step, checked against ``constants.TRANSITIONS``;
- ``expiry``: which unpaid orders ran out of time.

Flows that also touch payments or fulfilment (cancel after payment, payment applied,
completion) are the lifecycle app's; this app never calls up into them.
"""

from .addresses import address_delete, address_save, address_set_default
from .cart import cart_add_from_order, cart_item_add, cart_item_remove, cart_item_update
from .expiry import order_lock_if_overdue, orders_overdue_ids
from .placement import order_number_generate, order_place, request_fingerprint
from .plan import Discount, PlacementPlan
from .pricing import ShippingPreview, order_price, shipping_fee_for, shipping_preview
from .transitions import (
    order_cancel_unpaid,
    order_copy_state,
    order_flag,
    order_lock,
    order_mark_completed,
    order_mark_delivered,
    order_mark_paid,
    order_mark_refund_pending,
    order_mark_refunded,
    order_mark_shipped,
    stock_release,
)
from .weighing import order_line_weighed, order_shipping_reprice, shipping_weight_of

__all__ = [
    "Discount",
    "PlacementPlan",
    "ShippingPreview",
    "address_delete",
    "address_save",
    "address_set_default",
    "cart_add_from_order",
    "cart_item_add",
    "cart_item_remove",
    "cart_item_update",
    "order_cancel_unpaid",
    "order_copy_state",
    "order_flag",
    "order_line_weighed",
    "order_lock",
    "order_lock_if_overdue",
    "order_mark_completed",
    "order_mark_delivered",
    "order_mark_paid",
    "order_mark_refund_pending",
    "order_mark_refunded",
    "order_mark_shipped",
    "order_number_generate",
    "order_place",
    "order_price",
    "order_shipping_reprice",
    "orders_overdue_ids",
    "request_fingerprint",
    "shipping_fee_for",
    "shipping_preview",
    "shipping_weight_of",
    "stock_release",
]
