"""Account writes: registration, API tokens and sign-in by SMS code.

Every rule about a new account (username format and uniqueness, password
strength, e-mail and phone format) lives here, so the REST API and any page
refuse the same things with the same messages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework.authtoken.models import Token

from sms.exceptions import SmsUnavailable
from sms.senders import sms_enabled
from sms.services import sms_send
from storefront import ratelimit
from storefront.errors import InvalidInput
from storefront.phones import InvalidPhoneNumber, mobile_normalize, phone_normalize

from .exceptions import CodeExpired, InvalidCode, InvalidCredentials, Throttled, TooManyAttempts
from .models import SmsLoginCode, User

_TAKEN = "A user with this username already exists."
_PHONE_TAKEN = gettext_noop("This phone number belongs to another account.")
_PHONE_MESSAGES = {
    "invalid_phone": gettext_noop("Enter a phone number, e.g. 13800138000."),
    "not_mobile": gettext_noop("Enter a mobile number that can receive text messages."),
}


def _field_errors(field: str, exc: ValidationError, into: dict[str, list[str]]) -> None:
    into.setdefault(field, []).extend(exc.messages)


@transaction.atomic
def user_register(
    *, username: str, password: str, email: str = "", phone: str = "", language: str = ""
) -> User:
    """Create a buyer account. Raises ``InvalidInput`` (code ``invalid``) with per-field
    messages: a taken username (case-insensitive), a weak password, a bad e-mail or phone.
    ``language`` (the one the person signed up in) is kept for their e-mails; an unknown
    one is ignored rather than refused, since the person never typed it."""
    username = (username or "").strip()
    email = (email or "").strip()
    phone = (phone or "").strip()
    errors: dict[str, list[str]] = {}
    if phone:
        try:
            phone = phone_normalize(phone)
        except InvalidPhoneNumber as exc:
            errors["phone"] = [_(_PHONE_MESSAGES[exc.code])]
            phone = ""
        else:
            # A number typed at sign-up is unproven; a proven one belongs to its owner.
            if User.objects.filter(phone=phone, phone_verified=True).exists():
                errors["phone"] = [_(_PHONE_TAKEN)]

    known = {code for code, _name in settings.LANGUAGES}
    user = User(
        username=username,
        email=email,
        phone=phone,
        language=language if language in known else "",
    )
    try:  # the model's own validators: username characters and length, e-mail, phone
        user.clean_fields(exclude=["password", "last_login", "date_joined"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    # "Alice" and "alice" are one person to a human reading an order list.
    if username and User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_TAKEN]
    try:
        validate_password(password or "", user=user)
    except ValidationError as exc:
        _field_errors("password", exc, errors)
    if errors:
        raise InvalidInput(details=errors)

    user.set_password(password)
    if phone:
        # The number moves to the newest claim until someone proves it by code.
        User.objects.filter(phone=phone, phone_verified=False).update(phone="")
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two registrations raced for one name (or one number): the loser is refused.
        if phone and User.objects.filter(phone=phone).exists():
            raise InvalidInput(details={"phone": [_(_PHONE_TAKEN)]}) from None
        raise InvalidInput(details={"username": [_TAKEN]}) from None
    return user


def token_for_user(*, user: User) -> Token:
    token, _created = Token.objects.get_or_create(user=user)
    return token


def token_obtain(*, username: str, password: str, request: HttpRequest) -> Token:
    """The API token of the account these credentials open, or ``InvalidCredentials``.

    ``request`` is the HTTP request the credentials came in: the sign-in lock-out
    (django-axes, ``accounts.lockout``) counts failures per account and address with it.
    """
    user = authenticate(request, username=username or "", password=password or "")
    if user is None or not user.is_active:
        raise InvalidCredentials()
    return token_for_user(user=user)


# --- sign-in by SMS code ------------------------------------------------------
CODE_LENGTH = 6
_CODE_PATTERN = re.compile(r"^\d{6}$")


def _mobile_or_invalid(raw) -> str:
    if not isinstance(raw, str):
        raise InvalidInput(details={"phone": [_(_PHONE_MESSAGES["invalid_phone"])]})
    try:
        return mobile_normalize(raw)
    except InvalidPhoneNumber as exc:
        raise InvalidInput(details={"phone": [_(_PHONE_MESSAGES[exc.code])]}) from None


def _code_hash(phone: str, code: str) -> str:
    """A keyed hash: without ``SECRET_KEY`` the million codes of a number cannot be tried."""
    message = f"sms-login:{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def sms_code_limits(*, phone: str, client_address: str) -> list[ratelimit.Limit]:
    minute, hour = timedelta(minutes=1), timedelta(hours=1)
    limits = []
    for key in (f"smscode:phone:{phone}", f"smscode:addr:{client_address}"):
        limits.append(ratelimit.Limit(key, settings.SMS_CODE_PER_MINUTE, minute))
        limits.append(ratelimit.Limit(key, settings.SMS_CODE_PER_HOUR, hour))
    return limits


def sms_code_request(*, phone: str, client_address: str, language: str = "") -> SmsLoginCode:
    """Send a new six-digit code to ``phone``; earlier unused codes of the number die.

    At most ``SMS_CODE_PER_MINUTE`` (1) codes a minute and ``SMS_CODE_PER_HOUR`` (10) an
    hour per number and per client address, all taken together or not at all
    (``Throttled``, 429, ``details.retry_after_seconds``)."""
    number = _mobile_or_invalid(phone)
    if not sms_enabled():
        raise SmsUnavailable()
    now = timezone.now()
    ttl = timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    with transaction.atomic():
        try:
            ratelimit.take_all(sms_code_limits(phone=number, client_address=client_address))
        except ratelimit.LimitReached as exc:
            raise Throttled(details={"retry_after_seconds": exc.retry_after}) from None
        code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
        SmsLoginCode.objects.filter(phone=number, used_at__isnull=True).update(used_at=now)
        row = SmsLoginCode.objects.create(
            phone=number, code_hash=_code_hash(number, code), expires_at=now + ttl
        )
        minutes = max(1, settings.SMS_CODE_TTL_SECONDS // 60)
        with translation.override(language or settings.LANGUAGE_CODE):
            text = _(
                "Farmgate sign-in code: %(code)s. It is valid for %(minutes)d minutes. "
                "Never tell it to anyone, not even to us."
            ) % {"code": code, "minutes": minutes}
        sms_send(
            phone=number,
            template="login_code",
            params={"code": code, "minutes": str(minutes)},
            text=text,
            language=language,
        )
    return row


def sms_code_verify(*, phone: str, code: str, language: str = "") -> tuple[User, bool]:
    """The account of a number whose newest code this is: ``(user, created)``.

    The code row is locked while it is checked, so however many tries arrive at once,
    at most ``SMS_CODE_MAX_ATTEMPTS`` (5) are compared; the next gets
    ``TooManyAttempts`` (429). ``InvalidCode`` (no code, a wrong one) and ``CodeExpired``
    are 400. A number nobody has proven yet gets a new buyer account."""
    number = _mobile_or_invalid(phone)
    code = code.strip() if isinstance(code, str) else ""
    now = timezone.now()
    user, created, refusal = None, False, None
    with transaction.atomic():
        row = (
            SmsLoginCode.objects.select_for_update()
            .filter(phone=number, used_at__isnull=True)
            .order_by("-created", "-id")
            .first()
        )
        if row is None:
            refusal = InvalidCode()
        elif row.expires_at <= now:
            refusal = CodeExpired()
        elif row.attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
            refusal = TooManyAttempts()
        else:
            row.attempts += 1
            right = bool(_CODE_PATTERN.match(code)) and hmac.compare_digest(
                row.code_hash, _code_hash(number, code)
            )
            if right:
                row.used_at = now
            row.save(update_fields=["attempts", "used_at"])
            if right:
                user, created = _user_for_proven_number(number, language=language)
            else:
                refusal = InvalidCode()
    # Raised after the commit: the spent attempt stays counted.
    if refusal is not None:
        raise refusal
    return user, created


def _user_for_proven_number(number: str, *, language: str) -> tuple[User, bool]:
    known = {code for code, _name in settings.LANGUAGES}
    holder = User.objects.select_for_update().filter(phone=number).first()
    if holder is not None and holder.phone_verified:
        if not holder.is_active:
            raise InvalidCredentials()
        if not holder.language and language in known:
            # An account from before languages were kept: the one they sign in with.
            holder.language = language
            holder.save(update_fields=["language"])
        return holder, False
    if holder is not None:
        # Someone typed this number at sign-up without proving it: it is not theirs to
        # keep, and signing the proven owner into their account would hand it over.
        holder.phone = ""
        holder.save(update_fields=["phone"])
    user = User(
        username=f"buyer-{number[-4:]}-{secrets.token_hex(3)}",
        phone=number,
        phone_verified=True,
        language=language if language in known else "",
    )
    user.set_unusable_password()
    user.save()
    return user, True


def user_set_language(*, user: User, language: str) -> User:
    """Remember the language the person reads the shop in: their e-mails and text
    messages are written in it. ``InvalidInput`` for a language the shop does not speak."""
    known = {code for code, _name in settings.LANGUAGES}
    if not isinstance(language, str) or language not in known:
        raise InvalidInput(details={"language": [f"One of {', '.join(sorted(known))}."]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
