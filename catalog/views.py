"""Public catalogue pages: home, county, cooperative, product, and the batch trace page."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from . import selectors
from .models import County, Product
from .qr import trace_qr_svg, trace_url


@require_safe
def home(request):
    cooperatives = selectors.public_cooperatives()
    new_products = selectors.product_list().order_by("-created")[:8]
    return render(
        request,
        "catalog/home.html",
        {
            "cooperatives": cooperatives,
            "new_products": new_products,
        },
    )


@require_safe
def county_detail(request, slug: str):
    county = get_object_or_404(County, slug=slug)
    cooperatives = selectors.public_cooperatives().filter(county=county)
    return render(
        request,
        "catalog/county_detail.html",
        {
            "county": county,
            "cooperatives": cooperatives,
        },
    )


@require_safe
def cooperative_detail(request, slug: str):
    cooperative = get_object_or_404(selectors.public_cooperatives(), slug=slug)
    products = selectors.product_list().filter(cooperative=cooperative).order_by("title")
    return render(
        request,
        "catalog/cooperative_detail.html",
        {
            "cooperative": cooperative,
            "products": products,
        },
    )


@require_safe
def product_detail(request, slug: str):
    product = get_object_or_404(selectors.product_detail_queryset(), slug=slug)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "certification_kinds": selectors.product_certification_kinds(product),
        },
    )


@require_safe
def trace(request, code: str):
    batch = selectors.batch_for_trace(code=code)
    if batch is None:
        raise Http404("No batch with this code")
    product: Product = batch.product
    certifications = list(product.certifications.all()) + list(
        getattr(product.cooperative, "cooperative_wide_certifications", [])
    )
    return render(
        request,
        "catalog/trace.html",
        {
            "batch": batch,
            "product": product,
            "cooperative": product.cooperative,
            "county": product.cooperative.county,
            "certifications": certifications,
            "qr_svg": mark_safe(trace_qr_svg(batch.code)),  # noqa: S308 - segno output of our URL
            "trace_url": trace_url(batch.code),
        },
    )
