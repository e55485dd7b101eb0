"""Failures of the wholesale app, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from storefront.errors import Conflict, InvalidInput, InvalidState, PermissionDenied


class BadCreditCode(InvalidInput):
    code = "bad_credit_code"
    default_message = _("This is not a valid unified social credit code.")


class NotWholesaleBuyer(PermissionDenied):
    code = "not_wholesale_buyer"
    default_message = _("Only a buyer of an approved organisation can do this.")


class BelowMinimumOrder(InvalidInput):
    code = "below_minimum_order"
    default_message = _("The order is below the price list's minimum order.")


class OneCooperativePerOrder(InvalidInput):
    code = "one_cooperative"
    default_message = _("A wholesale order is for one cooperative's goods.")


class DuplicatePurchaseOrder(Conflict):
    code = "duplicate_po"
    default_message = _("This purchase order number was used already.")


class NoCredit(InvalidState):
    code = "no_credit"
    default_message = _("The cooperative has not granted this organisation credit terms.")


class CreditLimitExceeded(InvalidState):
    code = "credit_limit_exceeded"
    default_message = _("This order would take the organisation past its credit limit.")


class CreditBlockedOverdue(InvalidState):
    code = "credit_blocked_overdue"
    default_message = _("An overdue invoice blocks new orders on credit.")


class ApprovalRequired(InvalidState):
    code = "approval_required"
    default_message = _("Orders above this amount need an approver of the organisation.")


class BatchOffSpec(InvalidState):
    code = "batch_off_spec"
    default_message = _("This batch does not meet the quote's quality specification.")


class InvoiceOverpaid(InvalidInput):
    code = "invoice_overpaid"
    default_message = _("The payment is more than what is still owed on the invoice.")


class CreditNoteTooLarge(InvalidInput):
    code = "credit_note_too_large"
    default_message = _("A credit note cannot exceed what the invoice still owes.")
