"""Request-level protections that must run before Django reads a body, and the
request's observability (its id, its metrics)."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from functools import lru_cache

from django.conf import settings
from django.core.signals import request_finished
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from . import logs, metrics
from .api.exceptions import error_body

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{8,128}")


@lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def address_in(address: str, cidrs) -> bool:
    """Whether ``address`` (REMOTE_ADDR) is inside one of the networks ``cidrs``."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(cidrs)))


class RequestIdMiddleware:
    """Gives every request an id: the ``X-Request-ID`` a trusted proxy sent (a direct
    peer in ``TRUSTED_PROXIES``; a well-formed value only), otherwise a new one. It
    is on every log line of the request and of the tasks it enqueues, and answered
    in the response's ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        if (
            incoming
            and _REQUEST_ID_RE.fullmatch(incoming)
            and address_in(request.META.get("REMOTE_ADDR", ""), settings.TRUSTED_PROXIES)
        ):
            request_id = incoming
        else:
            request_id = uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the response is closed (request_finished below), so that Django's
        # own lines about the answer ("Forbidden: /x", tracebacks) carry the id too.
        logs.request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _forget_request_id(**kwargs) -> None:
    logs.request_id_var.set("")


request_finished.connect(_forget_request_id, dispatch_uid="farmgate-forget-request-id")


def _route(request) -> str:
    """The URL pattern's name (never the raw path: its label values must stay few)."""
    match = getattr(request, "resolver_match", None)
    if match is None:  # answered before URL resolution (413, 400): resolve it here
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unmatched"
    return match.view_name or "unnamed"


class MetricsMiddleware:
    """Counts every answer by route, method and status, and times it (outermost, so
    the answers of the other middleware are counted too)."""

    METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in self.METHODS else "other"
        try:
            route = _route(request)
            metrics.HTTP_REQUESTS.labels(
                route=route, method=method, status=str(response.status_code)
            ).inc()
            metrics.HTTP_DURATION.labels(route=route, method=method).observe(elapsed)
        except Exception:  # counting must never turn an answer into an error
            logger.debug("request not counted", exc_info=True)
        return response


class RequestSizeLimitMiddleware:
    """Refuse an oversized body by its Content-Length, before any of it is read.

    Multipart bodies (photo uploads) may be up to ``MAX_MULTIPART_REQUEST_BYTES``;
    everything else (JSON, forms, payment callbacks) up to ``MAX_REQUEST_BYTES``.
    A 50 MB upload is answered 413 at once: nothing is buffered or written to disk.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_MULTIPART_REQUEST_BYTES if multipart else settings.MAX_REQUEST_BYTES
        if length < 0 or length > limit:
            metrics.incr("request_too_large")
            # This runs before LocaleMiddleware: speak the request's language, not
            # whatever the thread's previous request left active.
            with translation.override(translation.get_language_from_request(request)):
                message = _("The request body is too large (at most %(mb)d MB).") % {
                    "mb": limit // (1024 * 1024)
                }
            if request.path.startswith("/api/"):
                return JsonResponse(
                    error_body("request_too_large", message, {"max_bytes": limit}), status=413
                )
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


_UNAVAILABLE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Farmgate</title>
</head><body><h1>%(title)s</h1><p>%(text)s</p></body></html>"""


class DatabaseUnavailableMiddleware:
    """A database that is unreachable or dropped the connection mid-request answers
    503 with ``Retry-After`` (JSON under /api/, a plain page elsewhere), never a 500
    with a trace. The page is rendered without touching the database or the session.
    DRF views get the same answer from ``storefront.api.exceptions``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "database unavailable during %s %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
        )
        metrics.incr("database_unavailable")
        message = _("The service is busy; please try again shortly.")
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body("service_unavailable", message), status=503)
        else:
            response = HttpResponse(
                _UNAVAILABLE_PAGE % {"title": _("Please try again"), "text": message},
                status=503,
                content_type="text/html; charset=utf-8",
            )
        response["Retry-After"] = "2"
        return response


class SingleValuedApiQueryMiddleware:
    """Under ``/api/``, a query parameter given twice (``?page=1&page=2``) is refused.

    Django would silently take the last value; the schema says each parameter has
    one value, so a client sending two has a bug it should hear about.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/v1/") and request.GET:
            repeated = sorted(k for k, values in request.GET.lists() if len(values) > 1)
            if repeated:
                with translation.override(translation.get_language_from_request(request)):
                    body = error_body(
                        "invalid",
                        _("The input is not valid."),
                        {k: [_("Give this parameter once.")] for k in repeated},
                    )
                return JsonResponse(body, status=400)
        return self.get_response(request)


# Codes of API.md "Additions in v1" for answers Django produced itself (no route, a
# plain view's 405, an uncaught exception) before or outside DRF's exception handler.
_API_ERROR_CODES = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You do not have permission to do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request body is too large."),
    500: ("server_error", "Something went wrong on our side; it has been logged."),
    503: ("service_unavailable", "The service is busy; please try again shortly."),
}


def protocol_answer(response):
    """Mark an error answer whose body a protocol fixes (a payment provider expects
    ``failure`` in plain text): ``ApiErrorMiddleware`` leaves it as it is."""
    response.protocol_answer = True
    return response


class ApiErrorMiddleware:
    """Every answer under ``/api/`` is JSON, errors included.

    DRF views already answer ``{"error": {...}}``; this turns whatever else Django
    answers there into the same shape: a path that matches no route (with ``DEBUG``
    on Django shows its HTML 404 page instead of ``handler404``), a plain view's 405,
    and a 500 from an uncaught exception (logged by Django as usual before this sees
    it). Only error answers that are not JSON already are replaced, except those
    marked with :func:`protocol_answer`; ``Allow`` and ``Retry-After`` headers are kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
            or getattr(response, "protocol_answer", False)
        ):
            return response
        status = response.status_code
        code, message = _API_ERROR_CODES.get(
            status, ("server_error" if status >= 500 else "error", "The request failed.")
        )
        details = {}
        if status == 405 and response.has_header("Allow"):
            details = {"allowed": [m.strip() for m in response["Allow"].split(",") if m.strip()]}
        answer = JsonResponse(error_body(code, message, details), status=status)
        for header in ("Allow", "Retry-After"):
            if response.has_header(header):
                answer[header] = response[header]
        return answer


class SiteErrorPagesMiddleware:
    """With ``DEBUG`` on (``make run``) Django answers a missing page with its technical
    404 listing every URL; a person trying the site should meet the site's own page.
    Replaces an HTML 404 that is not the site's (``storefront.views.not_found`` marks
    its own) outside ``/api/`` (whose JSON answers ``ApiErrorMiddleware`` keeps)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not request.path.startswith(("/api/", "/media/", "/static/"))
            and not getattr(response, "site_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            from .views import not_found

            return not_found(request)
        return response
