"""Every catalogue write that matters. Keyword-only, typed, one transaction each."""

from __future__ import annotations

import logging
import secrets
from datetime import date
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from storefront import queue
from storefront.errors import InvalidInput
from storefront.text import clean_line, clean_multiline

from .cache import catalog_changed
from .constants import MembershipRole, ProductStatus, StockReason
from .exceptions import ListingIncomplete, ListingTransitionError
from .images import clean_photo, render_thumbnail
from .models import Batch, Category, Cooperative, Membership, Product, ProductImage, Variant
from .search.index import product_search_update
from .stock import stock_adjust

logger = logging.getLogger(__name__)


def unique_slug(model, text: str, *, max_length: int = 60) -> str:
    """A readable slug; Chinese and Uyghur titles fall back to a short random one."""
    base = slugify(text)[:max_length].strip("-") or "item"
    slug = base
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


# --- memberships ----------------------------------------------------------
@transaction.atomic
def membership_grant(
    *,
    user: User,
    cooperative: Cooperative,
    role: str = MembershipRole.FARMER,
    registered_poor_household: bool = False,
) -> Membership:
    """Make ``user`` a member; managers get admin access (``is_staff``), scoped to it."""
    if role not in MembershipRole.values:
        raise InvalidInput(details={"role": [_("Unknown role.")]})
    membership, _created = Membership.objects.update_or_create(
        user=user,
        cooperative=cooperative,
        defaults={"role": role, "registered_poor_household": registered_poor_household},
    )
    if role == MembershipRole.MANAGER and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


# --- products -------------------------------------------------------------
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
) -> Product:
    title = clean_line(title, max_length=150)
    if not title:
        raise InvalidInput(details={"title": [_("A title is required.")]})
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
    product.full_clean()
    product.save()
    product_search_update(product_ids=[product.pk])
    return product


EDITABLE_PRODUCT_FIELDS = ("title", "description", "category", "grade", "origin")
_TEXT_CLEANERS = {
    "title": lambda v: clean_line(v, max_length=150),
    "description": lambda v: clean_multiline(v, max_length=5000),
    "grade": lambda v: clean_line(v, max_length=60),
    "origin": lambda v: clean_line(v, max_length=150),
}


@transaction.atomic
def product_update(*, product: Product, **fields) -> Product:
    """Edit a listing's text fields (not its status: that moves only by the transitions)."""
    unknown = set(fields) - set(EDITABLE_PRODUCT_FIELDS)
    if unknown:
        raise InvalidInput(details={name: [_("Not editable.")] for name in sorted(unknown)})
    for name, value in fields.items():
        cleaner = _TEXT_CLEANERS.get(name)
        setattr(product, name, cleaner(value) if cleaner else value)
    if not product.title:
        raise InvalidInput(details={"title": [_("A title is required.")]})
    product.full_clean()
    product.save()
    product_search_update(product_ids=[product.pk])
    return product


def _transition(product: Product, allowed_from: set[str], to: str) -> Product:
    locked = Product.objects.select_for_update().get(pk=product.pk)
    if locked.status not in allowed_from:
        raise ListingTransitionError(
            _("A %(status)s listing cannot become %(to)s.")
            % {"status": locked.get_status_display(), "to": ProductStatus(to).label},
            details={"status": locked.status, "to": to},
        )
    locked.status = to
    return locked


@transaction.atomic
def product_submit(*, product: Product) -> Product:
    """Draft or rejected → pending review. Needs at least one active variant."""
    locked = _transition(
        product, {ProductStatus.DRAFT, ProductStatus.REJECTED}, ProductStatus.PENDING_REVIEW
    )
    if not locked.variants.filter(is_active=True).exists():
        raise ListingIncomplete()
    locked.rejection_reason = ""
    locked.save(update_fields=["status", "rejection_reason", "updated"])
    return locked


@transaction.atomic
def product_approve(*, product: Product, by: User) -> Product:
    """Pending review → active: the listing goes live."""
    locked = _transition(product, {ProductStatus.PENDING_REVIEW}, ProductStatus.ACTIVE)
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated"])
    return locked


@transaction.atomic
def product_reject(*, product: Product, by: User, reason: str) -> Product:
    """Pending review → rejected, with the reason the farmer will read."""
    reason = clean_multiline(reason, max_length=2000)
    if not reason:
        raise InvalidInput(details={"reason": [_("Say why the listing is rejected.")]})
    locked = _transition(product, {ProductStatus.PENDING_REVIEW}, ProductStatus.REJECTED)
    locked.rejection_reason = reason
    locked.reviewed_by, locked.reviewed_at = by, timezone.now()
    locked.save(
        update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated"]
    )
    return locked


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    """Take a listing off sale (it stays on old orders)."""
    locked = _transition(
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
    return locked


# --- variants -------------------------------------------------------------
@transaction.atomic
def variant_create(
    *,
    product: Product,
    name: str,
    price: Decimal,
    weight_grams: int,
    stock: int = 0,
    sku: str = "",
    actor=None,
) -> Variant:
    """A new variant; its opening stock is recorded as goods received (a movement)."""
    variant = Variant(
        product=product,
        name=clean_line(name, max_length=80),
        price=price,
        weight_grams=weight_grams,
        stock=stock,
        sku=(sku.strip().upper() or f"FG-{product.pk}-{secrets.token_hex(3).upper()}"),
    )
    _validate_variant(variant)
    variant.full_clean()
    variant.stock = 0
    variant.save()
    if stock:
        stock_adjust(
            variant_id=variant.pk,
            delta=stock,
            reason=StockReason.RECEIPT,
            actor=actor,
            note="opening stock",
        )
        variant.stock = stock
    return variant


@transaction.atomic
def variant_update(*, variant: Variant, **fields) -> Variant:
    allowed = {"name", "price", "weight_grams", "stock", "is_active", "position"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(details={name: [_("Not editable.")] for name in sorted(unknown)})
    # Lock the row: checkout decrements stock concurrently with a conditional UPDATE.
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if "name" in fields:
        fields["name"] = clean_line(fields["name"], max_length=80)
    for name, value in fields.items():
        setattr(variant, name, value)
    _validate_variant(variant)
    variant.full_clean()
    variant.save()
    return variant


def _validate_variant(variant: Variant) -> None:
    errors = {}
    if variant.price is None or Decimal(variant.price) <= 0:
        errors["price"] = [_("The price must be more than 0.")]
    elif Decimal(variant.price) > Decimal("99999.99"):
        errors["price"] = [_("The price is too high.")]
    if variant.stock is None or variant.stock < 0:
        errors["stock"] = [_("Stock cannot be negative.")]
    elif variant.stock > 1_000_000:
        errors["stock"] = [_("Stock is too high.")]
    if not variant.weight_grams or variant.weight_grams <= 0:
        errors["weight_grams"] = [_("The weight must be more than 0 g.")]
    if errors:
        raise InvalidInput(details=errors)


# --- images ---------------------------------------------------------------
def product_image_add(
    *, product: Product, upload: IO[bytes], alt: str = "", position: int | None = None
) -> ProductImage:
    """Check a photo, store it re-encoded without metadata, and render its thumbnail later.

    The checks run before any transaction or file write, so a refused upload leaves nothing.
    """
    clean = clean_photo(upload)
    from .tasks import product_image_thumbnail_task

    with transaction.atomic():
        if position is None:
            position = product.images.count()
        image = ProductImage(
            product=product,
            token=secrets.token_hex(12),
            alt=clean_line(alt, max_length=150) or product.title,
            position=position,
            width=clean.width,
            height=clean.height,
        )
        image.image.save(f"photo.{clean.extension}", ContentFile(clean.content), save=False)
        image.save()
        queue.send_on_commit(product_image_thumbnail_task, image.pk)
    return image


def product_image_render_thumbnail(*, image_id: int) -> bool:
    """Render the thumbnail of one image. Idempotent: does nothing when it exists.

    Returns True when a thumbnail was written.
    """
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:  # deleted before the task ran: nothing to do
        return False
    if image.thumbnail and image.thumbnail.storage.exists(image.thumbnail.name):
        return False
    with image.image.open("rb") as source:
        data = render_thumbnail(source)
    image.thumbnail.save("thumb.webp", ContentFile(data), save=False)
    ProductImage.objects.filter(pk=image.pk).update(thumbnail=image.thumbnail.name)
    catalog_changed()
    return True


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    files = [f for f in (image.image, image.thumbnail) if f]
    names = [(f.storage, f.name) for f in files]
    image.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


# --- batches (traceability) --------------------------------------------------
@transaction.atomic
def batch_record(
    *,
    product: Product,
    code: str,
    harvested_on: date,
    milled_on: date | None = None,
    quantity_kg: Decimal | None = None,
    protein_pct: Decimal | None = None,
    moisture_pct: Decimal | None = None,
    ash_pct: Decimal | None = None,
    gluten_pct: Decimal | None = None,
    notes: str = "",
) -> Batch:
    """Record a harvest or milling batch: the record a bag's QR code opens."""
    batch = Batch(
        product=product,
        code=clean_line(code, max_length=40).upper(),
        harvested_on=harvested_on,
        milled_on=milled_on,
        quantity_kg=quantity_kg,
        protein_pct=protein_pct,
        moisture_pct=moisture_pct,
        ash_pct=ash_pct,
        gluten_pct=gluten_pct,
        notes=clean_multiline(notes, max_length=2000),
    )
    errors: dict[str, list[str]] = {}
    for name in ("protein_pct", "moisture_pct", "ash_pct", "gluten_pct"):
        value = getattr(batch, name)
        if value is not None and not Decimal("0") <= value <= Decimal("100"):
            errors[name] = [_("A percentage is between 0 and 100.")]
    if quantity_kg is not None and quantity_kg < 0:
        errors["quantity_kg"] = [_("The quantity cannot be negative.")]
    if milled_on and milled_on < harvested_on:
        errors["milled_on"] = [_("Milling cannot come before the harvest.")]
    try:
        batch.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise InvalidInput(details=errors)
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        raise InvalidInput(
            details={"code": [_("A batch with this code already exists.")]}
        ) from None
    return batch
