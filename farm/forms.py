"""Farmer-portal forms: they parse and label input; the rules live in ``catalog.services``."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog import selectors as catalog_selectors
from catalog.models import Category, Cooperative, Product
from catalog.stock import STOCK_MAX
from catalog.stock_forms import StockChangeFields
from catalog.translation import PRODUCT_TRANSLATION_ARGS
from storefront.ids import MAX_COUNT

_WEIGHT = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(kg|公斤|千克|g|克)?$", re.I)


class WeightField(forms.Field):
    """A shipping weight typed in grams ("5200") or kilograms ("5.2 kg", "5,2kg"),
    cleaned to whole grams."""

    def __init__(self, **kwargs):
        attrs = {"inputmode": "decimal", "maxlength": 20, "autocomplete": "off"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = str(value or "").strip()[:40]
        if not text:
            return None
        match = _WEIGHT.match(text.replace("\u00a0", " "))
        if not match:
            raise forms.ValidationError(_("Type a weight such as “5.2 kg” or “5200” (grams)."))
        number = Decimal(match.group(1).replace(",", "."))
        unit = (match.group(2) or "g").lower()
        grams = int((number * (1 if unit in ("g", "克") else 1000)).to_integral_value())
        if grams < 1:
            raise forms.ValidationError(_("The weight must be more than 0 g."))
        if grams > MAX_COUNT:
            raise forms.ValidationError(_("The weight is too high."))
        return grams


class ProductForm(forms.Form):
    cooperative = forms.ModelChoiceField(
        label=_("Cooperative"), queryset=Cooperative.objects.none(), empty_label=None
    )
    title = forms.CharField(
        label=_("Product name"),
        max_length=150,
        help_text=_("In Chinese: every buyer sees it when their language has no translation."),
        widget=forms.TextInput(attrs={"lang": "zh-Hans"}),
    )
    title_ug = forms.CharField(
        label=_("Product name in Uyghur"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"lang": "ug", "dir": "rtl"}),
    )
    title_en = forms.CharField(
        label=_("Product name in English"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"lang": "en", "dir": "ltr"}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), empty_label=_("Choose…")
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "zh-Hans"}),
        help_text=_("How it is grown or milled, how it tastes, how to keep it."),
    )
    description_ug = forms.CharField(
        label=_("Description in Uyghur"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "ug", "dir": "rtl"}),
    )
    description_en = forms.CharField(
        label=_("Description in English"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "lang": "en", "dir": "ltr"}),
        help_text=_("Translations are optional: an empty one shows the Chinese text."),
    )
    grade = forms.CharField(label=_("Grade"), required=False, max_length=60)
    origin = forms.CharField(
        label=_("Origin"),
        required=False,
        max_length=150,
        help_text=_("Village or fields, e.g. “Tost village, irrigated fields”."),
    )

    def __init__(self, *args, cooperatives, product: Product | None = None, **kwargs):
        if product is not None:
            kwargs.setdefault(
                "initial",
                {
                    "cooperative": product.cooperative_id,
                    # Each language's own column, never the reading that follows the
                    # farmer's language (catalog/translation.py).
                    "title": product.title_zh_hans,
                    "description": product.description_zh_hans,
                    **{name: getattr(product, name) or "" for name in PRODUCT_TRANSLATION_ARGS},
                    "category": product.category_id,
                    "grade": product.grade,
                    "origin": product.origin,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["cooperative"].queryset = cooperatives
        if product is not None or len(cooperatives) == 1:
            # A product never moves cooperative; a one-cooperative member needs no choice.
            self.fields["cooperative"].widget = forms.HiddenInput()
            self.fields["cooperative"].required = False
            if product is not None:
                self.fields["cooperative"].disabled = True


class VariantForm(forms.Form):
    """A new size of a listing, with its opening stock (recorded as goods received)."""

    name = forms.CharField(label=_("Size or pack"), max_length=80, help_text=_("e.g. “5 kg bag”"))
    price = forms.DecimalField(
        label=_("Price (yuan)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    weight_grams = WeightField(
        label=_("Shipping weight"),
        help_text=_("With the bag, in g or kg: “5.2 kg” or “5200”."),
    )
    stock = forms.IntegerField(
        label=_("Stock"),
        min_value=0,
        max_value=STOCK_MAX,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class VariantEditForm(StockChangeFields):
    """An existing size: its texts and price, and its stock as a change relative to the
    figure the page showed (never a figure on its own)."""

    name = VariantForm.base_fields["name"]
    price = VariantForm.base_fields["price"]
    weight_grams = VariantForm.base_fields["weight_grams"]

    field_order = ("name", "price", "stock", "stock_delta", "stock_note", "weight_grams")


class NewProductForm(ProductForm):
    """A new listing with its first variant, so it can be submitted straight away."""

    variant_name = VariantForm.base_fields["name"]
    variant_price = VariantForm.base_fields["price"]
    variant_weight_grams = VariantForm.base_fields["weight_grams"]
    variant_stock = VariantForm.base_fields["stock"]
    same_name_ok = forms.BooleanField(
        label=_("Yes, create another product with this name"), required=False
    )

    ask_same_name = False

    def clean(self):
        data = super().clean()
        cooperative = data.get("cooperative") or next(
            iter(self.fields["cooperative"].queryset), None
        )
        title = data.get("title") or ""
        if (
            cooperative is not None
            and title
            and not data.get("same_name_ok")
            and catalog_selectors.products_named(cooperative_id=cooperative.pk, title=title)
        ):
            self.ask_same_name = True
            self.add_error(
                "title",
                _(
                    "You already have a product named “%(title)s”. Change the name "
                    "(e.g. add the size or the year), or tick the box below to create "
                    "another one."
                )
                % {"title": title},
            )
        return data


class StockForm(StockChangeFields):
    """One row of the stock page: the count (with the figure shown) or a change."""


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the farmer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _percent(label, decimal_places: int = 1) -> forms.DecimalField:
    """An optional lab figure in percent (0 to 100)."""
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=4,
        decimal_places=decimal_places,
        min_value=0,
        max_value=100,
    )


class BatchForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none())
    code = forms.CharField(
        label=_("Batch code"), max_length=40, help_text=_("Printed on the bag, e.g. JMN-2026-09-A")
    )
    harvested_on = forms.DateField(
        label=_("Harvested on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    milled_on = forms.DateField(
        label=_("Milled on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    quantity_kg = forms.DecimalField(
        label=_("Quantity (kg)"), required=False, max_digits=10, decimal_places=1, min_value=0
    )
    protein_pct = _percent(_("Protein %"))
    moisture_pct = _percent(_("Moisture %"))
    ash_pct = _percent(_("Ash %"), decimal_places=2)
    gluten_pct = _percent(_("Wet gluten %"))
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        field.queryset = products
        titles = [p.title.casefold() for p in products]
        # Two listings of one name are told apart by their number (and status).
        field.label_from_instance = lambda p: (
            f"{p.title} · №{p.pk} · {p.get_status_display()}"
            if titles.count(p.title.casefold()) > 1
            else p.title
        )
