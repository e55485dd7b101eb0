"""The one ``t=…,v1=…`` webhook signature: HMAC-SHA256 over ``"<t>.<raw body>"``.

The sandbox wallet's ``X-Sandbox-Signature`` and the carriers' ``X-Carrier-Signature``
are this scheme (as Stripe's). The header is ``t=<unix seconds>,v1=<64 hex digits>``,
with more ``v1`` while a secret rotates; unknown keys are ignored. Parsing is strict:
``t`` is 1 to 12 ASCII digits (``str.isdigit`` would take ``²``, which ``int`` refuses),
``v1`` exactly 64 hex digits, one ``t``. The MAC is checked on the raw bytes before
anyone parses the body, in constant time, and only then the timestamp, so a
``stale`` answer always means "authentic but old".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable

TOLERANCE_SECONDS = 300
MAX_SIGNATURES = 4  # v1 values in one header: a rotation needs two
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_HEX_MAC = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


class SignatureError(Exception):
    """``code`` is ``missing``, ``malformed``, ``mismatch`` or ``stale``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value a sender puts on ``body``."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_mac(secret, t, body)}"


def parse(header: str | None) -> tuple[int, list[str]]:
    """``(t, [v1, ...])`` of a header, or ``SignatureError`` (``missing``/``malformed``)."""
    if not header:
        raise SignatureError("missing", "no signature header")
    timestamp: int | None = None
    macs: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", "a signature item is not key=value")
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise SignatureError("malformed", "t is not one unix time in ASCII digits")
            timestamp = int(value)
        elif key == "v1":
            if not _HEX_MAC.fullmatch(value) or len(macs) == MAX_SIGNATURES:
                raise SignatureError("malformed", "v1 is not a hex HMAC-SHA256")
            macs.append(value.lower())
    if timestamp is None or not macs:
        raise SignatureError("malformed", "the header needs t and v1")
    return timestamp, macs


def verify(
    *,
    secrets: Iterable[str],
    body: bytes,
    header: str | None,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """The secret among ``secrets`` that signed the raw ``body``; else ``SignatureError``.

    Every secret and every ``v1`` is compared (constant time each), so the time taken
    says nothing about which one came close.
    """
    timestamp, macs = parse(header)
    matched = ""
    for secret in secrets:
        if not secret:
            continue
        expected = _mac(secret, timestamp, body)
        for mac in macs:
            if hmac.compare_digest(expected, mac) and not matched:
                matched = secret
    if not matched:
        raise SignatureError("mismatch", "the signature does not match")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("stale", "the timestamp is too old or in the future")
    return matched
