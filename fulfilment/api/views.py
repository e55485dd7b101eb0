"""Shipments of an order (buyer) and carrier notifications (logistics partners)."""

from __future__ import annotations

import logging

from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from fulfilment import carriers, selectors, services
from fulfilment.exceptions import InvalidSignature
from orders.models import Order
from orders.selectors import order_get_for_user
from storefront import jsonsafe, metrics
from storefront.api.schema import ERROR_400, ERROR_401, ERROR_404, error_response
from storefront.errors import InvalidInput

from .serializers import (
    CarrierEventInputSerializer,
    CarrierEventOutputSerializer,
    ShipmentSerializer,
)

logger = logging.getLogger(__name__)


class OrderShipmentsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="order_shipments",
        responses={200: ShipmentSerializer(many=True), 401: ERROR_401, 404: ERROR_404},
        tags=["orders"],
    )
    def get(self, request, number: str):
        # Another user's order is simply not found (404), as API.md requires.
        order = order_get_for_user(
            user=request.user,
            number=number,
            queryset=Order.objects.prefetch_related(selectors.shipments_prefetch()),
        )
        return Response(ShipmentSerializer(order.shipments.all(), many=True).data)


class CarrierEventView(APIView):
    """A logistics partner's signed status report (see ``fulfilment.carriers``)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="carrier_event",
        request=CarrierEventInputSerializer,
        responses={
            200: CarrierEventOutputSerializer,
            400: ERROR_400,
            401: error_response("`invalid_signature`: missing, stale or wrong signature."),
            404: error_response("`unknown_tracking_number`."),
            409: error_response("`invalid_state`: the report would move the shipment back."),
        },
        auth=[],
        tags=["fulfilment"],
    )
    def post(self, request):
        raw = request.body  # read before DRF parses: the signature covers these exact bytes
        try:
            signers = carriers.verify(raw, request.headers.get(carriers.SIGNATURE_HEADER))
        except InvalidSignature:
            logger.warning("carrier event with a bad signature")
            metrics.incr("carrier_event_bad_signature")
            raise
        try:
            body = jsonsafe.loads(raw)
        except ValueError:  # not JSON, or nested too deeply: a carrier's bug, not an attack
            raise InvalidInput("The body is not JSON.") from None
        code = body.get("carrier") if isinstance(body, dict) else None
        if not isinstance(code, str) or code not in signers:
            # Signed by one carrier, reporting as another: refused like a forgery.
            logger.warning("carrier event signed by %s names another carrier", sorted(signers))
            metrics.incr("carrier_event_bad_signature")
            raise InvalidSignature()
        data = CarrierEventInputSerializer(data=body)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        event, created = services.carrier_event_apply(
            carrier_code=v["carrier"],
            event_id=v["id"],
            tracking_number=v["tracking_number"],
            status=v["status"],
            at=v.get("at"),
            note=v.get("note", ""),
            payload=body,
        )
        status = event.shipment.status if event.shipment else ""
        result = {
            "id": event.event_id,
            "result": "applied" if created else "duplicate",
            "shipment_status": status,
        }
        return Response(CarrierEventOutputSerializer(result).data)
