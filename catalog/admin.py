"""Catalogue admin, scoped by cooperative (see ``catalog.admin_scoping``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from catalog.admin_scoping import (
    CooperativeScopedAdmin,
    CooperativeScopedInline,
    is_platform,
    scope_queryset,
)
from storefront.errors import ApplicationError

from . import services
from .images import clean_photo
from .models import (
    Batch,
    Category,
    Cooperative,
    County,
    Membership,
    Product,
    ProductImage,
    Variant,
)
from .models import Certification as CertificationModel
from .qr import trace_qr_svg, trace_url


class PlatformOnlyAdmin(admin.ModelAdmin):
    """Reference data that only platform staff edit."""

    def has_module_permission(self, request):
        return is_platform(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform(request.user)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


@admin.register(County)
class CountyAdmin(PlatformOnlyAdmin):
    list_display = ("name", "province", "prefecture", "poverty_relief")
    list_filter = ("province", "poverty_relief")
    search_fields = ("name", "province")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Category)
class CategoryAdmin(PlatformOnlyAdmin):
    list_display = ("name", "slug", "parent", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Cooperative)
class CooperativeAdmin(CooperativeScopedAdmin):
    cooperative_path = "self"
    manager_can_add = False
    list_display = ("name", "county", "is_active", "contact_phone")
    list_filter = ("is_active", "county__province")
    search_fields = ("name", "county__name")

    def get_readonly_fields(self, request, obj=None):
        # A manager edits the brand page and shipping rule, not identity or activation.
        return () if is_platform(request.user) else ("name", "slug", "county", "is_active")

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ("name",)} if is_platform(request.user) else {}


class MembershipForm(forms.ModelForm):
    username = forms.CharField(
        label=_("username"),
        max_length=150,
        help_text=_("The member's Farmgate username (they sign up first)."),
    )

    class Meta:
        model = Membership
        fields = ("cooperative", "role", "registered_poor_household")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["username"].initial = self.instance.user.username
            self.fields["username"].disabled = True

    def clean_username(self):
        if self.instance.pk:
            return self.instance.user.username
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user has this username."), code="unknown_user")
        self.instance.user = user
        return username


@admin.register(Membership)
class MembershipAdmin(CooperativeScopedAdmin):
    form = MembershipForm
    manager_can_delete = True
    list_display = ("user", "cooperative", "role", "registered_poor_household", "created")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "cooperative")
    scoped_foreign_keys = {"cooperative": "self"}

    def save_model(self, request, obj, form, change):
        # Through the service, so a new manager also gets (scoped) admin access.
        services.membership_grant(
            user=obj.user,
            cooperative=obj.cooperative,
            role=obj.role,
            registered_poor_household=obj.registered_poor_household,
        )


class VariantInline(CooperativeScopedInline, admin.TabularInline):
    model = Variant
    cooperative_path = "product__cooperative"
    manager_can_delete = True
    extra = 0
    fields = ("name", "sku", "price", "weight_grams", "stock", "is_active", "position")


class ProductImageForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ("image", "alt", "position")

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if upload and not self.instance.pk:
            try:
                clean_photo(upload)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
            upload.seek(0)
        return upload


class ProductImageInline(CooperativeScopedInline, admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    cooperative_path = "product__cooperative"
    manager_can_delete = True
    extra = 0
    fields = ("preview", "image", "alt", "position")
    readonly_fields = ("preview",)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if obj.pk and obj.thumbnail:
            return format_html('<img src="{}" width="80" alt="">', obj.thumbnail.url)
        return "—"


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the farmer will read"), widget=forms.Textarea, max_length=2000
    )


@admin.register(Product)
class ProductAdmin(CooperativeScopedAdmin):
    list_display = ("title", "cooperative", "category", "status", "farmer", "created")
    list_filter = ("status", "category", "cooperative__county")
    search_fields = ("title", "description", "variants__sku")
    list_select_related = ("cooperative", "category", "farmer")
    readonly_fields = ("status", "rejection_reason", "reviewed_by", "reviewed_at", "created")
    inlines = [VariantInline, ProductImageInline]
    actions = ["approve", "reject", "archive"]
    scoped_foreign_keys = {"cooperative": "self", "farmer": "memberships__cooperative"}
    fields = (
        "cooperative",
        "title",
        "slug",
        "category",
        "grade",
        "origin",
        "description",
        "farmer",
        "status",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "created",
    )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        coops = scope_queryset(Cooperative.objects.all(), request, "self")
        if coops.count() == 1:
            initial.setdefault("cooperative", coops.first().pk)
        return initial

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProductImage:
            return super().save_formset(request, form, formset, change)
        # New photos go through the upload service (checks, EXIF removal, thumbnail task).
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.product_image_delete(image=obj)
        for obj in instances:
            if obj.pk:
                obj.save()
        for subform in formset.forms:
            if (
                subform.instance.pk is None
                and subform.cleaned_data.get("image")
                and not subform.cleaned_data.get("DELETE")
            ):
                services.product_image_add(
                    product=form.instance,
                    upload=subform.cleaned_data["image"],
                    alt=subform.cleaned_data.get("alt", ""),
                    position=subform.cleaned_data.get("position"),
                )
        formset.save_m2m()

    def _run(self, request, queryset, fn, done_message, **kwargs):
        done = 0
        for product in queryset:
            try:
                fn(product=product, **kwargs)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{product}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Approve selected listings"))
    def approve(self, request, queryset):
        self._run(
            request,
            queryset,
            services.product_approve,
            _("%(n)d listing(s) approved."),
            by=request.user,
        )

    @admin.action(description=_("Reject selected listings (asks for a reason)"))
    def reject(self, request, queryset):
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                self._run(
                    request,
                    queryset,
                    services.product_reject,
                    _("%(n)d listing(s) rejected."),
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
                return None
        else:
            form = RejectForm()
        return render(
            request,
            "admin/catalog/product/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject listings"),
                "form": form,
                "products": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Archive selected listings"))
    def archive(self, request, queryset):
        self._run(request, queryset, services.product_archive, _("%(n)d listing(s) archived."))


@admin.register(Variant)
class VariantAdmin(CooperativeScopedAdmin):
    cooperative_path = "product__cooperative"
    list_display = ("sku", "product", "name", "price", "stock", "is_active")
    list_editable = ("stock",)
    list_filter = ("is_active", "product__cooperative")
    search_fields = ("sku", "product__title")
    list_select_related = ("product",)
    scoped_foreign_keys = {"product": "cooperative"}


@admin.register(CertificationModel)
class CertificationAdmin(CooperativeScopedAdmin):
    manager_can_delete = True
    list_display = ("kind", "number", "issuer", "valid_until", "cooperative", "product")
    list_filter = ("kind",)
    search_fields = ("number", "issuer")
    list_select_related = ("cooperative", "product")
    scoped_foreign_keys = {"cooperative": "self", "product": "cooperative"}


@admin.register(Batch)
class BatchAdmin(CooperativeScopedAdmin):
    cooperative_path = "product__cooperative"
    list_display = ("code", "product", "harvested_on", "milled_on", "protein_pct", "moisture_pct")
    search_fields = ("code", "product__title")
    list_select_related = ("product",)
    readonly_fields = ("qr_code",)
    scoped_foreign_keys = {"product": "cooperative"}

    @admin.display(description=_("QR code"))
    def qr_code(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<div style="width:160px">{}</div><div>{}</div>', _svg(obj.code), trace_url(obj.code)
        )


def _svg(code):
    return mark_safe(trace_qr_svg(code))  # noqa: S308 - generated by segno from our own URL
