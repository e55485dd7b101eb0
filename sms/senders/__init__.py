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
        return AliyunSender(
            access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
            access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
            sign_name=settings.SMS_ALIYUN_SIGN_NAME,
            templates=settings.SMS_ALIYUN_TEMPLATES,
            endpoint=settings.SMS_ALIYUN_ENDPOINT,
        )
    if backend == "tencent":
        return TencentSender(
            secret_id=settings.SMS_TENCENT_SECRET_ID,
            secret_key=settings.SMS_TENCENT_SECRET_KEY,
            sdk_app_id=settings.SMS_TENCENT_SDK_APP_ID,
            sign_name=settings.SMS_TENCENT_SIGN_NAME,
            templates=settings.SMS_TENCENT_TEMPLATES,
            region=settings.SMS_TENCENT_REGION,
            endpoint=settings.SMS_TENCENT_ENDPOINT,
        )
    return None
