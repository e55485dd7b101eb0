"""Wholesale purchase orders through checkout, and the invoice of a delivered one.

A purchase order is a checkout with the wholesale plan (``wholesale.services.
purchase_plan``: the buyer's prices, the PO recorded, credit claimed in the placement
transaction). On credit it skips payment: it is marked paid ("on credit") and
fulfilment starts; the invoice, due after the credit terms, is what gets paid. If the
process dies between the placement and that mark, the order expires unpaid and
``wholesale.services.credit_release`` (registered in ``lifecycle.apps``) gives the
credit back.
"""

from __future__ import annotations

from django.db import transaction

from catalog.models import Batch
from fulfilment.models import ShipmentLine
from orders.constants import OrderStatus
from orders.models import Order
from orders.services import order_mark_paid, order_mark_refunded
from payments.constants import PaymentStatus
from payments.models import Payment
from storefront.errors import InvalidState
from wholesale import services as wholesale
from wholesale.models import Invoice, WholesaleOrder

from .checkout import checkout_place
from .paid import fulfilment_start


def wholesale_order_place(
    *,
    user,
    lines: list[dict],
    po_number: str,
    on_credit: bool = False,
    shipping_address: dict | None = None,
    idempotency_key: str | None = None,
) -> tuple[Order, bool]:
    """Place a purchase order for an approved organisation's buyer (see the module
    docstring). Errors: those of ``purchase_plan`` and of ``checkout_place``."""
    member = wholesale.buyer_for(user)
    plan = wholesale.purchase_plan(
        member=member, lines=lines, po_number=po_number, on_credit=bool(on_credit)
    )
    order, created = checkout_place(
        user=user,
        shipping_address=shipping_address or member.organisation.delivery_address,
        lines=lines,
        idempotency_key=idempotency_key,
        plan=plan,
    )
    if created and order.wholesale.on_credit:
        with transaction.atomic():
            order = order_mark_paid(
                order=order.pk, note=f"on credit, PO {order.wholesale.po_number}"
            )
            fulfilment_start(order)
    return order, created


def delivery_batches(order: Order) -> list[dict]:
    """The batches shipped for ``order`` with their quality figures (the certificate
    printed on the invoice; the trace QR is drawn from the code)."""
    batch_ids = set(
        ShipmentLine.objects.filter(order_line__order=order, batch__isnull=False).values_list(
            "batch_id", flat=True
        )
    )
    out = []
    for b in Batch.objects.filter(pk__in=batch_ids).order_by("code"):
        out.append(
            {
                "code": b.code,
                "harvested_on": str(b.harvested_on),
                "milled_on": str(b.milled_on) if b.milled_on else "",
                **{
                    key: (f"{getattr(b, key):.2f}" if getattr(b, key) is not None else "")
                    for key in wholesale.SPEC_FIELDS
                },
            }
        )
    return out


DELIVERED = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


def wholesale_invoice_issue(*, wholesale_order: WholesaleOrder) -> Invoice:
    """The invoice of a delivered purchase order, with its batch certificate (once).

    An order that was not on credit was paid at checkout: its payments are recorded
    against the invoice as it is issued, so it is born settled (in the ledger, its
    receivable is settled by the order's own payments; their money is already in the
    cooperative's ledger as the order's sale)."""
    order = wholesale_order.order
    if order.status not in DELIVERED:
        raise InvalidState(details={"status": order.status})
    with transaction.atomic():
        invoice = wholesale.invoice_issue(
            wholesale_order=wholesale_order, batches=delivery_batches(order)
        )
        if not wholesale_order.on_credit and not invoice.payments.exists():
            paid = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED)
            for payment in paid.order_by("succeeded_at", "pk"):
                wholesale.invoice_payment_record_online(
                    invoice=invoice, amount=payment.amount, reference=payment.out_trade_no
                )
            invoice.refresh_from_db()
    return invoice


def wholesale_invoices_issue_due() -> int:
    """Issue the invoice of every delivered purchase order that has none (beat)."""
    due = WholesaleOrder.objects.filter(order__status__in=DELIVERED).exclude(
        invoices__kind="invoice"
    )
    count = 0
    for wo in due.select_related("order"):
        wholesale_invoice_issue(wholesale_order=wo)
        count += 1
    return count


def wholesale_credit_cancelled(order: Order) -> None:
    """A paid order on credit, cancelled before it shipped (``order_cancel``, in its
    transaction, order locked, now ``refund_pending``): no money was paid, so there is
    nothing to refund; the credit comes back and the order is refunded at once."""
    if order.channel != "wholesale":
        return
    wo = WholesaleOrder.objects.filter(order=order, on_credit=True).first()
    if wo is None:
        return
    wholesale.credit_release(order)
    order_mark_refunded(order=order.pk, note="on credit: nothing was paid")
