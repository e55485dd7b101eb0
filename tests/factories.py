"""Small factories: plain functions that create valid rows with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from accounts.models import User
from catalog.constants import MembershipRole, ProductStatus
from catalog.models import Batch, Category, Cooperative, County, Product, Variant
from catalog.selectors import variants_off_ledger
from catalog.services import membership_grant
from catalog.stock import stock_record_opening

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
    return Category.objects.create(**{"name": f"Cat {i}", "slug": f"cat-{i}", **fields})


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
    product = Product.objects.create(
        cooperative=cooperative or make_cooperative(),
        category=category or make_category(),
        title=fields.pop("title", f"Flour {i}"),
        slug=fields.pop("slug", f"flour-{i}"),
        status=status,
        **fields,
    )
    for v in range(variants):
        make_variant(product=product, price=price, stock=stock, name=f"{5 * (v + 1)} kg")
    return product


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
