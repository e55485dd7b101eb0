"""Contract deliveries: each due delivery of a wholesale contract placed as a purchase
order through checkout, exactly once, by the beat sweep.

One transaction per delivery: the delivery is claimed by one conditional UPDATE
(``wholesale.contracts.delivery_claim``: a second sweep waits on the row and then finds
it placed), the batch it ships from must meet the contract's specification, and the
order is placed by ``checkout_place`` at the contract's price (the stock taken by the
stock service's conditional UPDATE, as movements; never oversold). With credit terms it
goes on credit and is marked paid at once, in the same transaction, so fulfilment
starts. When it cannot be placed now (short of stock, no batch on specification, credit
exhausted or blocked) nothing of the attempt is kept but the reason: the delivery waits
and the next sweep tries again.

Lock order (``lifecycle.services``): the delivery row, then checkout's (order, credit
account, variants last).
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from catalog.models import Variant
from orders.constants import OrderStatus
from orders.exceptions import InsufficientStock
from orders.services import order_mark_paid
from storefront import metrics
from storefront.errors import ApplicationError
from wholesale import contracts
from wholesale.models import ContractDelivery

from .checkout import checkout_place
from .paid import fulfilment_start

logger = logging.getLogger(__name__)


def _reason(error: ApplicationError, delivery: ContractDelivery) -> str:
    if isinstance(error, InsufficientStock):
        stock = (
            Variant.objects.filter(pk=delivery.contract.variant_id)
            .values_list("stock", flat=True)
            .first()
        )
        return (
            f"insufficient_stock: {delivery.quantity} due, {stock or 0} in stock; "
            "tried again on the next run"
        )
    details = getattr(error, "details", None) or {}
    figures = details.get("figures") if isinstance(details, dict) else None
    text = f"{error.code}: {error.message}"
    if figures:
        text += f" (batch {details.get('batch') or '-'}: {', '.join(figures)})"
    return text


def contract_delivery_place(
    *, delivery_id: int, today: datetime.date | None = None
) -> ContractDelivery | None:
    """Place one due delivery (see the module docstring). Returns the delivery, placed
    or waiting, or None when it was not due and open (placed by another sweep)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        delivery = contracts.delivery_claim(delivery_id=delivery_id, today=today)
        if delivery is None:
            return None
        try:
            batch = contracts.delivery_batch(delivery)
            user = contracts.delivery_buyer(delivery)
            plan = contracts.delivery_plan(delivery, user=user)
            lines = [{"variant": delivery.contract.variant_id, "quantity": delivery.quantity}]
            # Inside this transaction order_place runs in a savepoint: a refusal rolls
            # back the order, its credit claim and its stock, and keeps the claim.
            order, _created = checkout_place(
                user=user,
                shipping_address=delivery.contract.organisation.delivery_address,
                lines=lines,
                idempotency_key=f"contract-delivery-{delivery.pk}",
                plan=plan,
            )
        except ApplicationError as error:
            reason = _reason(error, delivery)
            contracts.delivery_mark_waiting(delivery=delivery, reason=reason)
            metrics.incr("contract_delivery_waiting")
            logger.info("contract delivery %s waits: %s", delivery, reason)
            return delivery
        if order.wholesale.on_credit and order.status == OrderStatus.PENDING_PAYMENT:
            order = order_mark_paid(
                order=order.pk, note=f"on credit, contract PO {order.wholesale.po_number}"
            )
            fulfilment_start(order)
        contracts.delivery_mark_placed(delivery=delivery, order=order, batch=batch)
        metrics.incr("contract_delivery_placed")
        return delivery


def contract_deliveries_sweep(
    *, today: datetime.date | None = None, batch_size: int = 100
) -> dict[str, int]:
    """Every delivery due on or before ``today`` that is still open, each tried once per
    run, however long the beat was stopped (no time window: a delivery due months ago
    is placed now). Safe to run twice at once: each delivery is placed exactly once.
    Returns how many were placed and how many wait."""
    today = today or timezone.localdate()
    counts = {"placed": 0, "waiting": 0}
    last_id = 0
    while True:
        ids = contracts.deliveries_due_ids(today=today, after_id=last_id, limit=batch_size)
        if not ids:
            return counts
        last_id = ids[-1]
        for delivery_id in ids:
            delivery = contract_delivery_place(delivery_id=delivery_id, today=today)
            if delivery is not None:
                counts["placed" if delivery.order_id else "waiting"] += 1
