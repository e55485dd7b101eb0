"""The farmer portal ``/farm/``: phone-sized pages for cooperative members.

A member sees and edits only the products of their own cooperatives (anything
else answers 404); a manager may also approve or reject listings here. Every
write is a ``catalog.services`` call; these views only parse, authorise and render.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Sum
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.constants import ProductStatus
from catalog.exceptions import ImageRejected
from catalog.models import Batch, Cooperative, Product, ProductImage, Variant
from orders.constants import OrderStatus
from orders.models import OrderLine
from storefront.errors import ApplicationError
from storefront.pages import form_add_error, message_error

from .forms import BatchForm, NewProductForm, ProductForm, RejectForm, StockForm, VariantForm

LOW_STOCK = 5
SOLD_STATUSES = [
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
]


def member_required(view):
    """Signed in and a member of at least one active cooperative; else log in / 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not catalog_selectors.user_cooperative_ids(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _coop_ids(request) -> set[int]:
    return catalog_selectors.user_cooperative_ids(request.user)


def _managed_ids(request) -> set[int]:
    return catalog_selectors.user_managed_cooperative_ids(request.user)


def _my_products(request):
    return Product.objects.filter(cooperative_id__in=_coop_ids(request))


def _my_product(request, pk: int) -> Product:
    # Another cooperative's product answers 404: its existence is not the member's business.
    return get_object_or_404(_my_products(request).select_related("cooperative", "category"), pk=pk)


def _is_xhr(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


# --- dashboard ------------------------------------------------------------
@member_required
def dashboard(request):
    ids = _coop_ids(request)
    now = timezone.localtime()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sales = OrderLine.objects.filter(
        cooperative_id__in=ids,
        order__status__in=SOLD_STATUSES,
        order__paid_at__gte=month_start,
    ).aggregate(total=Sum("line_total"), units=Sum("quantity"))
    low_stock = (
        Variant.objects.filter(
            product__cooperative_id__in=ids,
            is_active=True,
            stock__lt=LOW_STOCK,
            product__status__in=[ProductStatus.ACTIVE, ProductStatus.PENDING_REVIEW],
        )
        .select_related("product")
        .order_by("stock", "id")[:20]
    )
    counts = {
        row["status"]: row["n"]
        for row in _my_products(request).values("status").annotate(n=Count("id")).order_by()
    }
    return render(
        request,
        "farm/dashboard.html",
        {
            "shipments": _shipments_to_pack(request.user),
            "low_stock": low_stock,
            "sales_total": sales["total"] or 0,
            "sales_units": sales["units"] or 0,
            "status_counts": counts,
            "pending_review": counts.get(ProductStatus.PENDING_REVIEW, 0),
            "is_manager": bool(_managed_ids(request)),
            "nav": "dashboard",
        },
    )


def _shipments_to_pack(user):
    """The fulfilment app's parcels to pack (its rule says who packs: the managers)."""
    from fulfilment.selectors import shipments_to_pack_for_user

    return list(shipments_to_pack_for_user(user).prefetch_related("lines__order_line")[:20])


# --- products -------------------------------------------------------------
@member_required
def product_list(request):
    products = (
        _my_products(request)
        .exclude(status=ProductStatus.ARCHIVED)
        .select_related("cooperative")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("variants", queryset=Variant.objects.order_by("position", "price", "id")),
        )
        .order_by("-updated", "-id")
    )
    return render(request, "farm/product_list.html", {"products": products, "nav": "products"})


@member_required
def product_create(request):
    cooperatives = Cooperative.objects.filter(pk__in=_coop_ids(request)).order_by("name")
    form = NewProductForm(
        request.POST or None,
        cooperatives=cooperatives,
        initial={"cooperative": cooperatives[0].pk if cooperatives else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cooperative = data["cooperative"] or cooperatives[0]
        try:
            with transaction.atomic():
                product = catalog_services.product_create(
                    cooperative=cooperative,
                    title=data["title"],
                    category=data["category"],
                    description=data["description"],
                    grade=data["grade"],
                    origin=data["origin"],
                    farmer=request.user,
                )
                catalog_services.variant_create(
                    product=product,
                    name=data["variant_name"],
                    price=data["variant_price"],
                    weight_grams=data["variant_weight_grams"],
                    stock=data["variant_stock"],
                )
        except ApplicationError as exc:
            # The variant's field names carry a prefix on this form.
            exc.details = {
                (f"variant_{k}" if f"variant_{k}" in form.fields else k): v
                for k, v in (exc.details or {}).items()
            }
            form_add_error(form, exc)
        else:
            messages.success(request, _("Saved. Now add photos, then send it for review."))
            return redirect("farm:product_edit", pk=product.pk)
    return render(request, "farm/product_new.html", {"form": form, "nav": "new"})


@member_required
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int):
    product = _my_product(request, pk)
    cooperatives = Cooperative.objects.filter(pk=product.cooperative_id)
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        cooperatives=cooperatives,
        product=product,
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in catalog_services.EDITABLE_PRODUCT_FIELDS}
        try:
            catalog_services.product_update(product=product, **fields)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("farm:product_edit", pk=product.pk)
    variants = list(product.variants.order_by("position", "price", "id"))
    return render(
        request,
        "farm/product_edit.html",
        {
            "product": product,
            "form": form,
            "variants": variants,
            "variant_forms": [
                (v, VariantForm(initial=_variant_initial(v), prefix=f"v{v.pk}")) for v in variants
            ],
            "new_variant_form": VariantForm(prefix="new"),
            "images": list(product.images.order_by("position", "id")),
            "can_submit": product.status in (ProductStatus.DRAFT, ProductStatus.REJECTED),
            "can_review": product.status == ProductStatus.PENDING_REVIEW
            and product.cooperative_id in _managed_ids(request),
            "reject_form": RejectForm(),
            "nav": "products",
        },
    )


def _variant_initial(variant: Variant) -> dict:
    return {
        "name": variant.name,
        "price": variant.price,
        "weight_grams": variant.weight_grams,
        "stock": variant.stock,
    }


@member_required
@require_POST
def variant_add(request, pk: int):
    product = _my_product(request, pk)
    form = VariantForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            catalog_services.variant_create(product=product, **form.cleaned_data)
        except ApplicationError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Size added."))
    else:
        _flash_form_errors(request, form)
    return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#variants")


@member_required
@require_POST
def variant_edit(request, pk: int, variant_id: int):
    product = _my_product(request, pk)
    variant = get_object_or_404(Variant, pk=variant_id, product=product)
    if "remove" in request.POST:
        fields = {"is_active": False}
    elif "restore" in request.POST:
        fields = {"is_active": True}
    else:
        form = VariantForm(request.POST, prefix=f"v{variant.pk}")
        if not form.is_valid():
            _flash_form_errors(request, form)
            return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#variants")
        fields = form.cleaned_data
    try:
        catalog_services.variant_update(variant=variant, **fields)
    except ApplicationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#variants")


def _flash_form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@member_required
@require_POST
def photo_upload(request, pk: int):
    """Add one or several photos. The page's script sends one per request (for progress)."""
    product = _my_product(request, pk)
    files = request.FILES.getlist("photos")
    if not files:
        message = _("Choose at least one photo.")
        if _is_xhr(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        messages.error(request, message)
        return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#photos")
    added, refused = 0, []
    for upload in files:
        try:
            catalog_services.product_image_add(product=product, upload=upload)
            added += 1
        except ImageRejected as exc:
            refused.append((upload.name, _(exc.message)))
    if _is_xhr(request):
        if refused:
            return JsonResponse({"ok": False, "added": added, "message": refused[0][1]}, status=400)
        return JsonResponse({"ok": True, "added": added})
    if added:
        messages.success(request, _("%(n)d photo(s) added.") % {"n": added})
    for name, message in refused:
        messages.error(
            request, _("%(file)s was refused: %(reason)s") % {"file": name, "reason": message}
        )
    return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#photos")


@member_required
@require_POST
def photo_delete(request, pk: int, image_id: int):
    product = _my_product(request, pk)
    image = get_object_or_404(ProductImage, pk=image_id, product=product)
    catalog_services.product_image_delete(image=image)
    messages.success(request, _("Photo removed."))
    return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#photos")


@member_required
@require_POST
def product_submit(request, pk: int):
    product = _my_product(request, pk)
    try:
        catalog_services.product_submit(product=product)
    except ApplicationError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request, _("Sent for review. A manager of your cooperative will look at it.")
        )
    return redirect("farm:product_edit", pk=product.pk)


# --- stock ----------------------------------------------------------------
@member_required
@require_http_methods(["GET", "POST"])
def stock(request):
    variants = (
        Variant.objects.filter(product__cooperative_id__in=_coop_ids(request), is_active=True)
        .exclude(product__status=ProductStatus.ARCHIVED)
        .select_related("product")
        .order_by("product__title", "position", "id")
    )
    if request.method == "POST":
        variant = get_object_or_404(variants, pk=request.POST.get("variant"))
        form = StockForm(request.POST)
        if form.is_valid():
            try:
                catalog_services.variant_update(variant=variant, stock=form.cleaned_data["stock"])
            except ApplicationError as exc:
                message_error(request, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s: stock is now %(n)d.")
                    % {"name": f"{variant.product.title} — {variant.name}", "n": variant.stock},
                )
        else:
            _flash_form_errors(request, form)
        return redirect(reverse("farm:stock") + f"#variant-{variant.pk}")
    return render(request, "farm/stock.html", {"variants": variants, "nav": "stock"})


# --- batches --------------------------------------------------------------
@member_required
@require_http_methods(["GET", "POST"])
def batches(request):
    products = _my_products(request).exclude(status=ProductStatus.ARCHIVED).order_by("title")
    form = BatchForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        try:
            batch = catalog_services.batch_record(**form.cleaned_data)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Batch %(code)s recorded.") % {"code": batch.code})
            return redirect("farm:batches")
    batch_list = (
        Batch.objects.filter(product__cooperative_id__in=_coop_ids(request))
        .select_related("product")
        .order_by("-harvested_on", "code")[:50]
    )
    return render(
        request, "farm/batches.html", {"form": form, "batches": batch_list, "nav": "batches"}
    )


# --- review (managers) ----------------------------------------------------
@member_required
def review_list(request):
    managed = _managed_ids(request)
    if not managed:
        raise PermissionDenied
    pending = (
        Product.objects.filter(cooperative_id__in=managed, status=ProductStatus.PENDING_REVIEW)
        .select_related("cooperative", "farmer", "category")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("variants", queryset=Variant.objects.filter(is_active=True)),
        )
        .order_by("updated", "id")
    )
    return render(
        request,
        "farm/review_list.html",
        {"products": pending, "reject_form": RejectForm(), "nav": "review"},
    )


def _reviewable(request, pk: int) -> Product:
    product = get_object_or_404(_my_products(request), pk=pk)
    if product.cooperative_id not in _managed_ids(request):
        raise PermissionDenied
    return product


@member_required
@require_POST
def product_approve(request, pk: int):
    product = _reviewable(request, pk)
    try:
        catalog_services.product_approve(product=product, by=request.user)
    except ApplicationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("%(title)s is now on sale.") % {"title": product.title})
    if request.POST.get("back") == "edit":
        return redirect("farm:product_edit", pk=pk)
    return redirect("farm:review")


@member_required
@require_POST
def product_reject(request, pk: int):
    product = _reviewable(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
    else:
        try:
            catalog_services.product_reject(
                product=product, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            message_error(request, exc)
        else:
            messages.success(
                request, _("%(title)s was sent back to the farmer.") % {"title": product.title}
            )
    return redirect("farm:review")
