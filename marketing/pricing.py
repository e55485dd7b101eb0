"""Campaign prices, read from the shared Django cache.

Every campaign item with a price whose campaign has not ended is cached as one list
``(variant_id, product_id, price, starts, ends)`` under a key that holds a *version*;
a read keeps the rows whose window holds now (so the list stays right as campaigns
start and end, without any write), and keeps the lowest price per variant.

Freshness (the same protocol as ``catalog.cache``): the version is read before the
database, and any write to a campaign or its items (admin, services, demo: they all go
through ``save()``/``delete()``, caught by the receivers below) sets a new random version
once its transaction commits, so the first request after a change reads the new rows;
rows cached under an older version are never read again. If the cache is unreachable the
rows are read from the database (a failed bump is logged; the timeout bounds it).

The catalogue's cached pages of the featured products are orphaned by
``services.campaigns.connect_cache_receivers`` (per product, not the whole catalogue)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from storefront import metrics

from .models import Campaign, CampaignItem

logger = logging.getLogger(__name__)

VERSION_KEY = "marketing:prices:version"
ROWS_TIMEOUT = 3600  # bounds memory and a lost bump, never freshness

Row = tuple[int, int, Decimal, datetime, datetime]


def campaign_prices_changed() -> None:
    """Campaign prices changed: a new version once the current transaction commits."""
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    try:
        cache.set(VERSION_KEY, secrets.randbits(48), timeout=None)
    except Exception:
        logger.warning("campaign price version not bumped: cache unavailable", exc_info=True)
        metrics.incr("campaign_prices_bump_failed")


def _rows_from_db(now: datetime) -> list[Row]:
    return list(
        CampaignItem.objects.filter(campaign__ends__gt=now, campaign_price__isnull=False)
        .order_by("id")
        .values_list(
            "variant_id",
            "variant__product_id",
            "campaign_price",
            "campaign__starts",
            "campaign__ends",
        )
    )


def _rows(now: datetime) -> list[Row]:
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.randbits(48), timeout=None)
            version = cache.get(VERSION_KEY)
        key = f"marketing:prices:{version}"
        rows = cache.get(key)
    except Exception:
        logger.warning("campaign price cache unavailable: reading the database", exc_info=True)
        return _rows_from_db(now)
    if rows is not None:
        return rows
    rows = _rows_from_db(now)
    try:
        cache.set(key, rows, timeout=ROWS_TIMEOUT)
    except Exception:
        logger.warning("campaign prices not cached", exc_info=True)
    return rows


def campaign_offers(
    variant_ids: Iterable[int] | None = None, *, now: datetime | None = None
) -> dict[int, tuple[int, Decimal]]:
    """``{variant_id: (product_id, lowest campaign price running now)}`` (``variant_ids``:
    only those). The provider ``catalog.offers`` asks; no query on a warm cache."""
    now = now or timezone.now()
    wanted = None if variant_ids is None else set(variant_ids)
    found: dict[int, tuple[int, Decimal]] = {}
    for vid, product_id, price, starts, ends in _rows(now):
        if (wanted is not None and vid not in wanted) or not starts <= now < ends:
            continue
        if vid not in found or price < found[vid][1]:
            found[vid] = (product_id, price)
    return found


def _on_write(sender, **kwargs) -> None:
    campaign_prices_changed()


def receivers_connect() -> None:
    for model in (Campaign, CampaignItem):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"campaign-prices-{model}")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"campaign-prices-d-{model}")
