"""Phone numbers in one form everywhere: E.164 (``+8613800138000``).

People type ``138 0013 8000``, ``+86-138-0013-8000`` or ``008613800138000``; accounts
(and, later, addresses and station orders) store what :func:`phone_normalize` returns,
so one person's number always compares equal to itself. Numbers without a country code
are read as mainland China's. Parsing is Google's libphonenumber (``phonenumbers``).
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

DEFAULT_REGION = "CN"
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhoneNumber(ValueError):
    """Not a number that can be dialled (``code`` says why, for messages)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidPhoneNumber("invalid_phone")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException:
        raise InvalidPhoneNumber("invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("invalid_phone")
    return number


def phone_normalize(raw: str) -> str:
    """The E.164 form of any valid number, or ``InvalidPhoneNumber``."""
    return phonenumbers.format_number(_parse(raw), phonenumbers.PhoneNumberFormat.E164)


def mobile_normalize(raw: str) -> str:
    """Like :func:`phone_normalize`, but only numbers that receive text messages."""
    number = _parse(raw)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhoneNumber("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_national(e164: str) -> str:
    """The digits a provider of the number's own country expects (``13800138000``)."""
    return str(phonenumbers.parse(e164, None).national_number)


def phone_country_code(e164: str) -> int:
    return phonenumbers.parse(e164, None).country_code


def phone_masked(e164: str) -> str:
    """``+86 138****8000`` for logs and pages that need not show the whole number."""
    if len(e164) < 8:
        return "****"
    return f"{e164[:-8]}****{e164[-4:]}"
