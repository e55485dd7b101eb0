"""The farmer portal ``/farm/``: phone-sized pages for cooperative members.

A member sees and edits only the products of their own cooperatives (anything
else answers 404); a manager may also approve or reject listings here. Every
write is a ``catalog.services`` call; these views only parse, authorise and render.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.constants import ProductStatus
from catalog.exceptions import ImageRejected, StockChanged
from catalog.models import Cooperative, ProductImage, Variant
from catalog.stock import stock_change_apply
from catalog.stock_forms import stock_refusal_text
from catalog.translation import PRODUCT_TRANSLATION_ARGS, order_by_localized
from fulfilment.selectors import shipments_to_pack_for_user
from lifecycle import services as lifecycle
from orders import selectors as order_selectors
from storefront.errors import ApplicationError
from storefront.pages import button_action, error_text, form_add_error, message_error

from .forms import (
    BatchForm,
    NewProductForm,
    ProductForm,
    RejectForm,
    StockForm,
    VariantEditForm,
    VariantForm,
)

MOVEMENTS_PER_PAGE = 50


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
    return catalog_selectors.member_products(user=request.user)


def _my_product(request, pk: int):
    # Another cooperative's product answers 404: its existence is not the member's business.
    return get_object_or_404(_my_products(request).select_related("cooperative", "category"), pk=pk)


def _my_variant(request, product, variant_id: int) -> Variant:
    return get_object_or_404(Variant, pk=variant_id, product=product)


def _grams_text(grams: int) -> str:
    if grams >= 1000:
        return f"{(Decimal(grams) / 1000).normalize():f} kg"
    return f"{grams} g"


def _warn_weight(request, variant: Variant, *, extra_tags: str = "") -> None:
    """A warning when the shipping weight cannot be what the size's name says
    (a "5 kg bag" weighed at 5 g): saved, but the person should look again."""
    named = catalog_services.variant_weight_doubt(variant.name, variant.weight_grams)
    if named is not None:
        messages.warning(
            request,
            _(
                "Check the shipping weight of “%(name)s”: it is %(weight)s, but the name says "
                "%(named)s. Type “5 kg” for kilograms."
            )
            % {
                "name": variant.name,
                "weight": _grams_text(variant.weight_grams),
                "named": _grams_text(named),
            },
            extra_tags=extra_tags,
        )


def _is_xhr(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


# --- dashboard ------------------------------------------------------------
@member_required
def dashboard(request):
    ids = _coop_ids(request)
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sales = order_selectors.cooperative_sales_since(cooperative_ids=ids, since=month_start)
    counts = catalog_selectors.product_status_counts(cooperative_ids=ids)
    return render(
        request,
        "farm/dashboard.html",
        {
            # The fulfilment app's parcels to pack (its rule says who packs: the managers).
            "shipments": list(
                shipments_to_pack_for_user(request.user).prefetch_related("lines__order_line")[:20]
            ),
            "low_stock": catalog_selectors.low_stock_variants(cooperative_ids=ids),
            "rejected": list(catalog_selectors.rejected_products(cooperative_ids=ids)[:20]),
            "sales_total": sales["total"],
            "sales_units": sales["units"],
            "status_counts": counts,
            "pending_review": counts.get(ProductStatus.PENDING_REVIEW, 0),
            "is_manager": bool(_managed_ids(request)),
            "nav": "dashboard",
        },
    )


# --- products -------------------------------------------------------------
@member_required
def product_list(request):
    products = catalog_selectors.member_product_list(user=request.user)
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
            product = catalog_services.product_create(
                cooperative=cooperative,
                title=data["title"],
                category=data["category"],
                description=data["description"],
                grade=data["grade"],
                origin=data["origin"],
                **{name: data[name] for name in PRODUCT_TRANSLATION_ARGS},
                farmer=request.user,
                actor=request.user,
                first_variant={
                    "name": data["variant_name"],
                    "price": data["variant_price"],
                    "weight_grams": data["variant_weight_grams"],
                    "stock": data["variant_stock"],
                },
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
            for variant in product.variants.all():
                _warn_weight(request, variant)
            return redirect("farm:product_edit", pk=product.pk)
    return render(request, "farm/product_new.html", {"form": form, "nav": "new"})


@member_required
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int):
    product = _my_product(request, pk)
    form = ProductForm(
        request.POST if request.method == "POST" else None,
        cooperatives=Cooperative.objects.filter(pk=product.cooperative_id),
        product=product,
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in catalog_services.PRODUCT_TEXT_FIELDS}
        try:
            catalog_services.product_update(product=product, **fields)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("farm:product_edit", pk=product.pk)
    return _render_product_edit(request, product, form=form)


def _variant_edit_form(variant: Variant, data=None) -> VariantEditForm:
    """A variant's card: its stock box holds the figure shown, which travels with it."""
    return VariantEditForm(
        data,
        prefix=f"v{variant.pk}",
        variant_pk=variant.pk,
        initial={
            "name": variant.name,
            "price": variant.price,
            "weight_grams": variant.weight_grams,
            "stock": variant.stock,
        },
    )


def _render_product_edit(request, product, *, form=None, bound_variant_form=None, status=200):
    """The product page; ``bound_variant_form`` is a variant card sent back with its errors
    (and the current stock figure) instead of a fresh one."""
    variants = list(product.variants.order_by("position", "price", "id"))
    by_row, page_messages = _messages_by_row(request)
    variant_forms = [
        (
            v,
            bound_variant_form
            if bound_variant_form is not None and bound_variant_form.variant_pk == v.pk
            else _variant_edit_form(v),
            by_row.get(_row_tag(v.pk), []),
        )
        for v in variants
    ]
    if form is None:
        form = ProductForm(
            cooperatives=Cooperative.objects.filter(pk=product.cooperative_id), product=product
        )
    return render(
        request,
        "farm/product_edit.html",
        {
            "product": product,
            "form": form,
            "variants": variants,
            "variant_forms": variant_forms,
            "page_messages": page_messages,
            "new_variant_form": VariantForm(prefix="new"),
            "images": list(product.images.order_by("position", "id")),
            "can_submit": product.status in (ProductStatus.DRAFT, ProductStatus.REJECTED),
            "can_review": product.status == ProductStatus.PENDING_REVIEW
            and product.cooperative_id in _managed_ids(request),
            "reject_form": RejectForm(),
            "can_delete": product.status in catalog_services.DELETABLE_STATUSES,
            "certifications": catalog_selectors.product_certifications(product),
            "nav": "products",
        },
        status=status,
    )


def _variants_url(product, variant_id: int | None = None) -> str:
    anchor = _row_tag(variant_id) if variant_id else "variants"
    return reverse("farm:product_edit", kwargs={"pk": product.pk}) + f"#{anchor}"


@member_required
@require_POST
def variant_add(request, pk: int):
    product = _my_product(request, pk)
    form = VariantForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            added = catalog_services.variant_create(
                product=product, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Size added."), extra_tags=_row_tag(added.pk))
            _warn_weight(request, added, extra_tags=_row_tag(added.pk))
            return redirect(_variants_url(product, added.pk))
    else:
        _flash_form_errors(request, form)
    return redirect(_variants_url(product))


@member_required
@require_POST
def variant_edit(request, pk: int, variant_id: int):
    """Save a variant's card. The stock part is relative to what the card showed, so a
    price change never puts back units checkout sold meanwhile; a stale count is refused
    and the card comes back with the current figure."""
    product = _my_product(request, pk)
    variant = _my_variant(request, product, variant_id)
    if "remove" in request.POST or "restore" in request.POST:
        try:
            catalog_services.variant_update(
                variant=variant, actor=request.user, is_active="restore" in request.POST
            )
        except ApplicationError as exc:
            message_error(request, exc, extra_tags=_row_tag(variant.pk))
        else:
            messages.success(request, _("Saved."), extra_tags=_row_tag(variant.pk))
        return redirect(_variants_url(product, variant.pk))
    form = _variant_edit_form(variant, request.POST)
    if form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ("name", "price", "weight_grams")}
        try:
            saved = catalog_services.variant_update(
                variant=variant, actor=request.user, stock_change=form.stock_change(), **fields
            )
        except ApplicationError as exc:
            _variant_form_refused(form, exc)
        else:
            # In the card just saved (the page opens there), with the figure after the save.
            messages.success(
                request,
                _("Saved. %(name)s: stock is now %(n)d.") % {"name": saved.name, "n": saved.stock},
                extra_tags=_row_tag(saved.pk),
            )
            _warn_weight(request, saved, extra_tags=_row_tag(saved.pk))
            return redirect(_variants_url(product, saved.pk))
    return _render_product_edit(
        request, product, bound_variant_form=form, status=409 if _is_stale(form) else 400
    )


def _variant_form_refused(form, exc: ApplicationError) -> None:
    """Put a service's refusal on the card; a stale stock figure is replaced by the
    current one, so the person sees what is really on the shelf."""
    text = stock_refusal_text(exc)
    if text is None:
        form_add_error(form, exc)
        return
    code = "stock_changed" if isinstance(exc, StockChanged) else exc.code
    form.add_error("stock", forms.ValidationError(text, code=code))
    if isinstance(exc, StockChanged):
        form.show_current(exc.details["stock"])


def _is_stale(form) -> bool:
    return any(e.code == "stock_changed" for e in form.errors.as_data().get("stock", []))


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
def photo_move(request, pk: int, image_id: int):
    """Make a photo the cover (first, on the shop's cards) or move it one place."""
    product = _my_product(request, pk)
    image = get_object_or_404(ProductImage, pk=image_id, product=product)
    try:
        catalog_services.product_image_move(image=image, to=request.POST.get("to", ""))
    except ApplicationError as exc:
        message_error(request, exc)
    else:
        if request.POST.get("to") == "cover":
            messages.success(request, _("This photo is now the cover."))
    return redirect(reverse("farm:product_edit", kwargs={"pk": product.pk}) + "#photos")


@member_required
@require_POST
def product_withdraw(request, pk: int):
    """Take a submission back from review, to change it before a manager looks."""
    product = _my_product(request, pk)
    try:
        catalog_services.product_withdraw(product=product, actor=request.user)
    except ApplicationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Taken back from review. It is a draft again."))
    return redirect("farm:product_edit", pk=product.pk)


@member_required
@require_POST
def product_delete(request, pk: int):
    """Delete a listing that never went on sale (the page asks first); others are
    refused with the reason (they are archived, not deleted)."""
    product = _my_product(request, pk)
    try:
        catalog_services.product_delete(product=product, actor=request.user)
    except ApplicationError as exc:
        message_error(request, exc)
        return redirect("farm:product_edit", pk=product.pk)
    messages.success(request, _("%(title)s was deleted.") % {"title": product.title})
    return redirect("farm:product_list")


@member_required
@require_POST
def product_submit(request, pk: int):
    product = _my_product(request, pk)
    button_action(
        request,
        lambda: catalog_services.product_submit(product=product, actor=request.user),
        _("Sent for review. A manager of your cooperative will look at it."),
    )
    return redirect("farm:product_edit", pk=product.pk)


# --- stock ----------------------------------------------------------------
def _stock_form(variant: Variant, data=None) -> StockForm:
    return StockForm(
        data, prefix=f"v{variant.pk}", variant_pk=variant.pk, initial={"stock": variant.stock}
    )


def _row_tag(variant_id: int) -> str:
    return f"variant-{variant_id}"


def _messages_by_row(request) -> tuple[dict[str, list], list]:
    """The pending messages: those tagged ``variant-<id>`` by row, the others for the top."""
    by_row, page_messages = defaultdict(list), []
    for message in get_messages(request):
        tags = message.extra_tags.split()
        row = next((t for t in tags if t.startswith("variant-")), None)
        (by_row[row] if row else page_messages).append(message)
    return by_row, page_messages


@member_required
@require_http_methods(["GET"])
def stock(request):
    """Every variant on sale with its count. A row's result (saved, or refused with the
    current figure) is shown in that row, where the person is looking."""
    by_row, page_messages = _messages_by_row(request)
    rows = [
        (v, _stock_form(v), by_row.get(_row_tag(v.pk), []))
        for v in catalog_selectors.member_stock_list(user=request.user)
    ]
    return render(
        request,
        "farm/stock.html",
        {"rows": rows, "page_messages": page_messages, "nav": "stock"},
    )


@member_required
@require_POST
def stock_save(request, variant_id: int):
    """One row of the stock page: a change ("received 20", "-3") or the count with the
    figure the row showed. Applied by the stock service, which refuses a count made
    stale by checkout and says what the stock is now."""
    variant = get_object_or_404(
        catalog_selectors.member_stock_list(user=request.user), pk=variant_id
    )
    tag = _row_tag(variant.pk)
    form = _stock_form(variant, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error, extra_tags=tag)
    elif (change := form.stock_change()) is None:
        messages.info(
            request, _("Nothing to change: type a new count or what came in."), extra_tags=tag
        )
    else:
        try:
            movement = stock_change_apply(variant_id=variant.pk, change=change, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, stock_refusal_text(exc) or error_text(exc), extra_tags=tag)
        else:
            # The figure after this save (the movement's balance), not the one typed or shown.
            messages.success(
                request,
                _("%(name)s: stock is now %(n)d.")
                % {"name": f"{variant.product.title} — {variant.name}", "n": movement.balance},
                extra_tags=tag,
            )
    return redirect(reverse("farm:stock") + f"#{tag}")


@member_required
def variant_history(request, pk: int, variant_id: int):
    """Where a variant's units came from and went: every stock movement, newest first."""
    product = _my_product(request, pk)
    variant = _my_variant(request, product, variant_id)
    page = Paginator(
        catalog_selectors.variant_movements(variant=variant), MOVEMENTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    numbers = order_selectors.order_numbers(ids=[m.order_id for m in page])
    return render(
        request,
        "farm/variant_history.html",
        {
            "product": product,
            "variant": variant,
            "page": page,
            "movements": [(m, numbers.get(m.order_id)) for m in page],
            "nav": "stock",
        },
    )


# --- batches --------------------------------------------------------------
@member_required
@require_http_methods(["GET", "POST"])
def batches(request):
    products = (
        _my_products(request)
        .exclude(status=ProductStatus.ARCHIVED)
        .order_by(order_by_localized("title"), "id")
    )
    form = BatchForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        try:
            batch = catalog_services.batch_record(**form.cleaned_data)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Batch %(code)s recorded.") % {"code": batch.code})
            return redirect("farm:batches")
    return render(
        request,
        "farm/batches.html",
        {
            "form": form,
            "batches": catalog_selectors.member_batch_list(user=request.user),
            "nav": "batches",
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def batch_edit(request, batch_id: int):
    """Correct a batch's record (a wrong date, a typo in the code) under the rules of
    recording it; the product stays within the cooperative."""
    batch = get_object_or_404(
        catalog_selectors.member_batches(user=request.user).select_related("product"),
        pk=batch_id,
    )
    products = _my_products(request).filter(cooperative_id=batch.product.cooperative_id)
    initial = {name: getattr(batch, name) for name in catalog_services.BATCH_FIELDS}
    form = BatchForm(
        request.POST if request.method == "POST" else None,
        products=products.filter(
            ~Q(status=ProductStatus.ARCHIVED) | Q(pk=batch.product_id)
        ).order_by("title"),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            catalog_services.batch_update(batch=batch, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Batch %(code)s corrected.") % {"code": batch.code})
            return redirect("farm:batches")
    return render(
        request,
        "farm/batch_edit.html",
        {"form": form, "batch": batch, "nav": "batches"},
    )


# --- review (managers) ----------------------------------------------------
@member_required
def review_list(request):
    managed = _managed_ids(request)
    if not managed:
        raise PermissionDenied
    pending = catalog_selectors.products_to_review(cooperative_ids=managed)
    return render(
        request,
        "farm/review_list.html",
        {"products": pending, "reject_form": RejectForm(), "nav": "review"},
    )


def _reviewable(request, pk: int):
    product = get_object_or_404(_my_products(request), pk=pk)
    if product.cooperative_id not in _managed_ids(request):
        raise PermissionDenied
    return product


@member_required
@require_POST
def product_approve(request, pk: int):
    product = _reviewable(request, pk)
    button_action(
        request,
        lambda: catalog_services.product_approve(product=product, by=request.user),
        lambda: _("%(title)s is now on sale.") % {"title": product.title},
    )
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


# --- weighing: lines sold by weight ---------------------------------------
class WeighLineForm(forms.Form):
    grams = forms.IntegerField(
        label=_("Weighed (g)"),
        min_value=1,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


@member_required
def weigh_list(request):
    """The cooperative's lines sold by weight waiting for the scale (any member weighs)."""
    lines = order_selectors.lines_to_weigh(cooperative_ids=_coop_ids(request))
    return render(
        request,
        "farm/weigh.html",
        {"lines": [(line, WeighLineForm(prefix=f"l{line.pk}")) for line in lines], "nav": "weigh"},
    )


@member_required
@require_POST
def weigh_save(request, line_id: int):
    """One line's reading; the difference is refunded once (``lifecycle.line_weigh``)."""
    if not order_selectors.line_of_cooperatives(
        line_id=line_id, cooperative_ids=_coop_ids(request)
    ):
        raise Http404  # another cooperative's line: as if it did not exist
    form = WeighLineForm(request.POST, prefix=f"l{line_id}")
    if not form.is_valid():
        messages.error(request, _("Type the weight in whole grams, as the scale shows it."))
        return redirect("farm:weigh")
    try:
        result = lifecycle.line_weigh(
            line_id=line_id,
            grams=form.cleaned_data["grams"],
            by=request.user,
            cooperative_ids=_coop_ids(request),
        )
    except ApplicationError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, error_text(exc))
        return redirect("farm:weigh")
    back = result.refund.amount if result.refund is not None else Decimal("0.00")
    messages.success(
        request,
        _("%(title)s: %(grams)d g, final %(amount)s, refunded %(back)s.")
        % {
            "title": result.line.title,
            "grams": result.line.final_weight_grams,
            "amount": result.line.final_amount,
            "back": back,
        },
    )
    return redirect("farm:weigh")
