from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ORDER_PLACED = "order_placed", _("Order received")
    ORDER_PAID = "order_paid", _("Order paid")
    ORDER_SHIPPED = "order_shipped", _("Order shipped")
    ORDER_READY_FOR_PICKUP = "order_ready_for_pickup", _("Order ready for pickup")
    ORDER_REFUNDED = "order_refunded", _("Refund done")
    # A villager's order placed at a station, paid from their own phone (issue 14).
    ORDER_PAY_LINK = "order_pay_link", _("Pay link")
    # A farmer's (issue 18).
    LISTING_APPROVED = "listing_approved", _("Listing approved")
    LISTING_REJECTED = "listing_rejected", _("Listing sent back")
    SOLD = "sold", _("Sold")
    LOW_STOCK = "low_stock", _("Running low")
    # A cooperative manager's (issue 18).
    TO_PACK = "to_pack", _("Parcel to pack")
    LISTING_TO_REVIEW = "listing_to_review", _("Listing to review")
    PAID_ORDER_CANCELLED = "paid_order_cancelled", _("Paid order cancelled")
    PAYOUT_MADE = "payout_made", _("Payout made")


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("text message")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    SKIPPED = "skipped", _("skipped")
