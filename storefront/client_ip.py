"""The one rule for "which address is the client": ``TRUSTED_PROXY_COUNT``.

With no proxy we trust (0, the default) the client is the socket's address,
``REMOTE_ADDR``: a client-supplied ``X-Forwarded-For`` is ignored, so it cannot pick
a new identity per request to walk around a throttle. Behind N proxies we trust,
each appending the address it saw, the client is the N-th address from the right of
``X-Forwarded-For`` (what the outermost trusted proxy saw). DRF's throttles use the
same rule (``REST_FRAMEWORK["NUM_PROXIES"]`` is set from the same setting), and so do
the login lock-outs (django-axes' ``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))] or remote
