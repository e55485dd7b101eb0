"""Account reads: a user's roles, as the API and pages show them.

Accounts knows no cooperative (it sits below the catalogue). The roles other apps give
a person (``farmer``/``manager`` from cooperative memberships, and whatever later apps
add) are composed above it: ``settings.ACCOUNT_ROLE_SOURCES`` names functions
``(user) -> iterable of role names`` that the wiring layer plugs in, the way
``AUTHENTICATION_BACKENDS`` plugs sign-in into ``django.contrib.auth``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from .models import User

ROLE_BUYER = "buyer"
ROLE_PLATFORM = "platform_staff"


@cache
def _role_sources(paths: tuple[str, ...]) -> tuple[Callable[[User], Iterable[str]], ...]:
    return tuple(import_string(path) for path in paths)


def user_home_url(*, user: User) -> str:
    """Where signing in leads when no page asked for it: the first of
    ``settings.ACCOUNT_ROLE_HOMES`` (role, URL name) whose role ``user`` holds — a
    manager the admin, a farmer the portal — else the shop's home page."""
    roles = set(user_roles(user=user))
    if user.is_staff:
        roles.add("staff")
    for role, url_name in getattr(settings, "ACCOUNT_ROLE_HOMES", ()):
        if role in roles:
            return reverse(url_name)
    return "/"


def user_roles(*, user: User) -> list[str]:
    """``buyer`` for everyone, ``platform_staff`` where it applies, plus the roles each
    configured source gives (e.g. ``farmer``/``manager`` from active memberships).
    Sorted, so clients can compare lists."""
    roles = {ROLE_BUYER}
    for source in _role_sources(tuple(getattr(settings, "ACCOUNT_ROLE_SOURCES", ()))):
        roles.update(source(user))
    if user.is_platform:
        roles.add(ROLE_PLATFORM)
    return sorted(roles)
