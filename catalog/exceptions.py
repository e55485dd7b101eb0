"""Failures of the catalogue's services, each with a stable code."""

from storefront.errors import ApplicationError, Conflict, InvalidInput, InvalidState


class ListingTransitionError(InvalidState):
    default_message = "This listing cannot make that move from its current status."


class ListingIncomplete(ApplicationError):
    code = "listing_incomplete"
    status_code = 400
    default_message = "A listing needs at least one active variant before review."


class ImageRejected(InvalidInput):
    """An upload that is not an acceptable photo. ``code`` says which rule refused it."""

    code = "image_invalid"
    default_message = "This file is not a JPEG, PNG or WebP photo."


class StockChanged(Conflict):
    """A page asked "set the stock to N if it is still M" and it no longer is M."""

    code = "stock_changed"
    default_message = "The stock changed since the page was loaded; check the new figure."


class StockWouldGoNegative(Conflict):
    code = "stock_negative"
    default_message = "There is not that much stock to take away."
