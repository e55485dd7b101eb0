"""Paid orders made directly with models, so fulfilment tests need no checkout or payment."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Variant
from fulfilment.constants import CARRIERS
from fulfilment.models import Carrier
from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping
from tests.factories import ADDRESS, make_batch, make_cooperative, make_product, make_user

_seq = itertools.count(1)


def make_carriers() -> dict[str, Carrier]:
    """The carriers migration 0002 seeds (tests run without migrations)."""
    return {
        c["code"]: Carrier.objects.get_or_create(code=c["code"], defaults=c)[0] for c in CARRIERS
    }


def make_order(
    *,
    user=None,
    items: list[tuple[Variant, int]] | None = None,
    status: str = OrderStatus.PAID,
    shipping_fee: str = "10.00",
) -> Order:
    """An order over ``items`` (default: one variant of a fresh cooperative), already paid."""
    if items is None:
        product = make_product()
        items = [(product.variants.get(), 2)]
    subtotal = sum((v.price * q for v, q in items), Decimal("0"))
    now = timezone.now()
    order = Order.objects.create(
        number=f"FG{now:%Y%m%d}{next(_seq):06d}",
        user=user or make_user(email="buyer@example.com"),
        status=status,
        subtotal=subtotal,
        shipping_fee=Decimal(shipping_fee),
        total=subtotal + Decimal(shipping_fee),
        shipping_address=ADDRESS,
        expires_at=now + timedelta(minutes=30),
        paid_at=now if status != OrderStatus.PENDING_PAYMENT else None,
    )
    coops: dict[int, list] = {}
    for variant, quantity in items:
        product = variant.product
        OrderLine.objects.create(
            order=order,
            variant=variant,
            cooperative_id=product.cooperative_id,
            sku=variant.sku,
            title=f"{product.title} {variant.name}",
            unit_price=variant.price,
            quantity=quantity,
            line_total=variant.price * quantity,
            weight_grams=variant.weight_grams,
        )
        coops.setdefault(product.cooperative_id, []).append((variant, quantity))
    for coop_id, lines in coops.items():
        OrderShipping.objects.create(
            order=order,
            cooperative_id=coop_id,
            goods_total=sum((v.price * q for v, q in lines), Decimal("0")),
            weight_grams=sum(v.weight_grams * q for v, q in lines),
            fee=Decimal(shipping_fee) / len(coops),
        )
    return order


def make_two_coop_order(*, user=None, status: str = OrderStatus.PAID):
    """An order over two cooperatives, each product with a batch: (order, coop_a, coop_b)."""
    coop_a = make_cooperative(name="Jeminay Flour Co-op")
    coop_b = make_cooperative(name="Tekes Honey Co-op")
    product_a = make_product(cooperative=coop_a, title="Stone-milled flour")
    product_b = make_product(cooperative=coop_b, title="Wildflower honey")
    make_batch(product=product_a)
    make_batch(product=product_b)
    order = make_order(
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
