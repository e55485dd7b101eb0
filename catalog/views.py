"""Public catalogue pages: home, product list, product, county, cooperative, batch trace page.

Every page reads through ``catalog.selectors`` (the same reads as the API) so a
buyer never sees a draft, a rejected listing or an inactive cooperative.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from . import selectors
from .constants import ProductStatus
from .forms import ProductSearchFilter
from .models import Category, Certification, County, Product, ProductImage
from .offers import products_offer_from, variant_offer_prices
from .qr import trace_qr_svg, trace_url
from .translation import order_by_localized

PAGE_SIZE = 24


def _live_counties():
    live = Q(
        cooperatives__is_active=True,
        cooperatives__products__status=ProductStatus.ACTIVE,
    )
    return (
        County.objects.annotate(
            cooperative_count=Count(
                "cooperatives", filter=Q(cooperatives__is_active=True), distinct=True
            ),
            product_count=Count("cooperatives__products", filter=live, distinct=True),
        )
        .filter(cooperative_count__gt=0)
        .order_by("-poverty_relief", "province", "name")
    )


@require_safe
def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            "cooperatives": selectors.public_cooperatives().filter(product_count__gt=0)[:6],
            "counties": _live_counties()[:8],
            "categories": Category.objects.filter(parent__isnull=True),
            "new_products": _with_kinds(
                selectors.product_summary_list().order_by("-created", "-id")[:8]
            ),
        },
    )


@require_safe
def product_list(request):
    # A form's "All …" choices submit empty values: on a page they mean "no filter"
    # (the API, which apps call, refuses them instead).
    data = request.GET.copy()
    for key in [k for k, v in data.items() if v == ""]:
        del data[key]
    product_filter = ProductSearchFilter(
        data, queryset=selectors.product_summary_list().order_by("-created", "-id")
    )
    # An unreadable filter (say ?min_price=abc) lists everything instead of failing the page.
    products = product_filter.qs if product_filter.is_valid() else product_filter.queryset
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/product_list.html",
        {"form": product_filter.form, "page": _with_kinds(page)},
    )


def _with_kinds(products):
    """Attach each product's certification kinds (one query for the whole list) and its
    ``offer_from`` (the lowest price paid now, when a running campaign lowers it)."""
    items = list(products)
    kinds = selectors.certification_kinds_for(items)
    for p in items:
        p.certification_kinds = kinds.get(p.pk, [])
    products_offer_from(items)
    return products


@require_safe
def product_detail(request, slug: str):
    product = get_object_or_404(selectors.product_detail_queryset(), slug=slug)
    images = list(product.images.all())
    try:
        current = max(0, min(int(request.GET.get("photo", 0)), len(images) - 1))
    except ValueError:
        current = 0
    certifications = selectors.product_certifications(product)
    variants = list(product.variants.all())
    offers = variant_offer_prices(variants)  # the price checkout charges, while it runs
    for v in variants:
        v.offer_price = offers.get(v.pk)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "images": images,
            "current_image": images[current] if images else None,
            "current_index": current,
            "variants": variants,
            "default_variant_id": next((v.id for v in variants if v.stock > 0), None),
            # The quantity field never offers more than the most any size has in stock.
            "max_quantity": max([v.stock for v in variants if v.stock > 0] or [1]),
            "certifications": certifications,
            # The share card (Open Graph: WeChat, messengers): absolute URLs, lowest price.
            "og_url": request.build_absolute_uri(product.get_absolute_url()),
            "og_image": request.build_absolute_uri(images[0].image.url) if images else "",
            "og_price": min((v.offer_price or v.price for v in variants), default=None),
        },
    )


def _page(request, products):
    """One page of ``PAGE_SIZE`` products (``?page=``), certification kinds attached: the
    page costs the same few queries however many products the list holds."""
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return _with_kinds(page)


@require_safe
def county_detail(request, slug: str):
    county = get_object_or_404(County, slug=slug)
    return render(
        request,
        "catalog/county_detail.html",
        {
            "county": county,
            "cooperatives": selectors.public_cooperatives().filter(county=county),
            "page": _page(
                request,
                selectors.product_summary_list()
                .filter(cooperative__county=county)
                .order_by("-created", "-id"),
            ),
        },
    )


@require_safe
def cooperative_detail(request, slug: str):
    cooperative = get_object_or_404(selectors.active_cooperatives(), slug=slug)
    page = _page(
        request,
        selectors.product_summary_list()
        .filter(cooperative=cooperative)
        .order_by(order_by_localized("title"), "id"),
    )
    products = page.object_list
    photos = [p for p in products if p.first_image][:8]
    # The cooperative's own certifications, and those of the products on this page.
    certifications = (
        Certification.objects.filter(cooperative=cooperative)
        .filter(Q(product__isnull=True) | Q(product__in=[p.pk for p in products]))
        .select_related("product")
    )
    return render(
        request,
        "catalog/cooperative_detail.html",
        {
            "cooperative": cooperative,
            "page": page,
            "photos": photos,
            "certifications": [
                c
                for c in certifications
                if c.product_id is None or c.product.status == ProductStatus.ACTIVE
            ],
        },
    )


@require_safe
def trace(request, code: str):
    batch = selectors.batch_for_trace(code=code)
    if batch is None:
        raise Http404("No batch with this code")
    product: Product = batch.product
    certifications = selectors.product_certifications(product)
    images: list[ProductImage] = list(product.images.all())
    return render(
        request,
        "catalog/trace.html",
        {
            "batch": batch,
            "product": product,
            "image": images[0] if images else None,
            "on_sale": selectors.product_is_on_sale(product),
            "cooperative": product.cooperative,
            "county": product.cooperative.county,
            "certifications": certifications,
            "qr_svg": trace_qr_svg(batch.code),
            "trace_url": trace_url(batch.code),
        },
    )
