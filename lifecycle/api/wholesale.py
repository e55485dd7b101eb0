"""Purchase orders of a wholesale buyer (placed through checkout with the wholesale
plan). Thin: parse, call the flow, render."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.serializers import IDEMPOTENCY_KEY_HELP
from storefront.api.schema import ERROR_401, error_response
from wholesale import selectors as wholesale_selectors
from wholesale import services as wholesale
from wholesale.api.serializers import PurchaseOrderInputSerializer, PurchaseOrderSerializer

from ..services.wholesale import wholesale_order_place


class PurchaseOrderListCreateView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_orders_list",
        responses={
            200: PurchaseOrderSerializer(many=True),
            401: ERROR_401,
            403: error_response("`not_wholesale_buyer`."),
        },
        tags=["wholesale"],
    )
    def get(self, request):
        member = wholesale.buyer_for(request.user)
        rows = wholesale_selectors.purchase_orders(member.organisation_id)
        return Response(PurchaseOrderSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="wholesale_orders_create",
        request=PurchaseOrderInputSerializer,
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
            201: PurchaseOrderSerializer,
            400: error_response(
                "`invalid` (lines, po_number, address), `one_cooperative` (goods of one "
                "cooperative per PO), `below_minimum_order` (details.minimum)."
            ),
            401: ERROR_401,
            403: error_response("`not_wholesale_buyer`."),
            409: error_response(
                "`duplicate_po`, `no_credit`, `credit_limit_exceeded`, "
                "`credit_blocked_overdue` (an overdue invoice), `approval_required` "
                "(above the organisation's approval amount: an approver places it), "
                "`insufficient_stock`, `idempotency_conflict`."
            ),
        },
        tags=["wholesale"],
        description="Place a purchase order at the buyer's prices. On credit it skips "
        "payment (status `paid`, invoiced after delivery); otherwise it is paid online "
        "like any order.",
    )
    def post(self, request):
        data = PurchaseOrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, created = wholesale_order_place(
            user=request.user,
            lines=request.data["lines"],
            po_number=data.validated_data["po_number"],
            on_credit=data.validated_data["on_credit"],
            shipping_address=request.data.get("shipping_address"),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(
            PurchaseOrderSerializer(order.wholesale).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
