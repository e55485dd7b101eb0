"""Queueing and delivering text messages. Every other app sends through ``sms_send``.

``sms_send`` stores the message (its words sealed) and enqueues ``sms_send_task`` on the
``sms`` queue after commit; ``sms_deliver`` (the task's work) takes the per-number rate
limit, claims the message with one conditional ``UPDATE`` (two workers never both send
it), calls the configured sender and records the outcome, clearing the sealed words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from storefront import queue, ratelimit
from storefront.phones import phone_masked

from . import sealing
from .constants import SmsStatus
from .exceptions import SmsSendError, SmsUnavailable
from .models import SmsMessage
from .senders import OutgoingSms, get_sender, sms_enabled

logger = logging.getLogger(__name__)


def sms_send(
    *,
    phone: str,
    template: str,
    params: dict[str, str],
    text: str,
    language: str = "",
    dedupe_key: str | None = None,
) -> SmsMessage:
    """Queue one message to ``phone`` (E.164). ``SmsUnavailable`` when no sender is set.

    With a ``dedupe_key`` (say ``delivery:42``), a second call returns the first message
    and sends nothing: one event is never texted twice."""
    from .tasks import sms_send_task

    if not sms_enabled():
        raise SmsUnavailable()
    if dedupe_key:
        existing = SmsMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    message = SmsMessage(
        phone=phone,
        template=template,
        language=language,
        dedupe_key=dedupe_key or "",
        payload_sealed=sealing.seal({"params": params, "text": text}),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not dedupe_key:
            raise
        return SmsMessage.objects.get(dedupe_key=dedupe_key)  # a concurrent call won
    queue.send_on_commit(sms_send_task, message.pk)
    return message


@dataclass(frozen=True)
class Delivery:
    """What ``sms_deliver`` did: ``retry_in`` seconds when the task should try again."""

    status: str
    retry_in: int | None = None
    error: str = ""


def number_limits(phone: str) -> list[ratelimit.Limit]:
    """Every message to one number, whatever sent it, shares these (``SMS_PER_NUMBER_*``)."""
    return [
        ratelimit.Limit(f"sms:{phone}", settings.SMS_PER_NUMBER_PER_MINUTE, timedelta(minutes=1)),
        ratelimit.Limit(f"sms:{phone}", settings.SMS_PER_NUMBER_PER_HOUR, timedelta(hours=1)),
    ]


def sms_deliver(*, message_id: int, attempt: int = 0) -> Delivery:
    """Send one queued message. Idempotent: a message no longer queued is left alone."""
    message = SmsMessage.objects.filter(pk=message_id).only("status", "phone").first()
    if message is None or message.status != SmsStatus.QUEUED:
        return Delivery(status=message.status if message else "missing")
    try:
        ratelimit.take_all(number_limits(message.phone))
    except ratelimit.LimitReached as exc:
        logger.info(
            "SMS %s to %s waits %ss (rate limit)",
            message_id,
            phone_masked(message.phone),
            exc.retry_after,
        )
        return Delivery(status=SmsStatus.QUEUED, retry_in=exc.retry_after, error="rate_limited")
    claimed = SmsMessage.objects.filter(pk=message_id, status=SmsStatus.QUEUED).update(
        status=SmsStatus.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return Delivery(status="claimed_elsewhere")
    message = SmsMessage.objects.get(pk=message_id)
    payload = sealing.unseal(message.payload_sealed)
    sender = get_sender()
    if payload is None or sender is None:
        code = "payload_unreadable" if payload is None else "sms_unavailable"
        _finish(message_id, SmsStatus.FAILED, error_code=code)
        return Delivery(status=SmsStatus.FAILED, error=code)
    outgoing = OutgoingSms(
        phone=message.phone,
        template=message.template,
        params=payload.get("params") or {},
        text=payload.get("text") or "",
        language=message.language,
    )
    try:
        result = sender.send(outgoing)
    except SmsSendError as exc:
        logger.warning(
            "SMS %s to %s: %s %s (%s)",
            message_id,
            phone_masked(message.phone),
            sender.name,
            exc.code,
            "will retry" if exc.temporary else "given up",
        )
        if exc.temporary:
            SmsMessage.objects.filter(pk=message_id, status=SmsStatus.SENDING).update(
                status=SmsStatus.QUEUED,
                provider=sender.name,
                error_code=exc.code[:100],
                error_message=exc.message[:300],
            )
            return Delivery(status=SmsStatus.QUEUED, retry_in=backoff(attempt), error=exc.code)
        _finish(
            message_id,
            SmsStatus.FAILED,
            provider=sender.name,
            error_code=exc.code,
            error_message=exc.message,
        )
        return Delivery(status=SmsStatus.FAILED, error=exc.code)
    _finish(
        message_id,
        SmsStatus.SENT,
        provider=result.provider,
        provider_message_id=result.message_id,
        sent_at=timezone.now(),
    )
    return Delivery(status=SmsStatus.SENT)


def sms_give_up(*, message_id: int, error_code: str = "retries_exhausted") -> None:
    """The task ran out of tries: the message fails and its words are forgotten."""
    SmsMessage.objects.filter(pk=message_id, status=SmsStatus.QUEUED).update(
        status=SmsStatus.FAILED, error_code=error_code, payload_sealed=""
    )


def backoff(attempt: int) -> int:
    """Seconds before try ``attempt + 1``: 15 s, 30 s, 1 min … at most 30 min."""
    return min(15 * 2**attempt, 1800)


def _finish(message_id: int, status: str, **fields) -> None:
    for name, limit in (("error_code", 100), ("error_message", 300)):
        if name in fields:
            fields[name] = fields[name][:limit]
    SmsMessage.objects.filter(pk=message_id).update(status=status, payload_sealed="", **fields)
