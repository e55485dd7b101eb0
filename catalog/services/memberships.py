"""Memberships: who farms for and who manages a cooperative (and so who sees its admin)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from storefront.errors import InvalidInput

from ..audit import audit_record
from ..constants import AuditAction, MembershipRole
from ..models import Cooperative, Membership

MEMBERSHIP = AuditAction.MEMBERSHIP


def _sync_staff(user: User) -> None:
    """Admin access (``is_staff``) follows the manager role: a manager of any cooperative
    gets it, a person who manages none any more loses it (platform staff keep theirs)."""
    if user.is_platform:
        return
    manages = Membership.objects.filter(user=user, role=MembershipRole.MANAGER).exists()
    if user.is_staff != manages:
        user.is_staff = manages
        user.save(update_fields=["is_staff"])


@transaction.atomic
def membership_grant(
    *,
    user: User,
    cooperative: Cooperative,
    role: str = MembershipRole.FARMER,
    registered_poor_household: bool = False,
    actor: User | None = None,
) -> Membership:
    """Make ``user`` a member with ``role`` (or change their role and household flag);
    managers get admin access, scoped to their cooperatives. Recorded in the audit trail."""
    if role not in MembershipRole.values:
        raise InvalidInput(details={"role": [_("Unknown role.")]})
    if not user.is_active:
        raise InvalidInput(details={"user": [_("This account is not active.")]})
    membership = (
        Membership.objects.select_for_update().filter(user=user, cooperative=cooperative).first()
    )
    if membership is None:
        membership = Membership.objects.create(
            user=user,
            cooperative=cooperative,
            role=role,
            registered_poor_household=registered_poor_household,
        )
        changes = {"role": (None, role)}
        if registered_poor_household:
            changes["registered_poor_household"] = (None, True)
        note = "granted"
    else:
        changes = {}
        if membership.role != role:
            changes["role"] = (membership.role, role)
        if membership.registered_poor_household != registered_poor_household:
            changes["registered_poor_household"] = (
                membership.registered_poor_household,
                registered_poor_household,
            )
        membership.role = role
        membership.registered_poor_household = registered_poor_household
        if changes:
            membership.save(update_fields=["role", "registered_poor_household"])
        note = "changed"
    _sync_staff(user)
    if changes:
        audit_record(target=membership, action=MEMBERSHIP, actor=actor, changes=changes, note=note)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: User | None = None) -> None:
    """End a membership; a person who no longer manages any cooperative loses the admin."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    ended = {"role": (locked.role, None)}
    audit_record(target=locked, action=MEMBERSHIP, actor=actor, changes=ended, note="revoked")
    user = locked.user
    locked.delete()
    _sync_staff(user)
