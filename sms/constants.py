from django.db import models
from django.utils.translation import gettext_lazy as _


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


FINAL_STATUSES = (SmsStatus.SENT, SmsStatus.FAILED)
