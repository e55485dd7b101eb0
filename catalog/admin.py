"""Catalogue admin, scoped by cooperative (see ``catalog.admin_scoping``).

The admin is an entry point like the portal and the API: every save, delete and action
calls a ``catalog.services`` function (``ServiceWrites``), fields a service guards are
read-only (status, slug, SKU, cooperative) and stock is never a field: the variant rows
of a product, the variant page and the variant list's editable column send a change
relative to the figure they showed (``catalog.stock_forms``). Stock movements and the
audit trail are read-only lists, scoped like everything else.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from storefront.admin_helpers import ReadOnlyAdminMixin, admin_bulk_run
from storefront.errors import ApplicationError
from storefront.pages import error_text, form_add_error

from . import selectors, services
from .admin_scoping import (
    CooperativeScopedAdmin,
    CooperativeScopedInline,
    is_platform,
    scope_queryset,
)
from .constants import Pricing, ProductStatus
from .documents import clean_certification_document
from .images import clean_photo
from .models import (
    AuditEvent,
    Batch,
    Category,
    Cooperative,
    County,
    Membership,
    Product,
    ProductImage,
    StockMovement,
    Variant,
)
from .models import Certification as CertificationModel
from .qr import trace_qr_svg, trace_url
from .stock_forms import StockChangeFields, stock_refusal_text
from .translation import PRODUCT_TRANSLATION_ARGS, column, columns


# Texts with a column per language (catalog/translation.py): the admin shows each column
# as its own field, labelled with its language, Uyghur right to left.
def _label_languages(form_class, model, fields) -> None:
    """Label each language's field of ``fields`` "title (ئۇيغۇرچە)", and so on."""
    for field in fields:
        verbose = capfirst(model._meta.get_field(field).verbose_name)
        for code, language_name in settings.LANGUAGES:
            form_field = form_class.base_fields.get(column(field, code))
            if form_field is not None:
                form_field.label = f"{verbose} ({language_name})"
                if code == "ug":
                    form_field.widget.attrs.update({"lang": "ug", "dir": "rtl"})


#: For other apps' admins of translated models (marketing's campaigns).
label_languages = _label_languages


class Refused(Exception):
    """A service refused part of an admin submit: the view's transaction is rolled back
    (nothing of the submit is kept) and the person reads why."""

    def __init__(self, exc: ApplicationError, about: object = None):
        text = stock_refusal_text(exc) or _("Nothing was saved: %(reason)s") % {
            "reason": error_text(exc)
        }
        self.text = f"{about}: {text}" if about else text
        super().__init__(self.text)


class ServiceWrites:
    """Saves and deletes go through the services. A subclass implements
    ``service_save(request, obj, form, change)`` and ``service_delete(request, obj)``.

    A refusal raises ``Refused`` out of Django's own ``transaction.atomic()`` around the
    change form, the list's editable rows and the delete page, so everything that submit
    wrote is rolled back, and the person is sent back with the reason.
    """

    def service_save(self, request, obj, form, change) -> None:
        raise NotImplementedError

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        try:
            self.service_save(request, obj, form, change)
        except ApplicationError as exc:
            raise Refused(exc) from exc

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except ApplicationError as exc:
            raise Refused(exc, obj) from exc

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all or nothing, like a single delete
            for obj in queryset:
                self.delete_model(request, obj)

    def _refused(self, request, refused: Refused, url: str):
        self.message_user(request, refused.text, messages.ERROR)
        return HttpResponseRedirect(url)

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except Refused as refused:
            return self._refused(request, refused, request.get_full_path())

    def changelist_view(self, request, *args, **kwargs):
        try:
            return super().changelist_view(request, *args, **kwargs)
        except Refused as refused:
            return self._refused(request, refused, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refused as refused:
            return self._refused(request, refused, request.path.rsplit("delete/", 1)[0] + "change/")


class ServiceCheckedForm(forms.ModelForm):
    """Asks the service's own check (``service_check(instance)``) once the form has built
    its row, so a rule the service enforces is shown next to its field with what the
    person typed, instead of as a refusal after the save. The save still goes through
    the service, which checks again."""

    service_check = None

    def _post_clean(self):
        super()._post_clean()
        check = type(self).service_check
        if check is None:
            return
        try:
            check(self.instance)
        except ApplicationError as exc:
            if not self.errors:
                form_add_error(self, exc)
                return
            # Add what the form did not see itself, next to fields it found no fault with.
            details = exc.details if isinstance(exc.details, dict) else {}
            for field, problems in details.items():
                if field in self.fields and field not in self.errors:
                    for problem in problems:
                        self.add_error(field, problem)


def _copy_saved(saved, obj) -> None:
    """Make the admin's object the row a service created (Django logs and redirects
    with it, and inline rows hang on it)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False


def _changed(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.changed_data}


class PlatformOnlyAdmin(ServiceWrites, admin.ModelAdmin):
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

    def service_save(self, request, obj, form, change):
        services.county_save(county=obj)

    def service_delete(self, request, obj):
        services.county_delete(county=obj)


@admin.register(Category)
class CategoryAdmin(PlatformOnlyAdmin):
    list_display = ("name", "slug", "parent", "position")
    search_fields = columns("name")
    fields = (*columns("name"), "slug", "parent", "position")
    # A readable slug from the English name (a Chinese one gives none).
    prepopulated_fields = {"slug": (column("name", "en"),)}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        _label_languages(form, Category, ("name",))
        return form

    def service_save(self, request, obj, form, change):
        services.category_save(category=obj)

    def service_delete(self, request, obj):
        services.category_delete(category=obj)


def _checked_photo(upload):
    """A new upload (or one replacing the stored file) checked like every photo, so the
    form shows why it is refused; the service re-encodes it when saving."""
    if isinstance(upload, UploadedFile):
        try:
            clean_photo(upload)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        upload.seek(0)
    return upload


class LogoForm(forms.ModelForm):
    def clean_logo(self):
        return _checked_photo(self.cleaned_data.get("logo"))


@admin.register(Cooperative)
class CooperativeAdmin(ServiceWrites, CooperativeScopedAdmin):
    form = LogoForm
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

    def service_save(self, request, obj, form, change):
        logo = form.cleaned_data.get("logo")
        upload = logo if "logo" in form.changed_data and isinstance(logo, UploadedFile) else None
        if upload is not None:  # the service stores it re-encoded, not the raw upload
            obj.logo = form.initial.get("logo") or ""
        services.cooperative_save(cooperative=obj, logo_upload=upload)

    def service_delete(self, request, obj):
        services.cooperative_delete(cooperative=obj)


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
class MembershipAdmin(ServiceWrites, CooperativeScopedAdmin):
    form = MembershipForm
    manager_can_delete = True
    list_display = ("user", "cooperative", "role", "registered_poor_household", "created")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "cooperative")
    scoped_foreign_keys = {"cooperative": "self"}

    def get_readonly_fields(self, request, obj=None):
        # Moving a membership to another cooperative is ending one and granting another.
        return ("cooperative",) if obj is not None else ()

    def service_save(self, request, obj, form, change):
        # Through the service: a new manager also gets (scoped) admin access, and the
        # change lands in the audit trail.
        membership = services.membership_grant(
            user=obj.user,
            cooperative=obj.cooperative,
            role=obj.role,
            registered_poor_household=obj.registered_poor_household,
            actor=request.user,
        )
        _copy_saved(membership, obj)

    def service_delete(self, request, obj):
        services.membership_revoke(membership=obj, actor=request.user)


# --- variants -------------------------------------------------------------
WEIGHT_FIELDS = ("pricing", "price_per_kg", "estimated_weight_grams", "weight_buffer_bp")


class VariantAdminForm(StockChangeFields, ServiceCheckedForm):
    """A variant's fields, with its stock as a change relative to what the page showed."""

    service_check = staticmethod(services.variant_check)

    def clean_pricing(self):
        return self.cleaned_data.get("pricing") or Pricing.UNIT

    def clean_weight_buffer_bp(self):
        return self.cleaned_data.get("weight_buffer_bp") or 0

    class Meta:
        model = Variant
        fields = (
            "product",
            "name",
            "sku",
            "price",
            "weight_grams",
            "is_active",
            "position",
            *WEIGHT_FIELDS,
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per unit unless said otherwise (a form without these columns still works).
        for name in ("pricing", "weight_buffer_bp"):
            if name in self.fields:
                self.fields[name].required = False
        if "price" in self.fields and "pricing" in self.fields:
            # Sold by weight, the price is the estimate plus the buffer (the service sets it).
            self.fields["price"].required = False
            self.fields["price"].help_text = _(
                "Sold by weight: left as it is, it becomes the estimate × price per kg "
                "plus the buffer."
            )
        if "sku" in self.fields:
            self.fields["sku"].required = False
            self.fields["sku"].help_text = _("Left empty, one is made.")
            if self.instance.pk:  # order lines and labels carry it
                self.fields["sku"].disabled = True


# A variant's row on the product page and its own page: stock as a count with the figure
# shown (``stock``), and a change (``stock_delta``); then how it is priced (per unit, or
# per kg with an estimated weight and a buffer).
VARIANT_FORM_FIELDS = (
    "name",
    "sku",
    "price",
    "weight_grams",
    "stock",
    "stock_delta",
    *WEIGHT_FIELDS,
)


class VariantListForm(StockChangeFields, ServiceCheckedForm):
    """The variant list's editable columns: price, and stock as "set to N if still M"."""

    service_check = staticmethod(services.variant_check)

    class Meta:
        model = Variant
        fields = ("price",)


def _variant_save(request, variant: Variant | None, product: Product, form) -> Variant:
    if variant is None or variant.pk is None:
        data = form.cleaned_data
        return services.variant_create(
            product=product,
            name=data["name"],
            price=data["price"],
            weight_grams=data["weight_grams"],
            stock=form.opening_stock(),
            sku=data.get("sku") or "",
            is_active=data.get("is_active", True),
            position=data.get("position") or 0,
            actor=request.user,
            **{name: data[name] for name in WEIGHT_FIELDS if name in data},
        )
    return services.variant_update(
        variant=variant,
        actor=request.user,
        stock_change=form.stock_change(),
        **_changed(form, services.VARIANT_FIELDS),
    )


class VariantInline(CooperativeScopedInline, admin.TabularInline):
    model = Variant
    form = VariantAdminForm
    cooperative_path = "product__cooperative"
    # Variants are never deleted (orders and stock movements name them): stop selling one.
    can_delete = False
    extra = 0
    fields = (*VARIANT_FORM_FIELDS, "is_active", "position")


class ProductImageForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ("image", "alt", "position")

    def clean_image(self):
        return _checked_photo(self.cleaned_data.get("image"))


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


_SERVICE_ARG = {column("title"): "title", column("description"): "description"}


class ProductAdminForm(ServiceCheckedForm):
    service_check = staticmethod(services.product_check)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the farmer will read"), widget=forms.Textarea, max_length=2000
    )


@admin.register(Product)
class ProductAdmin(ServiceWrites, CooperativeScopedAdmin):
    form = ProductAdminForm
    list_display = ("title", "cooperative", "category", "status", "farmer", "created")
    list_filter = ("status", "category", "cooperative__county")
    # Every language's texts (a bare "title" would search the admin's language only).
    search_fields = (*columns("title"), *columns("description"), "variants__sku")
    list_select_related = ("cooperative", "category", "farmer")
    inlines = [VariantInline, ProductImageInline]
    actions = ["approve", "reject", "archive"]
    scoped_foreign_keys = {"cooperative": "self", "farmer": "memberships__cooperative"}
    # Each language's column on its own (catalog/translation.py): Chinese, Uyghur, English.
    fields = (
        "cooperative",
        *columns("title"),
        "slug",
        "category",
        "grade",
        "origin",
        *columns("description"),
        "farmer",
        "status",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "created",
    )

    def get_readonly_fields(self, request, obj=None):
        # The slug is made from the title; status moves only by the actions; a product
        # never moves cooperative.
        guarded = ("slug", "status", "rejection_reason", "reviewed_by", "reviewed_at", "created")
        return ("cooperative", *guarded) if obj is not None else guarded

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        coops = scope_queryset(Cooperative.objects.all(), request, "self")
        if coops.count() == 1:
            initial.setdefault("cooperative", coops.first().pk)
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        _label_languages(form, Product, ("title", "description"))
        return form

    def service_save(self, request, obj, form, change):
        # The form's columns → the service's arguments (``title`` is the Chinese one).
        data = {_SERVICE_ARG.get(k, k): v for k, v in form.cleaned_data.items()}
        if change:
            changed = {_SERVICE_ARG.get(name, name) for name in form.changed_data}
            services.product_update(
                product=obj,
                **{k: data[k] for k in services.EDITABLE_PRODUCT_FIELDS if k in changed},
            )
            return
        product = services.product_create(
            cooperative=data["cooperative"],
            title=data["title"],
            category=data["category"],
            description=data.get("description") or "",
            grade=data.get("grade", ""),
            origin=data.get("origin", ""),
            farmer=data.get("farmer"),
            **{name: data.get(name) or "" for name in PRODUCT_TRANSLATION_ARGS},
        )
        _copy_saved(product, obj)

    def service_delete(self, request, obj):
        services.product_delete(product=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        # What Django's change message reads (``formset.save()`` would set them).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        save = self._save_variant if formset.model is Variant else self._save_image
        for subform in formset.forms:
            try:
                save(request, form.instance, formset, subform)
            except ApplicationError as exc:
                raise Refused(exc, subform.instance if subform.instance.pk else None) from exc

    def _save_variant(self, request, product, formset, subform):
        if not subform.has_changed():
            return
        variant = _variant_save(request, subform.instance, product, subform)
        if subform.instance.pk is None:
            formset.new_objects.append(variant)
        else:
            formset.changed_objects.append((variant, subform.changed_data))

    def _save_image(self, request, product, formset, subform):
        image, data = subform.instance, getattr(subform, "cleaned_data", {})
        if image.pk and data.get("DELETE"):
            services.product_image_delete(image=image)
            formset.deleted_objects.append(image)
        elif not subform.has_changed():
            return
        elif image.pk is None:
            # New photos go through the upload service (checks, EXIF removal, thumbnail task).
            added = services.product_image_add(
                product=product,
                upload=data["image"],
                alt=data.get("alt", ""),
                position=data.get("position"),
            )
            formset.new_objects.append(added)
        else:
            # A replaced photo is checked, re-encoded and thumbnailed like a new one.
            if "image" in subform.changed_data and isinstance(data.get("image"), UploadedFile):
                image = services.product_image_replace(image=image, upload=data["image"])
            if {"alt", "position"} & set(subform.changed_data):
                image = services.product_image_update(
                    image=image, alt=data.get("alt"), position=data.get("position")
                )
            formset.changed_objects.append((image, subform.changed_data))

    def _run(self, request, queryset, fn, done_message, **kwargs):
        admin_bulk_run(
            self,
            request,
            queryset,
            lambda product: fn(product=product, **kwargs),
            done_message,
            error=error_text,
        )

    # ------------------------------------------------------- the page's review
    change_form_template = "admin/catalog/product/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<id:pk>/review/", wrap(self.review_view), name="catalog_product_review"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "reject_form": RejectForm()}
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request, pk: int):
        """POST from the product page: approve, or reject with the reason the farmer reads."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        product = self.get_queryset(request).filter(pk=pk).first()
        if product is None or not self.has_change_permission(request, product):
            raise Http404
        back = HttpResponseRedirect(reverse("admin:catalog_product_change", args=[product.pk]))
        if request.POST.get("decision") == "approve":
            self._run(
                request,
                [product],
                services.product_approve,
                _("%(n)d listing(s) approved."),
                by=request.user,
            )
            return back
        form = RejectForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, _("Say why the listing is rejected: the farmer reads it."), messages.ERROR
            )
            return back
        self._run(
            request,
            [product],
            services.product_reject,
            _("%(n)d listing(s) rejected."),
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        return back

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
        self._run(
            request,
            queryset,
            services.product_archive,
            _("%(n)d listing(s) archived."),
            actor=request.user,
        )


class LowStockFilter(admin.SimpleListFilter):
    """ "Running low": the sizes on sale the admin home counts as low stock."""

    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", _("Running low"))]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(
                is_active=True,
                stock__lt=selectors.LOW_STOCK,
                product__status__in=[ProductStatus.ACTIVE, ProductStatus.PENDING_REVIEW],
            ).order_by("stock", "id")
        return queryset


@admin.register(Variant)
class VariantAdmin(ServiceWrites, CooperativeScopedAdmin):
    form = VariantAdminForm
    cooperative_path = "product__cooperative"
    list_display = ("sku", "product", "name", "price", "stock", "is_active")
    # Both go through the service; stock as "set to N if it is still M" (StockSetField).
    list_editable = ("price", "stock")
    list_filter = (LowStockFilter, "is_active", "product__cooperative")
    search_fields = ("sku", "product__title")
    list_select_related = ("product",)
    scoped_foreign_keys = {"product": "cooperative"}
    fields = ("product", *VARIANT_FORM_FIELDS, "stock_note", "is_active", "position")

    def get_readonly_fields(self, request, obj=None):
        return ("product",) if obj is not None else ()

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", VariantListForm)
        return super().get_changelist_form(request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # orders and stock movements name it: stop selling it instead

    def service_save(self, request, obj, form, change):
        if change:
            saved = _variant_save(request, obj, obj.product, form)
        else:
            saved = _variant_save(request, None, form.cleaned_data["product"], form)
        _copy_saved(saved, obj)


class CertificationForm(ServiceCheckedForm):
    service_check = staticmethod(services.certification_check)

    def clean_document(self):
        # The service checks the file again when it saves; here the refusal is shown
        # next to the field with the rest of the form.
        document = self.cleaned_data.get("document")
        if isinstance(document, UploadedFile):  # a new upload, not the stored file
            return clean_certification_document(document)
        return document


@admin.register(CertificationModel)
class CertificationAdmin(ServiceWrites, CooperativeScopedAdmin):
    form = CertificationForm
    manager_can_delete = True
    list_display = ("kind", "number", "issuer", "valid_until", "cooperative", "product")
    list_filter = ("kind",)
    search_fields = ("number", "issuer")
    list_select_related = ("cooperative", "product")
    scoped_foreign_keys = {"cooperative": "self", "product": "cooperative"}

    def get_readonly_fields(self, request, obj=None):
        return ("cooperative",) if obj is not None else ()

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        document = data.get("document")
        if "document" not in form.changed_data:
            document = None
        elif document is False or not document:
            document = False
        if change:
            fields = _changed(form, ("kind", "number", "issuer", "valid_until", "product"))
            saved = services.certification_update(certification=obj, document=document, **fields)
        else:
            saved = services.certification_create(
                cooperative=data["cooperative"],
                kind=data["kind"],
                number=data["number"],
                issuer=data["issuer"],
                valid_until=data.get("valid_until"),
                product=data.get("product"),
                document=document or None,
            )
        _copy_saved(saved, obj)

    def service_delete(self, request, obj):
        services.certification_delete(certification=obj)


class BatchForm(ServiceCheckedForm):
    service_check = staticmethod(services.batch_check)


@admin.register(Batch)
class BatchAdmin(ServiceWrites, CooperativeScopedAdmin):
    form = BatchForm
    cooperative_path = "product__cooperative"
    list_display = ("code", "product", "harvested_on", "milled_on", "protein_pct", "moisture_pct")
    search_fields = ("code", "product__title")
    list_select_related = ("product",)
    readonly_fields = ("qr_code",)
    scoped_foreign_keys = {"product": "cooperative"}

    def service_save(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in services.BATCH_FIELDS}
        if change:
            saved = services.batch_update(batch=obj, **_changed(form, services.BATCH_FIELDS))
        else:
            saved = services.batch_record(**{**fields, "notes": fields.get("notes") or ""})
        _copy_saved(saved, obj)

    def service_delete(self, request, obj):
        services.batch_delete(batch=obj)

    @admin.display(description=_("QR code"))
    def qr_code(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<div style="width:160px">{}</div><div>{}</div>',
            trace_qr_svg(obj.code),
            trace_url(obj.code),
        )


# --- read-only records ------------------------------------------------------
class ReadOnlyScopedAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    """A record nobody edits: managers and platform staff may only look (scoped)."""


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyScopedAdmin):
    cooperative_path = "variant__product__cooperative"
    list_display = ("created", "variant", "delta", "reason", "balance", "actor", "order_id", "note")
    list_filter = ("reason",)
    search_fields = ("variant__sku", "variant__product__title", "note")
    list_select_related = ("variant__product", "actor")
    date_hierarchy = "created"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    list_display = ("created", "actor", "action", "target_label", "what_changed", "note")
    list_filter = ("action",)
    search_fields = ("target_label", "actor__username", "note")
    list_select_related = ("actor", "cooperative")

    def get_list_display(self, request):
        # Platform staff read every cooperative's trail: say whose each line is.
        shown = super().get_list_display(request)
        return (*shown, "cooperative") if is_platform(request.user) else shown

    date_hierarchy = "created"
    fields = (
        "created",
        "cooperative",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "what_changed",
        "note",
    )
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def what_changed(self, obj):
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} → {}",
            (
                (name, "—" if before is None else before, "—" if after is None else after)
                for name, (before, after) in (obj.changes or {}).items()
            ),
        )
