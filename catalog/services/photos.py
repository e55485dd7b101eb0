"""Product photos: every upload (portal, admin, a replaced photo) is checked by content,
re-encoded without metadata (no farmer's GPS position leaves the phone's EXIF) and
thumbnailed by a task on the ``media`` queue."""

from __future__ import annotations

import secrets
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from storefront import queue
from storefront.errors import InvalidInput
from storefront.text import clean_line

from ..cache import catalog_changed
from ..images import CleanImage, clean_photo, render_thumbnail
from ..models import Product, ProductImage


def _store(image: ProductImage, clean: CleanImage) -> None:
    image.token = secrets.token_hex(12)
    image.width, image.height = clean.width, clean.height
    image.image.save(f"photo.{clean.extension}", ContentFile(clean.content), save=False)


def _thumbnail_later(image: ProductImage) -> None:
    from ..tasks import product_image_thumbnail_task  # the task module imports services

    queue.send_on_commit(product_image_thumbnail_task, image.pk)


def product_image_files_delete_on_commit(images: list[ProductImage]) -> None:
    """Remove these images' files once the transaction that drops them commits."""
    names = [(f.storage, f.name) for image in images for f in (image.image, image.thumbnail) if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


def product_image_add(
    *, product: Product, upload: IO[bytes], alt: str = "", position: int | None = None
) -> ProductImage:
    """Check a photo, store it re-encoded without metadata, and render its thumbnail later.

    The checks run before any transaction or file write, so a refused upload leaves nothing.
    """
    clean = clean_photo(upload)
    with transaction.atomic():
        if position is None:
            position = product.images.count()
        image = ProductImage(
            product=product,
            alt=clean_line(alt, max_length=150) or product.title,
            position=position,
        )
        _store(image, clean)
        image.save()
        _thumbnail_later(image)
    return image


def product_image_replace(
    *, image: ProductImage, upload: IO[bytes], alt: str | None = None
) -> ProductImage:
    """Put a new photo in place of ``image``: checked, re-encoded and thumbnailed exactly
    like a new one (under a new name, so no cache serves the old picture); the old files
    are removed once the change commits."""
    clean = clean_photo(upload)
    with transaction.atomic():
        locked = ProductImage.objects.select_for_update().select_related("product").get(pk=image.pk)
        product_image_files_delete_on_commit([locked])
        _store(locked, clean)
        locked.thumbnail = ""  # the old thumbnail shows the old photo
        if alt is not None:
            locked.alt = clean_line(alt, max_length=150) or locked.product.title
        locked.save()
        _thumbnail_later(locked)
    return locked


@transaction.atomic
def product_image_update(
    *, image: ProductImage, alt: str | None = None, position: int | None = None
) -> ProductImage:
    """Change a photo's description or its place in the gallery."""
    locked = ProductImage.objects.select_for_update().select_related("product").get(pk=image.pk)
    if alt is not None:
        locked.alt = clean_line(alt, max_length=150) or locked.product.title
    if position is not None:
        locked.position = max(0, min(int(position), 32767))
    locked.save(update_fields=["alt", "position"])
    return locked


PHOTO_MOVES = ("cover", "earlier", "later")


@transaction.atomic
def product_image_move(*, image: ProductImage, to: str) -> list[ProductImage]:
    """Put a photo first (the cover buyers see on cards), or one place earlier or
    later; the gallery is renumbered 0, 1, 2… in its new order. ``InvalidInput`` for
    an unknown move."""
    if to not in PHOTO_MOVES:
        raise InvalidInput(details={"to": [_("Unknown move.")]})
    gallery = list(
        ProductImage.objects.select_for_update()
        .filter(product_id=image.product_id)
        .order_by("position", "id")
    )
    i = next(k for k, row in enumerate(gallery) if row.pk == image.pk)
    moving = gallery.pop(i)
    j = {"cover": 0, "earlier": max(0, i - 1), "later": min(len(gallery), i + 1)}[to]
    gallery.insert(j, moving)
    for position, row in enumerate(gallery):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])
    catalog_changed()
    return gallery


def product_image_render_thumbnail(*, image_id: int) -> bool:
    """Render the thumbnail of one image. Idempotent: does nothing when it exists.

    Returns True when a thumbnail was written.
    """
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:  # deleted before the task ran: nothing to do
        return False
    if image.thumbnail and image.thumbnail.storage.exists(image.thumbnail.name):
        return False
    rendered_from = image.image.name
    with image.image.open("rb") as source:
        data = render_thumbnail(source)
    image.thumbnail.save("thumb.webp", ContentFile(data), save=False)
    # Only if the photo is still the one rendered: a replacement meanwhile has its own task.
    if not ProductImage.objects.filter(pk=image.pk, image=rendered_from).update(
        thumbnail=image.thumbnail.name
    ):
        image.thumbnail.storage.delete(image.thumbnail.name)
        return False
    catalog_changed()
    return True


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    product_image_files_delete_on_commit([image])
    image.delete()
