"""Offer prices: the price a buyer actually pays for a variant while a feature above the
catalogue (a running marketing campaign) offers it for less than its list price.

The feature registers one *provider* (``offers_provider_register``, from its
``AppConfig.ready``): ``provider(variant_ids or None) -> {variant_id: (product_id,
price)}``, the lowest offer running now. The rule of when an offer applies lives here,
once (``offer_price``): the order's pricing (``orders.services.pricing``) uses it on the
rows the placement locks, and the pages (product page, product cards, cart, checkout)
use it on the rows they show, so a page shows what checkout charges."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from .models import Variant

Provider = Callable[[Iterable[int] | None], dict[int, tuple[int, Decimal]]]

_providers: list[Provider] = []


def offers_provider_register(provider: Provider) -> Provider:
    """Register ``provider`` (registering twice keeps one); returns it."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def offer_price(list_price: Decimal, offer: Decimal | None) -> Decimal | None:
    """THE rule: an offer applies when it is below the list price (a campaign price at
    or above it is ignored: nobody pays more than the list price). ``None``: no offer."""
    if offer is None or offer >= list_price:
        return None
    return offer


def offers_running(variant_ids: Iterable[int] | None = None) -> dict[int, tuple[int, Decimal]]:
    """``{variant_id: (product_id, lowest offer running now)}`` (``variant_ids``: only
    those; ``None``: all). Not yet compared with list prices: see ``offer_price``."""
    ids = None if variant_ids is None else list(variant_ids)
    found: dict[int, tuple[int, Decimal]] = {}
    for provider in _providers:
        for vid, (product_id, price) in provider(ids).items():
            if vid not in found or price < found[vid][1]:
                found[vid] = (product_id, price)
    return found


def offer_prices(variant_ids: Iterable[int]) -> dict[int, Decimal]:
    """``{variant_id: lowest offer running now}`` for checkout's plan (the placement
    compares each with the list price it locks, through ``offer_price``)."""
    return {vid: price for vid, (_pid, price) in offers_running(variant_ids).items()}


def variant_offer_prices(variants: Iterable[Variant]) -> dict[int, Decimal]:
    """``{variant_id: the price paid now}`` for the shown variants whose offer applies
    (their ``price`` is the list price). No query once the provider's cache is warm."""
    variants = list(variants)
    running = offers_running(v.pk for v in variants)
    prices = {}
    for v in variants:
        price = offer_price(v.price, running.get(v.pk, (None, None))[1])
        if price is not None:
            prices[v.pk] = price
    return prices


def products_offer_from(products: Iterable) -> None:
    """Set ``offer_from`` on each listed product (a ``price_from`` row of the product
    list): its lowest price paid now when an offer makes it lower than ``price_from``,
    else ``None``. One query when an offer touches the listed products, none otherwise."""
    products = list(products)
    for p in products:
        p.offer_from = None
    by_pk = {p.pk: p for p in products}
    running = offers_running()
    offered = {vid: price for vid, (pid, price) in running.items() if pid in by_pk}
    if not offered:
        return
    rows = Variant.objects.filter(pk__in=list(offered), is_active=True).values_list(
        "pk", "product_id", "price"
    )
    for vid, product_id, list_price in rows:
        price = offer_price(list_price, offered[vid])
        p = by_pk[product_id]
        if price is None or p.price_from is None or price >= p.price_from:
            continue
        if p.offer_from is None or price < p.offer_from:
            p.offer_from = price
