"""The development sender: the message goes to the outbox table and the worker's log.

``/dev/sms/`` (with ``DEBUG`` on) lists the outbox, so a new user of ``make run`` can sign
in by code with no SMS account. Never configure it in production: the outbox keeps the
words of every message, codes included.
"""

from __future__ import annotations

import logging

from ..models import OutboxMessage
from .base import OutgoingSms, SendResult

logger = logging.getLogger("farmgate.sms.outbox")


class OutboxSender:
    name = "outbox"

    def send(self, message: OutgoingSms) -> SendResult:
        row = OutboxMessage.objects.create(
            phone=message.phone, text=message.text, template=message.template
        )
        logger.info("SMS to %s: %s", message.phone, message.text)
        return SendResult(provider=self.name, message_id=f"outbox-{row.pk}")
