"""Lock-out after repeated failed sign-ins (django-axes), and the sign-up rate limit.

django-axes counts failed sign-ins per account and per client address (the rule of
``storefront.client_ip``) on every login form: the storefront's, the admin's and the
API's token endpoint, which passes its request to ``authenticate``. After
``AXES_FAILURE_LIMIT`` failures the account, or the address, is locked for
``AXES_COOLOFF_TIME``; the answer is a 429 (JSON under ``/api/``, a page elsewhere).
Staff unlock early with ``manage.py axes_reset_username NAME`` / ``axes_reset_ip IP``
/ ``axes_reset``, or by deleting the row in the admin's *Access attempts*.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

from storefront.api.exceptions import error_body


def username_key(request, credentials: dict | None = None) -> str | None:
    """The account a sign-in names, as axes counts it: "Alice " and "alice" are one
    account (usernames are unique case-insensitively), so varying the case or
    padding gains an attacker no attempts."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if not isinstance(raw, str):
        return None
    return raw.strip().lower()[:150] or None


def _minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets: 429, with when to try again."""
    minutes = _minutes()
    if request.path.startswith("/api/"):
        body = error_body(
            "too_many_attempts",
            "Too many failed sign-ins; try again later.",
            {"retry_after_seconds": minutes * 60},
        )
        response = JsonResponse(body, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response


class RegisterThrottle(SimpleRateThrottle):
    """Sign-ups per client address (``THROTTLE_REGISTER_RATE``), for the API and the
    page alike: one counter, whichever way the accounts are made."""

    scope = "register"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
