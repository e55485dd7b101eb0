"""Template tags of the parcels' tracking timeline."""

from __future__ import annotations

from django import template

from fulfilment.constants import CarrierEventStatus, ShipmentStatus

register = template.Library()


@register.simple_tag
def status_label(status: str) -> str:
    """A tracking event's status in words (shipment statuses first, then carrier events)."""
    for choices in (ShipmentStatus, CarrierEventStatus):
        if status in choices.values:
            return str(choices(status).label)
    return status
