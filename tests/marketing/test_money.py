"""No drift: random carts with random vouchers split their discount to the fen, and the
ledger of placed and paid voucher orders balances to the fen."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Sum

from lifecycle import services as flows
from marketing.exceptions import VoucherMinSpend, VoucherNotApplicable
from marketing.models import Voucher
from marketing.services.vouchers import Goods, voucher_discount
from orders.models import OrderLine
from orders.services.plan import discounts_apply
from payments.constants import LedgerKind
from payments.models import LedgerEntry
from payments.services.ledger import ledger_record_sale
from storefront.errors import ApplicationError
from tests.factories import (
    ADDRESS,
    make_cooperative,
    make_payment,
    make_product,
    make_user,
    make_voucher,
)

D = Decimal
CENT = D("0.01")


def _random_voucher(rng, coops):
    kind = rng.choice(["percent", "fixed"])
    value = D(rng.randint(1, 99)) if kind == "percent" else D(rng.randint(1, 20000)) / 100
    funded = rng.choice([None, None, rng.choice(coops)])
    scope = rng.choice(["site", "site", "cooperative", "products"])
    return Voucher(
        code="R",
        kind=kind,
        value=value,
        min_spend=D(rng.choice([0, 0, 50, 200])),
        scope=scope,
        cooperative_id=rng.choice(coops) if scope == "cooperative" else None,
        funded_by_id=funded,
    )


def test_10000_random_carts_with_random_vouchers_split_to_the_fen():
    rng = random.Random(13)
    coops = [1, 2, 3]
    refused = 0
    for _ in range(10_000):
        lines = []
        for vid in rng.sample(range(1, 40), rng.randint(1, 6)):
            price = D(rng.randint(1, 30000)) / 100
            qty = rng.randint(1, 7)
            lines.append(
                OrderLine(
                    variant_id=vid,
                    cooperative_id=rng.choice(coops),
                    unit_price=price,
                    quantity=qty,
                    line_total=(price * qty).quantize(CENT),
                    discount=D("0.00"),
                    discount_platform=D("0.00"),
                )
            )
        goods = [
            Goods(
                variant_id=line.variant_id,
                product_id=line.variant_id,
                category_id=1,
                cooperative_id=line.cooperative_id,
                county_id=1,
                line_total=line.line_total,
            )
            for line in lines
        ]
        voucher = _random_voucher(rng, coops)
        products = frozenset(rng.sample(range(1, 40), 10))
        try:
            discount = voucher_discount(voucher, goods, product_ids=products)
        except (VoucherNotApplicable, VoucherMinSpend):
            refused += 1
            continue
        eligible = [line for line in lines if line.variant_id in discount.variants]
        base = sum((line.line_total for line in eligible), D("0"))
        if voucher.kind == "percent":
            assert discount.amount == (base * voucher.value / 100).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
        assert D("0") < discount.amount <= base
        total = discounts_apply(lines, [discount])
        # zero drift: the order's discount is the sum of the lines', to the fen
        assert total == discount.amount == sum(line.discount for line in lines)
        for line in lines:
            assert D("0") <= line.discount <= line.line_total
            if line not in eligible:
                assert line.discount == 0
            if discount.platform_funded:
                assert line.discount_platform == line.discount
            else:
                assert line.discount_platform == 0
                assert line.discount == 0 or line.cooperative_id == discount.funded_by
    assert refused < 10_000 // 2


@pytest.mark.django_db
def test_placed_random_voucher_orders_balance_the_ledger_to_the_fen(settings):
    settings.PLATFORM_FEE_PERCENT = "3"
    rng = random.Random(2026)
    coops = [make_cooperative() for _ in range(3)]
    variants = [
        make_product(
            cooperative=rng.choice(coops), price=f"{rng.randint(100, 9000) / 100:.2f}", stock=10_000
        ).variants.get()
        for _ in range(12)
    ]
    vouchers = [
        make_voucher("PLAT7", value=D("7"), per_buyer_limit=None),
        make_voucher("PLATFIX", kind="fixed", value=D("12.34"), per_buyer_limit=None),
        make_voucher("COOP33", value=D("33"), funded_by=coops[0], per_buyer_limit=None),
        make_voucher(
            "COOPFIX", kind="fixed", value=D("5.55"), funded_by=coops[1], per_buyer_limit=None
        ),
    ]
    buyer = make_user()
    placed = 0
    for _ in range(150):
        picks = rng.sample(variants, rng.randint(1, 4))
        try:
            order, _ = flows.checkout_place_marketed(
                user=buyer,
                shipping_address=ADDRESS,
                lines=[{"variant": v.pk, "quantity": rng.randint(1, 3)} for v in picks],
                voucher=rng.choice(vouchers).code,
            )
        except ApplicationError as exc:
            assert exc.code == "voucher_not_applicable"
            continue
        placed += 1
        lines = list(order.lines.all())
        assert order.discount_total == sum(line.discount for line in lines) > 0
        assert order.total == order.subtotal - order.discount_total + order.shipping_fee
        assert order.total >= order.shipping_fee
        payment = make_payment(order=order)
        ledger_record_sale(order=order, payment=payment)
        entries = LedgerEntry.objects.filter(order=order)
        sales = entries.filter(kind=LedgerKind.SALE).aggregate(s=Sum("amount"))["s"]
        subsidy = entries.filter(kind=LedgerKind.PLATFORM_SUBSIDY).aggregate(s=Sum("amount"))["s"]
        assert sales == payment.amount == order.total
        platform = sum(line.discount_platform for line in lines)
        assert (subsidy or D("0")) == platform
        for coop in coops:
            own = [line for line in lines if line.cooperative_id == coop.pk]
            if not own:
                continue
            kept = entries.filter(
                cooperative=coop, kind__in=[LedgerKind.SALE, LedgerKind.PLATFORM_SUBSIDY]
            ).aggregate(s=Sum("amount"))["s"]
            goods = sum(line.line_total for line in own)
            funded = sum(line.discount - line.discount_platform for line in own)
            shipping = order.shipping_parts.get(cooperative=coop).fee
            assert kept == goods + shipping - funded
    assert placed > 100
