"""Failures of the fulfilment services, each with a stable code."""

from storefront.errors import ApplicationError, InvalidInput, InvalidState, NotFound


class ShipmentNotFound(NotFound):
    """Also what another cooperative's shipment answers: never reveal it exists."""

    default_message = "No such shipment."


class ShipmentInvalidState(InvalidState):
    default_message = "The shipment cannot do that in its current status."


class TrackingNumberRequired(InvalidInput):
    code = "tracking_number_required"
    default_message = "Shipping needs a carrier and a tracking number."


class UnknownCarrier(InvalidInput):
    code = "unknown_carrier"
    default_message = "Unknown carrier."


class DuplicateTrackingNumber(InvalidInput):
    code = "duplicate_tracking_number"
    default_message = "This carrier's tracking number is already used by another shipment."


class InvalidSignature(ApplicationError):
    code = "invalid_signature"
    status_code = 401
    default_message = "The notification's signature is missing, stale or wrong."


class UnknownTrackingNumber(NotFound):
    code = "unknown_tracking_number"
    default_message = "No shipment has this carrier's tracking number."


class PackingSlipFontMissing(ApplicationError):
    """A deployment error, not user input: the CJK font package is not installed."""

    code = "packing_slip_font_missing"
    status_code = 500
    default_message = (
        "No CJK TrueType font found for packing slips: install the Debian package "
        "fonts-wqy-microhei (or set PACKING_SLIP_FONT to a .ttf/.ttc path)."
    )
