"""Account reads: a user's roles, as the API and pages show them."""

from __future__ import annotations

from catalog.models import Membership

from .models import User

ROLE_BUYER = "buyer"
ROLE_PLATFORM = "platform_staff"


def user_roles(*, user: User) -> list[str]:
    """``buyer`` for everyone, plus ``farmer``/``manager`` from active memberships and
    ``platform_staff``. Sorted, so clients can compare lists."""
    roles = {ROLE_BUYER}
    roles.update(
        Membership.objects.filter(user=user, cooperative__is_active=True)
        .values_list("role", flat=True)
        .distinct()
    )
    if user.is_platform:
        roles.add(ROLE_PLATFORM)
    return sorted(roles)
