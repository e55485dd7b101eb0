"""Error reports over the Sentry protocol (sentry.io, a self-hosted Sentry, GlitchTip).

Off unless ``SENTRY_DSN`` is set (settings call ``sentry_init``). Buyers' personal
data never leaves: ``send_default_pii`` is off (no IP address, cookies or user
e-mail), local variables are not sent, every key whose name suggests a secret or a
person (password, token, signature, phone, address, wallet …) is blanked at any
depth, and ``before_send`` keeps of the request only its method, its URL without
query string and its request id, and of the user only the id.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

# Names of fields that hold a secret or a person's data in Farmgate's own code.
DENYLIST = [
    *DEFAULT_DENYLIST,
    "signature",
    "sign",
    "sig",
    "key",
    "phone",
    "email",
    "address",
    "name",
    "recipient",
    "buyer",
    "openid",
    "buyer_id",
    "buyer_logon_id",
    "wallet",
    "account",
    "card",
    "id_number",
]
PII_DENYLIST = [*DEFAULT_PII_DENYLIST, "user_agent"]
KEPT_HEADERS = {"X-Request-Id", "X-Request-ID", "Content-Type", "Content-Length"}


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Strip what could name a person or unlock something from an event."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers") or {}
        event["request"] = {
            "method": request.get("method"),
            "url": str(request.get("url", "")).split("?", 1)[0],
            "headers": {k: v for k, v in headers.items() if k in KEPT_HEADERS},
        }
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        # Query breadcrumbs carry the statement's parameters (phones, addresses).
        if breadcrumb.get("category") == "query":
            breadcrumb.pop("data", None)
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # send_default_pii stays at its default, off (naming it is deprecated in 2.x);
        # tests/storefront/test_sentry.py checks it.
        include_local_variables=False,
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=DENYLIST, pii_denylist=PII_DENYLIST, recursive=True),
        before_send=before_send,
        traces_sample_rate=traces_sample_rate,
    )
