"""Failures of the order services, each with a stable code (API.md)."""

from storefront.errors import ApplicationError, Conflict, InvalidInput, InvalidState, NotFound


class InsufficientStock(ApplicationError):
    """Some lines cannot be filled. ``details = {"variants": [ids]}``; nothing was reserved."""

    code = "insufficient_stock"
    status_code = 409
    default_message = "Some items are no longer in stock in the quantity asked for."


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = "This Idempotency-Key was already used with a different request."


class OrderInvalidState(InvalidState):
    default_message = "The order cannot do that in its current status."


class OrderNotFound(NotFound):
    default_message = "No such order."


class CartItemNotFound(NotFound):
    default_message = "No such item in your cart."


class VariantUnavailable(InvalidInput):
    """Unknown, inactive or unpublished variants. ``details = {"variants": [ids]}``."""

    default_message = "Some items are not for sale."


class SavedAddressNotFound(NotFound):
    default_message = "No such address in your address book."
