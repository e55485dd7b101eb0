"""Project-level views: health checks, metrics, uploaded files on a single host, and
error pages (JSON under /api/)."""

from __future__ import annotations

import hmac
import logging
import posixpath

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve

from . import metrics
from .api.exceptions import error_body
from .middleware import address_in

logger = logging.getLogger(__name__)
# The text format every Prometheus version reads (what generate_latest writes).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@never_cache
def healthz(request):
    """The process is up and serving (no dependency checked)."""
    return HttpResponse("ok", content_type="text/plain")


def readiness_checks() -> dict[str, str]:
    """``ok`` or ``unavailable`` for the database and the broker."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure means "not ready", whatever the driver raised
        logger.warning("readyz: database unreachable", exc_info=True)
        checks["database"] = "unavailable"
    try:
        from storefront.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception:
        logger.warning("readyz: broker unreachable", exc_info=True)
        checks["broker"] = "unavailable"
    return checks


@never_cache
def readyz(request):
    """Ready for traffic: the database answers and the broker accepts a connection."""
    checks = readiness_checks()
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@metrics.gauge_at_scrape(
    "farmgate_ready", "1 when this check of /readyz passes on the scraped host.", ["check"]
)
def _readiness() -> dict[tuple[str, ...], float]:
    return {(name,): float(state == "ok") for name, state in readiness_checks().items()}


def _metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    # A request relayed by the reverse proxy is never trusted by address (the proxy's
    # own address would let everyone in): only direct connections count.
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    return address_in(request.META.get("REMOTE_ADDR", ""), settings.METRICS_ALLOWED_CIDRS)


@never_cache
@require_safe
def metrics_view(request):
    """Prometheus text format, for the monitoring network only (see settings)."""
    if not _metrics_allowed(request):
        return HttpResponse(
            "metrics: a bearer token or the monitoring network is needed\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(metrics.exposition(), content_type=METRICS_CONTENT_TYPE)


# Media the browser may show in the page: photos, thumbnails and logos we re-encoded.
INLINE_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp"}


@require_safe
def media(request, path: str):
    """Uploaded files from MEDIA_ROOT, when this process is told to serve them
    (``SERVE_MEDIA``, or DEBUG). Private files (packing slips) are never served here;
    the admin streams them to the cooperative's managers. Every answer forbids
    running anything the file might contain."""
    if not (settings.SERVE_MEDIA or settings.DEBUG):
        raise Http404
    normalized = posixpath.normpath(path).lstrip("/")
    if normalized.startswith(("..", *settings.MEDIA_PRIVATE_PREFIXES)):
        raise Http404
    response = serve(request, normalized, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "public, max-age=86400"
    # Only the photo formats we re-encode are shown in the page; anything else
    # (certification documents, an SVG) is a download.
    if response["Content-Type"].split(";")[0].strip() not in INLINE_MEDIA_TYPES:
        response["Content-Disposition"] = "attachment"
    return response


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    response = render(request, "404.html", status=404)
    response.site_page = True  # ``SiteErrorPagesMiddleware`` leaves it as it is
    return response


def csrf_failure(request, reason: str = ""):
    """A form sent from a page that is too old (or with cookies off): said in the site's
    layout and language, with a way back. The API keeps its JSON answer (the API error
    middleware turns Django's own page into it, as before)."""
    if request.path.startswith("/api/"):
        from django.views.csrf import csrf_failure as django_csrf_failure

        return django_csrf_failure(request, reason=reason)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return render(request, "403_csrf.html", {"back": back}, status=403)


def permission_denied(request, exception=None):
    """403 in the site's layout. Someone without a cooperative who opens the farmer
    portal is told what it is for and led to the shop, not shown a bare "403"."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("permission_denied", "You do not have permission to do this."), status=403
        )
    match = getattr(request, "resolver_match", None)
    portal = bool(match and match.namespace == "farm")
    return render(request, "403.html", {"portal": portal}, status=403)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=500,
        )
    # Only the request's language here: the template needs no database (the database
    # may be what failed), so it does not extend base.html.
    return render(request, "500.html", status=500)


def admin_login(request, **kwargs):
    """The admin's log-in page, except for someone signed in who may not use the admin
    (a farmer, a buyer): Django would offer to "log in with another account"; they get
    the site's 403 page instead, with their way (the farm portal, the shop)."""
    from django.contrib import admin

    user = request.user
    if user.is_authenticated and not user.is_staff:
        return render(request, "403.html", {"admin": True}, status=403)
    return admin.site.login(request, **kwargs)
