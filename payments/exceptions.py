"""Failures of the payment services, each with a stable code (API.md)."""

from storefront.errors import ApplicationError, Conflict, InvalidInput, InvalidState


class PaymentInvalidState(InvalidState):
    default_message = "The order cannot be paid in its current status."


class PaymentProviderUnavailable(InvalidInput):
    code = "provider_unavailable"
    default_message = "This payment provider is not available."


class PaymentProviderError(ApplicationError):
    """The provider did not answer (network, timeout) or refused: try again later."""

    code = "provider_error"
    status_code = 502
    default_message = "The payment provider did not answer; please try again."


class RefundInvalidState(InvalidState):
    default_message = "This payment cannot be refunded in its current state."


class PayoutInsufficientBalance(Conflict):
    code = "insufficient_balance"
    default_message = "The cooperative's available balance does not cover this payout."


class RefundExceedsPayment(Conflict):
    code = "refund_exceeds_payment"
    default_message = "This refund would give back more than is left of the payment."
