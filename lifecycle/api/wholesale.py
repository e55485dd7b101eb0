"""Purchase orders of a wholesale buyer (placed through checkout with the wholesale
plan), the statement and the cooperative's receivables (read from the payments
ledger), and paying an invoice online. Thin: parse, call the flow, render."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.admin_scoping import is_platform
from catalog.selectors import user_managed_cooperative_ids
from orders.api.serializers import IDEMPOTENCY_KEY_HELP
from payments.api.serializers import PaymentStartInputSerializer, PaymentStartOutputSerializer
from storefront.api.schema import ERROR_401, ERROR_404, error_response
from storefront.client_ip import client_ip
from storefront.errors import PermissionDenied
from wholesale import selectors as wholesale_selectors
from wholesale import services as wholesale
from wholesale.api.serializers import (
    InvoiceSerializer,
    PurchaseOrderInputSerializer,
    PurchaseOrderSerializer,
    StatementSerializer,
)

from ..selectors import wholesale_statement
from ..services.receivables import invoice_pay_online
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


MONEY = {"max_digits": 14, "decimal_places": 2}


class LedgerInvoiceSerializer(InvoiceSerializer):
    balance = serializers.DecimalField(
        help_text="What the invoice still owes, from the payments ledger.", **MONEY
    )
    overdue = serializers.BooleanField()


class LedgerStatementSerializer(StatementSerializer):
    invoices = LedgerInvoiceSerializer(many=True)


class ReceivableSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The invoice number.")
    cooperative = serializers.CharField(source="cooperative.name")
    debtor = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    balance = serializers.DecimalField(**MONEY)
    overdue = serializers.BooleanField()


class ReceivablesSerializer(serializers.Serializer):
    invoiced = serializers.DecimalField(**MONEY)
    credited = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    receivable = serializers.DecimalField(**MONEY)
    overdue = serializers.DecimalField(**MONEY)
    receivables = ReceivableSerializer(many=True)


class StatementView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_statement",
        responses={
            200: LedgerStatementSerializer,
            401: ERROR_401,
            403: error_response("`not_wholesale_buyer`."),
        },
        tags=["wholesale"],
        description="Invoices, credit notes and payments; the figures (invoiced, credited, "
        "paid, receivable, overdue, each invoice's balance) are read from the payments "
        "ledger's receivable entries.",
    )
    def get(self, request):
        member = wholesale.buyer_for(request.user)
        data = wholesale_statement(organisation_id=member.organisation_id)
        return Response(LedgerStatementSerializer(data).data)


class InvoicePaymentStartView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_invoice_payment_start",
        request=PaymentStartInputSerializer,
        responses={
            201: PaymentStartOutputSerializer,
            400: error_response("`invalid` or `provider_unavailable`."),
            401: ERROR_401,
            403: error_response("`not_wholesale_buyer`."),
            404: ERROR_404,
            409: error_response("`invalid_state`: nothing is owed on the invoice."),
        },
        tags=["wholesale"],
        description="Pay what the invoice still owes online (sandbox wallet, Alipay, WeChat "
        "Pay). The provider's notification pays the invoice once, through the same "
        "callbacks as an order's payment.",
    )
    def post(self, request, number: str):
        data = PaymentStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = invoice_pay_online(
            user=request.user,
            number=number,
            provider=data.validated_data["provider"],
            client_ip=client_ip(request),
        )
        return Response(PaymentStartOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class CooperativeReceivablesView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="wholesale_cooperative_receivables",
        responses={
            200: ReceivablesSerializer,
            401: ERROR_401,
            403: error_response("`permission_denied`: not a cooperative's manager."),
        },
        tags=["wholesale"],
        description="The manager's cooperatives' receivables (platform staff: all) from "
        "the payments ledger: "
        "each invoice's balance and whether it is overdue, and the totals.",
    )
    def get(self, request):
        coop_ids = None if is_platform(request.user) else user_managed_cooperative_ids(request.user)
        if coop_ids is not None and not coop_ids:
            raise PermissionDenied()
        return Response(ReceivablesSerializer(wholesale_statement(cooperative_ids=coop_ids)).data)
