"""Failures of sending a text message."""

from storefront.errors import ApplicationError


class SmsUnavailable(ApplicationError):
    """No SMS provider is configured (``SMS_BACKEND`` empty)."""

    code = "sms_unavailable"
    status_code = 503
    default_message = "Text messages cannot be sent right now."


class SmsSendError(Exception):
    """A provider refused or failed. ``temporary`` ones are retried later."""

    temporary = False

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class SmsTemporaryError(SmsSendError):
    temporary = True


class SmsPermanentError(SmsSendError):
    temporary = False
