"""Every order write: the cart, placing, cancelling, expiry and each status transition.

Each transition is one function that locks the order row, checks the current
state against ``constants.TRANSITIONS`` and raises ``OrderInvalidState``
(code ``invalid_state``) otherwise — never a silent no-op that changes data.

Stock is taken only by ``order_place`` (a conditional ``UPDATE ... WHERE stock >= n``
per variant, in variant-id order) and given back only by ``stock_release``, which
runs inside the one transition out of ``pending_payment`` that cancels.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from catalog.cache import catalog_changed
from catalog.constants import ProductStatus
from catalog.models import Cooperative, Variant
from regions.selectors import province_code_of
from storefront import metrics
from storefront.db import retry_on_conflict
from storefront.errors import ApplicationError, InvalidInput

from . import validation
from .constants import TRANSITIONS, OrderStatus
from .exceptions import (
    CartItemNotFound,
    IdempotencyConflict,
    InsufficientStock,
    OrderInvalidState,
    VariantUnavailable,
)
from .models import CartItem, Order, OrderEvent, OrderLine, OrderShipping
from .selectors import order_prime_fresh

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")

_TIMESTAMP_FIELD = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def _transition(order: Order | int, to: str, *, note: str = "") -> Order:
    """Lock the order, check ``current -> to`` is allowed, write it and its event.

    Precondition: called inside ``transaction.atomic()``. Returns the locked, updated row.
    """
    order_id = order if isinstance(order, int) else order.pk
    locked = Order.objects.select_for_update().get(pk=order_id)
    _transition_locked(locked, to, note=note)
    if not isinstance(order, int) and order is not locked:
        order.status = locked.status
        stamp = _TIMESTAMP_FIELD.get(to)
        if stamp:
            setattr(order, stamp, getattr(locked, stamp))
    return locked


def _transition_locked(locked: Order, to: str, *, note: str = "") -> Order:
    """``_transition`` for an order row the caller locked in this transaction."""
    if to not in TRANSITIONS[locked.status]:
        raise OrderInvalidState(
            details={"status": locked.status, "to": str(to), "number": locked.number}
        )
    previous = locked.status
    locked.status = to
    fields = ["status", "updated"]
    stamp = _TIMESTAMP_FIELD.get(to)
    if stamp:
        setattr(locked, stamp, timezone.now())
        fields.append(stamp)
    locked.save(update_fields=fields)
    OrderEvent.objects.create(order=locked, from_status=previous, to_status=to, note=note[:255])
    return locked


def order_mark_paid(*, order: Order | int, note: str = "", locked: bool = False) -> Order:
    """pending_payment -> paid. Called by the payments service exactly once per order.

    ``locked=True``: ``order`` is a row the caller selected FOR UPDATE in the current
    transaction (the payment apply does), so it is checked and written as it is, with
    no second lock and no savepoint; the check happens before any write, so a refusal
    leaves nothing to undo."""
    if locked:
        if isinstance(order, int) or not transaction.get_connection().in_atomic_block:
            raise ValueError("locked=True needs the Order row locked in the current transaction")
        return _transition_locked(order, OrderStatus.PAID, note=note)
    with transaction.atomic():
        return _transition(order, OrderStatus.PAID, note=note)


@transaction.atomic
def order_mark_shipped(*, order: Order | int, note: str = "") -> Order:
    """paid -> shipped (when all of its shipments have shipped)."""
    return _transition(order, OrderStatus.SHIPPED, note=note)


@transaction.atomic
def order_mark_delivered(*, order: Order | int, note: str = "") -> Order:
    """shipped -> delivered."""
    return _transition(order, OrderStatus.DELIVERED, note=note)


@transaction.atomic
def order_mark_completed(*, order: Order | int, note: str = "") -> Order:
    """delivered -> completed (after the return window)."""
    return _transition(order, OrderStatus.COMPLETED, note=note)


@transaction.atomic
def order_mark_refunded(*, order: Order | int, note: str = "") -> Order:
    """refund_pending -> refunded (the provider confirmed the refund)."""
    return _transition(order, OrderStatus.REFUNDED, note=note)


# --- cart -------------------------------------------------------------------


def _purchasable_variants(ids) -> dict[int, Variant]:
    """The variants among ``ids`` a buyer may order now, with product and cooperative."""
    return {
        v.pk: v
        for v in Variant.objects.select_related("product__cooperative").filter(
            pk__in=list(ids),
            is_active=True,
            product__status=ProductStatus.ACTIVE,
            product__cooperative__is_active=True,
        )
    }


def _require_purchasable(ids) -> dict[int, Variant]:
    ids = list(ids)
    found = _purchasable_variants(ids)
    missing = [vid for vid in ids if vid not in found]
    if missing:
        raise VariantUnavailable(details={"variants": sorted(missing)})
    return found


def _clean_variant_id(variant_id: Any) -> int:
    if not isinstance(variant_id, int) or isinstance(variant_id, bool) or variant_id < 1:
        raise InvalidInput(details={"variant": ["A variant is given by its numeric id."]})
    return variant_id


@transaction.atomic
def cart_item_add(*, user: User, variant_id: int, quantity: int) -> CartItem:
    """Put ``quantity`` of a variant in the cart; a variant already there gets the quantity
    added (the sum must stay within 1..999). Reserves no stock."""
    variant_id = _clean_variant_id(variant_id)
    quantity = validation.clean_quantity(quantity)
    _require_purchasable([variant_id])
    item = CartItem.objects.select_for_update().filter(user=user, variant_id=variant_id).first()
    if item is None:
        try:
            with transaction.atomic():
                return CartItem.objects.create(user=user, variant_id=variant_id, quantity=quantity)
        except IntegrityError:
            # A double-click raced us to the insert: add to the row it created.
            item = CartItem.objects.select_for_update().get(user=user, variant_id=variant_id)
    total = item.quantity + quantity
    validation.clean_quantity(total)
    item.quantity = total
    item.save(update_fields=["quantity", "updated"])
    return item


@transaction.atomic
def cart_item_update(*, user: User, item_id: int, quantity: int) -> CartItem:
    """Set an item's quantity (1..999). Another user's item is ``CartItemNotFound``."""
    quantity = validation.clean_quantity(quantity)
    item = CartItem.objects.select_for_update().filter(user=user, pk=item_id).first()
    if item is None:
        raise CartItemNotFound(details={"id": item_id})
    item.quantity = quantity
    item.save(update_fields=["quantity", "updated"])
    return item


@transaction.atomic
def cart_item_remove(*, user: User, item_id: int) -> None:
    deleted, _ = CartItem.objects.filter(user=user, pk=item_id).delete()
    if not deleted:
        raise CartItemNotFound(details={"id": item_id})


# --- placing an order -------------------------------------------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def order_number_generate(*, now: datetime | None = None) -> str:
    """``FG`` + yyMMdd + 8 random Crockford base-32 characters (40 bits from ``secrets``):
    readable over the phone, sortable by day, and not guessable from a neighbour's."""
    day = timezone.localtime(now or timezone.now()).strftime("%y%m%d")
    return "FG" + day + "".join(secrets.choice(_CROCKFORD) for _ in range(8))


def request_fingerprint(
    *, lines: dict[int, int] | None, shipping_address: dict[str, str], from_cart: bool
) -> str:
    """sha256 of the canonical JSON of the request as the service understood it
    (merged lines sorted by variant, normalised address), so a retry that differs
    only in whitespace or line order is still "the same body"."""
    body = {
        "from_cart": bool(from_cart),
        "lines": sorted(lines.items()) if lines else None,
        "shipping_address": shipping_address,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def shipping_fee_for(
    *, cooperative: Cooperative, goods_total: Decimal, weight_grams: int, region_code: str = ""
) -> Decimal:
    """One cooperative's rule: base fee + fee per started kilogram, free at or above
    ``free_shipping_over`` (when it is set), plus the cooperative's surcharge for the
    destination's province (remote regions such as Xinjiang or Tibet), which applies
    even to free shipping."""
    surcharge = Decimal(
        cooperative.shipping_region_surcharges.get(province_code_of(region_code), "0")
    )
    free_over = cooperative.free_shipping_over
    if free_over is not None and goods_total >= free_over:
        return surcharge.quantize(CENT)
    started_kg = math.ceil(weight_grams / 1000)
    fee = cooperative.shipping_base_fee + cooperative.shipping_fee_per_kg * started_kg
    return (fee + surcharge).quantize(CENT)


class _KeyTaken(Exception):
    """Another request with the same Idempotency-Key committed its order first."""


class _OrderInsertConflict(Exception):
    """The order row's insert hit a unique index (Idempotency-Key or order number)."""


def _replay(order: Order, fingerprint: str) -> tuple[Order, bool]:
    if order.request_fingerprint != fingerprint:
        raise IdempotencyConflict(details={"number": order.number})
    metrics.incr("order_idempotent_replay")
    return order, False


def _short_of_stock(requested: dict[int, int], variants: dict[int, Variant]) -> list[int]:
    return sorted(vid for vid, quantity in requested.items() if variants[vid].stock < quantity)


def _own_savepoint():
    """A savepoint when the caller already holds a transaction (so a failed statement
    here does not poison it and ``retry_on_conflict`` can try again), else nothing:
    in autocommit mode each read is its own transaction and a BEGIN/COMMIT pair would
    only add two round trips to every request."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


# A deadlock or serialization failure aborts only this try (nothing was kept): try
# again a few times, then answer 503 rather than fail the buyer with a trace.
@retry_on_conflict(attempts=3, name="order_place")
def order_place(
    *,
    user: User,
    shipping_address: dict,
    lines: list[dict] | None = None,
    from_cart: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Order, bool]:
    """Place an order for ``lines`` (``[{"variant": id, "quantity": n}]``) or, with
    ``from_cart=True`` and no lines, for the user's cart (emptied in the same transaction).

    Returns ``(order, created)``. With an ``idempotency_key`` a repeat of the same
    request returns the first order and ``created=False``; the same key with another
    request raises ``IdempotencyConflict``. Raises ``InvalidInput`` (bad lines or
    address), ``VariantUnavailable`` and ``InsufficientStock`` (``details.variants``);
    after any of them nothing was written and no stock was taken.

    A created order comes back with its lines (and its empty payments and shipments)
    already in the prefetch cache, so rendering it costs no query.
    """
    address = validation.clean_address(shipping_address)
    key = validation.clean_idempotency_key(idempotency_key)
    if not isinstance(from_cart, bool):
        raise InvalidInput(details={"from_cart": ["Must be true or false."]})
    if from_cart and lines:
        raise InvalidInput(details={"lines": ["Give lines or from_cart, not both."]})
    requested = None if from_cart else validation.clean_lines(lines)
    fingerprint = request_fingerprint(
        lines=requested, shipping_address=address, from_cart=from_cart
    )

    # Explicit lines are checked before any transaction: most requests of a flash sale
    # are for a sold-out variant, and refusing them from one plain read (outside a
    # transaction, no lock) keeps them off the hot row. The read is only a pre-check:
    # the conditional UPDATE in ``_order_create`` still decides.
    variants = short = None
    with _own_savepoint():
        if requested is not None:
            variants = _require_purchasable(requested)
            short = _short_of_stock(requested, variants)
        if short and key is not None:
            # Looked up AFTER the stock read: if that read already saw the stock an earlier
            # request with this key took, that request had committed, so its order is
            # visible here and the buyer gets the replay, not a 409 for their own units.
            # (When the stock suffices there is no lookup: the order insert below claims
            # the key, and a key already used makes it fail, then the order is replayed.)
            existing = Order.objects.filter(user=user, idempotency_key=key).first()
            if existing is not None:
                return _replay(existing, fingerprint)
    if short:
        raise InsufficientStock(details={"variants": short})

    for _attempt in range(5):
        try:
            order = _order_create(
                user=user,
                address=address,
                requested=requested,
                variants=variants,
                from_cart=from_cart,
                key=key,
                fingerprint=fingerprint,
            )
        except _KeyTaken:
            return _replay(Order.objects.get(user=user, idempotency_key=key), fingerprint)
        except _OrderInsertConflict:
            # The whole transaction rolled back (the order row is its first write).
            # Either a request with the same key committed first, or the random number
            # collided (about 1 in 10^12): then draw another.
            if key is not None:
                existing = Order.objects.filter(user=user, idempotency_key=key).first()
                if existing is not None:
                    return _replay(existing, fingerprint)
            continue
        metrics.incr("order_placed")
        return order, True
    raise RuntimeError("could not draw a free order number")  # pragma: no cover


def _cart_lines(*, user: User) -> tuple[dict[int, int], dict[int, Variant]]:
    """The locked cart as ``{variant_id: quantity}`` with its variants, pre-checked."""
    cart = list(CartItem.objects.select_for_update().filter(user=user).order_by("variant_id"))
    if not cart:
        raise InvalidInput("Your cart is empty.", details={"from_cart": ["The cart is empty."]})
    requested = {item.variant_id: item.quantity for item in cart}
    variants = _require_purchasable(requested)
    short = _short_of_stock(requested, variants)
    if short:
        raise InsufficientStock(details={"variants": short})
    return requested, variants


@transaction.atomic
def _order_create(
    *,
    user: User,
    address: dict[str, str],
    requested: dict[int, int] | None,
    variants: dict[int, Variant] | None,
    from_cart: bool,
    key: str | None,
    fingerprint: str,
) -> Order:
    # Everything is computed before the first write, and the writes are ordered so the
    # contended rows are locked as briefly as possible:
    #   1. the order row, which claims the Idempotency-Key: a concurrent request with the
    #      same key blocks on the unique index here until we commit or roll back, so it
    #      can never take stock (or be refused for the stock we took) for a duplicate;
    #   2. lines, shipping, the event (rows nobody else touches);
    #   3. LAST, the stock: one conditional UPDATE per variant, in id order (two orders
    #      over the same variants lock them in the same order: no deadlock), and the row
    #      lock + WHERE re-check means no unit is ever sold twice. A variant's row lock
    #      is then held only from its UPDATE to the COMMIT.
    # Any refusal raises and the transaction rolls back: nothing is kept.
    now = timezone.now()
    if from_cart:
        try:
            requested, variants = _cart_lines(user=user)
        except ApplicationError:
            # A request with the same key may have emptied this cart while we waited
            # for its rows: then the buyer gets that order, not "your cart is empty".
            if key is not None and Order.objects.filter(user=user, idempotency_key=key).exists():
                raise _KeyTaken() from None
            raise
    assert requested is not None and variants is not None

    # Lines copy what the buyer saw; shipping is priced per cooperative.
    order_lines = []
    parts: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"goods_total": Decimal("0.00"), "weight_grams": 0}
    )
    for vid, quantity in requested.items():
        variant = variants[vid]
        product = variant.product
        line_total = (variant.price * quantity).quantize(CENT)
        order_lines.append(
            OrderLine(
                variant=variant,
                cooperative=product.cooperative,
                sku=variant.sku,
                title=f"{product.title} — {variant.name}"[:240],
                unit_price=variant.price,
                quantity=quantity,
                line_total=line_total,
                weight_grams=variant.weight_grams,
            )
        )
        part = parts[product.cooperative_id]
        part["cooperative"] = product.cooperative
        part["goods_total"] += line_total
        part["weight_grams"] += variant.weight_grams * quantity
    shipping = [
        OrderShipping(
            cooperative=part["cooperative"],
            goods_total=part["goods_total"],
            weight_grams=part["weight_grams"],
            fee=shipping_fee_for(
                cooperative=part["cooperative"],
                goods_total=part["goods_total"],
                weight_grams=part["weight_grams"],
                region_code=address.get("region_code", ""),
            ),
        )
        for _, part in sorted(parts.items())
    ]
    subtotal = sum((line.line_total for line in order_lines), Decimal("0.00"))
    shipping_fee = sum((s.fee for s in shipping), Decimal("0.00"))

    order = Order(
        number=order_number_generate(now=now),
        user=user,
        status=OrderStatus.PENDING_PAYMENT,
        subtotal=subtotal,
        shipping_fee=shipping_fee,
        total=subtotal + shipping_fee,
        shipping_address=address,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        expires_at=now + settings.ORDER_PAYMENT_TIMEOUT,
    )
    try:
        # No savepoint: this is the transaction's first write, so on a unique-index
        # conflict the caller rolls the whole try back and decides (replay or redraw).
        order.save(force_insert=True)
    except IntegrityError:
        raise _OrderInsertConflict() from None
    for row in (*order_lines, *shipping):
        row.order = order
    OrderLine.objects.bulk_create(order_lines)
    OrderShipping.objects.bulk_create(shipping)
    OrderEvent.objects.create(order=order, to_status=order.status, note="placed")
    if from_cart:
        CartItem.objects.filter(user=user, variant_id__in=list(requested)).delete()

    short = [
        vid
        for vid in sorted(requested)
        if not Variant.objects.filter(pk=vid, stock__gte=requested[vid]).update(
            stock=F("stock") - requested[vid]
        )
    ]
    if short:
        raise InsufficientStock(details={"variants": short})
    catalog_changed()  # stock shows in the public catalogue: orphan its cached pages
    order_prime_fresh(order, lines=order_lines)
    return order


# --- buyer actions, stock release, expiry -----------------------------------


def stock_release(*, order: Order) -> None:
    """Give the order's units back to their variants (in variant-id order).

    Precondition: inside the transaction of the transition that leaves
    ``pending_payment`` for ``cancelled``, with the order row locked — that
    transition happens once, so the stock comes back exactly once.
    """
    quantities: dict[int, int] = defaultdict(int)
    for variant_id, quantity in order.lines.filter(variant__isnull=False).values_list(
        "variant_id", "quantity"
    ):
        quantities[variant_id] += quantity
    for variant_id in sorted(quantities):
        Variant.objects.filter(pk=variant_id).update(stock=F("stock") + quantities[variant_id])
    catalog_changed()


@transaction.atomic
def order_cancel(*, order: Order, note: str = "") -> Order:
    """The buyer cancels. ``pending_payment`` → ``cancelled`` with the stock returned;
    ``paid`` → ``refund_pending`` and the refund is started in this transaction;
    any later state raises ``OrderInvalidState`` (409 ``invalid_state``)."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == OrderStatus.PENDING_PAYMENT:
        updated = _transition(locked, OrderStatus.CANCELLED, note=note or "cancelled by buyer")
        stock_release(order=updated)
    elif locked.status == OrderStatus.PAID:
        # Fulfilment first: a shipment already on its way makes the whole order
        # uncancellable (409 invalid_state) before anything has changed.
        from fulfilment.services import shipments_cancel_for_order

        shipments_cancel_for_order(order=locked, note=note or "order cancelled by buyer")
        updated = _transition(locked, OrderStatus.REFUND_PENDING, note=note or "cancelled by buyer")
        # Imported here: payments depends on orders, not the other way round.
        from payments import services as payment_services

        payment_services.order_refund_start(order=updated, reason="cancelled")
    else:
        raise OrderInvalidState(
            "This order can no longer be cancelled.",
            details={"status": locked.status, "number": locked.number},
        )
    _copy_state(updated, order)
    return order


@transaction.atomic
def order_confirm_receipt(*, order: Order) -> Order:
    """The buyer confirms the parcel arrived: ``shipped`` → ``delivered``, else 409.

    ``fulfilment.services.shipments_mark_delivered_for_order`` does the work."""
    # One rule in one place: fulfilment delivers the shipments and then the order
    # (409 invalid_state unless shipped).
    from fulfilment.services import shipments_mark_delivered_for_order

    shipments_mark_delivered_for_order(order=order, by="buyer")
    _copy_state(Order.objects.get(pk=order.pk), order)
    return order


def _copy_state(source: Order, target: Order) -> None:
    if source is target:
        return
    for field in ("status", "updated", *_TIMESTAMP_FIELD.values()):
        setattr(target, field, getattr(source, field))


def orders_expire_overdue(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Cancel every ``pending_payment`` order past ``expires_at`` and return its stock.

    Works through the overdue orders ``batch_size`` ids at a time, one short
    transaction per order, skipping rows another transaction holds (a payment being
    applied right now): the next run retries them. Idempotent: an order already
    cancelled (or paid) no longer matches, so running twice returns stock once.
    Returns how many orders it cancelled.
    """
    now = now or timezone.now()
    expired = 0
    last_id = 0
    while True:
        ids = list(
            Order.objects.filter(
                status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now, pk__gt=last_id
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return expired
        last_id = ids[-1]
        for order_id in ids:
            if _order_expire(order_id=order_id, now=now):
                expired += 1


@transaction.atomic
def _order_expire(*, order_id: int, now: datetime) -> bool:
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=order_id, status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now)
        .first()
    )
    if order is None:
        return False
    _transition(order, OrderStatus.CANCELLED, note="payment time ran out")
    stock_release(order=order)
    metrics.incr("order_expired")
    return True
