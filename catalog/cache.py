"""Versioned response cache of the public catalogue API (product list and detail).

A rendered page is stored in the Django cache (Redis in production) together
with the catalogue *version* it was built under; any write that can change what
a buyer sees bumps the version, so every page cached before it is never served
again (it is rebuilt on its next request, or expires). There is no per-page
invalidation to get wrong. A hit costs one cache round trip (MGET of the version
and the page) and no query.

Freshness rules — a buyer must never see a stale stock or price:

* the version is read *before* the database, and bumped only *after* the
  writing transaction commits (``transaction.on_commit``): a request racing the
  write either reads the old version (its page is orphaned by the bump) or the
  new one (and then sees the committed rows). The request after a write returns
  always reads the new version;
* writes that go through ``Model.save()``/``delete()`` (services, the admin, the
  farmer portal) are caught by the receivers at the bottom of this module; writes
  through ``QuerySet.update()`` (checkout's conditional stock decrement, stock
  release, thumbnails) call :func:`catalog_changed` explicitly;
* when the cache is unreachable, requests are served from the database and a
  failed bump is logged and counted — the page TTL bounds what could go stale.

Responses carry a strong ``ETag`` of the body and ``Cache-Control: no-cache``:
clients revalidate every time and get ``304 Not Modified`` when nothing changed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from rest_framework.renderers import JSONRenderer

from storefront import metrics

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
# Only bounds how long an orphaned page occupies memory, or staleness if a bump
# was lost while the cache was down; freshness never depends on it.
PAGE_TIMEOUT = 300
_renderer = JSONRenderer()


def catalog_changed() -> None:
    """Mark the public catalogue changed once the current transaction commits.

    Call after any write the product list or detail shows (stock, price, status,
    photos, texts) that does not go through ``Model.save()``/``delete()``.
    Outside a transaction the bump happens at once.
    """
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    try:
        # A new random version, never "old + 1": the embedded file cache's incr reads
        # then writes, so two processes bumping at once would both write the same old + 1,
        # and a page cached between their two writes would outlive the second write.
        cache.set(VERSION_KEY, secrets.randbits(48), timeout=None)
    except Exception:
        logger.warning("catalogue cache version not bumped: cache unavailable", exc_info=True)
        metrics.incr("catalog_cache_bump_failed")


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.randbits(48), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _key(scope: str, request) -> str:
    # Everything the body depends on: absolute URLs (scheme, host), the query in
    # any parameter order, and the language (error texts are never cached).
    query = sorted((k, v) for k, values in request.GET.lists() for v in values)
    raw = repr(
        (
            request.scheme,
            request.get_host(),
            request.path,
            query,
            getattr(request, "LANGUAGE_CODE", ""),
        )
    )
    digest = hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
    return f"catalog:{scope}:{digest}"


def _etag_matches(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def cached_response(request, scope: str, build: Callable[[], object]) -> object:
    """The cached body for this request, or ``build()``'s answer, rendered and stored.

    ``build`` returns a DRF ``Response``; only 200 answers are stored. Errors
    raised by ``build`` (400, 404) propagate untouched and are never cached.
    Only for answers that are the same for every visitor (the key holds no user).
    """
    try:
        key = _key(scope, request)
        # One round trip reads the current version and the page with the version
        # it was built under (MGET is atomic); a page of another version is a miss.
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            version = _version()
        hit = found.get(key)
    except Exception:
        logger.warning("catalogue cache unavailable: serving from the database", exc_info=True)
        return build()
    metrics.page_cache_lookup(hit=hit is not None and hit[0] == version)
    if hit is not None and hit[0] == version:
        _, etag, body = hit
    else:
        response = build()
        if getattr(response, "status_code", None) != 200 or not hasattr(response, "data"):
            return response
        body = _renderer.render(response.data)
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        try:
            cache.set(key, (version, etag, body), timeout=PAGE_TIMEOUT)
        except Exception:
            logger.warning("catalogue page not cached: cache unavailable", exc_info=True)
    if _etag_matches(request, etag):
        answer = HttpResponseNotModified()
    else:
        answer = HttpResponse(body, content_type="application/json")
    answer["ETag"] = etag
    answer["Cache-Control"] = "no-cache"
    return answer


def _on_catalog_write(sender, **kwargs) -> None:
    catalog_changed()


def _connect() -> None:
    # Cache invalidation, not a business flow: whatever saves or deletes these
    # rows (a service, the admin, a data fix) must orphan the cached pages.
    from . import models

    for model in (
        models.County,
        models.Cooperative,
        models.Category,
        models.Product,
        models.Variant,
        models.ProductImage,
        models.Certification,
        models.Batch,
    ):
        post_save.connect(_on_catalog_write, sender=model, dispatch_uid=f"catalog-cache-{model}")
        post_delete.connect(
            _on_catalog_write, sender=model, dispatch_uid=f"catalog-cache-del-{model}"
        )


_connect()
