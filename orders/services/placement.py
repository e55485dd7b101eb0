"""Placing an order: one transaction that writes the order and takes its stock.

Stock is taken only here (``catalog.stock.stock_take``: a conditional
``UPDATE ... WHERE stock >= n`` per variant, in variant-id order), last before COMMIT,
so a variant's row lock is held as briefly as possible. Any refusal rolls everything back.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from contextlib import nullcontext
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from catalog.constants import StockReason
from catalog.models import Variant
from catalog.selectors import variants_on_sale
from catalog.stock import stock_take
from storefront import metrics
from storefront.db import insert_rows, prepared_statements, retry_on_conflict
from storefront.errors import ApplicationError, InvalidInput, ServiceUnavailable

from .. import validation
from ..constants import OrderStatus
from ..exceptions import IdempotencyConflict, InsufficientStock, VariantUnavailable
from ..models import CartItem, Order, OrderEvent
from ..selectors import order_prime_fresh, variants_purchasable
from .plan import PlacementPlan, discounts_apply
from .pricing import order_price

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def order_number_generate(*, now: datetime | None = None) -> str:
    """``FG`` + yyMMdd + 8 random Crockford base-32 characters (40 bits from ``secrets``):
    readable over the phone, sortable by day, and not guessable from a neighbour's."""
    day = timezone.localtime(now or timezone.now()).strftime("%y%m%d")
    return "FG" + day + "".join(secrets.choice(_CROCKFORD) for _ in range(8))


def request_fingerprint(
    *,
    lines: dict[int, int] | None,
    shipping_address: dict[str, str],
    from_cart: bool,
    plan: PlacementPlan | None = None,
) -> str:
    """sha256 of the canonical JSON of the request as the service understood it
    (merged lines sorted by variant, normalised address, the plan's content), so a retry
    that differs only in whitespace or line order is still "the same body", and one with
    another voucher or price is not. (Without a plan the body is as it always was.)"""
    body: dict = {
        "from_cart": bool(from_cart),
        "lines": sorted(lines.items()) if lines else None,
        "shipping_address": shipping_address,
    }
    if plan is not None:
        body["plan"] = plan.fingerprint_body()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class _KeyTaken(Exception):
    """Another request with the same Idempotency-Key committed its order first."""


class _OrderInsertConflict(Exception):
    """The order row's insert hit a unique index (Idempotency-Key or order number)."""


class _Repriced(Exception):
    """A variant's price changed between the read that priced the lines and the stock
    UPDATE that checks it: the transaction rolled back; read and price again."""


def _replay(order: Order, fingerprint: str) -> tuple[Order, bool]:
    if order.request_fingerprint != fingerprint:
        raise IdempotencyConflict(details={"number": order.number})
    metrics.incr("order_idempotent_replay")
    return order, False


def _short_of_stock(requested: dict[int, int], variants: dict[int, Variant]) -> list[int]:
    return sorted(vid for vid, quantity in requested.items() if variants[vid].stock < quantity)


def _from_stock(requested: dict[int, int], plan: PlacementPlan | None) -> dict[int, int]:
    """The lines taken from stock: all but those a plan fills from a quota."""
    if plan is None or not plan.quota_variants:
        return requested
    return {vid: q for vid, q in requested.items() if vid not in plan.quota_variants}


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
    plan: PlacementPlan | None = None,
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

    ``plan`` (``orders.services.plan.PlacementPlan``) carries what features add: other
    unit prices, discounts, quota-filled variants, hooks run in the transaction, the
    channel and who placed it. ``None`` places a plain order.
    """
    if plan is not None:
        plan.clean()
    address = validation.clean_address(shipping_address)
    key = validation.clean_idempotency_key(idempotency_key)
    if not isinstance(from_cart, bool):
        raise InvalidInput(details={"from_cart": ["Must be true or false."]})
    if from_cart and lines:
        raise InvalidInput(details={"lines": ["Give lines or from_cart, not both."]})
    requested = None if from_cart else validation.clean_lines(lines)
    fingerprint = request_fingerprint(
        lines=requested, shipping_address=address, from_cart=from_cart, plan=plan
    )

    # Explicit lines are checked before any transaction: most requests of a flash sale
    # are for a sold-out variant, and refusing them from one plain read (outside a
    # transaction, no lock) keeps them off the hot row. The read is only a pre-check:
    # the conditional UPDATE in ``_order_create`` still decides.
    variants = short = None
    with _own_savepoint():
        placed_id = None
        if requested is not None:
            # One statement, prepared (planned once per connection: planning this
            # three-table read cost several times its execution), that also finds the
            # buyer's order under this Idempotency-Key from the same snapshot: if the read
            # sees the stock an earlier request with this key took, it sees that order
            # too, and the buyer gets the replay, not a 409 for their own units. A sold-out
            # refusal is this one statement.
            with prepared_statements():
                if key is None:
                    variants = variants_purchasable(requested)
                else:
                    variants = variants_purchasable(requested, placed_with_key=(user, key))
                    placed_id = next(iter(variants.values())).placed_order_id
            short = _short_of_stock(_from_stock(requested, plan), variants)
            if short and placed_id is not None:
                return _replay(Order.objects.get(pk=placed_id), fingerprint)
    if short:
        raise InsufficientStock(details={"variants": short})

    repriced = False
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
                plan=plan,
            )
        except _KeyTaken:
            return _replay(Order.objects.get(user=user, idempotency_key=key), fingerprint)
        except _Repriced:
            # Nothing was kept. Price the lines again from the rows as they are now.
            metrics.incr("order_repriced")
            repriced = True
            if requested is not None and not from_cart:
                variants = variants_purchasable(requested)
            continue
        except _OrderInsertConflict:
            repriced = False
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
    if repriced:
        # The prices kept changing under every try: busy, not broken; the buyer retries.
        raise ServiceUnavailable("The prices changed while the order was placed; try again.")
    raise RuntimeError("could not draw a free order number")  # pragma: no cover


def _cart_lines(
    *, user: User, plan: PlacementPlan | None = None
) -> tuple[dict[int, int], dict[int, Variant]]:
    """The locked cart as ``{variant_id: quantity}`` with its variants, pre-checked."""
    cart = list(CartItem.objects.select_for_update().filter(user=user).order_by("variant_id"))
    if not cart:
        raise InvalidInput("Your cart is empty.", details={"from_cart": ["The cart is empty."]})
    requested = {item.variant_id: item.quantity for item in cart}
    variants = variants_purchasable(requested)
    short = _short_of_stock(_from_stock(requested, plan), variants)
    if short:
        raise InsufficientStock(details={"variants": short})
    return requested, variants


def _refuse_short(short: list[int], prices: dict[int, object]) -> None:
    """Say why the stock UPDATE refused (a read on the refusal path only): no longer for
    sale, re-priced (try again), or short of stock. Always raises."""
    now = dict(variants_on_sale().filter(pk__in=short).values_list("pk", "price"))
    gone = sorted(vid for vid in short if vid not in now)
    if gone:
        raise VariantUnavailable(details={"variants": gone})
    if any(now[vid] != prices[vid] for vid in short):
        raise _Repriced()
    raise InsufficientStock(details={"variants": short})


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
    plan: PlacementPlan | None = None,
) -> Order:
    # Everything is computed before the first write, and the writes are ordered so the
    # contended rows are locked as briefly as possible:
    #   1. the order row, which claims the Idempotency-Key: a concurrent request with the
    #      same key blocks on the unique index here until we commit or roll back, so it
    #      can never take stock (or be refused for the stock we took) for a duplicate;
    #   2. lines, shipping, the event (rows nobody else touches);
    #   2b. the plan's hooks (a feature claims a voucher use, a team slot, a quota);
    #   3. LAST, the stock: one conditional UPDATE per variant, in id order (two orders
    #      over the same variants lock them in the same order: no deadlock), and the row
    #      lock + WHERE re-check means no unit is ever sold twice. A variant's row lock
    #      is then held only from its UPDATE to the COMMIT.
    # Any refusal raises and the transaction rolls back: nothing is kept.
    now = timezone.now()
    if from_cart:
        try:
            requested, variants = _cart_lines(user=user, plan=plan)
        except ApplicationError:
            # A request with the same key may have emptied this cart while we waited
            # for its rows: then the buyer gets that order, not "your cart is empty".
            if key is not None and Order.objects.filter(user=user, idempotency_key=key).exists():
                raise _KeyTaken() from None
            raise
    assert requested is not None and variants is not None

    priced = order_price(
        requested=requested,
        variants=variants,
        region_code=address.get("region_code", ""),
        unit_prices=plan.unit_prices if plan is not None else None,
        offer_prices=plan.offer_prices if plan is not None else None,
    )
    discount_total = Decimal("0.00")
    from_stock = _from_stock(requested, plan)
    if plan is not None:
        discount_total = discounts_apply(priced.lines, plan.discounts)
        for line in priced.lines:
            line.from_quota = line.variant_id in plan.quota_variants

    order = Order(
        number=order_number_generate(now=now),
        user=user,
        status=OrderStatus.PENDING_PAYMENT,
        subtotal=priced.subtotal,
        shipping_fee=priced.shipping_fee,
        discount_total=discount_total,
        total=priced.subtotal - discount_total + priced.shipping_fee,
        shipping_address=address,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        expires_at=now + settings.ORDER_PAYMENT_TIMEOUT,
    )
    if plan is not None:
        order.channel = plan.channel
        order.placed_by = plan.placed_by
    try:
        # No savepoint: this is the transaction's first write, so on a unique-index
        # conflict the caller rolls the whole try back and decides (replay or redraw).
        insert_rows([order], as_save=True)
    except IntegrityError:
        raise _OrderInsertConflict() from None
    for row in (*priced.lines, *priced.shipping):
        row.order = order
    # INSERTs compiled once per process (storefront.db.insert_rows).
    insert_rows(priced.lines)
    insert_rows(priced.shipping)
    insert_rows([OrderEvent(order=order, to_status=order.status, note="placed")], as_save=True)
    if from_cart:
        CartItem.objects.filter(user=user, variant_id__in=list(requested)).delete()
    if plan is not None:
        # Inside this transaction, before the stock: a hook that raises rolls back the
        # order, its lines and anything an earlier hook claimed.
        for hook in plan.hooks:
            hook(order, priced)

    # The lines were priced from rows read before this UPDATE (outside the transaction
    # for explicit lines): the UPDATE takes the units only at that price and while the
    # variant is on sale, and once it holds the rows stock_take reads them again (and
    # share-locks their products), so a change in between, even one committed while the
    # UPDATE waited for the row, is never sold at the old terms.
    if from_stock:
        short = stock_take(
            quantities=from_stock,
            reason=StockReason.SALE,
            order_id=order.pk,
            actor=user,
            prices=priced.prices,
        )
        if short:
            _refuse_short(short, priced.prices)
    order_prime_fresh(order, lines=priced.lines)
    return order
