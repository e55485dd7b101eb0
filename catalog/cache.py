"""Response cache of the public catalogue API (product list and detail), invalidated
by what changed.

A rendered page is stored in the Django cache (Redis in production) together with
the *versions* it was built under: random numbers in the cache that writers replace
after they commit. A page is served only while every version it recorded is still
current; otherwise it is rebuilt. Which versions a page depends on:

* ``catalog:version`` — the whole catalogue: every page. Bumped by edits of products,
  cooperatives, counties, categories, photos, batches and certifications (rare, and
  they can move a product in or out of every list).
* ``catalog:p:<product id>`` — a product's *detail*: bumped by every stock move of one
  of its variants and by every price or variant edit (the detail shows each variant's
  ``available`` and ``price``).
* ``catalog:c:<product id>`` — a product's *card* in the list (``price_from``,
  ``in_stock``): bumped by a price or variant edit, and by a stock move that crosses
  zero (sold out, or back in stock). A stock move that does not cross zero leaves
  every card — and so every list page — as it is.
* ``catalog:v:price`` / ``catalog:v:stock`` — which products a list page holds and in
  which order, for the lists that filter or order by price (``ordering=price``,
  ``min_price``...) or filter by ``in_stock``: bumped by any price edit / any zero
  crossing. Lists in the default, title or relevance order ignore both.

So during a flash sale on one variant only that product's detail is rebuilt; list
pages stay cached until it sells out (one rebuild of the pages it appears on, plus the
``in_stock``-filtered ones).

Freshness — a buyer never sees a stale stock or price, the request after a write sees
it. Every version a page records is read *before* the database is read, and writers
replace versions only *after* their transaction commits (``transaction.on_commit``):
a request racing a write either read the old version (its page is orphaned by the
bump) or the new one (and then reads the committed rows). A page's products are known
only after it is built, so their versions are read from the page previously cached
under the same key, before rebuilding; for products new to the page they are read
after the build together with a *sequence* (``catalog:seq:c`` for cards,
``catalog:seq:p`` for details) that every product bump replaces first (in the same
``MSET`` on Redis): if the sequence is still the one read before the build, no product
moved meanwhile; otherwise they are recorded as ``0``, which never matches, and the
page is rebuilt on its next request. The same sequence makes a hit cheap: a page
records the sequence read before it was built, and while it is unchanged no product
of that kind moved at all, so the page is current after one round trip; only when it
moved are the page's own products' versions read (a second round trip). A version
missing from the cache (evicted) is replaced by a new random one before the build; a
replacement only ever orphans pages, never revives one.

Writes that go through ``Model.save()``/``delete()`` are caught by the receivers at
the bottom of this module; writes through ``QuerySet.update()`` call
:func:`catalog_changed` (everything) or :func:`invalidate_products` (some products'
prices or variants, e.g. marketing's campaign prices); ``catalog.stock`` calls
:func:`stock_moved`. When the cache is unreachable, requests are served from the
database and a failed bump is logged and counted — the page TTL bounds what could go
stale.

Answers carry a strong ``ETag`` and ``Cache-Control: no-cache`` (clients revalidate
and get ``304``). Anonymous hits are answered by ``catalog.middleware`` before the
rest of the middleware stack; other requests hit in the view.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from rest_framework.renderers import JSONRenderer

from storefront import metrics

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"
PRICE_KEY = "catalog:v:price"
STOCK_KEY = "catalog:v:stock"
# Replaced with every bump of any card / detail version (before it, or in the same MSET).
CARD_SEQ = "catalog:seq:c"
DETAIL_SEQ = "catalog:seq:p"
# Only bounds how long an orphaned page occupies memory, or staleness if a bump
# was lost while the cache was down; freshness never depends on it.
PAGE_TIMEOUT = 300
# A page recorded with this version for a product is rebuilt on its next request.
_UNREAD = 0
_renderer = JSONRenderer()
_PRICE_PARAMS = ("min_price", "max_price")
_PRICE_ORDERINGS = ("price", "-price")


def detail_key(product_id: int) -> str:
    return f"catalog:p:{product_id}"


def card_key(product_id: int) -> str:
    return f"catalog:c:{product_id}"


_SEQS = ((CARD_SEQ, "catalog:c:"), (DETAIL_SEQ, "catalog:p:"))


def _fresh() -> int:
    # A new random version, never "old + 1": the embedded file cache's incr reads then
    # writes, so two processes bumping at once would both write the same old + 1, and a
    # page cached between their two writes would outlive the second write. Never 0.
    return secrets.randbits(48) | 1


def _bump_keys(keys: Iterable[str]) -> None:
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    # The sequences first: Redis sets them all at once (MSET), the other backends in
    # this order, so a reader never sees a new product version with an old sequence.
    seqs = [seq for seq, prefix in _SEQS if any(k.startswith(prefix) for k in keys)]
    try:
        cache.set_many({key: _fresh() for key in [*seqs, *keys]}, timeout=None)
    except Exception:
        logger.warning("catalogue cache versions not bumped: cache unavailable", exc_info=True)
        metrics.incr("catalog_cache_bump_failed")


def catalog_changed() -> None:
    """Mark the whole public catalogue changed once the current transaction commits.

    Call after any write the product list or detail shows (product status, texts,
    photos, cooperatives) that does not go through ``Model.save()``/``delete()``.
    Outside a transaction the bump happens at once.
    """
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    _bump_keys([VERSION_KEY])


def invalidate_products(product_ids: Iterable[int]) -> None:
    """Mark these products' prices or variants changed once the transaction commits.

    Their detail and their cards are rebuilt, and so are the lists that filter or order
    by price or stock (a price can move a product between pages); every other page
    stays cached. For writes that change what a product costs or which variants it
    offers without ``Variant.save()`` — e.g. a campaign price (marketing).
    """
    ids = sorted({int(pk) for pk in product_ids})
    if ids:
        keys = [PRICE_KEY, STOCK_KEY]
        for pk in ids:
            keys += [detail_key(pk), card_key(pk)]
        transaction.on_commit(lambda: _bump_keys(keys), robust=True)


def invalidate_product(product_id: int) -> None:
    """:func:`invalidate_products` for one product."""
    invalidate_products([product_id])


def stock_moved(moves: Iterable[tuple[int, int, int]]) -> None:
    """``catalog.stock``'s report of ``(product_id, stock before, stock after)`` per
    variant moved: bump the products' details, and on a zero crossing their cards and
    the stock-filtered lists, once the transaction commits."""
    keys: list[str] = []
    for product_id, before, after in moves:
        keys.append(detail_key(product_id))
        if (before > 0) != (after > 0):
            keys += [card_key(product_id), STOCK_KEY]
    if keys:
        transaction.on_commit(lambda: _bump_keys(keys), robust=True)


def _version() -> int:
    """The whole catalogue's current version (created when missing)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _key(scope: str, request, language: str | None = None) -> str:
    # Everything the body depends on: absolute URLs (scheme, host), the query in
    # any parameter order, and the language (error texts are never cached).
    query = sorted((k, v) for k, values in request.GET.lists() for v in values)
    if language is None:
        language = getattr(request, "LANGUAGE_CODE", "")
    raw = repr((request.scheme, request.get_host(), request.path, query, language))
    digest = hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
    return f"catalog:{scope}:{digest}"


def _seq(scope: str) -> str:
    return CARD_SEQ if scope == "products" else DETAIL_SEQ


def _shared_keys(scope: str, request) -> list[str]:
    """The catalogue-wide versions a page of this request depends on."""
    keys = [VERSION_KEY]
    if scope == "products":
        query = request.GET
        if query.get("ordering") in _PRICE_ORDERINGS or any(p in query for p in _PRICE_PARAMS):
            keys.append(PRICE_KEY)
        if "in_stock" in query:
            keys.append(STOCK_KEY)
    return keys


def _product_key(scope: str) -> Callable[[int], str]:
    return card_key if scope == "products" else detail_key


@dataclass
class Lookup:
    """What one request found in the cache: the page if it is current, and the
    versions read before any database read (for a rebuild)."""

    key: str
    versions: dict[str, int] = field(default_factory=dict)
    etag: str | None = None
    body: bytes | None = None

    @property
    def hit(self) -> bool:
        return self.body is not None


def lookup(request, scope: str, *, language: str | None = None) -> Lookup:
    """Read the page cached for this request and check its versions.

    One cache round trip reads the shared versions, the sequence of the scope's
    product versions and the page. When the sequence is the one read before the page
    was built, no product version moved since and the page is current. Otherwise a
    second round trip reads the page's products' versions (a list page whose products
    are all unchanged is stored again under the new sequence). Raises when the cache is
    unreachable.
    """
    key = _key(scope, request, language)
    shared = _shared_keys(scope, request)
    seq = _seq(scope)
    found = cache.get_many([*shared, seq, key])
    entry = found.pop(key, None)
    missing = [k for k in [*shared, seq] if k not in found]
    versions = dict(found)
    result = Lookup(key=key, versions=versions)
    current = False
    if entry is not None:
        recorded, etag, body = entry
        shared_ok = all(k in recorded and versions.get(k) == recorded[k] for k in shared)
        if shared_ok and seq in versions and recorded.get(seq) == versions[seq]:
            current = True
        else:
            product_keys = [k for k in recorded if k not in versions and k != seq]
            if product_keys:
                versions.update(cache.get_many(product_keys))
            missing += [k for k in product_keys if k not in versions]
            current = (
                shared_ok
                and not missing
                and all(versions[k] == v for k, v in recorded.items() if k != seq)
            )
            if current and scope == "products" and seq in versions:
                # Checked product by product after the sequence was read: the next
                # request needs one round trip again, until a product moves.
                cache.set(key, ({**recorded, seq: versions[seq]}, etag, body), PAGE_TIMEOUT)
        if current:
            result.etag, result.body = etag, body
    if missing:
        # Evicted (or never written): a new version, written before this request reads
        # the database, so a page built now is recorded under it.
        fresh = {k: _fresh() for k in missing}
        if VERSION_KEY in fresh:
            # Several processes may start it at once: one value wins.
            cache.add(VERSION_KEY, fresh.pop(VERSION_KEY), timeout=None)
            versions[VERSION_KEY] = cache.get(VERSION_KEY)
        if fresh:
            cache.set_many(fresh, timeout=None)
            versions.update(fresh)
    metrics.page_cache_lookup(hit=result.hit)
    return result


def _recorded(scope: str, request, found: Lookup, product_ids: Iterable[int]) -> dict[str, int]:
    """The versions a page just built is stored under.

    Its products' versions were read before the database when the page was cached
    before. Those of new products are read now, together with the sequence that every
    product bump replaces first: unchanged since before the build, no product version
    moved meanwhile and the values read now are those of the rows read; changed, they
    are recorded as unread (``0``) and the page is rebuilt on its next request.
    """
    seq = _seq(scope)
    recorded = {k: found.versions[k] for k in [*_shared_keys(scope, request), seq]}
    product_key = _product_key(scope)
    keys = [product_key(pk) for pk in product_ids]
    unread = [k for k in keys if k not in found.versions]
    now: dict[str, int] = {}
    if unread:
        now = cache.get_many([*unread, seq])
        absent = [k for k in unread if k not in now]
        if absent:
            # Never bumped (or evicted): start them without overwriting a bump racing
            # this, then read them again with the sequence.
            for k in absent:
                cache.add(k, _fresh(), timeout=None)
            now = cache.get_many([*unread, seq])
        if now.pop(seq, None) != found.versions[seq]:
            now = {}
    for k in keys:
        recorded[k] = found.versions.get(k, now.get(k, _UNREAD))
    return recorded


def _etag_matches(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


def answer(request, etag: str, body: bytes) -> HttpResponse:
    """The 200 (or the 304 for a matching ``If-None-Match``) of a cached body."""
    if _etag_matches(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


def cached_response(
    request, scope: str, build: Callable[[], tuple[object, Iterable[int]]]
) -> object:
    """The cached body for this request, or ``build()``'s answer, rendered and stored.

    ``build`` returns a DRF ``Response`` and the ids of the products it shows; only 200
    answers are stored. Errors raised by ``build`` (400, 404) propagate untouched and
    are never cached. Only for answers that are the same for every visitor (the key
    holds no user). ``scope`` is ``"products"`` (list pages: cards) or ``"product"``
    (a detail).
    """
    django_request = getattr(request, "_request", request)
    try:
        found = getattr(django_request, "_catalog_lookup", None)
        if found is None or found.key != _key(scope, request):
            found = lookup(request, scope)
    except Exception:
        logger.warning("catalogue cache unavailable: serving from the database", exc_info=True)
        return build()[0]
    if found.hit:
        etag, body = found.etag, found.body
    else:
        response, product_ids = build()
        if getattr(response, "status_code", None) != 200 or not hasattr(response, "data"):
            return response
        body = _renderer.render(response.data)
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        try:
            recorded = _recorded(scope, request, found, product_ids)
            cache.set(found.key, (recorded, etag, body), timeout=PAGE_TIMEOUT)
        except Exception:
            logger.warning("catalogue page not cached: cache unavailable", exc_info=True)
    result = answer(request, etag, body)
    # The middleware may answer the next anonymous request like this one itself.
    django_request._catalog_cacheable = scope
    return result


def _on_catalog_write(sender, **kwargs) -> None:
    catalog_changed()


def _on_variant_write(sender, instance, **kwargs) -> None:
    invalidate_product(instance.product_id)


def _connect() -> None:
    # Cache invalidation, not a business flow: whatever saves or deletes these
    # rows (a service, the admin, a data fix) must orphan the cached pages.
    from . import models

    for model in (
        models.County,
        models.Cooperative,
        models.Category,
        models.Product,
        models.ProductImage,
        models.Certification,
        models.Batch,
    ):
        post_save.connect(_on_catalog_write, sender=model, dispatch_uid=f"catalog-cache-{model}")
        post_delete.connect(
            _on_catalog_write, sender=model, dispatch_uid=f"catalog-cache-del-{model}"
        )
    # A variant's price, activity or stock set by save(): its product only.
    post_save.connect(_on_variant_write, sender=models.Variant, dispatch_uid="catalog-cache-var")
    post_delete.connect(
        _on_variant_write, sender=models.Variant, dispatch_uid="catalog-cache-del-var"
    )


_connect()
