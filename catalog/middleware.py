"""Anonymous catalogue hits answered before the rest of the middleware stack.

The product list and detail are the hottest reads; a cached page (``catalog.cache``)
costs two cache round trips, but running it through sessions, locale, CSRF, auth,
messages and DRF's request, negotiation and renderer machinery costs more than the
page. For an anonymous ``GET`` (no ``Authorization`` header, no session cookie, no
``?c=`` campaign code that the campaign middleware would note) this middleware looks
the page up itself, with the language the locale middleware would choose, and
answers a current page at once: ``200`` or ``304``, with exactly the headers the full
stack gave the same page (``Content-Language``, ``Vary``, the security headers...),
learned from the first full answer per worker process. Everything else — misses,
signed-in or personalised requests, errors — goes through the whole stack, which
stores the page for the next request.

Sits below the request-id and metrics middleware, so cached answers are logged and
counted like any other.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.utils import translation

from . import cache

logger = logging.getLogger(__name__)

_LIST = "/api/v1/products/"
_DETAIL = re.compile(r"^/api/v1/products/[-a-zA-Z0-9_]+/$")
# Per answer, not per page: set again on every answer.
_NOT_REPLAYED = frozenset({"etag", "content-length", "set-cookie", "date", "x-request-id"})


def _scope(path: str) -> str | None:
    if path == _LIST:
        return "products"
    if _DETAIL.match(path):
        return "product"
    return None


def _language(request) -> str:
    """The language ``django.middleware.locale.LocaleMiddleware`` activates."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    patterns_used, prefixed_default = is_language_prefix_patterns_used(urlconf)
    language = translation.get_language_from_request(request, check_path=patterns_used)
    from_path = translation.get_language_from_path(request.path_info)
    if not from_path and patterns_used and not prefixed_default:
        language = settings.LANGUAGE_CODE
    return language


class CatalogCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # (scope, language) -> headers of the full stack's 200 answer
        self.headers: dict[tuple[str, str], list[tuple[str, str]]] = {}
        # scope -> its URL pattern's match, for the metrics' route label
        self.routes: dict[str, object] = {}

    def __call__(self, request):
        scope = _scope(request.path_info) if request.method == "GET" else None
        if (
            scope is None
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "c" in request.GET
            or request.META.get("CONTENT_LENGTH") not in (None, "", "0")  # the size limit's
        ):
            return self.get_response(request)
        language = _language(request)
        headers = self.headers.get((scope, language))
        if headers is not None:
            try:
                found = cache.lookup(request, scope, language=language)
            except Exception:
                # DisallowedHost, an unreachable cache: the full stack answers (or refuses).
                logger.debug("catalogue fast path skipped", exc_info=True)
            else:
                if found.hit:
                    response = cache.answer(request, found.etag, found.body)
                    bodiless = response.status_code == 304
                    # What CommonMiddleware adds on the full path (no chunked encoding).
                    response["Content-Length"] = str(len(response.content))
                    for name, value in headers:
                        if not (bodiless and name.lower() == "content-type"):
                            response[name] = value
                    # Only the outer middleware read it (the route label of the metrics).
                    request.resolver_match = self.routes.get(scope)
                    return response
                request._catalog_lookup = found  # the view rebuilds with these versions
        response = self.get_response(request)
        if (
            getattr(request, "_catalog_cacheable", None) == scope
            and response.status_code == 200
            and getattr(request, "resolver_match", None) is not None
        ):
            self.routes[scope] = request.resolver_match
            self.headers[(scope, language)] = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in _NOT_REPLAYED
            ]
        return response
