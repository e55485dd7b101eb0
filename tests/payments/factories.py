"""Orders and payments made directly with models, so payment tests need no checkout."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Cooperative
from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping
from payments.models import Payment
from tests.factories import make_cooperative, make_product, make_user

_seq = itertools.count(1)

ADDRESS = {
    "name": "Li Lei",
    "phone": "13800000000",
    "province": "Beijing",
    "city": "Beijing",
    "district": "Haidian",
    "address": "1 Road",
    "postcode": "100000",
}


def make_order(
    *,
    user=None,
    parts: list[tuple[Cooperative | None, list[tuple[str, int]], str]] | None = None,
    status: str = OrderStatus.PENDING_PAYMENT,
    expires_in: timedelta = timedelta(minutes=30),
) -> Order:
    """An order with lines and per-cooperative shipping.

    `parts`: [(cooperative or None for a new one, [(unit price, quantity), ...], shipping
    fee)]. Default: one cooperative, 2 × 39.90 plus 8.50 shipping = 88.30.
    """
    parts = parts or [(None, [("39.90", 2)], "8.50")]
    i = next(_seq)
    order = Order.objects.create(
        number=f"FG{timezone.now():%Y%m%d}{i:06d}",
        user=user or make_user(),
        status=status,
        subtotal=Decimal("0"),
        shipping_fee=Decimal("0"),
        total=Decimal("0"),
        shipping_address=ADDRESS,
        expires_at=timezone.now() + expires_in,
    )
    subtotal = shipping = Decimal("0")
    for cooperative, lines, fee in parts:
        coop = cooperative or make_cooperative()
        goods = Decimal("0")
        for price, quantity in lines:
            product = make_product(cooperative=coop, price=price)
            variant = product.variants.first()
            line_total = Decimal(price) * quantity
            OrderLine.objects.create(
                order=order,
                variant=variant,
                cooperative=coop,
                sku=variant.sku,
                title=product.title,
                unit_price=Decimal(price),
                quantity=quantity,
                line_total=line_total,
                weight_grams=variant.weight_grams,
            )
            goods += line_total
        OrderShipping.objects.create(
            order=order, cooperative=coop, goods_total=goods, weight_grams=1000, fee=Decimal(fee)
        )
        subtotal += goods
        shipping += Decimal(fee)
    order.subtotal, order.shipping_fee, order.total = subtotal, shipping, subtotal + shipping
    order.save(update_fields=["subtotal", "shipping_fee", "total"])
    return order


def make_payment(*, order: Order | None = None, provider: str = "sandbox", **fields) -> Payment:
    order = order or make_order()
    i = next(_seq)
    defaults = {"out_trade_no": f"T{i:08d}x{order.pk}", "amount": order.total}
    return Payment.objects.create(order=order, provider=provider, **{**defaults, **fields})
