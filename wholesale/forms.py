from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Cooperative


class ApplyForm(forms.Form):
    cooperative = forms.ModelChoiceField(
        label=_("Cooperative"), queryset=Cooperative.objects.filter(is_active=True)
    )
    name = forms.CharField(label=_("Organisation name"), max_length=150)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters, as on the business licence."),
    )
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=150)
    tax_number = forms.CharField(label=_("Tax number"), max_length=20)
    address = forms.CharField(label=_("Registered address"), max_length=255)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)


class QuoteForm(forms.Form):
    variant = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity (bags)"), min_value=1, max_value=1_000_000)
    schedule = forms.CharField(
        label=_("Delivery schedule"),
        max_length=255,
        required=False,
        help_text=_("e.g. 100 bags on the 5th of every month"),
    )


class PurchaseOrderForm(forms.Form):
    variant = forms.TypedChoiceField(label=_("Product"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity (bags)"), min_value=1, max_value=100_000)
    po_number = forms.CharField(label=_("Your PO number"), max_length=40, required=False)
    on_credit = forms.BooleanField(label=_("On credit (pay against the invoice)"), required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = choices
