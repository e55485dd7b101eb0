"""Wholesale in the admin, scoped per cooperative: business buyers (approve), buyer
groups, price lists with their tiers, credit accounts, tax rates, quotes (answer),
purchase orders, invoices (PDF), payments and credit notes (recorded through the
services), contracts with their deliveries (read-only: deliveries are placed by
the sweep). A manager sees and edits only their cooperatives' rows."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import CooperativeScopedAdmin, CooperativeScopedInline, scope_queryset
from storefront.errors import ApplicationError

from . import services
from .models import (
    BuyerGroup,
    Contract,
    ContractDelivery,
    CreditAccount,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    Organisation,
    OrgMember,
    PriceList,
    PriceTier,
    QuoteRequest,
    TaxRate,
    WholesaleOrder,
)


class OrgMemberInline(admin.TabularInline):
    model = OrgMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(CooperativeScopedAdmin):
    list_display = ("name", "credit_code", "cooperative", "status", "created")
    list_filter = ("status",)
    search_fields = ("name", "credit_code", "tax_number")
    readonly_fields = ("status", "approved_by", "approved_at")
    scoped_foreign_keys = {"cooperative": "self"}
    inlines = [OrgMemberInline]
    actions = ["approve", "reject"]

    def _decide(self, request, queryset, approve: bool):
        for org in queryset:
            try:
                services.organisation_decide(organisation=org, by=request.user, approve=approve)
            except ApplicationError as exc:
                self.message_user(request, f"{org}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{org}: {org.get_status_display()}")

    @admin.action(description=_("Approve selected business buyers"))
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject selected business buyers"))
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(BuyerGroup)
class BuyerGroupAdmin(CooperativeScopedAdmin):
    list_display = ("name", "cooperative")
    scoped_foreign_keys = {"cooperative": "self"}
    filter_horizontal = ("organisations",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "organisations" and field is not None:
            field.queryset = scope_queryset(field.queryset, request, "cooperative")
        return field


class PriceTierInline(CooperativeScopedInline, admin.TabularInline):
    model = PriceTier
    extra = 3
    cooperative_path = "price_list__cooperative"
    scoped_foreign_keys = {"variant": "product__cooperative"}


@admin.register(PriceList)
class PriceListAdmin(CooperativeScopedAdmin):
    list_display = ("name", "cooperative", "organisation", "group", "valid_from", "valid_until")
    list_filter = ("is_active",)
    scoped_foreign_keys = {
        "cooperative": "self",
        "organisation": "cooperative",
        "group": "cooperative",
    }
    inlines = [PriceTierInline]


@admin.register(CreditAccount)
class CreditAccountAdmin(CooperativeScopedAdmin):
    list_display = ("organisation", "cooperative", "limit", "used", "terms_days")
    readonly_fields = ("used",)
    scoped_foreign_keys = {"cooperative": "self", "organisation": "cooperative"}


@admin.register(TaxRate)
class TaxRateAdmin(CooperativeScopedAdmin):
    list_display = ("variant", "rate", "note")
    cooperative_path = "variant__product__cooperative"
    scoped_foreign_keys = {"variant": "product__cooperative"}


class QuoteAnswerForm(forms.ModelForm):
    class Meta:
        model = QuoteRequest
        fields = ("unit_price", "valid_until", "delivery_dates", "spec")

    def clean(self):
        data = super().clean()
        if not data.get("unit_price") or not data.get("valid_until"):
            raise ValidationError(_("A quote needs a price and a validity date."))
        try:
            services.clean_spec(data.get("spec") or {})
        except ApplicationError as exc:
            raise ValidationError(str(exc.details or exc.message)) from exc
        return data


@admin.register(QuoteRequest)
class QuoteRequestAdmin(CooperativeScopedAdmin):
    form = QuoteAnswerForm
    list_display = ("__str__", "organisation", "variant", "quantity", "status", "unit_price")
    list_filter = ("status",)
    readonly_fields = ("organisation", "variant", "quantity", "schedule", "status")
    manager_can_add = False

    def has_add_permission(self, request, *args):
        return False

    def save_model(self, request, obj, form, change):
        services.quote_answer(
            quote=obj,
            by=request.user,
            unit_price=form.cleaned_data["unit_price"],
            valid_until=form.cleaned_data["valid_until"],
            delivery_dates=form.cleaned_data.get("delivery_dates") or [],
            spec=form.cleaned_data.get("spec") or {},
        )


class ContractDeliveryInline(CooperativeScopedInline, admin.TabularInline):
    model = ContractDelivery
    cooperative_path = "contract__cooperative"
    manager_can_add = False
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "seq",
        "due_on",
        "quantity",
        "status",
        "reason",
        "attempts",
        "order",
        "batch",
        "placed_at",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contract)
class ContractAdmin(CooperativeScopedAdmin):
    """Read-only: a contract is made by the buyer's acceptance, its deliveries placed
    by the sweep (``lifecycle.services.contracts``)."""

    list_display = ("__str__", "organisation", "variant", "quantity", "unit_price", "status")
    list_filter = ("status",)
    search_fields = ("organisation__name",)
    readonly_fields = [f.name for f in Contract._meta.fields]
    inlines = [ContractDeliveryInline]
    manager_can_add = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation", "variant__product")

    def has_add_permission(self, request, *args):
        return False


@admin.register(WholesaleOrder)
class WholesaleOrderAdmin(CooperativeScopedAdmin):
    list_display = ("po_number", "order", "organisation", "on_credit", "credit_amount", "created")
    list_filter = ("on_credit",)
    search_fields = ("po_number", "order__number")
    readonly_fields = [f.name for f in WholesaleOrder._meta.fields]

    def has_add_permission(self, request, *args):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = ("description", "sku", "quantity", "unit_price", "net", "tax_rate", "tax")

    def has_add_permission(self, request, obj=None):
        return False


class InvoicePaymentInline(admin.TabularInline):
    model = InvoicePayment
    extra = 0
    can_delete = False
    readonly_fields = ("amount", "method", "reference", "recorded_by", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(CooperativeScopedAdmin):
    list_display = ("number", "kind", "organisation", "total", "settled", "due_on", "issued_at")
    list_filter = ("kind", "due_on")
    search_fields = ("number", "organisation__name")
    readonly_fields = [f.name for f in Invoice._meta.fields]
    inlines = [InvoiceLineInline, InvoicePaymentInline]
    change_form_template = None

    def has_add_permission(self, request, *args):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="wholesale_invoice_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        from .pdf import render_invoice

        invoice = get_object_or_404(self.get_queryset(request), pk=pk)
        response = HttpResponse(render_invoice(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response


class PaymentForm(forms.ModelForm):
    class Meta:
        model = InvoicePayment
        fields = ("invoice", "amount", "method", "reference")

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = services.invoice_payment_record(
                invoice=data["invoice"],
                amount=data["amount"],
                reference=data["reference"],
                method=data["method"],
                by=self.request.user if self.request else None,
            )
        except ApplicationError as exc:
            raise ValidationError(f"{exc.message} {exc.details or ''}".strip()) from exc
        return data


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(CooperativeScopedAdmin):
    """Record a bank transfer (with its reference) against an invoice."""

    form = PaymentForm
    cooperative_path = "invoice__cooperative"
    scoped_foreign_keys = {"invoice": "cooperative"}
    list_display = ("invoice", "amount", "method", "reference", "at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class WithRequest(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """The service saved it in ``clean`` (in the admin's transaction)."""


class CreditNoteForm(forms.ModelForm):
    class Meta:
        model = CreditNote
        fields = ("credits", "total", "reason")
        labels = {"credits": _("invoice"), "total": _("amount (tax included)")}

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("credits") is None:
            raise ValidationError(_("Choose the invoice to credit."))
        try:
            self.instance = services.credit_note_issue(
                invoice=data["credits"],
                amount=data["total"],
                reason=data.get("reason") or "",
                by=self.request.user if self.request else None,
            )
        except ApplicationError as exc:
            raise ValidationError(f"{exc.message} {exc.details or ''}".strip()) from exc
        return data


@admin.register(CreditNote)
class CreditNoteAdmin(InvoicePaymentAdmin):
    form = CreditNoteForm
    cooperative_path = "cooperative"
    scoped_foreign_keys = {"credits": "cooperative"}
    list_display = ("number", "credits", "total", "reason", "issued_at")
    inlines = [InvoiceLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind="credit_note")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "credits" and field is not None:
            field.queryset = field.queryset.filter(kind="invoice")
        return field
