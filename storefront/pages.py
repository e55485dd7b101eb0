"""Helpers every page view shares (storefront, accounts, orders, the farmer portal):
turning a service's ``ApplicationError`` into form errors.

Services raise ``ApplicationError`` with a stable code, a message and per-field
``details``; a page shows the same message next to the field it concerns.
Services' default messages are English literals (the API's contract), so they
are listed here with ``gettext_noop`` for ``makemessages`` and translated when shown.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.utils.translation import gettext, gettext_noop

from storefront.errors import ApplicationError

KNOWN_MESSAGES = [
    gettext_noop("The request could not be completed."),
    gettext_noop("The input is not valid."),
    gettext_noop("Not found."),
    gettext_noop("You do not have permission to do this."),
    gettext_noop("This cannot be done in the object's current state."),
    gettext_noop("The service is busy; please try again in a moment."),
    gettext_noop("This listing cannot make that move from its current status."),
    gettext_noop("A listing needs at least one active variant before review."),
    gettext_noop("This file is not a JPEG, PNG or WebP photo."),
    gettext_noop("A user with this username already exists."),
    gettext_noop("Unable to log in with these credentials."),
    gettext_noop("Enter a mobile number like 13800138000 or a landline with area code."),
    gettext_noop("A postcode is six digits."),
    gettext_noop("Some items are no longer in stock in the quantity asked for."),
    gettext_noop("This Idempotency-Key was already used with a different request."),
    gettext_noop("The order cannot do that in its current status."),
    gettext_noop("This order can no longer be cancelled."),
    gettext_noop("No such order."),
    gettext_noop("No such item in your cart."),
    gettext_noop("Some items are not for sale."),
    gettext_noop("Your cart is empty."),
    gettext_noop("The cart is empty."),
    gettext_noop("The order cannot be paid in its current status."),
    gettext_noop("The time to pay this order has run out."),
    gettext_noop("This payment provider is not available."),
    gettext_noop("The payment provider did not answer; please try again."),
    gettext_noop("The shipment cannot do that in its current status."),
    gettext_noop("A shipped order cannot be cancelled."),
    gettext_noop("A tracking number is 6 to 40 letters, digits or dashes."),
    gettext_noop("The stock changed since the page was loaded; check the new figure."),
    gettext_noop("There is not that much stock to take away."),
    # Notes of a parcel's tracking events the buyer reads (``lifecycle.services.cancel``).
    gettext_noop("order cancelled by buyer"),
]


def _text(value) -> str:
    return gettext(str(value))


def form_add_error(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service error on the form: per-field details where the field exists, else on top."""
    details = exc.details if isinstance(exc.details, dict) else {}
    placed = False
    for field, problems in details.items():
        if field not in form.fields or not isinstance(problems, list | tuple):
            continue
        for problem in problems:
            form.add_error(field, _text(problem))
            placed = True
    if not placed:
        form.add_error(None, _text(exc.message))


def error_text(exc: ApplicationError) -> str:
    """A service error as one sentence for a person: its message and the sentences of its
    details (ids and numbers in details are for programs, not people)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    extra = [
        _text(p)
        for problems in details.values()
        if isinstance(problems, list | tuple)
        for p in problems
        if isinstance(p, str)
    ]
    return " ".join([_text(exc.message), *extra]) if extra else _text(exc.message)


def message_error(request, exc: ApplicationError, *, extra_tags: str = "") -> None:
    """Flash a service error on the next page (for buttons that are not a form page)."""
    messages.error(request, error_text(exc), extra_tags=extra_tags)


def button_action(request, action: Callable[[], object], success: str | Callable[[], str]) -> bool:
    """Run the service call of a button that is not a form page: flash its error, or else
    `success` (a sentence, or a function giving one once the call is done). True when the
    call succeeded."""
    try:
        action()
    except ApplicationError as exc:
        message_error(request, exc)
        return False
    messages.success(request, success() if callable(success) else success)
    return True
