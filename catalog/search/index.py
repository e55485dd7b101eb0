"""Writing the search index. Called by the product services in their transaction, and by
``manage.py search_rebuild`` (all products, or ``--missing`` ones) after a deployment or
a change of cooperative, county or category names."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value

from ..models import Product, ProductSearch
from ..translation import all_languages
from .analysis import normalize, tokens

WEIGHTS = ("A", "B", "C", "D")


def _titles(product: Product) -> list[str]:
    return all_languages(product, "title")


def _parts(product: Product) -> tuple[str, str, str, str]:
    """Title (A); category, cooperative, county and province (B); grade and origin (C);
    description (D). Title, description and category name in every language they have:
    Chinese (segmented, with pinyin), Uyghur and English words alike."""
    coop = product.cooperative
    county = coop.county
    return (
        "\n".join(_titles(product)),
        " ".join(
            [*all_languages(product.category, "name"), coop.name, county.name, county.province]
        ),
        " ".join([product.grade, product.origin]),
        "\n".join(all_languages(product, "description")),
    )


def _entry(product: Product) -> dict:
    parts = _parts(product)
    part_tokens = [tokens(part) for part in parts]
    everything: dict[str, None] = {}
    for group in part_tokens:
        everything.update(dict.fromkeys(group))
    fields = {
        "terms": " " + " ".join(everything) + " ",
        "title_terms": " " + " ".join(part_tokens[0]) + " ",
        # One line per language: an exact phrase is found in any of them.
        "title_text": "\n".join(normalize(title) for title in _titles(product)),
        "text": "\n".join(normalize(part) for part in parts),
        "document": None,
    }
    if connection.vendor == "postgresql":
        vector = None
        for group, weight in zip(part_tokens, WEIGHTS, strict=True):
            part = SearchVector(Value(" ".join(group)), config="simple", weight=weight)
            vector = part if vector is None else vector + part
        fields["document"] = vector
    return fields


def product_search_update(*, product_ids: Iterable[int]) -> int:
    """(Re)write the index rows of these products. Returns how many were written."""
    products = Product.objects.select_related("cooperative__county", "category").filter(
        pk__in=list(product_ids)
    )
    written = 0
    for product in products.order_by("pk"):
        ProductSearch.objects.update_or_create(product=product, defaults=_entry(product))
        written += 1
    return written


def product_search_rebuild(*, missing_only: bool = False, batch_size: int = 200) -> int:
    """Index every product (or only those without a row). Returns how many were written."""
    ids = Product.objects.order_by("pk").values_list("pk", flat=True)
    if missing_only:
        ids = ids.filter(search__isnull=True)
    ids = list(ids)
    written = 0
    for start in range(0, len(ids), batch_size):
        written += product_search_update(product_ids=ids[start : start + batch_size])
    return written
