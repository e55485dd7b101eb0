"""Buyer forms. They only parse and label: every rule is in ``orders.validation``/``services``.

The address form is built from ``orders.validation.ADDRESS_FIELDS`` (lengths,
which fields are required), so the page can never drift from what the API checks;
the phone and postcode patterns are applied once, by ``order_place``.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from storefront.ids import MAX_ID

from .constants import MAX_LINE_QUANTITY
from .validation import ADDRESS_FIELDS

ADDRESS_LABELS = {
    "name": _("Recipient's name"),
    "phone": _("Mobile phone"),
    "province": _("Province"),
    "city": _("City"),
    "district": _("District or county"),
    "address": _("Street address"),
    "postcode": _("Postcode (optional)"),
}
ADDRESS_AUTOCOMPLETE = {
    "name": "name",
    "phone": "tel",
    "province": "address-level1",
    "city": "address-level2",
    "district": "address-level3",
    "address": "street-address",
    "postcode": "postal-code",
}


class AddressForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        for name, rule in ADDRESS_FIELDS.items():
            attrs = {"autocomplete": ADDRESS_AUTOCOMPLETE.get(name, "on")}
            if name == "phone":
                attrs.update(type="tel", inputmode="tel")
            if name == "postcode":
                attrs.update(inputmode="numeric")
            self.fields[name] = forms.CharField(
                label=ADDRESS_LABELS.get(name, name),
                # Required-ness and length come from the service's table; the service
                # gives the error messages (so they are the API's, word for word).
                required=False,
                max_length=None,
                strip=False,
                widget=forms.TextInput(attrs=attrs | ({"required": True} if rule.required else {})),
            )

    def address(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ADDRESS_FIELDS}


def _quantity_field() -> forms.IntegerField:
    # Only parsed here; ``orders.validation.clean_quantity`` says what is allowed.
    return forms.IntegerField(
        label=_("Quantity"),
        widget=forms.NumberInput(
            attrs={"min": 1, "max": MAX_LINE_QUANTITY, "inputmode": "numeric"}
        ),
    )


class AddToCartForm(forms.Form):
    variant = forms.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = _quantity_field()


class QuantityForm(forms.Form):
    quantity = _quantity_field()
