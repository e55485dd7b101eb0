from django.db import models
from django.utils.translation import gettext_lazy as _

CHANNEL = "wholesale"


class OrgStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class OrgRole(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    APPROVER = "approver", _("Approver")
    FINANCE = "finance", _("Finance")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note (red invoice)")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    ONLINE = "online", _("Online payment")


class QuoteStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    QUOTED = "quoted", _("Quoted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")


class DeliveryStatus(models.TextChoices):
    #: Not due yet, or due and not tried yet.
    SCHEDULED = "scheduled", _("Scheduled")
    #: Tried and could not be placed (short of stock, no batch on specification, credit):
    #: ``reason`` says why; the sweep tries again.
    WAITING = "waiting", _("Waiting")
    #: Its order was placed (stock taken through checkout).
    PLACED = "placed", _("Placed")


#: The deliveries a sweep still has to place once they are due.
DELIVERY_OPEN = (DeliveryStatus.SCHEDULED, DeliveryStatus.WAITING)
