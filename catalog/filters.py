"""Query filters of the public product list (API.md "products/ filters").

Unknown ``ordering`` values and malformed numbers answer 400 ``invalid``: the
filter set's errors become a DRF ``ValidationError`` in django-filter's backend.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from storefront.text import clean_line

from .constants import CertificationKind
from .models import Certification
from .search.query import product_search
from .translation import order_by_localized


class _StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or 1/0); anything else is an error, not "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True", "1", True):
            return True
        if value in ("false", "False", "0", False):
            return False
        raise forms.ValidationError("Must be true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class _TextField(forms.CharField):
    """Free text from a query string: control characters (NUL included) are dropped
    rather than refused, as a search box would."""

    def to_python(self, value):
        return clean_line(super().to_python(value))


class TextFilter(django_filters.CharFilter):
    field_class = _TextField


class _NonEmptyChoiceField(django_filters.fields.ChoiceField):
    """An enum parameter given empty (``?certification=``) is an error, not "no filter"."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError("Give one of the values, or leave it out.", code="invalid")
        return super().clean(value)


class StrictChoiceFilter(django_filters.ChoiceFilter):
    field_class = _NonEmptyChoiceField


# Prices a filter may name: the schema states these bounds, and the form enforces them.
PRICE_BOUNDS = {"min_value": 0, "max_value": 1_000_000}


# API.md: ``ordering`` is one of exactly these. The id breaks ties, so equal prices
# never swap places between pages.
ORDERINGS = {
    "price": ("price_from", "-id"),
    "-price": ("-price_from", "-id"),
    "-created": ("-created", "-id"),
    "title": ("title", "-id"),
}


class ProductFilter(django_filters.FilterSet):
    search = TextFilter(
        method="filter_search",
        max_length=100,
        help_text="Chinese words, pinyin (`mianfen`) or its initials (`mf`), or other words "
        "(typos of long ones tolerated); ranked by relevance unless `ordering` is given.",
    )
    category = TextFilter(
        method="filter_category", help_text="Category slug (its sub-categories included)."
    )
    cooperative = TextFilter(field_name="cooperative__slug")
    county = TextFilter(field_name="cooperative__county__slug")
    certification = StrictChoiceFilter(
        method="filter_certification",
        choices=CertificationKind.choices,
        help_text="Held by the product or by its whole cooperative.",
    )
    min_price = django_filters.NumberFilter(
        field_name="price_from", lookup_expr="gte", **PRICE_BOUNDS
    )
    max_price = django_filters.NumberFilter(
        field_name="price_from", lookup_expr="lte", **PRICE_BOUNDS
    )
    in_stock = StrictBooleanFilter(field_name="in_stock")
    ordering = StrictChoiceFilter(
        method="filter_ordering",
        choices=[
            ("price", "Price, lowest first"),
            ("-price", "Price, highest first"),
            ("-created", "Newest first"),
            ("title", "Title"),
        ],
        help_text="One order; anything else (or a list) is refused.",
    )

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "title":  # the title the buyer reads (catalog/translation.py)
            return queryset.order_by(order_by_localized("title"), "-id")
        return queryset.order_by(*ORDERINGS[value])

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Ranked by relevance; an explicit ``ordering`` (filtered after this) replaces it.
        return product_search(queryset, value)

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(category__slug=value) | Q(category__parent__slug=value))

    def filter_certification(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        held = Certification.objects.filter(kind=value).filter(
            Q(product=OuterRef("pk")) | Q(product__isnull=True, cooperative=OuterRef("cooperative"))
        )
        return queryset.filter(Exists(held))
