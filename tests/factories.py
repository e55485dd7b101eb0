"""Small factories: plain functions that create valid rows with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from catalog.constants import MembershipRole, ProductStatus
from catalog.models import Batch, Category, Cooperative, County, Product, ProductImage, Variant
from catalog.search.index import product_search_update
from catalog.selectors import variants_off_ledger
from catalog.services import membership_grant
from catalog.stock import stock_record_opening
from catalog.translation import CATEGORY_TRANSLATION_ARGS, PRODUCT_TRANSLATION_ARGS
from fulfilment.constants import CARRIERS
from fulfilment.models import Carrier
from orders.constants import OrderStatus
from orders.models import Order, OrderLine, OrderShipping

_seq = itertools.count(1)

#: A valid shipping address (Chinese text: packing slips must render it).
ADDRESS = {
    "name": "王小明",
    "phone": "13800138000",
    "province": "北京市",
    "city": "北京市",
    "district": "海淀区",
    "address": "中关村大街 1 号",
    "postcode": "100080",
}


def n() -> int:
    return next(_seq)


def make_user(username: str | None = None, *, password: str = "pw-Secret-123", **fields) -> User:
    user = User(username=username or f"user{n()}", **fields)
    user.set_password(password)
    user.save()
    return user


def make_county(**fields) -> County:
    i = n()
    defaults = {
        "name": f"County {i}",
        "slug": f"county-{i}",
        "province": "Xinjiang",
        "poverty_relief": True,
    }
    return County.objects.create(**{**defaults, **fields})


def make_cooperative(*, county: County | None = None, **fields) -> Cooperative:
    i = n()
    defaults = {"name": f"Coop {i}", "slug": f"coop-{i}", "county": county or make_county()}
    return Cooperative.objects.create(**{**defaults, **fields})


def make_category(**fields) -> Category:
    i = n()
    name = fields.pop("name", f"Cat {i}")  # the Chinese name, in its own column
    texts = {"name": name, "name_zh_hans": name, **dict.fromkeys(CATEGORY_TRANSLATION_ARGS, "")}
    return Category.objects.create(**{**texts, "slug": f"cat-{i}", **fields})


def make_product(
    *,
    cooperative: Cooperative | None = None,
    category: Category | None = None,
    status: str = ProductStatus.ACTIVE,
    variants: int = 1,
    price: str = "39.90",
    stock: int = 10,
    **fields,
) -> Product:
    i = n()
    # ``title``/``description`` are the Chinese texts, as in the services; every language's
    # column is named, so none follows the language active in the test.
    title = fields.pop("title", f"Flour {i}")
    description = fields.pop("description", "")
    texts = {
        "title": title,
        "title_zh_hans": title,
        "description": description,
        "description_zh_hans": description,
        **{name: fields.pop(name, "") for name in PRODUCT_TRANSLATION_ARGS},
    }
    product = Product.objects.create(
        cooperative=cooperative or make_cooperative(),
        category=category or make_category(),
        slug=fields.pop("slug", f"flour-{i}"),
        status=status,
        **texts,
        **fields,
    )
    for v in range(variants):
        make_variant(product=product, price=price, stock=stock, name=f"{5 * (v + 1)} kg")
    product_search_update(product_ids=[product.pk])  # as the product services do
    return product


def make_photo(*, product: Product, position: int = 0) -> ProductImage:
    """A photo row (no file is read: enough for the rule "a listing needs a photo")."""
    return ProductImage.objects.create(
        product=product, image=f"products/test-{n()}.jpg", position=position, token=f"t{n()}"
    )


def make_variant(*, product: Product, price: str = "39.90", stock: int = 10, **fields) -> Variant:
    i = n()
    defaults = {"name": "5 kg", "sku": f"SKU-{i}", "weight_grams": 5100}
    variant = Variant.objects.create(
        product=product, price=Decimal(price), stock=stock, **{**defaults, **fields}
    )
    # Opening stock as a receipt movement, like every variant's (catalog.stock).
    stock_record_opening(variants=[variant], note="factory")
    return variant


def assert_stock_ledger_consistent(variant_ids=None) -> None:
    """Every variant's stock equals the sum of its movements (CORE.md's invariant)."""
    wrong = variants_off_ledger(variant_ids=variant_ids)
    assert not wrong, f"stock != sum of movements (variant: (stock, sum)): {wrong}"


def make_batch(*, product: Product, **fields) -> Batch:
    i = n()
    defaults = {
        "code": f"B-{i}",
        "harvested_on": date(2026, 8, 1),
        "milled_on": date(2026, 9, 1),
        "protein_pct": Decimal("13.5"),
        "moisture_pct": Decimal("13.0"),
    }
    return Batch.objects.create(product=product, **{**defaults, **fields})


def make_manager(cooperative: Cooperative, username: str | None = None) -> User:
    user = make_user(username)
    membership_grant(user=user, cooperative=cooperative, role=MembershipRole.MANAGER)
    user.refresh_from_db()
    return user


def make_farmer(cooperative: Cooperative, username: str | None = None) -> User:
    user = make_user(username)
    membership_grant(user=user, cooperative=cooperative, role=MembershipRole.FARMER)
    return user


# --- orders and payments made directly with models (no checkout, no provider) ---------


def make_order(
    *,
    user: User | None = None,
    items: list[tuple[Variant, int]] | None = None,
    parts: list[tuple[Cooperative | None, list[tuple[str, int]], str]] | None = None,
    shipping_fee: str = "10.00",
    status: str = OrderStatus.PENDING_PAYMENT,
    expires_in: timedelta = timedelta(minutes=30),
) -> Order:
    """An order with lines and per-cooperative shipping, written directly (no stock taken).

    Either ``items`` (``[(variant, quantity)]``, ``shipping_fee`` split evenly over their
    cooperatives) or ``parts`` (``[(cooperative or None for a new one, [(unit price,
    quantity)], shipping fee)]``, a product made per line). Default: one new
    cooperative, 2 × 39.90 plus 8.50 shipping = 88.30."""
    if items is not None:
        by_coop: dict[int, list] = {}
        for variant, quantity in items:
            by_coop.setdefault(variant.product.cooperative_id, []).append((variant, quantity))
        fee = Decimal(shipping_fee) / len(by_coop)
        rows = [(coop_id, lines, fee) for coop_id, lines in by_coop.items()]
    else:
        rows = []
        for cooperative, lines, fee in parts or [(None, [("39.90", 2)], "8.50")]:
            coop = cooperative or make_cooperative()
            variants = [
                (make_product(cooperative=coop, price=price).variants.get(), quantity)
                for price, quantity in lines
            ]
            rows.append((coop.pk, variants, Decimal(fee)))
    now = timezone.now()
    order = Order.objects.create(
        number=f"FG{now:%Y%m%d}{n():06d}",
        user=user or make_user(email="buyer@example.com"),
        status=status,
        subtotal=Decimal("0"),
        shipping_fee=Decimal("0"),
        total=Decimal("0"),
        shipping_address=dict(ADDRESS),
        expires_at=now + expires_in,
        paid_at=None if status == OrderStatus.PENDING_PAYMENT else now,
    )
    subtotal = shipping = Decimal("0")
    for coop_id, lines, fee in rows:
        goods = Decimal("0")
        for variant, quantity in lines:
            line_total = variant.price * quantity
            OrderLine.objects.create(
                order=order,
                variant=variant,
                cooperative_id=coop_id,
                sku=variant.sku,
                title=f"{variant.product.title} {variant.name}",
                unit_price=variant.price,
                quantity=quantity,
                line_total=line_total,
                weight_grams=variant.weight_grams,
            )
            goods += line_total
        OrderShipping.objects.create(
            order=order,
            cooperative_id=coop_id,
            goods_total=goods,
            weight_grams=sum(v.weight_grams * q for v, q in lines),
            fee=fee,
        )
        subtotal += goods
        shipping += fee
    order.subtotal, order.shipping_fee, order.total = subtotal, shipping, subtotal + shipping
    order.save(update_fields=["subtotal", "shipping_fee", "total"])
    return order


def make_paid_order(*, items: list[tuple[Variant, int]] | None = None, **fields) -> Order:
    """An order already ``paid`` (default: 2 of one new product, 10.00 shipping)."""
    if items is None and "parts" not in fields:
        items = [(make_product().variants.get(), 2)]
    return make_order(items=items, status=fields.pop("status", OrderStatus.PAID), **fields)


def make_payment(*, order: Order | None = None, provider: str = "sandbox", **fields):
    """A payment of ``order`` (default: a new pending order) for its total, pending."""
    from payments.models import Payment

    order = order or make_order()
    defaults = {"out_trade_no": f"T{n():08d}x{order.pk}", "amount": order.total}
    return Payment.objects.create(order=order, provider=provider, **{**defaults, **fields})


def make_notification(payment, *, event_id: str | None = None, **fields):
    """A stored provider notification of ``payment`` (default: its success), not applied.
    A refund event (``kind="refund"``) refunds the whole payment unless told otherwise."""
    from payments.models import PaymentNotification

    kind = fields.pop("kind", "payment")
    defaults = {
        "event_status": "succeeded" if kind == "payment" else "refunded",
        "amount": payment.amount,
        "refund_amount": payment.amount if kind == "refund" else None,
    }
    return PaymentNotification.objects.create(
        provider=payment.provider,
        event_id=event_id or f"ev-{n()}",
        kind=kind,
        out_trade_no=payment.out_trade_no,
        **{**defaults, **fields},
    )


# --- fulfilment: the seeded carriers, a two-cooperative paid order, its ledger ---------


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
    from payments.services import ledger_record_sale

    payment = make_payment(
        order=order,
        out_trade_no=f"T{order.pk:08d}{n():04d}",
        status=PaymentStatus.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    return ledger_record_sale(order=order, payment=payment)


def balances(cooperative: Cooperative) -> dict[str, Decimal]:
    """The cooperative's ledger: account -> sum of its entries."""
    from django.db.models import Sum

    from payments.models import LedgerEntry

    rows = (
        LedgerEntry.objects.filter(cooperative=cooperative)
        .values("account")
        .annotate(total=Sum("amount"))
        .order_by("account")
    )
    return {r["account"]: r["total"] for r in rows}


# --- wholesale ------------------------------------------------------------------------


def make_credit_code() -> str:
    """A fresh unified social credit code with a valid check character."""
    from wholesale.validators import credit_code_check_char

    first17 = f"91650000{n():09d}"
    return first17 + credit_code_check_char(first17)


def make_organisation(
    *,
    cooperative: Cooperative | None = None,
    user: User | None = None,
    role: str = "buyer",
    status: str = "approved",
    **fields,
):
    """An organisation (approved by default) with ``user`` (made if None) as ``role``."""
    from wholesale.models import Organisation, OrgMember

    i = n()
    defaults = {
        "name": f"Mill {i}",
        "credit_code": make_credit_code(),
        "invoice_title": f"Mill {i} Ltd",
        "tax_number": f"91650000TAX{i:05d}",
        "address": "Urumqi",
        "delivery_address": ADDRESS,
        "status": status,
        "cooperative": cooperative or make_cooperative(),
    }
    org = Organisation.objects.create(**{**defaults, **fields})
    OrgMember.objects.create(organisation=org, user=user or make_user(), role=role)
    return org


def make_voucher(code: str | None = None, **fields):
    """A running, platform-funded, whole-site voucher (10 % off, 1 per buyer) by default."""
    from marketing.models import Voucher

    now = timezone.now()
    products = fields.pop("products", None)
    defaults = {
        "code": code or f"V{n()}",
        "kind": "percent",
        "value": Decimal("10"),
        "min_spend": Decimal("0.00"),
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "total_limit": None,
        "per_buyer_limit": 1,
        "scope": "site",
    }
    voucher = Voucher.objects.create(**{**defaults, **fields})
    if products:
        voucher.products.set(products)
    return voucher


def make_campaign(code: str | None = None, *, items=(), **fields):
    """A running campaign; ``items`` are ``(variant, campaign_price or None)``."""
    from marketing.models import Campaign, CampaignItem

    now = timezone.now()
    defaults = {
        "code": code or f"camp{n()}",
        "title": "Harvest festival",
        "starts": now - timedelta(days=1),
        "ends": now + timedelta(days=10),
    }
    campaign = Campaign.objects.create(**{**defaults, **fields})
    for variant, price in items:
        CampaignItem.objects.create(
            campaign=campaign,
            variant=variant,
            campaign_price=Decimal(price) if price is not None else None,
        )
    return campaign
