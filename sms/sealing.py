"""Encryption of what a queued message says, with keys derived from ``SECRET_KEY``
(and ``SECRET_KEY_FALLBACKS``, so rotating the key does not lose queued messages)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(hashlib.sha256(f"farmgate-sms:{key}".encode()).digest())
            )
            for key in keys
        ]
    )


def seal(payload: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(payload, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> dict[str, Any] | None:
    """The payload, or None when it was cleared or cannot be read with any known key."""
    if not token:
        return None
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None
