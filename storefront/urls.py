"""Root URLs. Each app owns its pages (``<app>/urls.py``) and API (``<app>/api/urls.py``)."""

from importlib.util import find_spec

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

admin.site.site_header = _("Farmgate")
admin.site.site_title = _("Farmgate admin")
admin.site.index_title = _("Cooperative administration")


def _optional(module: str) -> list:
    """Include an app's URL module once it exists (apps grow their APIs issue by issue)."""
    try:
        found = find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    return [path("", include(module))] if found else []


api_v1 = [
    *_optional("accounts.api.urls"),
    *_optional("catalog.api.urls"),
    *_optional("orders.api.urls"),
    *_optional("payments.api.urls"),
    *_optional("fulfilment.api.urls"),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/reports/", include("reports.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (no inline script); Swagger
    # UI's page keeps one small <style> block, so only this page allows inline styles.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    *_optional("accounts.urls"),
    *_optional("orders.urls"),
    *_optional("payments.urls"),
    *_optional("fulfilment.urls"),
    *_optional("farm.urls"),
    *_optional("reports.urls"),
    path("", include("catalog.urls")),
]

if settings.BENCHMARK_VIEWS:
    from . import bench_views

    urlpatterns = [
        path("bench/hello/django/", bench_views.django_hello),
        path("bench/hello/drf/", bench_views.drf_hello),
        *urlpatterns,
    ]

if settings.DEBUG or getattr(settings, "SERVE_MEDIA", False):
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

handler404 = "storefront.views.not_found"
handler500 = "storefront.views.server_error"
