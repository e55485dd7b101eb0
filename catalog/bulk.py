"""Many new listings at once (a product import): the same rules as
``catalog.services.product_create`` and ``variant_create``, in a few statements instead
of a dozen per row.

New products are drafts; new variants' opening stock is goods received, recorded as a
movement per variant through ``catalog.stock`` like every other stock change.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from storefront.errors import InvalidInput
from storefront.text import clean_line, clean_multiline

from .cache import catalog_changed
from .constants import ProductStatus
from .models import Category, Cooperative, Product, Variant
from .services._common import slug_base
from .services.variants import variant_check
from .stock import stock_record_opening
from .translation import PRODUCT_TRANSLATION_ARGS, column


@dataclass(frozen=True)
class NewProduct:
    title: str
    category: Category
    description: str = ""


@dataclass(frozen=True)
class NewVariant:
    product: Product
    name: str
    price: Decimal
    weight_grams: int
    stock: int
    sku: str


def _unique_slugs(titles: Sequence[str]) -> list[str]:
    bases = [slug_base(t) or "item" for t in titles]
    taken = set(Product.objects.filter(slug__in=set(bases)).values_list("slug", flat=True))
    slugs: list[str] = []
    for base in bases:
        slug = base
        while slug in taken:
            slug = f"{base}-{secrets.token_hex(3)}"
        taken.add(slug)
        slugs.append(slug)
    # A random suffix may (rarely) exist already: redraw those.
    clash = set(Product.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    return [f"{s}-{secrets.token_hex(4)}" if s in clash else s for s in slugs]


def _chinese_texts(title: str, description: str) -> dict[str, str]:
    return {
        "title": title,
        "description": description,
        column("title"): title,
        column("description"): description,
        **dict.fromkeys(PRODUCT_TRANSLATION_ARGS, ""),
    }


def products_create_drafts(
    *, cooperative: Cooperative, products: Sequence[NewProduct]
) -> list[Product]:
    """Draft products of ``cooperative``, in one INSERT. Precondition: inside the
    caller's transaction (an import is all or nothing)."""
    if not connection.in_atomic_block:
        raise RuntimeError("products_create_drafts belongs inside the caller's transaction")
    rows = []
    for spec in products:
        title = clean_line(spec.title, max_length=150)
        if not title:
            raise InvalidInput(details={"title": [_("A title is required.")]})
        rows.append((title, spec))
    objects = [
        Product(
            cooperative=cooperative,
            # The Chinese texts, in their own columns whatever language is active
            # (catalog/translation.py); the translations start empty.
            **_chinese_texts(title, clean_multiline(spec.description, max_length=5000)),
            category=spec.category,
            slug=slug,
            status=ProductStatus.DRAFT,
        )
        for (title, spec), slug in zip(rows, _unique_slugs([t for t, _s in rows]), strict=True)
    ]
    created = Product.objects.bulk_create(objects, batch_size=1000)
    # Drafts are not in the shop: their search entries are written when approved.
    catalog_changed()
    return created


@transaction.atomic
def variants_create_many(
    *, variants: Sequence[NewVariant], actor=None, note: str = "opening stock"
) -> list[Variant]:
    """New variants in one INSERT; their opening stock as receipt movements."""
    objects = []
    for spec in variants:
        variant = Variant(
            product=spec.product,
            name=clean_line(spec.name, max_length=80),
            price=spec.price,
            weight_grams=spec.weight_grams,
            stock=spec.stock,
            sku=spec.sku.strip().upper(),
        )
        if not variant.name or not variant.sku:
            raise InvalidInput(details={"name": [_("A name and a SKU are required.")]})
        variant_check(variant)
        objects.append(variant)
    created = Variant.objects.bulk_create(objects, batch_size=1000)
    stock_record_opening(variants=created, actor=actor, note=note)
    catalog_changed()
    return created
