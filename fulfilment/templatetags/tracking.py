"""Template tags of the parcels' tracking timeline."""

from __future__ import annotations

from django import template

from fulfilment.models import TrackingEvent

register = template.Library()


@register.simple_tag
def status_label(status: str) -> str:
    """A tracking event's status in words (shipment statuses first, then carrier events)."""
    return TrackingEvent(status=status).status_label
