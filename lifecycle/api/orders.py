"""The buyer's order endpoints. Thin: parse, call one flow or selector, render."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from marketing.middleware import campaign_touch
from orders.api.serializers import IDEMPOTENCY_KEY_HELP, OrderCreateInputSerializer
from storefront.api.schema import (
    ERROR_400,
    ERROR_401,
    ERROR_404,
    error_response,
)

from .. import selectors, services
from ..services.channels import pickup_order_place
from .serializers import OrderSerializer

ERROR_409_STATE = error_response("`invalid_state`: not possible in the order's status.")


class OrderListCreateView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = OrderSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.order_list_for_user(user=self.request.user)

    @extend_schema(
        operation_id="orders_list",
        responses={200: OrderSerializer(many=True), 400: ERROR_400, 401: ERROR_401},
        tags=["orders"],
        description="The user's orders, newest first.",
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            OrderSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="orders_create",
        request=OrderCreateInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=IDEMPOTENCY_KEY_HELP,
            )
        ],
        responses={
            201: OpenApiResponse(OrderSerializer, description="The new order."),
            200: OpenApiResponse(
                OrderSerializer,
                description="A repeat of an earlier request with this Idempotency-Key: the "
                "order it created (header `Idempotent-Replayed: true`).",
            ),
            400: error_response(
                "`invalid`: bad quantities, unknown/inactive variants (details.variants), "
                "address fields, an empty cart, an Idempotency-Key over 64 characters; "
                "`parse_error` for a body that is not JSON; `voucher_invalid`, "
                "`voucher_expired`, `voucher_not_applicable`, `voucher_min_spend`; "
                "`invalid` for both or neither of `shipping_address` and `pickup_station` "
                "(details name both) or a pickup order without a phone to text the code to "
                "(details.pickup_contact); `unknown_station` (no active station with that "
                "slug), `not_a_pickup_point` (the station receives no parcels)."
            ),
            401: ERROR_401,
            409: error_response(
                "`insufficient_stock` (details.variants: the ids that fall short; nothing "
                "was reserved), `idempotency_conflict` (this key was used with another body) "
                "or `voucher_exhausted` (the voucher's uses, or this buyer's, are used up)."
            ),
            503: error_response(
                "`service_unavailable`: the database stayed busy, or the prices kept changing "
                "under every try; nothing was placed or reserved: try again."
            ),
        },
        tags=["orders"],
    )
    def post(self, request):
        data = OrderCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The serializer checked the types; the service applies the rules to the body as
        # sent (e.g. it refuses unknown address keys, which a serializer would drop).
        campaign_touch(request)
        extra = {"voucher": request.data["voucher"]} if "voucher" in request.data else {}
        fields = {
            **extra,
            "user": request.user,
            "lines": request.data.get("lines") or None,
            "from_cart": data.validated_data["from_cart"],
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
        if "pickup_station" in data.validated_data:
            order, created = pickup_order_place(
                pickup_station=request.data["pickup_station"],
                pickup_contact=request.data.get("pickup_contact"),
                **fields,
            )
        else:
            order, created = services.checkout_place_marketed(
                shipping_address=request.data["shipping_address"], **fields
            )
        context = {"request": request}
        if created:
            # The service hands back the rows it just wrote (lines in the prefetch cache).
            return Response(
                OrderSerializer(order, context=context).data, status=status.HTTP_201_CREATED
            )
        body = OrderSerializer(
            selectors.order_get_for_user(user=request.user, number=order.number),
            context=context,
        ).data
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})


class OrderDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="orders_retrieve",
        responses={200: OrderSerializer, 401: ERROR_401, 404: ERROR_404},
        tags=["orders"],
    )
    def get(self, request, number: str):
        order = selectors.order_get_for_user(user=request.user, number=number)
        return Response(OrderSerializer(order, context={"request": request}).data)


def _order_action_schema(operation_id: str, description: str):
    """The schema of a button on an order: POST, no body, the order back (or 409)."""
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            request=None,
            responses={
                200: OrderSerializer,
                401: ERROR_401,
                404: ERROR_404,
                409: ERROR_409_STATE,
            },
            tags=["orders"],
            description=description,
        )
    )


class _OrderActionView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def act(self, order):  # pragma: no cover - each subclass says what it does
        raise NotImplementedError

    def post(self, request, number: str):
        order = selectors.order_get_for_user(user=request.user, number=number)
        self.act(order)
        fresh = selectors.order_get_for_user(user=request.user, number=number)
        return Response(OrderSerializer(fresh, context={"request": request}).data)


@_order_action_schema(
    "orders_cancel",
    "Before payment: `cancelled` and the stock returned. After payment, "
    "before shipping: `refund_pending` (the refund is started). Later: 409.",
)
class OrderCancelView(_OrderActionView):
    def act(self, order):
        services.order_cancel(order=order)


@_order_action_schema(
    "orders_confirm_receipt", "`shipped` → `delivered`; 409 `invalid_state` in any other status."
)
class OrderConfirmReceiptView(_OrderActionView):
    def act(self, order):
        services.receipt_confirmed(order=order)
