"""Buyer forms. They only parse and label: every rule is in ``orders.validation``/``services``.

The address form is built from ``orders.validation.ADDRESS_FIELDS`` (lengths,
which fields are required), so the page can never drift from what the API checks;
the phone and postcode patterns are applied once, by ``order_place``.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.constants import MAX_LINE_QUANTITY
from orders.validation import ADDRESS_FIELDS, REGION_NAME_FIELDS
from regions.forms import RegionSelectMixin
from storefront.ids import MAX_ID

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


class AddressForm(RegionSelectMixin, forms.Form):
    """The recipient, a province → city → district choice from the official regions
    (``regions.forms``: works without JavaScript), the street and the postcode."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    voucher = forms.CharField(
        label=_("Voucher code"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    save_address = forms.BooleanField(
        label=_("Save this address in my address book"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        for name, rule in ADDRESS_FIELDS.items():
            if name in REGION_NAME_FIELDS or name == "region_code":
                continue  # the region selects below give these
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
        self.add_region_fields(initial_code=self.initial.get("region_code") or "")

    def clean(self):
        cleaned = super().clean()
        # The API still takes names without a code (older apps); this page always has
        # the official list at hand, so it asks for the district.
        if not self.region_refresh_requested and not cleaned.get("region_code"):
            self.add_error("region_code", _("Choose your province, city and district."))
        return cleaned

    def address(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in ADDRESS_FIELDS}

    def typed(self) -> dict[str, str]:
        """What the buyer typed, to fill the form again later (kept in the session when
        an over-stock cart sends them back)."""
        keep = [n for n in ADDRESS_FIELDS if n not in REGION_NAME_FIELDS]
        return {n: str(self.data.get(n, ""))[:200] for n in keep}


class AddressBookForm(AddressForm):
    """An address for the address book: the checkout's fields without the order's key."""

    idempotency_key = None
    save_address = None
    make_default = forms.BooleanField(label=_("Use as my default address"), required=False)


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


class WeighForm(forms.Form):
    """The packing scale's reading per line sold by weight, in whole grams (a line
    already weighed shows its record instead of a field). Parses only: the rule is
    ``lifecycle.services.line_weigh``."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"grams_{line.pk}"] = forms.IntegerField(
                label=line.title,
                required=False,
                min_value=1,
                max_value=1_000_000,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                help_text=_("grams, as the scale shows them"),
            )

    def rows(self):
        return [(line, self[f"grams_{line.pk}"]) for line in self.lines]

    def weights(self):
        return [
            (line, self.cleaned_data[f"grams_{line.pk}"])
            for line in self.lines
            if self.cleaned_data.get(f"grams_{line.pk}") is not None
        ]


class RefundUnitsForm(forms.Form):
    """Units of one line to give back; ``already`` is how many were refunded when the
    page was shown, so the same form sent twice refunds once."""

    line = forms.TypedChoiceField(label=_("Line"), coerce=int)
    units = forms.IntegerField(label=_("Units to refund"), min_value=1, max_value=MAX_LINE_QUANTITY)
    already = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_pk = {line.pk: line for line in lines}
        self.fields["line"].choices = [(line.pk, line.title) for line in lines]

    def clean_line(self):
        return self.by_pk[self.cleaned_data["line"]]


class PickupCheckoutForm(forms.Form):
    """Collect at a village station instead of home delivery: the station (its slug,
    from the list on the page), who collects (name and a mobile phone the pickup code is
    texted to) and an optional voucher. The service checks the station and the phone."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    pickup_station = forms.CharField(
        label=_("Station"), max_length=60, error_messages={"required": _("Choose a station.")}
    )
    name = forms.CharField(
        label=_("Who collects it"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone (the pickup code is texted to it)"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    voucher = forms.CharField(
        label=_("Voucher code"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
