"""Every fulfilment write: creating shipments for a paid order, moving them along
``pending → packed → shipped → delivered`` (or ``cancelled``), carrier notifications,
and the e-mails and packing slips of the pipeline.

Locking rule (so concurrent callers cannot deadlock): lock the **order** row first,
then its shipments in pk order. The order status follows its shipments here, in one
place: ``paid → shipped`` when every live shipment has shipped, ``shipped →
delivered`` when every one has arrived (completion, which also releases the ledger,
is the lifecycle's ``order_complete``).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from catalog import news as catalog_news
from catalog.models import Batch
from catalog.selectors import user_managed_cooperative_ids
from notifications.constants import NotificationKind
from notifications.services import notify_in_flow
from orders import services as order_services
from orders.constants import OrderStatus
from orders.exceptions import OrderInvalidState
from orders.models import Order
from storefront import metrics
from storefront.queue import send_on_commit

from .constants import (
    AWAITING_HANDOVER,
    CARRIER_EVENT_RANK,
    FORWARD_RANK,
    LEFT_COOPERATIVE,
    TRANSITIONS,
    CarrierEventStatus,
    DeliveredBy,
    ShipmentStatus,
)
from .exceptions import (
    DuplicateTrackingNumber,
    ShipmentInvalidState,
    ShipmentNotFound,
    TrackingNumberRequired,
    UnknownCarrier,
    UnknownTrackingNumber,
)
from .holds import orders_not_held
from .models import (
    Carrier,
    CarrierEvent,
    Shipment,
    ShipmentLine,
    TrackingEvent,
    packing_slip_path,
)

logger = logging.getLogger(__name__)

TRACKING_NUMBER_RE = re.compile(r"^[A-Za-z0-9-]{6,40}$")
LIVE = (*AWAITING_HANDOVER, ShipmentStatus.SHIPPED)


# --------------------------------------------------------------------- helpers


def _lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def _lock_shipments(order_id: int) -> list[Shipment]:
    return list(Shipment.objects.select_for_update().filter(order_id=order_id).order_by("pk"))


def _can_act(actor: Any, cooperative_id: int) -> bool:
    """None is the system (tasks, carrier notifications); a person must manage the cooperative."""
    if actor is None or getattr(actor, "is_platform", False):
        return True
    return cooperative_id in user_managed_cooperative_ids(actor)


def _lock_for_actor(shipment_id: int, actor: Any) -> tuple[Order, Shipment]:
    """Lock order then shipment; another cooperative's shipment is "not found", never 403."""
    found = Shipment.objects.filter(pk=shipment_id).values("order_id", "cooperative_id").first()
    if found is None or not _can_act(actor, found["cooperative_id"]):
        raise ShipmentNotFound(details={"shipment": shipment_id})
    order = _lock_order(found["order_id"])
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    return order, shipment


def _add_event(shipment: Shipment, status: str, note: str = "", *, at: datetime | None = None):
    return TrackingEvent.objects.create(
        shipment=shipment, status=status, note=note[:255], at=at or timezone.now()
    )


_STAMP = {
    ShipmentStatus.PACKED: "packed_at",
    ShipmentStatus.SHIPPED: "shipped_at",
    ShipmentStatus.DELIVERED: "delivered_at",
    ShipmentStatus.CANCELLED: "cancelled_at",
}


def _move(
    shipment: Shipment, to: str, *, note: str = "", at: datetime | None = None, extra=()
) -> None:
    """One checked step of the shipment state machine, with its tracking event.

    Precondition: ``shipment`` is locked (and its order before it).
    """
    if to not in TRANSITIONS[shipment.status]:
        raise ShipmentInvalidState(
            details={"shipment": shipment.pk, "status": shipment.status, "to": str(to)}
        )
    shipment.status = to
    when = at or timezone.now()
    setattr(shipment, _STAMP[to], when)
    shipment.save(update_fields=["status", _STAMP[to], "updated", *extra])
    _add_event(shipment, to, note, at=when)


def _follow_shipments(order: Order, shipments: list[Shipment]) -> None:
    """Move the order along once every live shipment has reached the next step."""
    live = [s for s in shipments if s.status != ShipmentStatus.CANCELLED]
    if not live:
        return
    if order.status == OrderStatus.PAID and all(
        FORWARD_RANK[s.status] >= FORWARD_RANK[ShipmentStatus.SHIPPED] for s in live
    ):
        order_services.order_mark_shipped(order=order, note="all shipments shipped")
    if order.status == OrderStatus.SHIPPED and all(
        s.status == ShipmentStatus.DELIVERED for s in live
    ):
        order_services.order_mark_delivered(order=order, note="all shipments delivered")


def _enqueue_pipeline(shipment: Shipment) -> None:
    from . import tasks

    if shipment.managers_notified_at is None:
        send_on_commit(tasks.shipment_notify_managers_task, shipment.pk)
    if not shipment.packing_slip:
        send_on_commit(tasks.shipment_render_packing_slip_task, shipment.pk)


def _latest_batches(product_ids: set[int]) -> dict[int, int]:
    """product id -> its most recent batch (latest harvest, then latest recorded).

    Order lines do not record a batch: a shipment packs from current stock, so the
    product's most recent batch is what goes in the bag and what the slip's QR shows.
    """
    latest: dict[int, int] = {}
    rows = (
        Batch.objects.filter(product_id__in=product_ids)
        .order_by("product_id", "-harvested_on", "-created", "-id")
        .values_list("product_id", "id")
    )
    for product_id, batch_id in rows:
        latest.setdefault(product_id, batch_id)
    return latest


# ------------------------------------------------------------------- creation


@transaction.atomic
def shipments_create_for_order(*, order_id: int) -> list[Shipment]:
    """Split a paid order into one shipment per cooperative, holding that cooperative's lines.

    Idempotent: shipments that exist are kept, so a second run creates nothing. Returns
    all the order's shipments. An order that left ``paid`` before this ran (cancelled
    and being refunded) gets no new shipments. The next steps of the pipeline (notify the
    managers, render the slips) are sent on commit for shipments that still need them.
    """
    order = _lock_order(order_id)
    if order.status == OrderStatus.PENDING_PAYMENT:
        raise OrderInvalidState(
            "An unpaid order has nothing to ship.",
            details={"status": order.status, "number": order.number},
        )
    shipments = {s.cooperative_id: s for s in _lock_shipments(order.pk)}
    if (
        order.status == OrderStatus.PAID
        and not orders_not_held(Order.objects.filter(pk=order.pk)).exists()
    ):
        return list(shipments.values())  # held by a feature (a team, a pre-sale)
    if order.status == OrderStatus.PAID:
        lines = list(order.lines.select_related("variant__product").order_by("pk"))
        by_coop: dict[int, list] = defaultdict(list)
        for line in lines:
            by_coop[line.cooperative_id].append(line)
        missing = sorted(set(by_coop) - set(shipments))
        if missing:
            batches = _latest_batches(
                {line.variant.product_id for line in lines if line.variant is not None}
            )
            for coop_id in missing:
                shipment = Shipment.objects.create(order=order, cooperative_id=coop_id)
                ShipmentLine.objects.bulk_create(
                    ShipmentLine(
                        shipment=shipment,
                        order_line=line,
                        batch_id=batches.get(line.variant.product_id) if line.variant else None,
                    )
                    for line in by_coop[coop_id]
                )
                _add_event(
                    shipment,
                    ShipmentStatus.PENDING,
                    gettext_noop("order paid; waiting to be packed"),
                )
                shipments[coop_id] = shipment
                metrics.incr("shipments_created")
                _tell_managers_to_pack(order, coop_id, by_coop[coop_id])
                _tell_farmers_sold(order, by_coop[coop_id])
    result = [shipments[k] for k in sorted(shipments)]
    for shipment in result:
        if shipment.status in LIVE:
            _enqueue_pipeline(shipment)
    return result


def _tell_managers_to_pack(order: Order, cooperative_id: int, lines: list) -> None:
    """The in-app "to pack" notice for each manager (their e-mail is the pipeline's,
    ``shipment_notify_managers``), once per order and cooperative."""
    items = ", ".join(f"{line.title} × {line.quantity}" for line in lines)
    for user_id in catalog_news.manager_ids(cooperative_id):
        notify_in_flow(
            user_id=user_id,
            kind=NotificationKind.TO_PACK,
            event_key=f"order:{order.number}:to-pack:{cooperative_id}",
            context={"number": order.number, "items": items[:500]},
        )


def _tell_farmers_sold(order: Order, lines: list) -> None:
    """Each producing farmer hears what of theirs the order bought, once per order."""
    by_farmer: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        farmer_id = line.variant.product.farmer_id if line.variant else None
        if farmer_id:
            by_farmer[farmer_id].append(f"{line.title} × {line.quantity}")
    for farmer_id, items in sorted(by_farmer.items()):
        notify_in_flow(
            user_id=farmer_id,
            kind=NotificationKind.SOLD,
            event_key=f"order:{order.number}:sold",
            context={"number": order.number, "items": ", ".join(items)[:500]},
        )


# ---------------------------------------------------------------- transitions


@transaction.atomic
def shipment_mark_packed(*, shipment_id: int, actor: Any = None, note: str = "") -> Shipment:
    """pending → packed. ``actor`` must manage the shipment's cooperative (None: the system)."""
    _order, shipment = _lock_for_actor(shipment_id, actor)
    _move(shipment, ShipmentStatus.PACKED, note=note or gettext_noop("packed"))
    return shipment


def _clean_tracking(carrier: str | Carrier | None, tracking_number: str | None) -> tuple:
    number = (tracking_number or "").strip().upper()
    if not number:
        raise TrackingNumberRequired(details={"tracking_number": ["This field is required."]})
    if not TRACKING_NUMBER_RE.match(number):
        raise TrackingNumberRequired(
            "A tracking number is 6 to 40 letters, digits or dashes.",
            details={"tracking_number": ["6 to 40 letters, digits or dashes."]},
        )
    if isinstance(carrier, Carrier):
        carrier_obj = carrier if carrier.is_active else None
    else:
        code = (carrier or "").strip().lower()
        carrier_obj = Carrier.objects.filter(code=code, is_active=True).first() if code else None
    if carrier_obj is None:
        raise UnknownCarrier(
            details={"carrier": [f"Unknown carrier {getattr(carrier, 'code', carrier)!r}."]}
        )
    return carrier_obj, number


@transaction.atomic
def shipment_mark_shipped(
    *, shipment_id: int, carrier: str | Carrier, tracking_number: str, actor: Any = None
) -> Shipment:
    """pending/packed → shipped with a carrier and its tracking number; tells the buyer
    (in-app, and by e-mail / text message on commit: ``_tell_buyer_shipped``).

    A pending shipment is recorded as packed first (the cooperative packed and handed it
    over in one go). When every shipment of the order has shipped, the order is ``shipped``.
    """
    carrier_obj, number = _clean_tracking(carrier, tracking_number)
    order, shipment = _lock_for_actor(shipment_id, actor)
    if shipment.status not in AWAITING_HANDOVER:
        raise ShipmentInvalidState(details={"shipment": shipment.pk, "status": shipment.status})
    taken = Shipment.objects.filter(carrier=carrier_obj, tracking_number=number).exclude(
        pk=shipment.pk
    )
    if taken.exists():
        raise DuplicateTrackingNumber(details={"tracking_number": [number]})
    if shipment.status == ShipmentStatus.PENDING:
        _move(shipment, ShipmentStatus.PACKED, note=gettext_noop("packed"))
    shipment.carrier = carrier_obj
    shipment.tracking_number = number
    _move(
        shipment,
        ShipmentStatus.SHIPPED,
        note=f"{carrier_obj.name} {number}",
        extra=("carrier", "tracking_number"),
    )
    _follow_shipments(order, _lock_shipments(order.pk))
    _tell_buyer_shipped(order, shipment)
    return shipment


def _deliver(order: Order, shipment: Shipment, *, by: str, at=None, note: str = "") -> None:
    # Store the English msgid, not the label in whatever language this request speaks:
    # each reader sees it in their own language (see TrackingEventSerializer, templates).
    with translation.override(None):
        label = str(DeliveredBy(by).label) if by in DeliveredBy.values else by
    _move(shipment, ShipmentStatus.DELIVERED, note=note or label, at=at)
    metrics.incr(f"shipments_delivered:{by}")


@transaction.atomic
def shipment_mark_delivered(
    *, shipment_id: int, by: str = DeliveredBy.COOPERATIVE, actor: Any = None, note: str = ""
) -> Shipment:
    """shipped → delivered; the order becomes ``delivered`` when all its shipments are."""
    order, shipment = _lock_for_actor(shipment_id, actor)
    _deliver(order, shipment, by=by, note=note)
    _follow_shipments(order, _lock_shipments(order.pk))
    return shipment


@transaction.atomic
def shipments_mark_delivered_for_order(*, order: Order | int, by: str = DeliveredBy.BUYER) -> int:
    """The buyer confirms receipt: every shipped shipment is delivered, and so is the order.

    Raises ``invalid_state`` unless the order is ``shipped``. Returns how many shipments
    this delivered.
    """
    order_id = order if isinstance(order, int) else order.pk
    locked = _lock_order(order_id)
    if locked.status != OrderStatus.SHIPPED:
        raise OrderInvalidState(details={"status": locked.status, "number": locked.number})
    count = 0
    for shipment in _lock_shipments(locked.pk):
        if shipment.status == ShipmentStatus.SHIPPED:
            _deliver(locked, shipment, by=by)
            count += 1
    # The order is "shipped" only once every live shipment shipped, so all have arrived now.
    order_services.order_mark_delivered(order=locked, note=f"receipt confirmed ({by})")
    if not isinstance(order, int):
        order.status, order.delivered_at = locked.status, locked.delivered_at
    return count


def shipments_left_cooperative(*, order: Order | int) -> list[int]:
    """Ids of the order's shipments that have left their cooperative (shipped or later)."""
    order_id = order if isinstance(order, int) else order.pk
    return list(
        Shipment.objects.filter(order_id=order_id, status__in=LEFT_COOPERATIVE).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def shipments_cancel_for_order(*, order: Order | int, note: str = "order cancelled") -> int:
    """Cancel the order's shipments that have not shipped; returns how many were cancelled.

    Raises ``invalid_state`` (and cancels nothing) if any shipment has already shipped.
    Called by the lifecycle's ``order_cancel`` for a paid order, inside its transaction.
    """
    order_id = order if isinstance(order, int) else order.pk
    _lock_order(order_id)
    shipments = _lock_shipments(order_id)
    gone = [s.pk for s in shipments if s.status in LEFT_COOPERATIVE]
    if gone:
        raise ShipmentInvalidState(
            "A shipped order cannot be cancelled.", details={"shipments": gone}
        )
    count = 0
    for shipment in shipments:
        if shipment.status in AWAITING_HANDOVER:
            _move(shipment, ShipmentStatus.CANCELLED, note=note)
            count += 1
    return count


# ------------------------------------------------------------ beat-driven steps


def shipments_auto_deliver_due(*, now: datetime | None = None) -> int:
    """Deliver shipments shipped more than ``AUTO_DELIVER_DAYS`` ago (one transaction each)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUTO_DELIVER_DAYS)
    ids = list(
        Shipment.objects.filter(status=ShipmentStatus.SHIPPED, shipped_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    done = 0
    for shipment_id in ids:
        try:
            shipment_mark_delivered(shipment_id=shipment_id, by=DeliveredBy.AUTO)
            done += 1
        except ShipmentInvalidState:
            pass  # delivered by someone else between the query and the lock
    return done


# ------------------------------------------------------- carrier notifications


@transaction.atomic
def carrier_event_apply(
    *,
    carrier_code: str,
    event_id: str,
    tracking_number: str,
    status: str,
    at: datetime | None = None,
    note: str = "",
    payload: dict | None = None,
) -> tuple[CarrierEvent, bool]:
    """Record a (signature-checked) carrier notification and move the shipment forward.

    Idempotent per (carrier, event id): a replay returns the stored event and ``False``.
    An unknown tracking number is ``unknown_tracking_number`` (404); a report that would
    move the shipment backwards is ``invalid_state`` (409); both store nothing.
    """
    carrier = Carrier.objects.filter(code=carrier_code).first()
    if carrier is None:
        raise UnknownCarrier(details={"carrier": [carrier_code]})
    if status not in CARRIER_EVENT_RANK:
        raise ShipmentInvalidState(f"Unknown carrier status {status!r}.")
    number = (tracking_number or "").strip().upper()
    found = (
        Shipment.objects.filter(carrier=carrier, tracking_number=number)
        .values_list("pk", "order_id")
        .first()
    )
    if found is None:
        raise UnknownTrackingNumber(details={"tracking_number": number})
    shipment_id, order_id = found
    order = _lock_order(order_id)
    existing = CarrierEvent.objects.filter(carrier=carrier, event_id=event_id).first()
    if existing is not None:
        return existing, False
    shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
    current = FORWARD_RANK.get(shipment.status)
    if current is None or CARRIER_EVENT_RANK[status] < current:
        raise ShipmentInvalidState(
            "The notification would move the shipment backwards.",
            details={"status": shipment.status, "reported": status},
        )
    try:
        with transaction.atomic():
            event = CarrierEvent.objects.create(
                carrier=carrier,
                event_id=event_id,
                tracking_number=number,
                status=status,
                shipment=shipment,
                payload=payload or {},
            )
    except IntegrityError:  # the same event stored by a concurrent request
        return CarrierEvent.objects.get(carrier=carrier, event_id=event_id), False
    if status == CarrierEventStatus.DELIVERED and shipment.status == ShipmentStatus.SHIPPED:
        _deliver(order, shipment, by=DeliveredBy.CARRIER, at=at, note=note)
        _follow_shipments(order, _lock_shipments(order.pk))
    else:
        # Same step again (picked up, in transit): a tracking event, no status change.
        _add_event(shipment, status, note or CarrierEventStatus(status).label, at=at)
    return event, True


# ------------------------------------------------------ pipeline side effects


def shipment_notify_managers(*, shipment_id: int) -> int:
    """E-mail the cooperative's managers about a new shipment to pack, once.

    Returns the number of e-mails sent (0 when already notified or nobody has an address).
    The row lock keeps two workers from sending it twice; a failure raises for the task
    to retry, leaving the shipment un-notified.
    """
    from .notifications import send_new_shipment_to_managers

    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
        if shipment is None or shipment.managers_notified_at is not None:
            return 0
        if shipment.status == ShipmentStatus.CANCELLED:
            return 0
        sent = send_new_shipment_to_managers(shipment)
        shipment.managers_notified_at = timezone.now()
        shipment.save(update_fields=["managers_notified_at"])
    return sent


def _tell_buyer_shipped(order: Order, shipment: Shipment) -> None:
    """The buyer's "on its way" notice for one parcel, with its carrier, tracking number
    and tracking link, once per shipment (its ``event_key``; ``buyer_notified_at`` records
    it). Precondition: the shipment is locked in the current transaction."""
    if shipment.buyer_notified_at is not None:
        return
    notify_in_flow(
        user_id=order.user_id,
        kind=NotificationKind.ORDER_SHIPPED,
        event_key=f"order:{order.number}:shipped:{shipment.pk}",
        context={
            "number": order.number,
            "carrier": shipment.carrier.name,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
        },
    )
    shipment.buyer_notified_at = timezone.now()
    shipment.save(update_fields=["buyer_notified_at"])


def shipment_notify_buyer_shipped(*, shipment_id: int) -> bool:
    """Tell the buyer a shipped parcel is on its way, unless they were told already.
    ``shipment_mark_shipped`` tells them itself; this serves the tasks queued before it
    did (and a person re-running it). Returns whether a notice was recorded now."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return False
    with transaction.atomic():
        order = _lock_order(order_id)  # the locking rule: the order first
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if shipment.buyer_notified_at is not None or shipment.carrier_id is None:
            return False
        if FORWARD_RANK.get(shipment.status, -1) < FORWARD_RANK[ShipmentStatus.SHIPPED]:
            return False
        _tell_buyer_shipped(order, shipment)
    return True


def shipment_slips_outdated(*, order_line_id: int) -> int:
    """The packing slips of the parcels holding this line are out of date (the line was
    weighed): forget them, so the next look renders them again. Returns how many."""
    return Shipment.objects.filter(lines__order_line_id=order_line_id).update(packing_slip="")


def shipment_render_packing_slip(*, shipment_id: int, force: bool = False) -> bool:
    """Render and store the shipment's packing slip PDF (once, unless ``force``)."""
    from .slips import render_packing_slip

    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
        if shipment is None or (shipment.packing_slip and not force):
            return False
        pdf = render_packing_slip(shipment)
        storage = shipment.packing_slip.storage
        # A worker killed after writing the file but before committing leaves it behind:
        # overwrite it rather than letting the storage pick "name_x7Gh2.pdf".
        for name in {shipment.packing_slip.name, packing_slip_path(shipment, "slip.pdf")}:
            if name and storage.exists(name):
                storage.delete(name)
        shipment.packing_slip.save("slip.pdf", ContentFile(pdf), save=False)
        shipment.save(update_fields=["packing_slip", "updated"])
    return True
