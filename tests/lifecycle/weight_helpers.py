"""Builders for the selling-by-weight and partial-refund tests."""

from __future__ import annotations

from decimal import Decimal

from catalog.constants import Pricing
from lifecycle.services import checkout_place
from payments.constants import WalletStatus
from payments.models import SandboxWalletPayment
from tests.factories import ADDRESS, make_product, make_user, make_variant
from tests.groupbuy.helpers import pay


def make_weight_variant(
    *, price_per_kg="6.80", grams=5000, buffer_bp=0, stock=20, cooperative=None, **fields
):
    """A variant sold by weight (default: the issue's 6.80 yuan/kg, 5.000 kg estimate)."""
    product = make_product(cooperative=cooperative, variants=0, title="Mutton")
    return make_variant(
        product=product,
        stock=stock,
        price="0.01",  # replaced on save by the estimate (+ buffer)
        pricing=Pricing.WEIGHT,
        price_per_kg=Decimal(price_per_kg),
        estimated_weight_grams=grams,
        weight_buffer_bp=buffer_bp,
        name=fields.pop("name", "about 5 kg"),
        weight_grams=fields.pop("weight_grams", grams),
        **fields,
    )


def place_and_pay(items, *, user=None, **extra):
    """A real checkout of ``[(variant, quantity)]`` paid through the sandbox flow."""
    order, _ = checkout_place(
        user=user or make_user(),
        shipping_address=ADDRESS,
        lines=[{"variant": v.pk, "quantity": q} for v, q in items],
        **extra,
    )
    payment = pay_in_wallet(order)
    order.refresh_from_db()
    payment.refresh_from_db()
    return order, payment


def pay_in_wallet(order):
    """``order`` paid through the sandbox flow, with the wallet's own record of it (the
    wallet checks its refunds against that record)."""
    payment = pay(order)
    SandboxWalletPayment.objects.create(
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        status=WalletStatus.PAID,
        trade_no=f"SB{payment.pk:010d}",
        pay_event_id=f"evt_pay_{payment.pk}",
    )
    return payment
