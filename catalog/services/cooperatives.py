"""Counties, categories and cooperatives: the reference data the listings hang on."""

from __future__ import annotations

from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from storefront.text import clean_line, clean_multiline

from ..images import clean_photo
from ..models import Category, Cooperative, County
from ..translation import CATEGORY_TRANSLATION_ARGS, SOURCE_LANGUAGE, column
from ._common import delete_or_refuse, full_clean, raise_errors, unique_slug


@transaction.atomic
def county_save(*, county: County) -> County:
    """Create or edit a county (platform staff): texts cleaned, a slug made when empty."""
    county.name = clean_line(county.name, max_length=100)
    county.province = clean_line(county.province, max_length=100)
    county.prefecture = clean_line(county.prefecture, max_length=100)
    county.description = clean_multiline(county.description, max_length=5000)
    if not county.slug:
        county.slug = unique_slug(County, county.name)
    full_clean(county)
    county.save()
    return county


@transaction.atomic
def county_delete(*, county: County) -> None:
    delete_or_refuse(county, _("This county still has cooperatives."))


@transaction.atomic
def category_save(*, category: Category) -> Category:
    """Create or edit a category (platform staff); a category is never its own ancestor.

    Its name in each language has its own column (``catalog/translation.py``): the
    Chinese one required, the Uyghur and English ones optional (empty: the Chinese shows).
    A row built as ``Category(name=...)`` holds that text only in the active language's
    column; with no Chinese name set, that text is taken as the Chinese name."""
    source = column("name")
    if not getattr(category, source):
        setattr(category, source, category.__dict__.get("name") or "")
    for name in (source, *CATEGORY_TRANSLATION_ARGS):
        setattr(category, name, clean_line(getattr(category, name) or "", max_length=100))
    if not category.slug:
        english = getattr(category, column("name", "en"))
        category.slug = unique_slug(Category, english or getattr(category, source))
    errors = {}
    parent, seen = category.parent, set()
    while parent is not None and category.pk is not None:
        if parent.pk == category.pk or parent.pk in seen:
            errors["parent"] = [_("A category cannot sit inside itself.")]
            break
        seen.add(parent.pk)
        parent = parent.parent
    full_clean(category, errors)
    # The original ``name`` column keeps the Chinese name, as a product's title does.
    with translation.override(SOURCE_LANGUAGE):
        category.save()
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    delete_or_refuse(category, _("This category still has products or sub-categories."))


def cooperative_save(
    *, cooperative: Cooperative, logo_upload: IO[bytes] | None = None
) -> Cooperative:
    """Create or edit a cooperative: its texts cleaned, a new logo checked and re-encoded
    without metadata like a product photo (the checks run before anything is written)."""
    logo = clean_photo(logo_upload) if logo_upload is not None else None
    with transaction.atomic():
        cooperative.name = clean_line(cooperative.name, max_length=150)
        cooperative.story = clean_multiline(cooperative.story, max_length=5000)
        cooperative.contact_phone = clean_line(cooperative.contact_phone, max_length=20)
        errors = {} if cooperative.name else {"name": [_("A name is required.")]}
        raise_errors(errors)
        if not cooperative.slug:
            cooperative.slug = unique_slug(Cooperative, cooperative.name)
        if logo is not None:
            cooperative.logo.save(f"logo.{logo.extension}", ContentFile(logo.content), save=False)
        full_clean(cooperative)
        cooperative.save()
    return cooperative


@transaction.atomic
def cooperative_delete(*, cooperative: Cooperative) -> None:
    delete_or_refuse(
        cooperative,
        _("A cooperative with products or orders is made inactive, not deleted."),
    )
