"""Account writes: registration and API tokens.

Every rule about a new account (username format and uniqueness, password
strength, e-mail and phone format) lives here, so the REST API and any page
refuse the same things with the same messages.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from storefront.errors import InvalidInput

from .exceptions import InvalidCredentials
from .models import User

_TAKEN = "A user with this username already exists."


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
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two registrations raced for one name: the loser gets the same answer as above.
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
