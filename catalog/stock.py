"""The only code that changes ``Variant.stock``.

Every change is a conditional UPDATE of the variant row (so no unit is ever sold twice
and the stock never goes below zero, however many requests race) and a ``StockMovement``
row written in the same transaction, so the stock column always equals the sum of its
movements and "where did these five bags go" has an answer.

Pages and the admin never write a figure they read earlier: they send a change
(``stock_adjust``: "received 20 bags") or a guarded set (``stock_set_if_unchanged``:
"set to 15 if it is still 12"), which is refused with the current figure when checkout
moved the stock meanwhile. A form sends both kinds as one :class:`StockChange`
(``stock_change_apply``). New variants record their opening stock as a receipt
(``stock_record_opening``, also in bulk for seeding).

Locks: each UPDATE locks its variant row until the transaction ends; callers that touch
several variants pass them all at once and they are taken in id order, so two orders
over the same variants cannot deadlock. An order's stock take then share-locks the
variants' products and cooperatives (after the variants, as the catalogue's variant
edits do), so a listing taken off sale is never sold after that change committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from storefront.db import CompiledRead, insert_rows, prepared_statements
from storefront.errors import InvalidInput, NotFound

from .cache import catalog_changed, stock_moved
from .constants import StockReason
from .exceptions import StockChanged, StockWouldGoNegative
from .models import Cooperative, Product, StockMovement, Variant
from .selectors import variants_on_sale

# The most a variant may hold, and the largest single change a person may type.
STOCK_MAX = 1_000_000


def _table() -> str:
    return connection.ops.quote_name(Variant._meta.db_table)


def _update_returning(sql_set: str, where: str, params: list[Any], delta: int) -> int | None:
    """Run one ``UPDATE variant SET stock = … WHERE id = %s AND …`` and return the new
    stock, or None when the WHERE did not match (both SQLite ≥ 3.35 and PostgreSQL know
    RETURNING, so the balance costs no second read).

    ``delta`` is the change made: the catalogue cache is told which product moved and
    whether it crossed zero, from the same returned row (on commit)."""
    sql = (
        f"UPDATE {_table()} SET stock = {sql_set} WHERE id = %s AND {where}"  # noqa: S608 — table name from the model, values as parameters
        " RETURNING stock, product_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    balance, product_id = row
    stock_moved([(product_id, balance - delta, balance)])
    return balance


def _actor_id(actor) -> int | None:
    return getattr(actor, "pk", None) if actor is not None else None


def _clean_quantities(quantities: Mapping[int, int]) -> list[tuple[int, int]]:
    items = sorted(quantities.items())
    for variant_id, quantity in items:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise ValueError(f"quantity for variant {variant_id} must be a positive int")
    return items


# The checkout's statements, compiled once per connection (storefront.db.CompiledRead):
# Django would compile them anew for every order.
_ON_SALE = CompiledRead(lambda vid: variants_on_sale().filter(pk=vid).values("pk"))
_ON_SALE_NOW = CompiledRead(
    lambda ids: (
        variants_on_sale()
        .filter(pk__in=ids)
        .order_by("product_id", "pk")
        .values_list("pk", "price")
    )
)


def _on_sale_at(variant_id: int, price: Decimal) -> tuple[str, list[Any]]:
    """SQL (and params) for "this variant is on sale now at ``price``", from the one
    "can be bought now" rule (``selectors.variants_on_sale``); the price is the updated
    row's own (re-checked on the row's newest version when the UPDATE waited for it)."""
    sql, params, _query = _ON_SALE.statement(vid=variant_id)
    price_param = Variant._meta.get_field("price").get_db_prep_value(price, connection)
    return f"price = %s AND id IN ({sql})", [price_param, *params]


def _not_on_sale_now(prices: Mapping[int, Decimal]) -> list[int]:
    """The variants of ``prices`` that are not, as committed now, on sale at that price.

    Called after the stock UPDATEs, which hold the variant rows: a variant's price or
    sale flag can no longer change under us, and this new statement reads what was
    committed before it (an UPDATE that waited for a price change committed meanwhile
    re-checks only its own row, and its sub-select kept the old values). The products
    and cooperatives are locked in share modes, in product order: an archive (a status
    transition, which locks the product ``FOR UPDATE``) or a cooperative's deactivation
    that is under way is waited for and then seen, and one that starts now waits until
    this order commits, so no order takes stock after a deactivation committed. Edits of
    a product's texts or of a variant do not lock what this locks after the variants,
    so they neither wait for checkouts nor deadlock with them. SQLite needs none of it:
    the transaction's first write holds the database's write lock."""
    if not connection.features.has_select_for_update:
        return []
    sql, params, query = _ON_SALE_NOW.statement(ids=list(prices))
    alias = {j.table_name: connection.ops.quote_name(a) for a, j in query.alias_map.items()}
    # KEY SHARE on the product: it waits for a status transition (``FOR UPDATE``) but not
    # for an edit of the texts (``FOR NO KEY UPDATE``); SHARE on the cooperative: it
    # waits for any write of the row (is_active moves by a plain save).
    locks = (
        f" FOR KEY SHARE OF {alias[Product._meta.db_table]}"
        f" FOR SHARE OF {alias[Cooperative._meta.db_table]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql + locks, params)
        now = dict(cursor.fetchall())
    return sorted(vid for vid, price in prices.items() if now.get(vid) != price)


def stock_take(
    *,
    quantities: Mapping[int, int],
    reason: str = StockReason.SALE,
    order_id: int | None = None,
    actor=None,
    note: str = "",
    prices: Mapping[int, Decimal] | None = None,
) -> list[int]:
    """Take ``quantities`` (``{variant_id: n}``) off the shelf, in variant-id order.

    With ``prices`` (``{variant_id: unit price}``: what the order's lines were priced
    at) a variant is taken only if it is still on sale at that price, checked by the
    same conditional UPDATE under its row lock, and read again once every row is locked
    (:func:`_not_on_sale_now`): an order is never priced from a row that changed before
    its stock was taken, nor takes stock after its product was taken off sale.

    Returns the ids that did not have enough stock (or were no longer on sale at that
    price), sorted; when that list is not empty the caller must raise so the
    transaction rolls back (what was taken for the other variants is then given back by
    the rollback). Precondition: inside ``transaction.atomic()``.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("stock_take needs a transaction (the caller rolls back when short)")
    movements: list[StockMovement] = []
    short: list[int] = []
    # The UPDATE (with its on-sale sub-select) and the re-read are prepared: planned once
    # per connection, so the hot row's lock is held for less of PostgreSQL's time.
    with prepared_statements():
        for variant_id, quantity in _clean_quantities(quantities):
            where, params = "stock >= %s", [quantity, variant_id, quantity]
            if prices is not None:
                on_sale, on_sale_params = _on_sale_at(variant_id, prices[variant_id])
                where, params = f"{where} AND {on_sale}", [*params, *on_sale_params]
            balance = _update_returning("stock - %s", where, params, -quantity)
            if balance is None:
                short.append(variant_id)
                continue
            movements.append(
                StockMovement(
                    variant_id=variant_id,
                    delta=-quantity,
                    reason=reason,
                    balance=balance,
                    actor_id=_actor_id(actor),
                    order_id=order_id,
                    note=note[:255],
                )
            )
        if not short and prices is not None:
            short = _not_on_sale_now(prices)
    if short:
        return short
    insert_rows(movements)
    if reason == StockReason.SALE:
        from .news import stock_check_low_on_commit

        stock_check_low_on_commit(movements)
    return []


def stock_return(
    *,
    quantities: Mapping[int, int],
    reason: str,
    order_id: int | None = None,
    actor=None,
    note: str = "",
) -> None:
    """Put ``quantities`` back on the shelf (cancelled or expired orders, returns).

    Precondition: inside the transaction of the one transition that gives these units
    back (for an order: leaving ``pending_payment`` for ``cancelled``), so it happens once.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("stock_return belongs inside the transition's transaction")
    movements = []
    for variant_id, quantity in _clean_quantities(quantities):
        balance = _update_returning("stock + %s", "1 = 1", [quantity, variant_id], quantity)
        if balance is None:  # pragma: no cover - variants are never deleted under an order
            continue
        movements.append(
            StockMovement(
                variant_id=variant_id,
                delta=quantity,
                reason=reason,
                balance=balance,
                actor_id=_actor_id(actor),
                order_id=order_id,
                note=note[:255],
            )
        )
    StockMovement.objects.bulk_create(movements)


def clean_figure(value: Any, field: str, *, allow_negative: bool = False) -> int:
    """A stock figure (or, with ``allow_negative``, a change) a person typed, range-checked;
    ``InvalidInput`` with ``details[field]`` otherwise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(details={field: [_("Enter a whole number.")]})
    low = -STOCK_MAX if allow_negative else 0
    if not low <= value <= STOCK_MAX:
        raise InvalidInput(
            details={
                field: [
                    _("Enter a number between %(low)d and %(high)d.")
                    % {"low": low, "high": STOCK_MAX}
                ]
            }
        )
    return value


def _current(variant_id: int) -> int:
    current = Variant.objects.filter(pk=variant_id).values_list("stock", flat=True).first()
    if current is None:
        raise NotFound(details={"variant": variant_id})
    return current


@transaction.atomic
def stock_adjust(
    *, variant_id: int, delta: int, reason: str = StockReason.RECEIPT, actor=None, note: str = ""
) -> StockMovement:
    """Change a variant's stock by ``delta`` ("received 20 bags", "3 damaged": -3).

    Refused, changing nothing, when the stock would go below zero
    (``StockWouldGoNegative``, 409 ``stock_negative``, details carry the current figure)
    or above ``STOCK_MAX``.
    """
    delta = clean_figure(delta, "delta", allow_negative=True)
    if delta == 0:
        raise InvalidInput(details={"delta": [_("Enter a change other than 0.")]})
    balance = _update_returning(
        "stock + %s", "stock + %s BETWEEN 0 AND %s", [delta, variant_id, delta, STOCK_MAX], delta
    )
    if balance is None:
        current = _current(variant_id)
        if current + delta < 0:
            raise StockWouldGoNegative(details={"variant": variant_id, "stock": current})
        raise InvalidInput(details={"delta": [_("The stock would be too high.")], "stock": current})
    movement = StockMovement.objects.create(
        variant_id=variant_id,
        delta=delta,
        reason=reason,
        balance=balance,
        actor_id=_actor_id(actor),
        note=note[:255],
    )
    return movement


@transaction.atomic
def stock_set_if_unchanged(
    *, variant_id: int, expected: int, new: int, actor=None, note: str = ""
) -> StockMovement | None:
    """Set the stock to ``new`` if it is still ``expected`` (the figure the page showed).

    Raises ``StockChanged`` (409 ``stock_changed``, details: the current figure) when
    checkout or another person moved it meanwhile; returns None (and writes nothing)
    when ``new`` equals ``expected``. A correction is recorded as a movement of the
    difference.
    """
    expected = clean_figure(expected, "expected")
    new = clean_figure(new, "stock")
    if new == expected:
        _current(variant_id)  # still 404 for a variant that does not exist
        return None
    balance = _update_returning("%s", "stock = %s", [new, variant_id, expected], new - expected)
    if balance is None:
        raise StockChanged(details={"variant": variant_id, "stock": _current(variant_id)})
    movement = StockMovement.objects.create(
        variant_id=variant_id,
        delta=new - expected,
        reason=StockReason.CORRECTION,
        balance=balance,
        actor_id=_actor_id(actor),
        note=note[:255],
    )
    return movement


@dataclass(frozen=True)
class StockChange:
    """What a page sends about one variant's stock: the figure it showed, and either the
    count the person typed ("set to N if it is still ``shown``") or a change
    ("received 20 bags": 20, "3 damaged": -3). Never an absolute figure on its own."""

    shown: int
    count: int | None = None
    delta: int | None = None
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.delta and (self.count is None or self.count == self.shown)


def stock_change_apply(*, variant_id: int, change: StockChange, actor=None) -> StockMovement | None:
    """Apply what a page sent: a delta through ``stock_adjust`` (positive: goods received;
    negative: a correction), or a new count through ``stock_set_if_unchanged`` guarded by
    the figure the page showed. Both at once is refused (which would win is a guess);
    nothing sent (the count left as shown) writes nothing and returns None.

    Raises ``StockChanged`` / ``StockWouldGoNegative`` (409, details carry the current
    figure) or ``InvalidInput``.
    """
    shown = clean_figure(change.shown, "shown")
    delta = None if change.delta in (None, 0) else change.delta
    count = None if change.count is None else clean_figure(change.count, "stock")
    if delta is not None and count is not None and count != shown:
        raise InvalidInput(
            details={
                "delta": [_("Type either what came in or went out, or the new count: not both.")]
            }
        )
    if delta is not None:
        reason = StockReason.RECEIPT if delta > 0 else StockReason.CORRECTION
        return stock_adjust(
            variant_id=variant_id, delta=delta, reason=reason, actor=actor, note=change.note
        )
    if count is not None and count != shown:
        return stock_set_if_unchanged(
            variant_id=variant_id, expected=shown, new=count, actor=actor, note=change.note
        )
    return None


def stock_record_opening(
    *, variants: Iterable[Variant], actor=None, note: str = "opening stock"
) -> list[StockMovement]:
    """Record the opening stock of variants just inserted with their ``stock`` set (by
    ``variant_create``, or in bulk by demo data and benchmark seeding) as one receipt
    movement each, in one bulk insert, so the ledger holds from their first moment.

    Precondition: in the transaction that inserted them, and they have no movements yet.
    """
    opening = []
    for variant in variants:
        stock = clean_figure(variant.stock, "stock")
        if stock:
            opening.append(
                StockMovement(
                    variant_id=variant.pk,
                    delta=stock,
                    reason=StockReason.RECEIPT,
                    balance=stock,
                    actor_id=_actor_id(actor),
                    note=note[:255],
                )
            )
    ids = [m.variant_id for m in opening]
    for start in range(0, len(ids), 2000):
        if StockMovement.objects.filter(variant_id__in=ids[start : start + 2000]).exists():
            raise RuntimeError("opening stock is recorded once, before any other movement")
    created = StockMovement.objects.bulk_create(opening, batch_size=2000)
    if created:
        catalog_changed()
    return created
