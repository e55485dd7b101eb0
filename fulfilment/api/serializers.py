"""Shipment rendering (API.md) and the carrier notification's body."""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import serializers

from fulfilment.constants import CarrierEventStatus


class TrackingEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.CharField()
    note = serializers.SerializerMethodField()

    def get_note(self, event) -> str:
        # System notes are stored as English msgids; a carrier's own text passes through.
        return gettext(event.note) if event.note else ""


class _CooperativeRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class _CarrierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ShipmentSerializer(serializers.Serializer):
    """``{"cooperative","status","carrier","tracking_number","events":[{"at","status","note"}]}``
    plus ``tracking_url``. Expects ``fulfilment.selectors.shipment_queryset()`` rows."""

    cooperative = _CooperativeRefSerializer()
    status = serializers.CharField()
    carrier = _CarrierSerializer(allow_null=True)
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    events = TrackingEventSerializer(many=True, source="events.all")


class CarrierEventInputSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    carrier = serializers.SlugField(max_length=20)
    tracking_number = serializers.CharField(max_length=40)
    status = serializers.ChoiceField(choices=CarrierEventStatus.choices)
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CarrierEventOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    result = serializers.ChoiceField(choices=["applied", "duplicate"])
    shipment_status = serializers.CharField()
