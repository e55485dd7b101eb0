"""Wholesale records shown in the reader's language: a quality specification's fields
and why a contract delivery waits (the delivery keeps its reason as a machine record,
``code: details``, for staff and logs; pages show it as a sentence)."""

from __future__ import annotations

import inspect
import re

from django import template
from django.utils.translation import gettext as _

from storefront.errors import ApplicationError

from .. import exceptions

register = template.Library()


def _spec_labels() -> dict[str, str]:
    return {
        "protein_pct": _("Protein %"),
        "moisture_pct": _("Moisture %"),
        "ash_pct": _("Ash %"),
        "gluten_pct": _("Wet gluten %"),
    }


@register.filter
def spec_label(key: str) -> str:
    """``protein_pct`` → "蛋白质 %" (an unknown field is shown as it is)."""
    return _spec_labels().get(key, key)


def _messages() -> dict[str, str]:
    """Each wholesale refusal's code → its (translatable) sentence."""
    return {
        cls.code: cls.default_message
        for _name, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, ApplicationError) and cls is not ApplicationError
    }


_SHORT = re.compile(r"^insufficient_stock: (\d+) due, (\d+) in stock")


@register.filter
def waiting_reason(reason: str) -> str:
    """Why a delivery waits, as a sentence in the reader's language."""
    if not reason:
        return ""
    short = _SHORT.match(reason)
    if short:
        return (
            _("Not enough in stock: %(due)s due, %(stock)s in stock.")
            % {
                "due": short.group(1),
                "stock": short.group(2),
            }
            + " "
            + _("Tried again on the next run.")
        )
    code = reason.split(":", 1)[0].strip()
    message = _messages().get(code)
    if message is None:
        return (
            _("Could not be placed yet (%(code)s).") % {"code": code}
            + " "
            + _("Tried again on the next run.")
        )
    return f"{_(str(message))} {_('Tried again on the next run.')}"
