"""Carriers, shipments (one per cooperative per order), their lines, tracking events,
and the inbox of carrier notifications.

Writes go through ``fulfilment.services``; nothing sets ``shipment.status`` directly.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import CarrierEventStatus, ShipmentStatus


class Carrier(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    tracking_url_template = models.CharField(
        _("tracking URL template"),
        max_length=255,
        help_text=_("The carrier's tracking page; {number} is replaced by the tracking number."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, number: str) -> str:
        return self.tracking_url_template.replace("{number}", number)


def packing_slip_path(shipment: Shipment, filename: str) -> str:
    return f"packing-slips/{shipment.order.number}-{shipment.cooperative_id}.pdf"


class Shipment(models.Model):
    """The part of an order one cooperative packs and sends."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="shipments", verbose_name=_("order")
    )
    cooperative = models.ForeignKey(
        "catalog.Cooperative",
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("cooperative"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING
    )
    carrier = models.ForeignKey(
        Carrier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
        verbose_name=_("carrier"),
    )
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    packing_slip = models.FileField(_("packing slip"), upload_to=packing_slip_path, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set when the e-mail went out: the tasks check them to stay idempotent.
    managers_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    buyer_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(fields=["order", "cooperative"], name="shipment_unique_coop"),
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_unique_tracking_number",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED])
                | (Q(carrier__isnull=False) & ~Q(tracking_number="")),
                name="shipment_shipped_has_tracking",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "status"], name="shipment_coop_status_idx"),
            models.Index(fields=["status", "shipped_at"], name="shipment_status_shipped_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order} / {self.cooperative}"

    @property
    def tracking_url(self) -> str:
        if self.carrier and self.tracking_number:
            return self.carrier.tracking_url(self.tracking_number)
        return ""


class ShipmentLine(models.Model):
    """An order line in a shipment, with the batch packed for it (for the slip's QR code)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.OneToOneField(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="shipment_line"
    )
    batch = models.ForeignKey(
        "catalog.Batch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("batch"),
    )

    class Meta:
        ordering = ["order_line_id"]
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")

    def __str__(self) -> str:
        return str(self.order_line)


class TrackingEvent(models.Model):
    """Append-only history the buyer sees: every status change and carrier report."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    status = models.CharField(_("status"), max_length=12)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")

    def __str__(self) -> str:
        # Local time, as every page shows times (not UTC beside the local column).
        return (
            f"{self.shipment}: {self.status_label} @ {timezone.localtime(self.at):%Y-%m-%d %H:%M}"
        )

    @property
    def status_label(self) -> str:
        """The status in words, in the current language (shipment statuses first, then
        carrier events); an unknown carrier code as it came."""
        for choices in (ShipmentStatus, CarrierEventStatus):
            if self.status in choices.values:
                return str(choices(self.status).label)
        return self.status


class CarrierEvent(models.Model):
    """Inbox of carrier notifications, unique per (carrier, event id): a replay changes nothing."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=64)
    tracking_number = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=CarrierEventStatus.choices)
    shipment = models.ForeignKey(
        Shipment, on_delete=models.SET_NULL, null=True, related_name="carrier_events"
    )
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("carrier notification")
        verbose_name_plural = _("carrier notifications")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "event_id"], name="carrierevent_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier.code}:{self.event_id}"
