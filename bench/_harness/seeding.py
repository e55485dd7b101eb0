"""Seeding: a catalogue in a few bulk inserts, stock top-ups as recorded receipts, buyers
with API tokens, and an address to ship to."""

from __future__ import annotations

import dataclasses
import secrets


@dataclasses.dataclass
class Catalog:
    product_ids: list[int]
    slugs: list[str]
    category_slugs: list[str]
    cooperative_slugs: list[str]
    county_slugs: list[str]
    variant_ids: list[int]


def seed_catalog(
    *,
    products: int,
    cooperatives: int,
    variants_per_product: int = 2,
    counties: int | None = None,
    categories: int = 8,
    prefix: str = "",
) -> Catalog:
    """``products`` active listings spread over ``cooperatives``, in a few bulk inserts.

    ``prefix`` keeps slugs unique when called more than once on one database.
    """
    import random
    from datetime import date, timedelta
    from decimal import Decimal

    from catalog.constants import CertificationKind, ProductStatus
    from catalog.models import (
        Batch,
        Category,
        Certification,
        Cooperative,
        County,
        Product,
        ProductImage,
        Variant,
    )
    from catalog.stock import stock_record_opening

    rng = random.Random(8)
    county_rows = County.objects.bulk_create(
        County(
            name=f"County {prefix}{i}",
            slug=f"{prefix}county-{i}",
            province="Xinjiang",
            poverty_relief=True,
        )
        for i in range(counties or max(1, cooperatives // 2))
    )
    coops = Cooperative.objects.bulk_create(
        Cooperative(
            name=f"Cooperative {prefix}{i}",
            slug=f"{prefix}coop-{i}",
            county=county_rows[i % len(county_rows)],
            story="A flour cooperative of the county's farming households.",
        )
        for i in range(cooperatives)
    )
    category_rows = Category.objects.bulk_create(
        Category(
            name=f"Category {prefix}{i}",
            name_zh_hans=f"Category {prefix}{i}",
            slug=f"{prefix}cat-{i}",
            position=i,
        )
        for i in range(categories)
    )
    kinds = list(CertificationKind.values)
    Certification.objects.bulk_create(
        Certification(
            kind=kinds[i % len(kinds)],
            number=f"COOP-CERT-{prefix}{i}",
            issuer="County bureau",
            cooperative=coop,
            valid_until=date(2027, 12, 31),
        )
        for i, coop in enumerate(coops)
    )
    base = date(2026, 1, 1)
    description = "Spring wheat from the county's terraces, stone-milled in small batches. " * 3
    rows = Product.objects.bulk_create(
        Product(
            cooperative=coops[i % len(coops)],
            category=category_rows[i % len(category_rows)],
            # The Chinese columns named, whatever language is active (catalog/translation.py).
            title=f"Stone-milled flour {prefix}{i}",
            title_zh_hans=f"Stone-milled flour {prefix}{i}",
            slug=f"{prefix}flour-{i}",
            description=description,
            description_zh_hans=description,
            grade=("Grade 1", "Grade 2", "Special")[i % 3],
            origin="Jeminay",
            status=ProductStatus.ACTIVE,
        )
        for i in range(products)
    )
    # auto_now_add stamps one instant on all rows: spread them so ordering is real.
    for i, product in enumerate(rows):
        product.created = product.created - timedelta(minutes=i)
    Product.objects.bulk_update(rows, ["created"], batch_size=1000)
    variants = Variant.objects.bulk_create(
        (
            Variant(
                product=product,
                name=f"{5 * (v + 1)} kg",
                sku=f"SKU-{product.pk}-{v}",
                price=Decimal(rng.randrange(1500, 30000)) / 100,
                weight_grams=5100 * (v + 1),
                stock=0 if rng.random() < 0.1 else rng.randrange(1, 500),
                position=v,
            )
            for product in rows
            for v in range(variants_per_product)
        ),
        batch_size=2000,
    )
    # The opening stock as receipt movements, so stock = sum of movements here too.
    stock_record_opening(variants=variants, note="bench seed")
    ProductImage.objects.bulk_create(
        (
            ProductImage(
                product=product,
                token=f"t{product.pk:030d}",
                image=f"products/{product.pk}/t{product.pk:030d}.jpg",
                thumbnail=f"products/{product.pk}/thumbs/t{product.pk:030d}.webp",
                width=1200,
                height=900,
                alt=product.title,
            )
            for product in rows
        ),
        batch_size=2000,
    )
    Certification.objects.bulk_create(
        (
            Certification(
                kind=kinds[i % len(kinds)],
                number=f"PROD-CERT-{product.pk}",
                issuer="Provincial bureau",
                cooperative_id=product.cooperative_id,
                product=product,
            )
            for i, product in enumerate(rows)
            if i % 4 == 0
        ),
        batch_size=2000,
    )
    Batch.objects.bulk_create(
        (
            Batch(
                code=f"B-{product.pk}",
                product=product,
                harvested_on=base,
                milled_on=base + timedelta(days=30),
                protein_pct=Decimal("13.5"),
                moisture_pct=Decimal("13.0"),
            )
            for product in rows
        ),
        batch_size=2000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Catalog(
        product_ids=[p.pk for p in rows],
        slugs=[p.slug for p in rows],
        category_slugs=[c.slug for c in category_rows],
        cooperative_slugs=[c.slug for c in coops],
        county_slugs=[c.slug for c in county_rows],
        variant_ids=[v.pk for v in variants],
    )


ADDRESS = {
    "name": "Aynur",
    "phone": "13800138000",
    "province": "Xinjiang",
    "city": "Altay",
    "district": "Jeminay",
    "address": "12 Wheat Road",
    "postcode": "836800",
}


def restock(variant_ids: list[int], to: int) -> None:
    """Top these variants up to ``to`` units, as recorded receipts (stock moves only
    through ``catalog.stock``, benchmarks included)."""
    from catalog.models import Variant
    from catalog.stock import stock_adjust

    for pk, stock in Variant.objects.filter(pk__in=variant_ids).values_list("pk", "stock"):
        if stock < to:
            stock_adjust(variant_id=pk, delta=to - stock, note="bench restock")


def make_buyers(count: int, *, prefix: str = "buyer") -> list[str]:
    """``count`` users with API tokens, in bulk; returns their token keys in order."""
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    password = make_password(None)  # unusable: these buyers only ever use tokens
    users = User.objects.bulk_create(
        (User(username=f"{prefix}{i}", password=password) for i in range(count)), batch_size=2000
    )
    tokens = Token.objects.bulk_create(
        (Token(key=secrets.token_hex(20), user=user) for user in users), batch_size=2000
    )
    return [t.key for t in tokens]
