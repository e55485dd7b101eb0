"""API token authentication with a short-lived cache in front of the token table.

DRF's ``TokenAuthentication`` reads the token and its user from PostgreSQL on every
request: in a flash sale that read was about a third of the order endpoint's time
(bench/README.md). :class:`CachedTokenAuthentication` answers a known token from the
cache (one Redis ``GET``) and reads the database only on a miss.

* **Keyed by the token's SHA-256**, never by the token itself, so a dump of the cache
  holds no usable credential. The entry holds the user's columns except the password
  hash; the user comes back as a model instance whose password is a deferred field (read
  from the database if anything asks for it; ``save()`` of such an instance writes only
  the loaded columns, so it can never blank a password).
* **Short-lived** (``TOKEN_AUTH_CACHE_SECONDS``, 60 s; 0 turns the cache off).
* **Refused at once after a change**: deleting or replacing a token, and saving or
  deleting its user (deactivation, a new e-mail, a role), overwrite the entry with a
  tombstone — in the signal, so a request racing the change cannot put an old entry
  back (entries are only ever *added*, and an ``add`` over a tombstone fails), and again
  when the transaction commits. A tombstone sends that token to the database until it
  expires. Deleting a user deletes its token (cascade: the token's signal runs). Writes
  that bypass signals (``QuerySet.update`` of users) are seen within the TTL.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

_PREFIX = "authtoken:1:"
_USER_PREFIX = "authtoken-user:1:"
_TOMBSTONE = "revoked"


def _ttl() -> int:
    return int(getattr(settings, "TOKEN_AUTH_CACHE_SECONDS", 60))


def _user_fields() -> list[str]:
    """The user's columns kept in the cache: all but the password hash."""
    return [f.attname for f in get_user_model()._meta.concrete_fields if f.name != "password"]


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _entry_key(key: str) -> str:
    # The column list is part of the key: after a migration adds a user column, entries
    # written by the old code are simply not found.
    columns = hashlib.sha256(",".join(_user_fields()).encode()).hexdigest()[:8]
    return f"{_PREFIX}{columns}:{token_digest(key)}"


def _tombstone(keys: list[str]) -> None:
    if keys:
        cache.set_many(dict.fromkeys(keys, _TOMBSTONE), timeout=_ttl() + 5)


def token_cache_revoke(*, key: str | None = None, user_id: int | None = None) -> None:
    """Forget what the cache knows about token ``key`` and/or the tokens of ``user_id``:
    now, and again when the current transaction commits."""
    if _ttl() <= 0:
        return

    def revoke() -> None:
        keys = [_entry_key(key)] if key else []
        if user_id is not None:
            known = cache.get(f"{_USER_PREFIX}{user_id}")
            if isinstance(known, str):
                keys.append(known)
        _tombstone(keys)

    revoke()
    transaction.on_commit(revoke)


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, answered from the cache when it can be."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        ttl = _ttl()
        if ttl <= 0:
            return super().authenticate_credentials(key)
        entry_key = _entry_key(key)
        hit = cache.get(entry_key)
        if isinstance(hit, tuple):
            return self._from_entry(key, hit)
        token, user = self._from_database(key)
        if hit is None:  # a tombstone (a recent change) keeps the token off the cache
            cache.set(f"{_USER_PREFIX}{user.pk}", entry_key, timeout=ttl + 5)
            values = tuple(getattr(user, name) for name in _user_fields())
            cache.add(entry_key, (token.created, values), timeout=ttl)
        return user, token

    def _from_database(self, key: str) -> tuple[Token, Any]:
        try:
            token = Token.objects.select_related("user").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token, token.user

    def _from_entry(self, key: str, entry: tuple) -> tuple[Any, Token]:
        created, values = entry
        user = get_user_model().from_db(DEFAULT_DB_ALIAS, _user_fields(), values)
        if not user.is_active:  # pragma: no cover - an inactive user is never cached
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user=user, created=created)
        token._state.adding = False
        token._state.db = DEFAULT_DB_ALIAS
        return user, token


def _token_changed(sender, instance: Token, created: bool = False, **kwargs) -> None:
    if not created:  # a new key cannot be in the cache yet
        token_cache_revoke(key=instance.key, user_id=instance.user_id)


def _user_changed(sender, instance, created: bool = False, **kwargs) -> None:
    if not created:
        token_cache_revoke(user_id=instance.pk)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_token_changed, sender=Token, dispatch_uid="authtoken-cache-save")
    post_delete.connect(_token_changed, sender=Token, dispatch_uid="authtoken-cache-delete")
    user_model = get_user_model()
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="authtoken-cache-user")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="authtoken-cache-user-del")
