"""Pages of the reports app: the admin's dashboards, jobs (exports and imports) and
impact report, and the public impact page of a county.

Thin: each view reads its parameters, asks a selector or service, and renders. Scope
is checked by those functions; anything outside it answers 404.
"""

from __future__ import annotations

import csv
import io
from functools import wraps
from urllib.parse import parse_qs, urlencode

from django.contrib import admin, messages
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Cooperative, County
from storefront.errors import InvalidInput, NotFound
from storefront.spreadsheet import cell_safe

from . import dashboard, exports, imports, jobs
from .constants import FINISHED, ExportFormat
from .impact import impact_report, period_parse
from .models import Job

PUBLIC_IMPACT_SECONDS = 600


def admin_page(view):
    """An admin page (staff only, login otherwise); a scope it may not see is a 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return admin.site.admin_view(wrapped)


def _admin_render(request, template: str, title: str, **extra):
    """``template`` rendered in the admin's frame (site header, sidebar) under ``title``."""
    return render(request, template, {**admin.site.each_context(request), "title": title, **extra})


# --------------------------------------------------------------------------- dashboard


@admin_page
@require_GET
def dashboard_view(request):
    scope = dashboard.dashboard_scope(
        request.user,
        cooperative_id=request.GET.get("cooperative"),
        county=request.GET.get("county"),
    )
    try:
        start, end, grain = dashboard.date_range(
            request.GET.get("first"), request.GET.get("last"), request.GET.get("grain")
        )
    except InvalidInput as exc:
        messages.error(request, next(iter(exc.details.values()))[0])
        start, end, grain = dashboard.date_range(None, None, None)
    data = dashboard.dashboard_data(scope, start=start, end=end, grain=grain)
    counties = County.objects.order_by("name") if request.user.is_platform else []
    return _admin_render(
        request,
        "reports/admin/dashboard.html",
        _("Dashboard: %(scope)s") % {"scope": scope.title},
        scope=scope,
        data=data,
        charts_json={"charts": data["charts"]},
        first=start,
        last=end,
        grain=grain,
        counties=counties,
    )


# --------------------------------------------------------------------------- jobs


@admin_page
@require_GET
def job_list_view(request):
    my_jobs = Job.objects.filter(owner=request.user).select_related("cooperative")[:50]
    return _admin_render(
        request, "reports/admin/job_list.html", _("My exports and imports"), jobs=my_jobs
    )


@admin_page
@require_GET
def job_view(request, job_id: int):
    job = jobs.job_get_for_user(user=request.user, job_id=job_id)
    return _admin_render(
        request, "reports/admin/job.html", str(job), job=job, running=job.status not in FINISHED
    )


@admin_page
@require_GET
def job_status_view(request, job_id: int):
    job = jobs.job_get_for_user(user=request.user, job_id=job_id)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "finished": job.status in FINISHED,
        }
    )


@admin_page
@require_GET
def job_download_view(request, job_id: int):
    job = jobs.job_download_get(user=request.user, job_id=job_id)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)


@admin_page
@require_http_methods(["GET", "POST"])
def export_view(request):
    params = request.POST if request.method == "POST" else request.GET
    source, name = params.get("source", ""), params.get("export", "")
    filters = parse_qs(params.get("filters", ""), keep_blank_values=True)
    model = jobs._source_model(source)
    try:
        exporter = exports.export_get(name, model)
    except InvalidInput as exc:
        raise Http404 from exc
    if request.method == "POST":
        try:
            job = jobs.export_job_create(
                user=request.user,
                export=name,
                fmt=params.get("format", ""),
                source=source,
                params=filters,
            )
        except InvalidInput as exc:
            messages.error(request, "; ".join(str(m) for v in exc.details.values() for m in v))
        else:
            return redirect(job.get_absolute_url())
    rows = exporter.values(
        exports.changelist_queryset(user=request.user, model=model, params=filters),
        jobs.user_scope(request.user),
    )
    return _admin_render(
        request,
        "reports/admin/export.html",
        _("Export: %(what)s") % {"what": exporter.label},
        exporter=exporter,
        source=source,
        filters=params.get("filters", ""),
        filter_list=[(k, ", ".join(v)) for k, v in filters.items()],
        count=rows.count(),
        formats=ExportFormat.choices,
        back=reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        + "?"
        + params.get("filters", ""),
    )


# --------------------------------------------------------------------------- import


def _import_cooperatives(user):
    scope = jobs.user_scope(user)
    qs = Cooperative.objects.order_by("name")
    return qs if scope is None else qs.filter(pk__in=scope)


@admin_page
@require_http_methods(["GET", "POST"])
def import_view(request):
    cooperatives = _import_cooperatives(request.user)
    if not cooperatives.exists():
        raise Http404
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise InvalidInput(details={"file": [_("Choose a file.")]})
            job = jobs.import_job_create(
                user=request.user,
                cooperative_id=_int(request.POST.get("cooperative")),
                upload=upload,
                name=upload.name,
            )
        except InvalidInput as exc:
            messages.error(request, "; ".join(str(m) for v in exc.details.values() for m in v))
        else:
            return redirect(job.get_absolute_url())
    return _admin_render(
        request,
        "reports/admin/import.html",
        _("Import products"),
        cooperatives=cooperatives,
        columns=imports.COLUMNS,
        categories=_category_names(),
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _category_names():
    from catalog.models import Category
    from catalog.translation import order_by_localized

    return Category.objects.order_by("position", order_by_localized("name")).values_list(
        "slug", "name"
    )


@admin_page
@require_POST
def import_apply_view(request, job_id: int):
    try:
        job = jobs.import_job_apply(user=request.user, checked_job_id=job_id)
    except InvalidInput as exc:
        messages.error(request, "; ".join(str(m) for v in exc.details.values() for m in v))
        return redirect("reports_admin:job", job_id=job_id)
    return redirect(job.get_absolute_url())


@admin_page
@require_GET
def import_template_view(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = imports.template_rows()
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for row in rows:
            writer.writerow([cell_safe(c) for c in row])
        response = HttpResponse(
            out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "products"
        for row in rows:
            sheet.append([cell_safe(c) for c in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="farmgate-products-template.{fmt}"'
    return response


# --------------------------------------------------------------------------- impact


def _impact_args(request):
    today = timezone.localdate()
    try:
        period = period_parse(request.GET.get("year") or today.year, request.GET.get("month"))
    except InvalidInput:
        period = period_parse(today.year, today.month)
    return period


def _impact_for_admin(request):
    """The version ``request.user`` may see: a cooperative's (its managers, platform
    staff) or a county's (platform staff; a manager: their cooperative's county)."""
    period = _impact_args(request)
    user = request.user
    scope = jobs.user_scope(user)
    coop_id = request.GET.get("cooperative")
    if coop_id:
        coop = Cooperative.objects.select_related("county").filter(pk=_int(coop_id)).first()
        if coop is None or (scope is not None and coop.pk not in scope):
            raise NotFound()
        return impact_report(
            county=coop.county, period=period, version="cooperative", cooperative=coop
        )
    slug = request.GET.get("county")
    if slug:
        county = County.objects.filter(slug=slug).first()
        allowed = scope is None or Cooperative.objects.filter(pk__in=scope, county=county).exists()
        if county is None or not allowed:
            raise NotFound()
        return impact_report(county=county, period=period, version="county")
    if scope is None:
        county = County.objects.order_by("name").first()
        if county is None:
            raise NotFound()
        return impact_report(county=county, period=period, version="county")
    if not scope:
        raise NotFound()
    coop = Cooperative.objects.select_related("county").get(pk=scope[0])
    return impact_report(county=coop.county, period=period, version="cooperative", cooperative=coop)


@admin_page
@require_GET
def impact_view(request):
    report = _impact_for_admin(request)
    scope = jobs.user_scope(request.user)
    counties = County.objects.order_by("name")
    coops = Cooperative.objects.order_by("name")
    if scope is not None:
        coops = coops.filter(pk__in=scope)
        counties = counties.filter(cooperatives__in=scope).distinct()
    return _admin_render(
        request,
        "reports/admin/impact.html",
        _("Impact report"),
        report=report,
        counties=counties,
        cooperatives=coops,
        charts_json={"charts": _impact_charts(report)},
        years=range(timezone.localdate().year, 2023, -1),
        months=range(1, 13),
    )


@admin_page
@require_GET
def impact_pdf_view(request):
    report = _impact_for_admin(request)
    if report.version == "cooperative":
        report = impact_report(county=report.county, period=report.period, version="county")
    with translation.override("zh-hans"):
        # fpdf2 (with fontTools) costs a web process tens of MB: loaded on the first PDF.
        from .pdf import render_impact_pdf

        pdf = render_impact_pdf(report)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"farmgate-impact-{report.county.slug}-{report.period.label}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _impact_charts(report) -> list[dict]:
    if report.months:
        labels = [f"{report.period.year}-{m['month']:02d}" for m in report.months]
        series = [
            (_("Paid by buyers"), [m["paid"] for m in report.months]),
            (_("Reached the cooperatives"), [m["reached"] for m in report.months]),
        ]
        title = _("Month by month")
    else:
        labels = [r.cooperative.name for r in report.rows]
        series = [
            (_("Paid by buyers"), [r.paid for r in report.rows]),
            (_("Reached the cooperatives"), [r.reached for r in report.rows]),
        ]
        title = _("Cooperatives")
    return [dashboard._chart("impact", title, "bar", labels, series)]


@require_GET
def public_impact_view(request, slug: str):
    county = get_object_or_404(County, slug=slug)
    period = _impact_args(request)
    # A year's report is about a hundred grouped queries: anyone may ask for it, so the
    # figures (not the page: it carries a CSRF token) are cached for a few minutes.
    report = cache.get_or_set(
        f"reports:impact:public:{county.pk}:{period.label}",
        lambda: impact_report(county=county, period=period, version="public"),
        PUBLIC_IMPACT_SECONDS,
    )
    return render(
        request,
        "reports/impact_public.html",
        {
            "report": report,
            "county": county,
            "charts_json": {"charts": _impact_charts(report)},
            "years": range(timezone.localdate().year, 2023, -1),
            "months": range(1, 13),
            "query": urlencode(
                {"year": period.year, **({"month": period.month} if period.month else {})}
            ),
        },
    )
