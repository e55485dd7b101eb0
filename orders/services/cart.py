"""The cart: quantities of variants a buyer means to order. It never reserves stock."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from catalog.models import Variant
from storefront.errors import InvalidInput

from .. import validation
from ..exceptions import CartItemNotFound, InsufficientStock, VariantUnavailable
from ..models import CartItem, Order
from ..selectors import variants_purchasable


def _clean_variant_id(variant_id: Any) -> int:
    if not isinstance(variant_id, int) or isinstance(variant_id, bool) or variant_id < 1:
        raise InvalidInput(details={"variant": ["A variant is given by its numeric id."]})
    return variant_id


def _within_stock(variant: Variant, quantity: int) -> None:
    """A cart never holds more than is in stock now (it reserves nothing: checkout checks
    again). Refused with what is available, so the page can say it where it is chosen."""
    if quantity > variant.stock:
        available = max(variant.stock, 0)
        raise InsufficientStock(
            f"Only {available} in stock.",
            details={"variants": [variant.pk], "available": {str(variant.pk): available}},
        )


@transaction.atomic
def cart_item_add(
    *, user: User, variant_id: int, quantity: int, within_stock: bool = True
) -> CartItem:
    """Put ``quantity`` of a variant in the cart; a variant already there gets the quantity
    added (the sum must stay within 1..999). Reserves no stock. With ``within_stock``
    (the pages) more than is in stock is refused saying what is left; the API keeps
    API.md's contract (201 whatever the stock: the order is where stock is decided)."""
    variant_id = _clean_variant_id(variant_id)
    quantity = validation.clean_quantity(quantity)
    variant = variants_purchasable([variant_id])[variant_id]
    item = CartItem.objects.select_for_update().filter(user=user, variant_id=variant_id).first()
    if item is None:
        if within_stock:
            _within_stock(variant, quantity)
        try:
            with transaction.atomic():
                return CartItem.objects.create(user=user, variant_id=variant_id, quantity=quantity)
        except IntegrityError:
            # A double-click raced us to the insert: add to the row it created.
            item = CartItem.objects.select_for_update().get(user=user, variant_id=variant_id)
    total = item.quantity + quantity
    validation.clean_quantity(total)
    if within_stock:
        _within_stock(variant, total)
    item.quantity = total
    item.save(update_fields=["quantity", "updated"])
    return item


@transaction.atomic
def cart_item_update(
    *, user: User, item_id: int, quantity: int, within_stock: bool = True
) -> CartItem:
    """Set an item's quantity (1..999, and, ``within_stock``, no more than in stock when
    raised). Another user's item is ``CartItemNotFound``."""
    quantity = validation.clean_quantity(quantity)
    item = (
        CartItem.objects.select_for_update(of=("self",))
        .select_related("variant")
        .filter(user=user, pk=item_id)
        .first()
    )
    if item is None:
        raise CartItemNotFound(details={"id": item_id})
    if within_stock and quantity > item.quantity:  # lowering is always allowed
        _within_stock(item.variant, quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity", "updated"])
    return item


@transaction.atomic
def cart_item_remove(*, user: User, item_id: int) -> None:
    deleted, _ = CartItem.objects.filter(user=user, pk=item_id).delete()
    if not deleted:
        raise CartItemNotFound(details={"id": item_id})


def cart_add_from_order(*, user: User, order: Order) -> tuple[list[CartItem], list[str]]:
    """ "Buy again": each line of ``order`` (the user's) back in the cart, at today's
    price, as many as asked then or as many as are left. Returns the items added and the
    titles of lines that could not be (not for sale any more, sold out), each line on
    its own so one missing product does not stop the others."""
    added, missed = [], []
    for line in order.lines.all():
        if line.variant_id is None:
            missed.append(line.title)
            continue
        try:
            with transaction.atomic():
                variant = variants_purchasable([line.variant_id])[line.variant_id]
                in_cart = (
                    CartItem.objects.filter(user=user, variant_id=variant.pk)
                    .values_list("quantity", flat=True)
                    .first()
                    or 0
                )
                quantity = min(line.quantity, variant.stock - in_cart)
                if quantity < 1:
                    raise InsufficientStock(details={"variants": [variant.pk]})
                added.append(cart_item_add(user=user, variant_id=variant.pk, quantity=quantity))
        except (VariantUnavailable, InsufficientStock, InvalidInput):
            missed.append(line.title)
    return added, missed
