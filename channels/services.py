"""The offline channel's own rules: who may sell where, the pickup code, the handover,
the station's commission. Cross-app flows (placing, paying, notifying) are in
``lifecycle.services.channels``; they call these."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from orders.models import Order, OrderShipping
from storefront.errors import InvalidInput
from storefront.phones import InvalidPhoneNumber, phone_normalize
from storefront.text import clean_line

from .constants import CHANNEL_COUNTER, PICKUP_CODE_DIGITS, PlaceKind
from .exceptions import (
    AlreadyCollected,
    CashNotClosed,
    NotAnAgent,
    NotAPickupPoint,
    NotAStoreManager,
    NotReadyForPickup,
    PlaceNotFound,
    UnknownStation,
    WrongPickupCode,
)
from .models import CashEntryKind, ChannelOrder, Place, StoreCashEntry


def place_for_agent(*, slug: str, user: User, kind: str | None = None) -> Place:
    """The active place ``slug`` if ``user`` is one of its agents (404 / 403 otherwise)."""
    place = Place.objects.filter(slug=slug, active=True).select_related("county").first()
    if place is None or (kind is not None and place.kind != kind):
        raise PlaceNotFound(details={"place": slug})
    if not place.agents.filter(pk=user.pk).exists():
        raise NotAnAgent(details={"place": slug})
    return place


def pickup_station_for_buyer(slug) -> Place:
    """The station a buyer names as ``pickup_station``: an active village station that is
    a pickup point. 400 ``unknown_station`` for anything else (a wrong type included),
    400 ``not_a_pickup_point`` for a station that does not receive parcels."""
    if not isinstance(slug, str) or not slug.strip() or len(slug) > 60:
        raise UnknownStation(details={"pickup_station": ["A station's slug (GET stations/)."]})
    place = (
        Place.objects.filter(slug=slug.strip(), active=True, kind=PlaceKind.STATION)
        .select_related("county")
        .first()
    )
    if place is None:
        raise UnknownStation(details={"pickup_station": [f"No open station {slug[:60]!r}."]})
    if not place.is_pickup_point:
        raise NotAPickupPoint(details={"pickup_station": [slug]})
    return place


def villager_clean(*, name: str, phone: str) -> tuple[str, str]:
    """The walk-in villager's name (required) and phone (E.164; required)."""
    errors: dict[str, list[str]] = {}
    name = clean_line(name or "")[:50]
    if not name:
        errors["name"] = ["Enter the villager's name."]
    try:
        phone = phone_normalize(phone or "")
    except InvalidPhoneNumber:
        errors["phone"] = ["Enter a phone number like 13800138000."]
    if errors:
        raise InvalidInput(details=errors)
    return name, phone


def station_address(place: Place, *, name: str, phone: str) -> dict[str, str]:
    """Delivery to the station instead of a home address, in the villager's name."""
    local = phone[3:] if phone.startswith("+86") else phone
    if not local.startswith("1"):
        local = "0" + local  # a landline keeps its trunk prefix for the address rules
    return {"name": name, "phone": local, **place.address_fields()}


def _pickup_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))


def channel_order_hook(
    *, place: Place, agent: User | None, villager_name: str = "", phone: str = ""
):
    """A ``PlacementPlan`` hook that records the order as placed at ``place`` (with a
    pickup code unique among the place's uncollected orders when it is a pickup point;
    a counter sale is handed over at once and pays no shipping). ``agent=None``: the
    buyer's own order to collect at the station (``villager_*`` is the buyer's contact).
    Database writes only; the row is left in the order's cache (rendering it costs no
    query)."""

    def hook(order: Order, priced) -> None:
        if place.kind == PlaceKind.STORE or order.channel == CHANNEL_COUNTER:
            _no_shipping(order, priced)
        for _attempt in range(20):
            pickup = place.is_pickup_point and order.channel != CHANNEL_COUNTER
            code = _pickup_code() if pickup else ""
            try:
                with transaction.atomic():
                    row = ChannelOrder.objects.create(
                        order=order,
                        place=place,
                        agent=agent,
                        villager_name=villager_name,
                        villager_phone=phone,
                        pickup_code=code,
                    )
                order._state.fields_cache["channel_order"] = row
                return
            except IntegrityError:
                continue
        raise RuntimeError("no free pickup code")  # pragma: no cover

    return hook


def _no_shipping(order: Order, priced) -> None:
    """Goods handed over the counter: no shipping fee (the order row and its parts)."""
    if not order.shipping_fee:
        return
    OrderShipping.objects.filter(order=order).update(fee=Decimal("0.00"))
    for part in priced.shipping:
        part.fee = Decimal("0.00")
    order.total = order.total - order.shipping_fee
    order.shipping_fee = Decimal("0.00")
    Order.objects.filter(pk=order.pk).update(shipping_fee=order.shipping_fee, total=order.total)


def channel_order_mark_ready(*, channel_order_id: int, agent: User) -> tuple[ChannelOrder, bool]:
    """The parcel reached the station (scanned in by its agent): ready for pickup.
    Returns ``(row, changed)``; a second scan changes nothing. Precondition: inside the
    caller's transaction."""
    row = (
        ChannelOrder.objects.select_for_update()
        .select_related("place", "order")
        .get(pk=channel_order_id)
    )
    if not row.place.agents.filter(pk=agent.pk).exists():
        raise NotAnAgent(details={"place": row.place.slug})
    if not row.place.is_pickup_point:
        raise NotAPickupPoint(details={"place": row.place.slug})
    if row.ready_at is not None:
        return row, False
    row.ready_at = timezone.now()
    row.save(update_fields=["ready_at"])
    return row, True


def pickup_collect(*, place: Place, code: str, agent: User) -> ChannelOrder:
    """The villager collects with the code: ONE conditional UPDATE (uncollected, at this
    station, arrived), so two pickups with the same code at the same moment give
    exactly one handover; the other gets 409 ``already_collected``."""
    code = (code or "").strip()
    if not (len(code) == PICKUP_CODE_DIGITS and code.isdigit()):
        raise WrongPickupCode(details={"code": ["Six digits."]})
    now = timezone.now()
    with transaction.atomic():
        changed = ChannelOrder.objects.filter(
            place=place, pickup_code=code, collected_at__isnull=True, ready_at__isnull=False
        ).update(collected_at=now, collected_by=agent)
        if changed:
            return ChannelOrder.objects.select_related("order").get(
                place=place, pickup_code=code, collected_at=now
            )
    waiting = ChannelOrder.objects.filter(place=place, pickup_code=code)
    if waiting.filter(collected_at__isnull=True, ready_at__isnull=True).exists():
        raise NotReadyForPickup(details={"code": code})
    if waiting.filter(collected_at__isnull=False).exists():
        raise AlreadyCollected(details={"code": code})
    raise WrongPickupCode(details={"code": code})


def uncollected_flag(*, now: datetime | None = None) -> int:
    """Flag to their agents the parcels waiting longer than their place allows; once."""
    now = now or timezone.now()
    flagged = 0
    for place in Place.objects.filter(is_pickup_point=True, active=True):
        flagged += ChannelOrder.objects.filter(
            place=place,
            collected_at__isnull=True,
            flagged_at__isnull=True,
            ready_at__lt=now - timedelta(days=place.pickup_days),
        ).update(flagged_at=now)
    return flagged


def place_for_manager(*, slug: str, user: User) -> Place:
    """The active place ``slug`` if ``user`` is one of its store managers (404 / 403)."""
    place = Place.objects.filter(slug=slug, active=True).first()
    if place is None:
        raise PlaceNotFound(details={"place": slug})
    if not place.managers.filter(pk=user.pk).exists():
        raise NotAStoreManager(details={"place": slug})
    return place


def place_lock(place: Place) -> Place:
    """Lock the place's row: a clerk's cash taken and the close of the clerk's day are
    serialised on it, so a day's closing never misses a payment taken at that moment.
    Precondition: inside the caller's transaction."""
    return Place.objects.select_for_update().get(pk=place.pk)


def cash_day_closed(*, place: Place, clerk: User, day) -> bool:
    return StoreCashEntry.objects.filter(
        place=place, clerk=clerk, day=day, kind=CashEntryKind.TAKEN
    ).exists()


def _cash_entry_once(
    *, place: Place, clerk: User, day, kind: str, amount: Decimal, payments: int, recorded_by
) -> tuple[StoreCashEntry, bool]:
    """The clerk's entry of ``kind`` for ``day`` and whether it was made now: an entry
    exists once per clerk, day and kind (the first one is returned again). Precondition:
    the place is locked in the caller's transaction."""
    existing = StoreCashEntry.objects.filter(place=place, clerk=clerk, day=day, kind=kind).first()
    if existing is not None:
        return existing, False
    entry = StoreCashEntry.objects.create(
        place=place,
        clerk=clerk,
        day=day,
        kind=kind,
        amount=amount,
        payments=payments,
        recorded_by=recorded_by,
    )
    return entry, True


def cash_taken_record(
    *, place: Place, clerk: User, day, amount: Decimal, payments: int
) -> tuple[StoreCashEntry, bool]:
    """The clerk's day closed: the cash taken (``amount``, the sum of the clerk's cash
    payments that day, to the fen) entered as the store's cash to hand over. Once per
    clerk and day: closing again returns the first entry. Precondition: the place is
    locked (``place_lock``) in the caller's transaction, which summed the payments."""
    return _cash_entry_once(
        place=place,
        clerk=clerk,
        day=day,
        kind=CashEntryKind.TAKEN,
        amount=amount.quantize(Decimal("0.01")),
        payments=payments,
        recorded_by=clerk,
    )


def cash_handover_record(
    *, place: Place, clerk: User, day, manager: User
) -> tuple[StoreCashEntry, bool]:
    """The store manager confirms the clerk handed over the day's cash: the negative of
    the closed amount, so the clerk's day balances to zero. Once: confirming again returns
    the first. 409 ``cash_not_closed`` before the clerk closed the day. Precondition:
    ``manager`` is a manager of ``place`` (``place_for_manager``); the place is locked."""
    taken = StoreCashEntry.objects.filter(
        place=place, clerk=clerk, day=day, kind=CashEntryKind.TAKEN
    ).first()
    if taken is None:
        raise CashNotClosed(details={"clerk": clerk.username, "day": str(day)})
    return _cash_entry_once(
        place=place,
        clerk=clerk,
        day=day,
        kind=CashEntryKind.HANDED_OVER,
        amount=-taken.amount,
        payments=taken.payments,
        recorded_by=manager,
    )
