"""Vouchers and campaigns in the admin, scoped per cooperative: a manager sees and
creates only vouchers their cooperative funds and their own campaigns; platform staff
see all and create platform-funded vouchers and platform campaigns. Uses and
attributions are written by checkout only (read-only here)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext

from catalog.admin import label_languages
from catalog.admin_scoping import (
    CooperativeScopedAdmin,
    CooperativeScopedInline,
    is_platform,
    scope_queryset,
)
from catalog.images import clean_photo
from catalog.translation import column, columns
from storefront.admin_helpers import ReadOnlyAdminMixin
from storefront.errors import ApplicationError

from .models import Campaign, CampaignItem, OrderAttribution, Voucher, VoucherUse
from .services.vouchers import voucher_terms_check


class VoucherAdminForm(forms.ModelForm):
    platform = True  # set per request by the admin

    class Meta:
        model = Voucher
        fields = (
            "code",
            "kind",
            "value",
            "min_spend",
            "valid_from",
            "valid_until",
            "total_limit",
            "per_buyer_limit",
            "scope",
            "county",
            "cooperative",
            "category",
            "products",
            "funded_by",
            "is_active",
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            voucher_terms_check(
                kind=data.get("kind"),
                value=data.get("value"),
                valid_from=data.get("valid_from"),
                valid_until=data.get("valid_until"),
                scope=data.get("scope"),
                county=data.get("county"),
                cooperative=data.get("cooperative"),
                category=data.get("category"),
                has_products=bool(data.get("products")),
                funded_by=data.get("funded_by"),
                platform=self.platform,
            )
        except ApplicationError as exc:
            for field, problems in (exc.details or {}).items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, gettext(problem))
        return data


@admin.register(Voucher)
class VoucherAdmin(CooperativeScopedAdmin):
    form = VoucherAdminForm
    cooperative_path = "funded_by"
    scoped_foreign_keys = {"funded_by": "self", "cooperative": "self"}
    list_display = (
        "code",
        "kind",
        "value",
        "min_spend",
        "scope",
        "funded_by",
        "used",
        "total_limit",
        "valid_until",
        "is_active",
    )
    list_filter = ("kind", "scope", "is_active")
    search_fields = ("code",)
    readonly_fields = ("used",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.platform = is_platform(request.user)
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "products" and formfield is not None and not is_platform(request.user):
            formfield.queryset = scope_queryset(formfield.queryset, request, "cooperative")
        return formfield


class CampaignItemInline(CooperativeScopedInline, admin.TabularInline):
    model = CampaignItem
    cooperative_path = "campaign__cooperative"
    scoped_foreign_keys = {"variant": "product__cooperative"}
    manager_can_delete = True
    extra = 1
    fields = ("variant", "campaign_price")


class CampaignAdminForm(forms.ModelForm):
    platform = True

    class Meta:
        model = Campaign
        # Each language's column on its own (marketing/translation.py), Chinese first.
        fields = (
            "code",
            *columns("title"),
            *columns("description"),
            "starts",
            "ends",
            "banner",
            "cooperative",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[column("title")].required = True  # the others may wait for a translator

    def clean_banner(self):
        banner = self.cleaned_data.get("banner")
        if not banner or not hasattr(banner, "content_type"):
            return banner  # unchanged or cleared
        try:
            clean = clean_photo(banner)
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc
        return SimpleUploadedFile(f"banner.{clean.extension}", clean.content)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", gettext("The end must come after the start."))
        if not self.platform and data.get("cooperative") is None:
            self.add_error("cooperative", gettext("Choose your cooperative."))
        return data


@admin.register(Campaign)
class CampaignAdmin(CooperativeScopedAdmin):
    form = CampaignAdminForm
    cooperative_path = "cooperative"
    scoped_foreign_keys = {"cooperative": "self"}
    inlines = [CampaignItemInline]
    list_display = ("title", "code", "cooperative", "starts", "ends")
    # Every language's title (a bare "title" would search the admin's language only).
    search_fields = ("code", *columns("title"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.platform = is_platform(request.user)
        label_languages(form, Campaign, ("title", "description"))
        return form


@admin.register(VoucherUse)
class VoucherUseAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "voucher__funded_by"
    list_display = ("voucher", "order", "buyer", "amount", "created", "released_at")
    list_select_related = ("voucher", "order", "buyer")
    search_fields = ("voucher__code", "order__number")


@admin.register(OrderAttribution)
class OrderAttributionAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    cooperative_path = "last_campaign__cooperative"
    list_display = ("order", "first_campaign", "last_campaign", "created")
    list_select_related = ("order", "first_campaign", "last_campaign")
    list_filter = ("last_campaign",)
