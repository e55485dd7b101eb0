"""Households, produce payments and dividends in the admin, scoped by cooperative.

Every save calls ``members.services``; payments and dividends are append-only (a mistake
is corrected by another entry), so they can be added and read but not changed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from catalog.admin_scoping import CooperativeScopedAdmin
from storefront.errors import ApplicationError

from . import services
from .constants import PaymentKind
from .models import Dividend, Household, HouseholdPayment


def _form_errors(form: forms.ModelForm, exc: ApplicationError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    placed = False
    for field, problems in details.items():
        if field in form.fields:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(field, str(problem))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class ServiceForm(forms.ModelForm):
    """A form whose ``clean`` runs the service (in the admin's transaction), so a refusal
    is shown on the form instead of a 500; ``save_model`` then only hands back the row."""

    service_result = None

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    @property
    def actor(self):
        return self.request.user if self.request else None

    def run_service(self, data: dict):  # pragma: no cover - overridden
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.service_result = self.run_service(data)
        except ApplicationError as exc:
            _form_errors(self, exc)
            raise ValidationError(exc.message, code=exc.code) from exc
        return data


class _ServiceFormAdmin:
    """An admin whose ``ServiceForm`` writes the row (given the request, for the actor);
    once saved, ``saved_readonly`` are shown read-only."""

    saved_readonly: tuple[str, ...] = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class WithRequest(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.saved_readonly

    def save_model(self, request, obj, form, change):
        obj.pk = form.service_result.pk


class _AppendOnly(_ServiceFormAdmin):
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class HouseholdForm(ServiceForm):
    class Meta:
        model = Household
        fields = ("cooperative", *services.HOUSEHOLD_FIELDS)

    def run_service(self, data):
        fields = {name: data.get(name) for name in services.HOUSEHOLD_FIELDS if name in data}
        if self.instance.pk:
            return services.household_update(household=self.instance, **fields)
        return services.household_register(cooperative=data["cooperative"], **fields)


@admin.register(Household)
class HouseholdAdmin(_ServiceFormAdmin, CooperativeScopedAdmin):
    form = HouseholdForm
    list_display = ("name", "village", "cooperative", "registered_poor", "share_units", "is_active")
    list_filter = ("registered_poor", "is_active")
    search_fields = ("name", "village")
    list_select_related = ("cooperative",)
    scoped_foreign_keys = {"cooperative": "self"}
    raw_id_fields = ("user",)
    saved_readonly = ("cooperative",)


class ProducePaymentForm(ServiceForm):
    class Meta:
        model = HouseholdPayment
        fields = ("household", "paid_on", "amount", "quantity_kg", "note")

    def run_service(self, data):
        return services.produce_payment_record(
            household=data["household"],
            paid_on=data["paid_on"],
            amount=data["amount"],
            quantity_kg=data.get("quantity_kg"),
            note=data.get("note") or "",
            actor=self.actor,
        )


@admin.register(HouseholdPayment)
class HouseholdPaymentAdmin(_AppendOnly, CooperativeScopedAdmin):
    form = ProducePaymentForm
    list_display = ("paid_on", "household", "cooperative", "kind", "amount", "quantity_kg")
    list_filter = ("kind", "household__registered_poor")
    search_fields = ("household__name", "note")
    list_select_related = ("household", "cooperative")
    date_hierarchy = "paid_on"
    scoped_foreign_keys = {"household": "cooperative"}

    saved_readonly = ("household", "kind", "paid_on", "amount", "quantity_kg", "dividend", "note")

    def get_changeform_initial_data(self, request):
        return {"kind": PaymentKind.PRODUCE}


class DividendForm(ServiceForm):
    class Meta:
        model = Dividend
        fields = ("cooperative", "paid_on", "amount", "rule", "period_start", "period_end", "note")

    def run_service(self, data):
        return services.dividend_distribute(
            cooperative=data["cooperative"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            rule=data["rule"],
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            note=data.get("note") or "",
            actor=self.actor,
        )


@admin.register(Dividend)
class DividendAdmin(_AppendOnly, CooperativeScopedAdmin):
    form = DividendForm
    list_display = ("paid_on", "cooperative", "amount", "rule", "note")
    list_filter = ("rule",)
    list_select_related = ("cooperative",)
    date_hierarchy = "paid_on"
    scoped_foreign_keys = {"cooperative": "self"}

    saved_readonly = DividendForm.Meta.fields
