"""Campaign attribution: the code a buyer arrived with (``?c=CODE``) is kept on the server
(``BuyerTouch`` for a signed-in buyer, the session before that), and copied onto the order
when it is placed (``OrderAttribution``: first and last touch)."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import IntegrityError, transaction

from catalog.cache import invalidate_products
from catalog.models import Variant
from storefront.db import CompiledRead

from ..constants import SESSION_FIRST, SESSION_LAST
from ..models import BuyerTouch, Campaign, CampaignItem, OrderAttribution
from ..selectors import campaigns_running

logger = logging.getLogger(__name__)

#: ``False`` in the shared cache: this buyer has no touch row (checkout skips the read).
#: Set only by ``cache.add`` after a read found none; a touch sets ``True`` BEFORE it
#: writes the row, so a ``False`` added from a read older than the touch loses to it
#: (``add`` never overwrites); consuming the touch deletes the marker (unknown: the
#: next checkout reads). Lost or unreachable cache: the row is read, as before.
TOUCH_KEY = "marketing:touch:{}"
NO_TOUCH_TIMEOUT = 24 * 3600


def _touch_marker_set(user_id: int) -> None:
    try:
        cache.set(TOUCH_KEY.format(user_id), True, timeout=None)
    except Exception:
        # An unreachable cache answers no ``False`` either (checkout reads the row).
        logger.warning("campaign touch marker not set: cache unavailable", exc_info=True)


def _touch_known_absent(user_id: int) -> bool:
    try:
        return cache.get(TOUCH_KEY.format(user_id)) is False
    except Exception:
        return False


def _touch_absent_note(user_id: int) -> None:
    try:
        cache.add(TOUCH_KEY.format(user_id), False, timeout=NO_TOUCH_TIMEOUT)
    except Exception:
        logger.warning("campaign touch absence not cached", exc_info=True)


def _touch_marker_clear(user_id: int) -> None:
    try:
        cache.delete(TOUCH_KEY.format(user_id))
    except Exception:
        logger.warning("campaign touch marker not cleared", exc_info=True)


def campaign_running(code: object) -> Campaign | None:
    if not isinstance(code, str) or not code or len(code) > 40:
        return None
    return campaigns_running().filter(code__iexact=code).first()


def touch_record(*, user, campaign: Campaign) -> None:
    """Note that ``user`` arrived through ``campaign``: the first touch stays, the last
    moves. One row per buyer (a concurrent first insert falls back to the update)."""
    _touch_marker_set(user.pk)
    updated = BuyerTouch.objects.filter(user=user).update(last_campaign=campaign)
    if updated:
        return
    try:
        with transaction.atomic():
            BuyerTouch.objects.create(user=user, first_campaign=campaign, last_campaign=campaign)
    except IntegrityError:
        BuyerTouch.objects.filter(user=user).update(last_campaign=campaign)


def touch_from_session(*, user, session) -> None:
    """Move a visitor's campaign codes from the session to the signed-in buyer's row."""
    first, last = session.get(SESSION_FIRST), session.get(SESSION_LAST)
    if not last:
        return
    _touch_marker_set(user.pk)
    for code in (first, last):
        campaign = Campaign.objects.filter(code__iexact=code).first() if code else None
        if campaign is not None:
            if code == first and not BuyerTouch.objects.filter(user=user).exists():
                BuyerTouch.objects.create(
                    user=user, first_campaign=campaign, last_campaign=campaign
                )
            else:
                touch_record(user=user, campaign=campaign)
    session.pop(SESSION_FIRST, None)
    session.pop(SESSION_LAST, None)


def touch_session(*, session, campaign: Campaign) -> None:
    if not session.get(SESSION_FIRST):
        session[SESSION_FIRST] = campaign.code
    session[SESSION_LAST] = campaign.code


# Read in every first checkout of a buyer: compiled once per connection.
_touch_of = CompiledRead(
    lambda user_id: (
        BuyerTouch.objects.filter(user_id=user_id)
        .select_related("last_campaign")
        .order_by("pk")[:1]
    )
)


def attribution_write(order) -> OrderAttribution | None:
    """Copy the buyer's touches onto ``order`` and start afresh for the next order.
    Precondition: inside the placement transaction (a plan hook). No query for a buyer
    known to have no touch (``TOUCH_KEY``)."""
    if _touch_known_absent(order.user_id):
        return None
    touch = next(iter(_touch_of(user_id=order.user_id)), None)
    if touch is None:
        _touch_absent_note(order.user_id)
        return None
    row = OrderAttribution.objects.create(
        order=order, first_campaign_id=touch.first_campaign_id, last_campaign=touch.last_campaign
    )
    BuyerTouch.objects.filter(pk=touch.pk).delete()
    _touch_marker_clear(order.user_id)
    return row


def campaign_prices_changed(*, variant_ids) -> None:
    """Featured variants were added, removed or repriced, or their campaign's dates
    moved: the catalogue's cached pages of their products are rebuilt once this
    transaction commits (``catalog.cache.invalidate_products``), and no other page."""
    ids = list(variant_ids)
    if ids:
        invalidate_products(
            Variant.objects.filter(pk__in=ids).values_list("product_id", flat=True).distinct()
        )


def _on_item_write(sender, instance, **kwargs) -> None:
    campaign_prices_changed(variant_ids=[instance.variant_id])


def _on_campaign_write(sender, instance, created=False, **kwargs) -> None:
    if not created:  # a new campaign has no items yet; theirs are seen as they are saved
        campaign_prices_changed(
            variant_ids=CampaignItem.objects.filter(campaign=instance).values_list(
                "variant_id", flat=True
            )
        )


def connect_cache_receivers() -> None:
    """Whatever writes campaigns and their items (the admin, a data fix) orphans the
    cached catalogue pages of the products they feature (``MarketingConfig.ready``)."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_item_write, sender=CampaignItem, dispatch_uid="mkt-cache-item")
    post_delete.connect(_on_item_write, sender=CampaignItem, dispatch_uid="mkt-cache-item-del")
    post_save.connect(_on_campaign_write, sender=Campaign, dispatch_uid="mkt-cache-campaign")
