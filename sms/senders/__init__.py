"""The configured sender (``SMS_BACKEND``: ``outbox``, ``aliyun``, ``tencent`` or empty)."""

from __future__ import annotations

from django.conf import settings

from .aliyun import AliyunSender
from .base import OutgoingSms, SendResult, SmsSender
from .outbox import OutboxSender
from .tencent import TencentSender

__all__ = ["OutgoingSms", "SendResult", "SmsSender", "get_sender", "sms_enabled"]


def sms_enabled() -> bool:
    return bool(settings.SMS_BACKEND)


def get_sender() -> SmsSender | None:
    backend = settings.SMS_BACKEND
    if backend == "outbox":
        return OutboxSender()
    if backend == "aliyun":
        return AliyunSender.from_settings(settings, "SMS_ALIYUN_")
    if backend == "tencent":
        return TencentSender.from_settings(settings, "SMS_TENCENT_")
    return None
