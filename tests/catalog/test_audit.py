"""The audit trail: who changed a price, a listing's status, a membership or a payout."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import services
from catalog.audit import audit_record
from catalog.constants import AuditAction, ProductStatus
from catalog.exceptions import ListingTransitionError
from catalog.models import AuditEvent, Membership
from payments.models import Payout
from tests.factories import make_cooperative, make_manager, make_photo, make_product, make_user

pytestmark = pytest.mark.django_db


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_price_change_records_who_and_both_prices():
    variant = make_product(price="39.90").variants.get()
    farmer = make_user("amina")
    services.variant_update(variant=variant, actor=farmer, price=Decimal("42.5"), name="5 kg bag")
    (event,) = _events(AuditAction.PRICE)
    assert event.actor == farmer
    assert event.changes == {"price": ["39.90", "42.50"]}
    assert event.cooperative_id == variant.product.cooperative_id
    assert (event.target_type, event.target_id) == ("catalog.variant", variant.pk)
    assert event.target_label.endswith("5 kg bag")
    # The same price again, or a name change alone, is not a price change.
    services.variant_update(variant=variant, actor=farmer, price=Decimal("42.50"), name="5 kg")
    assert len(_events(AuditAction.PRICE)) == 1


def test_stopping_a_sale_is_a_listing_event():
    variant = make_product().variants.get()
    manager = make_user()
    services.variant_update(variant=variant, actor=manager, is_active=False)
    (event,) = _events(AuditAction.LISTING)
    assert (event.actor, event.changes) == (manager, {"is_active": [True, False]})


def test_every_listing_move_is_recorded_with_its_actor_and_reason():
    product = make_product(status=ProductStatus.DRAFT)
    make_photo(product=product)
    farmer, manager = make_user(), make_user()
    services.product_submit(product=product, actor=farmer)
    services.product_reject(product=product, by=manager, reason="Photo is blurry")
    services.product_submit(product=product, actor=farmer)
    services.product_approve(product=product, by=manager)
    services.product_archive(product=product, actor=manager)
    assert [(e.actor, e.changes["status"], e.note) for e in _events(AuditAction.LISTING)] == [
        (farmer, ["draft", "pending_review"], ""),
        (manager, ["pending_review", "rejected"], "Photo is blurry"),
        (farmer, ["rejected", "pending_review"], ""),
        (manager, ["pending_review", "active"], ""),
        (manager, ["active", "archived"], ""),
    ]


def test_a_refused_transition_records_nothing():
    product = make_product(status=ProductStatus.ACTIVE)
    with pytest.raises(ListingTransitionError):
        services.product_submit(product=product, actor=make_user())
    assert not AuditEvent.objects.exists()


def test_membership_grant_change_and_revoke_follow_admin_access():
    coop, user, boss = make_cooperative(), make_user(), make_user()
    services.membership_grant(user=user, cooperative=coop, role="manager", actor=boss)
    user.refresh_from_db()
    assert user.is_staff
    services.membership_grant(
        user=user, cooperative=coop, role="farmer", registered_poor_household=True, actor=boss
    )
    user.refresh_from_db()
    assert not user.is_staff  # no longer manages any cooperative
    services.membership_grant(
        user=user, cooperative=coop, role="farmer", registered_poor_household=True, actor=boss
    )  # nothing changed: nothing recorded
    services.membership_revoke(membership=Membership.objects.get(user=user), actor=boss)
    assert [(e.changes, e.note) for e in _events(AuditAction.MEMBERSHIP)] == [
        ({"role": [None, "manager"]}, "granted"),
        (
            {"role": ["manager", "farmer"], "registered_poor_household": [False, True]},
            "changed",
        ),
        ({"role": ["farmer", None]}, "revoked"),
    ]
    assert all(e.actor == boss for e in _events(AuditAction.MEMBERSHIP))


def test_platform_staff_keep_their_admin_when_a_membership_ends():
    coop = make_cooperative()
    staff = make_user(is_staff=True, is_platform_staff=True)
    membership = services.membership_grant(user=staff, cooperative=coop, role="manager")
    services.membership_revoke(membership=membership)
    staff.refresh_from_db()
    assert staff.is_staff


def test_unknown_role_and_inactive_user_are_refused():
    from storefront.errors import InvalidInput

    coop = make_cooperative()
    with pytest.raises(InvalidInput):
        services.membership_grant(user=make_user(), cooperative=coop, role="owner")
    with pytest.raises(InvalidInput):
        services.membership_grant(user=make_user(is_active=False), cooperative=coop)
    assert not Membership.objects.exists() and not AuditEvent.objects.exists()


def test_payouts_are_recorded_through_the_same_function(client):
    """The payments app calls ``audit_record`` when a payout is made or changes."""
    coop = make_cooperative()
    staff = make_user(is_staff=True, is_platform_staff=True)
    payout = Payout.objects.create(
        cooperative=coop, amount=Decimal("1234.5"), reference="PO-1", created_by=staff
    )
    audit_record(
        cooperative=coop,
        actor=staff,
        action=AuditAction.PAYOUT,
        target=payout,
        changes={"status": (None, payout.status), "amount": (None, payout.amount)},
        note="bank transfer",
    )
    event = AuditEvent.objects.get(action="payout")
    assert event.target_type == "payments.payout"
    assert event.changes["amount"] == [None, "1234.50"]  # money as an exact string
    with pytest.raises(ValueError):
        audit_record(cooperative=coop, actor=None, action="bribe", target=payout)
    # The cooperative's manager reads it in the admin; another cooperative's does not.
    client.force_login(make_manager(coop))
    assert "PO-1" in client.get("/admin/catalog/auditevent/").content.decode()
    client.force_login(make_manager(make_cooperative()))
    assert "PO-1" not in client.get("/admin/catalog/auditevent/").content.decode()
