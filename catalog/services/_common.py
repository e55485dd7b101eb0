"""Helpers the catalogue's services share (not services themselves)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from storefront.errors import InvalidInput, InvalidState

# Uyghur's Arabic script in the Latin (ULY) spelling, letter by letter, for addresses.
_UYGHUR_LATIN = str.maketrans(
    {
        "ا": "a", "ە": "e", "ب": "b", "پ": "p", "ت": "t", "ج": "j", "چ": "ch", "خ": "x",
        "د": "d", "ر": "r", "ز": "z", "ژ": "zh", "س": "s", "ش": "sh", "غ": "gh", "ف": "f",
        "ق": "q", "ك": "k", "گ": "g", "ڭ": "ng", "ل": "l", "م": "m", "ن": "n", "ھ": "h",
        "و": "o", "ۇ": "u", "ۆ": "o", "ۈ": "u", "ۋ": "w", "ې": "e", "ى": "i", "ي": "y",
        "ئ": "",
    }
)  # fmt: skip


def slug_base(text: str, *, max_length: int = 60) -> str:
    """A readable address part: Chinese in pinyin (吉木乃面粉 → ji-mu-nai-mian-fen),
    Uyghur in Latin letters, the rest as Django's ``slugify``; "" when nothing is left."""
    # Imported here: pypinyin's phrase dictionary costs each process about 70 MB, and
    # only the processes that name new listings (or search in Chinese) need it.
    from pypinyin import lazy_pinyin

    latin = " ".join(lazy_pinyin(text.translate(_UYGHUR_LATIN), errors="default"))
    return slugify(latin)[:max_length].strip("-")


def unique_slug(model, text: str, *, max_length: int = 60) -> str:
    """A readable slug (pinyin for Chinese titles); a taken one gets a short suffix."""
    base = slug_base(text, max_length=max_length) or "item"
    slug = base
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def raise_errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise InvalidInput(details=errors)


def refuse_unknown(fields, allowed) -> None:
    """``InvalidInput`` naming every field a service does not let its callers set."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput(details={name: [_("Not editable.")] for name in sorted(unknown)})


def full_clean(
    instance: models.Model, errors: dict[str, list[str]] | None = None, **kwargs
) -> None:
    """``full_clean()`` whose ``ValidationError`` becomes the services' ``InvalidInput``
    (merged with the errors the service found itself), so no caller sees a bare one."""
    errors = dict(errors or {})
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors[field])
    raise_errors(errors)


def delete_or_refuse(instance: models.Model, message: str) -> None:
    """Delete a row, or refuse with ``message`` when other rows still point at it."""
    try:
        instance.delete()
    except (ProtectedError, RestrictedError):
        raise InvalidState(message, code="in_use") from None


def save_unique(instance: models.Model, field: str, message: str) -> models.Model:
    """Save; a unique constraint the row breaks (a race the checks could not see) is
    ``InvalidInput`` on ``field`` with ``message``, not a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise InvalidInput(details={field: [message]}) from None
    return instance
