"""Listings: a product's texts and the status it moves through (draft → review → live).

A listing's title and description exist in Chinese, Uyghur and English
(``catalog/translation.py``). Here ``title`` and ``description`` are always the Chinese
texts (required title), ``title_ug``, ``title_en``, ``description_ug`` and
``description_en`` the translations (empty: a buyer reading that language sees the
Chinese). Whatever language the person writing has chosen, each text lands in its own
column: nothing here writes through the language-following ``product.title``.

Every status move is one transition below (the row locked, the current status checked)
and lands in the audit trail with who made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
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
from ..translation import PRODUCT_TRANSLATION_ARGS, SOURCE_LANGUAGE, column
from ._common import full_clean, refuse_unknown, unique_slug
from .photos import product_image_files_delete_on_commit
from .variants import variant_create

# What a farmer edits on the portal; the admin may also name the producing farmer.
PRODUCT_TEXT_FIELDS = (
    "title",
    "description",
    "category",
    "grade",
    "origin",
    *PRODUCT_TRANSLATION_ARGS,
)
EDITABLE_PRODUCT_FIELDS = (*PRODUCT_TEXT_FIELDS, "farmer")


def _clean_title(value) -> str:
    return clean_line(value or "", max_length=150)


def _clean_description(value) -> str:
    return clean_multiline(value or "", max_length=5000)


_TEXT_CLEANERS = {
    "title": _clean_title,
    "description": _clean_description,
    "grade": lambda v: clean_line(v, max_length=60),
    "origin": lambda v: clean_line(v, max_length=150),
    **{name: _clean_title for name in PRODUCT_TRANSLATION_ARGS if name.startswith("title_")},
    **{name: _clean_description for name in PRODUCT_TRANSLATION_ARGS if name.startswith("desc")},
}
# A service argument → the column it is written to (the Chinese texts have their own).
_COLUMNS = {"title": column("title"), "description": column("description")}


def _save(product: Product, **kwargs) -> None:
    """Save with the original ``title``/``description`` columns holding the Chinese texts
    (django-modeltranslation fills them from the active language's reading)."""
    with translation.override(SOURCE_LANGUAGE):
        product.save(**kwargs)


# A listing that never went on sale and never held stock may be deleted; any other is
# archived (it stays on old orders, its batches' QR codes keep working).
DELETABLE_STATUSES = (ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.REJECTED)


def product_check(product: Product) -> None:
    """The rules on an unsaved listing: a Chinese title, and a producing farmer (if
    named) who is a member of its cooperative. ``InvalidInput``."""
    for name in ("title", *PRODUCT_TRANSLATION_ARGS):
        if name.startswith("title"):
            field = _COLUMNS.get(name, name)
            setattr(product, field, _clean_title(getattr(product, field)))
    if not getattr(product, _COLUMNS["title"]):
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
    **translations: str,
) -> Product:
    """A new draft listing; its slug is made from the English title, else the Chinese
    one. ``translations``: ``title_ug``, ``title_en``, ``description_ug``,
    ``description_en`` (each optional). ``first_variant`` (the ``variant_create``
    arguments but the product) is created with it, in the same transaction, so a
    listing can be sent for review straight away."""
    refuse_unknown(translations, PRODUCT_TRANSLATION_ARGS)
    title = _clean_title(title)
    if not title:
        raise InvalidInput(details={"title": [_("A title is required.")]})
    _check_farmer(farmer, cooperative.pk)
    texts = {
        name: _TEXT_CLEANERS[name](translations.get(name)) for name in PRODUCT_TRANSLATION_ARGS
    }
    description = _clean_description(description)
    product = Product(
        cooperative=cooperative,
        farmer=farmer,
        title=title,
        description=description,
        **{_COLUMNS["title"]: title, _COLUMNS["description"]: description},
        **texts,
        category=category,
        grade=clean_line(grade, max_length=60),
        origin=clean_line(origin, max_length=150),
        slug=unique_slug(Product, texts[column("title", "en")] or title),
        status=ProductStatus.DRAFT,
    )
    full_clean(product)
    _save(product)
    if first_variant is not None:
        variant_create(product=product, actor=actor, **first_variant)
    product_search_update(product_ids=[product.pk])
    return product


@transaction.atomic
def product_update(*, product: Product, **fields) -> Product:
    """Edit a listing's texts (in any of its languages), category or producing farmer
    (not its status: that moves only by the transitions; not its cooperative or slug:
    links and orders keep them)."""
    refuse_unknown(fields, EDITABLE_PRODUCT_FIELDS)
    # NO KEY UPDATE: a text edit does not wait for checkouts, which key-share the product
    # to see a status transition (those lock FOR UPDATE, below) that is under way.
    locked = Product.objects.select_for_update(no_key=True).get(pk=product.pk)
    for name, value in fields.items():
        cleaner = _TEXT_CLEANERS.get(name)
        setattr(locked, _COLUMNS.get(name, name), cleaner(value) if cleaner else value)
    if not getattr(locked, _COLUMNS["title"]):
        raise InvalidInput(details={"title": [_("A title is required.")]})
    if "farmer" in fields:
        _check_farmer(locked.farmer, locked.cooperative_id)
    full_clean(locked)
    _save(locked)
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
