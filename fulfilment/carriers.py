"""The carrier notification protocol: HMAC-SHA256 signatures, one secret per carrier.

A logistics partner POSTs JSON to ``/api/v1/fulfilment/carrier-events/`` with header
``X-Carrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``,
the same scheme as the sandbox wallet. Secrets come from ``CARRIER_WEBHOOK_SECRETS``
(``{"sf": "...", ...}``); a carrier without a secret cannot notify us.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from .exceptions import InvalidSignature

SIGNATURE_HEADER = "X-Carrier-Signature"
TOLERANCE_SECONDS = 300


def carrier_secret(code: str) -> str:
    return str((getattr(settings, "CARRIER_WEBHOOK_SECRETS", None) or {}).get(code) or "")


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value a carrier sends (used by the tests and the demo)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(code: str, body: bytes, header: str | None, *, now: float | None = None) -> None:
    """Raise ``InvalidSignature`` unless ``header`` signs ``body`` with the carrier's secret."""
    secret = carrier_secret(code)
    if not secret or not header:
        raise InvalidSignature()
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        raise InvalidSignature() from None
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        raise InvalidSignature("The notification's timestamp is too old or in the future.")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise InvalidSignature()
