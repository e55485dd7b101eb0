"""The pipeline's e-mails to cooperative managers, each rendered in its recipient's
language (HTML + text). The buyer's news goes through ``notifications.notify``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from catalog.constants import MembershipRole
from catalog.models import Membership

from .models import Shipment


def _language(user) -> str:
    # The language the person signed up in; the site default when unknown.
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _build(*, template: str, to: str, language: str, context: dict) -> EmailMultiAlternatives:
    with translation.override(language):
        subject = render_to_string(f"emails/fulfilment/{template}_subject.txt", context)
        text = render_to_string(f"emails/fulfilment/{template}.txt", context)
        html = render_to_string(f"emails/fulfilment/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        to=[to],
        headers={"Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    return message


def _lines(shipment: Shipment) -> list:
    return list(shipment.lines.select_related("order_line", "batch").order_by("order_line_id"))


def send_new_shipment_to_managers(shipment: Shipment) -> int:
    """One e-mail per manager of the cooperative who has an address. Returns how many."""
    managers = (
        Membership.objects.filter(
            cooperative_id=shipment.cooperative_id,
            role=MembershipRole.MANAGER,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    context = {
        "shipment": shipment,
        "order": shipment.order,
        "cooperative": shipment.cooperative,
        "lines": _lines(shipment),
        "admin_url": settings.PUBLIC_BASE_URL
        + reverse("admin:fulfilment_shipment_change", args=[shipment.pk]),
    }
    messages = [
        _build(
            template="shipment_to_pack",
            to=m.user.email,
            language=_language(m.user),
            context={**context, "recipient": m.user},
        )
        for m in managers
    ]
    if not messages:
        return 0
    from django.core.mail import get_connection

    with get_connection() as connection:
        return connection.send_messages(messages) or 0
