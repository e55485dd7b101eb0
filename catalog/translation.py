"""Which catalogue texts exist in every language of ``settings.LANGUAGES``: a product's
title and description, a category's name.

django-modeltranslation (found by its autodiscovery of ``translation.py`` modules) adds
one column per language next to each field named here, on the same row:
``title_zh_hans``, ``title_ug``, ``title_en``. Reading ``product.title`` gives the active
language's text, or the Chinese one when that translation is empty
(``MODELTRANSLATION_FALLBACK_LANGUAGES``); pages and the API read it that way.

Writes name the columns explicitly (``catalog.services.products``): ``title`` and
``description`` there always mean the Chinese text, whatever language the person
writing has chosen, and the original column keeps the Chinese text too.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, OrderBy, Value
from django.db.models.functions import Coalesce, NullIf
from modeltranslation.translator import TranslationOptions, register
from modeltranslation.utils import build_localized_fieldname, get_language

from .models import Category, Product


@register(Product)
class ProductTranslation(TranslationOptions):
    fields = ("title", "description")
    # The Chinese title is required (the admin's form says so); every translation is not.
    required_languages = {settings.MODELTRANSLATION_DEFAULT_LANGUAGE: ("title",), "default": ()}


@register(Category)
class CategoryTranslation(TranslationOptions):
    """Platform data: what a buyer filters by, named in every language."""

    fields = ("name",)
    required_languages = {settings.MODELTRANSLATION_DEFAULT_LANGUAGE: ("name",), "default": ()}


# --- helpers for the services, the search index and the forms ----------------
# The cooperatives' own language: what ``title``/``description`` mean in a service call.
SOURCE_LANGUAGE = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
# The others, in the order of settings.LANGUAGES (Uyghur, then English).
TRANSLATION_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE)
PRODUCT_TRANSLATED_FIELDS = ProductTranslation.fields


def column(field: str, language: str = SOURCE_LANGUAGE) -> str:
    """The column of ``field`` in ``language``: ``column("title", "ug") == "title_ug"``."""
    return build_localized_fieldname(field, language)


def columns(field: str) -> tuple[str, ...]:
    """Every language's column of ``field``, the Chinese one first."""
    return tuple(column(field, language) for language in (SOURCE_LANGUAGE, *TRANSLATION_LANGUAGES))


# ``title_ug``, ``title_en``, ``description_ug``, ``description_en``: the translation
# arguments of the product services and the fields of the portal's product form.
PRODUCT_TRANSLATION_ARGS = tuple(
    column(field, language)
    for field in PRODUCT_TRANSLATED_FIELDS
    for language in TRANSLATION_LANGUAGES
)
# ``name_ug``, ``name_en``: a category's translations.
CATEGORY_TRANSLATION_ARGS = tuple(column("name", language) for language in TRANSLATION_LANGUAGES)


def all_languages(instance, field: str) -> list[str]:
    """The non-empty texts of ``field`` in every language, Chinese first (the search
    index holds them all, whatever language a buyer types in)."""
    texts = []
    for language in (SOURCE_LANGUAGE, *TRANSLATION_LANGUAGES):
        text = getattr(instance, column(field, language)) or ""
        if text and text not in texts:
            texts.append(text)
    return texts


def order_by_localized(field: str, *, descending: bool = False) -> OrderBy:
    """Order by ``field`` as the active language reads it: its translation, or the
    Chinese text where that is empty (a bare ``order_by("title")`` would put every
    untranslated listing first)."""
    language = get_language()
    source = F(column(field))
    if language == SOURCE_LANGUAGE:
        expression = source
    else:
        expression = Coalesce(NullIf(F(column(field, language)), Value("")), source)
    return expression.desc() if descending else expression.asc()
