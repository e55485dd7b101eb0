"""Template tags that read the catalogue: membership of the signed-in user, certification labels."""

from __future__ import annotations

from django import template

from catalog.constants import CertificationKind
from catalog.selectors import user_cooperative_ids, user_managed_cooperative_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def is_farm_member(context) -> bool:
    """Whether the signed-in user belongs to a cooperative (one cached query per request)."""
    user = context["request"].user
    return bool(user.is_authenticated and user_cooperative_ids(user))


@register.simple_tag(takes_context=True)
def is_coop_manager(context) -> bool:
    user = context["request"].user
    return bool(user.is_authenticated and user_managed_cooperative_ids(user))


@register.simple_tag
def cert_label(kind: str) -> str:
    try:
        return str(CertificationKind(kind).label)
    except ValueError:
        return kind
