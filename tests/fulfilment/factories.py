"""Fulfilment test helpers: the seeded carriers, a two-cooperative paid order, its ledger."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.utils import timezone

from fulfilment.constants import CARRIERS
from fulfilment.models import Carrier
from orders.constants import OrderStatus
from orders.models import Order
from tests.factories import (
    make_batch,
    make_cooperative,
    make_paid_order,
    make_product,
)

_seq = itertools.count(1)


def make_carriers() -> dict[str, Carrier]:
    """The carriers migration 0002 seeds (tests run without migrations)."""
    return {
        c["code"]: Carrier.objects.get_or_create(code=c["code"], defaults=c)[0] for c in CARRIERS
    }


def make_two_coop_order(*, user=None, status: str = OrderStatus.PAID):
    """An order over two cooperatives, each product with a batch: (order, coop_a, coop_b)."""
    coop_a = make_cooperative(name="Jeminay Flour Co-op")
    coop_b = make_cooperative(name="Tekes Honey Co-op")
    product_a = make_product(cooperative=coop_a, title="Stone-milled flour")
    product_b = make_product(cooperative=coop_b, title="Wildflower honey")
    make_batch(product=product_a)
    make_batch(product=product_b)
    order = make_paid_order(
        user=user,
        status=status,
        items=[(product_a.variants.get(), 2), (product_b.variants.get(), 1)],
    )
    return order, coop_a, coop_b


def record_sale(order: Order):
    """What the payments app writes when the order is paid: a payment and the pending ledger."""
    from payments.constants import PaymentStatus
    from payments.models import Payment
    from payments.services import ledger_record_sale

    payment = Payment.objects.create(
        order=order,
        provider="sandbox",
        out_trade_no=f"T{order.pk:08d}{next(_seq):04d}",
        amount=order.total,
        status=PaymentStatus.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    return ledger_record_sale(order=order, payment=payment)


def balances(cooperative) -> dict[str, Decimal]:
    from django.db.models import Sum

    from payments.models import LedgerEntry

    rows = (
        LedgerEntry.objects.filter(cooperative=cooperative)
        .values("account")
        .annotate(total=Sum("amount"))
        .order_by("account")
    )
    return {r["account"]: r["total"] for r in rows}
