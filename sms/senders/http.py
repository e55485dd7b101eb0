"""What the cloud senders share: one HTTP POST with a timeout, network trouble as a
temporary error (the task retries), and the hashing helpers of both signature schemes."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from ..exceptions import SmsTemporaryError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hmac_sha256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def post(url: str, *, headers: dict[str, str], content: bytes) -> httpx.Response:
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            return client.post(url, headers=headers, content=content)
    except httpx.HTTPError as exc:
        raise SmsTemporaryError("network_error", type(exc).__name__) from exc
