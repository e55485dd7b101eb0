"""The product search form of the storefront pages.

The filtering rules are ``catalog.filters.ProductFilter`` (the API's, same
parameters); this subclass only gives the fields translated labels and the
selects a person picks from.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from storefront.labels import platform_label

from .constants import CertificationKind
from .filters import ProductFilter
from .models import Category, County
from .translation import order_by_localized

ORDERING_CHOICES = [
    # Empty: ranked by relevance when searching, else the newest first.
    ("", _("Best match")),
    ("-created", _("Newest first")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
    ("title", _("Name")),
]


class ProductSearchFilter(ProductFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["search"].label = _("Search")
        fields["search"].widget = forms.TextInput(attrs=search_box_attrs())
        fields["category"].label = _("Category")
        fields["category"].widget = forms.Select(
            choices=[("", _("All categories"))]
            + [
                (c.slug, platform_label(c.name))
                for c in Category.objects.order_by("position", order_by_localized("name"))
            ]
        )
        fields["county"].label = _("County")
        fields["county"].widget = forms.Select(
            choices=[("", _("All counties"))]
            + [
                (c.slug, platform_label(c.name))
                for c in County.objects.filter(cooperatives__is_active=True)
                .distinct()
                .order_by("province", "name")
            ]
        )
        fields["certification"].label = _("Certification")
        # django-filter prepends its own "---------" unless told not to.
        fields["certification"].empty_label = None
        fields["certification"].choices = [("", _("Any certification")), *CertificationKind.choices]
        fields["ordering"].label = _("Sort by")
        fields["ordering"].empty_label = None
        fields["ordering"].choices = ORDERING_CHOICES
        for name in ("cooperative", "min_price", "max_price", "in_stock"):
            fields[name].widget = forms.HiddenInput()


def search_box_attrs() -> dict:
    """A search box that static/js/search.js enhances with suggestions as one types."""
    return {
        "type": "search",
        "placeholder": _("Flour, tea, walnuts… or mianfen"),
        "data-suggest": reverse("api-search-suggest"),
        "data-product-base": reverse("product_list"),
        # Translators: read out by screen readers when suggestions appear; keep {n}.
        "data-suggest-count": _("{n} suggestions"),
    }
