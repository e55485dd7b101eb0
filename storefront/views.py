"""Project-level views: health checks and error pages (JSON under /api/)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.static import serve

from .api.exceptions import error_body

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """The process is up and serving (no dependency checked)."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request):
    """Ready for traffic: the database answers and the broker accepts a connection."""
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
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


# Media the browser may show in the page: photos, thumbnails and logos we re-encoded.
INLINE_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp"}


def media(request, path: str):
    """Uploaded files (``/media/``, when this process serves them): photos inline,
    anything else (certification documents) as a download, never sniffed, so no
    uploaded file is ever rendered as a page of this origin."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if content_type not in INLINE_MEDIA_TYPES:
        response["Content-Disposition"] = "attachment"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "404.html", status=404)


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
    return render(request, "500.html", status=500)
