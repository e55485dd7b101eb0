"""Campaign texts in every language of ``settings.LANGUAGES`` (django-modeltranslation,
like the catalogue's products: ``catalog/translation.py``): ``title_zh_hans``,
``title_ug``, ``title_en`` and the same for ``description``. Reading ``campaign.title``
gives the active language's text, or the Chinese one when that translation is empty;
the pages and the API read it that way."""

from __future__ import annotations

from django.conf import settings
from modeltranslation.translator import TranslationOptions, register

from .models import Campaign


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {settings.MODELTRANSLATION_DEFAULT_LANGUAGE: ("title",), "default": ()}
