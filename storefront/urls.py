"""Root URLs. Each app owns its pages (``<app>/urls.py``) and API (``<app>/api/urls.py``)."""

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views

from . import views

admin.site.site_header = _("Farmgate")
admin.site.site_title = _("Farmgate admin")
admin.site.index_title = _("Cooperative administration")


API_APPS = (
    "regions",
    "accounts",
    "notifications",
    "catalog",
    "orders",
    "lifecycle",
    "fulfilment",
    "wholesale",
    "marketing",
)

api_v1 = [path("", include(f"{app}.api.urls")) for app in API_APPS]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    # Uploaded files, when the app serves them (SERVE_MEDIA on a single host, or DEBUG).
    path("media/<path:path>", views.media, name="media"),
    # The language switch also remembers a signed-in person's choice for their e-mails.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/reports/", include("reports.admin_urls")),
    # Signed in without access to the admin: the site's 403 page, not "log in again".
    path("admin/login/", views.admin_login, name="admin_login_gate"),
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
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("lifecycle.urls")),
    path("", include("payments.sandbox.urls")),
    path("", include("farm.urls")),
    path("", include("sms.urls")),
    path("", include("reports.urls")),
    path("", include("wholesale.urls")),
    path("", include("marketing.urls")),
    path("", include("catalog.urls")),
]

if settings.BENCHMARK_VIEWS:
    from . import bench_views

    urlpatterns = [
        path("bench/hello/django/", bench_views.django_hello),
        path("bench/hello/drf/", bench_views.drf_hello),
        path("bench/hello/drf-auth/", bench_views.drf_hello_auth),
        path("bench/insert/drf-auth/", bench_views.drf_insert_auth),
        *urlpatterns,
    ]

handler403 = "storefront.views.permission_denied"
handler404 = "storefront.views.not_found"
handler500 = "storefront.views.server_error"
