"""Text messages: the send queue (every message, whatever the provider) and the
development outbox (what a phone would have received, shown on ``/dev/sms/``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constants import SmsStatus


class SmsMessage(models.Model):
    """One message to one number. Its words (which may be a sign-in code) are kept only
    sealed (encrypted with a key derived from ``SECRET_KEY``) and only until the message
    is sent or given up; afterwards the row keeps the template, the number and the outcome."""

    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    template = models.CharField(_("template"), max_length=40)
    language = models.CharField(_("language"), max_length=10, blank=True)
    payload_sealed = models.TextField(_("sealed payload"), blank=True, editable=False)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=100,
        blank=True,
        help_text=_("The same key never sends a second message (one event, one text)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    error_message = models.CharField(_("error message"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="sms_message_dedupe_key_unique",
            )
        ]
        indexes = [models.Index(fields=["status", "created"], name="sms_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.template} → {self.phone} ({self.status})"


class OutboxMessage(models.Model):
    """A message "delivered" by the development sender: nothing leaves the machine."""

    phone = models.CharField(_("phone"), max_length=20)
    text = models.TextField(_("text"))
    template = models.CharField(_("template"), max_length=40, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("development outbox message")
        verbose_name_plural = _("development outbox")

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:40]}"
