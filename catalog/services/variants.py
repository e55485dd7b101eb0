"""Variants: a listing's sizes, with their price, weight and whether they are on sale.

Stock is not a field here: it moves only through ``catalog.stock`` as recorded
movements. A page that edits a variant sends its stock part as a relative
``StockChange`` (the figure it showed, and a delta or a guarded new count), applied in
the same transaction as the other fields, so a refused stock change saves nothing.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from storefront.errors import InvalidInput
from storefront.text import clean_line

from ..audit import audit_record
from ..constants import AuditAction, Pricing
from ..models import Product, Variant
from ..stock import StockChange, clean_figure, stock_change_apply, stock_record_opening
from ..weight import estimate_to_pay
from ._common import full_clean, raise_errors, refuse_unknown

VARIANT_FIELDS = (
    "name",
    "price",
    "weight_grams",
    "is_active",
    "position",
    "pricing",
    "price_per_kg",
    "estimated_weight_grams",
    "weight_buffer_bp",
)
PRICE_MAX = Decimal("99999.99")
# Fields whose changes the audit trail keeps (who changed a price, who stopped a sale).
_AUDITED = {"price": AuditAction.PRICE, "is_active": AuditAction.LISTING}


# "5 kg bag", "2.5公斤", "10斤", "500 g": the pack size a variant's name announces.
_NAMED_WEIGHT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(kg|公斤|千克|斤|g|克)(?![a-z])", re.I)
_GRAMS_PER = {"kg": 1000, "公斤": 1000, "千克": 1000, "斤": 500, "g": 1, "克": 1}


def variant_weight_doubt(name: str, weight_grams: int) -> int | None:
    """The weight in grams the name announces when the shipping weight cannot be it
    (under 90 % or over twice: a "5 kg bag" weighed at 5 g), else None. A warning for
    the person, not a refusal: packaging and odd names exist."""
    match = _NAMED_WEIGHT.search(name or "")
    if not match:
        return None
    named = Decimal(match.group(1).replace(",", ".")) * _GRAMS_PER[match.group(2).lower()]
    if named <= 0 or (named * Decimal("0.9") <= weight_grams <= named * 2):
        return None
    return int(named)


def variant_check(variant: Variant) -> None:
    """The rules on an unsaved variant (name, price, weight); ``InvalidInput``. Stock is
    not here: it is the stock service's."""
    raise_errors(_errors(variant))


def _by_weight(variant: Variant, errors: dict[str, list[str]]) -> None:
    """A per-kg variant needs its price per kg and estimated weight, and its price is
    always the estimate plus the buffer (set here, shown before the save); a unit
    variant carries neither."""
    if variant.pricing != Pricing.WEIGHT:
        variant.price_per_kg = None
        variant.estimated_weight_grams = None
        variant.weight_buffer_bp = 0
        return
    try:
        per_kg = Decimal(variant.price_per_kg)
    except (InvalidOperation, TypeError, ValueError):
        per_kg = None
    if per_kg is None or not per_kg.is_finite() or per_kg <= 0 or per_kg > PRICE_MAX:
        errors["price_per_kg"] = [_("A variant sold by weight needs a price per kg above 0.")]
    grams = variant.estimated_weight_grams
    if not isinstance(grams, int) or not 0 < grams <= 1_000_000:
        errors["estimated_weight_grams"] = [
            _("A variant sold by weight needs its estimated weight per unit, in grams.")
        ]
    buffer_bp = variant.weight_buffer_bp or 0
    if not 0 <= buffer_bp <= 5000:
        errors["weight_buffer_bp"] = [_("The buffer is between 0 and 5000 basis points.")]
    if not errors.keys() & {"price_per_kg", "estimated_weight_grams", "weight_buffer_bp"}:
        variant.price = estimate_to_pay(
            estimated_grams=grams, price_per_kg=per_kg, buffer_bp=buffer_bp
        )


def _errors(variant: Variant) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    _by_weight(variant, errors)
    if not variant.name:
        errors["name"] = [_("A name is required.")]
    try:
        price = Decimal(variant.price)
    except (InvalidOperation, TypeError, ValueError):
        price = None
    if price is None or not price.is_finite() or price <= 0:
        errors["price"] = [_("The price must be more than 0.")]
    elif price > PRICE_MAX:
        errors["price"] = [_("The price is too high.")]
    try:
        weight = int(variant.weight_grams)
    except (TypeError, ValueError):
        weight = 0
    if weight <= 0:
        errors["weight_grams"] = [_("The weight must be more than 0 g.")]
    elif weight > 1_000_000:
        errors["weight_grams"] = [_("The weight is too high.")]
    return errors


@transaction.atomic
def variant_create(
    *,
    product: Product,
    name: str,
    price: Decimal,
    weight_grams: int,
    stock: int = 0,
    sku: str = "",
    is_active: bool = True,
    position: int = 0,
    actor: User | None = None,
    **by_weight,
) -> Variant:
    """A new variant; its opening stock is recorded as goods received (a movement).
    ``by_weight``: ``pricing``, ``price_per_kg``, ``estimated_weight_grams``,
    ``weight_buffer_bp`` for a variant sold by weight."""
    refuse_unknown(by_weight, VARIANT_FIELDS[5:])
    variant = Variant(
        **by_weight,
        product=product,
        name=clean_line(name, max_length=80),
        price=price,
        weight_grams=weight_grams,
        stock=stock,
        is_active=is_active,
        position=position,
        sku=(
            clean_line(sku, max_length=40).upper()
            or f"FG-{product.pk}-{secrets.token_hex(3).upper()}"
        ),
    )
    errors = _errors(variant)
    try:
        clean_figure(stock, "stock")
    except InvalidInput as exc:
        errors.update(exc.details)
    full_clean(variant, errors, exclude=["stock"])
    variant.save()
    stock_record_opening(variants=[variant], actor=actor)
    priced = {"price": (None, variant.price)}
    audit_record(target=variant, action=AuditAction.PRICE, actor=actor, changes=priced, note="new")
    return variant


@transaction.atomic
def variant_update(
    *,
    variant: Variant,
    actor: User | None = None,
    stock_change: StockChange | None = None,
    **fields,
) -> Variant:
    """Edit a variant's name, price, weight, sale flag or position, and apply the page's
    stock change (if any) in the same transaction. ``stock`` itself is not accepted:
    a figure read earlier would undo whatever checkout sold meanwhile.

    Raises ``InvalidInput``, or ``StockChanged``/``StockWouldGoNegative`` from the stock
    change (then nothing is saved).
    """
    refuse_unknown(fields, VARIANT_FIELDS)
    # Lock the row first (pk order is trivial with one row): the stock UPDATE below and
    # checkout's conditional UPDATE wait on the same lock. Only the variant's row: a
    # checkout locks its variants, then key-shares their product (catalog.stock).
    locked = (
        Variant.objects.select_for_update(of=("self",)).select_related("product").get(pk=variant.pk)
    )
    if "name" in fields:
        fields["name"] = clean_line(fields["name"], max_length=80)
    # Every field: a change of pricing also moves the price and the per-kg fields.
    before = {name: getattr(locked, name) for name in VARIANT_FIELDS}
    for name, value in fields.items():
        setattr(locked, name, value)
    full_clean(locked, _errors(locked), exclude=["stock"])
    changed = [name for name in VARIANT_FIELDS if getattr(locked, name) != before[name]]
    if changed:
        # Only the changed columns: ``stock`` is never written from a page's copy.
        locked.save(update_fields=changed)
    for name in changed:
        if name in _AUDITED:
            change = {name: (before[name], getattr(locked, name))}
            audit_record(target=locked, action=_AUDITED[name], actor=actor, changes=change)
    if stock_change is not None and not stock_change.is_empty:
        movement = stock_change_apply(variant_id=locked.pk, change=stock_change, actor=actor)
        if movement is not None:
            locked.stock = movement.balance
    return locked
