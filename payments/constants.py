"""Status and kind values of the payments app, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    # The provider never took the money (or our start call failed); a payment that later
    # succeeds anyway may still move forward to succeeded.
    CLOSED = "closed", _("Closed")
    SUCCEEDED = "succeeded", _("Succeeded")
    REFUNDED = "refunded", _("Refunded")


#: Forward-only: a payment moves only to a higher rank, never back.
PAYMENT_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.CLOSED: 1,
    PaymentStatus.SUCCEEDED: 2,
    PaymentStatus.REFUNDED: 3,
}


class InboxStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not applied yet")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class LedgerAccount(models.TextChoices):
    # Money received for orders not completed yet: it may still be refunded.
    PENDING = "pending", _("Pending")
    # Money of completed orders: may be paid out.
    AVAILABLE = "available", _("Available")
    # What business buyers owe the cooperative on invoices (wholesale): an invoice adds,
    # a credit note and each payment take away.
    RECEIVABLE = "receivable", _("Receivable")


class LedgerKind(models.TextChoices):
    SALE = "sale", _("Sale (goods and shipping)")
    PLATFORM_FEE = "platform_fee", _("Platform fee")
    # The part of an order's discounts the platform funds, credited to the cooperative
    # (the buyer paid that much less): the platform's cost of the discount.
    PLATFORM_SUBSIDY = "platform_subsidy", _("Discount funded by the platform")
    REFUND_REVERSAL = "refund_reversal", _("Refund reversal")
    # A partial refund of one line (a weighed line's difference, units given back): what
    # the buyer got back, the platform-funded discount taken back with it, and the
    # platform fee on both returned to the cooperative.
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    SUBSIDY_REVERSAL = "subsidy_reversal", _("Platform-funded discount given back")
    FEE_REVERSAL = "fee_reversal", _("Platform fee returned")
    RELEASE = "release", _("Released on completion")
    PAYOUT = "payout", _("Payout")
    # Receivables (account ``receivable``): an invoice issued, a credit note, a payment.
    INVOICE = "invoice", _("Invoice issued")
    CREDIT_NOTE = "credit_note", _("Credit note")
    SETTLEMENT = "settlement", _("Invoice payment")
    # An invoice paid online: the money reached the platform (account ``available``).
    INVOICE_RECEIPT = "invoice_receipt", _("Invoice paid online")


class PayoutStatus(models.TextChoices):
    CREATED = "created", _("Created")
    EXPORTED = "exported", _("Exported for bank transfer")


class WalletStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")


PROVIDER_CHOICES = [
    ("sandbox", _("Sandbox wallet")),
    ("alipay", "Alipay"),
    ("wechat", "WeChat Pay"),
    ("cash", _("Cash")),
]
