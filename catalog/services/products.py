"""Listings: a product's texts and the status it moves through (draft → review → live).

Every status move is one transition below (the row locked, the current status checked)
and lands in the audit trail with who made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from storefront.errors import InvalidInput, InvalidState
from storefront.text import clean_line, clean_multiline

from ..audit import audit_record
from ..constants import AuditAction, ProductStatus
from ..exceptions import ListingIncomplete, ListingTransitionError
from ..models import Category, Cooperative, Membership, Product, StockMovement
from ..news import listing_tell_reviewed, listing_tell_to_review
from ..search.index import product_search_update
from ._common import full_clean, refuse_unknown, unique_slug
from .photos import product_image_files_delete_on_commit
from .variants import variant_create

# What a farmer edits on the portal; the admin may also name the producing farmer.
PRODUCT_TEXT_FIELDS = ("title", "description", "category", "grade", "origin")
EDITABLE_PRODUCT_FIELDS = (*PRODUCT_TEXT_FIELDS, "farmer")
_TEXT_CLEANERS = {
    "title": lambda v: clean_line(v, max_length=150),
    "description": lambda v: clean_multiline(v, max_length=5000),
    "grade": lambda v: clean_line(v, max_length=60),
    "origin": lambda v: clean_line(v, max_length=150),
}
# A listing that never went on sale and never held stock may be deleted; any other is
# archived (it stays on old orders, its batches' QR codes keep working).
DELETABLE_STATUSES = (ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.REJECTED)


def product_check(product: Product) -> None:
    """The rules on an unsaved listing: a title, and a producing farmer (if named) who is
    a member of its cooperative. ``InvalidInput``."""
    product.title = clean_line(product.title, max_length=150)
    if not product.title:
        raise InvalidInput(details={"title": [_("A title is required.")]})
    if product.cooperative_id is not None:
        _check_farmer(product.farmer, product.cooperative_id)


def _check_farmer(farmer: User | None, cooperative_id: int) -> None:
    if (
        farmer is not None
        and not Membership.objects.filter(user=farmer, cooperative_id=cooperative_id).exists()
    ):
        raise InvalidInput(
            details={"farmer": [_("The producing farmer must be a member of the cooperative.")]}
        )


@transaction.atomic
def product_create(
    *,
    cooperative: Cooperative,
    title: str,
    category: Category,
    description: str = "",
    grade: str = "",
    origin: str = "",
    farmer: User | None = None,
    first_variant: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> Product:
    """A new draft listing; its slug is made from the title. ``first_variant`` (the
    ``variant_create`` arguments but the product) is created with it, in the same
    transaction, so a listing can be sent for review straight away."""
    title = clean_line(title, max_length=150)
    if not title:
        raise InvalidInput(details={"title": [_("A title is required.")]})
    _check_farmer(farmer, cooperative.pk)
    product = Product(
        cooperative=cooperative,
        farmer=farmer,
        title=title,
        description=clean_multiline(description, max_length=5000),
        category=category,
        grade=clean_line(grade, max_length=60),
        origin=clean_line(origin, max_length=150),
        slug=unique_slug(Product, title),
        status=ProductStatus.DRAFT,
    )
    full_clean(product)
    product.save()
    if first_variant is not None:
        variant_create(product=product, actor=actor, **first_variant)
    product_search_update(product_ids=[product.pk])
    return product


@transaction.atomic
def product_update(*, product: Product, **fields) -> Product:
    """Edit a listing's texts, category or producing farmer (not its status: that moves
    only by the transitions; not its cooperative or slug: links and orders keep them)."""
    refuse_unknown(fields, EDITABLE_PRODUCT_FIELDS)
    locked = Product.objects.select_for_update().get(pk=product.pk)
    for name, value in fields.items():
        cleaner = _TEXT_CLEANERS.get(name)
        setattr(locked, name, cleaner(value) if cleaner else value)
    if not locked.title:
        raise InvalidInput(details={"title": [_("A title is required.")]})
    if "farmer" in fields:
        _check_farmer(locked.farmer, locked.cooperative_id)
    full_clean(locked)
    locked.save()
    product_search_update(product_ids=[locked.pk])
    return locked


def _transition(product: Product, allowed_from: set[str], to: str) -> tuple[Product, str]:
    locked = Product.objects.select_for_update().get(pk=product.pk)
    if locked.status not in allowed_from:
        raise ListingTransitionError(
            _("A %(status)s listing cannot become %(to)s.")
            % {"status": locked.get_status_display(), "to": ProductStatus(to).label},
            details={"status": locked.status, "to": to},
        )
    before, locked.status = locked.status, to
    return locked, before


def _audit_status(
    product: Product, before: str, after: str | None, actor: User | None, note: str = ""
) -> None:
    """The listing's move from ``before`` to ``after`` (None: deleted)."""
    moved = {"status": (before, after)}
    audit_record(target=product, action=AuditAction.LISTING, actor=actor, changes=moved, note=note)


@transaction.atomic
def product_submit(*, product: Product, actor: User | None = None) -> Product:
    """Draft or rejected → pending review. Needs at least one active variant and at
    least one photo (buyers do not trust a listing without one)."""
    locked, before = _transition(
        product, {ProductStatus.DRAFT, ProductStatus.REJECTED}, ProductStatus.PENDING_REVIEW
    )
    if not locked.variants.filter(is_active=True).exists():
        raise ListingIncomplete()
    if not locked.images.exists():
        raise ListingIncomplete(
            _("Add at least one photo before sending the listing for review."),
            code="listing_needs_photo",
            details={"photos": [_("Add at least one photo.")]},
        )
    locked.rejection_reason = ""
    locked.save(update_fields=["status", "rejection_reason", "updated"])
    _audit_status(locked, before, locked.status, actor)
    listing_tell_to_review(locked, stamp=locked.updated.isoformat())
    return locked


@transaction.atomic
def product_withdraw(*, product: Product, actor: User | None = None) -> Product:
    """Pending review → draft: the farmer takes a submission back to change it."""
    locked, before = _transition(product, {ProductStatus.PENDING_REVIEW}, ProductStatus.DRAFT)
    locked.save(update_fields=["status", "updated"])
    _audit_status(locked, before, locked.status, actor, note="withdrawn")
    return locked


@transaction.atomic
def product_approve(*, product: Product, by: User) -> Product:
    """Pending review → active: the listing goes live."""
    locked, before = _transition(product, {ProductStatus.PENDING_REVIEW}, ProductStatus.ACTIVE)
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated"])
    _audit_status(locked, before, locked.status, by)
    # Going on sale: its search entry is current (listings made in bulk have none yet).
    product_search_update(product_ids=[locked.pk])
    listing_tell_reviewed(locked)
    return locked


@transaction.atomic
def product_reject(*, product: Product, by: User, reason: str) -> Product:
    """Pending review → rejected, with the reason the farmer will read."""
    reason = clean_multiline(reason, max_length=2000)
    if not reason:
        raise InvalidInput(details={"reason": [_("Say why the listing is rejected.")]})
    locked, before = _transition(product, {ProductStatus.PENDING_REVIEW}, ProductStatus.REJECTED)
    locked.rejection_reason = reason
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.save(
        update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated"]
    )
    _audit_status(locked, before, locked.status, by, note=reason)
    listing_tell_reviewed(locked)
    return locked


@transaction.atomic
def product_archive(*, product: Product, actor: User | None = None) -> Product:
    """Take a listing off sale (it stays on old orders)."""
    locked, before = _transition(
        product,
        {
            ProductStatus.DRAFT,
            ProductStatus.ACTIVE,
            ProductStatus.REJECTED,
            ProductStatus.PENDING_REVIEW,
        },
        ProductStatus.ARCHIVED,
    )
    locked.save(update_fields=["status", "updated"])
    _audit_status(locked, before, locked.status, actor)
    return locked


@transaction.atomic
def product_delete(*, product: Product, actor: User | None = None) -> None:
    """Delete a listing that never went on sale (a draft, a rejected or waiting one) and
    whose stock never moved for an order, with its photos' files; any other is refused
    (archive it instead: orders and movements name it). The stock a draft was given
    (receipts, count corrections) goes with its variants, movements and all, so each
    remaining variant's stock still equals the sum of its movements."""
    locked = Product.objects.select_for_update().get(pk=product.pk)
    movements = StockMovement.objects.filter(variant__product=locked)
    if locked.status not in DELETABLE_STATUSES or movements.filter(order_id__isnull=False).exists():
        raise InvalidState(
            _("A listing that has been on sale or held stock is archived, not deleted."),
            code="listing_not_deletable",
        )
    _audit_status(locked, locked.status, None, actor, note="deleted")
    product_image_files_delete_on_commit(list(locked.images.all()))
    movements.delete()
    locked.delete()
