"""The carrier notification protocol: HMAC-SHA256 signatures, one secret per carrier.

A logistics partner POSTs JSON to ``/api/v1/fulfilment/carrier-events/`` with header
``X-Carrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``,
the scheme of ``storefront.signing`` (the sandbox wallet's too). Secrets come from
``CARRIER_WEBHOOK_SECRETS`` (``{"sf": "...", ...}``); a carrier without a secret
cannot notify us. The signature is checked on the raw bytes before the body is
parsed, against every carrier's secret; the body must then name a carrier whose
secret signed it.
"""

from __future__ import annotations

import hmac

from django.conf import settings

from storefront import signing

from .exceptions import InvalidSignature

SIGNATURE_HEADER = "X-Carrier-Signature"
TOLERANCE_SECONDS = signing.TOLERANCE_SECONDS


def _secrets() -> dict[str, str]:
    configured = getattr(settings, "CARRIER_WEBHOOK_SECRETS", None) or {}
    return {str(code): str(secret) for code, secret in configured.items() if secret}


def carrier_secret(code: str) -> str:
    return _secrets().get(code, "")


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value a carrier sends (used by the tests and the demo)."""
    return signing.sign(secret, body, timestamp=timestamp)


def verify(body: bytes, header: str | None, *, now: float | None = None) -> frozenset[str]:
    """The codes of the carriers whose secret signed the raw ``body`` (usually one);
    ``InvalidSignature`` when none did or the timestamp is out of tolerance."""
    secrets = _secrets()
    try:
        matched = signing.verify(
            secrets=secrets.values(),
            body=body,
            header=header,
            now=now,
            tolerance=TOLERANCE_SECONDS,
        )
    except signing.SignatureError as exc:
        if exc.code == "stale":
            raise InvalidSignature(
                "The notification's timestamp is too old or in the future."
            ) from None
        raise InvalidSignature() from None
    return frozenset(
        code for code, secret in secrets.items() if hmac.compare_digest(secret, matched)
    )
