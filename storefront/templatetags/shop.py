"""Template helpers for every page: money in the reader's locale, query-string links.

App-free (storefront imports no app): tags that read an app's data live in that app's
``templatetags`` (``catalog_tags``: membership and certification labels; ``tracking``:
shipment statuses)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def money(value) -> str:
    """A yuan amount for the current language: ``¥1,234.50`` / ``1,234.50 يۈەن``."""
    if value is None or value == "":
        return ""
    try:
        Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = money_text(value)
    # <bdi> keeps "68.00 يۈەن" in one piece inside right-to-left sentences.
    return format_html('<bdi class="money">{}</bdi>', text)


@register.filter
def label(value) -> str:
    """A stored platform name (category, county, province, carrier, grade, variant
    size) in the reader's language: ``storefront.labels``."""
    from storefront.labels import platform_label

    return platform_label(value)


@register.filter
def money_text(value) -> str:
    """``money`` as plain text, for attributes (a share card's title)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    formatted = number_format(amount, 2, use_l10n=True, force_grouping=True)
    # Translators: a price in yuan; keep %(amount)s, put the currency where your language does.
    return _("¥%(amount)s") % {"amount": formatted}


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters replaced (None or '' removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def kg(grams) -> str:
    """Grams as kilograms with three places ("5.000 kg"), exactly (Decimal)."""
    if grams is None or grams == "":
        return ""
    return f"{(Decimal(int(grams)) / 1000).quantize(Decimal('0.001'))} kg"


@register.filter
def bp_percent(basis_points) -> str:
    """Basis points as a percent without trailing zeros (500 -> "5")."""
    value = (Decimal(int(basis_points or 0)) / 100).normalize()
    return f"{value:f}"


@register.filter
def times(value, factor):
    """``price|times:quantity`` for a line total shown on a page."""
    try:
        return Decimal(str(value)) * int(factor)
    except (InvalidOperation, TypeError, ValueError):
        return ""
