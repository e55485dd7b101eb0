"""Notices to a person: one row per person and event, how each channel delivered it,
and the person's choice of channels."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import Channel, DeliveryStatus, NotificationKind


class Notification(models.Model):
    """Something that happened that a person should hear about. ``event_key`` names the
    event (``order:FG…:shipped:12``): unique per person, so one event is never notified
    twice however often the flow that reports it runs. The words are rendered when read,
    in the reader's language, from ``kind`` and ``context``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind.choices)
    event_key = models.CharField(_("event key"), max_length=120)
    context = models.JSONField(_("context"), default=dict)
    is_read = models.BooleanField(_("read"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_key"], name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created", "-id"], name="notification_user_created_idx"),
            models.Index(
                fields=["user"],
                condition=models.Q(is_read=False),
                name="notification_user_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.event_key}"


class Delivery(models.Model):
    """One channel's delivery of one notification (the in-app row needs none)."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"


class NotificationPreference(models.Model):
    """Which channels a person wants. Without a row, every channel is on; a channel is
    used only when the person has its address (an e-mail, a proven mobile number)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        primary_key=True,
    )
    in_app = models.BooleanField(
        _("in the shop"),
        default=True,
        help_text=_("Off: notices are still listed, but never counted as unread."),
    )
    email = models.BooleanField(_("by e-mail"), default=True)
    sms = models.BooleanField(_("by text message"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: app={self.in_app} email={self.email} sms={self.sms}"
